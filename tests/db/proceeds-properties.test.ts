// Proceeds under random use (issue 11): fast-check drives random sequences of
// sales (card and door, with and without earmarked donations), refunds (the
// organiser's, and part refunds in Stripe's dashboard), allocation rule
// changes and allocations, festival costs (submitted, approved by N other
// treasurers, paid), exchanges, fund transfers and payouts (proposed,
// approved, rejected, cancelled, paid with explicit dates around month ends,
// to capped recipients in several time zones) against the real domain modules
// and a real SQLite file. A small model keeps what each fund and each
// festival's unallocated money must be; after every step:
//
//   - every entry balances per currency (`checkLedger`);
//   - no fund account is below zero, and each fund holds what the model says
//     (per prisoner and currency, across festivals);
//   - each festival's unallocated money is what the model says;
//   - no recipient is over its cap in any month (proposed + approved + paid in
//     that month, a paid payout in the month of its paidAt in the recipient's zone);
//   - the public figures (transparency.server.ts) equal sums over the ledger
//     postings and the model (raised, paid out per prisoner);
//   - each allocation split the allocatable money by the rule in force at that
//     moment (largest remainder, ties by fund order: prisoners by id, general
//     last), computed here independently.
//
// Each run gets fresh festivals, prisoners and recipients in the same database,
// and its own month on a virtual clock (the domain functions take `now`); the
// clock starts three hours before midnight in Moscow on a month's last day, so
// month boundaries in the recipients' zones come and go within a run.
import fc from "fast-check";
import type Stripe from "stripe";
import { DateTime } from "luxon";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type * as DoorServer from "~/models/door.server";
import type * as LedgerServer from "~/models/ledger.server";
import type * as OrderServer from "~/models/order.server";
import type * as PaymentServer from "~/models/payment.server";
import type { CurrentUser } from "~/utils/auth.server";
import type * as DbServer from "~/utils/db.server";
import { freshTestEnv } from "../helpers/env";
import type * as Fixtures from "../helpers/fixtures";
import type * as Transparency from "~/models/transparency.server";
import type * as Treasury from "../helpers/treasury";
import { startStripeFake, type StripeFake, stripeTestEnv } from "../helpers/stripe-fake";
import { proceeds, type ProceedsApi } from "../helpers/proceeds";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Approvals needed from treasurers other than the proposer (PAYOUT_APPROVALS for this file). */
const APPROVALS = 2;
/** The Stripe fake's fee rule (tests/helpers/stripe-fake.ts): 1.5 % + 25 minor units. */
const stripeFeeOf = (amount: number) => Math.round(amount * 0.015) + 25;
/** The festivals' ticket price (EUR cents). */
const TICKET = 1500;
/** Exchange rate used by the exchanges (RUB per EUR, decimal text): minor units are cents and kopecks. */
const RATES = ["98.5", "101.25", "97.1234"];

let clock = 0;
let runs = 0;
let fake: StripeFake;
let db: typeof DbServer;
let ledger: typeof LedgerServer;
let orders: typeof OrderServer;
let payments: typeof PaymentServer;
let door: typeof DoorServer;
let fixtures: typeof Fixtures;
let api: ProceedsApi;
let transparency: typeof Transparency;
/** Three treasurers with a second factor (the proposer never counts among the approvers). */
let treasurers: Treasury.MoneyUser[] = [];
/** An organiser of every run's festivals: submits costs and cancels orders. */
let organiser: CurrentUser;

const now = () => new Date(clock);

/** How often each command and outcome ran (PROCEEDS_PROPERTY_STATS=1 prints it). */
const stats = new Map<string, number>();
const timing = { run: 0, check: 0, world: 0 };
const tally = (what: string) => stats.set(what, (stats.get(what) ?? 0) + 1);

// ---------------------------------------------------------------- the world and its model

type Currency = "EUR" | "RUB";
/** A fund: a prisoner's id, or "general". */
type FundKey = string;
const GENERAL = "general";

type WorldFestival = {
  id: string;
  startsAt: Date;
  methods: ("stripe" | "door")[];
  typeId: string;
  /** Prisoners the festival supports (indexes into world.prisoners). */
  supports: number[];
  devices: DoorServer.Device[];
};

type WorldRecipient = {
  id: string;
  prisoner: number;
  cap: { amountMinor: number; currency: Currency } | null;
  zone: string;
};

type World = {
  /** When the run began (its payouts may be dated up to 20 days earlier). */
  startedAt: number;
  /** Oldest first (funds are drawn oldest festival first). */
  festivals: WorldFestival[];
  /** Prisoner ids, sorted (fund order: prisoners by id, general last). */
  prisoners: string[];
  recipients: WorldRecipient[];
};

type Amounts = Record<string, number>;

type ModelOrder = {
  id: string;
  festival: number;
  method: "stripe" | "door";
  /** What the buyer paid per income part: "ticket", "donation", "donation:<prisonerId>". */
  paid: Amounts;
  returned: Amounts;
  paymentIntent: string | null;
  status: "paid" | "refunded" | "cancelled";
};

type Rule =
  | { equal: true; generalPercent: number }
  | { equal: false; generalPercent: number; shares: { prisoner: number; percent: number }[] };

type ModelCost = {
  id: string;
  festival: number;
  category: string;
  amountMinor: number;
  status: "submitted" | "approved" | "paid" | "rejected" | "cancelled";
  approvers: Set<string>;
};

type ModelPayout = {
  id: string;
  recipient: number;
  prisoner: number;
  currency: Currency;
  amountMinor: number;
  month: string;
  status: "proposed" | "approved" | "paid" | "rejected" | "cancelled";
  proposer: string;
  approvers: Set<string>;
  /** When it was approved (the virtual clock). */
  approvedAt?: number;
};

type ModelTransfer = {
  id: string;
  from: FundKey;
  to: FundKey;
  currency: Currency;
  amountMinor: number;
  status: "proposed" | "done" | "rejected" | "cancelled";
  proposer: string;
  approvers: Set<string>;
};

type Model = {
  orders: ModelOrder[];
  /** Per festival and currency: net income − fees − allocated (incl. earmarks) − costs paid. */
  unallocated: Amounts[];
  /** Per festival, currency and fund: what the fund holds there ("EUR|<fund>"). */
  funds: Amounts[];
  /** Per festival (EUR): what its public report must show besides the orders' money. */
  figures: {
    fees: number;
    costs: Amounts;
    /** Allocated by rule, per fund. */
    byRule: Amounts;
    /** Earmarked money paid, per prisoner, net of what moved back from the fund. */
    earmarked: Amounts;
  }[];
  /** Per prisoner and currency ("<prisonerId>|EUR"): allocated and earmarked, net of earmarks moved back. */
  raised: Amounts;
  /** Per prisoner and currency: paid out by payouts. */
  paidOut: Amounts;
  rule: (Rule | null)[];
  costs: ModelCost[];
  payouts: ModelPayout[];
  transfers: ModelTransfer[];
};

type Real = { world: World };
type ProceedsCommand = fc.AsyncCommand<Model, Real, false>;

function add(amounts: Amounts, key: string, n: number) {
  if (n === 0) return;
  amounts[key] = (amounts[key] ?? 0) + n;
  if (amounts[key] === 0) delete amounts[key];
}
const get = (amounts: Amounts, key: string) => amounts[key] ?? 0;
const total = (amounts: Amounts) => Object.values(amounts).reduce((s, n) => s + n, 0);
const fundKey = (currency: string, fund: FundKey) => `${currency}|${fund}`;

function net(o: ModelOrder): Amounts {
  const out: Amounts = {};
  for (const [part, n] of Object.entries(o.paid)) add(out, part, n);
  for (const [part, n] of Object.entries(o.returned)) add(out, part, -n);
  return out;
}

/** Pick one of `items` by a generated index (commands are generated before the model exists). */
function pick<T>(items: T[], index: number): T | undefined {
  return items.length ? items[index % items.length] : undefined;
}

/** A fund's balance across festivals (the model's). */
function fundBalance(model: Model, fund: FundKey, currency: string) {
  return model.funds.reduce((s, f) => s + get(f, fundKey(currency, fund)), 0);
}

/** The `index`-th fund (prisoners by id, general last) of those holding money in `currency` (of all, when none does). */
function fundWithMoney(model: Model, world: World, currency: string, index: number): FundKey {
  const all = [...world.prisoners, GENERAL];
  const held = all.filter((f) => fundBalance(model, f, currency) > 0);
  return pick(held.length ? held : all, index)!;
}

/**
 * Who approves something `proposer` proposed, `approvers` approved so far: 0
 * the proposer (refused), 1 someone who approved already (counts once), else
 * a treasurer who has not approved yet.
 */
function approverFor(proposer: string, approvers: Set<string>, who: number) {
  const self = treasurers.find((t) => t.id === proposer)!;
  const again = treasurers.filter((t) => approvers.has(t.id));
  const fresh = treasurers.filter((t) => t.id !== proposer && !approvers.has(t.id));
  if (who === 0) return self;
  if (who === 1 && again.length) return pick(again, who)!;
  return pick(fresh.length ? fresh : treasurers, who)!;
}

/** Approved but unpaid payouts of a prisoner's fund: reserved. */
function reserved(
  model: Model,
  prisonerId: string,
  currency: string,
  world: World,
  statuses: string[],
) {
  return model.payouts
    .filter(
      (p) =>
        statuses.includes(p.status) &&
        world.prisoners[p.prisoner] === prisonerId &&
        p.currency === currency,
    )
    .reduce((s, p) => s + p.amountMinor, 0);
}

