// `npm run backup [target-file]`: a consistent copy of a file: database while the
// app keeps running (SQLite's VACUUM INTO works under WAL without stopping writers),
// and a copy of the uploaded pictures (DATA_DIR/media) beside it, taken after the
// database so every picture its rows name is in the copy.
import { createClient } from "@libsql/client";
import fs from "node:fs";
import path from "node:path";
import { DEFAULT_DATABASE_URL } from "./lib.js";

const url = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
if (!url.startsWith("file:")) {
  console.error("backup: only file: databases; back up a libSQL server with its own tools.");
  process.exit(1);
}
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const target = path.resolve(
  process.argv[2] ?? path.join("data", "backups", `festival-${stamp}.db`),
);
if (fs.existsSync(target)) {
  console.error(`backup: ${target} already exists`);
  process.exit(1);
}
fs.mkdirSync(path.dirname(target), { recursive: true });
const client = createClient({ url });
await client.execute("PRAGMA busy_timeout = 5000");
await client.execute({ sql: "VACUUM INTO ?", args: [target] });
client.close();
const check = createClient({ url: `file:${target}` });
const { rows } = await check.execute("PRAGMA integrity_check");
check.close();
if (rows[0]?.[0] !== "ok") {
  console.error(`backup: integrity check failed for ${target}`);
  process.exit(1);
}
console.log(`backup written: ${target} (${fs.statSync(target).size} bytes, integrity ok)`);

const media = path.join(process.env.DATA_DIR || "data", "media");
if (fs.existsSync(media)) {
  const mediaTarget = target.replace(/\.db$/, "") + ".media";
  // Only the stored pictures (random names, *.webp); a half-written temporary file is left out.
  fs.cpSync(media, mediaTarget, {
    recursive: true,
    filter: (src) => src === media || src.endsWith(".webp"),
  });
  console.log(`media copied: ${mediaTarget} (${fs.readdirSync(mediaTarget).length} files)`);
}
