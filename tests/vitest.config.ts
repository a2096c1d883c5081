import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export default defineConfig({
  root,
  resolve: { alias: { "~": path.join(root, "app") } },
  esbuild: { jsx: "automatic" },
  test: {
    include: ["tests/**/*.test.{ts,tsx}", "app/**/*.test.{ts,tsx}"],
    exclude: ["tests/e2e/**", "tests/faults/**", "node_modules/**"],
    reporters: ["default", "./tests/setup/summary-reporter.ts"],
    globalSetup: ["tests/setup/global.ts"],
    setupFiles: ["tests/setup/log-file.ts"],
    pool: "forks",
    // Vitest's default is one worker fewer than the cores: one on CI's 2 cores. The files
    // wait on SQLite and HTTP much of the time, so two at once cut `npm test` on 2 cores
    // from about 680 s to under 570 s (measured on 2026-12-01, even with the machine loaded).
    maxWorkers: Math.max(2, os.availableParallelism()),
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: { NODE_ENV: "test" },
  },
});
