// Configuration from the environment, read once and validated.
// Every variable is documented in the README's configuration table.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";

const schema = z.object({
  // Unset means development: `npm start` on a fresh clone must work without secrets.
  NODE_ENV: z.enum(["production", "development", "test"]).default("development"),
  DATABASE_URL: z.string().min(1).default("file:./data/festival.db"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  SESSION_SECRET: z.string().optional(),
  SMTP_URL: z.string().optional(),
  MAIL_FROM: z.string().default("Solidarity festivals <no-reply@localhost>"),
  PUBLIC_URL: z.string().url().optional(),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(600),
  DATA_DIR: z.string().default("data"),
  STRIPE_SECRET_KEY: z.string().optional(),
  STRIPE_WEBHOOK_SECRET: z.string().optional(),
  STRIPE_API_URL: z.string().url().optional(),
  STRIPE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(15_000),
  DATA_ENCRYPTION_KEY: z.string().optional(),
  // How many treasurers other than the proposer approve a payout, cost or fund transfer.
  PAYOUT_APPROVALS: z.coerce.number().int().min(1).max(10).default(1),
  // Days after a festival's end before its attendees' names and emails are erased.
  PERSONAL_DATA_RETENTION_DAYS: z.coerce.number().int().min(0).max(3650).default(30),
  // Seconds a background worker's lease lasts without renewal (decision 0038): how long
  // a killed process's work waits before another process takes it over.
  WORKER_LEASE_SECONDS: z.coerce.number().int().min(2).max(3600).default(30),
  // Test hook (app/utils/fault-points.server.ts): comma-separated pause points; refused in production.
  FAULT_POINTS: z.string().optional(),
  // Structured logs (app/utils/logger.server.ts): the lowest level written, and a
  // file to append JSON lines to instead of standard output.
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  LOG_FILE: z.string().optional(),
  // Bearer token for GET /metrics (Prometheus); unset, /metrics answers 404.
  METRICS_TOKEN: z.string().min(16, "must be at least 16 characters long").optional(),
});

export type Env = z.infer<typeof schema> & { sessionSecrets: string[] };

let cached: Env | undefined;

/** Parsed configuration. Throws a readable error on a bad value. */
export function getEnv(): Env {
  if (cached) return cached;
  const parsed = schema.safeParse(blankToUndefined(process.env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const env = parsed.data;
  cached = { ...env, sessionSecrets: resolveSessionSecrets(env) };
  return cached;
}

/** Forget the cached configuration (tests change the environment between cases). */
export function resetEnvCache() {
  cached = undefined;
  cachedKeyring = undefined;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

function blankToUndefined(source: NodeJS.ProcessEnv) {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(source)) if (v !== undefined && v !== "") out[k] = v;
  return out;
}

/**
 * SESSION_SECRET may hold several comma-separated secrets: the first signs new
 * cookies, all are accepted (rotation). Production refuses to start without it;
 * development generates one and keeps it in the data folder.
 */
function resolveSessionSecrets(env: z.infer<typeof schema>): string[] {
  const fromEnv = (env.SESSION_SECRET ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (fromEnv.length > 0) {
    const weak = fromEnv.find((s) => s.length < 16);
    if (weak && env.NODE_ENV === "production") {
      throw new ConfigError("SESSION_SECRET: each secret must be at least 16 characters long.");
    }
    return fromEnv;
  }
  if (env.NODE_ENV === "production") {
    throw new ConfigError(
      "SESSION_SECRET is not set. Set it to a long random value (e.g. `openssl rand -hex 32`) " +
        "before starting in production, or run with NODE_ENV=development.",
    );
  }
  const file = path.join(env.DATA_DIR, "session-secret");
  try {
    return [fs.readFileSync(file, "utf8").trim()];
  } catch {
    const secret = crypto.randomBytes(32).toString("hex");
    fs.mkdirSync(env.DATA_DIR, { recursive: true });
    fs.writeFileSync(file, secret + "\n", { mode: 0o600 });
    return [secret];
  }
}

/** One AES-256 data encryption key; `id` is written into every ciphertext it makes. */
export type DataEncryptionKey = { id: string; key: Buffer };

/** The configured data keys: the first encrypts, all decrypt (rotation). */
export type DataEncryptionKeyring = {
  current: DataEncryptionKey;
  keys: ReadonlyMap<string, Buffer>;
};

let cachedKeyring: DataEncryptionKeyring | undefined;

/**
 * Keys for encrypting data at rest, resolved on first use (not at start, so a
 * deployment that stores nothing encrypted does not need one yet).
 *
 * DATA_ENCRYPTION_KEY is a comma-separated list of `keyId:key` entries, each key
 * 32 bytes in base64 or base64url (`openssl rand -base64 32`); a bare key is
 * read as id "k1". Rotate by prepending a new entry, re-encrypting, then
 * removing the old one. A malformed value is refused everywhere; a missing one
 * is refused in production, while development and tests generate a key once
 * and keep it in `<DATA_DIR>/encryption-key` (mode 0600).
 */
export function dataEncryptionKeys(): DataEncryptionKeyring {
  if (cachedKeyring) return cachedKeyring;
  const env = getEnv();
  const value = env.DATA_ENCRYPTION_KEY?.trim();
  if (value) {
    cachedKeyring = parseDataEncryptionKeys(value, "DATA_ENCRYPTION_KEY");
    return cachedKeyring;
  }
  if (env.NODE_ENV === "production") {
    throw new ConfigError(
      "DATA_ENCRYPTION_KEY is not set. Set it to `k1:` followed by 32 random bytes in base64 " +
        "(e.g. `k1:$(openssl rand -base64 32)`) before starting in production.",
    );
  }
  const file = path.join(env.DATA_DIR, "encryption-key");
  let stored: string;
  try {
    stored = fs.readFileSync(file, "utf8");
  } catch {
    fs.mkdirSync(env.DATA_DIR, { recursive: true });
    const generated = `k1:${crypto.randomBytes(32).toString("base64url")}`;
    try {
      fs.writeFileSync(file, generated + "\n", { mode: 0o600, flag: "wx" });
      stored = generated;
    } catch {
      stored = fs.readFileSync(file, "utf8"); // another process created it first
    }
  }
  cachedKeyring = parseDataEncryptionKeys(stored.trim(), file);
  return cachedKeyring;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const KEY_32_BYTES = /^[A-Za-z0-9+/_-]{43}=?$/;

/** Parse a `keyId:key,...` list; `source` names the variable or file in errors. */
export function parseDataEncryptionKeys(value: string, source: string): DataEncryptionKeyring {
  const entries = value.split(",").map((s) => s.trim());
  const keys = new Map<string, Buffer>();
  let current: DataEncryptionKey | undefined;
  for (const [index, entry] of entries.entries()) {
    const where = `${source}: entry ${index + 1}`;
    if (!entry) throw new ConfigError(`${where} is empty.`);
    const colon = entry.indexOf(":");
    const id = colon === -1 ? "k1" : entry.slice(0, colon).trim();
    const encoded = colon === -1 ? entry : entry.slice(colon + 1).trim();
    if (!KEY_ID.test(id)) {
      throw new ConfigError(`${where}: the key id must be 1-32 letters, digits, "-" or "_".`);
    }
    // Never echo the value: it is secret even when malformed.
    if (!KEY_32_BYTES.test(encoded)) {
      throw new ConfigError(
        `${where} (id "${id}"): the key must be 32 bytes in base64 or base64url (43 or 44 characters).`,
      );
    }
    const key = Buffer.from(
      encoded.replace(/=$/, "").replace(/\+/g, "-").replace(/\//g, "_"),
      "base64url",
    );
    if (key.length !== 32) {
      throw new ConfigError(`${where} (id "${id}"): the key must decode to exactly 32 bytes.`);
    }
    if (keys.has(id)) throw new ConfigError(`${source}: the key id "${id}" appears twice.`);
    keys.set(id, key);
    current ??= { id, key };
  }
  if (!current) throw new ConfigError(`${source} holds no key.`);
  return { current, keys };
}

let listeningOrigin: string | undefined;

/** The server's own address once it listens (the base for links when PUBLIC_URL is unset). */
export function setListeningOrigin(origin: string) {
  listeningOrigin = origin;
}

/**
 * The one base for absolute links (emails, Stripe's return addresses, calendar
 * files, door set-up links): PUBLIC_URL, else — outside production — the address
 * the server listens on. Never the request's Host or X-Forwarded-Host, which the
 * client chooses. Production without PUBLIC_URL is a configuration error
 * (startServer() asks at start, so it fails before the first request).
 */
export function publicUrl(): string {
  const env = getEnv();
  if (env.PUBLIC_URL) return env.PUBLIC_URL.replace(/\/$/, "");
  if (env.NODE_ENV === "production") {
    throw new ConfigError(
      "PUBLIC_URL is not set. Set it to the address people use to reach this server " +
        "(e.g. https://festivals.example.org) before starting in production: links in emails " +
        "are made from it.",
    );
  }
  return listeningOrigin ?? `http://localhost:${env.PORT}`;
}
