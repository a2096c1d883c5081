// Funds (app/models/funds.server.ts, decision 0033) against a real SQLite file:
// earmarked money lands in its prisoner's fund as it is paid and goes back,
// capped, when it is given back; payouts draw oldest festival first; transfers
// move between funds after approval; exchanges convert at the treasurer's rate.
// Every test ends with the whole ledger checked.
import { createClient, type InStatement } from "@libsql/client";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type * as DbServer from "~/utils/db.server";
import type * as Ledger from "~/models/ledger.server";
import type * as Funds from "~/models/funds.server";
import type { Account, IncomePart } from "~/models/ledger.server";
import type { MoneyUser } from "../helpers/treasury";
import type * as Fixtures from "../helpers/fixtures";
import { freshTestEnv, type TestEnv } from "../helpers/env";

let env: TestEnv;
let db: typeof DbServer;
let ledger: typeof Ledger;
let funds: typeof Funds;
let fixtures: typeof Fixtures;
let alice: MoneyUser;
let bob: MoneyUser;
let n = 0;

beforeAll(async () => {
  env = freshTestEnv();
  db = await import("~/utils/db.server");
  ledger = await import("~/models/ledger.server");
  funds = await import("~/models/funds.server");
  fixtures = await import("../helpers/fixtures");
  const { createMoneyUser } = await import("../helpers/treasury");
  alice = await createMoneyUser({ name: "Alice Treasurer" });
  bob = await createMoneyUser({ name: "Bob Treasurer" });
});
afterEach(async () => {
  const check = await ledger.checkLedger();
  expect(check.problems).toEqual([]);
});
afterAll(() => db.disconnectDatabase());

const at = new Date("2030-02-01T12:00:00Z");
const uid = (prefix: string) => `${prefix}-${++n}-${Date.now().toString(36)}`;

async function festival(startsAt = "2030-01-26T13:00:00Z") {
  return (
    await fixtures.createFestivalRow({
      startsAt: new Date(startsAt),
      endsAt: new Date(new Date(startsAt).getTime() + 8 * 3600_000),
    })
  ).id;
}

async function prisoner(festivalIds: string[] = []) {
  return (await fixtures.createPrisonerRow(uid("p"), { en: "A Prisoner" }, festivalIds)).id;
}

async function run(statements: InStatement[]) {
  await db.sqlClient().batch(statements, "write");
}

function asset(
  festivalId: string,
  currency = "EUR",
  code: Ledger.AccountCode = "stripe_balance",
  holder: Account["holder"] = null,
): Account {
  return { festivalId, currency, code, holder };
}

/** Money in: a payment entry with these parts into `into` (card money by default). */
async function paid(
  festivalId: string,
  parts: IncomePart[],
  into: Account = asset(festivalId),
  id = uid("pay"),
) {
  await run(
    ledger.entryStatements({
      id,
      festivalId,
      kind: "payment",
      at,
      postings: ledger.moneyInPostings(into, parts),
    }),
  );
  return id;
}

/** Money given back: a refund entry with these parts out of `from`. */
async function refunded(
  festivalId: string,
  parts: IncomePart[],
  from: Account = asset(festivalId),
  id = uid("refund"),
) {
  await run(
    ledger.entryStatements({
      id,
      festivalId,
      kind: "refund",
      at,
      postings: ledger.moneyOutPostings(from, parts),
    }),
  );
  return id;
}

async function balanceOf(accountId: string) {
  const { rows } = await db.sqlClient().execute({
    sql: `SELECT COALESCE(SUM(amountMinor), 0) AS b FROM LedgerPosting WHERE accountId = ?`,
    args: [accountId],
  });
  return Number(rows[0]?.b ?? 0);
}

const fundId = (festivalId: string, prisonerId: string | null, currency = "EUR") =>
  ledger.accountId({ festivalId, currency, code: "fund", prisonerId });
