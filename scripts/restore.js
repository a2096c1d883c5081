// `npm run restore -- FILE [--force | --check]`: put a backup made by `npm run backup`
// back into DATABASE_URL and DATA_DIR's media and receipts folders
// (decision 0044). Nothing is touched until the whole file has been read and
// authenticated with BACKUP_PASSPHRASE; then everything is written beside the
// targets and checked, and only then swapped in by renames. The database and
// folders that were there are kept beside them (`*.pre-restore-<time>`).
// A database another process has open is not replaced unless --force is given.
// --check only verifies the file (as step 1 below) and writes nothing.
//
// Exit codes: 0 restored; 2 usage or configuration; 3 wrong passphrase;
// 4 damaged, truncated or not a backup; 5 the database is in use; 1 anything
// else (whatever was swapped is put back).
import { createClient } from "@libsql/client";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import { BackupFileError, decryptingStream, HEADER_BYTES } from "./backup-file.js";
import { databaseFileOf, entryKind, FOLDERS, removeLeftovers } from "./backup-paths.js";
import { DEFAULT_DATABASE_URL, root } from "./lib.js";

class Refusal extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}
const EXIT = { wrong_passphrase: 3, damaged: 4, not_a_backup: 4, unsupported: 4 };

function parseArgs(argv) {
  const files = argv.filter((a) => !a.startsWith("--"));
  const flags = argv.filter((a) => a.startsWith("--"));
  const unknown = flags.filter((f) => f !== "--force" && f !== "--check");
  if (files.length !== 1 || unknown.length)
    throw new Refusal(2, "usage: npm run restore -- FILE [--force | --check]");
  // `npm run` starts scripts in the project's folder: a relative FILE is the caller's.
  const cwd = process.env.INIT_CWD || process.cwd();
  return {
    file: path.resolve(cwd, files[0]),
    force: flags.includes("--force"),
    checkOnly: flags.includes("--check"),
  };
}

/**
 * Read the whole backup once: every chunk authenticated, every entry's name
 * checked, handed to `onEntry(kind, name, stream)` (which must consume it).
 * Resolves to the manifest once it is known to describe what was read.
 */
async function readBackup(file, passphrase, onEntry) {
  const handle = await fs.promises.open(file, "r").catch((error) => {
    throw new Refusal(2, `cannot read ${file}: ${error.code ?? error.message}`);
  });
  let decrypt;
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await handle.read(header, 0, HEADER_BYTES, 0);
    decrypt = await decryptingStream(header.subarray(0, bytesRead), passphrase);
  } finally {
    await handle.close();
  }
  const extract = tar.extract();
  const seen = { "database.db": null, "manifest.json": null };
  const counts = Object.fromEntries(FOLDERS.map((f) => [f, 0]));
  let manifestLast = false;
  const reading = (async () => {
    for await (const entry of extract) {
      const { name, type } = entry.header;
      const kind = type === "file" ? entryKind(name) : null;
      if (!kind || manifestLast || (kind in seen && seen[kind] !== null))
        throw new BackupFileError("damaged", `unexpected entry in the backup: ${name}`);
      const hash = crypto.createHash("sha256");
      const chunks = [];
      entry.on("data", (d) => {
        hash.update(d);
        if (kind === "manifest.json") chunks.push(d);
      });
      // A failure to write (disk full, permissions) is this machine's, not the file's.
      await onEntry(kind, name, entry).catch((error) => {
        throw Object.assign(new Error(`writing ${name}: ${error.message}`), { local: true });
      });
      if (kind in seen) seen[kind] = hash.digest("hex");
      else counts[kind]++;
      if (kind === "manifest.json") {
        manifestLast = true;
        seen.manifest = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      }
    }
  })();
  const source = fs.createReadStream(file, { start: HEADER_BYTES });
  const failures = (await Promise.allSettled([pipeline(source, decrypt, extract), reading]))
    .filter((r) => r.status === "rejected")
    .map((r) => r.reason);
  if (failures.length) {
    // The file's fault first (a bad chunk also breaks the entry being written).
    const own = failures.find((e) => e instanceof BackupFileError || e instanceof Refusal);
    throw (
      own ??
      failures.find((e) => e.local) ??
      new BackupFileError("damaged", `the backup is damaged: ${failures[0].message}`)
    );
  }
  const manifest = seen.manifest;
  const ok =
    manifest &&
    seen["database.db"] === manifest.database?.sha256 &&
    FOLDERS.every((f) => manifest.folders?.[f] === counts[f]);
  if (!ok) throw new BackupFileError("damaged", "the backup's contents do not match its manifest");
  return manifest;
}

const drain = (stream) =>
  pipeline(stream, new Writable({ write: (_chunk, _encoding, done) => done() }));

/**
 * True when another connection has the database open. An open WAL connection
 * holds a shared lock that stops a change of journal mode; without one the
 * change succeeds, which also checkpoints the WAL into the file and removes it.
 */
async function inUse(databaseFile) {
  if (!fs.existsSync(databaseFile)) return false;
  const client = createClient({ url: `file:${databaseFile}` });
  try {
    await client.execute("PRAGMA journal_mode = DELETE");
    return false;
  } catch (error) {
    if (/SQLITE_BUSY|locked/i.test(String(error?.code ?? error?.message))) return true;
    throw error;
  } finally {
    client.close();
  }
}

