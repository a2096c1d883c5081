// `npm run keys:rotate`: re-encrypt every sealed value in DATABASE_URL under
// the newest (first) key of DATA_ENCRYPTION_KEY — festival signing keys,
// payout recipients, payout notes and references, second-factor secrets — with
// the app's own code and list (rotateSealedValues, from the build). Prints the
// counts per column as JSON; a second run re-encrypts nothing. Afterwards the
// older keys can be removed from DATA_ENCRYPTION_KEY (docs/operations.md).
// Exit 0 when done, 2 when it could not run (a value the keys cannot decrypt:
// nothing of its batch was written; the message names the row, never a value).
import { createClient } from "@libsql/client";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { buildIfNeeded, DEFAULT_DATABASE_URL, root } from "./lib.js";

const url = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;

let counts;
try {
  // The build's progress goes to stderr: stdout is the JSON answer only.
  const log = console.log;
  console.log = console.error;
  try {
    buildIfNeeded();
  } finally {
    console.log = log;
  }
  const { rotateSealedValues } = await import(
    pathToFileURL(path.join(root, "build", "index.js")).href
  );
  const client = createClient({ url });
  try {
    await client.execute("PRAGMA busy_timeout = 5000");
    counts = await rotateSealedValues(client);
  } finally {
    client.close();
  }
} catch (error) {
  console.error(`keys:rotate: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}
console.log(JSON.stringify(counts, null, 2));
const total = Object.values(counts).reduce((n, c) => n + c.reencrypted, 0);
console.error(`keys:rotate: re-encrypted ${total} value(s) under the newest key.`);
process.exit(0);