const allocatedId = (festivalId: string, prisonerId: string | null, currency = "EUR") =>
  ledger.accountId({ festivalId, currency, code: "allocated", prisonerId });

async function entryPostings(entryId: string) {
  const { rows } = await db.sqlClient().execute({
    sql: `SELECT accountId, amountMinor, currency FROM LedgerPosting WHERE entryId = ? ORDER BY id`,
    args: [entryId],
  });
  return rows.map((r) => [String(r.accountId), Number(r.amountMinor)] as const);
}

async function refused(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return error as {
      status?: number;
      code?: string;
      fields?: Record<string, string>;
      availableMinor?: number;
    };
  }
  throw new Error("expected a refusal");
}

const count = async (table: string, where = "1", args: (string | number | null)[] = []) =>
  Number(
    (
      await db
        .sqlClient()
        .execute({ sql: `SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`, args })
    ).rows[0]?.n,
  );

describe("earmarked money", () => {
  it("is in the prisoner's fund as soon as it is paid, in the same entry, once", async () => {
    const f = await festival();
    const p = await prisoner([f]);
    const id = await paid(f, [
      { category: "ticket", amountMinor: 1500 },
      { category: "donation", prisonerId: p, amountMinor: 2000 },
    ]);
    expect(await entryPostings(id)).toEqual(
      expect.arrayContaining([
        [allocatedId(f, p), 2000],
        [fundId(f, p), -2000],
      ]),
    );
    expect(await funds.fundBalances(db.sqlClient(), p)).toEqual([
      { currency: "EUR", balanceMinor: 2000, reservedMinor: 0, availableMinor: 2000 },
    ]);
    // Replayed: nothing more.
    await paid(
      f,
      [
        { category: "ticket", amountMinor: 1500 },
        { category: "donation", prisonerId: p, amountMinor: 2000 },
      ],
      asset(f),
      id,
    );
    expect(await balanceOf(fundId(f, p))).toBe(-2000);
    const summary = ledger.summarize(await ledger.festivalBalances(f)).EUR!;
    expect(summary).toMatchObject({
      allocated: 2000,
      allocatedTo: { [p]: 2000 },
      allocatedGeneral: 0,
      funds: { [p]: 2000 },
      fundsTotal: 2000,
      // Only the ticket money waits to be allocated.
      unallocated: 1500,
    });
  });

  it("posts the mirror in the same three statements (no extra round trip for money in)", () => {
    const statements = ledger.entryStatements({
      id: uid("stmts"),
      festivalId: "F",
      kind: "payment",
      at,
      postings: ledger.moneyInPostings(asset("F"), [
        { category: "donation", prisonerId: "P1", amountMinor: 100 },
        { category: "donation", prisonerId: "P2", amountMinor: 200 },
      ]),
    });
    expect(statements).toHaveLength(3);
  });

  it("given back is taken back from the fund, never more than the fund holds (after a payout)", async () => {
    const f = await festival();
    const p = await prisoner([f]);
    await paid(f, [{ category: "donation", prisonerId: p, amountMinor: 2000 }]);
    // 1,500 of it was paid out already.
    await run(
      await funds.fundDrawStatements(db.sqlClient(), {
        prisonerId: p,
        currency: "EUR",
        amountMinor: 1500,
        kind: "payout",
        subjectId: uid("payout"),
        purpose: "lawyer",
        actorUserId: alice.id,
        at,
      }),
    );
    expect(await balanceOf(fundId(f, p))).toBe(-500);
    const refund = await refunded(f, [{ category: "donation", prisonerId: p, amountMinor: 2000 }]);
    // The fund gives back only the 500 it holds; the festival's unallocated money bears the rest.
    expect(await balanceOf(fundId(f, p))).toBe(0);
    expect(await entryPostings(refund)).toEqual(
      expect.arrayContaining([
        [allocatedId(f, p), -500],
        [fundId(f, p), 500],
      ]),
    );
    const summary = ledger.summarize(await ledger.festivalBalances(f)).EUR!;
    expect(summary.allocated).toBe(1500);
    expect(summary.unallocated).toBe(-1500);
    // Replayed: nothing more.
    await refunded(
      f,
      [{ category: "donation", prisonerId: p, amountMinor: 2000 }],
      asset(f),
      refund,
    );
    expect(await balanceOf(fundId(f, p))).toBe(0);
    expect(await entryPostings(refund)).toHaveLength(4);
    // Given back from an empty fund: no fund postings at all.
    await paid(f, [{ category: "ticket", amountMinor: 3000 }]);
    const second = await refunded(f, [{ category: "donation", prisonerId: p, amountMinor: 100 }]);
    expect(await entryPostings(second)).toHaveLength(2);
  });

  it("given back in part, with other prisoners' and unearmarked money in the same entry", async () => {
    const f = await festival();
    const [p1, p2] = [await prisoner([f]), await prisoner([f])];
    await paid(f, [
      { category: "ticket", amountMinor: 1000 },
      { category: "donation", prisonerId: p1, amountMinor: 700 },
      { category: "donation", prisonerId: p2, amountMinor: 300 },
    ]);
    await refunded(f, [
      { category: "ticket", amountMinor: 1000 },
      { category: "donation", prisonerId: p1, amountMinor: 200 },
      { category: "donation", prisonerId: p2, amountMinor: 300 },
    ]);
    expect(await balanceOf(fundId(f, p1))).toBe(-500);
    expect(await balanceOf(fundId(f, p2))).toBe(0);
    const summary = ledger.summarize(await ledger.festivalBalances(f)).EUR!;
    expect(summary.unallocated).toBe(0);
    expect(summary.funds).toEqual({ [p1]: 500, [p2]: 0 });
  });

  it("a reclassification between prisoners moves the money between their funds", async () => {
    const f = await festival();
    const [p1, p2] = [await prisoner([f]), await prisoner([f])];
    await paid(f, [{ category: "donation", prisonerId: p1, amountMinor: 900 }]);
    await run(
      ledger.entryStatements({
        id: uid("reclass"),
        festivalId: f,
        kind: "reclassification",
        at,
        postings: [
          {
            account: {
              festivalId: f,
              currency: "EUR",
              code: "income",
              category: "donation",
              prisonerId: p1,
            },
            amountMinor: 900,
          },
          {
            account: {
              festivalId: f,
              currency: "EUR",
              code: "income",
              category: "donation",
              prisonerId: p2,
            },
            amountMinor: -900,
          },
        ],
      }),
    );
    expect(await balanceOf(fundId(f, p1))).toBe(0);
    expect(await balanceOf(fundId(f, p2))).toBe(-900);
  });
});

