// Interactive transactions must not leak SQLite connections: @libsql/client 0.8
// opened a new connection for the client after each transaction and never closed
// the one it handed over. Open file descriptors stay flat over 2,000 of them,
// through the direct client and through Prisma's interactive transactions.
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as DbServer from "~/utils/db.server";
import { BUSY_SLICE_MS } from "~/utils/sqlite-connections.server";
import { freshTestEnv } from "../helpers/env";

let db: typeof DbServer;

beforeAll(async () => {
  freshTestEnv();
  db = await import("~/utils/db.server");
  await db.prepareDatabase();
});
afterAll(async () => {
  await db.disconnectDatabase();
});

/** Open file descriptors of this process (Linux). */
function openFiles() {
  return fs.readdirSync("/proc/self/fd").length;
}

const ROUNDS = 2_000;

describe("database connections", () => {
  it("writeTransaction keeps open files flat over 2,000 transactions", async () => {
    // Warm up: the first transactions open the connections that stay.
    for (let i = 0; i < 20; i++)
      await db.writeTransaction((tx) => tx.execute("SELECT count(*) FROM User"));
    const before = openFiles();
    for (let i = 0; i < ROUNDS; i++)
      await db.writeTransaction((tx) => tx.execute("SELECT count(*) FROM User"));
    const after = openFiles();
    expect(after - before, `open files ${before} → ${after}`).toBeLessThan(10);
  });

  it("a rolled-back transaction closes its connection too", async () => {
    const before = openFiles();
    for (let i = 0; i < 500; i++)
      await db
        .writeTransaction(async (tx) => {
          await tx.execute("SELECT 1");
          throw new Error("roll back");
        })
        .catch(() => undefined);
    expect(openFiles() - before).toBeLessThan(10);
  });

  it("Prisma's interactive transactions keep open files flat over 2,000 transactions", async () => {
    for (let i = 0; i < 20; i++) await db.prisma.$transaction((tx) => tx.user.count());
    const before = openFiles();
    for (let i = 0; i < ROUNDS; i++) await db.prisma.$transaction((tx) => tx.user.count());
    const after = openFiles();
    expect(after - before, `open files ${before} → ${after}`).toBeLessThan(10);
  });

  it("every connection carries the pragmas, also under concurrent transactions", async () => {
    // More transactions at once than the client has connections: they wait, none fail.
    const seen = await Promise.all(
      Array.from({ length: 20 }, () =>
        db.writeTransaction(async (tx) => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          const read = async (pragma: string) =>
            Number(Object.values((await tx.execute(`PRAGMA ${pragma}`)).rows[0]!)[0]);
          return {
            synchronous: await read("synchronous"),
            foreignKeys: await read("foreign_keys"),
            busyTimeout: await read("busy_timeout"),
          };
        }),
      ),
    );
    // 1 = NORMAL (the default in SQLite is FULL: an fsync per commit).
    // busy_timeout: SQLite's own wait per try; longer waits are asynchronous (sqlite-connections.server.ts).
    for (const s of seen)
      expect(s).toEqual({ synchronous: 1, foreignKeys: 1, busyTimeout: BUSY_SLICE_MS });
    // Plain statements while transactions are open use the other connections.
    const shared = await Promise.all(
      Array.from({ length: 20 }, () => db.sqlClient().execute("PRAGMA synchronous")),
    );
    for (const r of shared) expect(Number(Object.values(r.rows[0]!)[0])).toBe(1);
  });

  it("a statement during an open transaction neither waits for it nor fails", async () => {
    await db.writeTransaction(async (tx) => {
      await tx.execute("SELECT 1");
      const outside = await db.sqlClient().execute("SELECT count(*) AS n FROM User");
      expect(Number(outside.rows[0]!.n)).toBeGreaterThanOrEqual(0);
    });
  });
});
