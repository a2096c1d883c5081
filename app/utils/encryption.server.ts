// Envelope encryption of data at rest: AES-256-GCM with keys from
// DATA_ENCRYPTION_KEY (see dataEncryptionKeys() in env.server.ts).
//
// A ciphertext is one ASCII string, safe in a TEXT column:
//
//   v1.<keyId>.<iv, 12 bytes, base64url>.<ciphertext + 16-byte tag, base64url>
//
// The caller's `context` (e.g. "festival-key:<festivalId>") and the header
// "v1.<keyId>." are authenticated as additional data, so a ciphertext copied to
// another row or relabelled with another key id fails to decrypt.
// Errors never carry plaintext, key material or the context.
import crypto from "node:crypto";
import { dataEncryptionKeys } from "./env.server";

const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;
const B64URL = /^[A-Za-z0-9_-]*$/;

export type DecryptionFailure = "malformed" | "unknown_key" | "authentication_failed" | "not_utf8";

/** A ciphertext that cannot be read: malformed, made with a key no longer configured, or altered. */
export class DecryptionError extends Error {
  override name = "DecryptionError";
  constructor(
    readonly reason: DecryptionFailure,
    message: string,
  ) {
    super(message);
  }
}

/** Encrypt with the current key. `context` says where the value belongs and must be given again to decrypt. */
export function encrypt(plaintext: string | Uint8Array, context: string): string {
  requireContext(context);
  const { current } = dataEncryptionKeys();
  const iv = crypto.randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv("aes-256-gcm", current.key, iv, {
    authTagLength: TAG_BYTES,
  });
  cipher.setAAD(additionalData(current.id, context));
  const data = typeof plaintext === "string" ? Buffer.from(plaintext, "utf8") : plaintext;
  const body = Buffer.concat([cipher.update(data), cipher.final(), cipher.getAuthTag()]);
  return `${VERSION}.${current.id}.${iv.toString("base64url")}.${body.toString("base64url")}`;
}

/** Decrypt a value made by encrypt() with any configured key. Throws DecryptionError. */
export function decrypt(blob: string, context: string): Buffer {
  requireContext(context);
  const { keyId, iv, body } = parseBlob(blob);
  const key = dataEncryptionKeys().keys.get(keyId);
  if (!key) {
    throw new DecryptionError(
      "unknown_key",
      `Cannot decrypt: key "${keyId}" is not configured in DATA_ENCRYPTION_KEY.`,
    );
  }
  const decipher = crypto.createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(additionalData(keyId, context));
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  try {
    return Buffer.concat([
      decipher.update(body.subarray(0, body.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    throw new DecryptionError(
      "authentication_failed",
      "Cannot decrypt: the ciphertext was altered, belongs to another context, or the key changed.",
    );
  }
}

/** decrypt() for values that were strings. */
export function decryptString(blob: string, context: string): string {
  const bytes = decrypt(blob, context);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new DecryptionError("not_utf8", "Decrypted value is not UTF-8 text.");
  }
}

/** True when `blob` names the current (first) key; false for older keys and for anything unparseable. */
export function isEncryptedWithCurrentKey(blob: string): boolean {
  let keyId: string;
  try {
    keyId = parseBlob(blob).keyId;
  } catch {
    return false;
  }
  return keyId === dataEncryptionKeys().current.id;
}

/**
 * Rotation: decrypt with whichever configured key made `blob` and encrypt with the
 * current key. A blob already under the current key is checked and returned as is.
 */
export function reencrypt(blob: string, context: string): string {
  const plaintext = decrypt(blob, context);
  try {
    return isEncryptedWithCurrentKey(blob) ? blob : encrypt(plaintext, context);
  } finally {
    plaintext.fill(0);
  }
}

function requireContext(context: string) {
  if (typeof context !== "string" || context.length === 0) {
    throw new TypeError('An encryption context is required (e.g. "festival-key:<festivalId>").');
  }
}

function additionalData(keyId: string, context: string): Buffer {
  return Buffer.from(`${VERSION}.${keyId}.${context}`, "utf8");
}

function parseBlob(blob: string): { keyId: string; iv: Buffer; body: Buffer } {
  const malformed = (what: string) => new DecryptionError("malformed", `Cannot decrypt: ${what}.`);
  if (typeof blob !== "string") throw malformed("not a string");
  const parts = blob.split(".");
  if (parts.length !== 4) throw malformed("expected v1.<keyId>.<iv>.<ciphertext>");
  const [version, keyId, ivText, bodyText] = parts as [string, string, string, string];
  if (version !== VERSION) throw malformed("unknown format version");
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(keyId)) throw malformed("bad key id");
  const iv = strictBase64url(ivText);
  if (!iv || iv.length !== IV_BYTES) throw malformed("bad IV");
  const body = strictBase64url(bodyText);
  if (!body || body.length < TAG_BYTES) throw malformed("bad ciphertext");
  return { keyId, iv, body };
}

/** Decode unpadded base64url, refusing anything that does not re-encode to the same text. */
function strictBase64url(text: string): Buffer | undefined {
  if (!B64URL.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, "base64url");
  return bytes.toString("base64url") === text ? bytes : undefined;
}