/** What a recipient's cap has counted in `month`: proposed, approved and paid payouts. */
function capUse(model: Model, recipient: number, month: string, except?: ModelPayout) {
  return model.payouts
    .filter(
      (p) =>
        p !== except &&
        p.recipient === recipient &&
        p.month === month &&
        ["proposed", "approved", "paid"].includes(p.status),
    )
    .reduce((s, p) => s + p.amountMinor, 0);
}

/** Euro cents in kopecks at a decimal rate, rounded half up (BigInt: no floats). */
function convert(cents: number, rate: string) {
  const [units, frac = ""] = rate.split(".");
  const num = BigInt(cents) * BigInt(units! + frac);
  const den = 10n ** BigInt(frac.length);
  return Number((2n * num + den) / (2n * den));
}

const monthIn = (at: Date, zone: string) => DateTime.fromJSDate(at, { zone }).toFormat("yyyy-MM");

/**
 * Largest remainder: `amount` split by integer weights (quota amount × w / Σw),
 * the floors first, then one unit each to the largest remainders, ties by the
 * order of `weights` (prisoners by id, general last). Zero shares left out.
 */
export function largestRemainder(amount: number, weights: [FundKey, bigint][]): Amounts {
  const den = weights.reduce((s, [, w]) => s + w, 0n);
  const out: Amounts = {};
  if (den === 0n || amount <= 0) return out;
  const parts = weights.map(([key, w], i) => {
    const q = BigInt(amount) * w;
    return { key, i, floor: q / den, rem: q % den };
  });
  let left = BigInt(amount) - parts.reduce((s, p) => s + p.floor, 0n);
  const byRemainder = [...parts].sort((a, b) =>
    a.rem === b.rem ? a.i - b.i : a.rem > b.rem ? -1 : 1,
  );
  for (const p of byRemainder) {
    if (left === 0n) break;
    if (p.rem === 0n) continue;
    p.floor += 1n;
    left -= 1n;
  }
  for (const p of parts) if (p.floor > 0n) add(out, p.key, Number(p.floor));
  return out;
}

