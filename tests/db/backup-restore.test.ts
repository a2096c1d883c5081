// Issue 12: `npm run backup` takes an encrypted, consistent copy while the app
// (a process of its own) keeps taking orders; `npm run restore` puts it back:
// the books balance, a ticket signed before still admits, the pictures and
// receipts come back byte for byte. A wrong passphrase, a flipped byte, a cut
// file and a database in use are refused with a clear message, leaving nothing.
import { createClient } from "@libsql/client";
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { disconnectDatabase } from "~/utils/db.server";
import { root } from "../../scripts/lib.js";
import { Client } from "../helpers/app";
import { spawnApp, type AppProcess } from "../helpers/app-process";
import { freshTestEnv } from "../helpers/env";
import {
  apiToken,
  buyDoorTicket,
  createDoorDeviceViaApi,
  createUserRow,
  doorFestival,
  uniqueEmail,
} from "../helpers/fixtures";
import { assertLedgerBalanced } from "../helpers/ledger";

const PASSPHRASE = "correct backup passphrase 0123456789";
const env = freshTestEnv({
  RATE_LIMIT_PER_MINUTE: "0",
  DATA_ENCRYPTION_KEY: `k1:${crypto.randomBytes(32).toString("base64")}`,
});
const CANARY_EMAIL = `canary-${crypto.randomBytes(4).toString("hex")}@example.test`;
const CANARY_NAME = "Zinaida Kanareikina";
const picture = crypto.randomBytes(40_000);
const receipt = Buffer.concat([Buffer.from("%PDF-1.4\n"), crypto.randomBytes(3_000)]);

let app: AppProcess | undefined;
let restoredApp: AppProcess | undefined;
let client: Client;
let festival: { id: string; typeId: string };
let canary: { qrToken: string };
let deviceToken: string;
let backupFile: string;

type Run = { status: number | null; stdout: string; stderr: string; ms: number };

