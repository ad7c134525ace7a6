import { defineConfig } from "drizzle-kit";

// `npm run db:generate` writes SQL migrations from db/schema.ts — and from
// the tables declared with their record type in workers/protocol/*.ts
// (`recordTable()`) — into db/migrations (committed). They are applied by `npm run db:migrate`
// (scripts/migrate.ts), never by hand.
export default defineConfig({
  dialect: "postgresql",
  schema: ["./db/schema.ts", "./workers/protocol/*.ts"],
  out: "./db/migrations",
  strict: true,
});