async function main() {
  const { file, force, checkOnly } = parseArgs(process.argv.slice(2));
  const passphrase = process.env.BACKUP_PASSPHRASE ?? "";
  if (!passphrase) throw new Refusal(2, "BACKUP_PASSPHRASE is not set (the backup's passphrase)");
  const url = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  const databaseFile = databaseFileOf(url);
  if (!databaseFile && !checkOnly) throw new Refusal(2, "DATABASE_URL must be a file: database");
  const dataDir = path.resolve(process.env.DATA_DIR || "data");

  // 1. The whole file, before anything is touched.
  const manifest = await readBackup(file, passphrase, (_kind, _name, stream) => drain(stream));
  console.log(
    `restore: ${path.basename(file)} verified: taken ${manifest.createdAt}, ` +
      `migration ${manifest.migration || "unknown"}, database ${manifest.database.bytes} bytes, ` +
      FOLDERS.map((f) => `${f}: ${manifest.folders[f]} files`).join(", "),
  );
  const migrations = path.join(root, "prisma", "migrations");
  if (manifest.migration && !fs.existsSync(path.join(migrations, manifest.migration)))
    console.warn(
      `restore: warning: the backup comes from a newer version of the app (migration ` +
        `${manifest.migration} is not in this copy): upgrade the app before starting it`,
    );
  // --check: a backup copied elsewhere is whole and opens with this passphrase; nothing is written.
  if (checkOnly) return;
  if (!force && (await inUse(databaseFile)))
    throw new Refusal(
      5,
      `${databaseFile} is in use by another process: stop the app first ` +
        "(or give --force to replace it anyway, then restart that process at once)",
    );

  // 2. Everything written beside the targets (same file systems, so renames are atomic).
  // One name for everything set aside by this run, never one an earlier run used.
  const stamp = new Date()
    .toISOString()
    .replace(/\.\d+Z$/, "Z")
    .replace(/:/g, "-");
  const taken = (name) =>
    [databaseFile, ...FOLDERS.map((f) => path.join(dataDir, f))].some((p) =>
      fs.existsSync(`${p}.pre-restore-${name}`),
    );
  let id = stamp;
  for (let n = 2; taken(id); n++) id = `${stamp}-${n}`;
  fs.mkdirSync(path.dirname(databaseFile), { recursive: true });
  fs.mkdirSync(dataDir, { recursive: true });
  // A restore killed half-way leaves its staged (plaintext) copies.
  for (const left of [
    ...removeLeftovers(path.dirname(databaseFile), `.${path.basename(databaseFile)}.restore-`),
    ...removeLeftovers(dataDir, ".restore-"),
  ])
    console.log(`restore: removed what an interrupted restore left: ${left}`);
  const stagedDatabase = path.join(
    path.dirname(databaseFile),
    `.${path.basename(databaseFile)}.restore-${crypto.randomBytes(6).toString("hex")}`,
  );
  const stagedFolders = fs.mkdtempSync(path.join(dataDir, ".restore-"));
  for (const folder of FOLDERS) fs.mkdirSync(path.join(stagedFolders, folder), { mode: 0o700 });
  const done = [];
  const aside = [];
  try {
    await readBackup(file, passphrase, (kind, name, stream) => {
      if (kind === "manifest.json") return drain(stream);
      const to = kind === "database.db" ? stagedDatabase : path.join(stagedFolders, name);
      return pipeline(stream, fs.createWriteStream(to, { flags: "wx", mode: 0o600 }));
    });
    const check = createClient({ url: `file:${stagedDatabase}` });
    try {
      const { rows } = await check.execute("PRAGMA integrity_check");
      if (rows[0]?.[0] !== "ok") throw new Error("the restored database fails its integrity check");
    } finally {
      check.close();
    }

    // 3. Swap in: the old database (with its WAL, checkpointed when nobody had it open) and folders step aside.
    if (!force && (await inUse(databaseFile)))
      throw new Refusal(
        5,
        `${databaseFile} was opened by another process meanwhile: stop it first`,
      );
    const move = (from, to, keep = false) => {
      if (!fs.existsSync(from)) return;
      fs.renameSync(from, to);
      done.push([from, to]);
      if (keep) aside.push(to);
    };
    for (const suffix of ["", "-wal", "-shm", "-journal"])
      move(databaseFile + suffix, `${databaseFile}.pre-restore-${id}${suffix}`, true);
    move(stagedDatabase, databaseFile);
    for (const folder of FOLDERS) {
      const target = path.join(dataDir, folder);
      move(target, `${target}.pre-restore-${id}`, true);
      move(path.join(stagedFolders, folder), target);
    }
  } catch (error) {
    for (const [from, to] of done.reverse()) fs.renameSync(to, from);
    throw error;
  } finally {
    for (const suffix of ["", "-wal", "-shm", "-journal"])
      fs.rmSync(stagedDatabase + suffix, { force: true });
    fs.rmSync(stagedFolders, { recursive: true, force: true });
  }
  console.log(`restore: restored into ${databaseFile} and ${dataDir}/{${FOLDERS.join(",")}}`);
  if (aside.length)
    console.log(
      `restore: what was there before is kept beside it: ${aside.join(", ")} ` +
        "(personal data: delete it once the restored app checks out)",
    );
  console.log(
    "restore: next: start the app (it applies newer migrations), then npm run ledger:check",
  );
}

try {
  await main();
} catch (error) {
  if (error instanceof Refusal || error instanceof BackupFileError) {
    const code = error instanceof Refusal ? error.code : EXIT[error.reason];
    console.error(`restore: ${error.message}: nothing was restored`);
    process.exit(code);
  }
  console.error(
    `restore: failed, nothing was restored: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
}
