// Festival costs (app/models/festival-costs.server.ts) against a real SQLite
// file: the two-person rule (N other treasurers, the submitter never counts,
// the same person twice counts once, concurrent approvals counted exactly),
// reject / cancel, paying posts one balanced entry `cost:<id>` with the status
// change and the audit row (or nothing at all when refused), and the approved
// but unpaid totals the allocation keeps back.
import fs from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { freshTestEnv, type TestEnv } from "../helpers/env";
import type * as Costs from "~/models/festival-costs.server";
import type * as DbServer from "~/utils/db.server";
import type * as Ledger from "~/models/ledger.server";
import type { CurrentUser } from "~/utils/auth.server";
import type { MoneyUser } from "../helpers/treasury";
import { DomainError } from "~/utils/domain-error";

let env: TestEnv;
let db: typeof DbServer;
let costs: typeof Costs;
let ledger: typeof Ledger;
let resetEnvCache: () => void;
let organiser: CurrentUser;
let t1: MoneyUser;
let t2: MoneyUser;
let t3: MoneyUser;
let n = 0;

beforeAll(async () => {
  env = freshTestEnv({ PAYOUT_APPROVALS: "1" });
  db = await import("~/utils/db.server");
  costs = await import("~/models/festival-costs.server");
  ledger = await import("~/models/ledger.server");
  ({ resetEnvCache } = await import("~/utils/env.server"));
  const { createUserRow } = await import("../helpers/fixtures");
  const { createMoneyUser } = await import("../helpers/treasury");
  const row = await createUserRow({ name: "Olga Organiser" });
  organiser = {
    id: row.id,
    email: row.email,
    name: row.name,
    role: "member",
    locale: null,
    memberships: [],
  };
  t1 = await createMoneyUser({ name: "Treasurer One" });
  t2 = await createMoneyUser({ name: "Treasurer Two" });
  t3 = await createMoneyUser({ name: "Treasurer Three" });
});
afterEach(() => setApprovals(1));
afterAll(async () => {
  await db.disconnectDatabase();
  fs.rmSync(env.dir, { recursive: true, force: true });
});

function setApprovals(count: number) {
  process.env.PAYOUT_APPROVALS = String(count);
  resetEnvCache();
}

async function festival(currency = "EUR") {
  const { createFestivalRow } = await import("../helpers/fixtures");
  return createFestivalRow({ currency });
}

/** Money in at the festival: card money and door cash, as ticket income. */
async function income(
  festivalId: string,
  parts: {
    code: "stripe_balance" | "door_cash" | "treasurer_cash";
    amountMinor: number;
    holder?: string;
  }[],
  currency = "EUR",
) {
  const statements = parts.flatMap((p) =>
    ledger.entryStatements({
      id: `test:income:${++n}`,
      festivalId,
      kind: "payment",
      at: new Date(),
      postings: ledger.moneyInPostings(
        {
          festivalId,
          currency,
          code: p.code,
          holder: p.holder
            ? { type: p.code === "door_cash" ? "device" : "user", id: p.holder }
            : null,
        },
        [{ category: "ticket", amountMinor: p.amountMinor }],
      ),
    }),
  );
  await db.sqlClient().batch(statements, "write");
}

const input = (amountMinor: number, category: Costs.CostCategory = "venue"): Costs.CostInput => ({
  category,
  description: `Hall rent ${++n}`,
  amountMinor,
});

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

const count = async (table: string, where: string, args: (string | number)[]) =>
  Number(
    (
      await db
        .sqlClient()
        .execute({ sql: `SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`, args })
    ).rows[0]?.n,
  );
const audits = (id: string) =>
  db
    .sqlClient()
    .execute({
      sql: `SELECT action, actorUserId, details FROM AuditEvent WHERE targetId = ? ORDER BY id`,
      args: [id],
    })
    .then((r) => r.rows.map((x) => ({ action: String(x.action), actor: String(x.actorUserId) })));

