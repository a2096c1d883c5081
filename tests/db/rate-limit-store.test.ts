// The shared rate-limit store (decision 0039) on a real SQLite file: fixed
// windows, atomic hits, hashed keys, and ended windows swept away. The clock is
// passed in, so windows end without waiting.
import { freshTestEnv } from "../helpers/env";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { disconnectDatabase, prepareDatabase, sqlClient } from "~/utils/db.server";
import {
  rateLimitSweepSettled,
  SharedLimiter,
  sweepExpiredRateLimits,
} from "~/utils/rate-limit-store.server";

freshTestEnv();
beforeAll(() => prepareDatabase());
afterAll(() => disconnectDatabase());

/** A day ahead: later than any window a real clock made, so every sweep below is this test's. */
const T0 = Math.ceil(Date.now() / 1000) * 1000 + 86_400_000;

async function rows(prefix: string) {
  const { rows } = await sqlClient().execute({
    sql: "SELECT key, points, expiresAtMs FROM RateLimit WHERE key LIKE ? ORDER BY key",
    args: [`${prefix}:%`],
  });
  return rows;
}

describe("a shared limiter", () => {
  it("counts hits in a fixed window and opens a new one once it has ended", async () => {
    const limiter = new SharedLimiter("t-window", 3, 60);
    const spent: number[] = [];
    for (let i = 0; i < 5; i++)
      spent.push((await limiter.add("k", 1, T0 + i * 1000)).consumedPoints);
    expect(spent).toEqual([1, 2, 3, 4, 5]);
    const late = await limiter.get("k", T0 + 30_000);
    expect(late).toEqual({ consumedPoints: 5, remainingPoints: 0, msBeforeNext: 30_000 });
    // The window opened at T0 ends at T0 + 60 s, however many hits came later.
    expect(await limiter.get("k", T0 + 60_000)).toBeNull();
    expect(await limiter.add("k", 1, T0 + 60_000)).toEqual({
      consumedPoints: 1,
      remainingPoints: 2,
      msBeforeNext: 60_000,
    });
    // Other keys and other limiters have their own windows.
    expect((await limiter.add("other", 1, T0)).consumedPoints).toBe(1);
    expect((await new SharedLimiter("t-window-2", 3, 60).add("k", 1, T0)).consumedPoints).toBe(1);
  });

  it("counts every one of many concurrent hits exactly once", async () => {
    const limiter = new SharedLimiter("t-atomic", 50, 60);
    const results = await Promise.all(Array.from({ length: 200 }, () => limiter.add("k", 1, T0)));
    const seen = results.map((r) => r.consumedPoints).sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(results.filter((r) => r.consumedPoints <= limiter.points)).toHaveLength(50);
  });

  it("set, block and delete replace or clear the window", async () => {
    const limiter = new SharedLimiter("t-set", 1, 10);
    await limiter.set("k", 1, 3600, T0);
    expect(await limiter.get("k", T0 + 3_599_000)).toMatchObject({ remainingPoints: 0 });
    expect(await limiter.get("k", T0 + 3_600_000)).toBeNull();
    await limiter.block("b", 4, T0);
    expect(await limiter.get("b", T0 + 1000)).toEqual({
      consumedPoints: 2,
      remainingPoints: 0,
      msBeforeNext: 3000,
    });
    await limiter.delete("b");
    expect(await limiter.get("b", T0 + 1000)).toBeNull();
  });

  it("stores a keyed hash of the key, never the address or email itself", async () => {
    const limiter = new SharedLimiter("t-hash", 5, 60);
    await limiter.add("203.0.113.9\nowner@example.test", 1, T0);
    const [row] = await rows("t-hash");
    expect(String(row!.key)).toMatch(/^t-hash:[A-Za-z0-9_-]{43}$/);
    const { rows: all } = await sqlClient().execute(
      "SELECT key FROM RateLimit WHERE key LIKE '%203.0.113%' OR key LIKE '%example.test%'",
    );
    expect(all).toHaveLength(0);
  });
});

describe("ended windows", () => {
  it("are deleted by the sweep, a bounded batch at a time; live ones stay", async () => {
    const limiter = new SharedLimiter("t-sweep", 5, 60);
    await rateLimitSweepSettled();
    const ended = 2_500;
    await sqlClient().batch(
      Array.from({ length: ended }, (_, i) => ({
        sql: "INSERT INTO RateLimit (key, points, expiresAtMs) VALUES (?, 1, ?)",
        args: [`t-sweep:old-${i}`, T0 - 1000 - i],
      })),
      "write",
    );
    await limiter.add("live", 1, T0);
    expect(await sweepExpiredRateLimits(T0)).toBe(1000);
    expect(await sweepExpiredRateLimits(T0)).toBe(1000);
    expect(await sweepExpiredRateLimits(T0)).toBe(ended - 2000);
    expect(await sweepExpiredRateLimits(T0)).toBe(0);
    expect((await rows("t-sweep")).map((r) => Number(r.expiresAtMs))).toEqual([T0 + 60_000]);
  });

  it("go without anyone calling the sweep: hits start it in the background", async () => {
    const limiter = new SharedLimiter("t-auto", 5, 60);
    // A burst of one-minute windows from many keys…
    for (let i = 0; i < 300; i++) await limiter.add(`burst-${i}`, 1, T0);
    await rateLimitSweepSettled();
    expect(await rows("t-auto")).toHaveLength(300);
    // …an hour later, one more hit: the ended windows go, the new one stays.
    await limiter.add("later", 1, T0 + 3_600_000);
    await rateLimitSweepSettled();
    expect(await rows("t-auto")).toHaveLength(1);
    const { rows: left } = await sqlClient().execute("SELECT COUNT(*) AS n FROM RateLimit");
    expect(Number(left[0]!.n)).toBe(1);
  });
});
