/**
 * The database as the tables' owner, for tests that set up or inspect rows
 * directly. The Worker itself connects as continuum_app, under row-level
 * security (db/migrations/0018_row_level_security.sql); the owner here is a
 * superuser, which bypasses it.
 */
import { env } from "cloudflare:workers";
import { openDb } from "../../db/client";

export const ownerEnv = {
  ...env,
  DATABASE_URL: (env as unknown as { OWNER_DATABASE_URL: string }).OWNER_DATABASE_URL,
};

export const openOwnerDb = () => openDb(ownerEnv);