describe("submitting", () => {
  it("records the cost as submitted, in the festival's currency, with its audit row", async () => {
    const f = await festival();
    const cost = await costs.submitCost(organiser, f, input(12_000), null);
    expect(cost).toMatchObject({
      status: "submitted",
      amountMinor: 12_000,
      currency: "EUR",
      category: "venue",
      receipt: null,
      submittedBy: { id: organiser.id, name: "Olga Organiser" },
      approvals: [],
      approvalsNeeded: 1,
    });
    expect(await audits(cost.id)).toEqual([{ action: "cost.submit", actor: organiser.id }]);
  });

  it("refuses another currency than the festival's (422) and writes nothing", async () => {
    const f = await festival();
    const error = await refusal(
      costs.submitCost(organiser, f, { ...input(500), currency: "USD" }, null),
    );
    expect(error.status).toBe(422);
    expect(error.fields).toEqual({ currency: "v.costCurrency" });
    expect(await count("FestivalCost", "festivalId = ?", [f.id])).toBe(0);
  });

  it("stores a receipt picture re-encoded; a refused receipt writes no row and no file; a failed row removes its file", async () => {
    const f = await festival();
    const receipts = path.join(env.dir, "receipts");
    const files = () => (fs.existsSync(receipts) ? fs.readdirSync(receipts).sort() : []);
    const png = await sharp({ create: { width: 40, height: 60, channels: 3, background: "#fff" } })
      .png()
      .toBuffer();
    const cost = await costs.submitCost(organiser, f, input(900), png);
    expect(cost.receipt).toMatchObject({ type: "image/webp" });
    expect(files()).toHaveLength(1);
    const before = files();
    await refusal(costs.submitCost(organiser, f, input(900), Buffer.from("<html>hi</html>")));
    expect(files()).toEqual(before);
    expect(await count("FestivalCost", "festivalId = ?", [f.id])).toBe(1);
    // A festival that does not exist: the row fails its foreign key, the file goes.
    await expect(
      costs.submitCost(organiser, { id: "no-such-festival", currency: "EUR" }, input(900), png),
    ).rejects.toThrow();
    expect(files()).toEqual(before);
  });
});

describe("the two-person rule", () => {
  it("the submitter never approves their own cost (403), even as a treasurer", async () => {
    const f = await festival();
    const cost = await costs.submitCost(t1.actor, f, input(700), null);
    const error = await refusal(costs.approveCost(t1.actor, cost.id));
    expect(error.status).toBe(403);
    expect(error.code).toBe("self_approval");
    expect(await count("Approval", "subjectId = ?", [cost.id])).toBe(0);
    const approved = await costs.approveCost(t2.actor, cost.id);
    expect(approved.status).toBe("approved");
    expect(approved.approvals.map((a) => a.userId)).toEqual([t2.id]);
    expect(approved.decidedBy?.id).toBe(t2.id);
  });

  it("with PAYOUT_APPROVALS=2: the same person twice counts once; a second person completes it", async () => {
    setApprovals(2);
    const f = await festival();
    const cost = await costs.submitCost(organiser, f, input(1_500), null);
    const first = await costs.approveCost(t1.actor, cost.id);
    expect(first).toMatchObject({ status: "submitted", approvalsNeeded: 2 });
    const again = await costs.approveCost(t1.actor, cost.id);
    expect(again.status).toBe("submitted");
    expect(again.approvals).toHaveLength(1);
    expect(await count("Approval", "subjectId = ?", [cost.id])).toBe(1);
    const done = await costs.approveCost(t2.actor, cost.id);
    expect(done.status).toBe("approved");
    expect(done.approvals.map((a) => a.userId).sort()).toEqual([t1.id, t2.id].sort());
    // One audit row per step that changed something (the repeat changed nothing).
    expect(await audits(cost.id)).toEqual([
      { action: "cost.submit", actor: organiser.id },
      { action: "cost.approve.partial", actor: t1.id },
      { action: "cost.approve", actor: t2.id },
    ]);
    // Approving an approved cost one approved before changes nothing either.
    expect((await costs.approveCost(t1.actor, cost.id)).status).toBe("approved");
  });

  it("with PAYOUT_APPROVALS=2 and a treasurer as submitter: two others are needed", async () => {
    setApprovals(2);
    const f = await festival();
    const cost = await costs.submitCost(t1.actor, f, input(1_500), null);
    await refusal(costs.approveCost(t1.actor, cost.id));
    expect((await costs.approveCost(t2.actor, cost.id)).status).toBe("submitted");
    expect((await costs.approveCost(t3.actor, cost.id)).status).toBe("approved");
  });

  it("concurrent approvals are counted exactly (serialised by the write transaction)", async () => {
    setApprovals(2);
    const f = await festival();
    const cost = await costs.submitCost(organiser, f, input(2_000), null);
    const results = await Promise.allSettled([
      costs.approveCost(t1.actor, cost.id),
      costs.approveCost(t2.actor, cost.id),
      costs.approveCost(t1.actor, cost.id),
    ]);
    expect(results.every((r) => r.status === "fulfilled")).toBe(true);
    const [view] = await costs.listCosts(f.id, { id: cost.id });
    expect(view!.status).toBe("approved");
    expect(view!.approvals).toHaveLength(2);
    expect(await count("Approval", "subjectId = ?", [cost.id])).toBe(2);
  });

  it("a late approval of a cost someone else just approved is a 409 (nothing recorded)", async () => {
    const f = await festival();
    const cost = await costs.submitCost(organiser, f, input(2_000), null);
    await costs.approveCost(t1.actor, cost.id);
    const error = await refusal(costs.approveCost(t2.actor, cost.id));
    expect(error).toMatchObject({ status: 409, code: "cost_not_pending" });
    expect(await count("Approval", "subjectId = ?", [cost.id])).toBe(1);
  });
});

