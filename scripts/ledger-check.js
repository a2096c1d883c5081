// `npm run ledger:check`: the whole-ledger invariant check on DATABASE_URL, the
// same `checkLedger` the app runs for GET /api/v1/ledger/check (taken from the
// build, never a copy of its SQL). Prints {balanced, entries, problems} as JSON;
// exits 1 when the books are not balanced, 2 when the check could not run.
import { createClient } from "@libsql/client";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { buildIfNeeded, DEFAULT_DATABASE_URL, root } from "./lib.js";

const url = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;

let result;
try {
  // The build's progress goes to stderr: stdout is the JSON answer only.
  const log = console.log;
  console.log = console.error;
  try {
    buildIfNeeded();
  } finally {
    console.log = log;
  }
  const { checkLedger } = await import(pathToFileURL(path.join(root, "build", "index.js")).href);
  const client = createClient({ url });
  try {
    await client.execute("PRAGMA busy_timeout = 5000");
    result = await checkLedger(client);
  } finally {
    client.close();
  }
} catch (error) {
  console.error(`ledger:check: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}
console.log(JSON.stringify(result, null, 2));
if (!result.balanced)
  console.error(`ledger:check: ${result.problems.length} problem(s) in ${result.entries} entries`);
process.exit(result.balanced ? 0 : 1);
