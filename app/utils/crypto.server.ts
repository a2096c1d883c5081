// Small crypto helpers on the platform's Web Crypto / node:crypto.
import crypto from "node:crypto";

/** URL-safe random token with `bytes` of entropy. */
export function randomToken(bytes = 32): string {
  return crypto.randomBytes(bytes).toString("base64url");
}

/** SHA-256 hex digest: how tokens are stored. */
export function sha256(value: string): string {
  return crypto.createHash("sha256").update(value).digest("hex");
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A short code people can read aloud ("K7QM-3RZP"): Crockford base32, no I/L/O/U. */
export function humanCode(length = 8): string {
  let out = "";
  for (let i = 0; i < length; i++) out += CROCKFORD[crypto.randomInt(0, 32)];
  return `${out.slice(0, 4)}-${out.slice(4)}`;
}

/** A ticket's short code: ten Crockford base32 characters, stored without a hyphen (decision 0049). */
export function ticketShortCode(): string {
  let out = "";
  for (let i = 0; i < 10; i++) out += CROCKFORD[crypto.randomInt(0, 32)];
  return out;
}
