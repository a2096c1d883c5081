// The outbox's queries go through indexes (the outbox only grows, and the
// driver is synchronous: a scan blocks the event loop, door verdicts included):
// - the retention job finds an erased order's emails by the order id in their
//   payload, and exactly those rows — also beside rows whose payload is not JSON;
// - the delivery query asks, per due row, whether an earlier pending email to the
//   same address exists: by address (a scan of every pending row per due row was
//   30 ms with 400 emails waiting, 3 s with 4,000).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as Privacy from "~/models/privacy.server";
import type * as Email from "~/utils/email.server";
import type * as DbServer from "~/utils/db.server";
import { freshTestEnv } from "../helpers/env";

let db: typeof DbServer;
let privacy: typeof Privacy;
let email: typeof Email;

beforeAll(async () => {
  freshTestEnv();
  db = await import("~/utils/db.server");
  privacy = await import("~/models/privacy.server");
  email = await import("~/utils/email.server");
  await db.prepareDatabase();
  const rows: [string, string][] = [];
  for (let i = 0; i < 300; i++) rows.push([`m${i}`, JSON.stringify({ orderId: `o${i % 100}` })]);
  rows.push(["bad", "not json"], ["other", JSON.stringify({ waitlistId: "o1" })]);
  const pending: [string, string][] = [];
  for (let i = 0; i < 400; i++) pending.push([`p${i}`, `buyer${i % 350}@example.test`]);
  await db.sqlClient().batch(
    rows.map(([id, payload]) => ({
      sql: `INSERT INTO OutboxEmail (id, "to", template, locale, payload, status, attempts, nextAttemptAt, createdAt)
            VALUES (?, 'a@example.test', 'order-confirmation', 'en', ?, 'sent', 1, datetime('now'), datetime('now'))`,
      args: [id, payload],
    })),
    "write",
  );
  await db.sqlClient().batch(
    pending.map(([id, to], i) => ({
      sql: `INSERT INTO OutboxEmail (id, "to", template, locale, payload, status, attempts, nextAttemptAt, createdAt)
            VALUES (?, ?, 'order-confirmation', 'en', '{}', 'pending', 0, datetime('now', '-1 hour'), datetime('now', '-1 hour', ?))`,
      args: [id, to, `+${i} seconds`],
    })),
    "write",
  );
});
afterAll(async () => {
  await db.disconnectDatabase();
});

describe("the delivery query", () => {
  it("looks for a recipient's earlier pending email by address, not by reading every pending row", async () => {
    const query = email.sendableSql(new Date(), 20);
    const plan = await db.sqlClient().execute({ ...query, sql: `EXPLAIN QUERY PLAN ${query.sql}` });
    const detail = plan.rows.map((r) => String(r.detail)).join("\n");
    expect(detail).toMatch(/SEARCH p USING (COVERING )?INDEX OutboxEmail_pending_to_idx \(to=\?/);
  });

  it("takes each recipient's first waiting email, oldest first", async () => {
    const rows = (await db.sqlClient().execute(email.sendableSql(new Date(), 400))).rows;
    const ids = rows.map((r) => String(r.id));
    // 350 addresses: p0…p349 are each one's first; p350…p399 wait behind p0…p49.
    expect(ids).toEqual(Array.from({ length: 350 }, (_, i) => `p${i}`));
  });
});

describe("an erased order's emails", () => {
  it("are found through OutboxEmail_orderId_idx, not by reading the whole outbox", async () => {
    const plan = await db.sqlClient().execute({
      sql: `EXPLAIN QUERY PLAN ${privacy.outboxOfOrdersSql(2)}`,
      args: ["o1", "o2"],
    });
    const detail = plan.rows.map((r) => String(r.detail)).join("\n");
    expect(detail).toContain("OutboxEmail_orderId_idx");
    expect(detail).not.toMatch(/^SCAN OutboxEmail$/m);
  });

  it("are exactly the rows naming one of the orders", async () => {
    const found = await db.sqlClient().execute({
      sql: privacy.outboxOfOrdersSql(2),
      args: ["o1", "o42"],
    });
    expect(found.rows.map((r) => String(r.id)).sort()).toEqual(
      ["m1", "m101", "m201", "m42", "m142", "m242"].sort(),
    );
  });
});
