// Server side of ticket tokens: each festival has its own Ed25519 key pair.
// The public key (32 raw bytes, base64url) is public — it goes into the door
// scanner's manifest. The private key is kept only sealed with the data
// encryption key (encryption.server.ts), bound to its festival.
import crypto, { type KeyObject } from "node:crypto";
import { decrypt, encrypt } from "./encryption.server";
import {
  assembleTicketToken,
  encodeTicketTokenBody,
  type TicketTokenPayload,
} from "./ticket-token";

export type FestivalKeyPair = {
  /** Raw 32-byte Ed25519 public key, base64url (43 characters). */
  publicKey: string;
  /** PKCS#8 DER private key: seal it with sealPrivateKey() before storing. */
  privateKeyPkcs8: Buffer;
};

export function generateFestivalKeyPair(): FestivalKeyPair {
  const { publicKey, privateKey } = crypto.generateKeyPairSync("ed25519");
  return {
    publicKey: rawPublicKey(publicKey),
    privateKeyPkcs8: privateKey.export({ format: "der", type: "pkcs8" }),
  };
}

/** Sign a payload (validated: ids and times only) and return the token for the QR code. */
export function signTicketToken(
  privateKey: KeyObject | Buffer,
  payload: TicketTokenPayload,
): string {
  const key = Buffer.isBuffer(privateKey) ? importPrivateKey(privateKey) : privateKey;
  if (key.type !== "private" || key.asymmetricKeyType !== "ed25519") {
    throw new TypeError("Ticket tokens are signed with an Ed25519 private key.");
  }
  const body = encodeTicketTokenBody(payload);
  const signature = crypto.sign(null, Buffer.from(body, "ascii"), key);
  return assembleTicketToken(body, signature);
}

/** The base64url public key that belongs to a private key (to check a stored pair). */
export function publicKeyOf(privateKey: KeyObject): string {
  return rawPublicKey(crypto.createPublicKey(privateKey));
}

function encryptionContext(festivalId: string): string {
  if (!festivalId) throw new TypeError("A festival id is required.");
  return `festival-key:${festivalId}`;
}

/** Encrypt a PKCS#8 private key for storage in the festival's row. */
export function sealPrivateKey(festivalId: string, pkcs8: Buffer): string {
  importPrivateKey(pkcs8); // refuse to store something that is not an Ed25519 key
  return encrypt(pkcs8, encryptionContext(festivalId));
}

/** Decrypt a sealed private key; throws DecryptionError if it is not this festival's or was altered. */
export function openPrivateKey(festivalId: string, sealed: string): KeyObject {
  const pkcs8 = decrypt(sealed, encryptionContext(festivalId));
  try {
    return importPrivateKey(pkcs8);
  } finally {
    pkcs8.fill(0);
  }
}

function importPrivateKey(pkcs8: Buffer): KeyObject {
  let key: KeyObject;
  try {
    key = crypto.createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
  } catch {
    throw new TypeError("Not a PKCS#8 private key.");
  }
  if (key.asymmetricKeyType !== "ed25519") throw new TypeError("Not an Ed25519 private key.");
  return key;
}

function rawPublicKey(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: "jwk" });
  if (jwk.crv !== "Ed25519" || typeof jwk.x !== "string")
    throw new TypeError("Not an Ed25519 public key.");
  return jwk.x;
}
