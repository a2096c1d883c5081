// Leases on a real SQLite file (decision 0038): one holder at a time, taken
// over only after expiry, renewed and given back only by their holder; a kept
// lease waits for another holder's expiry and then runs its worker; a one-off
// lease (refund-all) refuses a second run and notices when it was lost.
// Other processes are played by other holder ids; tests/faults/two-processes
// runs real ones.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as RefundsServer from "~/models/festival-refunds.server";
import type { CurrentUser } from "~/utils/auth.server";
import type * as DbServer from "~/utils/db.server";
import type * as LeaseServer from "~/utils/lease.server";
import { freshTestEnv } from "../helpers/env";

let db: typeof DbServer;
let lease: typeof LeaseServer;
let refunds: typeof RefundsServer;
let n = 0;
const name = () => `test-lease-${++n}`;
const at = (ms: number) => new Date(Date.UTC(2030, 0, 1) + ms);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  freshTestEnv({ WORKER_LEASE_SECONDS: "2" });
  db = await import("~/utils/db.server");
  lease = await import("~/utils/lease.server");
  refunds = await import("~/models/festival-refunds.server");
});
afterAll(async () => {
  await db.disconnectDatabase();
});

const rowOf = async (leaseName: string) =>
  (
    await db.sqlClient().execute({
      sql: "SELECT holder, acquiredAt, expiresAt FROM WorkerLease WHERE name = ?",
      args: [leaseName],
    })
  ).rows[0];

describe("acquire, renew, release", () => {
  it("gives a free lease to the first asker and refuses others until it runs out", async () => {
    const l = name();
    const ttlMs = 10_000;
    expect(await lease.acquireLease(l, { holder: "a", ttlMs, now: at(0) })).toBe(true);
    expect(await lease.acquireLease(l, { holder: "b", ttlMs, now: at(1_000) })).toBe(false);
    expect(await lease.renewLease(l, { holder: "b", ttlMs, now: at(1_000) })).toBe(false);
    // Its holder extends it: acquiring again is a renewal, the start time stays.
    expect(await lease.acquireLease(l, { holder: "a", ttlMs, now: at(5_000) })).toBe(true);
    let row = await rowOf(l);
    expect(row?.holder).toBe("a");
    expect(row?.acquiredAt).toBe(db.sqlDate(at(0)));
    expect(row?.expiresAt).toBe(db.sqlDate(at(15_000)));
    // Still held a moment before the new expiry; free at it.
    expect(await lease.acquireLease(l, { holder: "b", ttlMs, now: at(14_999) })).toBe(false);
    expect((await lease.leaseHolder(l, at(14_999)))?.holder).toBe("a");
    expect(await lease.leaseHolder(l, at(15_000))).toBeNull();
    expect(await lease.acquireLease(l, { holder: "b", ttlMs, now: at(15_000) })).toBe(true);
    row = await rowOf(l);
    expect(row?.holder).toBe("b");
    expect(row?.acquiredAt).toBe(db.sqlDate(at(15_000)));
    // The old holder's renewal fails: it must stop.
    expect(await lease.renewLease(l, { holder: "a", ttlMs, now: at(15_001) })).toBe(false);
    expect(await lease.renewLease(l, { holder: "b", ttlMs, now: at(16_000) })).toBe(true);
  });

  it("is given back only by its holder", async () => {
    const l = name();
    expect(await lease.acquireLease(l, { holder: "a", ttlMs: 60_000, now: at(0) })).toBe(true);
    await lease.releaseLease(l, { holder: "b" });
    expect((await rowOf(l))?.holder).toBe("a");
    await lease.releaseLease(l, { holder: "a" });
    expect(await rowOf(l)).toBeUndefined();
    expect(await lease.acquireLease(l, { holder: "b", ttlMs: 60_000, now: at(1) })).toBe(true);
  });

  it("goes to exactly one of many askers at once, also when it has just run out", async () => {
    const l = name();
    const ask = (t: number) =>
      Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          lease.acquireLease(l, { holder: `h${t}-${i}`, ttlMs: 1_000, now: at(t) }),
        ),
      );
    expect((await ask(0)).filter(Boolean)).toHaveLength(1);
    expect((await ask(500)).filter(Boolean)).toHaveLength(0);
    const winners = await ask(1_000);
    expect(winners.filter(Boolean)).toHaveLength(1);
    expect((await rowOf(l))?.holder).toBe(`h1000-${winners.indexOf(true)}`);
  });
});

