// Once per `npm test`: build the app if sources changed (HTTP tests serve the
// real production build) and migrate one template database that every test
// file copies (migrations run once, not per file). Every test file's app logs
// go to a file in this run's log folder (tests/setup/log-file.ts); when the run
// ends, all of them are searched for emails, full IP addresses and tokens, and
// any found fail the run (decision 0043).
import fs from "node:fs";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { buildIfNeeded, migrate } from "../../scripts/lib.js";
import { scanLogFolder } from "./log-scan";
import { LOGS, templateDatabasePath, TMP } from "./paths";

declare module "vitest" {
  export interface ProvidedContext {
    logDir: string;
  }
}

export default function setup(project: TestProject) {
  fs.mkdirSync(TMP, { recursive: true });
  const logDir = path.join(LOGS, `run-${Date.now()}-${process.pid}`);
  fs.mkdirSync(logDir, { recursive: true });
  project.provide("logDir", logDir);
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
  for (const f of fs.readdirSync(LOGS)) {
    const p = path.join(LOGS, f);
    if (p !== logDir && Date.now() - fs.statSync(p).mtimeMs > 3_600_000)
      fs.rmSync(p, { recursive: true, force: true });
  }

  return function teardown() {
    const { files, lines, leaks } = scanLogFolder(logDir);
    console.log(`\nlogs: ${lines} lines in ${files} files searched, ${leaks.length} leaks`);
    if (leaks.length > 0) {
      for (const leak of leaks.slice(0, 50))
        console.error(`  ${leak.file}:${leak.line}: ${leak.kind} ${leak.excerpt}`);
      const message = `${leaks.length} email addresses, IP addresses or tokens in the captured logs (${logDir}).`;
      // Also at the end of CI's log (.ci/run prints CI_FAILURES last), with the first leak.
      if (process.env.CI_FAILURES) {
        const first = leaks[0];
        fs.appendFileSync(
          process.env.CI_FAILURES,
          `FAILED log scan: ${message} First: ${first ? `${first.file}:${first.line}: ${first.kind}` : ""}\n`,
        );
      }
      throw new Error(message);
    }
  };
}
