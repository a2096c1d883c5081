// Fault tests: `npm run test:faults` (issue 12). Real app processes (the
// production build, spawned by tests/helpers/app-process.ts) are killed, starved
// of disk, locked out of their database, cut off from SMTP and Stripe; each test
// checks that nothing was lost, nothing happened twice and the books balance.
// Same global setup as `npm test`. One file at a time: they spawn processes and
// kill them, and on 2 cores two such files only slow each other down.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

export default defineConfig({
  root,
  resolve: { alias: { "~": path.join(root, "app") } },
  esbuild: { jsx: "automatic" },
  test: {
    include: ["tests/faults/**/*.test.{ts,tsx}"],
    exclude: ["node_modules/**"],
    reporters: ["default", "./tests/setup/summary-reporter.ts"],
    globalSetup: ["tests/setup/global.ts"],
    setupFiles: ["tests/setup/log-file.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    env: { NODE_ENV: "test" },
  },
});
