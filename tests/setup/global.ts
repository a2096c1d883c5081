// Once per `npm test`: build the app if sources changed (HTTP tests serve the
// real production build) and migrate one template database that every test
// file copies (migrations run once, not per file).
import fs from "node:fs";
import path from "node:path";
import { buildIfNeeded, migrate } from "../../scripts/lib.js";
import { templateDatabasePath, TMP } from "./paths";

export default function setup() {
  fs.mkdirSync(TMP, { recursive: true });
  buildIfNeeded();
  const template = templateDatabasePath();
  if (!fs.existsSync(template)) {
    const partial = `${template}.partial`;
    fs.rmSync(partial, { force: true });
    migrate(`file:${partial}`);
    fs.renameSync(partial, template);
  }
  // Remove per-file folders left by earlier runs (older than an hour).
  for (const f of fs.readdirSync(TMP)) {
    const p = path.join(TMP, f);
    if (f.startsWith("run-") && Date.now() - fs.statSync(p).mtimeMs > 3_600_000)
      fs.rmSync(p, { recursive: true, force: true });
  }
}