describe("fund balances, reservations and draws", () => {
  it("reserves approved unpaid payouts: available = balance − reserved", async () => {
    const f = await festival();
    const p = await prisoner([f]);
    await paid(f, [{ category: "donation", prisonerId: p, amountMinor: 5000 }]);
    const recipient = await db.prisma.recipient.create({
      data: { id: uid("rcp"), prisonerId: p, kind: "lawyer", sealed: "not-a-real-seal" },
    });
    for (const [status, amountMinor] of [
      ["approved", 1200],
      ["proposed", 700],
      ["paid", 100],
      ["rejected", 900],
    ] as const)
      await db.prisma.payout.create({
        data: {
          id: uid("payout"),
          prisonerId: p,
          recipientId: recipient.id,
          category: "lawyer",
          amountMinor,
          currency: "EUR",
          month: "2030-02",
          status,
          proposedById: alice.id,
        },
      });
    expect(await funds.reservedBy(db.sqlClient(), p, "EUR")).toBe(1200);
    expect(await funds.reservedBy(db.sqlClient(), p, "RUB")).toBe(0);
    expect(await funds.fundBalances(db.sqlClient(), p)).toEqual([
      { currency: "EUR", balanceMinor: 5000, reservedMinor: 1200, availableMinor: 3800 },
    ]);
  });

  it("draws from the oldest festival first, assets in order, one entry per festival", async () => {
    const older = await festival("2029-05-01T10:00:00Z");
    const newer = await festival("2029-09-01T10:00:00Z");
    const p = await prisoner([older, newer]);
    // The older festival's money: 600 at Stripe, 800 with a treasurer.
    await paid(older, [{ category: "donation", prisonerId: p, amountMinor: 600 }]);
    await paid(
      older,
      [{ category: "donation", prisonerId: p, amountMinor: 800 }],
      asset(older, "EUR", "treasurer_cash", { type: "user", id: alice.id }),
    );
    await paid(newer, [{ category: "donation", prisonerId: p, amountMinor: 3000 }]);
    const subjectId = uid("payout");
    const statements = await funds.fundDrawStatements(db.sqlClient(), {
      prisonerId: p,
      currency: "EUR",
      amountMinor: 2000,
      kind: "payout",
      subjectId,
      purpose: "parcels_letters",
      actorUserId: alice.id,
      at,
    });
    await run(statements);
    expect(await entryPostings(`payout:${subjectId}:${older}`)).toEqual([
      [fundId(older, p), 1400],
      [`${older}:EUR:stripe_balance`, -600],
      [`${older}:EUR:treasurer_cash:user=${alice.id}`, -800],
    ]);
    expect(await entryPostings(`payout:${subjectId}:${newer}`)).toEqual([
      [fundId(newer, p), 600],
      [`${newer}:EUR:stripe_balance`, -600],
    ]);
    const { rows } = await db.sqlClient().execute({
      sql: `SELECT kind, purpose FROM LedgerEntry WHERE id = ?`,
      args: [`payout:${subjectId}:${older}`],
    });
    expect(rows[0]).toMatchObject({ kind: "payout", purpose: "parcels_letters" });
    const view = await funds.fundView(p);
    expect(view.balances).toEqual([
      { currency: "EUR", balanceMinor: 2400, reservedMinor: 0, availableMinor: 2400 },
    ]);
    expect(view.byFestival).toEqual([{ festivalId: newer, currency: "EUR", balanceMinor: 2400 }]);
  });

  it("refuses more than the fund holds: 409 insufficient_funds with what is available", async () => {
    const f = await festival();
    const p = await prisoner([f]);
    await paid(f, [{ category: "donation", prisonerId: p, amountMinor: 999 }]);
    const error = await refused(
      funds.fundDrawStatements(db.sqlClient(), {
        prisonerId: p,
        currency: "EUR",
        amountMinor: 1000,
        kind: "payout",
        subjectId: uid("payout"),
        purpose: "other",
        actorUserId: alice.id,
        at,
      }),
    );
    expect(error).toMatchObject({ status: 409, code: "insufficient_funds", availableMinor: 999 });
    // In another currency the fund holds nothing.
    expect(
      await refused(
        funds.fundDrawStatements(db.sqlClient(), {
          prisonerId: p,
          currency: "RUB",
          amountMinor: 1,
          kind: "payout",
          subjectId: uid("payout"),
          purpose: "other",
          actorUserId: alice.id,
          at,
        }),
      ),
    ).toMatchObject({ status: 409, availableMinor: 0 });
  });

  it("the database refuses an entry that overdraws a fund, whatever the code", async () => {
    const f = await festival();
    const p = await prisoner([f]);
    await paid(f, [{ category: "donation", prisonerId: p, amountMinor: 100 }]);
    await expect(
      run(
        ledger.entryStatements({
          id: uid("overdraw"),
          festivalId: f,
          kind: "payout",
          at,
          postings: [
            {
              account: { festivalId: f, currency: "EUR", code: "fund", prisonerId: p },
              amountMinor: 101,
            },
            { account: asset(f), amountMinor: -101 },
          ],
        }),
      ),
    ).rejects.toThrow(/ledger_fund_overdrawn/);
  });

  it("takes a cost out of the festival's assets in order: Stripe, treasurers, in transit, door", async () => {
    const f = await festival();
    await paid(
      f,
      [{ category: "ticket", amountMinor: 100 }],
      asset(f, "EUR", "door_cash", { type: "device", id: "dev1" }),
    );
    await paid(
      f,
      [{ category: "ticket", amountMinor: 200 }],
      asset(f, "EUR", "cash_in_transit", { type: "user", id: bob.id }),
    );
    await paid(
      f,
      [{ category: "ticket", amountMinor: 300 }],
      asset(f, "EUR", "treasurer_cash", { type: "user", id: bob.id }),
    );
    await paid(f, [{ category: "ticket", amountMinor: 400 }]);
    const postings = await funds.assetDrawPostings(db.sqlClient(), f, "EUR", 950);
    expect(postings.map((p) => [p.account.code, p.amountMinor])).toEqual([
      ["stripe_balance", -400],
      ["treasurer_cash", -300],
      ["cash_in_transit", -200],
      ["door_cash", -50],
    ]);
    expect(await refused(funds.assetDrawPostings(db.sqlClient(), f, "EUR", 1001))).toMatchObject({
      status: 409,
      code: "insufficient_funds",
      availableMinor: 1000,
    });
  });
});