describe("reject and cancel", () => {
  it("a treasurer rejects a submitted or approved cost with a note (kept on the cost, not in the audit log)", async () => {
    const f = await festival();
    const a = await costs.submitCost(organiser, f, input(300), null);
    const b = await costs.submitCost(organiser, f, input(400), null);
    await costs.approveCost(t1.actor, b.id);
    const ra = await costs.rejectCost(t2.actor, a.id, "Duplicate of the hall invoice");
    expect(ra).toMatchObject({ status: "rejected", decisionNote: "Duplicate of the hall invoice" });
    expect((await costs.rejectCost(t2.actor, b.id, "Wrong festival")).status).toBe("rejected");
    const { rows } = await db.sqlClient().execute({
      sql: `SELECT details FROM AuditEvent WHERE targetId IN (?, ?)`,
      args: [a.id, b.id],
    });
    for (const r of rows) expect(String(r.details)).not.toMatch(/Duplicate|Wrong festival/);
    expect(await costs.approvedUnpaidCosts(db.sqlClient(), f.id)).toEqual([]);
    // Rejected is final.
    expect((await refusal(costs.approveCost(t1.actor, a.id))).code).toBe("cost_not_pending");
  });

  it("only the submitter cancels, and only before approval", async () => {
    const f = await festival();
    const cost = await costs.submitCost(organiser, f, input(300), null);
    expect((await refusal(costs.cancelCost(t1.actor, cost.id))).code).toBe("not_submitter");
    expect((await costs.cancelCost(organiser, cost.id)).status).toBe("cancelled");
    const other = await costs.submitCost(organiser, f, input(300), null);
    await costs.approveCost(t1.actor, other.id);
    const error = await refusal(costs.cancelCost(organiser, other.id));
    expect(error).toMatchObject({ status: 409, code: "cost_not_pending" });
  });
});

