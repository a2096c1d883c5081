// The one logger: JSON lines (pino), one per event, on standard output or
// appended to LOG_FILE. Every line written while a request is being handled
// carries its request id (`reqId`, also sent back as X-Request-Id), through an
// AsyncLocalStorage set by server/index.ts. Nothing personal or secret is logged
// on purpose (callers pass ids, counts and error messages, never addresses,
// names or tokens), known field names are redacted, and every line is scrubbed
// of email addresses, full IP addresses and token-like values before it is
// written (app/utils/log-safety.ts). Decision 0043.
import { AsyncLocalStorage } from "node:async_hooks";
import crypto from "node:crypto";
import pino, { type DestinationStream, type Logger } from "pino";
import { getEnv } from "./env.server";
import { redactLogText } from "./log-safety";

type RequestContext = { requestId: string };

const requestContext = new AsyncLocalStorage<RequestContext>();

/** Run `fn` (and everything it starts) as part of the request `requestId`. */
export function runWithRequestId<T>(requestId: string, fn: () => T): T {
  return requestContext.run({ requestId }, fn);
}

/** The id of the request being handled, if any. */
export function currentRequestId(): string | undefined {
  return requestContext.getStore()?.requestId;
}

/** A proxy's X-Request-Id is kept when it is a plain id (no room for data); otherwise a new one. */
const INCOMING_ID = /^[A-Za-z0-9-]{8,36}$/;

export function requestIdFrom(header: string | undefined | null): string {
  return header && INCOMING_ID.test(header) ? header : crypto.randomUUID();
}

/**
 * Field names whose values never reach a log line (top-level fields: pino's
 * wildcard paths cost several times a whole line; nested values still pass the
 * scrubber below).
 */
const REDACTED_FIELDS = [
  "email",
  "to",
  "password",
  "token",
  "accessToken",
  "secret",
  "authorization",
  "cookie",
  "ip",
  "details",
  "headers",
];

/** Every line is scrubbed before it is written (see log-safety.ts). */
function scrubbing(destination: DestinationStream): DestinationStream {
  return { write: (line: string) => destination.write(redactLogText(line)) };
}

function settings() {
  try {
    const env = getEnv();
    return { level: env.LOG_LEVEL, file: env.LOG_FILE };
  } catch {
    // An invalid configuration is reported by whoever reads it; logging still works.
    return { level: "info", file: undefined };
  }
}

/** Build a logger writing to `destination` (tests pass their own; the app uses `logger`). */
export function createLogger(level: string, destination: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      messageKey: "msg",
      redact: { paths: REDACTED_FIELDS, censor: "[redacted]" },
      mixin() {
        const requestId = currentRequestId();
        return requestId ? { reqId: requestId } : {};
      },
    },
    scrubbing(destination),
  );
}

let instance: Logger | undefined;

function root(): Logger {
  if (instance) return instance;
  const { level, file } = settings();
  const destination = file
    ? pino.destination({ dest: file, append: true, mkdir: true, sync: true })
    : pino.destination({ dest: 1, sync: true });
  instance = createLogger(level, destination);
  return instance;
}

/**
 * The app's logger, created on first use. `logger.error({ err }, "…")` keeps an
 * error's type, message and stack; `logger.child({ worker: "email" })` names a part.
 */
export const logger: Logger = new Proxy({} as Logger, {
  get(_t, prop) {
    const target = root();
    const value = Reflect.get(target, prop, target) as unknown;
    return typeof value === "function"
      ? (value as (...a: unknown[]) => unknown).bind(target)
      : value;
  },
});
