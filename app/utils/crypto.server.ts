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