/** How the rule in force splits `amount` between the festival's funds (the model's own reading of the rule). */
function splitByRule(rule: Rule | null, amount: number, festival: WorldFestival, world: World) {
  const supported = festival.supports.map((i) => world.prisoners[i]!).sort();
  if (!rule || (rule.equal && supported.length === 0))
    return largestRemainder(amount, [[GENERAL, 1n]]);
  if (rule.equal) {
    const n = BigInt(supported.length);
    return largestRemainder(amount, [
      ...supported.map((id): [FundKey, bigint] => [id, BigInt(100 - rule.generalPercent)]),
      [GENERAL, BigInt(rule.generalPercent) * n],
    ]);
  }
  const shares = rule.shares
    .map((s): [FundKey, bigint] => [world.prisoners[s.prisoner]!, BigInt(s.percent)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return largestRemainder(amount, [...shares, [GENERAL, BigInt(rule.generalPercent)]]);
}

// ---------------------------------------------------------------- reading the books

type Balance = { code: string; prisonerId: string | null; holder: string | null; balance: number };

/** One festival's accounts in one currency, from the ledger. */
async function balancesOf(festivalId: string, currency: string): Promise<Balance[]> {
  return (await ledger.festivalBalances(festivalId, db.sqlClient()))
    .filter((b) => b.currency === currency)
    .map((b) => ({
      code: b.code,
      prisonerId: b.prisonerId,
      holder: b.holder ? `${b.holder.type}=${b.holder.id}` : null,
      balance: b.balanceMinor,
    }));
}

const SPENDABLE = ["stripe_balance", "treasurer_cash", "cash_in_transit", "door_cash"];

/** The festival's money that can be spent (positive asset balances, never money Stripe holds for a dispute). */
function spendable(balances: Balance[]) {
  return balances
    .filter((b) => SPENDABLE.includes(b.code) && b.balance > 0)
    .reduce((s, b) => s + b.balance, 0);
}

/** A fund's balance at one festival, from its balances (credit-normal). */
function fundAt(balances: Balance[], fund: FundKey) {
  return -balances
    .filter((b) => b.code === "fund" && (b.prisonerId ?? GENERAL) === fund)
    .reduce((s, b) => s + b.balance, 0);
}

/**
 * Where a draw of `amount` from `fund` comes from, festival by festival (oldest
 * first): at each, what the fund holds there, but (money that leaves the
 * collective: payouts, exchanges) no more than the festival's spendable money.
 * Null when it is not all there.
 */
async function plannedDraw(
  world: World,
  fund: FundKey,
  currency: string,
  amount: number,
  withAssets = true,
) {
  const out: number[] = [];
  let left = amount;
  for (const f of world.festivals) {
    const balances = await balancesOf(f.id, currency);
    const cap = withAssets ? spendable(balances) : Infinity;
    const take = Math.max(0, Math.min(left, fundAt(balances, fund), cap));
    out.push(take);
    left -= take;
  }
  return left === 0 ? out : null;
}

// ---------------------------------------------------------------- domain errors

type Refusal = { status: number; code: string; message: string };

/** Run a domain call: its result, or the domain error it threw (anything else fails the test). */
async function attempt<T>(
  f: () => Promise<T>,
): Promise<{ ok: true; value: T } | ({ ok: false } & Refusal)> {
  try {
    return { ok: true, value: await f() };
  } catch (error) {
    const e = error as { status?: unknown; code?: unknown; message?: unknown };
    if (typeof e?.status !== "number") throw error;
    return {
      ok: false,
      status: e.status,
      code: typeof e.code === "string" ? e.code : "",
      message: String(e.message),
    };
  }
}

// ---------------------------------------------------------------- commands: sales and refunds

/** A buyer pays for tickets (by card at Stripe, or cash at a door device), with a donation or none. */
class Sale implements ProceedsCommand {
  constructor(
    readonly festival: number,
    readonly card: boolean,
    readonly tickets: number,
    readonly donationMinor: number,
    /** 0: no earmark; 1..: the festival's n-th supported prisoner. */
    readonly earmark: number,
  ) {}
  check() {
    return true;
  }
  async run(model: Model, { world }: Real) {
    const fi = this.festival % world.festivals.length;
    const f = world.festivals[fi]!;
    const method = this.card && f.methods.includes("stripe") ? "stripe" : "door";
    const prisoner =
      this.earmark && this.donationMinor
        ? world.prisoners[f.supports[(this.earmark - 1) % f.supports.length]!]!
        : null;
    const input = orders.checkoutSchema().parse({
      items: [{ ticketTypeId: f.typeId, quantity: this.tickets }],
      email: `buyer-${model.orders.length}@example.test`,
      paymentMethod: method,
      ...(this.donationMinor
        ? {
            donation: {
              amountMinor: this.donationMinor,
              ...(prisoner ? { prisonerId: prisoner } : {}),
            },
          }
        : {}),
    });
    const placed = await orders.placeOrder(f.id, input, {
      locale: "en",
      now: now(),
      stripeAvailable: true,
    });
    const paid: Amounts = {};
    add(paid, "ticket", this.tickets * TICKET);
    add(paid, prisoner ? `donation:${prisoner}` : "donation", this.donationMinor);
    let paymentIntent: string | null = null;
    if (method === "stripe") {
      await payments.cardCheckoutUrl(placed);
      const row = await db.prisma.order.findUniqueOrThrow({ where: { id: placed.order.id } });
      const session = fake.completeSession(row.stripeSessionId!, { force: true });
      const event = fake.event("checkout.session.completed", structuredClone(session));
      expect(await payments.applyStripeEvent(event as unknown as Stripe.Event, now())).toBe(
        "fulfilled",
      );
      paymentIntent = String(session.payment_intent);
      add(model.unallocated[fi]!, "EUR", -stripeFeeOf(total(paid)));
      model.figures[fi]!.fees += stripeFeeOf(total(paid));
    } else {
      const device = f.devices[model.orders.length % f.devices.length]!;
      for (const [i, t] of placed.order.tickets.entries()) {
        const due = TICKET + (i === 0 ? this.donationMinor : 0);
        const verdict = await door.payAtDoor(
          device,
          { ticketId: t.id, nonce: `sale-${runs}-${model.orders.length}-${i}`, amountMinor: due },
          "en",
          now(),
        );
        expect(verdict.result).toBe("admitted");
      }
    }
    // Earmarked money is in the prisoner's fund as soon as it is paid; the rest waits, unallocated.
    for (const [part, n] of Object.entries(paid)) {
      const [, earmark] = part.split(":");
      if (earmark) {
        add(model.funds[fi]!, fundKey("EUR", earmark), n);
        add(model.raised, `${earmark}|EUR`, n);
        add(model.figures[fi]!.earmarked, earmark, n);
      } else add(model.unallocated[fi]!, "EUR", n);
    }
    model.orders.push({
      id: placed.order.id,
      festival: fi,
      method,
      paid,
      returned: {},
      paymentIntent,
      status: "paid",
    });
    tally(`sale: ${method}${prisoner ? ", earmarked" : this.donationMinor ? ", donation" : ""}`);
  }
  toString() {
    return `new Sale(${this.festival}, ${this.card}, ${this.tickets}, ${this.donationMinor}, ${this.earmark})`;
  }
}

/**
 * Money given back for parts of an order: earmarked money moves back from the
 * prisoner's fund only as far as the fund at that festival holds it; the rest
 * is borne by the festival's unallocated money.
 */
function giveBack(model: Model, o: ModelOrder, parts: Amounts) {
  const fi = o.festival;
  for (const [part, n] of Object.entries(parts)) {
    add(o.returned, part, n);
    const [, earmark] = part.split(":");
    if (earmark) {
      const back = Math.min(n, Math.max(0, get(model.funds[fi]!, fundKey("EUR", earmark))));
      add(model.funds[fi]!, fundKey("EUR", earmark), -back);
      add(model.raised, `${earmark}|EUR`, -back);
      add(model.figures[fi]!.earmarked, earmark, -back);
      add(model.unallocated[fi]!, "EUR", -(n - back));
    } else add(model.unallocated[fi]!, "EUR", -n);
  }
}

/** An organiser cancels a paid order: the card payment refunded, the door cash returned. */
class Refund implements ProceedsCommand {
  constructor(readonly order: number) {}
  private candidates(model: Model) {
    return model.orders.filter((o) => o.status === "paid" && total(o.returned) === 0);
  }
  check(model: Model) {
    return this.candidates(model).length > 0;
  }
  async run(model: Model) {
    const o = pick(this.candidates(model), this.order)!;
    const status = await payments.cancelOrRefundOrder(
      organiser,
      o.id,
      now(),
      o.method === "door" ? { cash: "return" } : {},
    );
    o.status = o.method === "stripe" ? "refunded" : "cancelled";
    expect(status).toBe(o.status);
    giveBack(model, o, net(o));
    tally(
      `refund: ${o.method}${Object.keys(o.paid).some((p) => p.includes(":")) ? ", earmarked" : ""}`,
    );
  }
  toString() {
    return `new Refund(${this.order})`;
  }
}

/**
 * Part of a card payment refunded in Stripe's dashboard: tickets first, then
 * the unearmarked donation, earmarked money last (card-money.server.ts).
 */
class DashboardRefund implements ProceedsCommand {
  constructor(
    readonly order: number,
    /** Per mille of what is left. */
    readonly share: number,
  ) {}
  private candidates(model: Model) {
    return model.orders.filter((o) => o.method === "stripe" && o.status === "paid");
  }
  check(model: Model) {
    return this.candidates(model).length > 0;
  }
  async run(model: Model) {
    const o = pick(this.candidates(model), this.order)!;
    const left = total(net(o));
    const amount = Math.max(1, Math.floor((left * this.share) / 1000));
    fake.dashboardRefund(o.paymentIntent!, amount);
    const event = fake.chargeRefundedEvent(o.paymentIntent!) as unknown as Stripe.Event;
    const outcome = await payments.applyStripeEvent(event, now());
    const rank = (part: string) => (part === "ticket" ? 0 : part === "donation" ? 1 : 2);
    const parts: Amounts = {};
    let rest = amount;
    for (const [part, n] of Object.entries(net(o)).sort(([a], [b]) => rank(a) - rank(b))) {
      const take = Math.min(rest, n);
      add(parts, part, take);
      rest -= take;
    }
    giveBack(model, o, parts);
    if (total(net(o)) === 0) o.status = "refunded";
    expect(outcome).toBe(o.status === "refunded" ? "refunded" : "partially_refunded");
    tally(
      `dashboard refund${Object.keys(parts).some((p) => p.includes(":")) ? ": earmarked" : ""}`,
    );
  }
  toString() {
    return `new DashboardRefund(${this.order}, ${this.share})`;
  }
}

/** Time passes (hours): month ends come and go in the recipients' zones. */
class Wait implements ProceedsCommand {
  constructor(readonly hours: number) {}
  check() {
    return true;
  }
  async run() {
    clock += this.hours * HOUR;
  }
  toString() {
    return `new Wait(${this.hours})`;
  }
}

// ---------------------------------------------------------------- commands: allocation

/** An organiser sets the festival's allocation rule (a new version; valid or, `broken`, summing to 99). */
class SetRule implements ProceedsCommand {
  constructor(
    readonly festival: number,
    readonly equal: boolean,
    readonly generalPercent: number,
    /** Per supported prisoner: a weight for its share of what the general fund leaves. */
    readonly weights: number[],
    readonly broken: boolean,
  ) {}
  check() {
    return true;
  }
  async run(model: Model, { world }: Real) {
    const fi = this.festival % world.festivals.length;
    const f = world.festivals[fi]!;
    let rule: Rule;
    if (this.equal) rule = { equal: true, generalPercent: this.generalPercent };
    else {
      // Percentages summing to 100 with the general fund's (the last prisoner takes the rest).
      const rest = 100 - this.generalPercent;
      const w = f.supports.map((_, i) => this.weights[i % this.weights.length] ?? 1);
      const sum = w.reduce((s, x) => s + x, 0) || 1;
      const shares = f.supports.map((prisoner, i) => ({
        prisoner,
        percent: Math.floor((rest * w[i]!) / sum),
      }));
      const used = shares.reduce((s, x) => s + x.percent, 0);
      if (shares.length) shares[shares.length - 1]!.percent += rest - used;
      rule = {
        equal: false,
        generalPercent: shares.length ? this.generalPercent : 100,
        shares: shares.filter((s) => s.percent > 0),
      };
    }
    const broken = this.broken && !rule.equal;
    const input = {
      festivalId: f.id,
      equal: rule.equal,
      generalPercent: rule.generalPercent - (broken ? 1 : 0),
      shares: rule.equal
        ? []
        : rule.shares.map((s) => ({
            prisonerId: world.prisoners[s.prisoner]!,
            percent: s.percent,
          })),
    };
    const result = await attempt(() => api.setRule(organiser, input, now()));
    if (broken) {
      expect(result.ok, "a rule that does not sum to 100").toBe(false);
      if (!result.ok) expect(result.status).toBe(422);
      tally("rule refused");
      return;
    }
    expect(result, "a valid rule").toMatchObject({ ok: true });
    model.rule[fi] = rule;
    tally(`rule: ${rule.equal ? "equal" : "shares"}`);
  }
  toString() {
    return `new SetRule(${this.festival}, ${this.equal}, ${this.generalPercent}, ${JSON.stringify(this.weights)}, ${this.broken})`;
  }
}

/** What the festival's approved but unpaid costs hold back from allocation. */
function approvedCosts(model: Model, fi: number) {
  return model.costs
    .filter((c) => c.festival === fi && c.status === "approved")
    .reduce((s, c) => s + c.amountMinor, 0);
}

/** A treasurer allocates the festival's allocatable money by the rule in force now. */
class Allocate implements ProceedsCommand {
  constructor(
    readonly festival: number,
    readonly treasurer: number,
  ) {}
  check() {
    return true;
  }
  async run(model: Model, { world }: Real) {
    const fi = this.festival % world.festivals.length;
    const f = world.festivals[fi]!;
    const allocatable = Math.max(0, get(model.unallocated[fi]!, "EUR") - approvedCosts(model, fi));
    const expected = splitByRule(model.rule[fi] ?? null, allocatable, f, world);
    const t = treasurers[this.treasurer % treasurers.length]!;
    const result = await api.allocate(t.actor, f.id, now());
    const got: Amounts = {};
    for (const r of result)
      if (r.currency === "EUR") add(got, r.prisonerId ?? GENERAL, r.amountMinor);
    expect(
      got,
      `allocation of ${allocatable} by ${JSON.stringify(model.rule[fi] ?? null)}`,
    ).toEqual(expected);
    for (const [fund, n] of Object.entries(expected)) {
      add(model.funds[fi]!, fundKey("EUR", fund), n);
      add(model.figures[fi]!.byRule, fund, n);
      if (fund !== GENERAL) add(model.raised, `${fund}|EUR`, n);
    }
    add(model.unallocated[fi]!, "EUR", -allocatable);
    tally(allocatable ? "allocated" : "allocated nothing");
  }
  toString() {
    return `new Allocate(${this.festival}, ${this.treasurer})`;
  }
}

// ---------------------------------------------------------------- commands: costs

const COST_CATEGORIES = ["venue", "equipment", "travel", "printing", "other"] as const;

/** The organiser submits a festival cost. */
class SubmitCost implements ProceedsCommand {
  constructor(
    readonly festival: number,
    readonly category: number,
    readonly amountMinor: number,
  ) {}
  check() {
    return true;
  }
  async run(model: Model, { world }: Real) {
    const fi = this.festival % world.festivals.length;
    const id = await api.submitCost(
      organiser,
      world.festivals[fi]!.id,
      {
        category: COST_CATEGORIES[this.category % COST_CATEGORIES.length]!,
        amountMinor: this.amountMinor,
        currency: "EUR",
        description: `Cost ${model.costs.length}`,
      },
      now(),
    );
    model.costs.push({
      id,
      festival: fi,
      category: COST_CATEGORIES[this.category % COST_CATEGORIES.length]!,
      amountMinor: this.amountMinor,
      status: "submitted",
      approvers: new Set(),
    });
  }
  toString() {
    return `new SubmitCost(${this.festival}, ${this.category}, ${this.amountMinor})`;
  }
}

/** A treasurer approves a submitted cost (twice counts once); approved with APPROVALS of them. */
class ApproveCost implements ProceedsCommand {
  constructor(
    readonly cost: number,
    readonly treasurer: number,
  ) {}
  private candidates(model: Model) {
    return model.costs.filter((c) => c.status === "submitted");
  }
  check(model: Model) {
    return this.candidates(model).length > 0;
  }
  async run(model: Model) {
    const c = pick(this.candidates(model), this.cost)!;
    // The submitter is an organiser (never an approver): a repeat or a fresh treasurer.
    const t = approverFor(organiser.id, c.approvers, Math.max(1, this.treasurer));
    const result = await attempt(() => api.approveCost(t.actor, c.id, now()));
    expect(result, "a cost approval").toMatchObject({ ok: true });
    c.approvers.add(t.id);
    if (c.approvers.size >= APPROVALS) c.status = "approved";
    const row = await api.costStatus(c.id);
    expect(row, "the cost's status").toBe(c.status);
  }
  toString() {
    return `new ApproveCost(${this.cost}, ${this.treasurer})`;
  }
}

/** A treasurer marks an approved cost paid: from the festival's money (409 when it has too little). */
class PayCost implements ProceedsCommand {
  constructor(
    readonly cost: number,
    readonly treasurer: number,
  ) {}
  private candidates(model: Model) {
    return model.costs.filter((c) => c.status === "approved");
  }
  check(model: Model) {
    return this.candidates(model).length > 0;
  }
  async run(model: Model, { world }: Real) {
    const c = pick(this.candidates(model), this.cost)!;
    const f = world.festivals[c.festival]!;
    const money = spendable(await balancesOf(f.id, "EUR"));
    const unallocated = get(model.unallocated[c.festival]!, "EUR");
    const t = treasurers[this.treasurer % treasurers.length]!;
    const result = await attempt(() => api.payCost(t.actor, c.id, now()));
    // Paid from the festival's money, never from what is already in prisoners' funds.
    if (money < c.amountMinor || unallocated < c.amountMinor) {
      expect(
        result,
        `a cost of ${c.amountMinor} paid from ${money}, ${unallocated} unallocated`,
      ).toMatchObject({ ok: false, status: 409 });
      tally("cost refused: no money");
      return;
    }
    expect(result, "a cost paid").toMatchObject({ ok: true });
    c.status = "paid";
    add(model.figures[c.festival]!.costs, c.category, c.amountMinor);
    add(model.unallocated[c.festival]!, "EUR", -c.amountMinor);
    tally("cost paid");
  }
  toString() {
    return `new PayCost(${this.cost}, ${this.treasurer})`;
  }
}

/** The cost is rejected (by a treasurer) or cancelled (by its submitter) before it is paid. */
class DropCost implements ProceedsCommand {
  constructor(
    readonly cost: number,
    readonly reject: boolean,
  ) {}
  private candidates(model: Model) {
    return model.costs.filter((c) => c.status === "submitted" || c.status === "approved");
  }
  check(model: Model) {
    return this.candidates(model).length > 0;
  }
  async run(model: Model) {
    const c = pick(this.candidates(model), this.cost)!;
    const result = await attempt(() =>
      this.reject
        ? api.rejectCost(treasurers[0]!.actor, c.id, now())
        : api.cancelCost(organiser, c.id, now()),
    );
    if (!this.reject && c.status === "approved") {
      // Its submitter withdraws a cost only before it is approved.
      expect(result, "an approved cost withdrawn").toMatchObject({ ok: false, status: 409 });
      return;
    }
    expect(result, "a cost dropped").toMatchObject({ ok: true });
    c.status = this.reject ? "rejected" : "cancelled";
  }
  toString() {
    return `new DropCost(${this.cost}, ${this.reject})`;
  }
}

// ---------------------------------------------------------------- commands: exchanges and transfers

/** A treasurer converts part of a fund's euros into roubles at a rate of the day. */
class Exchange implements ProceedsCommand {
  constructor(
    /** The prisoner (index), or the general fund (past the last prisoner). */
    readonly fund: number,
    /** Per mille of the fund's available euros (over 1000: more than it holds). */
    readonly share: number,
    readonly rate: number,
    readonly treasurer: number,
  ) {}
  check() {
    return true;
  }
  async run(model: Model, { world }: Real) {
    const fund = fundWithMoney(model, world, "EUR", this.fund);
    const available =
      fundBalance(model, fund, "EUR") -
      (fund === GENERAL ? 0 : reserved(model, fund, "EUR", world, ["approved"]));
    const amount = Math.max(1, Math.floor((Math.max(0, available) * this.share) / 1000));
    const rate = RATES[this.rate % RATES.length]!;
    const draw = await plannedDraw(world, fund, "EUR", amount);
    const t = treasurers[this.treasurer % treasurers.length]!;
    const result = await attempt(() =>
      api.exchange(
        t.actor,
        {
          prisonerId: fund === GENERAL ? null : fund,
          fromCurrency: "EUR",
          fromAmountMinor: amount,
          toCurrency: "RUB",
          rate,
          ratedOn: DateTime.fromJSDate(now(), { zone: "UTC" }).toISODate()!,
        },
        now(),
      ),
    );
    if (amount > available || !draw) {
      expect(result, `exchange of ${amount} from ${available} available`).toMatchObject({
        ok: false,
        status: 409,
      });
      tally("exchange refused");
      return;
    }
    expect(result, "an exchange").toMatchObject({ ok: true });
    if (!result.ok) return;
    // The roubles: the amount at the rate, rounded half up to the kopeck, in integers; each
    // festival's part is the conversion of the running total drawn so far minus the one before
    // (so the parts add up to the whole exactly).
    const toAmount = result.value.toAmountMinor;
    expect(toAmount, "roubles for the euros").toBe(convert(amount, rate));
    let rub = 0;
    let drawn = 0;
    for (const [i] of world.festivals.entries()) {
      add(model.funds[i]!, fundKey("EUR", fund), -draw[i]!);
      const part = convert(drawn + draw[i]!, rate) - convert(drawn, rate);
      drawn += draw[i]!;
      add(model.funds[i]!, fundKey("RUB", fund), part);
      rub += part;
    }
    expect(rub, "all the roubles are in the fund").toBe(toAmount);
    tally("exchanged");
  }
  toString() {
    return `new Exchange(${this.fund}, ${this.share}, ${this.rate}, ${this.treasurer})`;
  }
}

/** A treasurer proposes moving money between two funds (approved by others, then done). */
class ProposeTransfer implements ProceedsCommand {
  constructor(
    readonly from: number,
    readonly to: number,
    readonly share: number,
    readonly rub: boolean,
    readonly treasurer: number,
  ) {}
  check() {
    return true;
  }
  async run(model: Model, { world }: Real) {
    const currency: Currency = this.rub ? "RUB" : "EUR";
    const from = fundWithMoney(model, world, currency, this.from);
    let to = world.prisoners[this.to] ?? GENERAL;
    if (to === from) to = from === GENERAL ? world.prisoners[0]! : GENERAL;
    const balance = fundBalance(model, from, currency);
    // Available for a transfer: the balance less approved payouts and other proposed transfers out.
    const available =
      balance -
      (from === GENERAL ? 0 : reserved(model, from, currency, world, ["approved"])) -
      model.transfers
        .filter((x) => x.status === "proposed" && x.from === from && x.currency === currency)
        .reduce((s, x) => s + x.amountMinor, 0);
    const amount = Math.max(1, Math.floor((Math.max(0, balance) * this.share) / 1000));
    const t = treasurers[this.treasurer % treasurers.length]!;
    const result = await attempt(() =>
      api.proposeTransfer(
        t.actor,
        {
          fromPrisonerId: from === GENERAL ? null : from,
          toPrisonerId: to === GENERAL ? null : to,
          amountMinor: amount,
          currency,
          reason: "released",
        },
        now(),
      ),
    );
    if (amount > available) {
      expect(result, `a transfer of ${amount}, ${available} available`).toMatchObject({
        ok: false,
        status: 409,
        code: "insufficient_funds",
      });
      tally("transfer refused at proposal");
      return;
    }
    expect(result, "a transfer proposed").toMatchObject({ ok: true });
    if (!result.ok) return;
    model.transfers.push({
      id: result.value,
      from,
      to,
      currency,
      amountMinor: amount,
      status: "proposed",
      proposer: t.id,
      approvers: new Set(),
    });
  }
  toString() {
    return `new ProposeTransfer(${this.from}, ${this.to}, ${this.share}, ${this.rub}, ${this.treasurer})`;
  }
}

/** Another treasurer approves a proposed transfer: done (money moved) once enough did. */
class ApproveTransfer implements ProceedsCommand {
  constructor(
    readonly transfer: number,
    readonly treasurer: number,
  ) {}
  private candidates(model: Model) {
    return model.transfers.filter((x) => x.status === "proposed");
  }
  check(model: Model) {
    return this.candidates(model).length > 0;
  }
  async run(model: Model, { world }: Real) {
    const x = pick(this.candidates(model), this.transfer)!;
    const t = approverFor(x.proposer, x.approvers, this.treasurer);
    const completes =
      t.id !== x.proposer && !x.approvers.has(t.id) && x.approvers.size + 1 >= APPROVALS;
    const held =
      x.from === GENERAL
        ? fundBalance(model, x.from, x.currency)
        : fundBalance(model, x.from, x.currency) -
          reserved(model, x.from, x.currency, world, ["approved"]);
    const draw = completes
      ? await plannedDraw(world, x.from, x.currency, x.amountMinor, false)
      : null;
    const result = await attempt(() => api.approveTransfer(t.actor, x.id, now()));
    if (t.id === x.proposer) {
      expect(result).toMatchObject({ ok: false, status: 403, code: "self_approval" });
      return;
    }
    if (completes && (x.amountMinor > held || !draw)) {
      expect(result, `transfer of ${x.amountMinor}, ${held} held`).toMatchObject({
        ok: false,
        status: 409,
        code: "insufficient_funds",
      });
      tally("transfer refused at approval");
      return;
    }
    expect(result, "a transfer approval").toMatchObject({ ok: true });
    x.approvers.add(t.id);
    if (!completes) return;
    x.status = "done";
    for (const [i, n] of draw!.entries()) {
      add(model.funds[i]!, fundKey(x.currency, x.from), -n);
      add(model.funds[i]!, fundKey(x.currency, x.to), n);
    }
    tally("transfer done");
  }
  toString() {
    return `new ApproveTransfer(${this.transfer}, ${this.treasurer})`;
  }
}

/** A proposed transfer rejected (another treasurer) or cancelled (its proposer). */
class DropTransfer implements ProceedsCommand {
  constructor(
    readonly transfer: number,
    readonly reject: boolean,
  ) {}
  private candidates(model: Model) {
    return model.transfers.filter((x) => x.status === "proposed");
  }
  check(model: Model) {
    return this.candidates(model).length > 0;
  }
  async run(model: Model) {
    const x = pick(this.candidates(model), this.transfer)!;
    const proposer = treasurers.find((t) => t.id === x.proposer)!;
    const other = treasurers.find((t) => t.id !== x.proposer)!;
    const result = await attempt(() =>
      this.reject
        ? api.closeTransfer(other.actor, x.id, "rejected", now())
        : api.closeTransfer(proposer.actor, x.id, "cancelled", now()),
    );
    expect(result, "a transfer dropped").toMatchObject({ ok: true });
    x.status = this.reject ? "rejected" : "cancelled";
  }
  toString() {
    return `new DropTransfer(${this.transfer}, ${this.reject})`;
  }
}

// ---------------------------------------------------------------- commands: payouts

const PAYOUT_CATEGORIES = [
  "lawyer",
  "prison_visit",
  "parcels_letters",
  "commissary",
  "fine",
  "family_support",
  "other",
] as const;

/** A treasurer proposes a payout from a prisoner's fund to one of its recipients. */
class ProposePayout implements ProceedsCommand {
  constructor(
    readonly recipient: number,
    /** Pay in the other currency than the cap's (or than the one the fund holds most of). */
    readonly otherCurrency: boolean,
    /** Per mille of what the fund has available, or of the cap when less (over 1000: more than that). */
    readonly share: number,
    readonly category: number,
    readonly treasurer: number,
  ) {}
  check() {
    return true;
  }
  async run(model: Model, { world }: Real) {
    // Mostly a recipient whose prisoner's fund has money in the currency they are paid in.
    const payable = (r: WorldRecipient): Currency => {
      const prisonerId = world.prisoners[r.prisoner]!;
      const currency =
        r.cap?.currency ??
        (fundBalance(model, prisonerId, "RUB") > fundBalance(model, prisonerId, "EUR")
          ? "RUB"
          : "EUR");
      return currency;
    };
    const funded = world.recipients.filter(
      (r) => fundBalance(model, world.prisoners[r.prisoner]!, payable(r)) > 0,
    );
    const r = pick(funded.length ? funded : world.recipients, this.recipient)!;
    const ri = world.recipients.indexOf(r);
    const prisonerId = world.prisoners[r.prisoner]!;
    const own = payable(r);
    const currency: Currency = this.otherCurrency ? (own === "EUR" ? "RUB" : "EUR") : own;
    const available =
      fundBalance(model, prisonerId, currency) -
      reserved(model, prisonerId, currency, world, ["proposed", "approved"]);
    const base = Math.min(Math.max(0, available), r.cap?.amountMinor ?? Infinity);
    const amount = Math.max(1, Math.floor((base * this.share) / 1000));
    const month = monthIn(now(), r.zone);
    const t = treasurers[this.treasurer % treasurers.length]!;
    const result = await attempt(() =>
      api.proposePayout(
        t.actor,
        {
          prisonerId,
          recipientId: r.id,
          category: PAYOUT_CATEGORIES[this.category % PAYOUT_CATEGORIES.length]!,
          amountMinor: amount,
          currency,
          note: `Payout ${model.payouts.length}`,
        },
        now(),
      ),
    );
    const reasons: string[] = [];
    if (r.cap && r.cap.currency !== currency) reasons.push("422");
    else {
      if (amount > available) reasons.push("insufficient_funds");
      if (r.cap && capUse(model, ri, month) + amount > r.cap.amountMinor)
        reasons.push("cap_exceeded");
    }
    if (reasons.length) {
      expect(result.ok, `a payout of ${amount} ${currency} (${reasons.join(", ")})`).toBe(false);
      if (!result.ok)
        expect(
          reasons,
          `refused with ${result.status} ${result.code}: ${result.message}`,
        ).toContain(result.status === 422 ? "422" : result.code);
      tally(`payout refused: ${reasons.join(", ")}`);
      return;
    }
    expect(result, `a payout of ${amount} ${currency}, ${available} available`).toMatchObject({
      ok: true,
    });
    if (!result.ok) return;
    model.payouts.push({
      id: result.value,
      recipient: ri,
      prisoner: r.prisoner,
      currency,
      amountMinor: amount,
      month,
      status: "proposed",
      proposer: t.id,
      approvers: new Set(),
    });
    tally("payout proposed");
  }
  toString() {
    return `new ProposePayout(${this.recipient}, ${this.otherCurrency}, ${this.share}, ${this.category}, ${this.treasurer})`;
  }
}

/** A treasurer approves a proposed payout (never its proposer); approved once enough others did. */
class ApprovePayout implements ProceedsCommand {
  constructor(
    readonly payout: number,
    readonly treasurer: number,
  ) {}
  private candidates(model: Model) {
    return model.payouts.filter((p) => p.status === "proposed");
  }
  check(model: Model) {
    return this.candidates(model).length > 0;
  }
  async run(model: Model, { world }: Real) {
    const p = pick(this.candidates(model), this.payout)!;
    const t = approverFor(p.proposer, p.approvers, this.treasurer);
    const prisonerId = world.prisoners[p.prisoner]!;
    const completes =
      t.id !== p.proposer && !p.approvers.has(t.id) && p.approvers.size + 1 >= APPROVALS;
    const available =
      fundBalance(model, prisonerId, p.currency) -
      reserved(model, prisonerId, p.currency, world, ["approved"]);
    const result = await attempt(() => api.approvePayout(t.actor, p.id, now()));
    if (t.id === p.proposer) {
      expect(result).toMatchObject({ ok: false, status: 403, code: "self_approval" });
      tally("payout self-approval refused");
      return;
    }
    if (completes && p.amountMinor > available) {
      expect(result, `approving ${p.amountMinor} with ${available} available`).toMatchObject({
        ok: false,
        status: 409,
        code: "insufficient_funds",
      });
      tally("payout approval refused: funds");
      return;
    }
    expect(result, "a payout approval").toMatchObject({ ok: true });
    p.approvers.add(t.id);
    if (completes) {
      p.status = "approved";
      p.approvedAt = clock;
    }
    expect(await api.payoutStatus(p.id), "the payout's status").toBe(p.status);
    tally(completes ? "payout approved" : "payout approval counted");
  }
  toString() {
    return `new ApprovePayout(${this.payout}, ${this.treasurer})`;
  }
}

/** A treasurer marks an approved payout paid, dated now or a few hours or days ago. */
class PayPayout implements ProceedsCommand {
  constructor(
    readonly payout: number,
    readonly treasurer: number,
    /** How long ago it was paid (hours). */
    readonly hoursAgo: number,
  ) {}
  private candidates(model: Model) {
    return model.payouts.filter((p) => p.status === "approved");
  }
  check(model: Model) {
    return this.candidates(model).length > 0;
  }
  async run(model: Model, { world }: Real) {
    const p = pick(this.candidates(model), this.payout)!;
    const r = world.recipients[p.recipient]!;
    const t = treasurers[this.treasurer % treasurers.length]!;
    const paidAt = new Date(clock - this.hoursAgo * HOUR);
    const month = monthIn(paidAt, r.zone);
    const prisonerId = world.prisoners[p.prisoner]!;
    const draw = await plannedDraw(world, prisonerId, p.currency, p.amountMinor);
    const result = await attempt(() =>
      api.markPayoutPaid(t.actor, p.id, { paidAt, reference: `REF-${p.id.slice(-6)}` }, now()),
    );
    // Not paid before the day it was approved (in the recipient's zone): 422.
    const approvedDay = DateTime.fromMillis(p.approvedAt!, { zone: r.zone }).startOf("day");
    if (paidAt.getTime() < approvedDay.toMillis()) {
      expect(result, `paid at ${paidAt.toISOString()}, before its approval`).toMatchObject({
        ok: false,
        status: 422,
      });
      tally("payout paid before approval refused");
      return;
    }
    const reasons: string[] = [];
    if (r.cap && capUse(model, p.recipient, month, p) + p.amountMinor > r.cap.amountMinor)
      reasons.push("cap_exceeded");
    if (!draw) reasons.push("insufficient_funds");
    if (reasons.length) {
      expect(result.ok, `paid at ${paidAt.toISOString()} (${reasons.join(", ")})`).toBe(false);
      if (!result.ok) expect(reasons, result.message).toContain(result.code);
      tally(`payout paid refused: ${reasons.join(", ")}`);
      return;
    }
    expect(result, `paid at ${paidAt.toISOString()}`).toMatchObject({ ok: true });
    p.status = "paid";
    if (p.month !== month) tally("payout paid in another month");
    p.month = month;
    for (const [i, n] of draw!.entries()) add(model.funds[i]!, fundKey(p.currency, prisonerId), -n);
    add(model.paidOut, `${prisonerId}|${p.currency}`, p.amountMinor);
    tally("payout paid");
  }
  toString() {
    return `new PayPayout(${this.payout}, ${this.treasurer}, ${this.hoursAgo})`;
  }
}

/** A treasurer rejects a payout, or its proposer cancels it (proposed or approved: the reservation ends). */
class DropPayout implements ProceedsCommand {
  constructor(
    readonly payout: number,
    readonly reject: boolean,
  ) {}
  private candidates(model: Model) {
    return model.payouts.filter((p) => p.status === "proposed" || p.status === "approved");
  }
  check(model: Model) {
    return this.candidates(model).length > 0;
  }
  async run(model: Model) {
    const p = pick(this.candidates(model), this.payout)!;
    const proposer = treasurers.find((t) => t.id === p.proposer)!;
    const other = treasurers.find((t) => t.id !== p.proposer)!;
    const result = await attempt(() =>
      this.reject
        ? api.rejectPayout(other.actor, p.id, now())
        : api.cancelPayout(proposer.actor, p.id, now()),
    );
    expect(result, this.reject ? "a rejection" : "a cancellation").toMatchObject({ ok: true });
    p.status = this.reject ? "rejected" : "cancelled";
    tally(`payout ${p.status}`);
  }
  toString() {
    return `new DropPayout(${this.payout}, ${this.reject})`;
  }
}

// ---------------------------------------------------------------- the invariants

async function checkInvariants(model: Model, world: World) {
  const sql = db.sqlClient();
  // Every entry balances per currency.
  const check = await ledger.checkLedger(sql);
  expect(check.problems).toEqual([]);

  // No fund account anywhere below zero.
  const { rows: overdrawn } = await sql.execute(
    `SELECT a.id, SUM(p.amountMinor) AS s FROM LedgerAccount a JOIN LedgerPosting p ON p.accountId = a.id
     WHERE a.code = 'fund' GROUP BY a.id HAVING s > 0`,
  );
  expect(overdrawn, "fund accounts below zero").toEqual([]);

  // Each festival's funds and unallocated money are the model's.
  for (const [i, f] of world.festivals.entries()) {
    const funds: Amounts = {};
    const balances = await ledger.festivalBalances(f.id, sql);
    for (const b of balances)
      if (b.code === "fund")
        add(funds, fundKey(b.currency, b.prisonerId ?? GENERAL), -b.balanceMinor);
    expect(funds, `festival ${i}'s funds`).toEqual(model.funds[i]);
    const summary = ledger.summarize(balances);
    const unallocated: Amounts = {};
    for (const [currency, s] of Object.entries(summary)) add(unallocated, currency, s.unallocated);
    expect(unallocated, `festival ${i}'s unallocated money`).toEqual(model.unallocated[i]);
  }

  // No recipient over its cap in any month (from the database, whatever the model thinks).
  const open = await db.prisma.payout.findMany({
    where: {
      recipientId: { in: world.recipients.map((r) => r.id) },
      status: { in: ["proposed", "approved", "paid"] },
    },
  });
  const perMonth: Amounts = {};
  for (const p of open) {
    const r = world.recipients.find((x) => x.id === p.recipientId)!;
    if (p.status === "paid")
      expect(p.month, "a paid payout's month").toBe(monthIn(p.paidAt!, r.zone));
    if (!r.cap) continue;
    expect(p.currency, "a payout in the cap's currency").toBe(r.cap.currency);
    add(perMonth, `${world.recipients.indexOf(r)} ${p.month}`, p.amountMinor);
  }
  for (const [key, n] of Object.entries(perMonth)) {
    const r = world.recipients[Number(key.split(" ")[0])]!;
    expect(n, `recipient ${key} (proposed + approved + paid)`).toBeLessThanOrEqual(
      r.cap!.amountMinor,
    );
  }
  // The database's payouts are the model's.
  const payouts = await db.prisma.payout.findMany({
    where: { recipientId: { in: world.recipients.map((r) => r.id) } },
    select: { id: true, status: true, month: true, amountMinor: true },
  });
  expect(
    Object.fromEntries(payouts.map((p) => [p.id, [p.status, p.month, p.amountMinor]])),
    "payouts",
  ).toEqual(
    Object.fromEntries(model.payouts.map((p) => [p.id, [p.status, p.month, p.amountMinor]])),
  );

  // What each fund holds, reserves and has available (funds.server.ts), as the model says.
  for (const fund of [...world.prisoners, GENERAL]) {
    const got: Record<string, [number, number]> = {};
    for (const b of await api.fundBalances(fund === GENERAL ? null : fund))
      if (b.balanceMinor || b.reservedMinor) got[b.currency] = [b.balanceMinor, b.reservedMinor];
    const expected: Record<string, [number, number]> = {};
    for (const currency of ["EUR", "RUB"]) {
      const balance = fundBalance(model, fund, currency);
      const held = fund === GENERAL ? 0 : reserved(model, fund, currency, world, ["approved"]);
      if (balance || held) expected[currency] = [balance, held];
    }
    expect(got, `fund ${fund}: balance, reserved`).toEqual(expected);
  }

  // The public figures: raised and paid out per prisoner are the model's, and the ledger's.
  const totals = await api.prisonerTotals(world.prisoners);
  for (const id of world.prisoners) {
    const got: Record<string, [number, number, number]> = {};
    for (const t of totals.get(id) ?? [])
      if (t.raisedMinor || t.paidOutMinor || t.balanceMinor)
        got[t.currency] = [t.raisedMinor, t.paidOutMinor, t.balanceMinor];
    const expected: Record<string, [number, number, number]> = {};
    for (const currency of ["EUR", "RUB"]) {
      const raised = get(model.raised, `${id}|${currency}`);
      const paid = get(model.paidOut, `${id}|${currency}`);
      const balance = fundBalance(model, id, currency);
      if (raised || paid || balance) expected[currency] = [raised, paid, balance];
    }
    expect(got, `public figures of prisoner ${id}: raised, paid out, balance`).toEqual(expected);
  }
  await checkReports(model, world);
}

/**
 * The public reports (transparency.server.ts): each festival's against the
 * model (gross, refunds, fees, costs, earmarked and allocated per fund,
 * unallocated), and each month the run touched (UTC) against sums over the
 * ledger's postings computed here, across all festivals.
 */
async function checkReports(model: Model, world: World) {
  for (const [i, f] of world.festivals.entries()) {
    const report = await transparency.festivalReport(f.id);
    expect(report, `festival ${i}'s report`).not.toBeNull();
    const got = report!.currencies.map((c) => ({
      currency: c.currency,
      gross: Object.fromEntries(c.gross.map((g) => [g.category, g.amountMinor])),
      refunds: c.refundsMinor,
      fees: c.feesMinor,
      costs: Object.fromEntries(c.costs.map((g) => [g.category, g.amountMinor])),
      earmarked: Object.fromEntries(
        c.allocated.filter((a) => a.earmarkedMinor).map((a) => [a.id, a.earmarkedMinor]),
      ),
      byRule: {
        ...Object.fromEntries(
          c.allocated.filter((a) => a.byRuleMinor).map((a) => [a.id, a.byRuleMinor]),
        ),
        ...(c.generalFundMinor ? { [GENERAL]: c.generalFundMinor } : {}),
      },
      net: c.netProceedsMinor,
      unallocated: c.unallocatedMinor,
    }));
    const orders = model.orders.filter((o) => o.festival === i);
    const gross: Amounts = {};
    let refunds = 0;
    for (const o of orders) {
      for (const [part, n] of Object.entries(o.paid)) add(gross, part.split(":")[0]!, n);
      refunds += total(o.returned);
    }
    const fig = model.figures[i]!;
    const expected = orders.length
      ? [
          {
            currency: "EUR",
            gross,
            refunds,
            fees: fig.fees,
            costs: fig.costs,
            earmarked: fig.earmarked,
            byRule: fig.byRule,
            net: total(gross) - refunds - fig.fees - total(fig.costs),
            unallocated: get(model.unallocated[i]!, "EUR"),
          },
        ]
      : [];
    expect(got, `festival ${i}'s public report`).toEqual(expected);
  }

  // The months: [start − 21 days, now], in UTC.
  const months = new Set<string>();
  for (let t = world.startedAt - 21 * DAY; t <= clock + DAY; t += DAY)
    months.add(monthIn(new Date(t), "UTC"));
  for (const month of months) {
    const report = await transparency.monthReport(month);
    const from = Date.parse(`${month}-01T00:00:00Z`);
    const to = DateTime.fromMillis(from, { zone: "UTC" }).plus({ months: 1 }).toMillis();
    const { rows } = await db.sqlClient().execute({
      sql: `SELECT e.createdAt, e.kind, e.purpose, a.code, a.category, a.prisonerId, a.currency, p.amountMinor
            FROM LedgerEntry e JOIN LedgerPosting p ON p.entryId = e.id JOIN LedgerAccount a ON a.id = p.accountId
            WHERE e.createdAt >= ? AND e.createdAt < ?`,
      args: [
        new Date(from - DAY).toISOString().slice(0, 10),
        new Date(to + DAY).toISOString().slice(0, 10),
      ],
    });
    type Sums = {
      collected: Record<string, [number, number]>;
      fees: number;
      costs: Amounts;
      allocated: number;
      payouts: Amounts;
    };
    const sums: Record<string, Sums> = {};
    for (const r of rows) {
      const at = new Date(String(r.createdAt)).getTime();
      if (at < from || at >= to) continue;
      const currency = String(r.currency);
      const x = (sums[currency] ??= {
        collected: {},
        fees: 0,
        costs: {},
        allocated: 0,
        payouts: {},
      });
      const n = Number(r.amountMinor);
      const family = String(r.category ?? "other").split(".")[0]!;
      switch (String(r.code)) {
        case "income":
          (x.collected[family] ??= [0, 0])[0] -= n;
          break;
        case "refunds":
        case "chargebacks":
          (x.collected[family] ??= [0, 0])[1] += n;
          break;
        case "processing_fees":
        case "currency_exchange":
        case "cash_difference":
          x.fees += n;
          break;
        case "costs":
          add(x.costs, family, n);
          break;
        case "allocated":
          x.allocated += n;
          break;
        case "fund":
          if (String(r.kind) === "payout")
            add(x.payouts, `${String(r.purpose ?? "other")} ${String(r.prisonerId ?? "")}`, n);
          break;
      }
    }
    const got: Record<string, Sums> = {};
    for (const c of report.currencies)
      got[c.currency] = {
        collected: Object.fromEntries(
          c.collected.map((l) => [l.category, [l.grossMinor, l.refundedMinor]]),
        ),
        fees: c.feesMinor,
        costs: Object.fromEntries(c.costs.map((l) => [l.category, l.amountMinor])),
        allocated: c.allocatedMinor,
        payouts: Object.fromEntries(c.payouts.map((l) => [`${l.category} ${l.id}`, l.amountMinor])),
      };
    for (const x of Object.values(sums))
      for (const [k, v] of Object.entries(x.collected)) if (!v[0] && !v[1]) delete x.collected[k];
    const nonEmpty = (x: Sums) =>
      Object.keys(x.collected).length ||
      x.fees ||
      total(x.costs) ||
      x.allocated ||
      Object.keys(x.payouts).length;
    expect(
      Object.fromEntries(Object.entries(got).filter(([, x]) => nonEmpty(x))),
      `the public report of ${month}`,
    ).toEqual(Object.fromEntries(Object.entries(sums).filter(([, x]) => nonEmpty(x))));
  }
}

/** Run each command, then check every invariant. */
class Checked implements ProceedsCommand {
  constructor(readonly inner: ProceedsCommand) {}
  check(model: Readonly<Model>) {
    return this.inner.check(model);
  }
  async run(model: Model, real: Real) {
    tally(String(this.inner).replace(/^new (\w+).*$/s, "$1"));
    const t0 = performance.now();
    await this.inner.run(model, real);
    const t1 = performance.now();
    await checkInvariants(model, real.world);
    timing.run += t1 - t0;
    timing.check += performance.now() - t1;
  }
  toString() {
    return this.inner.toString();
  }
}

// ---------------------------------------------------------------- runs

const index = fc.nat({ max: 20 });
const treasurer = fc.nat({ max: 2 });
const share = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 1000 }), weight: 4 },
  { arbitrary: fc.constant(1000), weight: 1 },
  { arbitrary: fc.integer({ min: 1001, max: 1500 }), weight: 1 },
);
const times = <T>(n: number, arb: fc.Arbitrary<T>) => Array.from({ length: n }, () => arb);

