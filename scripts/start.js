// `npm start`: build if needed, apply migrations, seed/admin, serve.
import path from "node:path";
import { pathToFileURL } from "node:url";
import { buildIfNeeded, DEFAULT_DATABASE_URL, migrate, root } from "./lib.js";

const started = Date.now();
process.env.DATABASE_URL ||= DEFAULT_DATABASE_URL;

try {
  buildIfNeeded();
  migrate(process.env.DATABASE_URL);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

const { startServer } = await import(pathToFileURL(path.join(root, "build", "index.js")).href);
let server;
try {
  server = await startServer();
} catch (error) {
  // Configuration errors (e.g. no SESSION_SECRET in production) are explained, not dumped.
  console.error(error instanceof Error && error.name === "ConfigError" ? error.message : error);
  process.exit(1);
}
if (process.env.LOG_STARTUP_TIME) console.log(`ready in ${Date.now() - started} ms`);

let stopping = false;
async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: finishing open requests and stopping…`);
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  await server.close();
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