describe("transfers", () => {
  async function funded(amountMinor: number) {
    const f = await festival();
    const from = await prisoner([f]);
    const to = await prisoner([f]);
    await paid(f, [{ category: "donation", prisonerId: from, amountMinor }]);
    return { f, from, to };
  }

  it("moves money only after another treasurer approves (never the proposer)", async () => {
    const { f, from, to } = await funded(5000);
    const t = await funds.proposeTransfer(alice.actor, {
      fromPrisonerId: from,
      toPrisonerId: to,
      currency: "EUR",
      amountMinor: 3000,
      reason: "released",
    });
    expect(t.status).toBe("proposed");
    expect(await balanceOf(fundId(f, from))).toBe(-5000);
    expect(await refused(funds.approveTransfer(alice.actor, t.id))).toMatchObject({
      status: 403,
      code: "self_approval",
    });
    const done = await funds.approveTransfer(bob.actor, t.id);
    expect(done).toMatchObject({ status: "done", approvals: 1, needed: 1, decidedById: bob.id });
    expect(await balanceOf(fundId(f, from))).toBe(-2000);
    expect(await balanceOf(fundId(f, to))).toBe(-3000);
    expect(await entryPostings(`fund_transfer:${t.id}:${f}`)).toEqual([
      [fundId(f, from), 3000],
      [fundId(f, to), -3000],
    ]);
    // Done: approving, rejecting or cancelling again is a 409, and nothing moves twice.
    for (const again of [
      funds.approveTransfer(bob.actor, t.id),
      funds.closeTransfer(bob.actor, t.id, "rejected"),
      funds.closeTransfer(alice.actor, t.id, "cancelled"),
    ])
      expect(await refused(again)).toMatchObject({ status: 409, code: "transfer_not_proposed" });
    expect(await balanceOf(fundId(f, to))).toBe(-3000);
    const actions = await db.sqlClient().execute({
      sql: `SELECT action, details FROM AuditEvent WHERE targetId = ? ORDER BY id`,
      args: [t.id],
    });
    expect(actions.rows.map((r) => r.action)).toEqual([
      "transfer.propose",
      "transfer.approve",
      "transfer.done",
    ]);
    // The reason is for treasurers only: never in the audit log.
    expect(actions.rows.map((r) => String(r.details)).join()).not.toContain("released");
  });

  it("to and from the general fund (null)", async () => {
    const { f, from } = await funded(1000);
    const t = await funds.proposeTransfer(alice.actor, {
      fromPrisonerId: from,
      toPrisonerId: null,
      currency: "EUR",
      amountMinor: 1000,
      reason: "fund closed",
    });
    await funds.approveTransfer(bob.actor, t.id);
    expect(await balanceOf(fundId(f, null))).toBe(-1000);
    expect((await funds.fundView(null)).balances).toEqual(
      expect.arrayContaining([expect.objectContaining({ currency: "EUR" })]),
    );
    const back = await funds.proposeTransfer(bob.actor, {
      fromPrisonerId: null,
      toPrisonerId: from,
      currency: "EUR",
      amountMinor: 400,
      reason: "back",
    });
    await funds.approveTransfer(alice.actor, back.id);
    expect(await balanceOf(fundId(f, from))).toBe(-400);
  });

  it("refuses bad proposals (422) and more than is available (409), writing nothing", async () => {
    const { from, to } = await funded(1000);
    const before = await count("FundTransfer");
    const base = {
      fromPrisonerId: from,
      toPrisonerId: to,
      currency: "EUR",
      amountMinor: 100,
      reason: "r",
    };
    for (const [input, field] of [
      [{ ...base, toPrisonerId: from }, "toPrisonerId"],
      [{ ...base, toPrisonerId: "no-such-prisoner" }, "toPrisonerId"],
      [{ ...base, currency: "XXX1" }, "currency"],
      [{ ...base, amountMinor: 0 }, "amountMinor"],
      [{ ...base, amountMinor: 1.5 }, "amountMinor"],
      [{ ...base, reason: "  " }, "reason"],
    ] as const)
      expect(await refused(funds.proposeTransfer(alice.actor, input))).toMatchObject({
        status: 422,
        fields: { [field]: expect.any(String) },
      });
    expect(
      await refused(funds.proposeTransfer(alice.actor, { ...base, amountMinor: 1001 })),
    ).toMatchObject({ status: 409, code: "insufficient_funds", availableMinor: 1000 });
    // A pending proposal holds its amount back from the next one.
    await funds.proposeTransfer(alice.actor, { ...base, amountMinor: 800 });
    expect(
      await refused(funds.proposeTransfer(bob.actor, { ...base, amountMinor: 300 })),
    ).toMatchObject({ status: 409, availableMinor: 200 });
    expect(await count("FundTransfer")).toBe(before + 1);
  });

  it("rejected or cancelled: nothing moves; only the proposer (or an admin) cancels", async () => {
    const { f, from, to } = await funded(1000);
    const input = {
      fromPrisonerId: from,
      toPrisonerId: to,
      currency: "EUR",
      amountMinor: 100,
      reason: "r",
    };
    const a = await funds.proposeTransfer(alice.actor, input);
    expect(await refused(funds.closeTransfer(bob.actor, a.id, "cancelled"))).toMatchObject({
      status: 403,
    });
    expect((await funds.closeTransfer(alice.actor, a.id, "cancelled")).status).toBe("cancelled");
    const b = await funds.proposeTransfer(alice.actor, input);
    expect((await funds.closeTransfer(bob.actor, b.id, "rejected")).status).toBe("rejected");
    expect(await refused(funds.approveTransfer(bob.actor, b.id))).toMatchObject({ status: 409 });
    expect(await balanceOf(fundId(f, to))).toBe(0);
    expect(await refused(funds.approveTransfer(bob.actor, "no-such-transfer"))).toMatchObject({
      status: 404,
    });
  });

  it("refuses at approval when the fund no longer has it (paid out meanwhile)", async () => {
    const { f, from, to } = await funded(1000);
    const t = await funds.proposeTransfer(alice.actor, {
      fromPrisonerId: from,
      toPrisonerId: to,
      currency: "EUR",
      amountMinor: 800,
      reason: "r",
    });
    await run(
      await funds.fundDrawStatements(db.sqlClient(), {
        prisonerId: from,
        currency: "EUR",
        amountMinor: 500,
        kind: "payout",
        subjectId: uid("payout"),
        purpose: "fine",
        actorUserId: bob.id,
        at,
      }),
    );
    expect(await refused(funds.approveTransfer(bob.actor, t.id))).toMatchObject({
      status: 409,
      code: "insufficient_funds",
      availableMinor: 500,
    });
    // Nothing half-written: no approval row, still proposed.
    expect(await count("Approval", "subjectId = ?", [t.id])).toBe(0);
    expect((await funds.getTransfer(db.sqlClient(), t.id)).status).toBe("proposed");
    expect(await balanceOf(fundId(f, to))).toBe(0);
  });

  it("two treasurers approving at once move the money once", async () => {
    const { createMoneyUser } = await import("../helpers/treasury");
    const carol = await createMoneyUser();
    const { f, from, to } = await funded(1000);
    const t = await funds.proposeTransfer(alice.actor, {
      fromPrisonerId: from,
      toPrisonerId: to,
      currency: "EUR",
      amountMinor: 600,
      reason: "r",
    });
    const outcomes = await Promise.allSettled([
      funds.approveTransfer(bob.actor, t.id),
      funds.approveTransfer(carol.actor, t.id),
    ]);
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    expect(await balanceOf(fundId(f, to))).toBe(-600);
    expect(await balanceOf(fundId(f, from))).toBe(-400);
  });
});