describe("keepLease (a background worker's lease)", () => {
  it("holds a free lease at once and gives it back when stopped", async () => {
    const l = name();
    let acquired = 0;
    const kept = lease.keepLease(l, { onAcquired: () => acquired++ });
    for (let i = 0; i < 50 && !kept.held(); i++) await sleep(20);
    expect(kept.held()).toBe(true);
    expect(acquired).toBe(1);
    expect((await rowOf(l))?.holder).toBe(lease.PROCESS_HOLDER);
    // Renewed while held: still ours after more than one lease (2 s).
    await sleep(2_500);
    expect(kept.held()).toBe(true);
    expect(acquired).toBe(1);
    await kept.stop();
    expect(kept.held()).toBe(false);
    expect(await rowOf(l)).toBeUndefined();
  });

  it("waits while another process holds it and takes over once that one's lease runs out", async () => {
    const l = name();
    // Another process took it just now and then died (it never renews).
    expect(await lease.acquireLease(l, { holder: "dead-process", ttlMs: 1_500 })).toBe(true);
    const started = Date.now();
    let acquiredAt = 0;
    const kept = lease.keepLease(l, { onAcquired: () => (acquiredAt = Date.now()) });
    try {
      await sleep(1_000);
      expect(kept.held()).toBe(false);
      expect((await rowOf(l))?.holder).toBe("dead-process");
      for (let i = 0; i < 100 && !kept.held(); i++) await sleep(50);
      expect(kept.held()).toBe(true);
      // Not before the dead holder's expiry; within a renewal period (2 s / 3) after it.
      expect(acquiredAt - started).toBeGreaterThanOrEqual(1_400);
      expect(acquiredAt - started).toBeLessThan(1_500 + 700 + 500);
      expect((await rowOf(l))?.holder).toBe(lease.PROCESS_HOLDER);
    } finally {
      await kept.stop();
    }
  });
});

describe("withLease (one piece of work)", () => {
  it("refuses a second run while the first holds it, and frees it afterwards, also after a throw", async () => {
    const l = name();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = lease.withLease(l, async () => {
      await gate;
      return "first";
    });
    await sleep(50);
    expect(await lease.withLease(l, () => Promise.resolve("second"))).toEqual({ acquired: false });
    release();
    expect(await first).toEqual({ acquired: true, value: "first" });
    expect(await rowOf(l)).toBeUndefined();
    await expect(lease.withLease(l, () => Promise.reject(new Error("boom")))).rejects.toThrow(
      "boom",
    );
    expect(await rowOf(l)).toBeUndefined();
  });

  it("renews while the work runs, and tells the work when another process took the lease", async () => {
    const l = name();
    const seen: boolean[] = [];
    const run = await lease.withLease(l, async (held) => {
      // Longer than the lease (2 s): renewals keep it.
      await sleep(2_500);
      seen.push(held.held());
      // Held by this run (this process's id and the run's number).
      expect(String((await rowOf(l))?.holder)).toMatch(`${lease.PROCESS_HOLDER}#`);
      // Someone else has it now (as if our renewals had stopped and it ran out).
      await db.sqlClient().execute({
        sql: "UPDATE WorkerLease SET holder = 'thief' WHERE name = ?",
        args: [l],
      });
      await sleep(1_000);
      seen.push(held.held());
      return "done";
    });
    expect(run).toEqual({ acquired: true, value: "done" });
    expect(seen).toEqual([true, false]);
    // Its release leaves the thief's lease alone.
    expect((await rowOf(l))?.holder).toBe("thief");
  });
});

describe("the festival refund-all", () => {
  it("answers 409 refund_all_running while another process runs it for that festival", async () => {
    const { createFestivalRow, createUserRow } = await import("../helpers/fixtures");
    const admin = await createUserRow({ role: "admin" });
    const actor = { ...admin, locale: null, memberships: [] } as unknown as CurrentUser;
    const festival = await createFestivalRow({ status: "cancelled" });
    const l = `refund-all:${festival.id}`;
    expect(await lease.acquireLease(l, { holder: "other-process", ttlMs: 60_000 })).toBe(true);
    await expect(refunds.cancelFestivalOrders(actor, festival.id)).rejects.toMatchObject({
      status: 409,
      code: "refund_all_running",
    });
    // That process died: once its lease has run out, the run goes ahead here.
    await db.sqlClient().execute({
      sql: "UPDATE WorkerLease SET expiresAt = ? WHERE name = ?",
      args: [db.sqlDate(new Date(Date.now() - 1)), l],
    });
    expect(await refunds.cancelFestivalOrders(actor, festival.id)).toEqual({
      cancelled: 0,
      refunded: 0,
      failed: [],
    });
    expect(await rowOf(l)).toBeUndefined();
  });
});