const COMMANDS = () => [
  ...times(
    6,
    fc
      .tuple(
        fc.nat({ max: 1 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 3 }),
        fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 6000 })),
        fc.nat({ max: 2 }),
      )
      .map(([f, card, n, d, e]) => new Sale(f, card, n, d, e)),
  ),
  index.map((o) => new Refund(o)),
  fc.tuple(index, fc.integer({ min: 1, max: 1000 })).map(([o, s]) => new DashboardRefund(o, s)),
  fc.integer({ min: 1, max: 30 }).map((h) => new Wait(h)),
  fc
    .tuple(
      fc.nat({ max: 1 }),
      fc.boolean(),
      fc.constantFrom(0, 10, 25, 33, 50, 100),
      fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 3 }),
      fc.constantFrom(false, false, false, true),
    )
    .map(([f, e, g, w, b]) => new SetRule(f, e, g, w, b)),
  ...times(
    2,
    fc.tuple(fc.nat({ max: 1 }), treasurer).map(([f, t]) => new Allocate(f, t)),
  ),
  ...(api.has.costs
    ? [
        fc
          .tuple(fc.nat({ max: 1 }), fc.nat({ max: 4 }), fc.integer({ min: 100, max: 8000 }))
          .map(([f, c, a]) => new SubmitCost(f, c, a)),
        ...times(
          4,
          fc.tuple(index, treasurer).map(([c, t]) => new ApproveCost(c, t)),
        ),
        ...times(
          2,
          fc.tuple(index, treasurer).map(([c, t]) => new PayCost(c, t)),
        ),
        fc.tuple(index, fc.boolean()).map(([c, r]) => new DropCost(c, r)),
      ]
    : []),
  fc
    .tuple(fc.nat({ max: 3 }), share, fc.nat({ max: 2 }), treasurer)
    .map(([f, s, r, t]) => new Exchange(f, s, r, t)),
  fc
    .tuple(
      fc.nat({ max: 3 }),
      fc.nat({ max: 3 }),
      share,
      fc.constantFrom(false, false, true),
      treasurer,
    )
    .map(([a, b, s, rub, t]) => new ProposeTransfer(a, b, s, rub, t)),
  ...times(
    3,
    fc.tuple(index, fc.constantFrom(0, 1, 2, 2, 3, 3)).map(([x, t]) => new ApproveTransfer(x, t)),
  ),
  fc.tuple(index, fc.boolean()).map(([x, r]) => new DropTransfer(x, r)),
  ...(api.has.payouts
    ? [
        ...times(
          3,
          fc
            .tuple(
              index,
              fc.constantFrom(false, false, false, false, true),
              share,
              fc.nat({ max: 6 }),
              treasurer,
            )
            .map(([r, rub, s, c, t]) => new ProposePayout(r, rub, s, c, t)),
        ),
        ...times(
          6,
          fc
            .tuple(index, fc.constantFrom(0, 1, 2, 2, 3, 3))
            .map(([p, t]) => new ApprovePayout(p, t)),
        ),
        ...times(
          4,
          fc
            .tuple(index, treasurer, fc.constantFrom(0, 0, 1, 3, 5, 26, 24 * 20))
            .map(([p, t, h]) => new PayPayout(p, t, h)),
        ),
        fc.tuple(index, fc.boolean()).map(([p, r]) => new DropPayout(p, r)),
      ]
    : []),
];

