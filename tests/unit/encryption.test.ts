import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  decrypt,
  DecryptionError,
  decryptString,
  encrypt,
  isEncryptedWithCurrentKey,
  reencrypt,
} from "~/utils/encryption.server";
import { ConfigError, dataEncryptionKeys, resetEnvCache } from "~/utils/env.server";
import { TMP } from "../setup/paths";

const saved = { ...process.env };
const dirs: string[] = [];
const OLD = crypto.randomBytes(32);
const NEW = crypto.randomBytes(32);
const CONTEXT = "payout-recipient:rcp_1";

function tempDir() {
  const dir = path.join(TMP, `run-${Date.now()}-${crypto.randomBytes(4).toString("hex")}`);
  fs.mkdirSync(dir, { recursive: true });
  dirs.push(dir);
  return dir;
}

function configure(env: { NODE_ENV?: string; DATA_ENCRYPTION_KEY?: string; DATA_DIR?: string }) {
  const vars = process.env as Record<string, string | undefined>; // NODE_ENV is typed as a union
  for (const k of ["NODE_ENV", "DATA_ENCRYPTION_KEY", "DATA_DIR"] as const) {
    if (env[k] === undefined) delete vars[k];
    else vars[k] = env[k];
  }
  process.env.SESSION_SECRET = "unit-test-session-secret-0123456789";
  resetEnvCache();
}

const keys = (...entries: [string, Buffer][]) =>
  entries.map(([id, k]) => `${id}:${k.toString("base64")}`).join(",");

/** Replace the base64url segment `index` of a blob with the same bytes, one bit flipped at `byte`. */
function flip(blob: string, index: number, byte: number): string {
  const parts = blob.split(".");
  const bytes = Buffer.from(parts[index]!, "base64url");
  bytes[byte] = bytes[byte]! ^ 0x01;
  parts[index] = bytes.toString("base64url");
  return parts.join(".");
}

function decryptFailure(fn: () => unknown): DecryptionError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DecryptionError);
    return error as DecryptionError;
  }
  throw new Error("expected a DecryptionError");
}