describe("paying", () => {
  it("posts cost:<id>: debit costs (category) against the assets in order, balanced, with the status and audit row", async () => {
    const f = await festival();
    await income(f.id, [
      { code: "door_cash", amountMinor: 5_000, holder: "device-1" },
      { code: "stripe_balance", amountMinor: 10_000 },
      { code: "treasurer_cash", amountMinor: 2_000, holder: t1.id },
    ]);
    const cost = await costs.submitCost(organiser, f, input(13_000, "printing"), null);
    await costs.approveCost(t1.actor, cost.id);
    const paid = await costs.payCost(t2.actor, cost.id, { reference: "Bank transfer 2030-01-27" });
    expect(paid).toMatchObject({ status: "paid", reference: "Bank transfer 2030-01-27" });
    expect(paid.paidBy?.id).toBe(t2.id);
    const { rows: entry } = await db.sqlClient().execute({
      sql: `SELECT kind, purpose, memo FROM LedgerEntry WHERE id = ?`,
      args: [`cost:${cost.id}`],
    });
    expect(entry).toHaveLength(1);
    expect(entry[0]).toMatchObject({ kind: "cost", purpose: "printing" });
    const { rows } = await db.sqlClient().execute({
      sql: `SELECT a.code, a.category, a.holderId, p.amountMinor FROM LedgerPosting p JOIN LedgerAccount a ON a.id = p.accountId
            WHERE p.entryId = ? ORDER BY p.id`,
      args: [`cost:${cost.id}`],
    });
    const postings = rows.map((r) => ({
      code: String(r.code),
      category: r.category === null ? null : String(r.category),
      holder: r.holderId === null ? null : String(r.holderId),
      amountMinor: Number(r.amountMinor),
    }));
    expect(postings).toEqual([
      { code: "costs", category: "printing", holder: null, amountMinor: 13_000 },
      // Card money first, then the treasurer's cash, then the door's.
      { code: "stripe_balance", category: null, holder: null, amountMinor: -10_000 },
      { code: "treasurer_cash", category: null, holder: t1.id, amountMinor: -2_000 },
      { code: "door_cash", category: null, holder: "device-1", amountMinor: -1_000 },
    ]);
    expect(postings.reduce((s, p) => s + p.amountMinor, 0)).toBe(0);
    expect((await ledger.checkLedger(db.sqlClient())).balanced).toBe(true);
    const summary = ledger.summarize(await ledger.festivalBalances(f.id, db.sqlClient())).EUR!;
    expect(summary.unallocated).toBe(17_000 - 13_000);
    expect((await audits(cost.id)).map((a) => a.action)).toEqual([
      "cost.submit",
      "cost.approve",
      "cost.paid",
    ]);
    // Paid once only.
    const again = await refusal(costs.payCost(t2.actor, cost.id, { reference: "again" }));
    expect(again).toMatchObject({ status: 409, code: "cost_not_pending" });
  });

  it("only an approved cost is paid", async () => {
    const f = await festival();
    await income(f.id, [{ code: "stripe_balance", amountMinor: 10_000 }]);
    const cost = await costs.submitCost(organiser, f, input(1_000), null);
    const error = await refusal(costs.payCost(t1.actor, cost.id, { reference: "x" }));
    expect(error).toMatchObject({ status: 409, code: "cost_not_pending" });
  });

  it("refuses paying more than the festival's assets hold (409) and writes nothing", async () => {
    const f = await festival();
    await income(f.id, [{ code: "stripe_balance", amountMinor: 1_000 }]);
    const cost = await costs.submitCost(organiser, f, input(1_001), null);
    await costs.approveCost(t1.actor, cost.id);
    const error = await refusal(costs.payCost(t2.actor, cost.id, { reference: "x" }));
    expect(error).toMatchObject({ status: 409, code: "insufficient_assets" });
    const [view] = await costs.listCosts(f.id, { id: cost.id });
    expect(view!.status).toBe("approved");
    expect(await count("LedgerEntry", "id = ?", [`cost:${cost.id}`])).toBe(0);
    expect(await count("AuditEvent", "targetId = ? AND action = 'cost.paid'", [cost.id])).toBe(0);
  });

  it("refuses taking money already moved into prisoners' funds (409 insufficient_unallocated)", async () => {
    const f = await festival();
    await income(f.id, [{ code: "stripe_balance", amountMinor: 10_000 }]);
    // 9,000 of it allocated to the general fund.
    await db.sqlClient().batch(
      ledger.entryStatements({
        id: `allocation:${f.id}:test`,
        festivalId: f.id,
        kind: "allocation",
        at: new Date(),
        postings: [
          { account: { festivalId: f.id, currency: "EUR", code: "allocated" }, amountMinor: 9_000 },
          { account: { festivalId: f.id, currency: "EUR", code: "fund" }, amountMinor: -9_000 },
        ],
      }),
      "write",
    );
    const cost = await costs.submitCost(organiser, f, input(2_000), null);
    await costs.approveCost(t1.actor, cost.id);
    const error = await refusal(costs.payCost(t2.actor, cost.id, { reference: "x" }));
    expect(error).toMatchObject({ status: 409, code: "insufficient_unallocated" });
    expect(await count("LedgerEntry", "id = ?", [`cost:${cost.id}`])).toBe(0);
  });

  it("refuses a payment date in the future (422)", async () => {
    const f = await festival();
    await income(f.id, [{ code: "stripe_balance", amountMinor: 10_000 }]);
    const cost = await costs.submitCost(organiser, f, input(1_000), null);
    await costs.approveCost(t1.actor, cost.id);
    const error = await refusal(
      costs.payCost(t2.actor, cost.id, { reference: "x", paidAt: "2099-01-01T00:00:00Z" }),
    );
    expect(error.status).toBe(422);
    expect(error.fields).toEqual({ paidAt: "v.paidAtFuture" });
  });
});

describe("approved but unpaid costs", () => {
  it("total per currency only the approved ones (not submitted, paid, rejected or cancelled)", async () => {
    const f = await festival();
    await income(f.id, [{ code: "stripe_balance", amountMinor: 100_000 }]);
    const make = async (amount: number) => costs.submitCost(organiser, f, input(amount), null);
    const approved1 = await make(1_000);
    const approved2 = await make(2_500);
    const paid = await make(4_000);
    const rejected = await make(8_000);
    await make(16_000); // submitted only
    for (const c of [approved1, approved2, paid, rejected]) await costs.approveCost(t1.actor, c.id);
    await costs.payCost(t2.actor, paid.id, { reference: "r" });
    await costs.rejectCost(t2.actor, rejected.id, "no");
    expect(await costs.approvedUnpaidCosts(db.sqlClient(), f.id)).toEqual([
      { currency: "EUR", amountMinor: 3_500 },
    ]);
    const other = await festival();
    expect(await costs.approvedUnpaidCosts(db.sqlClient(), other.id)).toEqual([]);
  });
});
