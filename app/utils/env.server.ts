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
  DATA_ENCRYPTION_KEY: z.string().optional(),
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

/** The base URL used in links inside emails. */
export function publicUrl(request?: Request): string {
  const env = getEnv();
  if (env.PUBLIC_URL) return env.PUBLIC_URL.replace(/\/$/, "");
  if (request) return new URL(request.url).origin;
  return `http://localhost:${env.PORT}`;
}
