// A fresh, migrated SQLite file and a private data folder for one test file.
// Import this first: it sets the environment before any app module reads it.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { templateDatabasePath, TMP } from "../setup/paths";

export type TestEnv = { dir: string; databaseFile: string; databaseUrl: string };

/** Copy the template database into a new folder and point the environment at it. */
export function freshTestEnv(overrides: Record<string, string> = {}): TestEnv {
  const dir = path.join(TMP, `run-${Date.now()}-${crypto.randomBytes(4).toString("hex")}`);
  fs.mkdirSync(dir, { recursive: true });
  const databaseFile = path.join(dir, "test.db");
  fs.copyFileSync(templateDatabasePath(), databaseFile);
  const databaseUrl = `file:${databaseFile}`;
  Object.assign(process.env, {
    NODE_ENV: "test",
    DATABASE_URL: databaseUrl,
    DATA_DIR: dir,
    SESSION_SECRET: "test-session-secret-0123456789abcdef",
    SEED_DEMO: "0",
    MAIL_FROM: "Festivals <festivals@example.test>",
    ...overrides,
  });
  return { dir, databaseFile, databaseUrl };
}