/**
 * A fresh world on its own month: two festivals (the older takes cards and cash,
 * the newer cash), three prisoners (the first two at the older festival, the last
 * two at the newer: the middle one has money at both), and recipients with caps
 * in roubles (Moscow, Vladivostok) and euros (New York), and one without.
 */
async function newWorld(): Promise<World> {
  runs++;
  await sweepGeneralFund();
  // 21:00 in Moscow on the last day of the run's month.
  clock = Date.UTC(2029, runs, 0, 18, 0, 0);
  const prisonerRows = [];
  for (const n of [1, 2, 3])
    prisonerRows.push(await fixtures.createPrisonerRow(`pp-${runs}-${n}`, { en: `Prisoner ${n}` }));
  const prisoners = prisonerRows.map((p) => p.id).sort();
  const festivals: WorldFestival[] = [];
  for (const [i, spec] of [
    { methods: ["stripe", "door"] as ("stripe" | "door")[], supports: [0, 1] },
    { methods: ["door"] as ("stripe" | "door")[], supports: [1, 2] },
  ].entries()) {
    const startsAt = new Date(clock + (30 + i) * DAY);
    const festival = await fixtures.createFestivalRow({
      status: "published",
      publishedAt: new Date(clock - DAY),
      startsAt,
      endsAt: new Date(startsAt.getTime() + 8 * HOUR),
      paymentMethods: JSON.stringify(spec.methods),
    });
    await db.prisma.festivalPrisoner.createMany({
      data: spec.supports.map((p) => ({ festivalId: festival.id, prisonerId: prisoners[p]! })),
    });
    // On the team as an organiser (the domain functions read the actor's memberships).
    organiser.memberships.push({ festivalId: festival.id, role: "organiser" });
    const type = await fixtures.createTicketTypeRow(festival.id, TICKET, 10_000);
    const devices = [];
    for (const n of [1, 2]) {
      const d = await db.prisma.doorDevice.create({
        data: {
          festivalId: festival.id,
          name: `Door ${n}`,
          tokenHash: `hash-${runs}-${i}-${n}-${Math.random()}`,
          createdById: organiser.id,
        },
      });
      devices.push({ id: d.id, festivalId: festival.id, name: d.name });
    }
    festivals.push({
      id: festival.id,
      startsAt,
      methods: spec.methods,
      typeId: type.id,
      supports: spec.supports,
      devices,
    });
  }
  const specs: Omit<WorldRecipient, "id">[] = [
    { prisoner: 0, cap: { amountMinor: 300_000, currency: "RUB" }, zone: "Europe/Moscow" },
    { prisoner: 1, cap: { amountMinor: 4_000, currency: "EUR" }, zone: "America/New_York" },
    { prisoner: 1, cap: { amountMinor: 200_000, currency: "RUB" }, zone: "Asia/Vladivostok" },
    { prisoner: 1, cap: null, zone: "Europe/Moscow" },
    { prisoner: 2, cap: { amountMinor: 150_000, currency: "RUB" }, zone: "Europe/Moscow" },
  ];
  const recipients: WorldRecipient[] = [];
  if (api.has.payouts)
    for (const [i, s] of specs.entries())
      recipients.push({
        ...s,
        id: await api.createRecipient(treasurers[0]!.actor, {
          prisonerId: prisoners[s.prisoner]!,
          kind: i % 2 ? "lawyer" : "relative",
          displayName: `Recipient ${runs}-${i}`,
          details: `IBAN LV00 TEST ${runs} ${i}`,
          ...(s.cap ? { monthlyCap: s.cap } : {}),
          timezone: s.zone,
        }),
      });
  return { startedAt: clock, festivals, prisoners, recipients };
}

