// Which real errors count as storage faults (app/utils/storage-faults.server.ts):
// the database locked, through the direct client and through Prisma; a write
// refused by the file system; and which do not (a constraint, a domain error).
import { createClient, type Client } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as DbServer from "~/utils/db.server";
import type * as Faults from "~/utils/storage-faults.server";
import { DomainError } from "~/utils/domain-error";
import { freshTestEnv, type TestEnv } from "../helpers/env";

let env: TestEnv;
let other: Client;
let db: typeof DbServer;
let faults: typeof Faults;

beforeAll(async () => {
  env = freshTestEnv();
  other = createClient({ url: env.databaseUrl });
  db = await import("~/utils/db.server");
  faults = await import("~/utils/storage-faults.server");
});
afterAll(async () => {
  other.close();
  await db.disconnectDatabase();
});

async function failure(run: () => Promise<unknown>) {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error("it did not fail");
}

describe("storage faults", () => {
  it("the database locked: busy, through libSQL and through Prisma", async () => {
    const lock = await other.transaction("write");
    try {
      await lock.execute("UPDATE User SET name = name WHERE id = 'none'");
      const direct = await failure(() =>
        db.sqlClient().execute("UPDATE User SET name = name WHERE id = 'x'"),
      );
      const viaPrisma = await failure(() =>
        db.prisma.user.updateMany({ where: { id: "x" }, data: { name: "y" } }),
      );
      for (const error of [direct, viaPrisma]) {
        const fault = faults.storageFaultOf(error);
        expect(fault?.kind, String(error)).toBe("database_busy");
        expect(fault?.status).toBe(503);
        expect(fault?.headers).toEqual({ "Retry-After": "5" });
      }
    } finally {
      await lock.rollback();
    }
  }, 30_000);

  it("the file system refusing a write: full", async () => {
    for (const code of ["ENOSPC", "EFBIG", "EDQUOT"]) {
      const error = Object.assign(new Error(`${code}: no space left`), { code });
      expect(faults.storageFaultOf(error)?.kind).toBe("storage_full");
    }
    expect(faults.storageFaultOf(new Error("SQLITE_IOERR: disk I/O error"))?.kind).toBe(
      "storage_full",
    );
  });

  it("neither: a constraint, a domain error, a plain bug", async () => {
    const constraint = await failure(() =>
      db.sqlClient().execute("INSERT INTO User (id) VALUES (NULL)"),
    );
    expect(faults.storageFaultOf(constraint)).toBeNull();
    expect(faults.storageFaultOf(DomainError.conflict("x", "y"))).toBeNull();
    expect(faults.storageFaultOf(new TypeError("undefined is not a function"))).toBeNull();
  });
});
