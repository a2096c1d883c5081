import crypto from "node:crypto";
import jsQR from "jsqr";
import QRCode from "qrcode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DecryptionError } from "~/utils/encryption.server";
import { resetEnvCache } from "~/utils/env.server";
import {
  base64urlDecode,
  base64urlEncode,
  type Ed25519Engine,
  parseTicketToken,
  type TicketTokenPayload,
  ticketTokenPayload,
  verifyTicketToken,
} from "~/utils/ticket-token";
import {
  generateFestivalKeyPair,
  openPrivateKey,
  publicKeyOf,
  sealPrivateKey,
  signTicketToken,
} from "~/utils/ticket-signing.server";

/** A Prisma-style cuid (25 characters): what ids look like in this app. */
function cuid(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  let id = "c";
  for (const b of crypto.randomBytes(24)) id += alphabet[b % alphabet.length];
  return id;
}

const riga = { id: cuid(), keys: generateFestivalKeyPair() };
const warsaw = { id: cuid(), keys: generateFestivalKeyPair() };
const opens = Date.parse("2026-06-13T10:00:00Z");
const closes = Date.parse("2026-06-15T04:00:00Z");
const during = Date.parse("2026-06-14T20:30:00Z");
const payload: TicketTokenPayload = ticketTokenPayload({
  ticketId: cuid(),
  ticketTypeId: cuid(),
  festivalId: riga.id,
  notBefore: opens,
  notAfter: closes,
});
const token = signTicketToken(riga.keys.privateKeyPkcs8, payload);
const engines: Ed25519Engine[] = ["webcrypto", "js", "auto"];
const saved = { ...process.env };

beforeAll(() => {
  process.env.NODE_ENV = "test";
  process.env.DATA_ENCRYPTION_KEY = `k1:${crypto.randomBytes(32).toString("base64")}`;
  resetEnvCache();
});
afterAll(() => {
  process.env = { ...saved };
  resetEnvCache();
});