let sink: string | null = null;

/**
 * The general fund is one fund across all festivals, so across runs: before a
 * run, the proposed transfers earlier runs left are rejected and what the
 * general fund holds moves to a prisoner no run uses. Each run's general fund
 * starts empty, and is drawn from its own festivals only.
 */
async function sweepGeneralFund() {
  const t = treasurers.map((x) => x.actor);
  for (const x of await db.prisma.fundTransfer.findMany({ where: { status: "proposed" } }))
    await api.closeTransfer(t[0]!, x.id, "rejected", now());
  sink ??= (await fixtures.createPrisonerRow("sink", { en: "Sink" })).id;
  for (const b of await api.fundBalances(null)) {
    if (b.balanceMinor <= 0) continue;
    const id = await api.proposeTransfer(
      t[0]!,
      {
        fromPrisonerId: null,
        toPrisonerId: sink,
        amountMinor: b.balanceMinor,
        currency: b.currency,
        reason: "between runs",
      },
      now(),
    );
    for (const approver of t.slice(1, 1 + APPROVALS))
      await api.approveTransfer(approver, id, now());
  }
}

function setup(world: World): Model {
  return {
    orders: [],
    unallocated: world.festivals.map(() => ({})),
    funds: world.festivals.map(() => ({})),
    figures: world.festivals.map(() => ({ fees: 0, costs: {}, byRule: {}, earmarked: {} })),
    raised: {},
    paidOut: {},
    rule: world.festivals.map(() => null),
    costs: [],
    payouts: [],
    transfers: [],
  };
}

