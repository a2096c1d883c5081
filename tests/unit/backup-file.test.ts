// The backup file format (decision 0044) on its own: what goes in comes out at
// any length (empty, one byte, exactly a chunk, many chunks), and every way a
// file can be wrong — another passphrase, a changed header, swapped, dropped or
// cut chunks, bytes added — is refused before any plaintext of that part is
// let through.
import crypto from "node:crypto";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import {
  type BackupFileError,
  decryptingStream,
  encryptingStream,
  HEADER_BYTES,
} from "../../scripts/backup-file.js";

// A cheap scrypt cost for the format's tests only (backups use 2^17).
const COST = { log2N: 10, r: 8, p: 1 };
const CHUNK = 65_536;
const SEALED = CHUNK + 16;

async function encrypt(plain: Buffer, passphrase = "passphrase for tests") {
  const parts: Buffer[] = [];
  await pipeline(
    Readable.from([plain]),
    await encryptingStream(passphrase, COST),
    new Writable({
      write(chunk: Buffer, _e, done) {
        parts.push(chunk);
        done();
      },
    }),
  );
  return Buffer.concat(parts);
}

/** Decrypt; resolves to the plaintext passed on and the error, if any. */
async function decrypt(file: Buffer, passphrase = "passphrase for tests") {
  const out: Buffer[] = [];
  try {
    const stream = await decryptingStream(file.subarray(0, HEADER_BYTES), passphrase);
    await pipeline(
      // Uneven reads, as from a disk or a pipe.
      Readable.from(
        (function* () {
          for (let at = HEADER_BYTES; at < file.length; at += 10_007)
            yield file.subarray(at, Math.min(at + 10_007, file.length));
        })(),
      ),
      stream,
      new Writable({
        write(chunk: Buffer, _e, done) {
          out.push(chunk);
          done();
        },
      }),
    );
    return { plain: Buffer.concat(out), error: null };
  } catch (error) {
    return { plain: Buffer.concat(out), error: error as BackupFileError };
  }
}

describe("the backup file format", () => {
  it("round-trips any length, and the same plaintext never encrypts the same way twice", async () => {
    for (const length of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 17]) {
      const plain = crypto.randomBytes(length);
      const file = await encrypt(plain);
      const chunks = Math.max(1, Math.ceil(length / CHUNK));
      expect(file.length).toBe(HEADER_BYTES + length + 16 * chunks);
      const { plain: back, error } = await decrypt(file);
      expect(error).toBeNull();
      expect(back.equals(plain)).toBe(true);
    }
    const plain = Buffer.alloc(1000, "a");
    const [a, b] = [await encrypt(plain), await encrypt(plain)];
    expect(a.subarray(HEADER_BYTES).equals(b.subarray(HEADER_BYTES))).toBe(false);
    expect(a.includes(Buffer.from("aaaaaaaa"))).toBe(false);
  });

  it("tells a wrong passphrase and a changed header apart from damaged contents", async () => {
    const file = await encrypt(crypto.randomBytes(2 * CHUNK + 5));
    expect((await decrypt(file, "another passphrase")).error?.reason).toBe("wrong_passphrase");
    for (const at of [8, 10, 13, 20, 50, 60]) {
      const changed = Buffer.from(file);
      changed[at]! ^= 1;
      const { error, plain } = await decrypt(changed);
      expect(error?.reason, `byte ${at}`).toMatch(/wrong_passphrase|unsupported/);
      expect(plain.length).toBe(0);
    }
    const notOurs = Buffer.from(file);
    notOurs.write("SQLite f", 0, "latin1");
    expect((await decrypt(notOurs)).error?.reason).toBe("not_a_backup");
  });

  it("refuses swapped, dropped and cut chunks and added bytes, passing on nothing of the bad part", async () => {
    const plain = crypto.randomBytes(3 * CHUNK + 100);
    const file = await encrypt(plain);
    const chunk = (i: number) =>
      file.subarray(HEADER_BYTES + i * SEALED, HEADER_BYTES + (i + 1) * SEALED);
    const header = file.subarray(0, HEADER_BYTES);
    const last = file.subarray(HEADER_BYTES + 3 * SEALED);
    const cases: [string, Buffer, number][] = [
      ["swapped", Buffer.concat([header, chunk(1), chunk(0), chunk(2), last]), 0],
      ["dropped", Buffer.concat([header, chunk(0), chunk(2), last]), CHUNK],
      ["cut at a chunk boundary", Buffer.concat([header, chunk(0), chunk(1), chunk(2)]), 2 * CHUNK],
      ["cut inside the last chunk", file.subarray(0, file.length - 1), 3 * CHUNK],
      ["a byte added", Buffer.concat([file, Buffer.from([0])]), 3 * CHUNK],
      ["only the header", header, 0],
    ];
    for (const [what, bad, goodBytes] of cases) {
      const { error, plain: out } = await decrypt(bad);
      expect(error?.reason, what).toBe("damaged");
      expect(error?.message).toMatch(/damaged or truncated/);
      expect(out.length, what).toBe(goodBytes);
      expect(out.equals(plain.subarray(0, goodBytes))).toBe(true);
    }
  });
});
