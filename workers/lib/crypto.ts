/** Token and password primitives on WebCrypto (available in workerd). */

const enc = new TextEncoder();

export const toHex = (buf: ArrayBuffer | Uint8Array) =>
  [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");

const fromHex = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));

export async function sha256Hex(input: string | ArrayBuffer | Uint8Array): Promise<string> {
  const data = typeof input === "string" ? enc.encode(input) : input;
  return toHex(await crypto.subtle.digest("SHA-256", data));
}

/**
 * A UUID derived from `name` (its SHA-256, with the given version nibble and
 * the RFC 4122 variant): the same name always gives the same id.
 */
export async function nameUuid(name: string, version: 5 | 8): Promise<string> {
  const h = new Uint8Array(await crypto.subtle.digest("SHA-256", enc.encode(name)));
  h[6] = (h[6]! & 0x0f) | (version << 4);
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = toHex(h.subarray(0, 16));
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** 32 random bytes, base64url: the session token handed to the client once. */
export function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

/**
 * PBKDF2-SHA256 at 100 000 iterations: the highest count workerd's WebCrypto
 * accepts, and a slow KDF that needs no wasm in the bundle. Format:
 * `pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>` so the cost can be raised later.
 */
const ITERATIONS = 100_000;

async function pbkdf2(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", enc.encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, 256);
  return new Uint8Array(bits);
}

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await pbkdf2(password, salt, ITERATIONS);
  return `pbkdf2-sha256$${ITERATIONS}$${toHex(salt)}$${toHex(hash)}`;
}

/** A hash of a random password: verifying against it costs the same as a real one. */
export const DUMMY_PASSWORD_HASH = `pbkdf2-sha256$${ITERATIONS}$00000000000000000000000000000000$${"0".repeat(64)}`;

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, iter, saltHex, hashHex] = stored.split("$");
  if (scheme !== "pbkdf2-sha256" || !iter || !saltHex || !hashHex) return false;
  const actual = await pbkdf2(password, fromHex(saltHex), Number(iter));
  return timingSafeEqual(actual, fromHex(hashHex));
}

/** Constant-time comparison (workerd also offers crypto.subtle.timingSafeEqual; this is portable). */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
