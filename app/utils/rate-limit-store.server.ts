// Rate-limit windows kept in the database, so that every app process on one
// database spends the same budget (decision 0039). A limiter counts points per
// key in fixed windows of `durationSeconds`: the first hit opens a window, later
// hits add to it, and once it ends the next hit opens a new one. Each hit is one
// atomic statement (INSERT … ON CONFLICT DO UPDATE … RETURNING), so concurrent
// hits from any number of processes are all counted, none twice. Call it
// outside any write transaction: its statements queue on the same write gate
// (decision 0022) and would wait for that transaction to end.
//
// Keys name people (addresses, emails): the table holds only a keyed hash of
// each (HMAC-SHA-256 with a key derived from SESSION_SECRET's first value), so
// a copy of the database does not list who tried to sign in from where.
//
// Ended windows are never read (every query compares with the clock) and are
// deleted by a sweep that each process runs now and then after a hit, in the
// background, a bounded batch at a time: the table holds live windows only.
import crypto from "node:crypto";
import { sqlClient } from "./db.server";
import { getEnv } from "./env.server";
import { logger } from "./logger.server";

/** A key's current window. */
export type LimitWindow = {
  /** Points spent in this window (may exceed the limiter's points: refused hits count too). */
  consumedPoints: number;
  /** Points left before the limit (never negative). */
  remainingPoints: number;
  /** Milliseconds until the window ends. */
  msBeforeNext: number;
};

/** A process sweeps at most this often… */
const SWEEP_EVERY_MS = 60_000;
/** …and deletes at most this many ended windows per statement (a short write). */
const SWEEP_BATCH = 1000;
let lastSweepMs = 0;
let sweeping: Promise<unknown> | undefined;

/** Delete up to SWEEP_BATCH windows that ended by `now`; returns how many went. */
export async function sweepExpiredRateLimits(now = Date.now()): Promise<number> {
  const result = await sqlClient().execute({
    sql: `DELETE FROM RateLimit WHERE rowid IN
            (SELECT rowid FROM RateLimit WHERE expiresAtMs <= ? LIMIT ${SWEEP_BATCH})`,
    args: [now],
  });
  return result.rowsAffected;
}

/** After a hit: start a sweep in the background if this process has not swept lately. */
function maybeSweep(now: number) {
  if (sweeping || now - lastSweepMs < SWEEP_EVERY_MS) return;
  lastSweepMs = now;
  sweeping = sweepExpiredRateLimits(now)
    .then((deleted) => {
      // A full batch: more may be waiting; allow the next hit to sweep again.
      if (deleted >= SWEEP_BATCH) lastSweepMs = 0;
    })
    .catch((e: unknown) => logger.error({ err: e }, "rate-limit sweep failed"))
    .finally(() => (sweeping = undefined));
}

/** The sweep started by the last hit, if one is running (tests wait for it). */
export function rateLimitSweepSettled(): Promise<unknown> {
  return sweeping ?? Promise.resolve();
}

let keyHasher: { secret: string; key: Buffer } | undefined;

/** The stored form of a limiter's key: "<limiter>:<keyed hash of the key>". */
function storedKey(limiter: string, key: string) {
  const secret = getEnv().sessionSecrets[0]!;
  if (keyHasher?.secret !== secret)
    keyHasher = {
      secret,
      key: crypto.createHmac("sha256", secret).update("rate-limit-keys").digest(),
    };
  return `${limiter}:${crypto.createHmac("sha256", keyHasher.key).update(key).digest("base64url")}`;
}

type Row = { points: number; expiresAtMs: number };

function rowOf(rows: ReadonlyArray<Record<string, unknown>>): Row | null {
  const r = rows[0];
  return r ? { points: Number(r.points), expiresAtMs: Number(r.expiresAtMs) } : null;
}

/** A named limit: `points` per key in each window of `durationSeconds`. */
export class SharedLimiter {
  constructor(
    /** Prefix of its keys in the table; unique per limiter. */
    readonly name: string,
    readonly points: number,
    readonly durationSeconds: number,
  ) {
    if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`bad limiter name: ${name}`);
    if (!(durationSeconds > 0)) throw new Error("a shared limiter needs a window");
  }

  #key(key: string) {
    return storedKey(this.name, key);
  }

  #window(row: Row, now: number): LimitWindow {
    return {
      consumedPoints: row.points,
      remainingPoints: Math.max(this.points - row.points, 0),
      msBeforeNext: Math.max(row.expiresAtMs - now, 0),
    };
  }

  /** Add `points` to the key's window (a new window if none is live); the window after. */
  async add(key: string, points = 1, now = Date.now()): Promise<LimitWindow> {
    const { rows } = await sqlClient().execute({
      sql: `INSERT INTO RateLimit (key, points, expiresAtMs) VALUES (?1, ?2, ?3)
            ON CONFLICT (key) DO UPDATE SET
              points = CASE WHEN expiresAtMs > ?4 THEN points + excluded.points ELSE excluded.points END,
              expiresAtMs = CASE WHEN expiresAtMs > ?4 THEN expiresAtMs ELSE excluded.expiresAtMs END
            RETURNING points, expiresAtMs`,
      args: [this.#key(key), points, now + this.durationSeconds * 1000, now],
    });
    maybeSweep(now);
    return this.#window(rowOf(rows)!, now);
  }

  /** The key's live window, or null. */
  async get(key: string, now = Date.now()): Promise<LimitWindow | null> {
    const { rows } = await sqlClient().execute({
      sql: "SELECT points, expiresAtMs FROM RateLimit WHERE key = ? AND expiresAtMs > ?",
      args: [this.#key(key), now],
    });
    const row = rowOf(rows);
    return row && this.#window(row, now);
  }

  /** Replace the key's window: `points` spent, ending in `seconds`. */
  async set(key: string, points: number, seconds: number, now = Date.now()): Promise<void> {
    if (!(seconds > 0)) throw new Error("a shared window needs an end");
    await sqlClient().execute({
      sql: `INSERT INTO RateLimit (key, points, expiresAtMs) VALUES (?, ?, ?)
            ON CONFLICT (key) DO UPDATE SET points = excluded.points, expiresAtMs = excluded.expiresAtMs`,
      args: [this.#key(key), points, now + seconds * 1000],
    });
    maybeSweep(now);
  }

  /** Spend the whole budget for `seconds`: the key is refused until then. */
  block(key: string, seconds: number, now = Date.now()): Promise<void> {
    return this.set(key, this.points + 1, seconds, now);
  }

  async delete(key: string): Promise<void> {
    await sqlClient().execute({
      sql: "DELETE FROM RateLimit WHERE key = ?",
      args: [this.#key(key)],
    });
  }
}