/** Run one of the scripts as `npm run` would (cwd: the project), asynchronously. */
function run(
  script: string,
  args: string[],
  extra: Record<string, string> = {},
  /** A file size limit (RLIMIT_FSIZE, KiB): writes beyond it fail as on a full disk. */
  fileLimitKib?: number,
): Promise<Run> {
  const started = performance.now();
  const command = [process.execPath, path.join(root, "scripts", script), ...args];
  const [file, ...argv] =
    fileLimitKib === undefined
      ? command
      : ["sh", "-c", `ulimit -f ${fileLimitKib} && exec "$@"`, "sh", ...command];
  return new Promise((resolve) => {
    const child = spawn(file!, argv, {
      cwd: root,
      env: { ...process.env, BACKUP_PASSPHRASE: PASSPHRASE, ...extra },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("exit", (status) =>
      resolve({ status, stdout, stderr, ms: performance.now() - started }),
    );
  });
}

async function query(file: string, sql: string) {
  const db = createClient({ url: `file:${file}` });
  try {
    return (await db.execute(sql)).rows;
  } finally {
    db.close();
  }
}

const count = async (file: string, table: string) =>
  Number((await query(file, `SELECT count(*) AS n FROM "${table}"`))[0]!.n);

beforeAll(async () => {
  app = await spawnApp();
  client = new Client(app.url);
  const admin = await createUserRow({ role: "admin" });
  const token = await apiToken(app.url, admin.email);
  festival = await doorFestival(client, token);
  deviceToken = (await createDoorDeviceViaApi(client, token, festival.id)).token;
  canary = await buyDoorTicket(client, festival.id, festival.typeId, {
    email: CANARY_EMAIL,
    name: CANARY_NAME,
  });
  for (const folder of ["media", "receipts"]) fs.mkdirSync(path.join(env.dir, folder));
  fs.writeFileSync(path.join(env.dir, "media", "artist-picture.webp"), picture);
  fs.writeFileSync(path.join(env.dir, "media", "upload.tmp"), "half-written");
  fs.writeFileSync(path.join(env.dir, "receipts", "cost-receipt.pdf"), receipt);
  // This process leaves the database to the app: only the app has it open.
  await disconnectDatabase();
}, 90_000);

afterAll(async () => {
  await app?.kill();
  await restoredApp?.kill();
});

describe("npm run backup", () => {
  it("refuses to run without a passphrase, and with a short one", async () => {
    const none = await run("backup.js", [], { BACKUP_PASSPHRASE: "" });
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/BACKUP_PASSPHRASE is not set: refusing/);
    const short = await run("backup.js", [], { BACKUP_PASSPHRASE: "short" });
    expect(short.status).toBe(1);
    expect(short.stderr).toMatch(/at least 16 characters/);
    expect(fs.existsSync(path.join(env.dir, "backups"))).toBe(false);
  });

  it("writes an encrypted, consistent copy while the app takes orders, and it restores whole", async () => {
    const before = await count(env.databaseFile, "Order");
    // The write load: four buyers ordering back to back until the backup is done.
    let stop = false;
    const statuses: number[] = [];
    const finishedAt: number[] = [];
    const buyer = async () => {
      while (!stop) {
        const res = await client.api("POST", `/api/v1/festivals/${festival.id}/orders`, {
          items: [{ ticketTypeId: festival.typeId, quantity: 1 }],
          email: uniqueEmail("load"),
          name: "Load Buyer",
          paymentMethod: "door",
        });
        statuses.push(res.status);
        finishedAt.push(performance.now());
      }
    };
    const buyers = [buyer(), buyer(), buyer(), buyer()];
    await new Promise((r) => setTimeout(r, 300));
    const backupStarted = performance.now();
    const backup = await run("backup.js", [], { BACKUP_DIR: path.join(env.dir, "backups") });
    const backupEnded = performance.now();
    await new Promise((r) => setTimeout(r, 200));
    stop = true;
    await Promise.all(buyers);
    expect(backup.status, backup.stderr).toBe(0);
    expect(backup.stdout).toMatch(
      /backup written: .*festival-\S+\.backup .*media: 1 files, receipts: 1 files/,
    );
    expect(new Set(statuses)).toEqual(new Set([201]));
    const duringBackup = finishedAt.filter((t) => t > backupStarted && t < backupEnded).length;
    expect(duringBackup).toBeGreaterThan(0);
    const after = await count(env.databaseFile, "Order");
    expect(after).toBe(before + statuses.length);

    const files = fs.readdirSync(path.join(env.dir, "backups"));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^festival-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.backup$/);
    backupFile = path.join(env.dir, "backups", files[0]!);
    expect(fs.statSync(backupFile).mode & 0o777).toBe(0o600);
    // No readable byte: not the names and addresses the live file holds, not SQLite's header, not the picture.
    const live = fs.readFileSync(env.databaseFile);
    const bytes = fs.readFileSync(backupFile);
    for (const needle of [CANARY_EMAIL, CANARY_NAME, "Load Buyer"])
      expect(live.includes(needle), `the live database holds ${needle}`).toBe(true);
    for (const needle of [
      CANARY_EMAIL,
      CANARY_NAME,
      "Load Buyer",
      "SQLite format 3",
      "example.test",
    ])
      expect(bytes.includes(needle), needle).toBe(false);
    expect(bytes.includes(picture.subarray(1000, 1032))).toBe(false);
    expect(bytes.subarray(0, 9).toString("latin1")).toBe("FESTBKUP\u0001");
    // No plaintext copy was left beside the database.
    expect(fs.readdirSync(env.dir).filter((f) => f.includes(".backup-"))).toEqual([]);

    // Restore into a new place, as onto a new server.
    const target = path.join(env.dir, "restored");
    const restoredDb = path.join(target, "festival.db");
    const restore = await run("restore.js", [backupFile], {
      DATABASE_URL: `file:${restoredDb}`,
      DATA_DIR: target,
    });
    expect(restore.status, restore.stderr).toBe(0);
    expect(restore.stdout).toMatch(/verified: taken .*media: 1 files, receipts: 1 files/);
    expect((await query(restoredDb, "PRAGMA integrity_check"))[0]![0]).toBe("ok");
    await assertLedgerBalanced(`file:${restoredDb}`);
    // One moment's state: every order from before the backup, none from after it, each whole.
    const restored = await count(restoredDb, "Order");
    expect(restored).toBeGreaterThanOrEqual(before + 1);
    expect(restored).toBeLessThanOrEqual(after);
    expect(await count(restoredDb, "Ticket")).toBe(restored);
    expect(fs.readFileSync(path.join(target, "media", "artist-picture.webp")).equals(picture)).toBe(
      true,
    );
    expect(fs.readFileSync(path.join(target, "receipts", "cost-receipt.pdf")).equals(receipt)).toBe(
      true,
    );
    expect(fs.readdirSync(path.join(target, "media"))).toEqual(["artist-picture.webp"]);

    // The restored app admits the ticket signed before the backup, and still refuses a forged one.
    restoredApp = await spawnApp({ env: { DATABASE_URL: `file:${restoredDb}`, DATA_DIR: target } });
    const door = new Client(restoredApp.url);
    const scan = (token: string) =>
      door.api("POST", "/api/v1/door/scans", { token, nonce: crypto.randomUUID() }, deviceToken);
    const at = canary.qrToken.length - 5;
    const forged =
      canary.qrToken.slice(0, at) +
      (canary.qrToken[at] === "A" ? "B" : "A") +
      canary.qrToken.slice(at + 1);
    expect((await scan(forged)).json()).toMatchObject({ result: "invalid" });
    expect((await scan(canary.qrToken)).json()).toMatchObject({ result: "admitted" });
    expect(await restoredApp.stop()).toBe(0);
    restoredApp = undefined;
  }, 120_000);
});

