// The proceeds domain (issue 11) as the property and leak tests call it: one
// small adapter over allocation.server.ts, festival-costs.server.ts,
// recipients.server.ts, payouts.server.ts, funds.server.ts and
// transparency.server.ts, so the tests speak one vocabulary (ids back,
// DomainErrors thrown). Import it after the test environment is set (it loads
// the app's modules when `proceeds()` is called).
import type { CurrentUser } from "~/utils/auth.server";

export type RuleInput = {
  festivalId: string;
  equal: boolean;
  generalPercent: number;
  shares: { prisonerId: string; percent: number }[];
};

export type ProceedsApi = {
  setRule(actor: CurrentUser, rule: RuleInput, now: Date): Promise<unknown>;
  /** What the allocation moved, per fund (prisonerId null: the general fund). */
  allocate(
    actor: CurrentUser,
    festivalId: string,
    now: Date,
  ): Promise<{ prisonerId: string | null; currency: string; amountMinor: number }[]>;
  submitCost(
    actor: CurrentUser,
    festivalId: string,
    input: { category: string; amountMinor: number; currency: string; description: string },
    now: Date,
  ): Promise<string>;
  approveCost(actor: CurrentUser, id: string, now: Date): Promise<unknown>;
  payCost(actor: CurrentUser, id: string, now: Date): Promise<unknown>;
  rejectCost(actor: CurrentUser, id: string, now: Date): Promise<unknown>;
  cancelCost(actor: CurrentUser, id: string, now: Date): Promise<unknown>;
  costStatus(id: string): Promise<string>;
  exchange(
    actor: CurrentUser,
    input: {
      prisonerId: string | null;
      fromCurrency: string;
      fromAmountMinor: number;
      toCurrency: string;
      rate: string;
      ratedOn: string;
    },
    now: Date,
  ): Promise<{ toAmountMinor: number }>;
  proposeTransfer(
    actor: CurrentUser,
    input: {
      fromPrisonerId: string | null;
      toPrisonerId: string | null;
      amountMinor: number;
      currency: string;
      reason: string;
    },
    now: Date,
  ): Promise<string>;
  approveTransfer(actor: CurrentUser, id: string, now: Date): Promise<unknown>;
  closeTransfer(
    actor: CurrentUser,
    id: string,
    outcome: "rejected" | "cancelled",
    now: Date,
  ): Promise<unknown>;
  createRecipient(
    actor: CurrentUser,
    input: {
      prisonerId: string;
      kind: "relative" | "lawyer" | "prisoner" | "fund";
      displayName: string;
      details: string;
      notes?: string;
      monthlyCap?: { amountMinor: number; currency: string };
      timezone?: string;
    },
  ): Promise<string>;
  proposePayout(
    actor: CurrentUser,
    input: {
      prisonerId: string;
      recipientId: string;
      category: string;
      amountMinor: number;
      currency: string;
      note?: string;
    },
    now: Date,
  ): Promise<string>;
  approvePayout(actor: CurrentUser, id: string, now: Date): Promise<unknown>;
  markPayoutPaid(
    actor: CurrentUser,
    id: string,
    input: { paidAt: Date; reference: string },
    now: Date,
  ): Promise<unknown>;
  rejectPayout(actor: CurrentUser, id: string, now: Date): Promise<unknown>;
  cancelPayout(actor: CurrentUser, id: string, now: Date): Promise<unknown>;
  payoutStatus(id: string): Promise<string>;
  fundBalances(
    prisonerId: string | null,
  ): Promise<{ currency: string; balanceMinor: number; reservedMinor: number }[]>;
  prisonerTotals(
    prisonerIds: string[],
  ): Promise<
    Map<
      string,
      { currency: string; raisedMinor: number; paidOutMinor: number; balanceMinor: number }[]
    >
  >;
  /** Which parts are merged into this branch (the property test leaves out the others' commands). */
  has: { costs: boolean; payouts: boolean };
};

export async function proceeds(): Promise<ProceedsApi> {
  const { prisma, sqlClient } = await import("~/utils/db.server");
  const funds = await import("~/models/funds.server");
  const allocation = await import("~/models/allocation.server");
  const transparency = await import("~/models/transparency.server");
  const costs = await import("~/models/festival-costs.server");
  const recipients = await import("~/models/recipients.server");
  const payouts = await import("~/models/payouts.server");
  return {
    has: { costs: true, payouts: true },
    setRule: (actor, rule, now) =>
      allocation.setAllocationRule(
        actor,
        rule.festivalId,
        rule.equal
          ? { equal: true, generalPercent: rule.generalPercent }
          : { shares: rule.shares, generalPercent: rule.generalPercent },
        now,
      ),
    allocate: async (actor, festivalId, now) =>
      (await allocation.allocate(actor, festivalId, now)).allocated.map((p) => ({
        prisonerId: p.fund,
        currency: p.currency,
        amountMinor: p.amountMinor,
      })),
    submitCost: async (actor, festivalId, input, now) => {
      const festival = await prisma.festival.findUniqueOrThrow({ where: { id: festivalId } });
      return (await costs.submitCost(actor, festival, costs.costInput.parse(input), null, now)).id;
    },
    approveCost: (actor, id, now) => costs.approveCost(actor, id, now),
    payCost: (actor, id, now) => costs.payCost(actor, id, { reference: `paid ${id}` }, now),
    rejectCost: (actor, id, now) => costs.rejectCost(actor, id, "not ours", now),
    cancelCost: (actor, id, now) => costs.cancelCost(actor, id, now),
    costStatus: async (id) =>
      (await prisma.festivalCost.findUniqueOrThrow({ where: { id } })).status,
    exchange: async (actor, input, now) => {
      const x = await funds.createExchange(
        actor,
        {
          prisonerId: input.prisonerId,
          fromCurrency: input.fromCurrency,
          toCurrency: input.toCurrency,
          amountMinor: input.fromAmountMinor,
          rate: input.rate,
          ratedOn: input.ratedOn,
        },
        now,
      );
      return { toAmountMinor: x.toAmountMinor };
    },
    proposeTransfer: async (actor, input, now) =>
      (await funds.proposeTransfer(actor, input, now)).id,
    approveTransfer: (actor, id, now) => funds.approveTransfer(actor, id, now),
    closeTransfer: (actor, id, outcome, now) => funds.closeTransfer(actor, id, outcome, now),
    createRecipient: async (actor, input) =>
      (await recipients.createRecipient(actor, recipients.recipientInput.parse(input))).id,
    proposePayout: async (actor, input, now) =>
      (await payouts.proposePayout(actor, payouts.payoutInput.parse(input), now)).id,
    approvePayout: (actor, id, now) => payouts.approvePayout(actor, id, now),
    markPayoutPaid: (actor, id, input, now) =>
      payouts.markPayoutPaid(
        actor,
        id,
        payouts.paidInput.parse({ reference: input.reference, paidAt: input.paidAt.toISOString() }),
        now,
      ),
    rejectPayout: (actor, id, now) => payouts.rejectPayout(actor, id, { reason: "no" }, now),
    cancelPayout: (actor, id, now) => payouts.cancelPayout(actor, id, {}, now),
    payoutStatus: async (id) => (await prisma.payout.findUniqueOrThrow({ where: { id } })).status,
    fundBalances: (prisonerId) => funds.fundBalances(sqlClient(), prisonerId),
    prisonerTotals: (ids) => transparency.prisonerTotals(ids, sqlClient()),
  };
}
