// The public reports after the treasury's own code moved the money: an
// allocation by the festival's rule (app/models/allocation.server.ts), a
// payout proposed, approved by another treasurer and marked paid
// (payouts.server.ts), an approved transfer and an exchange (funds.server.ts).
// What the reports say must be what the funds module says the funds hold, and
// the month's payouts what was paid — by purpose and prisoner, no recipient.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as DbServer from "~/utils/db.server";
import type * as Transparency from "~/models/transparency.server";
import type * as Funds from "~/models/funds.server";
import { freshTestEnv } from "../helpers/env";
import type { MoneyUser } from "../helpers/treasury";

let db: typeof DbServer;
let reports: typeof Transparency;
let funds: typeof Funds;
let A: MoneyUser;
let B: MoneyUser;
let festivalId: string;
let sergei: string;
let payoutId: string;
const RECIPIENT = "Relative Secretname Olga";
const now = new Date();
const thisMonth = now.toISOString().slice(0, 7);

beforeAll(async () => {
  freshTestEnv({ PAYOUT_APPROVALS: "1" });
  db = await import("~/utils/db.server");
  reports = await import("~/models/transparency.server");
  funds = await import("~/models/funds.server");
  const { createFestivalRow, createPrisonerRow } = await import("../helpers/fixtures");
  const { createMoneyUser } = await import("../helpers/treasury");
  const { fundPrisoner } = await import("../helpers/funds");
  const { entryStatements } = await import("~/models/ledger.server");
  const { setAllocationRule, allocate } = await import("~/models/allocation.server");
  const { createRecipient } = await import("~/models/recipients.server");
  const payouts = await import("~/models/payouts.server");
  [A, B] = [await createMoneyUser(), await createMoneyUser()];
  festivalId = (
    await createFestivalRow({ name: "Flow Fest", status: "published", publishedAt: new Date() })
  ).id;
  sergei = (await createPrisonerRow("flow-sergei", { en: "Sergei Udaltsov" }, [festivalId])).id;
  // €100 of tickets at Stripe (not earmarked) and €20 earmarked for Sergei.
  await db.sqlClient().batch(
    entryStatements({
      id: "flow:tickets",
      festivalId,
      kind: "payment",
      at: now,
      postings: [
        { account: { festivalId, currency: "EUR", code: "stripe_balance" }, amountMinor: 10_000 },
        {
          account: { festivalId, currency: "EUR", code: "income", category: "ticket" },
          amountMinor: -10_000,
        },
      ],
    }),
    "write",
  );
  await fundPrisoner({ festivalId, prisonerId: sergei, amountMinor: 2_000 });
  // 70 % to Sergei, 30 % to the general fund.
  await setAllocationRule(A.actor, festivalId, {
    shares: [{ prisonerId: sergei, percent: 70 }],
    generalPercent: 30,
  });
  await allocate(A.actor, festivalId);
  // €50 to Sergei's relative for family support: proposed by A, approved and paid by B.
  const recipient = await createRecipient(A.actor, {
    prisonerId: sergei,
    kind: "relative",
    displayName: RECIPIENT,
    details: "card 4000 0000 0000 0002",
  });
  payoutId = (
    await payouts.proposePayout(A.actor, {
      prisonerId: sergei,
      recipientId: recipient.id,
      category: "family_support",
      amountMinor: 5_000,
      currency: "EUR",
    })
  ).id;
  await payouts.approvePayout(B.actor, payoutId);
  await payouts.markPayoutPaid(B.actor, payoutId, {
    reference: "ref-1",
    paidAt: new Date(now.getTime() - 1000).toISOString(),
  });
  // €3 moved from Sergei to the general fund; €10 of his exchanged into roubles at 100.
  const transfer = await funds.proposeTransfer(A.actor, {
    fromPrisonerId: sergei,
    toPrisonerId: null,
    currency: "EUR",
    amountMinor: 300,
    reason: "test",
  });
  await funds.approveTransfer(B.actor, transfer.id);
  await funds.createExchange(A.actor, {
    prisonerId: sergei,
    fromCurrency: "EUR",
    toCurrency: "RUB",
    amountMinor: 1_000,
    rate: "100",
    ratedOn: now.toISOString().slice(0, 10),
  });
});
afterAll(() => db?.disconnectDatabase());

describe("reports after allocation, payout, transfer and exchange", () => {
  it("prisonerTotals: raised, paid, moved; the balance is what the funds module says", async () => {
    const totals = (await reports.prisonerTotals([sergei])).get(sergei)!;
    // €20 earmarked + 70 % of €100 = €90 raised; €50 paid; €3 + €10 moved out; ₽1,000 moved in.
    expect(totals).toEqual([
      {
        currency: "EUR",
        raisedMinor: 9_000,
        paidOutMinor: 5_000,
        movedMinor: -1_300,
        balanceMinor: 2_700,
      },
      {
        currency: "RUB",
        raisedMinor: 0,
        paidOutMinor: 0,
        movedMinor: 100_000,
        balanceMinor: 100_000,
      },
    ]);
    const held = await funds.fundBalances(db.sqlClient(), sergei);
    for (const t of totals)
      expect(held.find((h) => h.currency === t.currency)?.balanceMinor, t.currency).toBe(
        t.balanceMinor,
      );
  });

  it("festivalReport: earmarked and allocated by rule told apart; nothing left unallocated", async () => {
    const c = (await reports.festivalReport(festivalId))!.currencies.find(
      (x) => x.currency === "EUR",
    )!;
    expect(c.allocated).toEqual([
      {
        id: sergei,
        slug: "flow-sergei",
        name: "Sergei Udaltsov",
        earmarkedMinor: 2_000,
        byRuleMinor: 7_000,
        totalMinor: 9_000,
      },
    ]);
    expect(c.generalFundMinor).toBe(3_000);
    expect(c.unallocatedMinor).toBe(0);
    // Payouts, transfers and exchanges move fund and asset money, never the festival's proceeds.
    expect(c.netProceedsMinor).toBe(12_000);
  });

  it("monthReport: the paid payout by purpose and prisoner, as the payout was paid", async () => {
    const c = (await reports.monthReport(thisMonth)).currencies.find((x) => x.currency === "EUR")!;
    const paid = await db.prisma.payout.findUniqueOrThrow({ where: { id: payoutId } });
    expect(paid.status).toBe("paid");
    expect(c.payouts).toEqual([
      {
        id: sergei,
        slug: "flow-sergei",
        name: "Sergei Udaltsov",
        category: paid.category,
        amountMinor: paid.amountMinor,
      },
    ]);
    expect(c.paidOut).toEqual([{ category: "family_support", amountMinor: 5_000 }]);
    expect(JSON.stringify(await reports.monthReport(thisMonth))).not.toContain("Secretname");
    expect(JSON.stringify(await reports.festivalReport(festivalId))).not.toContain("Secretname");
  });
});
