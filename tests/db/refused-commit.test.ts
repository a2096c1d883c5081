// A COMMIT that SQLite refuses (a deferred foreign key, here) leaves the
// transaction open on its connection: @libsql/client hands that connection
// back to its pool still inside the transaction, holding the write lock, so
// every later writer — in this process and in any other on the same file —
// waits for it until SQLITE_BUSY. The app's client rolls such a transaction
// back: the refused change is gone and the database takes writes at once.
import { createClient } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as DbServer from "~/utils/db.server";
import { freshTestEnv, type TestEnv } from "../helpers/env";

let db: typeof DbServer;
let env: TestEnv;

beforeAll(async () => {
  env = freshTestEnv();
  db = await import("~/utils/db.server");
  await db.prepareDatabase();
  await db.sqlClient().executeMultiple(`
    CREATE TABLE RefusedParent (id TEXT PRIMARY KEY);
    CREATE TABLE RefusedChild (id TEXT PRIMARY KEY,
      parentId TEXT REFERENCES RefusedParent(id) DEFERRABLE INITIALLY DEFERRED);`);
});
afterAll(async () => {
  await db.disconnectDatabase();
});

describe("a COMMIT that SQLite refuses", () => {
  it("rolls the transaction back: nothing of it stays, and the next writers do not wait", async () => {
    for (let round = 0; round < 3; round++) {
      const tx = await db.sqlClient().transaction("write");
      await tx.execute({
        sql: "INSERT INTO RefusedChild (id, parentId) VALUES (?, 'nobody')",
        args: [`orphan-${round}`],
      });
      await expect(tx.commit()).rejects.toThrow(/FOREIGN KEY/);
    }
    // Another process's connection (no write gate of ours in between) writes at once.
    const other = createClient({ url: env.databaseUrl });
    await other.execute("PRAGMA busy_timeout = 200");
    await other.execute("INSERT INTO RefusedParent (id) VALUES ('p1')");
    other.close();
    // And so does the app's own client, with and without Prisma.
    await db.writeTransaction((tx) =>
      tx.execute("INSERT INTO RefusedChild (id, parentId) VALUES ('c1', 'p1')"),
    );
    await db.prisma.$executeRawUnsafe("INSERT INTO RefusedParent (id) VALUES ('p2')");
    const rows = await db.sqlClient().execute("SELECT id FROM RefusedChild ORDER BY id");
    expect(rows.rows.map((r) => r.id)).toEqual(["c1"]);
  });

  it("in a batch too; a statement the batch refuses (a constraint) leaves its connection usable", async () => {
    for (let round = 0; round < 3; round++) {
      await expect(
        db.sqlClient().batch(
          [
            {
              sql: "INSERT INTO RefusedChild (id, parentId) VALUES (?, 'nobody')",
              args: [`b-${round}`],
            },
          ],
          "write",
        ),
      ).rejects.toThrow(/FOREIGN KEY/);
      await expect(
        db.sqlClient().batch(["INSERT INTO RefusedParent (id) VALUES ('p1')"], "write"),
      ).rejects.toThrow(/UNIQUE/);
      const other = createClient({ url: env.databaseUrl });
      await other.execute("PRAGMA busy_timeout = 200");
      await other.execute({
        sql: "INSERT INTO RefusedParent (id) VALUES (?)",
        args: [`o-${round}`],
      });
      other.close();
      // Every connection of the app's client still writes (8 of them: more rounds than that).
      for (let i = 0; i < 10; i++)
        await db.writeTransaction((tx) =>
          tx.execute({
            sql: "INSERT INTO RefusedParent (id) VALUES (?)",
            args: [`w-${round}-${i}`],
          }),
        );
    }
    const rows = await db.sqlClient().execute("SELECT id FROM RefusedChild WHERE id LIKE 'b-%'");
    expect(rows.rows).toEqual([]);
  });
});
