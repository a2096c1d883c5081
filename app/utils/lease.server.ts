// One runner at a time across app processes (decision 0038). A lease is a row of
// `WorkerLease`: the process whose id is in `holder` while `expiresAt` is still
// ahead runs that work, and nobody else does. Taking, renewing and giving back
// are each one SQL statement, so the database orders them between processes as
// it orders any write — on one host (several processes on one SQLite file) as on
// a libSQL server. A holder that dies (kill -9, power cut) simply stops renewing:
// its lease runs out after `WORKER_LEASE_SECONDS` and another process takes it.
//
// Two ways to hold one:
// - `keepLease(name)` for a background worker: this process keeps trying to hold
//   it (every third of the lease) for as long as the worker runs, and the worker
//   runs a pass only while `held()`. The first process to start holds it and keeps
//   it; the others take over when it stops or dies.
// - `withLease(name, fn)` for one piece of work (a festival's refund-all): held
//   while `fn` runs, renewed meanwhile, given back at the end.
//
// `held()` is this process's own view: it turns false a quarter of the lease
// before the database's expiry, so a process whose event loop stalled past its
// renewal stops before the next one may start. Times come from this process's
// clock: processes on one host share it; across hosts their clocks must agree to
// well within the lease (NTP).
import crypto from "node:crypto";
import os from "node:os";
import { sqlClient, sqlDate, type SqlExecutor } from "./db.server";
import { getEnv } from "./env.server";
import { logger } from "./logger.server";

/** This process's name on the leases it holds: host, pid, and a random part (a reused pid is someone else). */
export const PROCESS_HOLDER = `${os.hostname()}:${process.pid}:${crypto.randomBytes(4).toString("hex")}`;

/** How long a lease lasts without renewal (WORKER_LEASE_SECONDS). */
export function leaseTtlMs() {
  return getEnv().WORKER_LEASE_SECONDS * 1000;
}

export type LeaseOptions = {
  /** Who asks (default: this process). */
  holder?: string;
  /** How long the lease lasts from `now` (default: WORKER_LEASE_SECONDS). */
  ttlMs?: number;
  now?: Date;
  db?: SqlExecutor;
};

function resolved(options: LeaseOptions) {
  const now = options.now ?? new Date();
  return {
    holder: options.holder ?? PROCESS_HOLDER,
    now,
    expiresAt: new Date(now.getTime() + (options.ttlMs ?? leaseTtlMs())),
    db: options.db ?? sqlClient(),
  };
}

/**
 * Take `name` if nobody holds it or its lease ran out, or extend it if `holder`
 * already has it. True when `holder` holds it now (until `now` + the lease).
 */
export async function acquireLease(name: string, options: LeaseOptions = {}): Promise<boolean> {
  const { holder, now, expiresAt, db } = resolved(options);
  const result = await db.execute({
    sql: `INSERT INTO WorkerLease (name, holder, acquiredAt, expiresAt) VALUES (?, ?, ?, ?)
          ON CONFLICT (name) DO UPDATE SET
            acquiredAt = CASE WHEN WorkerLease.holder = excluded.holder
                              THEN WorkerLease.acquiredAt ELSE excluded.acquiredAt END,
            holder = excluded.holder,
            expiresAt = excluded.expiresAt
          WHERE WorkerLease.holder = excluded.holder OR WorkerLease.expiresAt <= ?`,
    args: [name, holder, sqlDate(now), sqlDate(expiresAt), sqlDate(now)],
  });
  return result.rowsAffected === 1;
}

/**
 * Extend `holder`'s lease on `name`. False when it is no longer theirs (another
 * process took it after it ran out, or it was given back): they must stop.
 */
export async function renewLease(name: string, options: LeaseOptions = {}): Promise<boolean> {
  const { holder, expiresAt, db } = resolved(options);
  const result = await db.execute({
    sql: `UPDATE WorkerLease SET expiresAt = ? WHERE name = ? AND holder = ?`,
    args: [sqlDate(expiresAt), name, holder],
  });
  return result.rowsAffected === 1;
}

/** Give `name` back (only `holder`'s own lease: someone else's is left alone). */
export async function releaseLease(name: string, options: LeaseOptions = {}): Promise<void> {
  const { holder, db } = resolved(options);
  await db.execute({
    sql: `DELETE FROM WorkerLease WHERE name = ? AND holder = ?`,
    args: [name, holder],
  });
}

export type LeaseRow = { name: string; holder: string; acquiredAt: string; expiresAt: string };

