// The public transparency reports (app/models/transparency.server.ts) against
// the ledger they are computed from: card sales with an earmarked donation,
// Stripe fees and a refund through the real payment code (the Stripe fake
// behind the real SDK), then an allocation, a cost, payouts and a transfer
// posted through `entryStatements` as the treasury code posts them. Every
// figure is checked twice: against the amounts the flows moved, and against
// plain sums over the ledger's postings.
import type Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as DbServer from "~/utils/db.server";
import type * as LedgerServer from "~/models/ledger.server";
import type * as OrderServer from "~/models/order.server";
import type * as PaymentServer from "~/models/payment.server";
import type * as Transparency from "~/models/transparency.server";
import type { Account, Posting } from "~/models/ledger.server";
import { freshTestEnv } from "../helpers/env";
import {
  startStripeFake,
  type FakeEvent,
  type StripeFake,
  stripeTestEnv,
} from "../helpers/stripe-fake";

let fake: StripeFake;
let db: typeof DbServer;
let orders: typeof OrderServer;
let payment: typeof PaymentServer;
let ledger: typeof LedgerServer;
let reports: typeof Transparency;
let festivalId: string;
let draftId: string;
let typeId: string;
let boris: string;
let maria: string;
let keptOrder: string;

const now = new Date();
const thisMonth = now.toISOString().slice(0, 7);
/** A month of its own for one payout, far from the sales. */
const laterMonth = "2031-03";
const laterAt = new Date("2031-03-31T23:59:59Z");

const asEvent = (e: FakeEvent) => e as unknown as Stripe.Event;

/** A paid card order: `tickets` × €10 and a €10 donation earmarked for Boris. */
async function paidOrder(tickets: number) {
  const input = orders.checkoutSchema().parse({
    items: [{ ticketTypeId: typeId, quantity: tickets }],
    email: `report-${Math.random()}@example.test`,
    paymentMethod: "stripe",
    donation: { amountMinor: 1000, prisonerId: boris },
  });
  const placed = await orders.placeOrder(festivalId, input, {
    locale: "en",
    stripeAvailable: true,
  });
  await payment.cardCheckoutUrl(placed);
  const sessionId = [...fake.sessions.values()].find(
    (s) => s.metadata.order_id === placed.order.id,
  )!.id;
  const session = fake.completeSession(sessionId);
  expect(
    await payment.applyStripeEvent(asEvent(fake.event("checkout.session.completed", session))),
  ).toBe("fulfilled");
  return placed.order.id;
}

const eur = (code: LedgerServer.AccountCode, extra: Partial<Account> = {}): Account => ({
  festivalId,
  currency: "EUR",
  code,
  ...extra,
});

async function post(
  id: string,
  kind: LedgerServer.EntryKind,
  postings: Posting[],
  extra: { purpose?: string; at?: Date } = {},
) {
  await db.sqlClient().batch(
    ledger.entryStatements({
      id,
      festivalId,
      kind,
      at: extra.at ?? now,
      purpose: extra.purpose ?? null,
      postings,
    }),
    "write",
  );
}

/** A plain sum over postings (debit positive), for cross-checks. */
async function ledgerSum(where: string, args: (string | number)[] = []): Promise<number> {
  const { rows } = await db.sqlClient().execute({
    sql: `SELECT COALESCE(SUM(p.amountMinor), 0) AS s FROM LedgerPosting p
          JOIN LedgerAccount a ON a.id = p.accountId JOIN LedgerEntry e ON e.id = p.entryId WHERE ${where}`,
    args,
  });
  return Number(rows[0]?.s ?? 0);
}

