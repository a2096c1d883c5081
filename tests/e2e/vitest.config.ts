// Browser tests: `npm run test:e2e`. Same global setup as `npm test` (builds the
// app if sources changed, migrates the template database, searches the logs); Debian's Chromium
// is driven by playwright-core (tests/e2e/browser.ts).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

export default defineConfig({
  root,
  resolve: { alias: { "~": path.join(root, "app") } },
  esbuild: { jsx: "automatic" },
  test: {
    include: ["tests/e2e/**/*.test.{ts,tsx}"],
    exclude: ["node_modules/**"],
    reporters: ["default", "./tests/setup/summary-reporter.ts"],
    globalSetup: ["tests/setup/global.ts"],
    // The app's logs of each browser test go to this run's log folder, searched for leaks at the end.
    setupFiles: ["tests/setup/log-file.ts"],
    pool: "forks",
    // One Chromium per file; on 2 cores more than one at a time only slows both down.
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 90_000,
    env: { NODE_ENV: "test" },
  },
});
