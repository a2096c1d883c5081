// The encrypted backup file (decision 0044), shared by `npm run backup` and
// `npm run restore`. Layout, all integers big-endian:
//
//   header (85 bytes, readable):
//     0  8  magic "FESTBKUP"
//     8  1  format version (1)
//     9  1  key derivation (1 = scrypt)
//    10  1  scrypt cost as log2(N)
//    11  1  scrypt r
//    12  1  scrypt p
//    13  1  chunk size as log2(bytes)
//    14 32  salt (random per file)
//    46  7  nonce prefix (random per file)
//    53 32  HMAC-SHA256 of bytes 0–52 under the MAC key: a wrong passphrase
//           (or a damaged header) is told apart from damaged contents
//   then chunks: AES-256-GCM of each chunk of the plaintext (a tar archive),
//   16-byte tag after each; nonce = prefix ‖ chunk number (4 bytes) ‖ 1 on the
//   last chunk else 0; the whole header is the additional data of every chunk.
//
// scrypt(passphrase, salt) gives 64 bytes: the AES key, then the MAC key. Every
// byte after the header is ciphertext; any change, reordering, truncation or
// appended byte makes a chunk fail its tag (the last-chunk flag catches a file
// cut at a chunk boundary).
import crypto from "node:crypto";
import { Transform } from "node:stream";

const MAGIC = Buffer.from("FESTBKUP", "ascii");
export const FORMAT_VERSION = 1;
export const HEADER_BYTES = 85;
const SIGNED_BYTES = 53;
const TAG_BYTES = 16;
const DEFAULT_COST = { log2N: 17, r: 8, p: 1 }; // 128 MiB of memory, about 0.5 s here
const CHUNK_LOG2 = 16; // 64 KiB

/** A refusal with a stable reason; scripts map it to a message and an exit code. */
export class BackupFileError extends Error {
  /** @param {"not_a_backup" | "unsupported" | "wrong_passphrase" | "damaged"} reason */
  constructor(reason, message) {
    super(message);
    this.reason = reason;
  }
}

/** Derived keys by passphrase, salt and cost: restore reads a file twice, scrypt runs once. */
const derived = new Map();

function deriveKeys(passphrase, salt, cost) {
  const id = crypto
    .createHash("sha256")
    .update(JSON.stringify([passphrase, salt.toString("hex"), cost]))
    .digest("hex");
  if (!derived.has(id)) derived.set(id, scrypt(passphrase, salt, cost));
  return derived.get(id);
}

function scrypt(passphrase, salt, { log2N, r, p }) {
  const N = 2 ** log2N;
  return new Promise((resolve, reject) =>
    crypto.scrypt(
      Buffer.from(passphrase.normalize("NFC"), "utf8"),
      salt,
      64,
      { N, r, p, maxmem: 256 * N * r },
      (error, key) =>
        error ? reject(error) : resolve({ aes: key.subarray(0, 32), mac: key.subarray(32) }),
    ),
  );
}

function nonce(prefix, counter, last) {
  const n = Buffer.alloc(12);
  prefix.copy(n, 0);
  n.writeUInt32BE(counter, 7);
  n[11] = last ? 1 : 0;
  return n;
}

/**
 * A stream that encrypts what is written to it into the backup format (the
 * header first). `cost` is for tests of the format only; backups use the default.
 */