beforeAll(async () => {
  fake = await startStripeFake();
  freshTestEnv({
    ...stripeTestEnv(fake, "whsec_test_db_transparency_0123456789"),
    PUBLIC_URL: "http://festivals.example.test",
  });
  db = await import("~/utils/db.server");
  orders = await import("~/models/order.server");
  payment = await import("~/models/payment.server");
  ledger = await import("~/models/ledger.server");
  reports = await import("~/models/transparency.server");
  const { createFestivalRow, createPrisonerRow, createTicketTypeRow } =
    await import("../helpers/fixtures");
  const festival = await createFestivalRow({
    name: "Report Fest",
    status: "published",
    publishedAt: new Date(),
    paymentMethods: JSON.stringify(["stripe"]),
  });
  festivalId = festival.id;
  draftId = (await createFestivalRow({ name: "Draft Fest" })).id;
  typeId = (await createTicketTypeRow(festivalId, 1000, 1000)).id;
  boris = (
    await createPrisonerRow("report-boris", { en: "Boris Kagarlitsky", ru: "Борис Кагарлицкий" }, [
      festivalId,
    ])
  ).id;
  maria = (await createPrisonerRow("report-maria", { en: "Maria Ponomarenko" }, [festivalId])).id;

  // Two tickets and Boris's €10 kept; one ticket and €10 for Boris refunded.
  keptOrder = await paidOrder(2);
  const refunded = await paidOrder(1);
  expect(await payment.cancelOrRefundOrder(null, refunded)).toBe("refunded");
  // Earmarked money is in the fund as soon as it is paid (decision 0033: the
  // ledger's own mirror postings). Until that lands here, the mirror of the kept
  // earmark is posted as the ledger would post it.
  const mirrored = await ledgerSum("a.code = 'fund' AND e.orderId = ?", [keptOrder]);
  if (mirrored === 0)
    await post(`order:${keptOrder}:payment:mirror`, "payment", [
      { account: eur("allocated", { prisonerId: boris }), amountMinor: 1000 },
      { account: eur("fund", { prisonerId: boris }), amountMinor: -1000 },
    ]);
  // A venue cost of €3, then €10 allocated by the rule: €4 Boris, €4 Maria, €2 general.
  await post(
    "cost:report-venue",
    "cost",
    [
      { account: eur("costs", { category: "venue" }), amountMinor: 300 },
      { account: eur("stripe_balance"), amountMinor: -300 },
    ],
    { purpose: "venue" },
  );
  await post(`allocation:${festivalId}:1`, "allocation", [
    { account: eur("allocated", { prisonerId: boris }), amountMinor: 400 },
    { account: eur("allocated", { prisonerId: maria }), amountMinor: 400 },
    { account: eur("allocated"), amountMinor: 200 },
    { account: eur("fund", { prisonerId: boris }), amountMinor: -400 },
    { account: eur("fund", { prisonerId: maria }), amountMinor: -400 },
    { account: eur("fund"), amountMinor: -200 },
  ]);
  // Boris's lawyer paid €5 now, parcels €2 later; €1 moved from Boris to Maria.
  await post(
    `payout:report-lawyer:${festivalId}`,
    "payout",
    [
      { account: eur("fund", { prisonerId: boris }), amountMinor: 500 },
      { account: eur("stripe_balance"), amountMinor: -500 },
    ],
    { purpose: "lawyer" },
  );
  await post(
    `payout:report-parcels:${festivalId}`,
    "payout",
    [
      { account: eur("fund", { prisonerId: boris }), amountMinor: 200 },
      { account: eur("stripe_balance"), amountMinor: -200 },
    ],
    { purpose: "parcels_letters", at: laterAt },
  );
  await post(`fund_transfer:report-move:${festivalId}`, "fund_transfer", [
    { account: eur("fund", { prisonerId: boris }), amountMinor: 100 },
    { account: eur("fund", { prisonerId: maria }), amountMinor: -100 },
  ]);
});
afterAll(async () => {
  await db?.disconnectDatabase();
  await fake?.close();
});

