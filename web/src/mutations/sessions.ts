// Device sessions, access tokens and the password: plain requests, not the
// outbox (they live on the server only; nothing to queue offline). One place
// for Devices, "Name this device", Access tokens and Password and sessions.
import { api } from "../api/http.ts";
import type { DeviceSession, PersonalToken } from "../api/types.ts";
import { path } from "./record.ts";

const session = (id: string) => path`/api/auth/sessions/${id}`;

/** Every device session and access token of this account. */
export const listSessions = async () =>
  (await api<{ items: DeviceSession[] }>("/api/auth/sessions?page_size=100")).items;

/** A device's own name (null: back to "Chrome on Linux"). */
export const renameDevice = (id: string, name: string | null) =>
  api<void>(session(id), { method: "PUT", body: { device_name: name } });

/** Sign a device out or revoke a token: it stops working at once. */
export const revokeSession = (id: string) => api<void>(session(id), { method: "DELETE" });

export const createAccessToken = (name: string, scope: PersonalToken["scope"]) =>
  api<PersonalToken>("/api/auth/tokens", { method: "POST", body: { name, scope } });

/** Both end every other session and token; `revoked` counts them. */
export const changePassword = (body: { current_password: string; new_password: string }) =>
  api<{ revoked: number }>("/api/auth/password", { method: "POST", body });
export const signOutOthers = () => api<{ revoked: number }>("/api/auth/sessions/revoke_others", { method: "POST" });
