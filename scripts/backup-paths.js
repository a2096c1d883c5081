// What a backup holds and where it goes back to: shared by `npm run backup`
// and `npm run restore` (decision 0044).
import fs from "node:fs";
import path from "node:path";

export const MIN_PASSPHRASE = 16;

/** The folders of DATA_DIR a backup carries, and the file names each may hold. */
export const FOLDERS = ["media", "receipts"];
const NAMES = {
  // Stored pictures: random names, WebP (a half-written temporary file is left out).
  media: /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.webp$/,
  // Costs' receipts (decision 0036): PDFs and re-encoded pictures.
  receipts: /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.(?:pdf|webp)$/,
};

/** The file of a `file:` database URL (resolved), or null for any other URL. */
export function databaseFileOf(url) {
  if (!url.startsWith("file:")) return null;
  const file = url.slice("file:".length).split("?")[0];
  return file && file !== ":memory:" ? path.resolve(file) : null;
}

/** An archive entry name the restore accepts: `manifest.json`, `database.db` or `<folder>/<stored name>`. */
export function entryKind(name) {
  if (name === "manifest.json" || name === "database.db") return name;
  const [folder, file, ...rest] = name.split("/");
  if (rest.length || !file || !FOLDERS.includes(folder) || !NAMES[folder].test(file)) return null;
  return folder;
}

/** The stored files of one folder (top level, names as the app writes them), sorted. */
export function folderFiles(dir, folder) {
  let names;
  try {
    names = fs.readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if (error.code === "ENOENT") return [];
    throw error;
  }
  return names
    .filter((d) => d.isFile() && NAMES[folder].test(d.name))
    .map((d) => d.name)
    .sort();
}

/**
 * Remove what a run killed half-way (kill -9, power cut) left in `dir`: entries
 * named `prefix…` older than a day (a younger one may belong to a run still going).
 * They are plaintext copies of the data. Returns the paths removed.
 */
export function removeLeftovers(dir, prefix) {
  let names;
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed = [];
  for (const name of names) {
    const file = path.join(dir, name);
    if (!name.startsWith(prefix) || Date.now() - fs.statSync(file).mtimeMs <= 86_400_000) continue;
    fs.rmSync(file, { recursive: true, force: true });
    removed.push(file);
  }
  return removed;
}