/**
 * How every generated run begins (so payouts have money to go on): earmarked
 * donations for each prisoner at both festivals (by card and in cash), and half
 * of each prisoner's euros exchanged into roubles.
 */
const SEED = (): ProceedsCommand[] => [
  new Sale(0, true, 2, 5000, 1),
  new Sale(0, false, 1, 4000, 2),
  new Sale(1, false, 2, 5000, 1),
  new Sale(1, false, 1, 3000, 2),
  new Exchange(0, 500, 0, 0),
  new Exchange(1, 500, 1, 1),
  new Exchange(2, 500, 2, 2),
];

/** Run one sequence of commands (a generated one, or a fixed case) with the invariants after each. */
async function runCommands(commands: Iterable<ProceedsCommand>) {
  await fc.asyncModelRun(
    async () => {
      const t0 = performance.now();
      const world = await newWorld();
      timing.world += performance.now() - t0;
      return { model: setup(world), real: { world } };
    },
    [...commands].map((c) => new Checked(c)),
  );
}

beforeAll(async () => {
  const warn = console.warn.bind(console);
  vi.spyOn(console, "warn").mockImplementation((...args: unknown[]) => {
    if (!String(args[0]).startsWith("could not expire Stripe session")) warn(...args);
  });
  fake = await startStripeFake({ now: () => clock });
  freshTestEnv({
    ...stripeTestEnv(fake, "whsec_test_proceeds_properties_0123456789"),
    STRIPE_TIMEOUT_MS: "2000",
    PUBLIC_URL: "http://festival.test",
    PAYOUT_APPROVALS: String(APPROVALS),
  });
  db = await import("~/utils/db.server");
  ledger = await import("~/models/ledger.server");
  orders = await import("~/models/order.server");
  payments = await import("~/models/payment.server");
  door = await import("~/models/door.server");
  fixtures = await import("../helpers/fixtures");
  api = await proceeds();
  transparency = await import("~/models/transparency.server");
  const treasury = await import("../helpers/treasury");
  treasurers = [];
  for (const n of [1, 2, 3])
    treasurers.push(await treasury.createMoneyUser({ name: `Treasurer ${n}` }));
  const o = await fixtures.createUserRow({ name: "Organiser" });
  organiser = { ...o, role: "member", locale: null, memberships: [] };
});
afterAll(async () => {
  if (process.env.PROCEEDS_PROPERTY_STATS)
    console.log(Object.fromEntries([...stats].sort()), timing);
  await db?.disconnectDatabase();
  await fake?.close();
});

