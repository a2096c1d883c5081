// `npm run backup`: one encrypted file in BACKUP_DIR holding a consistent copy
// of the database taken while the app keeps running (SQLite's VACUUM INTO reads
// one snapshot under WAL without stopping writers), then the uploaded pictures
// (DATA_DIR/media) and the costs' receipts (DATA_DIR/receipts), taken after the
// database so every file its rows name is in the copy (decision 0044).
// Encrypted with BACKUP_PASSPHRASE (scripts/backup-file.js); refuses to run
// without one. The plaintext copy exists only beside the live database, for the
// time it takes to pack it, and is deleted after.
import { createClient } from "@libsql/client";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import { encryptingStream, FORMAT_VERSION } from "./backup-file.js";
import {
  databaseFileOf,
  FOLDERS,
  folderFiles,
  MIN_PASSPHRASE,
  removeLeftovers,
} from "./backup-paths.js";
import { DEFAULT_DATABASE_URL } from "./lib.js";

function fail(message) {
  console.error(`backup: ${message}`);
  process.exit(1);
}

const passphrase = process.env.BACKUP_PASSPHRASE ?? "";
if (!passphrase)
  fail(
    "BACKUP_PASSPHRASE is not set: refusing to write a backup that is not encrypted " +
      "(make one with `openssl rand -base64 24` and keep it apart from the backups)",
  );
if (passphrase.length < MIN_PASSPHRASE)
  fail(`BACKUP_PASSPHRASE must be at least ${MIN_PASSPHRASE} characters`);

const url = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
const databaseFile = databaseFileOf(url);
if (!databaseFile) fail("only file: databases; back up a libSQL server with its own tools");
if (!fs.existsSync(databaseFile)) fail(`no database at ${databaseFile}`);
const dataDir = path.resolve(process.env.DATA_DIR || "data");
const backupDir = path.resolve(process.env.BACKUP_DIR || path.join(dataDir, "backups"));

const createdAt = new Date();
const stamp = createdAt
  .toISOString()
  .replace(/\.\d+Z$/, "Z")
  .replace(/:/g, "-");
const target = path.join(backupDir, `festival-${stamp}.backup`);
if (fs.existsSync(target)) fail(`${target} already exists`);
fs.mkdirSync(backupDir, { recursive: true, mode: 0o700 });
const snapshot = path.join(
  path.dirname(databaseFile),
  `.${path.basename(databaseFile)}.backup-${crypto.randomBytes(6).toString("hex")}`,
);
const partial = `${target}.partial`;

// A backup killed half-way leaves its plaintext snapshot beside the database.
for (const file of removeLeftovers(
  path.dirname(databaseFile),
  `.${path.basename(databaseFile)}.backup-`,
))
  console.log(`backup: removed the snapshot an interrupted backup left: ${file}`);

async function takeSnapshot() {
  const client = createClient({ url });
  try {
    await client.execute("PRAGMA busy_timeout = 10000");
    await client.execute({ sql: "VACUUM INTO ?", args: [snapshot] });
  } finally {
    client.close();
  }
  fs.chmodSync(snapshot, 0o600);
  const check = createClient({ url: `file:${snapshot}` });
  try {
    const { rows } = await check.execute("PRAGMA integrity_check");
    if (rows[0]?.[0] !== "ok") throw new Error("integrity check of the snapshot failed");
    const migration = await check
      .execute("SELECT migration_name FROM _prisma_migrations ORDER BY migration_name DESC LIMIT 1")
      .then((r) => String(r.rows[0]?.[0] ?? ""))
      .catch(() => "");
    return migration;
  } finally {
    check.close();
  }
}

/**
 * Add one file to the archive, streamed (a large database is never all in
 * memory). Opened first, so a file replaced meanwhile is read whole as it was;
 * a file deleted since the listing is skipped (its row went with it). Resolves
 * to the file's SHA-256, or null when it was skipped.
 */
async function addFile(pack, name, file) {
  let handle;
  try {
    handle = await fs.promises.open(file, "r");
  } catch (error) {
    if (error.code === "ENOENT") return null;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const hash = crypto.createHash("sha256");
    await new Promise((resolve, reject) => {
      const entry = pack.entry({ name, size, mode: 0o600, mtime: createdAt }, (error) =>
        error ? reject(error) : resolve(),
      );
      if (size === 0) return entry.end();
      handle
        .createReadStream({ start: 0, end: size - 1, autoClose: false })
        .on("data", (d) => hash.update(d))
        .on("error", reject)
        .pipe(entry);
    });
    return hash.digest("hex");
  } finally {
    await handle.close();
  }
}

let written = false;
try {
  const started = performance.now();
  const migration = await takeSnapshot();
  const pack = tar.pack();
  const out = fs.createWriteStream(partial, { mode: 0o600, flags: "wx" });
  const done = pipeline(pack, await encryptingStream(passphrase), out);
  const databaseBytes = fs.statSync(snapshot).size;
  const databaseSha256 = await addFile(pack, "database.db", snapshot);
  // The folders are listed after the snapshot: every file its rows name is there.
  const counts = {};
  for (const folder of FOLDERS) {
    counts[folder] = 0;
    for (const name of folderFiles(path.join(dataDir, folder), folder))
      if (await addFile(pack, `${folder}/${name}`, path.join(dataDir, folder, name)))
        counts[folder]++;
  }
  // Last, so it states what is really in the archive; restore checks it.
  const manifest = {
    format: FORMAT_VERSION,
    createdAt: createdAt.toISOString(),
    migration,
    database: { bytes: databaseBytes, sha256: databaseSha256 },
    folders: counts,
  };
  await new Promise((resolve, reject) =>
    pack.entry(
      { name: "manifest.json", mode: 0o600, mtime: createdAt },
      JSON.stringify(manifest),
      (e) => (e ? reject(e) : resolve()),
    ),
  );
  pack.finalize();
  await done;
  const fd = fs.openSync(partial, "r");
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.renameSync(partial, target);
  written = true;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `backup written: ${target} (${fs.statSync(target).size} bytes, encrypted, in ${seconds} s; ` +
      `database ${databaseBytes} bytes, integrity ok; ` +
      `${FOLDERS.map((f) => `${f}: ${counts[f]} files`).join(", ")})`,
  );
} catch (error) {
  console.error(`backup: failed: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  fs.rmSync(snapshot, { force: true });
  fs.rmSync(`${snapshot}-journal`, { force: true });
  if (!written) fs.rmSync(partial, { force: true });
}
process.exit(written ? 0 : 1);
