// Small crypto helpers on the platform's Web Crypto / node:crypto.
import crypto from "node:crypto";

/** URL-safe random token with `bytes` of entropy. */
export function randomToken(bytes = 32): string {
  return crypto.randomBytes(bytes).toString("base64url");
}

/** SHA-256 hex digest: how tokens and one-time codes are stored. */
export function sha256(value: string): string {
  return crypto.createHash("sha256").update(value).digest("hex");
}

/** A uniformly random numeric code of `digits` digits. */
export function numericCode(digits = 6): string {
  return String(crypto.randomInt(0, 10 ** digits)).padStart(digits, "0");
}

export function timingSafeEqualHex(a: string, b: string): boolean {
  const ab = Buffer.from(a, "hex");
  const bb = Buffer.from(b, "hex");
  return ab.length === bb.length && crypto.timingSafeEqual(ab, bb);
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A short code people can read aloud ("K7QM-3RZP"): Crockford base32, no I/L/O/U. */
export function humanCode(length = 8): string {
  let out = "";
  for (let i = 0; i < length; i++) out += CROCKFORD[crypto.randomInt(0, 32)];
  return `${out.slice(0, 4)}-${out.slice(4)}`;
}