describe("exchanges", () => {
  it("converts with BigInt by each currency's minor units, half up", () => {
    expect(funds.convertMinor(1000, "EUR", "RUB", "95.25")).toBe(95250);
    expect(funds.convertMinor(1, "EUR", "RUB", "95.25")).toBe(95); // 0.9525 ₽ → 95 kopecks
    expect(funds.convertMinor(1, "EUR", "JPY", "0.5")).toBe(0); // 0.005 ¥
    expect(funds.convertMinor(100, "EUR", "JPY", "162.5")).toBe(163); // 162.5 ¥ → 163
    expect(funds.convertMinor(1000, "JPY", "EUR", "0.0061")).toBe(610);
    expect(funds.convertMinor(1000, "EUR", "KWD", "0.333")).toBe(3330); // 3 decimals
    expect(funds.convertMinor(3, "EUR", "USD", "0.5")).toBe(2); // 1.5 cents → 2
    expect(funds.convertMinor(9_000_000_000_000, "EUR", "RUB", "999999999999")).toBeNull();
    for (const bad of ["", "0", "0.000", "-1", "1e3", "1,5", " 1", "1.", ".5", "NaN"])
      expect(funds.convertMinor(100, "EUR", "RUB", bad), bad).toBeNull();
  });

  it("converts the fund and its festival's assets in one entry per festival, with its row and audit", async () => {
    const older = await festival("2028-01-01T10:00:00Z");
    const newer = await festival("2028-06-01T10:00:00Z");
    const p = await prisoner([older, newer]);
    await paid(older, [{ category: "donation", prisonerId: p, amountMinor: 333 }]);
    await paid(newer, [{ category: "donation", prisonerId: p, amountMinor: 10_000 }]);
    const x = await funds.createExchange(
      alice.actor,
      {
        prisonerId: p,
        fromCurrency: "EUR",
        toCurrency: "RUB",
        amountMinor: 1000,
        rate: "95.25",
        ratedOn: "2026-11-30",
      },
      new Date("2026-12-01T10:00:00Z"),
    );
    expect(x.toAmountMinor).toBe(95250);
    // 3.33 € from the older festival (317.18 ₽ rounded), the rest from the newer.
    expect(await entryPostings(`fund_exchange:${x.id}:${older}`)).toEqual([
      [fundId(older, p), 333],
      [`${older}:EUR:stripe_balance`, -333],
      [`${older}:RUB:stripe_balance`, 31718],
      [fundId(older, p, "RUB"), -31718],
    ]);
    expect(await entryPostings(`fund_exchange:${x.id}:${newer}`)).toEqual([
      [fundId(newer, p), 667],
      [`${newer}:EUR:stripe_balance`, -667],
      [`${newer}:RUB:stripe_balance`, 63532],
      [fundId(newer, p, "RUB"), -63532],
    ]);
    expect(await funds.fundBalances(db.sqlClient(), p)).toEqual([
      { currency: "EUR", balanceMinor: 9333, reservedMinor: 0, availableMinor: 9333 },
      { currency: "RUB", balanceMinor: 95250, reservedMinor: 0, availableMinor: 95250 },
    ]);
    const row = await db.prisma.fundExchange.findUniqueOrThrow({ where: { id: x.id } });
    expect(row).toMatchObject({
      fromAmountMinor: 1000,
      toAmountMinor: 95250,
      rate: "95.25",
      ratedOn: "2026-11-30",
    });
    expect(await count("AuditEvent", "action = 'exchange.create' AND targetId = ?", [x.id])).toBe(
      1,
    );
    expect((await funds.listExchanges({ prisonerId: p })).map((e) => e.id)).toEqual([x.id]);
  });

  it("refuses bad input (422) and more than the fund holds (409), writing nothing", async () => {
    const f = await festival();
    const p = await prisoner([f]);
    await paid(f, [{ category: "donation", prisonerId: p, amountMinor: 500 }]);
    const now = new Date("2026-12-01T10:00:00Z");
    const base = {
      prisonerId: p,
      fromCurrency: "EUR",
      toCurrency: "RUB",
      amountMinor: 100,
      rate: "95.25",
      ratedOn: "2026-11-30",
    };
    const before = await count("FundExchange");
    for (const [input, field] of [
      [{ ...base, toCurrency: "EUR" }, "toCurrency"],
      [{ ...base, fromCurrency: "ZZZ" }, "fromCurrency"],
      [{ ...base, rate: "0" }, "rate"],
      [{ ...base, rate: "1e2" }, "rate"],
      [{ ...base, ratedOn: "2026-02-30" }, "ratedOn"],
      [{ ...base, ratedOn: "2027-06-01" }, "ratedOn"],
      [{ ...base, amountMinor: -5 }, "amountMinor"],
      [{ ...base, prisonerId: "nobody" }, "prisonerId"],
      [{ ...base, rate: "0.0001" }, "amountMinor"],
    ] as const)
      expect(
        await refused(funds.createExchange(alice.actor, input, now)),
        JSON.stringify(input),
      ).toMatchObject({
        status: 422,
        fields: { [field]: expect.any(String) },
      });
    expect(
      await refused(funds.createExchange(alice.actor, { ...base, amountMinor: 501 }, now)),
    ).toMatchObject({ status: 409, code: "insufficient_funds", availableMinor: 500 });
    expect(await count("FundExchange")).toBe(before);
    expect(await balanceOf(fundId(f, p))).toBe(-500);
  });
});

describe("checkLedger", () => {
  it("reports a fund account below zero (in a copy with the triggers dropped)", async () => {
    const f = await festival();
    const file = path.join(env.dir, `${uid("copy")}.db`);
    await db.sqlClient().execute({ sql: "VACUUM INTO ?", args: [file] });
    const client = createClient({ url: `file:${file}` });
    try {
      const { rows } = await client.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'LedgerEntry_%'",
      );
      for (const r of rows) await client.execute(`DROP TRIGGER "${String(r.name)}"`);
      await client.batch(
        ledger.entryStatements({
          id: "broken",
          festivalId: f,
          kind: "payout",
          at,
          postings: [
            {
              account: { festivalId: f, currency: "EUR", code: "fund", prisonerId: "PX" },
              amountMinor: 50,
            },
            { account: asset(f), amountMinor: -50 },
          ],
        }),
        "write",
      );
      const check = await ledger.checkLedger(client);
      expect(check.problems).toContain(`fund account ${f}:EUR:fund:p=PX: holds -50, below zero`);
    } finally {
      client.close();
    }
  });
});
