// Search a folder of captured logs for what no log line may hold (emails, full
// IP addresses, credentials, tokens): app/utils/log-safety.ts says what those
// look like. Used by the global teardown of every test run.
import fs from "node:fs";
import path from "node:path";
import { findLogLeaks, type LogLeak } from "../../app/utils/log-safety";

export type FoundLeak = LogLeak & { file: string };

export function scanLogFolder(dir: string) {
  const leaks: FoundLeak[] = [];
  let files = 0;
  let lines = 0;
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []) {
    const text = fs.readFileSync(path.join(dir, name), "utf8");
    files++;
    lines += text.split("\n").filter(Boolean).length;
    for (const leak of findLogLeaks(text)) leaks.push({ ...leak, file: name });
  }
  return { files, lines, leaks };
}
