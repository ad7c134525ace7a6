import { z } from "zod";
import { LIMITS } from "./rules.ts";

export const signupSchema = z.strictObject({
  email: z.email().max(254),
  username: z.string().regex(/^[a-z0-9_]{3,32}$/, "3–32 characters of a–z, 0–9 and _"),
  password: z.string().min(10).max(200),
});
export type Signup = z.infer<typeof signupSchema>;

export const loginSchema = z.strictObject({
  /** Email or username. */
  login: z.string().min(1).max(254),
  password: z.string().min(1).max(200),
});
export type Login = z.infer<typeof loginSchema>;

/** DELETE /api/auth/account: the password, entered again. */
export const deleteAccountSchema = z.strictObject({ password: z.string().min(1).max(200) });
export type DeleteAccount = z.infer<typeof deleteAccountSchema>;

export const userSchema = z
  .object({ id: z.string(), email: z.string(), username: z.string(), created_at: z.string() })
  .meta({ id: "User" });
export type User = z.infer<typeof userSchema>;

export const deviceSessionSchema = z
  .object({
    id: z.string(),
    user_agent: z.string().nullable(),
    created_at: z.string(),
    last_seen_at: z.string(),
    expires_at: z.string(),
    current: z.boolean(),
    /** `device` (a sign-in) or `token` (a personal access token, named). */
    kind: z.enum(["device", "token"]),
    name: z.string().nullable(),
    /** `full` (devices, and tokens for any API use) or `mcp` (a token accepted at /mcp only). */
    scope: z.enum(["full", "mcp"]),
    /** The name the user gave this device (null: none, show the browser and system). */
    device_name: z.string().nullable(),
  })
  .meta({ id: "DeviceSession" });

/** PUT /api/auth/sessions/{id}: name a device (null clears the name). */
export const renameDeviceSchema = z.strictObject({
  device_name: z.union([z.string().trim().min(1).max(60), z.null()]),
});
export type RenameDevice = z.infer<typeof renameDeviceSchema>;
export type DeviceSession = z.infer<typeof deviceSessionSchema>;

export const userToWire = (u: { id: string; email: string; username: string; createdAt: Date }): User => ({
  id: u.id,
  email: u.email,
  username: u.username,
  created_at: u.createdAt.toISOString(),
});

/** Signup and login: the user and the session token (shown only here; also set as the `session` cookie). */
export const authResponseSchema = z.object({ user: userSchema, token: z.string() });
export type AuthResponse = z.infer<typeof authResponseSchema>;

export const tokenScopes = ["mcp", "full"] as const;
export type TokenScope = (typeof tokenScopes)[number];

export const personalTokenSchema = z.strictObject({
  name: z.string().trim().min(1).max(LIMITS.assistant.tokenName),
  /** `mcp` (default: least privilege) works at /mcp only; `full` works as a bearer token everywhere. */
  scope: z.enum(tokenScopes).default("mcp"),
});

/** POST /api/auth/tokens → 201; `token` is shown only in this response. */
export const personalTokenResponseSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    scope: z.enum(tokenScopes),
    token: z.string(),
    created_at: z.string(),
  })
  .meta({ id: "PersonalToken" });

/** POST /api/auth/password: the current password again, and the new one (the signup rule). */
export const changePasswordSchema = z.strictObject({
  current_password: z.string().min(1).max(200),
  new_password: z.string().min(10).max(200),
});

/** What "sign out everywhere else" (and a password change) ended. */
export const revokedSchema = z.object({ revoked: z.number().int().min(0) }).meta({ id: "Revoked" });
export type PersonalToken = z.infer<typeof personalTokenResponseSchema>;