describe("proceeds under random sequences of sales, refunds, allocations, costs, exchanges, transfers and payouts", () => {
  it("balances, keeps funds above zero and recipients within their caps, allocates by the rule in force, and reports the ledger", async () => {
    await fc.assert(
      // Long sequences (commands with nothing to act on are skipped): an array, not
      // fc.commands, whose lengths lean short.
      fc.asyncProperty(
        fc.array(fc.oneof(...COMMANDS()), { minLength: 20, maxLength: 35 }),
        (commands) => runCommands([...SEED(), ...commands]),
      ),
      // PROCEEDS_PROPERTY_RUNS=300 for a longer hunt.
      { numRuns: Number(process.env.PROCEEDS_PROPERTY_RUNS ?? 15) },
    );
  }, 600_000);
});

describe("fixed cases", () => {
  it("an approved cost is kept back from allocation, then paid from the festival's money", async () => {
    await runCommands([
      new Sale(0, true, 3, 0, 0),
      new SubmitCost(0, 0, 2000),
      new ApproveCost(0, 1),
      new ApproveCost(0, 2),
      new Allocate(0, 0),
      new PayCost(0, 1),
      new Allocate(0, 1),
      new SubmitCost(0, 1, 500),
      new ApproveCost(0, 1),
      new ApproveCost(0, 2),
      new PayCost(0, 0),
    ]);
  });

  // Marking a payout paid moves it to the month of paidAt: dated long before its approval, into
  // an old month, it would free this month's cap, so a recipient capped at 40 € a month could be
  // paid 40 € again and again in one month. Money cannot have been sent before the second
  // treasurer approved it: such a date is refused (422 on paidAt).
  it("a payout cannot be marked paid at a date before its approval", async () => {
    const world = await newWorld();
    const model = setup(world);
    for (const c of [
      ...SEED(),
      new ProposePayout(1, false, 1000, 0, 0),
      new ApprovePayout(0, 1),
      new ApprovePayout(0, 2),
    ])
      await new Checked(c).run(model, { world });
    const p = model.payouts.find((x) => x.status === "approved")!;
    expect(p, "an approved payout to the recipient capped in euros").toMatchObject({
      recipient: 1,
      amountMinor: 4000,
    });
    const backdated = new Date(clock - 40 * DAY);
    const result = await attempt(() =>
      api.markPayoutPaid(treasurers[1]!.actor, p.id, { paidAt: backdated, reference: "R" }, now()),
    );
    expect(result, "paid 40 days before it was approved").toMatchObject({ ok: false, status: 422 });
  });

  // A payout approved in one month and paid in the next (paidAt in the recipient's zone, New
  // York) moves into a month whose cap a proposal already uses: proposed + paid must stay
  // within the cap there too.
  it("a payout paid in the next month, where a proposal already uses the cap", async () => {
    await runCommands([
      ...SEED(),
      new ProposePayout(1, false, 500, 0, 0),
      new ApprovePayout(0, 1),
      new ApprovePayout(0, 2),
      new Wait(12),
      new ProposePayout(1, false, 1000, 5, 1),
      new PayPayout(0, 1, 0),
    ]);
  });

  it("an earmarked card donation, a rule change between two allocations, a capped payout paid across the month end", async () => {
    await runCommands([
      new Sale(0, true, 2, 5000, 1),
      new SetRule(0, false, 25, [1, 3], false),
      new Sale(0, false, 1, 0, 0),
      new Allocate(0, 0),
      new SetRule(0, true, 10, [1], false),
      new Sale(0, true, 3, 0, 0),
      new Allocate(0, 1),
      new Exchange(0, 1000, 0, 0),
      new ProposePayout(0, true, 700, 0, 0),
      new ApprovePayout(0, 1),
      new ApprovePayout(0, 2),
      new Wait(4),
      new PayPayout(0, 1, 5),
    ]);
  });
});