export async function encryptingStream(passphrase, cost = DEFAULT_COST) {
  const salt = crypto.randomBytes(32);
  const prefix = crypto.randomBytes(7);
  const keys = await deriveKeys(passphrase, salt, cost);
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt8(FORMAT_VERSION, 8);
  header.writeUInt8(1, 9);
  header.writeUInt8(cost.log2N, 10);
  header.writeUInt8(cost.r, 11);
  header.writeUInt8(cost.p, 12);
  header.writeUInt8(CHUNK_LOG2, 13);
  salt.copy(header, 14);
  prefix.copy(header, 46);
  crypto
    .createHmac("sha256", keys.mac)
    .update(header.subarray(0, SIGNED_BYTES))
    .digest()
    .copy(header, SIGNED_BYTES);

  const chunkBytes = 2 ** CHUNK_LOG2;
  let pending = [];
  let pendingBytes = 0;
  let counter = 0;
  const seal = (plain, last) => {
    const cipher = crypto.createCipheriv("aes-256-gcm", keys.aes, nonce(prefix, counter++, last));
    cipher.setAAD(header);
    return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  };
  let headerSent = false;
  const sendHeader = (stream) => {
    if (!headerSent) stream.push(header);
    headerSent = true;
  };
  return new Transform({
    transform(data, _encoding, done) {
      sendHeader(this);
      pending.push(data);
      pendingBytes += data.length;
      // Keep at least one byte back: only flush() knows which chunk is the last.
      if (pendingBytes > chunkBytes) {
        let all = Buffer.concat(pending);
        while (all.length > chunkBytes) {
          this.push(seal(all.subarray(0, chunkBytes), false));
          all = all.subarray(chunkBytes);
        }
        pending = [all];
        pendingBytes = all.length;
      }
      done();
    },
    flush(done) {
      sendHeader(this);
      this.push(seal(Buffer.concat(pending), true));
      done();
    },
  });
}

/**
 * Check a backup's header against the passphrase; resolves to a stream that
 * decrypts the bytes after the header, failing with BackupFileError("damaged")
 * at the first chunk that does not authenticate (nothing of it is passed on).
 */
export async function decryptingStream(header, passphrase) {
  if (header.length < HEADER_BYTES || !header.subarray(0, 8).equals(MAGIC))
    throw new BackupFileError("not_a_backup", "this is not a backup file of this app");
  const version = header.readUInt8(8);
  if (version !== FORMAT_VERSION)
    throw new BackupFileError(
      "unsupported",
      `backup format version ${version}: this restore reads version ${FORMAT_VERSION} only`,
    );
  const cost = { log2N: header.readUInt8(10), r: header.readUInt8(11), p: header.readUInt8(12) };
  const chunkLog2 = header.readUInt8(13);
  // Bounds, so a made-up header cannot ask for gigabytes of memory.
  if (
    header.readUInt8(9) !== 1 ||
    cost.log2N < 10 ||
    cost.log2N > 20 ||
    cost.r < 1 ||
    cost.r > 16 ||
    cost.p < 1 ||
    cost.p > 4 ||
    chunkLog2 < 10 ||
    chunkLog2 > 24
  )
    throw new BackupFileError("wrong_passphrase", "the backup's header is damaged");
  const keys = await deriveKeys(passphrase, header.subarray(14, 46), cost);
  const expected = crypto
    .createHmac("sha256", keys.mac)
    .update(header.subarray(0, SIGNED_BYTES))
    .digest();
  if (!crypto.timingSafeEqual(expected, header.subarray(SIGNED_BYTES, HEADER_BYTES)))
    throw new BackupFileError(
      "wrong_passphrase",
      "wrong passphrase (or the backup's header is damaged): BACKUP_PASSPHRASE does not open this file",
    );
  const prefix = header.subarray(46, 53);
  const sealedBytes = 2 ** chunkLog2 + TAG_BYTES;
  let pending = Buffer.alloc(0);
  let counter = 0;
  let offset = HEADER_BYTES;
  const open = (sealed, last) => {
    if (sealed.length < TAG_BYTES) return null;
    const decipher = crypto.createDecipheriv("aes-256-gcm", keys.aes, nonce(prefix, counter, last));
    decipher.setAAD(header.subarray(0, HEADER_BYTES));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    try {
      const plain = Buffer.concat([
        decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)),
        decipher.final(),
      ]);
      counter++;
      offset += sealed.length;
      return plain;
    } catch {
      return null;
    }
  };
  const damaged = () =>
    new BackupFileError(
      "damaged",
      `the backup is damaged or truncated (the part from byte ${offset} does not authenticate)`,
    );
  return new Transform({
    transform(data, _encoding, done) {
      pending = pending.length ? Buffer.concat([pending, data]) : data;
      // A chunk is known not to be the last once more bytes follow it.
      while (pending.length > sealedBytes) {
        const plain = open(pending.subarray(0, sealedBytes), false);
        if (!plain) return done(damaged());
        this.push(plain);
        pending = pending.subarray(sealedBytes);
      }
      done();
    },
    flush(done) {
      const plain = open(pending, true);
      if (!plain) return done(damaged());
      this.push(plain);
      done();
    },
  });
}