describe("signTicketToken / verifyTicketToken", () => {
  it.each(engines)("a signed token verifies (%s)", async (engine) => {
    const result = await verifyTicketToken(token, riga.keys.publicKey, {
      festivalId: riga.id,
      now: during,
      engine,
    });
    expect(result).toEqual({ ok: true, payload });
  });

  it("has the documented shape and is deterministic", () => {
    expect(token).toMatch(/^T1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{86}$/);
    expect(riga.keys.publicKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(signTicketToken(riga.keys.privateKeyPkcs8, payload)).toBe(token);
  });

  it.each(["js", "webcrypto"] as const)(
    "changing any one character breaks it (%s)",
    async (engine) => {
      const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
      const seen = new Set<string>();
      for (let i = 0; i < token.length; i++) {
        const at = alphabet.indexOf(token[i]!);
        // The next character, one far away, and one differing only in the lowest bit.
        for (const step of [1, 32, 0]) {
          const replacement =
            step === 0 ? alphabet[(at ^ 1) % 64]! : alphabet[(at + step) % alphabet.length]!;
          if (replacement === token[i]) continue;
          const changed = token.slice(0, i) + replacement + token.slice(i + 1);
          const result = await verifyTicketToken(changed, riga.keys.publicKey, {
            festivalId: riga.id,
            now: during,
            engine,
          });
          expect(result.ok, `position ${i}: ${token[i]} -> ${replacement}`).toBe(false);
          if (!result.ok) {
            expect(["bad_signature", "malformed"]).toContain(result.reason);
            seen.add(result.reason);
          }
        }
      }
      expect(seen).toEqual(new Set(["bad_signature", "malformed"]));
    },
  );

  it("refuses truncation, extension and re-encoding", async () => {
    const opts = { festivalId: riga.id, now: during };
    for (const bad of [
      token.slice(0, -1),
      token + "A",
      token.slice(1),
      ` ${token}`,
      token.replace(/^T1\./, "T2."),
      token + "=",
      token.toLowerCase(),
      "",
    ]) {
      const result = await verifyTicketToken(bad, riga.keys.publicKey, opts);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(["malformed", "bad_signature"]).toContain(result.reason);
    }
  });

  it.each(engines)(
    "a token made with another festival's key is a bad signature (%s)",
    async (engine) => {
      const forged = signTicketToken(warsaw.keys.privateKeyPkcs8, payload); // claims Riga, signed by Warsaw
      const result = await verifyTicketToken(forged, riga.keys.publicKey, {
        festivalId: riga.id,
        now: during,
        engine,
      });
      expect(result).toEqual({ ok: false, reason: "bad_signature" });
    },
  );

  it.each(engines)(
    "a valid signature for another festival id is wrong_festival (%s)",
    async (engine) => {
      expect(
        await verifyTicketToken(token, riga.keys.publicKey, {
          festivalId: warsaw.id,
          now: during,
          engine,
        }),
      ).toEqual({
        ok: false,
        reason: "wrong_festival",
        payload,
      });
      // Signed with the right key but naming another festival (a key reused by mistake).
      const misissued = signTicketToken(riga.keys.privateKeyPkcs8, { ...payload, f: warsaw.id });
      const result = await verifyTicketToken(misissued, riga.keys.publicKey, {
        festivalId: riga.id,
        now: during,
        engine,
      });
      expect(result.ok || result.reason).toBe("wrong_festival");
    },
  );

  it("a genuine ticket of another festival, checked with this festival's key, is a bad signature", async () => {
    const warsawTicket = signTicketToken(warsaw.keys.privateKeyPkcs8, { ...payload, f: warsaw.id });
    expect(
      await verifyTicketToken(warsawTicket, riga.keys.publicKey, {
        festivalId: riga.id,
        now: during,
      }),
    ).toEqual({
      ok: false,
      reason: "bad_signature",
    });
  });

  it.each(engines)("checks the validity window with an injected clock (%s)", async (engine) => {
    const at = (now: Date | number, leewaySeconds?: number) =>
      verifyTicketToken(token, riga.keys.publicKey, {
        festivalId: riga.id,
        now,
        engine,
        leewaySeconds,
      });
    expect(await at(opens - 1000)).toEqual({ ok: false, reason: "not_yet_valid", payload });
    expect((await at(opens)).ok).toBe(true);
    expect((await at(new Date(closes))).ok).toBe(true);
    expect((await at(closes + 999)).ok).toBe(true); // same second
    expect(await at(closes + 1000)).toEqual({ ok: false, reason: "expired", payload });
    expect((await at(closes + 60_000, 120)).ok).toBe(true);
    expect((await at(opens - 60_000, 120)).ok).toBe(true);
  });

  it("does not report the window of a token whose signature is bad", async () => {
    const forged = signTicketToken(warsaw.keys.privateKeyPkcs8, payload);
    const result = await verifyTicketToken(forged, riga.keys.publicKey, {
      festivalId: riga.id,
      now: closes + 86_400_000,
    });
    expect(result).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("refuses a public key that is not 32 bytes of base64url", async () => {
    await expect(verifyTicketToken(token, "abc", { festivalId: riga.id })).rejects.toThrow(
      TypeError,
    );
    await expect(
      verifyTicketToken(token, riga.keys.publicKey + "A", { festivalId: riga.id }),
    ).rejects.toThrow(TypeError);
  });
});

describe("payload: a ticket, never a person", () => {
  it("carries exactly ticket id, type, festival and validity", () => {
    const parsed = parseTicketToken(token);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(Object.keys(parsed.token.payload).sort()).toEqual(["f", "na", "nb", "t", "v", "y"]);
    const json = new TextDecoder().decode(base64urlDecode(token.split(".")[1]!));
    expect(JSON.parse(json)).toEqual(payload);
    expect(json).not.toMatch(/@|email|name|mail/i);
  });

  it("refuses to sign personal data or anything else extra", () => {
    const withEmail = { ...payload, email: "ada@example.test" } as unknown as TicketTokenPayload;
    expect(() => signTicketToken(riga.keys.privateKeyPkcs8, withEmail)).toThrow(
      /unexpected field "email"/,
    );
    const withName = { ...payload, t: "Ada Lovelace" };
    expect(() => signTicketToken(riga.keys.privateKeyPkcs8, withName)).toThrow(TypeError);
    expect(() =>
      ticketTokenPayload({
        ticketId: "a",
        ticketTypeId: "b",
        festivalId: "c",
        notBefore: closes,
        notAfter: opens,
      }),
    ).toThrow(/nb is after na/);
  });

  it("parseTicketToken explains what is wrong", () => {
    const body = (value: unknown) =>
      base64urlEncode(new TextEncoder().encode(JSON.stringify(value)));
    const sig = token.split(".")[2]!;
    const cases: [string, RegExp][] = [
      ["hello", /does not start with T1\./],
      [`T1.${body(payload)}`, /expected T1\.<payload>\.<signature>/],
      [`T1.${body(payload)}.AAAA`, /signature is not 64 bytes/],
      [`T1.${body(payload)}.${sig.slice(0, -1)}B`, /signature is not canonical/],
      [`T1.${base64urlEncode(new Uint8Array([0xff]))}.${sig}`, /not UTF-8 JSON/],
      [`T1.${body({ ...payload, name: "Ada" })}.${sig}`, /unexpected field "name"/],
      [`T1.${body({ ...payload, v: 2 })}.${sig}`, /v must be 1/],
      [`T1.${body({ ...payload, nb: 1.5 })}.${sig}`, /nb must be epoch seconds/],
      [`T1.${body([1])}.${sig}`, /not an object/],
      [`T1.${"A".repeat(2000)}.${sig}`, /too long/],
    ];
    for (const [input, detail] of cases) {
      const result = parseTicketToken(input);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.detail).toMatch(detail);
    }
  });
});

describe("QR code", () => {
  it("stays small and scans back with an independent decoder (jsQR) at error correction M", () => {
    const qr = QRCode.create(token, { errorCorrectionLevel: "M" });
    console.log(
      `ticket token: ${token.length} characters (cuid ids) -> QR version ${qr.version} (${qr.modules.size}x${qr.modules.size} modules) at level M`,
    );
    expect(token.length).toBeLessThan(280);
    expect(qr.version).toBeLessThanOrEqual(12);

    // Paint the modules into an RGBA bitmap ourselves: 4 px per module, 4-module quiet zone.
    const scale = 4;
    const margin = 4;
    const size = (qr.modules.size + 2 * margin) * scale;
    const rgba = new Uint8ClampedArray(size * size * 4).fill(255);
    for (let y = 0; y < qr.modules.size; y++) {
      for (let x = 0; x < qr.modules.size; x++) {
        if (!qr.modules.get(y, x)) continue;
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const p = (((y + margin) * scale + dy) * size + (x + margin) * scale + dx) * 4;
            rgba[p] = rgba[p + 1] = rgba[p + 2] = 0;
          }
        }
      }
    }
    const decoded = jsQR(rgba, size, size);
    expect(decoded?.data).toBe(token);
  });
});

