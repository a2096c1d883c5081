import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { root } from "../../scripts/lib.js";

export const TMP = path.join(root, "tests", ".tmp");
/** Where each test run's captured app logs go (a folder per run). */
export const LOGS = path.join(TMP, "logs");

/** The migrated template database for the current migrations. */
export function templateDatabasePath() {
  const dir = path.join(root, "prisma", "migrations");
  const hash = crypto.createHash("sha256");
  for (const entry of fs.readdirSync(dir).sort()) {
    const file = path.join(dir, entry, "migration.sql");
    if (fs.existsSync(file)) hash.update(entry).update(fs.readFileSync(file));
  }
  return path.join(TMP, `template-${hash.digest("hex").slice(0, 12)}.db`);
}