/** Who holds `name` at `now` (null: nobody, or the lease ran out). */
export async function leaseHolder(
  name: string,
  now = new Date(),
  db: SqlExecutor = sqlClient(),
): Promise<LeaseRow | null> {
  const { rows } = await db.execute({
    sql: `SELECT name, holder, acquiredAt, expiresAt FROM WorkerLease WHERE name = ? AND expiresAt > ?`,
    args: [name, sqlDate(now)],
  });
  const r = rows[0];
  return r
    ? {
        name: String(r.name),
        holder: String(r.holder),
        acquiredAt: String(r.acquiredAt),
        expiresAt: String(r.expiresAt),
      }
    : null;
}

/** Until when, by this process's clock, a lease taken at `takenAt` counts as held here. */
function heldUntil(takenAt: number, ttlMs: number) {
  return takenAt + (ttlMs * 3) / 4;
}

export type KeptLease = {
  readonly name: string;
  /** Whether this process holds the lease now (its worker may run). */
  held: () => boolean;
  /** Stop trying and give the lease back, so another process takes over at once. */
  stop: () => Promise<void>;
};

/**
 * Hold `name` for this process whenever it can: try now and then every third of
 * the lease (taking it when free, extending it while held). `onAcquired` runs
 * each time this process starts holding it — the worker's cue to run a pass.
 */
export function keepLease(name: string, options: { onAcquired?: () => void } = {}): KeptLease {
  const ttlMs = leaseTtlMs();
  let holding = false;
  let validUntil = 0;
  let waited = false;
  let stopped = false;
  let beating: Promise<void> | undefined;

  const held = () => !stopped && holding && Date.now() < validUntil;

  const beat = () => {
    if (beating || stopped) return;
    const startedAt = Date.now();
    beating = acquireLease(name, { ttlMs, now: new Date(startedAt) })
      .then((got) => {
        if (stopped) return;
        if (got) {
          validUntil = heldUntil(startedAt, ttlMs);
          if (!holding) {
            holding = true;
            if (waited)
              logger.info(
                { lease: name, holder: PROCESS_HOLDER },
                `lease ${name}: taken over by this process`,
              );
            options.onAcquired?.();
          }
        } else {
          if (holding)
            logger.warn({ lease: name }, `lease ${name}: lost; another process runs it now`);
          holding = false;
          validUntil = 0;
          waited = true;
        }
      })
      // The database did not answer: keep what we had; `held()` runs out by itself.
      .catch((e: unknown) => logger.error({ err: e, lease: name }, "lease failed"))
      .finally(() => (beating = undefined));
  };

  beat();
  const timer = setInterval(beat, Math.max(250, Math.floor(ttlMs / 3)));
  timer.unref();

  return {
    name,
    held,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await beating;
      const had = holding;
      holding = false;
      validUntil = 0;
      if (had)
        await releaseLease(name).catch((e: unknown) =>
          logger.error({ err: e, lease: name }, "lease failed"),
        );
    },
  };
}

let runs = 0;

/**
 * Run `fn` while holding `name`, renewed every third of the lease and given back
 * afterwards (also when `fn` throws). `{ acquired: false }` when another process
 * (or this one) holds it. `fn` should look at `held()` between its steps and stop
 * when it turns false: the lease could not be renewed and someone else may start.
 */
export async function withLease<T>(
  name: string,
  fn: (lease: { held: () => boolean }) => Promise<T>,
): Promise<{ acquired: true; value: T } | { acquired: false }> {
  const ttlMs = leaseTtlMs();
  // A holder of its own per run, so a second run in this process is refused too.
  const holder = `${PROCESS_HOLDER}#${++runs}`;
  const takenAt = Date.now();
  if (!(await acquireLease(name, { holder, ttlMs, now: new Date(takenAt) })))
    return { acquired: false };
  let validUntil = heldUntil(takenAt, ttlMs);
  let renewing: Promise<void> | undefined;
  const timer = setInterval(
    () => {
      if (renewing) return;
      const startedAt = Date.now();
      renewing = renewLease(name, { holder, ttlMs, now: new Date(startedAt) })
        .then((kept) => void (validUntil = kept ? heldUntil(startedAt, ttlMs) : 0))
        .catch((e: unknown) => logger.error({ err: e, lease: name }, "lease failed"))
        .finally(() => (renewing = undefined));
    },
    Math.max(250, Math.floor(ttlMs / 3)),
  );
  timer.unref();
  try {
    return { acquired: true, value: await fn({ held: () => Date.now() < validUntil }) };
  } finally {
    clearInterval(timer);
    await renewing;
    await releaseLease(name, { holder });
  }
}
