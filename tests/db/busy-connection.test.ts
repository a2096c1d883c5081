// A libSQL connection whose BEGIN met another writer's lock past the busy
// timeout keeps that statement open: every later write transaction on it fails
// with "SQLITE_BUSY: cannot commit transaction - SQL statements in progress",
// long after the lock is gone. The app's connections must come back: after the
// other writer lets go, direct writes, transactions and Prisma writes succeed.
import { createClient, type Client } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PreparedClient } from "~/utils/sqlite-connections.server";
import { freshTestEnv, type TestEnv } from "../helpers/env";

let env: TestEnv;
let other: Client;
let app: PreparedClient;

beforeAll(() => {
  env = freshTestEnv();
  other = createClient({ url: env.databaseUrl });
  app = new PreparedClient({
    url: env.databaseUrl,
    pragmas: ["PRAGMA busy_timeout = 200"],
    connections: 2,
    busyTimeoutMs: 200,
  });
});
afterAll(() => {
  app.close();
  other.close();
});

const write = (note: string) => ({
  sql: "INSERT INTO AuditEvent (at, action, details) VALUES (?, ?, '{}')",
  args: [new Date().toISOString(), note],
});

/** Hold the write lock from another connection while `fn` runs. */
async function whileLocked(fn: () => Promise<void>) {
  const lock = await other.transaction("write");
  try {
    await lock.execute(write("lock"));
    await fn();
  } finally {
    await lock.rollback();
  }
}

describe("a connection that met the lock", () => {
  it("writes again once the other writer lets go (batch, execute, transaction)", async () => {
    await whileLocked(async () => {
      await expect(app.batch([write("batch")], "write")).rejects.toThrow(/SQLITE_BUSY/);
      await expect(app.execute(write("execute"))).rejects.toThrow(/SQLITE_BUSY/);
      await expect(app.transaction("write")).rejects.toThrow(/SQLITE_BUSY/);
    });
    for (let i = 0; i < 4; i++) {
      await app.batch([write(`after-batch-${i}`)], "write");
      await app.execute(write(`after-execute-${i}`));
      const tx = await app.transaction("write");
      await tx.execute(write(`after-tx-${i}`));
      await tx.commit();
    }
    const n = await other.execute(
      "SELECT count(*) AS n FROM AuditEvent WHERE action LIKE 'after-%'",
    );
    expect(Number(n.rows[0]!.n)).toBe(12);
  });
});

describe("a write meeting a lock held briefly by another process", () => {
  // Another app process's write transaction often takes longer than one busy
  // slice (10 ms) under load; a write must wait for it asynchronously, up to
  // busyTimeoutMs, not fail on the first slice. Each kind of write in turn.
  const patient = () =>
    new PreparedClient({
      url: env.databaseUrl,
      pragmas: [],
      connections: 2,
      busyTimeoutMs: 3_000,
    });

  async function lockFor(ms: number) {
    const lock = await other.transaction("write");
    await lock.execute(write("brief-lock"));
    return {
      released: new Promise<void>((resolve) =>
        setTimeout(() => void lock.rollback().then(resolve), ms),
      ),
    };
  }

  it.each([
    ["a batch", (c: PreparedClient) => c.batch([write("brief-batch")], "write").then(() => {})],
    ["a deferred batch", (c: PreparedClient) => c.batch([write("brief-deferred")]).then(() => {})],
    ["a statement", (c: PreparedClient) => c.execute(write("brief-execute")).then(() => {})],
    [
      "a transaction",
      async (c: PreparedClient) => {
        const tx = await c.transaction("write");
        await tx.execute(write("brief-tx"));
        await tx.commit();
      },
    ],
  ] as const)("%s waits for it and is written once", async (_label, run) => {
    const client = patient();
    try {
      const before = Number(
        (
          await other.execute(
            "SELECT count(*) AS n FROM AuditEvent WHERE action LIKE 'brief-%' AND action != 'brief-lock'",
          )
        ).rows[0]!.n,
      );
      const { released } = await lockFor(300);
      try {
        await run(client);
      } finally {
        await released;
      }
      const after = Number(
        (
          await other.execute(
            "SELECT count(*) AS n FROM AuditEvent WHERE action LIKE 'brief-%' AND action != 'brief-lock'",
          )
        ).rows[0]!.n,
      );
      expect(after - before).toBe(1);
    } finally {
      client.close();
    }
  });
});