describe("npm run restore refuses", () => {
  const nowhere = () => path.join(env.dir, `nowhere-${crypto.randomBytes(3).toString("hex")}`);
  async function refused(
    file: string,
    code: number,
    message: RegExp,
    extra: Record<string, string> = {},
  ) {
    const target = nowhere();
    const out = await run("restore.js", [file], {
      DATABASE_URL: `file:${path.join(target, "festival.db")}`,
      DATA_DIR: target,
      ...extra,
    });
    expect(out.stderr).toMatch(message);
    expect(out.stderr).toMatch(/nothing was restored/);
    expect(out.status).toBe(code);
    expect(fs.existsSync(target), "nothing written").toBe(false);
  }
  function variant(name: string, change: (bytes: Buffer) => Buffer) {
    const file = path.join(env.dir, name);
    fs.writeFileSync(file, change(Buffer.from(fs.readFileSync(backupFile))));
    return file;
  }
  const flip = (at: (length: number) => number) => (b: Buffer) => {
    b[at(b.length)]! ^= 0x01;
    return b;
  };

  it("a wrong passphrase", async () => {
    await refused(backupFile, 3, /wrong passphrase/, {
      BACKUP_PASSPHRASE: "another passphrase 0123456789",
    });
  });

  it("one flipped bit anywhere: the header, the middle, the last byte", async () => {
    await refused(
      variant(
        "salt.backup",
        flip(() => 20),
      ),
      3,
      /wrong passphrase \(or the backup's header is damaged\)/,
    );
    await refused(
      variant(
        "middle.backup",
        flip((n) => Math.floor(n / 2)),
      ),
      4,
      /damaged or truncated/,
    );
    await refused(
      variant(
        "last.backup",
        flip((n) => n - 1),
      ),
      4,
      /damaged or truncated/,
    );
  });

  it("a cut file (inside a chunk and at a chunk boundary), an appended byte, and what is not a backup", async () => {
    await refused(
      variant("cut.backup", (b) => b.subarray(0, b.length - 100)),
      4,
      /damaged or truncated/,
    );
    // 85-byte header, then chunks of 64 KiB + a 16-byte tag.
    await refused(
      variant("boundary.backup", (b) => b.subarray(0, 85 + 2 * 65_552)),
      4,
      /damaged or truncated/,
    );
    await refused(
      variant("longer.backup", (b) => Buffer.concat([b, Buffer.from([0])])),
      4,
      /damaged or truncated/,
    );
    await refused(env.databaseFile, 4, /not a backup file/);
  });

  it("--check verifies a copy without writing anything, and refuses a damaged one the same way", async () => {
    const target = nowhere();
    const placeEnv = { DATABASE_URL: `file:${path.join(target, "festival.db")}`, DATA_DIR: target };
    const good = await run("restore.js", [backupFile, "--check"], placeEnv);
    expect(good.status, good.stderr).toBe(0);
    expect(good.stdout).toMatch(/verified: taken /);
    expect(good.stdout).not.toMatch(/restored into/);
    expect(fs.existsSync(target)).toBe(false);
    const bad = await run(
      "restore.js",
      [
        variant(
          "check.backup",
          flip((n) => n - 40),
        ),
        "--check",
      ],
      placeEnv,
    );
    expect(bad.stderr).toMatch(/damaged or truncated.*nothing was restored/);
    expect(bad.status).toBe(4);
    expect(fs.existsSync(target)).toBe(false);
  });

  it("a restore that cannot write (as on a full disk): exit 1, the target as it was, nothing left over", async () => {
    const place = path.join(env.dir, "full");
    fs.mkdirSync(place);
    const placeDb = path.join(place, "festival.db");
    // A database of its own that nobody has open (this process opens it only afterwards).
    const source = path.join(env.dir, "restored", "festival.db");
    fs.copyFileSync(source, placeDb);
    const inode = fs.statSync(placeDb).ino;
    const out = await run(
      "restore.js",
      [backupFile],
      { DATABASE_URL: `file:${placeDb}`, DATA_DIR: place },
      64,
    );
    expect(out.stderr).toMatch(/failed, nothing was restored: writing database\.db: EFBIG/);
    expect(out.status).toBe(1);
    expect(fs.readdirSync(place)).toEqual(["festival.db"]);
    expect(fs.statSync(placeDb).ino, "not replaced").toBe(inode);
    expect(await count(placeDb, "Order")).toBe(await count(source, "Order"));
    expect((await query(placeDb, "PRAGMA integrity_check"))[0]![0]).toBe("ok");
  });

  it("a database in use (unless --force), and replaces it once the app is stopped, keeping the old one beside", async () => {
    // A place this test process never opens before the swap (a closed libSQL
    // client keeps its file lock until garbage collection, which would look
    // like another user of the database).
    const place = path.join(env.dir, "live");
    const placeDb = path.join(place, "festival.db");
    const placeEnv = { DATABASE_URL: `file:${placeDb}`, DATA_DIR: place };
    const first = await run("restore.js", [backupFile], placeEnv);
    expect(first.status, first.stderr).toBe(0);
    const live = await spawnApp({ env: placeEnv });
    const order = await new Client(live.url).api(
      "POST",
      `/api/v1/festivals/${festival.id}/orders`,
      {
        items: [{ ticketTypeId: festival.typeId, quantity: 1 }],
        email: uniqueEmail("after"),
        paymentMethod: "door",
      },
    );
    expect(order.status).toBe(201);
    const inode = fs.statSync(placeDb).ino;
    const busy = await run("restore.js", [backupFile], placeEnv);
    expect(busy.stderr).toMatch(
      /is in use by another process: stop the app first.*nothing was restored/,
    );
    expect(busy.status).toBe(5);
    expect(fs.statSync(placeDb).ino).toBe(inode);
    expect((await fetch(`${live.url}/healthz`)).status).toBe(200);

    // Told to (--force): replaced under the running app, whose open files step aside with its writes.
    const forced = await run("restore.js", [backupFile, "--force"], placeEnv);
    expect(forced.status, forced.stderr).toBe(0);
    expect(fs.statSync(placeDb).ino).not.toBe(inode);
    expect(await live.stop()).toBe(0);
    // Once it is stopped no flag is needed; a second run sets aside under another name.
    const done = await run("restore.js", [backupFile], placeEnv);
    expect(done.status, done.stderr).toBe(0);
    expect(done.stdout).toMatch(/kept beside it: .*festival\.db\.pre-restore-/);
    const aside = fs
      .readdirSync(place)
      .filter((f) => f.startsWith("festival.db.pre-restore-") && !/-(?:wal|shm|journal)$/.test(f))
      .sort();
    expect(aside).toHaveLength(2);
    const restored = await count(placeDb, "Order");
    const [forcedAside, lastAside] = aside.sort(
      (a, b) => a.length - b.length || a.localeCompare(b),
    );
    expect(await count(path.join(place, forcedAside!), "Order")).toBe(restored + 1);
    expect(await count(path.join(place, lastAside!), "Order")).toBe(restored);
    expect(fs.existsSync(`${placeDb}-wal`)).toBe(false);
    await assertLedgerBalanced(`file:${placeDb}`);
    const stamp = lastAside!.split(".db.")[1];
    expect(fs.readdirSync(place)).toEqual(
      expect.arrayContaining(["media", `media.${stamp}`, "receipts", `receipts.${stamp}`]),
    );
  }, 60_000);
});