describe("prisonerTotals", () => {
  it("raised = allocations and earmarks net of refunds; paid out = payouts; transfers apart", async () => {
    const totals = await reports.prisonerTotals([boris, maria, "no-such-prisoner"]);
    expect(totals.get(boris)).toEqual([
      {
        currency: "EUR",
        raisedMinor: 1400,
        paidOutMinor: 700,
        movedMinor: -100,
        balanceMinor: 600,
      },
    ]);
    expect(totals.get(maria)).toEqual([
      { currency: "EUR", raisedMinor: 400, paidOutMinor: 0, movedMinor: 100, balanceMinor: 500 },
    ]);
    expect(totals.get("no-such-prisoner")).toEqual([]);
    expect((await reports.prisonerTotals([])).size).toBe(0);
  });

  it("equals the ledger: each fund's balance is minus the sum of its postings", async () => {
    const all = await reports.prisonerTotals();
    for (const id of [boris, maria]) {
      const [t] = all.get(id)!;
      expect(t!.balanceMinor).toBe(
        -(await ledgerSum("a.code = 'fund' AND a.prisonerId = ?", [id])),
      );
      expect(t!.paidOutMinor).toBe(
        await ledgerSum("a.code = 'fund' AND a.prisonerId = ? AND e.kind = 'payout'", [id]),
      );
      expect(t!.raisedMinor + t!.movedMinor - t!.paidOutMinor).toBe(t!.balanceMinor);
    }
  });
});

describe("festivalReport", () => {
  it("gross, refunds, fees, costs, net proceeds, allocations and what is left", async () => {
    const report = (await reports.festivalReport(festivalId, { locale: "ru" }))!;
    expect(report.festival).toMatchObject({ id: festivalId, name: "Report Fest" });
    expect(report.currencies).toHaveLength(1);
    const c = report.currencies[0]!;
    const fees = await ledgerSum("a.festivalId = ? AND a.code = 'processing_fees'", [festivalId]);
    expect(fees).toBeGreaterThan(0);
    expect(c).toMatchObject({
      currency: "EUR",
      gross: [
        { category: "donation", amountMinor: 2000 },
        { category: "ticket", amountMinor: 3000 },
      ],
      grossMinor: 5000,
      refunds: [
        { category: "donation", amountMinor: 1000 },
        { category: "ticket", amountMinor: 1000 },
      ],
      refundsMinor: 2000,
      chargebacksMinor: 0,
      feesMinor: fees,
      costs: [{ category: "venue", amountMinor: 300 }],
      costsMinor: 300,
      netProceedsMinor: 5000 - 2000 - fees - c.currencyExchangeMinor - 300,
      generalFundMinor: 200,
      allocatedMinor: 2000,
    });
    // Names in the reader's language, ordered by name.
    expect(c.allocated).toEqual([
      {
        id: boris,
        slug: "report-boris",
        name: "Борис Кагарлицкий",
        earmarkedMinor: 1000,
        byRuleMinor: 400,
        totalMinor: 1400,
      },
      {
        id: maria,
        slug: "report-maria",
        name: "Maria Ponomarenko",
        earmarkedMinor: 0,
        byRuleMinor: 400,
        totalMinor: 400,
      },
    ]);
    // Unallocated is the ledger's own figure (summarize), never a second copy.
    const summary = ledger.summarize(await ledger.festivalBalances(festivalId)).EUR!;
    expect(c.unallocatedMinor).toBe(summary.unallocated);
    expect(c.unallocatedMinor).toBe(c.netProceedsMinor - c.allocatedMinor);
    expect(c.refundsMinor).toBe(summary.refunds);
    expect(c.grossMinor).toBe(Object.values(summary.gross).reduce((s, v) => s + v, 0));
  });

  it("is null for a draft festival and an unknown id; the list shows public festivals only", async () => {
    expect(await reports.festivalReport(draftId)).toBeNull();
    expect(await reports.festivalReport("no-such-festival")).toBeNull();
    expect(await reports.festivalReport("x".repeat(500))).toBeNull();
    const list = await reports.reportFestivals();
    expect(list.map((f) => f.id)).toEqual([festivalId]);
    const report = (await reports.festivalReport(festivalId))!.currencies[0]!;
    expect(list[0]!.currencies).toEqual([
      {
        currency: "EUR",
        grossMinor: report.grossMinor,
        netProceedsMinor: report.netProceedsMinor,
        allocatedMinor: report.allocatedMinor,
      },
    ]);
  });
});