describe("festival key pairs", () => {
  it("seals the private key for one festival only and opens it to a working key", async () => {
    const sealed = sealPrivateKey(riga.id, riga.keys.privateKeyPkcs8);
    expect(sealed.startsWith("v1.k1.")).toBe(true);
    expect(sealed).not.toContain(riga.keys.privateKeyPkcs8.toString("base64url").slice(-43));
    const key = openPrivateKey(riga.id, sealed);
    expect(publicKeyOf(key)).toBe(riga.keys.publicKey);
    const fresh = signTicketToken(key, { ...payload, t: cuid() });
    expect(
      (await verifyTicketToken(fresh, riga.keys.publicKey, { festivalId: riga.id, now: during }))
        .ok,
    ).toBe(true);
    expect(() => openPrivateKey(warsaw.id, sealed)).toThrow(DecryptionError);
  });

  it("refuses to seal or sign with something that is not an Ed25519 private key", () => {
    const { privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
    const p256 = privateKey.export({ format: "der", type: "pkcs8" });
    expect(() => sealPrivateKey(riga.id, p256)).toThrow(/Not an Ed25519/);
    expect(() => signTicketToken(privateKey, payload)).toThrow(TypeError);
    expect(() => sealPrivateKey(riga.id, Buffer.from("junk"))).toThrow(TypeError);
  });

  it("generates distinct key pairs", () => {
    const a = generateFestivalKeyPair();
    const b = generateFestivalKeyPair();
    expect(a.publicKey).not.toBe(b.publicKey);
  });
});

describe("base64url", () => {
  it("matches Node's encoder and refuses non-canonical input", () => {
    for (let n = 0; n < 70; n++) {
      const bytes = crypto.randomBytes(n);
      const text = base64urlEncode(bytes);
      expect(text).toBe(bytes.toString("base64url"));
      expect(Buffer.from(base64urlDecode(text)!).equals(bytes)).toBe(true);
    }
    expect(base64urlDecode("AB")).toBeUndefined(); // unused bits set
    expect(base64urlDecode("AA")).toEqual(new Uint8Array([0]));
    expect(base64urlDecode("AAAAA")).toBeUndefined();
    expect(base64urlDecode("AA==")).toBeUndefined();
    expect(base64urlDecode("A+/A")).toBeUndefined();
  });
});

describe("speed", () => {
  it.each(engines)("prints the mean time of 1,000 verifications (%s)", async (engine) => {
    const opts = { festivalId: riga.id, now: during, engine };
    await verifyTicketToken(token, riga.keys.publicKey, opts); // import the key once (cached)
    const runs = 1000;
    const start = performance.now();
    for (let i = 0; i < runs; i++) {
      const result = await verifyTicketToken(token, riga.keys.publicKey, opts);
      if (!result.ok) throw new Error(result.reason);
    }
    const mean = (performance.now() - start) / runs;
    console.log(
      `verifyTicketToken (${engine}): mean ${(mean * 1000).toFixed(0)} µs over ${runs} runs (target: < 5 ms in a browser)`,
    );
  });
});