beforeEach(() =>
  configure({ NODE_ENV: "test", DATA_ENCRYPTION_KEY: keys(["k1", OLD]), DATA_DIR: tempDir() }),
);
afterEach(() => {
  process.env = { ...saved };
  resetEnvCache();
});
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe("encrypt / decrypt", () => {
  it("round-trips text, including non-ASCII", () => {
    const text = "Иван Петров, +7 900 000-00-00, IBAN LV80 BANK 0000 4351 9500 1 👩‍⚖️";
    const blob = encrypt(text, CONTEXT);
    expect(blob).toMatch(/^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(blob).not.toContain("Иван");
    expect(decryptString(blob, CONTEXT)).toBe(text);
  });

  it("round-trips binary, empty and 1 MB values", () => {
    const binary = crypto.randomBytes(4096);
    expect(decrypt(encrypt(binary, CONTEXT), CONTEXT).equals(binary)).toBe(true);
    expect(decrypt(encrypt(new Uint8Array(0), CONTEXT), CONTEXT).length).toBe(0);
    expect(decryptString(encrypt("", CONTEXT), CONTEXT)).toBe("");
    const big = crypto.randomBytes(1024 * 1024);
    expect(decrypt(encrypt(big, CONTEXT), CONTEXT).equals(big)).toBe(true);
  });

  it("uses a fresh random IV each time", () => {
    const a = encrypt("same", CONTEXT);
    const b = encrypt("same", CONTEXT);
    expect(a).not.toBe(b);
    expect(a.split(".")[2]).not.toBe(b.split(".")[2]);
  });

  it("refuses an empty context", () => {
    expect(() => encrypt("x", "")).toThrow(TypeError);
  });

  it("detects a flipped bit in the IV, the ciphertext and the tag", () => {
    const blob = encrypt("IBAN LV80 BANK 0000 4351 9500 1", CONTEXT);
    const bodyLength = Buffer.from(blob.split(".")[3]!, "base64url").length;
    const altered = [
      flip(blob, 2, 0), // IV
      flip(blob, 2, 11),
      flip(blob, 3, 0), // ciphertext
      flip(blob, 3, bodyLength - 17), // last ciphertext byte
      flip(blob, 3, bodyLength - 16), // tag
      flip(blob, 3, bodyLength - 1),
    ];
    for (const bad of altered) {
      expect(bad).not.toBe(blob);
      const error = decryptFailure(() => decrypt(bad, CONTEXT));
      expect(error.reason).toBe("authentication_failed");
      expect(error.message).not.toContain("IBAN");
    }
  });

  it("refuses a truncated tag or a changed key id", () => {
    const blob = encrypt("secret", CONTEXT);
    const parts = blob.split(".");
    const short = Buffer.from(parts[3]!, "base64url").subarray(0, 10).toString("base64url");
    expect(
      decryptFailure(() => decrypt([parts[0], parts[1], parts[2], short].join("."), CONTEXT))
        .reason,
    ).toBe("malformed");
    expect(decryptFailure(() => decrypt(blob.replace("v1.k1.", "v1.k9."), CONTEXT)).reason).toBe(
      "unknown_key",
    );
    // Same key material under another id: the key id is authenticated too.
    configure({
      NODE_ENV: "test",
      DATA_ENCRYPTION_KEY: keys(["k1", OLD], ["k2", OLD]),
      DATA_DIR: tempDir(),
    });
    expect(decryptFailure(() => decrypt(blob.replace("v1.k1.", "v1.k2."), CONTEXT)).reason).toBe(
      "authentication_failed",
    );
    expect(decryptString(blob, CONTEXT)).toBe("secret");
  });

  it("refuses malformed blobs with a typed error", () => {
    const blob = encrypt("secret", CONTEXT);
    const [, , iv, body] = blob.split(".");
    for (const bad of [
      "",
      "secret",
      "v1.k1",
      `v2.k1.${iv}.${body}`,
      `v1..${iv}.${body}`,
      `v1.k1.${iv}=.${body}`,
      `v1.k1.${iv}.${body}.x`,
      `v1.k1.AAAA.${body}`,
      `v1.k1.${iv}.${body}+`,
    ]) {
      expect(decryptFailure(() => decrypt(bad, CONTEXT)).reason).toBe("malformed");
    }
  });

  it("fails in another context (a ciphertext copied to another row)", () => {
    const blob = encrypt("secret", "payout-recipient:rcp_1");
    const error = decryptFailure(() => decrypt(blob, "payout-recipient:rcp_2"));
    expect(error.reason).toBe("authentication_failed");
    expect(error.message).not.toContain("rcp_");
    expect(error.message).not.toContain("secret");
  });

  it("decryptString refuses bytes that are not UTF-8", () => {
    const blob = encrypt(Buffer.from([0xff, 0xfe, 0x00]), CONTEXT);
    expect(decryptFailure(() => decryptString(blob, CONTEXT)).reason).toBe("not_utf8");
  });
});

describe("key rotation", () => {
  it("decrypts old blobs after a new key is prepended, and reencrypt moves them", () => {
    const old = encrypt("Maria, card 4000 0000 0000 0002", CONTEXT);
    expect(isEncryptedWithCurrentKey(old)).toBe(true);

    configure({
      NODE_ENV: "test",
      DATA_ENCRYPTION_KEY: keys(["k2", NEW], ["k1", OLD]),
      DATA_DIR: tempDir(),
    });
    expect(isEncryptedWithCurrentKey(old)).toBe(false);
    expect(decryptString(old, CONTEXT)).toBe("Maria, card 4000 0000 0000 0002");
    expect(encrypt("x", CONTEXT).startsWith("v1.k2.")).toBe(true);

    const moved = reencrypt(old, CONTEXT);
    expect(moved.startsWith("v1.k2.")).toBe(true);
    expect(isEncryptedWithCurrentKey(moved)).toBe(true);
    expect(reencrypt(moved, CONTEXT)).toBe(moved); // already current: unchanged
    expect(() => reencrypt(old, "another:context")).toThrow(DecryptionError);

    configure({ NODE_ENV: "test", DATA_ENCRYPTION_KEY: keys(["k2", NEW]), DATA_DIR: tempDir() });
    expect(decryptString(moved, CONTEXT)).toBe("Maria, card 4000 0000 0000 0002");
    const error = decryptFailure(() => decrypt(old, CONTEXT));
    expect(error.reason).toBe("unknown_key");
    expect(error.message).not.toContain(OLD.toString("base64"));
  });

  it("isEncryptedWithCurrentKey is false for garbage", () => {
    expect(isEncryptedWithCurrentKey("not a blob")).toBe(false);
  });
});

describe("DATA_ENCRYPTION_KEY", () => {
  it("accepts base64, base64url, unpadded, and a single bare key as k1", () => {
    const k = Buffer.from("fb".repeat(32), "hex"); // base64 has "+" and "/"
    expect(k.toString("base64")).toMatch(/[+/]/);
    for (const value of [
      `a:${k.toString("base64")}`,
      `a:${k.toString("base64url")}`,
      ` a : ${k.toString("base64").replace(/=$/, "")} `,
    ]) {
      configure({ NODE_ENV: "production", DATA_ENCRYPTION_KEY: value });
      const ring = dataEncryptionKeys();
      expect(ring.current.id).toBe("a");
      expect(ring.current.key.equals(k)).toBe(true);
    }
    configure({ NODE_ENV: "production", DATA_ENCRYPTION_KEY: k.toString("base64") });
    expect(dataEncryptionKeys().current.id).toBe("k1");
    expect(dataEncryptionKeys().current.key.equals(k)).toBe(true);
  });

  it("reads several keys; the first one encrypts", () => {
    configure({
      NODE_ENV: "production",
      DATA_ENCRYPTION_KEY: keys(["2025-b", NEW], ["2024_a", OLD]),
    });
    const ring = dataEncryptionKeys();
    expect(ring.current.id).toBe("2025-b");
    expect([...ring.keys.keys()]).toEqual(["2025-b", "2024_a"]);
  });

  const secretLooking = crypto.randomBytes(31).toString("base64");
  it.each([
    ["missing", undefined],
    ["too short", `k1:${secretLooking}`],
    ["too long", `k1:${crypto.randomBytes(33).toString("base64")}`],
    ["hex instead of base64", `k1:${crypto.randomBytes(32).toString("hex")}`],
    ["bad characters", `k1:${"*".repeat(43)}`],
    ["bad key id", `k.1:${OLD.toString("base64")}`],
    ["empty key id", `:${OLD.toString("base64")}`],
    ["duplicate key id", keys(["k1", OLD], ["k1", NEW])],
    ["empty entry", `${keys(["k1", OLD])},`],
  ])("refuses %s with a ConfigError in production", (_label, value) => {
    configure({ NODE_ENV: "production", DATA_ENCRYPTION_KEY: value });
    let error: unknown;
    try {
      dataEncryptionKeys();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain("DATA_ENCRYPTION_KEY");
    expect(message).not.toContain(secretLooking);
    expect(message).not.toContain(OLD.toString("base64"));
    expect(() => encrypt("x", CONTEXT)).toThrow(ConfigError);
  });

  it("refuses a malformed key in development too (no silent replacement)", () => {
    configure({ NODE_ENV: "development", DATA_ENCRYPTION_KEY: "k1:short", DATA_DIR: tempDir() });
    expect(() => dataEncryptionKeys()).toThrow(ConfigError);
  });

  it.each(["development", "test"])(
    "in %s, generates a key file once (mode 0600) and reuses it",
    (nodeEnv) => {
      const dir = path.join(tempDir(), "nested");
      configure({ NODE_ENV: nodeEnv, DATA_DIR: dir });
      const file = path.join(dir, "encryption-key");
      expect(fs.existsSync(file)).toBe(false);
      const blob = encrypt("kept across restarts", CONTEXT);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      const content = fs.readFileSync(file, "utf8");
      expect(content).toMatch(/^k1:[A-Za-z0-9_-]{43}\n$/);

      resetEnvCache(); // a restart
      expect(decryptString(blob, CONTEXT)).toBe("kept across restarts");
      expect(fs.readFileSync(file, "utf8")).toBe(content);

      // The file's value works as DATA_ENCRYPTION_KEY, e.g. when promoting a dev database.
      configure({ NODE_ENV: "production", DATA_ENCRYPTION_KEY: content.trim() });
      expect(decryptString(blob, CONTEXT)).toBe("kept across restarts");
    },
  );

  it("does not write a key file when DATA_ENCRYPTION_KEY is set", () => {
    const dir = tempDir();
    configure({ NODE_ENV: "development", DATA_ENCRYPTION_KEY: keys(["k1", OLD]), DATA_DIR: dir });
    encrypt("x", CONTEXT);
    expect(fs.existsSync(path.join(dir, "encryption-key"))).toBe(false);
  });
});