describe("monthReport", () => {
  it("collected by category against paid out by purpose and prisoner, in the month's UTC bounds", async () => {
    const report = await reports.monthReport(thisMonth);
    expect(report.month).toBe(thisMonth);
    expect(report.from).toBe(`${thisMonth}-01T00:00:00.000Z`);
    const c = report.currencies.find((x) => x.currency === "EUR")!;
    expect(c.collected).toEqual([
      { category: "donation", grossMinor: 2000, refundedMinor: 1000, netMinor: 1000 },
      { category: "ticket", grossMinor: 3000, refundedMinor: 1000, netMinor: 2000 },
    ]);
    expect(c.collectedMinor).toBe(3000);
    expect(c.costs).toEqual([{ category: "venue", amountMinor: 300 }]);
    expect(c.paidOut).toEqual([{ category: "lawyer", amountMinor: 500 }]);
    expect(c.paidOutMinor).toBe(500);
    expect(c.payouts).toEqual([
      {
        id: boris,
        slug: "report-boris",
        name: "Boris Kagarlitsky",
        category: "lawyer",
        amountMinor: 500,
      },
    ]);
    expect(c.paidOutByPrisoner).toEqual([
      { id: boris, slug: "report-boris", name: "Boris Kagarlitsky", amountMinor: 500 },
    ]);
    // Same as plain sums over the month's postings.
    const range = [`${thisMonth}-01`, report.to.slice(0, 10)];
    expect(c.collectedMinor).toBe(
      -(await ledgerSum("a.type = 'income' AND e.createdAt >= ? AND e.createdAt < ?", range)),
    );
    expect(c.paidOutMinor).toBe(
      await ledgerSum(
        "a.code = 'fund' AND e.kind = 'payout' AND e.createdAt >= ? AND e.createdAt < ?",
        range,
      ),
    );
  });

  it("a payout at the month's last second is in that month; an empty month is empty", async () => {
    const later = await reports.monthReport(laterMonth);
    expect(later.currencies).toHaveLength(1);
    expect(later.currencies[0]).toMatchObject({
      collectedMinor: 0,
      paidOut: [{ category: "parcels_letters", amountMinor: 200 }],
      payouts: [
        { id: boris, name: "Boris Kagarlitsky", category: "parcels_letters", amountMinor: 200 },
      ],
    });
    expect((await reports.monthReport("2031-04")).currencies).toEqual([]);
    expect((await reports.monthReport("2031-02")).currencies).toEqual([]);
  });

  it("the month list has every month with money, newest first, with the same figures", async () => {
    const months = await reports.reportMonths();
    expect(months.map((m) => m.month)).toEqual([laterMonth, thisMonth]);
    expect(months[1]!.currencies).toEqual([
      { currency: "EUR", collectedMinor: 3000, paidOutMinor: 500 },
    ]);
    expect(months[0]!.currencies).toEqual([
      { currency: "EUR", collectedMinor: 0, paidOutMinor: 200 },
    ]);
  });

  it("refuses what is not a month", async () => {
    for (const bad of [
      "2026-13",
      "2026-00",
      "2026-1",
      "x",
      "",
      "2026-12-01",
      "0999-01",
      " 2026-12",
      "2026-12\n",
    ])
      expect(reports.isReportMonth(bad), bad).toBe(false);
    await expect(reports.monthReport("2026-13")).rejects.toThrow(RangeError);
    expect(reports.isReportMonth("2026-12")).toBe(true);
    expect(reports.monthBounds("2026-12")).toEqual({
      from: new Date("2026-12-01T00:00:00Z"),
      to: new Date("2027-01-01T00:00:00Z"),
    });
  });
});

describe("the reports name no recipient", () => {
  it("reads neither the Recipient nor the Payout table", async () => {
    const source = await import("node:fs").then((fs) =>
      fs.readFileSync(new URL("../../app/models/transparency.server.ts", import.meta.url), "utf8"),
    );
    expect(source).not.toMatch(/\bRecipient\b|\bFROM\s+"?Payout\b|prisma\.(recipient|payout)\b/);
  });
});
