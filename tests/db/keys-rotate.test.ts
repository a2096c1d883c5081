// `npm run keys:rotate` and the start-up key check (decision 0035), on a real
// SQLite file with a value in every sealed column: festival signing keys,
// recipients, payout notes and references, second-factor secrets. Rotating
// with two keys moves everything to the newest; then the old key is dropped
// and everything still decrypts; a wrong or missing key fails at start with a
// message that names what it could not read and no secret.
import { spawn, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { root } from "../../scripts/lib.js";
import { freshTestEnv, type TestEnv } from "../helpers/env";
import { createFestivalRow, createPrisonerRow } from "../helpers/fixtures";
import { createMoneyUser } from "../helpers/treasury";
import { disconnectDatabase, prisma, sqlClient } from "~/utils/db.server";
import { decryptString, encrypt } from "~/utils/encryption.server";
import { ConfigError, resetEnvCache } from "~/utils/env.server";
import { checkSealedValues, SEALED_COLUMNS } from "~/utils/sealed-values.server";
import { runStartupTasks } from "~/utils/startup.server";
import { openPrivateKey, publicKeyOf, sealPrivateKey, generateFestivalKeyPair } from "~/utils/ticket-signing.server"; // prettier-ignore

const key = () => crypto.randomBytes(32).toString("base64");
const OLD = key();
const NEW = key();
const WRONG = key();

let env: TestEnv;

function useKeys(value: string) {
  process.env.DATA_ENCRYPTION_KEY = value;
  resetEnvCache();
}

/** What each sealed value must decrypt to, by "table.column:id". */
const plaintexts = new Map<string, string>();
const festivalPublicKeys = new Map<string, string>();

beforeAll(async () => {
  env = freshTestEnv({ DATA_ENCRYPTION_KEY: `old:${OLD}` });
  resetEnvCache();
  for (let i = 0; i < 3; i++) {
    const festival = await createFestivalRow();
    const pair = generateFestivalKeyPair();
    await prisma.festivalKey.create({
      data: {
        festivalId: festival.id,
        publicKey: pair.publicKey,
        privateKeySealed: sealPrivateKey(festival.id, pair.privateKeyPkcs8),
      },
    });
    festivalPublicKeys.set(festival.id, pair.publicKey);
  }
  const prisoner = await createPrisonerRow(`rotate-${Date.now()}`, { en: "Rotation Prisoner" });
  const proposer = await createMoneyUser();
  for (let i = 0; i < 250; i++) {
    // More than one batch of recipients.
    const id = `rcp-${String(i).padStart(4, "0")}`;
    const detail = JSON.stringify({
      displayName: `Mother ${i}`,
      details: `card 4000 0000 0000 ${String(i).padStart(4, "0")}`,
      notes: "",
    });
    await prisma.recipient.create({
      data: {
        id,
        prisonerId: prisoner.id,
        kind: "relative",
        sealed: encrypt(detail, `recipient:${id}`),
      },
    });
    plaintexts.set(`Recipient.sealed:${id}`, detail);
  }
  for (let i = 0; i < 3; i++) {
    const id = `pay-${i}`;
    const note = `lawyer visit ${i}`;
    const reference = `ref-${i}`;
    await prisma.payout.create({
      data: {
        id,
        prisonerId: prisoner.id,
        recipientId: "rcp-0000",
        category: "lawyer",
        amountMinor: 1000,
        currency: "RUB",
        month: "2030-01",
        proposedById: proposer.id,
        noteSealed: encrypt(note, `payout:${id}`),
        // One payout without a reference: null columns are skipped.
        referenceSealed: i === 2 ? null : encrypt(reference, `payout:${id}`),
      },
    });
    plaintexts.set(`Payout.noteSealed:${id}`, note);
    if (i !== 2) plaintexts.set(`Payout.referenceSealed:${id}`, reference);
  }
  plaintexts.set(`User.totpSecretSealed:${proposer.id}`, proposer.secret);
  for (let i = 0; i < 2; i++) {
    const u = await createMoneyUser();
    plaintexts.set(`User.totpSecretSealed:${u.id}`, u.secret);
  }
});
afterAll(() => disconnectDatabase());

/** Every sealed value in the database, by "table.column:id". */
async function sealedValues() {
  const out = new Map<string, string>();
  for (const c of SEALED_COLUMNS) {
    const rows = await sqlClient().execute(
      `SELECT "${c.id}" AS id, "${c.column}" AS v FROM "${c.table}" WHERE "${c.column}" IS NOT NULL`,
    );
    for (const r of rows.rows) out.set(`${c.table}.${c.column}:${String(r.id)}`, String(r.v));
  }
  return out;
}

function rotate(keys: string) {
  const result = spawnSync(process.execPath, [path.join(root, "scripts", "keys-rotate.js")], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: "test",
      DATABASE_URL: env.databaseUrl,
      DATA_DIR: env.dir,
      DATA_ENCRYPTION_KEY: keys,
    },
    encoding: "utf8",
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function expectAllDecrypt() {
  return async () => {
    const values = await sealedValues();
    expect(values.size).toBe(plaintexts.size + festivalPublicKeys.size);
    for (const [where, value] of values) {
      const [column, id] = where.split(":") as [string, string];
      if (column === "FestivalKey.privateKeySealed") {
        expect(publicKeyOf(openPrivateKey(id, value))).toBe(festivalPublicKeys.get(id));
      } else {
        const c = SEALED_COLUMNS.find((s) => `${s.table}.${s.column}` === column)!;
        expect(decryptString(value, c.context(id)), where).toBe(plaintexts.get(where));
      }
    }
  };
}

describe("npm run keys:rotate", () => {
  it("starts with everything under the old key, readable", async () => {
    for (const v of (await sealedValues()).values()) expect(v.startsWith("v1.old.")).toBe(true);
    await expectAllDecrypt()();
    expect(await checkSealedValues(sqlClient())).toBe(SEALED_COLUMNS.length);
  });

  it("re-encrypts every sealed value under the newest key and prints the counts", async () => {
    const before = await sealedValues();
    const out = rotate(`new:${NEW},old:${OLD}`);
    expect(out.status, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({
      "FestivalKey.privateKeySealed": { total: 3, reencrypted: 3 },
      "Recipient.sealed": { total: 250, reencrypted: 250 },
      "Payout.noteSealed": { total: 3, reencrypted: 3 },
      "Payout.referenceSealed": { total: 2, reencrypted: 2 },
      "User.totpSecretSealed": { total: 3, reencrypted: 3 },
    });
    expect(out.stderr).toContain("re-encrypted 261 value(s)");
    const after = await sealedValues();
    for (const [where, v] of after) {
      expect(v.startsWith("v1.new."), where).toBe(true);
      expect(v).not.toBe(before.get(where));
    }
    // Nothing secret on the output.
    const printed = out.stdout + out.stderr;
    for (const p of plaintexts.values()) expect(printed).not.toContain(p);
    expect(printed).not.toContain(NEW);
    expect(printed).not.toContain(OLD);
  });

  it("is idempotent: a second run re-encrypts nothing", async () => {
    const before = await sealedValues();
    const out = rotate(`new:${NEW},old:${OLD}`);
    expect(out.status, out.stderr).toBe(0);
    const counts = JSON.parse(out.stdout) as Record<string, { reencrypted: number }>;
    for (const c of Object.values(counts)) expect(c.reencrypted).toBe(0);
    expect(await sealedValues()).toEqual(before);
  });

  it("after it the old key can be dropped: everything decrypts with the new key alone", async () => {
    useKeys(`new:${NEW}`);
    await expectAllDecrypt()();
    await expect(runStartupTasks()).resolves.toBeUndefined();
    expect(await checkSealedValues(sqlClient())).toBe(SEALED_COLUMNS.length);
  });

  it("stops without writing when a value cannot be decrypted, naming the row, not the value", async () => {
    const before = await sealedValues();
    const out = rotate(`other:${WRONG}`);
    expect(out.status).toBe(2);
    expect(out.stderr).toMatch(/keys:rotate: DATA_ENCRYPTION_KEY cannot decrypt \S+ of row \S+/);
    expect(out.stderr).toContain('"new" is not configured');
    expect(out.stderr).not.toContain(WRONG);
    expect(await sealedValues()).toEqual(before);
  });
});

describe("the start-up check", () => {
  it("fails with a ConfigError when the key with that id is the wrong one", async () => {
    useKeys(`new:${WRONG}`);
    const error = await checkSealedValues(sqlClient()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain("DATA_ENCRYPTION_KEY cannot decrypt the data in this database");
    expect(message).toContain('the configured key "new" is not the one that sealed it');
    expect(message).not.toContain(WRONG);
    await expect(runStartupTasks()).rejects.toBeInstanceOf(ConfigError);
  });

  it("fails when the key that sealed the data is missing (dropped too early)", async () => {
    useKeys(`newer:${key()}`);
    const error = (await checkSealedValues(sqlClient()).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('sealed with key "new", which is not configured');
  });

  it("finds a dropped key even when only some rows still use it", async () => {
    // One recipient left under the old key (a rotation interrupted), the rest under the new.
    useKeys(`old:${OLD}`);
    const lagging = encrypt(plaintexts.get("Recipient.sealed:rcp-0100")!, "recipient:rcp-0100");
    await prisma.recipient.update({ where: { id: "rcp-0100" }, data: { sealed: lagging } });
    useKeys(`new:${NEW}`);
    const error = (await checkSealedValues(sqlClient()).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain("Recipient.sealed");
    expect(error.message).toContain('key "old", which is not configured');
    useKeys(`new:${NEW},old:${OLD}`);
    expect(await checkSealedValues(sqlClient())).toBe(SEALED_COLUMNS.length + 1);
  });

  it(
    "npm start with a wrong key exits 1 with the message and no stack or secret",
    { timeout: 120_000 },
    async () => {
      const child = spawn(process.execPath, [path.join(root, "scripts", "start.js")], {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? "",
          PORT: "0",
          NODE_ENV: "test",
          SEED_DEMO: "0",
          DATABASE_URL: env.databaseUrl,
          DATA_DIR: env.dir,
          SESSION_SECRET: "test-session-secret-0123456789abcdef",
          DATA_ENCRYPTION_KEY: `new:${WRONG}`,
        } as unknown as NodeJS.ProcessEnv,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.on("data", (d: Buffer) => (output += d.toString()));
      child.stderr.on("data", (d: Buffer) => (output += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
      expect(code, output).toBe(1);
      expect(output).toContain("DATA_ENCRYPTION_KEY cannot decrypt the data in this database");
      expect(output).not.toContain("running at");
      expect(output).not.toMatch(/\n\s+at /);
      expect(output).not.toContain(WRONG);
    },
  );
});
