// Storage faults: the database locked by another writer past the busy timeout
// (SQLITE_BUSY / SQLITE_LOCKED), and storage that refuses a write — a full disk
// or a file-size limit (SQLITE_FULL, SQLITE_IOERR_*, ENOSPC/EFBIG/EDQUOT from
// the file system). Neither is the client's mistake nor a bug: the request is
// answered with a clear 503 and Retry-After (decision 0041), in the JSON error
// shape for the API and as an error page for pages. Nothing is half-written
// because every change commits in one transaction or batch: the failed write
// rolls all of it back.
import { DomainError } from "./domain-error";

export type StorageFaultKind = "database_busy" | "storage_full";

/** Seconds a client should wait before trying again, per fault. */
export const RETRY_AFTER_SECONDS: Record<StorageFaultKind, number> = {
  database_busy: 5,
  storage_full: 60,
};

const MESSAGES: Record<StorageFaultKind, string> = {
  database_busy: "The database is busy. Nothing was saved; please try again in a few seconds.",
  storage_full:
    "The server cannot store anything at the moment. Nothing was saved; please try again later.",
};

/** The 503 a storage fault answers with (translated by errorResponseOf / formFailure). */
export class StorageUnavailableError extends DomainError {
  constructor(readonly kind: StorageFaultKind) {
    super(503, kind, MESSAGES[kind], {
      headers: { "Retry-After": String(RETRY_AFTER_SECONDS[kind]) },
    });
  }
}

// SQLite's primary result codes (the low byte of an extended code).
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_IOERR = 10;
const SQLITE_FULL = 13;

const BUSY_CODES = /^SQLITE_(BUSY|LOCKED)/;
const FULL_CODES = /^(SQLITE_FULL|SQLITE_IOERR|ENOSPC|EFBIG|EDQUOT)/;
const BUSY_TEXT = /\b(database is locked|database table is locked|SQLITE_BUSY|SQLITE_LOCKED)\b/;
const FULL_TEXT = /\b(database or disk is full|disk I\/O error|SQLITE_FULL|SQLITE_IOERR\w*)\b/;

/**
 * Prisma's driver adapter reports SQLITE_BUSY as P1008 ("Operation has timed
 * out", nothing else attached); over a libSQL server it is a network timeout,
 * for which "try again shortly" is as true.
 */
const PRISMA_TIMEOUT = "P1008";

function kindOfCode(code: unknown): StorageFaultKind | null {
  if (typeof code !== "string") return null;
  if (BUSY_CODES.test(code) || code === PRISMA_TIMEOUT) return "database_busy";
  if (FULL_CODES.test(code)) return "storage_full";
  return null;
}

/** SQLite's numeric (extended) result code: libSQL's `rawCode`, Prisma's adapter's `extendedCode`. */
function kindOfResultCode(code: unknown): StorageFaultKind | null {
  if (typeof code === "number" && Number.isInteger(code) && code > 0) {
    const primary = code & 0xff;
    if (primary === SQLITE_BUSY || primary === SQLITE_LOCKED) return "database_busy";
    if (primary === SQLITE_FULL || primary === SQLITE_IOERR) return "storage_full";
  }
  return null;
}

function kindOfText(text: unknown): StorageFaultKind | null {
  if (typeof text !== "string") return null;
  if (BUSY_TEXT.test(text)) return "database_busy";
  if (FULL_TEXT.test(text)) return "storage_full";
  return null;
}

/**
 * The storage fault behind `error`, or null. Looks at the error and what it
 * wraps (libSQL's `code`/`rawCode`, its `cause`, Prisma's driver adapter error
 * in `meta`/`cause`, Node's `code`), a few levels deep; the code decides before
 * the message.
 */
export function storageFaultOf(error: unknown): StorageUnavailableError | null {
  if (error instanceof StorageUnavailableError) return error;
  if (error instanceof DomainError || error instanceof Response) return null;
  const seen = new Set<unknown>();
  let level: unknown[] = [error];
  let byText: StorageFaultKind | null = null;
  for (let depth = 0; depth < 5 && level.length; depth++) {
    const next: unknown[] = [];
    for (const value of level) {
      if (!value || typeof value !== "object" || seen.has(value)) continue;
      seen.add(value);
      const v = value as Record<string, unknown>;
      const kind =
        kindOfCode(v.code) ?? kindOfResultCode(v.rawCode) ?? kindOfResultCode(v.extendedCode);
      if (kind) return new StorageUnavailableError(kind);
      byText ??= kindOfText(v.message);
      for (const key of ["cause", "meta", "driverAdapterError", "originalError"])
        if (v[key] && typeof v[key] === "object") next.push(v[key]);
    }
    level = next;
  }
  return byText ? new StorageUnavailableError(byText) : null;
}

/**
 * The Retry-After of a page whose error boundary shows a storage fault: Remix
 * keeps a thrown response's status and body for the page but not its headers,
 * so app/entry.server.tsx sets it from the routes' errors.
 */
export function retryAfterOfRouteErrors(errors: Record<string, unknown> | null | undefined) {
  for (const error of Object.values(errors ?? {})) {
    const e = error as { status?: unknown; data?: { error?: unknown } } | null;
    const code = e?.data?.error;
    if (e?.status === 503 && typeof code === "string" && code in RETRY_AFTER_SECONDS)
      return String(RETRY_AFTER_SECONDS[code as StorageFaultKind]);
  }
  return null;
}
