// The money spine under random use (issue 9): fast-check drives random
// sequences of card, door and free orders (with and without donations and
// earmarks), Stripe webhooks in any order and duplicated, door cash, hold
// expiries and organiser cancellations and refunds, against the real domain
// modules, a real SQLite file and the local Stripe-compatible server. A small
// model keeps what each buyer paid and got back; after every step the books
// must say the same:
//
//   - every entry balances per currency (`checkLedger`: the whole database);
//   - each order's income postings are what its buyer paid minus what was
//     returned, per category and earmark, and its money sits where it was paid
//     (Stripe, or the door device that took the cash);
//   - the festival's income, earmarks and fees are the sums over its orders,
//     and the books' money at Stripe is what Stripe holds (charges − fees − refunds);
//   - replaying any earlier event (a webhook, a door payment, a cancellation)
//     changes nothing at all; two events at once (races) end as one of them first.
//
// The model follows the merged code's decisions: a door order's pledged
// donation is taken (or declined) with its first ticket, or by the order; an
// order is paid once nothing is due; cancelling one that took door cash needs
// the organiser's choice (return it, or keep it as a donation: unearmarked
// unless it was earmarked); a partial refund or a lost dispute takes tickets
// first, then other kinds, then unearmarked donations, earmarked ones last; an
// order is `refunded` once refunds (not chargebacks) reach its total, and a lost
// dispute leaves it `paid`; Stripe's dispute fee is a processing fee; a
// completion that is not the order's amount fulfils nothing (unmatched_payments).
//
// Each run gets a fresh festival in the same database, and its own day on the
// shared virtual clock (the domain functions take `now`; the Stripe fake reads
// the same clock). Commands are one class each: a new money event is one more
// class in ACTIVE_COMMANDS. Shrunk counterexamples stay below as named cases.
import fc from "fast-check";
import type Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { CashChoice } from "~/models/cash.server";
import type * as DoorServer from "~/models/door.server";
import type * as LedgerServer from "~/models/ledger.server";
import type * as OrderServer from "~/models/order.server";
import type * as PaymentServer from "~/models/payment.server";
import type { CurrentUser } from "~/utils/auth.server";
import type * as DbServer from "~/utils/db.server";
import type { DomainError } from "~/utils/domain-error";
import { freshTestEnv } from "../helpers/env";
import type * as Fixtures from "../helpers/fixtures";
import {
  startStripeFake,
  type FakeCheckoutSession,
  type StripeFake,
  stripeTestEnv,
} from "../helpers/stripe-fake";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** The first run's morning; each run starts a day later. */
const EPOCH = Date.parse("2029-01-01T09:00:00Z");
/** The Stripe fake's fee rule (tests/helpers/stripe-fake.ts): 1.5 % + 25 minor units. */
const stripeFeeOf = (amount: number) => Math.round(amount * 0.015) + 25;
/** The smallest card charge the Stripe fake (like Stripe) accepts in EUR. */
const STRIPE_MINIMUM = 50;

let clock = EPOCH;
let runs = 0;
let fake: StripeFake;
let db: typeof DbServer;
let ledger: typeof LedgerServer;
let orders: typeof OrderServer;
let payments: typeof PaymentServer;
let door: typeof DoorServer;
let fixtures: typeof Fixtures;
let actor: CurrentUser;

// ---------------------------------------------------------------- the world and its model

/** Ticket types of every run's festival: A sells out quickly, B does not, F is free. */
const TYPES = {
  A: { priceMinor: 1200, capacity: 3 },
  B: { priceMinor: 500, capacity: 100 },
  F: { priceMinor: 0, capacity: 100 },
} as const;
type TypeKey = keyof typeof TYPES;
type Method = "stripe" | "door" | "free";
/** An income part as `incomeOf` spells it: "ticket", "donation", "donation:<prisonerId>". */
type Part = string;
type Amounts = Record<Part, number>;

type World = {
  festivalId: string;
  typeIds: Record<TypeKey, string>;
  /** Prisoners the festival supports (donations may be earmarked for them). */
  prisoners: string[];
  devices: DoorServer.Device[];
};

type ModelOrder = {
  id: string;
  method: Method;
  status: OrderServer.OrderStatus;
  lines: { type: TypeKey; quantity: number; unitPriceMinor: number }[];
  /** The order's donation (gone once the buyer declined it at the door). */
  donation: { amountMinor: number; prisonerId: string | null } | null;
  /** A door order's pledged donation, still to be collected (or declined) at the door. */
  donationDue: boolean;
  holdExpiresAt: number | null;
  sessionId: string | null;
  /** The buyer paid by card (Stripe made a payment intent). */
  cardPaid: boolean;
  tickets: { id: string; dueMinor: number }[];
  /** What the buyer paid, and what was given back, per income part. */
  paid: Amounts;
  returned: Amounts;
  /** The order's cash per door device (taken minus given back). */
  cash: Record<string, number>;
  feesMinor: number;
  /** Given back by refunds (ours or Stripe's dashboard; not chargebacks): `refunded` once it is the total. */
  refundedMinor: number;
  /** Stripe's dispute of the order's charge, as the order records it (disputeStatus). */
  dispute: null | { id: string; status: "open" | "won" | "lost" };
  /** Held by Stripe for an open dispute. */
  disputedMinor: number;
  /** Taken back by Stripe for lost disputes. */
  chargedBackMinor: number;
  /** Stripe's dispute fees (a processing fee, kept by Stripe whatever the outcome). */
  disputeFeesMinor: number;
  /** Money from completions that did not match the order (unmatched_payments, in USD here). */
  unmatchedMinor: number;
};

/** An event that happened and can be delivered again: it must change nothing the second time. */
type Replayable =
  | { kind: "webhook"; event: Stripe.Event; label: string }
  | { kind: "door"; order: number; ticketId: string; device: number; nonce: string }
  | {
      kind: "donation";
      order: number;
      device: number;
      donation: "collect" | "decline";
      amountMinor: number;
    }
  | { kind: "cancel"; order: number };

type Model = {
  orders: ModelOrder[];
  reserved: Record<TypeKey, number>;
  log: Replayable[];
};

type Real = { world: World };
type LedgerCommand = fc.AsyncCommand<Model, Real, false>;

const now = () => new Date(clock);

/** How often each command and outcome ran (LEDGER_PROPERTY_STATS=1 prints it: is every path exercised?). */
const stats = new Map<string, number>();
const tally = (what: string) => stats.set(what, (stats.get(what) ?? 0) + 1);

function add(amounts: Amounts, part: Part, amountMinor: number) {
  if (amountMinor === 0) return;
  amounts[part] = (amounts[part] ?? 0) + amountMinor;
  if (amounts[part] === 0) delete amounts[part];
}

function net(o: ModelOrder): Amounts {
  const out: Amounts = {};
  for (const [part, n] of Object.entries(o.paid)) add(out, part, n);
  for (const [part, n] of Object.entries(o.returned)) add(out, part, -n);
  return out;
}

/** What an order's items are worth, per income part (what a card buyer pays). */
function parts(o: ModelOrder): Amounts {
  const out: Amounts = {};
  for (const l of o.lines) add(out, "ticket", l.quantity * l.unitPriceMinor);
  if (o.donation)
    add(
      out,
      o.donation.prisonerId ? `donation:${o.donation.prisonerId}` : "donation",
      o.donation.amountMinor,
    );
  return out;
}

const total = (amounts: Amounts) => Object.values(amounts).reduce((s, n) => s + n, 0);

/** Whether the order still holds its places (and can be cancelled). */
const holdsPlaces = (status: string) => ["pending", "confirmed", "paid"].includes(status);

function reserve(model: Model, o: ModelOrder, sign: 1 | -1) {
  for (const l of o.lines) model.reserved[l.type] += sign * l.quantity;
}

function fits(model: Model, lines: ModelOrder["lines"]) {
  return lines.every((l) => model.reserved[l.type] + l.quantity <= TYPES[l.type].capacity);
}

/** Give everything the order still holds back to its buyer (organiser refund, late payment). */
function returnAll(o: ModelOrder) {
  for (const [part, n] of Object.entries(net(o))) add(o.returned, part, n);
  o.cash = {};
  o.disputedMinor = 0;
}

/**
 * Which parts a partial refund or a lost dispute takes back (the merged code's
 * decision, card-money.server.ts allocateOut): tickets first, then other kinds,
 * then unearmarked donations, earmarked donations last.
 */
function allocateOut(o: ModelOrder, amountMinor: number): Amounts {
  const rank = (part: Part) =>
    part === "ticket" ? 0 : !part.startsWith("donation") ? 1 : part === "donation" ? 2 : 3;
  const held = Object.entries(net(o))
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => {
      const [ca = "", pa = ""] = a.split(":");
      const [cb = "", pb = ""] = b.split(":");
      return rank(a) - rank(b) || ca.localeCompare(cb) || pa.localeCompare(pb);
    });
  const out: Amounts = {};
  let left = amountMinor;
  for (const [part, n] of held) {
    if (left <= 0) break;
    const take = Math.min(left, n);
    add(out, part, take);
    left -= take;
  }
  return out;
}

/** Door cash kept as a donation on cancelling: what came in as anything else becomes a donation (earmark kept). */
function keepCashAsDonation(o: ModelOrder) {
  for (const [part, n] of Object.entries(net(o))) {
    if (part.startsWith("donation") || n <= 0) continue;
    add(o.returned, part, n);
    add(o.paid, "donation", n);
  }
}

function donationPart(o: ModelOrder) {
  return o.donation?.prisonerId ? `donation:${o.donation.prisonerId}` : "donation";
}

/**
 * The door settles an order's pledged donation (with its first ticket, or by
 * the order): collected into `holder`'s cash, or declined (it leaves the order;
 * a donation-only order is then cancelled: nothing is left in it).
 */
function settleDonation(o: ModelOrder, holder: string, decline: boolean) {
  if (!o.donationDue || !o.donation) return 0;
  o.donationDue = false;
  if (decline) {
    o.donation = null;
    if (o.tickets.length === 0) o.status = "cancelled";
    return 0;
  }
  add(o.paid, donationPart(o), o.donation.amountMinor);
  add(o.cash, holder, o.donation.amountMinor);
  return o.donation.amountMinor;
}

/** A door order is paid once nothing is due: no ticket's price, no pledged donation. */
function markPaidIfSettled(o: ModelOrder) {
  if (o.status === "confirmed" && !o.donationDue && o.tickets.every((x) => x.dueMinor === 0))
    o.status = "paid";
}

/** A ticket's cash taken by `holder` (with the order's pledged donation, unless declined). */
function doorTicketPaid(
  o: ModelOrder,
  t: ModelOrder["tickets"][number],
  holder: string,
  decline: boolean,
) {
  add(o.paid, "ticket", t.dueMinor);
  add(o.cash, holder, t.dueMinor);
  t.dueMinor = 0;
  settleDonation(o, holder, decline);
  markPaidIfSettled(o);
}

/** What a door payment of ticket `t` takes now, per the model (its price, and the pledged donation unless declined). */
function doorDue(o: ModelOrder, t: ModelOrder["tickets"][number], decline: boolean) {
  if (!holdsPlaces(o.status) || t.dueMinor === 0) return 0;
  return t.dueMinor + (o.donationDue && !decline ? o.donation!.amountMinor : 0);
}

/** Pick one of `items` by a generated index (commands are generated before the model exists). */
function pick<T>(items: T[], index: number): T | undefined {
  return items.length ? items[index % items.length] : undefined;
}

const cardOrders = (m: Model) => m.orders.filter((o) => o.method === "stripe" && o.sessionId);
const doorOrders = (m: Model) =>
  m.orders.filter((o) => o.tickets.length > 0 && o.method === "door");

async function deliver(event: Stripe.Event) {
  return payments.applyStripeEvent(event, now());
}

function sessionEvent(type: string, session: FakeCheckoutSession) {
  return fake.event(type, session) as unknown as Stripe.Event;
}

// ---------------------------------------------------------------- commands (active)

/** A buyer places an order: card (and opens its Checkout Session), door or free. */
class PlaceOrder implements LedgerCommand {
  constructor(
    readonly method: Method,
    readonly a: number,
    readonly b: number,
    /** Donation in minor units (0: none), and its earmark: 0 none, 1 or 2 a prisoner. */
    readonly donationMinor: number,
    readonly earmark: number,
  ) {}
  check() {
    return true;
  }
  async run(model: Model, { world }: Real) {
    const lines: ModelOrder["lines"] =
      this.method === "free"
        ? [{ type: "F", quantity: Math.max(1, this.a + this.b), unitPriceMinor: 0 }]
        : [
            ...(this.a
              ? [{ type: "A" as const, quantity: this.a, unitPriceMinor: TYPES.A.priceMinor }]
              : []),
            ...(this.b
              ? [{ type: "B" as const, quantity: this.b, unitPriceMinor: TYPES.B.priceMinor }]
              : []),
          ];
    const donationMinor = this.method === "free" ? 0 : this.donationMinor;
    if (lines.length === 0 && donationMinor === 0) return; // not an order: nothing to place
    const prisonerId = this.earmark ? (world.prisoners[this.earmark - 1] ?? null) : null;
    const input = orders.checkoutSchema().parse({
      items: lines.map((l) => ({ ticketTypeId: world.typeIds[l.type], quantity: l.quantity })),
      email: `buyer-${model.orders.length}@example.test`,
      paymentMethod: this.method,
      ...(donationMinor
        ? { donation: { amountMinor: donationMinor, ...(prisonerId ? { prisonerId } : {}) } }
        : {}),
    });
    const soldOut = !fits(model, lines);
    let placed: Awaited<ReturnType<typeof orders.placeOrder>>;
    try {
      placed = await orders.placeOrder(world.festivalId, input, {
        locale: "en",
        now: now(),
        stripeAvailable: true,
      });
    } catch (error) {
      expect(error, "only a sold-out order is refused").toBeInstanceOf(orders.SoldOutError);
      expect(soldOut, "refused as sold out while places were left").toBe(true);
      return;
    }
    expect(soldOut, "placed although the places were gone").toBe(false);
    if (this.method === "stripe") {
      const total = lines.reduce((s, l) => s + l.quantity * l.unitPriceMinor, donationMinor);
      const refused = await payments.cardCheckoutUrl(placed).then(
        () => null,
        (e: unknown) => e as { status?: number; fields?: Record<string, string> },
      );
      // Below Stripe's smallest charge (€0.50) Stripe refuses the session: the order is
      // undone and the buyer is told why (422 on the payment method), not "try again later".
      expect(refused?.status, "card payment refused").toBe(
        total < STRIPE_MINIMUM ? 422 : undefined,
      );
      if (refused) expect(refused.fields).toEqual({ paymentMethod: "v.belowCardMinimum" });
      if (refused) {
        expect(await db.prisma.order.count({ where: { id: placed.order.id } })).toBe(0);
        return;
      }
    }
    const row = await db.prisma.order.findUniqueOrThrow({ where: { id: placed.order.id } });
    const o: ModelOrder = {
      id: placed.order.id,
      method: this.method,
      status: this.method === "stripe" ? "pending" : this.method === "door" ? "confirmed" : "paid",
      lines,
      donation: donationMinor ? { amountMinor: donationMinor, prisonerId } : null,
      donationDue: this.method === "door" && donationMinor > 0,
      holdExpiresAt: this.method === "stripe" ? clock + orders.HOLD_MINUTES * MINUTE : null,
      sessionId: row.stripeSessionId,
      cardPaid: false,
      tickets: placed.order.tickets.map((t) => {
        const line = lines.find((l) => world.typeIds[l.type] === t.ticketTypeId)!;
        return { id: t.id, dueMinor: this.method === "door" ? line.unitPriceMinor : 0 };
      }),
      paid: {},
      returned: {},
      cash: {},
      feesMinor: 0,
      refundedMinor: 0,
      dispute: null,
      disputedMinor: 0,
      chargedBackMinor: 0,
      disputeFeesMinor: 0,
      unmatchedMinor: 0,
    };
    reserve(model, o, +1);
    model.orders.push(o);
  }
  toString() {
    return `new PlaceOrder(${JSON.stringify(this.method)}, ${this.a}, ${this.b}, ${this.donationMinor}, ${this.earmark})`;
  }
}

/**
 * Stripe reports a card order paid (`checkout.session.completed`, or a later
 * `async_payment_succeeded` for the same session: another event id), at any
 * moment: before or after the hold ended, after a cancellation, twice.
 */
class DeliverCompleted implements LedgerCommand {
  constructor(
    readonly order: number,
    readonly type: "checkout.session.completed" | "checkout.session.async_payment_succeeded",
    /** Stripe delivers the same event this many times at once (retries overlap). */
    readonly copies = 1,
  ) {}
  check(model: Model) {
    return cardOrders(model).length > 0;
  }
  async run(model: Model) {
    const o = pick(cardOrders(model), this.order)!;
    let session = fake.sessions.get(o.sessionId!)!;
    if (session.status !== "complete")
      session = fake.completeSession(o.sessionId!, { force: true });
    const event = sessionEvent(this.type, structuredClone(session));
    const outcomes = await Promise.all(Array.from({ length: this.copies }, () => deliver(event)));
    // One delivery does the work; the others find it done.
    const outcome = outcomes.find((x) => x !== "duplicate") ?? "duplicate";
    expect(outcomes.filter((x) => x !== "duplicate").length).toBeLessThanOrEqual(1);
    model.log.push({
      kind: "webhook",
      event,
      label: `${this.type} of order ${model.orders.indexOf(o)}`,
    });
    const all = parts(o);
    let expected: PaymentServer.WebhookOutcome = "duplicate";
    if (o.status === "pending" || (o.status === "expired" && fits(model, o.lines))) {
      if (o.status === "expired") reserve(model, o, +1);
      o.status = "paid";
      o.cardPaid = true;
      for (const [part, n] of Object.entries(all)) add(o.paid, part, n);
      o.feesMinor += stripeFeeOf(total(all));
      expected = "fulfilled";
    } else if (o.status === "expired" || (o.status === "cancelled" && !o.cardPaid)) {
      // Paid after the places were gone, or after the organisers cancelled: the money goes back.
      o.status = "refunded";
      o.cardPaid = true;
      for (const [part, n] of Object.entries(all)) add(o.paid, part, n);
      returnAll(o);
      // Stripe keeps its fee on a refunded payment.
      o.feesMinor += stripeFeeOf(total(all));
      expected = "refunded_late_payment";
    }
    expect(outcome).toBe(expected);
    tally(`completed:${outcome}`);
  }
  toString() {
    return `new DeliverCompleted(${this.order}, ${JSON.stringify(this.type)}, ${this.copies})`;
  }
}

/** Stripe reports a session expired (only once it has: after its hold ran out or a cancellation). */
class DeliverExpired implements LedgerCommand {
  constructor(readonly order: number) {}
  private candidates(model: Model) {
    return cardOrders(model).filter((o) => fake.sessions.get(o.sessionId!)?.status === "expired");
  }
  check(model: Model) {
    return this.candidates(model).length > 0;
  }
  async run(model: Model) {
    const o = pick(this.candidates(model), this.order)!;
    const event = sessionEvent(
      "checkout.session.expired",
      structuredClone(fake.sessions.get(o.sessionId!)!),
    );
    const outcome = await deliver(event);
    model.log.push({
      kind: "webhook",
      event,
      label: `expired of order ${model.orders.indexOf(o)}`,
    });
    if (o.status === "pending") {
      o.status = "expired";
      o.holdExpiresAt = null;
      reserve(model, o, -1);
      expect(outcome).toBe("released");
    } else expect(outcome).toBe("ignored");
  }
  toString() {
    return `new DeliverExpired(${this.order})`;
  }
}

/** Time passes and the hold-expiry job runs. */
class ExpireHolds implements LedgerCommand {
  constructor(readonly minutes: number) {}
  check() {
    return true;
  }
  async run(model: Model) {
    clock += this.minutes * MINUTE;
    await payments.expireDueHolds(now());
    for (const o of model.orders)
      if (o.status === "pending" && o.holdExpiresAt !== null && o.holdExpiresAt <= clock) {
        o.status = "expired";
        o.holdExpiresAt = null;
        reserve(model, o, -1);
      }
  }
  toString() {
    return `new ExpireHolds(${this.minutes})`;
  }
}

/**
 * Door staff take the cash for one ticket of a pay-at-the-door order, on one of
 * two devices: its price and, with the order's first ticket paid, its pledged
 * donation — or the buyer declines the donation (it leaves the order). Staff
 * say what they took (`amountMinor`): it must be what is due.
 */
class PayAtDoor implements LedgerCommand {
  constructor(
    readonly order: number,
    readonly ticket: number,
    readonly device: number,
    /** 1: the buyer declines the pledged donation. */
    readonly decline = 0,
  ) {}
  check(model: Model) {
    return doorOrders(model).length > 0;
  }
  async run(model: Model, { world }: Real) {
    const o = pick(doorOrders(model), this.order)!;
    const t = pick(o.tickets, this.ticket)!;
    const device = world.devices[this.device % world.devices.length]!;
    const nonce = `pay-${model.log.length}-${Math.random().toString(36).slice(2, 10)}`;
    const decline = this.decline === 1;
    const due = doorDue(o, t, decline);
    const verdict = await door.payAtDoor(
      device,
      {
        ticketId: t.id,
        nonce,
        ...(decline ? { donation: "decline" as const } : {}),
        ...(due ? { amountMinor: due } : {}),
      },
      "en",
      now(),
    );
    model.log.push({
      kind: "door",
      order: model.orders.indexOf(o),
      ticketId: t.id,
      device: this.device % world.devices.length,
      nonce,
    });
    tally(
      `door-payment: ${due ? (o.donationDue ? (decline ? "declined" : "with donation") : "ticket") : "nothing due"}`,
    );
    if (due) doorTicketPaid(o, t, device.id, decline);
    if (due) expect(verdict.result).toBe("admitted");
    else if (!holdsPlaces(o.status)) expect(verdict.result).toBe("revoked");
    else expect(["admitted", "already_admitted"]).toContain(verdict.result);
  }
  toString() {
    return `new PayAtDoor(${this.order}, ${this.ticket}, ${this.device}, ${this.decline})`;
  }
}

/** The cash choice to send when cancelling: required once door cash was taken, refused otherwise. */
function cashOption(o: ModelOrder, choice: number) {
  const taken = total(o.cash) > 0;
  // choice 2: the wrong call — no choice although cash was taken, or one although none was.
  const cash: CashChoice | undefined = taken
    ? choice === 2
      ? undefined
      : choice === 1
        ? "keep_as_donation"
        : "return"
    : choice === 2
      ? "return"
      : undefined;
  return { taken, cash };
}

/** What a cancellation did to the model: places back, and the money given back or (door cash kept) reclassified. */
function cancelled(model: Model, o: ModelOrder, cash: CashChoice | undefined) {
  o.status = o.method === "stripe" && o.status === "paid" ? "refunded" : "cancelled";
  o.holdExpiresAt = null;
  o.donationDue = false;
  reserve(model, o, -1);
  if (cash === "keep_as_donation") keepCashAsDonation(o);
  else {
    if (o.method === "stripe" && o.cardPaid) o.refundedMinor += total(net(o));
    returnAll(o);
  }
}

/**
 * An organiser cancels (or, for a paid card order, refunds) any order. Once the
 * door took cash for it, the organiser must choose: return it, or keep it as a
 * donation (`choice` 0 or 1); choice 2 is the wrong call (no choice although
 * cash was taken, or one although none was): 422 and nothing changes. A card
 * payment Stripe holds for a dispute (open, or lost) cannot be refunded: 409.
 */
class CancelOrder implements LedgerCommand {
  constructor(
    readonly order: number,
    readonly choice = 0,
  ) {}
  check(model: Model) {
    return model.orders.length > 0;
  }
  async run(model: Model) {
    const o = pick(model.orders, this.order)!;
    const cancellable = holdsPlaces(o.status);
    const { taken, cash } = cashOption(o, this.choice);
    const disputed =
      o.method === "stripe" && (o.dispute?.status === "open" || o.dispute?.status === "lost");
    let status: string | undefined;
    try {
      status = await payments.cancelOrRefundOrder(actor, o.id, now(), cash ? { cash } : {});
    } catch (error) {
      const e = error as DomainError;
      tally(`cancel refused: ${e.status} ${e.code}`);
      if (!cancellable) expect(e.status, `cancel refused: ${String(error)}`).toBe(409);
      else if (this.choice === 2) {
        expect(e.status, String(error)).toBe(422);
        expect(e.code).toBe(taken ? "cash_choice_required" : "validation_failed");
      } else if (disputed) {
        expect([e.status, e.code], String(error)).toEqual([409, "invalid_state"]);
      } else expect.fail(`cancel refused: ${String(error)}`);
      return;
    }
    expect(cancellable, "an order that cannot be cancelled was").toBe(true);
    expect(this.choice, "cancelled with the wrong cash choice").not.toBe(2);
    expect(disputed, "a disputed payment was refunded").toBe(false);
    model.log.push({ kind: "cancel", order: model.orders.indexOf(o) });
    cancelled(model, o, cash);
    expect(status).toBe(o.status);
  }
  toString() {
    return `new CancelOrder(${this.order}, ${this.choice})`;
  }
}

/** Any earlier event again: the same webhook, the same door payment, the same cancellation. */
class Replay implements LedgerCommand {
  constructor(readonly index: number) {}
  check(model: Model) {
    return model.log.length > 0;
  }
  async run(model: Model, { world }: Real) {
    const event = pick(model.log, this.index)!;
    const before = await snapshot(world);
    switch (event.kind) {
      case "webhook":
        expect(await deliver(event.event)).toBe("duplicate");
        break;
      case "door": {
        const o = model.orders[event.order]!;
        await door.payAtDoor(
          world.devices[event.device]!,
          { ticketId: event.ticketId, nonce: event.nonce },
          "en",
          now(),
        );
        // The same cash taken again under a new nonce finds nothing left to pay.
        await door.payAtDoor(
          world.devices[event.device]!,
          { ticketId: event.ticketId, nonce: `${event.nonce}-again` },
          "en",
          now(),
        );
        expect(
          o.tickets.find((t) => t.id === event.ticketId)?.dueMinor === 0 || !holdsPlaces(o.status),
        ).toBe(true);
        break;
      }
      case "donation": {
        const o = model.orders[event.order]!;
        // The same collection (or refusal) sent again: the same answer, nothing posted.
        await door.payOrderAtDoor(
          world.devices[event.device]!,
          { orderId: o.id, donation: event.donation, amountMinor: event.amountMinor },
          now(),
        );
        break;
      }
      case "cancel": {
        const o = model.orders[event.order]!;
        const refused = await payments.cancelOrRefundOrder(actor, o.id, now()).then(
          () => null,
          (e: unknown) => e as Response,
        );
        expect(refused?.status).toBe(409);
        break;
      }
    }
    expect(await snapshot(world), `replaying ${describeEvent(event)} changed the books`).toEqual(
      before,
    );
  }
  toString() {
    return `new Replay(${this.index})`;
  }
}

// ---------------------------------------------------------------- races
//
// Two events at the same moment. Either may win; the model follows the one the
// database says won, and the books must be those of one order or the other.

/** Settle two promises, keeping what each gave or threw. */
async function both<A, B>(a: Promise<A>, b: Promise<B>) {
  const [x, y] = await Promise.allSettled([a, b]);
  return [x, y] as const;
}

/** Wait `ms` milliseconds (nothing when not positive). */
const later = (ms: number) =>
  new Promise<void>((resolve) => (ms > 0 ? setTimeout(resolve, ms) : resolve()));

/** The device whose door payment of a ticket was posted, if any. */
async function doorPaymentHolder(ticketId: string) {
  const { rows } = await db.sqlClient().execute({
    sql: `SELECT a.holderId FROM LedgerPosting p JOIN LedgerAccount a ON a.id = p.accountId
          WHERE p.entryId = ? AND a.code = 'door_cash'`,
    args: [`door:${ticketId}:payment`],
  });
  return rows[0] ? String(rows[0].holderId) : null;
}

/** An organiser cancels a card order while its buyer's payment arrives. */
class RaceCancelAndPayment implements LedgerCommand {
  constructor(
    readonly order: number,
    /** Milliseconds the cancellation starts after the payment (negative: before it). */
    readonly offsetMs: number,
  ) {}
  private candidates(model: Model) {
    return cardOrders(model).filter((o) => o.status === "pending");
  }
  check(model: Model) {
    return this.candidates(model).length > 0;
  }
  async run(model: Model) {
    const o = pick(this.candidates(model), this.order)!;
    const session = fake.completeSession(o.sessionId!, { force: true });
    const event = sessionEvent("checkout.session.completed", session);
    const [cancel, paid] = await both(
      later(this.offsetMs).then(() => payments.cancelOrRefundOrder(actor, o.id, now())),
      later(-this.offsetMs).then(() => deliver(event)),
    );
    model.log.push({
      kind: "webhook",
      event,
      label: `racing payment of order ${model.orders.indexOf(o)}`,
    });
    tally(
      `cancel-vs-payment: cancel ${cancel.status === "fulfilled" ? cancel.value : "409"}, payment ${paid.status === "fulfilled" ? paid.value : "threw"}`,
    );
    const all = parts(o);
    for (const [part, n] of Object.entries(all)) add(o.paid, part, n);
    o.cardPaid = true;
    o.feesMinor += stripeFeeOf(total(all));
    if (cancel.status === "fulfilled") {
      // The cancellation first, and the payment that follows goes back; or the
      // payment first, and the cancellation refunds it.
      expect(paid).toEqual({
        status: "fulfilled",
        value: cancel.value === "cancelled" ? "refunded_late_payment" : "fulfilled",
      });
      model.log.push({ kind: "cancel", order: model.orders.indexOf(o) });
      o.status = "refunded";
      o.holdExpiresAt = null;
      reserve(model, o, -1);
      returnAll(o);
    } else {
      // The payment first: the cancellation finds the order changed.
      expect((cancel.reason as Response).status).toBe(409);
      expect(paid).toEqual({ status: "fulfilled", value: "fulfilled" });
      o.status = "paid";
      o.holdExpiresAt = null;
    }
  }
  toString() {
    return `new RaceCancelAndPayment(${this.order}, ${this.offsetMs})`;
  }
}

/** Two door devices take the cash for the same ticket at once: it is paid (and posted) once. */
class RaceDoorPayments implements LedgerCommand {
  constructor(
    readonly order: number,
    readonly ticket: number,
  ) {}
  check(model: Model) {
    return doorOrders(model).length > 0;
  }
  async run(model: Model, { world }: Real) {
    const o = pick(doorOrders(model), this.order)!;
    const t = pick(o.tickets, this.ticket)!;
    const nonce = `race-${model.log.length}-${Math.random().toString(36).slice(2, 10)}`;
    const verdicts = await Promise.all(
      world.devices.map((d, i) =>
        door.payAtDoor(d, { ticketId: t.id, nonce: `${nonce}-${i}` }, "en", now()),
      ),
    );
    const holder = await doorPaymentHolder(t.id);
    tally(
      `door-vs-door: ${holder === world.devices[0]!.id ? "first" : holder ? "second" : "none"}`,
    );
    if (holdsPlaces(o.status) && t.dueMinor > 0) {
      expect(holder, "nobody's cash was posted").not.toBeNull();
      // The device whose payment went through took the pledged donation with it.
      doorTicketPaid(o, t, holder!, false);
      // One device admitted the ticket; the other found it admitted.
      expect(verdicts.map((v) => v.result).sort()).toEqual(["admitted", "already_admitted"]);
    }
    const i = world.devices.findIndex((d) => d.id === holder);
    if (i >= 0)
      model.log.push({
        kind: "door",
        order: model.orders.indexOf(o),
        ticketId: t.id,
        device: i,
        nonce: `${nonce}-${i}`,
      });
  }
  toString() {
    return `new RaceDoorPayments(${this.order}, ${this.ticket})`;
  }
}

/**
 * Door staff take a ticket's cash while an organiser cancels its order. The
 * organiser chose what happens to cash already taken (`choice`: 0 return, 1
 * keep) if they saw any; if they saw none, they sent no choice — and cash that
 * arrives meanwhile must not be given back (or kept) without one.
 */
class RaceDoorPaymentAndCancel implements LedgerCommand {
  constructor(
    readonly order: number,
    readonly ticket: number,
    /** Milliseconds the cancellation starts after the payment (negative: before it). */
    readonly offsetMs: number,
    readonly choice = 0,
  ) {}
  private candidates(model: Model) {
    return doorOrders(model).filter((o) => holdsPlaces(o.status));
  }
  check(model: Model) {
    return this.candidates(model).length > 0;
  }
  async run(model: Model, { world }: Real) {
    const o = pick(this.candidates(model), this.order)!;
    const t = pick(o.tickets, this.ticket)!;
    const device = world.devices[0]!;
    const holderBefore = await doorPaymentHolder(t.id);
    const { cash } = cashOption(o, this.choice % 2);
    const nonce = `race-cancel-${model.log.length}-${Math.random().toString(36).slice(2, 8)}`;
    const [paid, cancel] = await both(
      later(-this.offsetMs).then(() =>
        door.payAtDoor(device, { ticketId: t.id, nonce }, "en", now()),
      ),
      later(this.offsetMs).then(() =>
        payments.cancelOrRefundOrder(actor, o.id, now(), cash ? { cash } : {}),
      ),
    );
    expect(paid.status, String((paid as PromiseRejectedResult).reason)).toBe("fulfilled");
    const cashTaken =
      t.dueMinor > 0 && holderBefore === null && (await doorPaymentHolder(t.id)) !== null;
    if (cashTaken) doorTicketPaid(o, t, device.id, false);
    tally(
      `door-payment-vs-cancel: cash ${cashTaken ? "taken" : "not taken"}, cancel ${cancel.status}`,
    );
    if (cancel.status === "rejected") {
      // The payment changed the order between the cancellation's read and its write: "the order
      // changed meanwhile" (409), or (no choice sent) "cash was taken: choose" (422); nothing cancelled.
      const e = cancel.reason as DomainError;
      expect(cashTaken, `a cancellation refused for nothing: ${String(e)}`).toBe(true);
      if (cash) expect(e.status).toBe(409);
      else expect([409, 422]).toContain(e.status);
      return;
    }
    expect(
      cashTaken && !cash,
      "cash taken while cancelling was given back without the organiser's choice",
    ).toBe(false);
    // Either order of events: the cash that came in first was given back, or kept as chosen.
    model.log.push({ kind: "cancel", order: model.orders.indexOf(o) });
    cancelled(model, o, cash);
  }
  toString() {
    return `new RaceDoorPaymentAndCancel(${this.order}, ${this.ticket}, ${this.offsetMs}, ${this.choice})`;
  }
}

/**
 * One door takes a ticket's cash with the order's pledged donation while
 * another collects that donation by the order, each saying what it took: one
 * of them takes the donation; the other took money that is no longer due and is
 * told so (409 amount_changed, nothing recorded) — never "collected" for cash
 * that is not on the books.
 */
class RaceDoorDonation implements LedgerCommand {
  constructor(
    readonly order: number,
    /** Milliseconds the collection by the order starts after the ticket's payment (negative: before it). */
    readonly offsetMs: number,
  ) {}
  private candidates(model: Model) {
    return doorOrders(model).filter(
      (o) => o.donationDue && holdsPlaces(o.status) && o.tickets.some((t) => t.dueMinor > 0),
    );
  }
  check(model: Model) {
    return this.candidates(model).length > 0;
  }
  async run(model: Model, { world }: Real) {
    const o = pick(this.candidates(model), this.order)!;
    const t = o.tickets.find((x) => x.dueMinor > 0)!;
    const [byTicket, byOrder] = world.devices;
    const donationMinor = o.donation!.amountMinor;
    const nonce = `race-donation-${model.log.length}-${Math.random().toString(36).slice(2, 8)}`;
    const [ticket, order] = await both(
      later(-this.offsetMs).then(() =>
        door.payAtDoor(
          byTicket!,
          { ticketId: t.id, nonce, amountMinor: t.dueMinor + donationMinor },
          "en",
          now(),
        ),
      ),
      later(this.offsetMs).then(() =>
        door.payOrderAtDoor(byOrder!, { orderId: o.id, amountMinor: donationMinor }, now()),
      ),
    );
    const { rows } = await db.sqlClient().execute({
      sql: `SELECT a.holderId FROM LedgerPosting p JOIN LedgerAccount a ON a.id = p.accountId
            WHERE p.entryId = ? AND a.code = 'door_cash'`,
      args: [`door:${o.id}:donation`],
    });
    const holder = rows[0] ? String(rows[0].holderId) : null;
    tally(`door-ticket-vs-donation: ${holder === byTicket!.id ? "ticket" : "order"} first`);
    const i = model.orders.indexOf(o);
    const refused = (r: PromiseSettledResult<unknown>) =>
      r.status === "rejected"
        ? [(r.reason as DomainError).status, (r.reason as DomainError).code]
        : r;
    if (holder === byTicket!.id) {
      expect(ticket.status, String((ticket as PromiseRejectedResult).reason)).toBe("fulfilled");
      model.log.push({ kind: "door", order: i, ticketId: t.id, device: 0, nonce });
      doorTicketPaid(o, t, byTicket!.id, false);
      expect(refused(order), "the other door was told its cash was collected").toEqual([
        409,
        "amount_changed",
      ]);
    } else {
      expect(holder, "nobody took the donation").toBe(byOrder!.id);
      expect(order.status, String((order as PromiseRejectedResult).reason)).toBe("fulfilled");
      model.log.push({
        kind: "donation",
        order: i,
        device: 1,
        donation: "collect",
        amountMinor: donationMinor,
      });
      settleDonation(o, byOrder!.id, false);
      markPaidIfSettled(o);
      expect(refused(ticket), "the ticket's door took the donation twice").toEqual([
        409,
        "amount_changed",
      ]);
    }
  }
  toString() {
    return `new RaceDoorDonation(${this.order}, ${this.offsetMs})`;
  }
}

/**
 * Two organisers cancel the same door order at once, one returning the cash
 * taken, the other keeping it as a donation: one cancellation wins, the other
 * is told the order changed meanwhile (409).
 */
class RaceCancellations implements LedgerCommand {
  constructor(
    readonly order: number,
    readonly offsetMs: number,
  ) {}
  private candidates(model: Model) {
    return doorOrders(model).filter((o) => holdsPlaces(o.status) && total(o.cash) > 0);
  }
  check(model: Model) {
    return this.candidates(model).length > 0;
  }
  async run(model: Model) {
    const o = pick(this.candidates(model), this.order)!;
    const [returned, kept] = await both(
      later(-this.offsetMs).then(() =>
        payments.cancelOrRefundOrder(actor, o.id, now(), { cash: "return" }),
      ),
      later(this.offsetMs).then(() =>
        payments.cancelOrRefundOrder(actor, o.id, now(), { cash: "keep_as_donation" }),
      ),
    );
    const winner = returned.status === "fulfilled" ? "return" : "keep_as_donation";
    const loser = winner === "return" ? kept : returned;
    tally(`cancel-vs-cancel: ${winner} won`);
    expect([returned.status, kept.status].sort()).toEqual(["fulfilled", "rejected"]);
    const e = (loser as PromiseRejectedResult).reason as DomainError;
    expect([e.status, e.code], String(e)).toEqual([409, "invalid_state"]);
    model.log.push({ kind: "cancel", order: model.orders.indexOf(o) });
    cancelled(model, o, winner);
  }
  toString() {
    return `new RaceCancellations(${this.order}, ${this.offsetMs})`;
  }
}

function describeEvent(e: Replayable) {
  return e.kind === "webhook"
    ? e.label
    : e.kind === "door"
      ? `door payment ${e.nonce}`
      : e.kind === "donation"
        ? `door donation (${e.donation}) of order ${e.order}`
        : `cancel of order ${e.order}`;
}

// ---------------------------------------------------------------- commands (Stripe's side, door donations, currency)
//
// Written before the branches that bring this behaviour were merged (they were
// PENDING_COMMANDS then) and adapted to the merged APIs: Stripe-side refunds and
// disputes by webhook and the webhook's amount check (payment.server.ts,
// card-money.server.ts), door donations by the order (door.server.ts
// payOrderAtDoor), the cash choice on cancelling (cash.server.ts) and the
// currency lock (festival.server.ts).

/** The PaymentIntent of a paid card order, at the Stripe fake. */
function paymentIntentOf(o: ModelOrder) {
  return fake.sessions.get(o.sessionId!)!.payment_intent!;
}

/** Paid card orders whose charge Stripe lets be refunded (not while disputed, nor after a lost dispute). */
const refundableCardOrders = (m: Model) =>
  m.orders.filter(
    (o) =>
      o.method === "stripe" &&
      o.status === "paid" &&
      (o.dispute === null || o.dispute.status === "won"),
  );

/**
 * A refund made in Stripe's dashboard, full or partial, arrives as
 * `charge.refunded`. The order gets back exactly that much, allocated tickets
 * first, earmarked donations last; it is `refunded` once refunds reach its total.
 */
class StripeDashboardRefund implements LedgerCommand {
  constructor(
    readonly order: number,
    /** Per mille of what is left to refund (1000: all of it). */
    readonly share: number,
  ) {}
  check(model: Model) {
    return refundableCardOrders(model).length > 0;
  }
  async run(model: Model) {
    const o = pick(refundableCardOrders(model), this.order)!;
    const left = total(net(o));
    const amount = Math.max(1, Math.floor((left * this.share) / 1000));
    const pi = paymentIntentOf(o);
    fake.dashboardRefund(pi, amount);
    const event = fake.chargeRefundedEvent(pi) as unknown as Stripe.Event;
    const outcome = await deliver(event);
    model.log.push({
      kind: "webhook",
      event,
      label: `charge.refunded of order ${model.orders.indexOf(o)}`,
    });
    for (const [part, n] of Object.entries(allocateOut(o, amount))) add(o.returned, part, n);
    o.refundedMinor += amount;
    if (o.refundedMinor >= total(parts(o))) {
      o.status = "refunded";
      reserve(model, o, -1);
    }
    expect(outcome).toBe(o.status === "refunded" ? "refunded" : "partially_refunded");
    tally(`dashboard refund: ${outcome}`);
  }
  toString() {
    return `new StripeDashboardRefund(${this.order}, ${this.share})`;
  }
}

/**
 * The buyer's bank disputes what is left of the payment (`charge.dispute.created`):
 * Stripe holds it back and takes its dispute fee (a processing fee, never given back).
 */
class DisputeOpened implements LedgerCommand {
  constructor(
    readonly order: number,
    /** Stripe's dispute fee (0: none). */
    readonly feeMinor = 1500,
  ) {}
  private candidates(model: Model) {
    return model.orders.filter(
      (o) => o.method === "stripe" && o.status === "paid" && o.dispute === null,
    );
  }
  check(model: Model) {
    return this.candidates(model).length > 0;
  }
  async run(model: Model) {
    const o = pick(this.candidates(model), this.order)!;
    const dispute = fake.openDispute(paymentIntentOf(o), { fee: this.feeMinor });
    const event = fake.disputeEvent(
      "charge.dispute.created",
      dispute.id,
    ) as unknown as Stripe.Event;
    expect(await deliver(event)).toBe("dispute_opened");
    model.log.push({
      kind: "webhook",
      event,
      label: `dispute of order ${model.orders.indexOf(o)}`,
    });
    // Still the buyer's payment (income unchanged), but held at Stripe.
    o.dispute = { id: dispute.id, status: "open" };
    o.disputedMinor = total(net(o));
    o.feesMinor += this.feeMinor;
    o.disputeFeesMinor += this.feeMinor;
  }
  toString() {
    return `new DisputeOpened(${this.order}, ${this.feeMinor})`;
  }
}

/**
 * The dispute ends (`charge.dispute.closed`): won, the money is back; lost, it
 * is charged back (allocated like a partial refund) and the order stays `paid`.
 */
class DisputeClosed implements LedgerCommand {
  constructor(
    readonly order: number,
    readonly won: boolean,
  ) {}
  private candidates(model: Model) {
    return model.orders.filter((o) => o.dispute?.status === "open");
  }
  check(model: Model) {
    return this.candidates(model).length > 0;
  }
  async run(model: Model) {
    const o = pick(this.candidates(model), this.order)!;
    fake.closeDispute(o.dispute!.id, this.won ? "won" : "lost");
    const event = fake.disputeEvent(
      "charge.dispute.closed",
      o.dispute!.id,
    ) as unknown as Stripe.Event;
    expect(await deliver(event)).toBe(this.won ? "dispute_won" : "dispute_lost");
    model.log.push({
      kind: "webhook",
      event,
      label: `dispute ${this.won ? "won" : "lost"} of order ${model.orders.indexOf(o)}`,
    });
    o.dispute = { id: o.dispute!.id, status: this.won ? "won" : "lost" };
    if (!this.won) {
      for (const [part, n] of Object.entries(allocateOut(o, o.disputedMinor)))
        add(o.returned, part, n);
      o.chargedBackMinor += o.disputedMinor;
    }
    o.disputedMinor = 0;
  }
  toString() {
    return `new DisputeClosed(${this.order}, ${this.won})`;
  }
}

/**
 * A signed completion whose amount and currency are not the order's
 * (`amount_total: 1, usd`): it fulfils nothing, and the money that arrived is
 * booked as owed back (unmatched_payments), not as the order's income.
 */
class MismatchedCompletion implements LedgerCommand {
  constructor(readonly order: number) {}
  private candidates(model: Model) {
    return cardOrders(model).filter(
      (o) =>
        o.status === "pending" ||
        o.status === "expired" ||
        (o.status === "cancelled" && !o.cardPaid),
    );
  }
  check(model: Model) {
    return this.candidates(model).length > 0;
  }
  async run(model: Model) {
    const o = pick(this.candidates(model), this.order)!;
    const session = {
      ...structuredClone(fake.sessions.get(o.sessionId!)!),
      status: "complete",
      payment_status: "paid",
      amount_total: 1,
      amount_subtotal: 1,
      currency: "usd",
      payment_intent: `pi_test_mismatch_${runs}_${model.log.length}`,
    } as FakeCheckoutSession;
    const event = sessionEvent("checkout.session.completed", session);
    expect(await deliver(event)).toBe("payment_mismatch");
    model.log.push({
      kind: "webhook",
      event,
      label: `mismatch of order ${model.orders.indexOf(o)}`,
    });
    o.unmatchedMinor += 1;
  }
  toString() {
    return `new MismatchedCompletion(${this.order})`;
  }
}

/**
 * Door staff collect a door order's pledged donation by the order (found by
 * search: a donation-only order has no ticket to scan), or the buyer declines
 * it; staff say what they took.
 */
class PayDoorDonation implements LedgerCommand {
  constructor(
    readonly order: number,
    readonly device: number,
    /** 1: the buyer declines. */
    readonly decline = 0,
  ) {}
  private candidates(model: Model) {
    return model.orders.filter((o) => o.method === "door" && o.donationDue);
  }
  check(model: Model) {
    return this.candidates(model).length > 0;
  }
  async run(model: Model, { world }: Real) {
    const o = pick(this.candidates(model), this.order)!;
    const i = this.device % world.devices.length;
    const device = world.devices[i]!;
    const decline = this.decline === 1;
    const amountMinor = decline ? 0 : o.donation!.amountMinor;
    const answer = await door.payOrderAtDoor(
      device,
      { orderId: o.id, donation: decline ? "decline" : "collect", amountMinor },
      now(),
    );
    model.log.push({
      kind: "donation",
      order: model.orders.indexOf(o),
      device: i,
      donation: decline ? "decline" : "collect",
      amountMinor,
    });
    settleDonation(o, device.id, decline);
    markPaidIfSettled(o);
    expect(answer).toMatchObject({
      result: decline ? "donation_declined" : "donation_collected",
      amountMinor,
      orderStatus: o.status,
    });
    tally(
      `door donation: ${answer.result}, ${o.tickets.length ? "with tickets" : "donation only"}`,
    );
  }
  toString() {
    return `new PayDoorDonation(${this.order}, ${this.device}, ${this.decline})`;
  }
}

/**
 * An organiser cancels a door order that took cash and keeps the cash as a
 * donation: it stays with its device, and the ticket money becomes an
 * unearmarked donation (an earmarked one keeps its earmark).
 */
class CancelDoorKeepCash implements LedgerCommand {
  constructor(readonly order: number) {}
  private candidates(model: Model) {
    return model.orders.filter(
      (o) => o.method === "door" && holdsPlaces(o.status) && total(o.cash) > 0,
    );
  }
  check(model: Model) {
    return this.candidates(model).length > 0;
  }
  async run(model: Model) {
    const o = pick(this.candidates(model), this.order)!;
    const status = await payments.cancelOrRefundOrder(actor, o.id, now(), {
      cash: "keep_as_donation",
    });
    model.log.push({ kind: "cancel", order: model.orders.indexOf(o) });
    cancelled(model, o, "keep_as_donation");
    expect(status).toBe("cancelled");
  }
  toString() {
    return `new CancelDoorKeepCash(${this.order})`;
  }
}

/**
 * An organiser changes the festival's currency after something was sold or
 * held: refused (CurrencyLockedError, 409 currency_locked), and nothing changes
 * (the invariants then check every stored amount still reads in EUR).
 */
class ChangeCurrency implements LedgerCommand {
  check(model: Model) {
    return model.orders.length > 0;
  }
  async run(_model: Model, { world }: Real) {
    const festivals = await import("~/models/festival.server");
    const f = await db.prisma.festival.findUniqueOrThrow({ where: { id: world.festivalId } });
    const input = festivals.festivalInput.parse({
      ...festivals.festivalAsInput(f),
      currency: "JPY",
    });
    const refused = await festivals.updateFestival(actor, world.festivalId, input).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused, "a currency change after sales").toBeInstanceOf(festivals.CurrencyLockedError);
    expect(refused).toMatchObject({ status: 409, code: "currency_locked" });
    const after = await db.prisma.festival.findUniqueOrThrow({ where: { id: world.festivalId } });
    expect(after.currency).toBe("EUR");
  }
  toString() {
    return "new ChangeCurrency()";
  }
}

// ---------------------------------------------------------------- the invariants

/** The festival's books as a comparable value: every entry (id, postings) and every balance. */
async function snapshot(world: World) {
  const { rows } = await db.sqlClient().execute({
    sql: `SELECT e.id, e.kind, e.orderId, p.accountId, p.amountMinor FROM LedgerEntry e
          JOIN LedgerPosting p ON p.entryId = e.id WHERE e.festivalId = ? ORDER BY e.id, p.id`,
    args: [world.festivalId],
  });
  const statuses = await db.sqlClient().execute({
    sql: `SELECT id, status FROM "Order" WHERE festivalId = ? ORDER BY id`,
    args: [world.festivalId],
  });
  return {
    postings: rows.map((r) => [r.id, r.kind, r.orderId, r.accountId, Number(r.amountMinor)]),
    balances: await ledger.festivalBalances(world.festivalId),
    statuses: statuses.rows.map((r) => [r.id, r.status]),
  };
}

const nonZero = (r: Record<string, number> = {}) =>
  Object.fromEntries(Object.entries(r).filter(([, n]) => n !== 0));

const partKey = (p: { category: string; prisonerId?: string | null }) =>
  p.prisonerId ? `${p.category}:${p.prisonerId}` : p.category;

async function checkInvariants(model: Model, world: World) {
  const sql = db.sqlClient();
  // Every entry balances per currency, every posting is in its account's currency, no order holds more than its total.
  const check = await ledger.checkLedger(sql);
  expect(check.problems).toEqual([]);

  const festivalNet: Amounts = {};
  let festivalFees = 0;
  let festivalUnmatched = 0;
  for (const [i, o] of model.orders.entries()) {
    const row = await db.prisma.order.findUniqueOrThrow({
      where: { id: o.id },
      select: { status: true, disputeStatus: true, totalMinor: true },
    });
    expect(row.status, `order ${i}'s status`).toBe(o.status);
    expect(row.disputeStatus, `order ${i}'s dispute`).toBe(o.dispute?.status ?? null);
    // A donation declined at the door left the order and its total.
    expect(row.totalMinor, `order ${i}'s total`).toBe(total(parts(o)));
    // The order's postings: what its buyer paid minus what was returned.
    const income: Amounts = {};
    for (const p of await ledger.orderNetIncome(sql, o.id)) {
      expect(p.currency).toBe("EUR");
      add(income, partKey(p), p.amountMinor);
    }
    expect(income, `order ${i}'s income`).toEqual(net(o));
    // …and the money is where it was paid: at Stripe, or with the device that took the cash.
    const held: Record<string, number> = {};
    for (const a of await ledger.orderAssets(sql, o.id)) {
      const where = a.account.code === "door_cash" ? a.account.holder!.id : a.account.code;
      held[where] = (held[where] ?? 0) + a.amountMinor;
    }
    const card = total(income);
    const expectedHeld: Record<string, number> = { ...o.cash };
    if (o.method === "stripe") {
      if (card - o.disputedMinor) expectedHeld.stripe_balance = card - o.disputedMinor;
      if (o.disputedMinor) expectedHeld.stripe_disputed = o.disputedMinor;
    }
    expect(held, `where order ${i}'s money is`).toEqual(expectedHeld);
    for (const [part, n] of Object.entries(income)) add(festivalNet, part, n);
    festivalFees += o.feesMinor;
    festivalUnmatched += o.unmatchedMinor;
  }

  // The festival's income is the sum over its orders (the model's, and every order the database has).
  const summaries = ledger.summarize(await ledger.festivalBalances(world.festivalId, sql));
  const summary = summaries.EUR;
  // Money that did not match its order (the mismatched completions' 1 USD each) is owed back, not income.
  expect(
    { unmatched: summaries.USD?.unmatched ?? 0, stripe: summaries.USD?.stripe ?? 0 },
    "unmatched payments (USD)",
  ).toEqual({ unmatched: festivalUnmatched, stripe: festivalUnmatched });
  expect(nonZero(summaries.USD?.net), "no income in USD").toEqual({});
  const byCategory: Amounts = {};
  const earmarked: Amounts = {};
  for (const [part, n] of Object.entries(festivalNet)) {
    const [category, prisonerId] = part.split(":");
    add(byCategory, category!, n);
    if (prisonerId) add(earmarked, prisonerId, n);
  }
  expect(nonZero(summary?.net), "festival income by category").toEqual(byCategory);
  expect(nonZero(summary?.earmarked), "festival earmarks").toEqual(earmarked);
  expect(summary?.processingFees ?? 0, "festival fees").toBe(festivalFees);
  // Earmarked money is in its prisoner's fund as soon as it is paid (decision 0033); nothing
  // is paid out of funds here, so each fund holds exactly what is earmarked for it.
  expect(nonZero(summary?.funds), "funds hold the earmarks").toEqual(earmarked);
  expect(nonZero(summary?.allocatedTo), "allocated: the earmarks").toEqual(earmarked);
  expect(summary?.unallocated ?? 0, "unallocated").toBe(
    total(festivalNet) - festivalFees - total(earmarked),
  );
  // Money at Stripe is what Stripe holds for the festival's payments: charged, minus its fees
  // (dispute fees too), minus refunds and lost disputes.
  let atStripe = 0;
  for (const o of model.orders) {
    const session = o.sessionId ? fake.sessions.get(o.sessionId) : undefined;
    const pi = session?.payment_intent
      ? fake.paymentIntents.get(session.payment_intent)
      : undefined;
    if (!pi?.latest_charge) continue;
    atStripe += pi.amount_received - stripeFeeOf(pi.amount_received);
    for (const r of fake.refunds.values()) if (r.payment_intent === pi.id) atStripe -= r.amount;
    atStripe -= o.chargedBackMinor + o.disputeFeesMinor;
  }
  expect((summary?.stripe ?? 0) + (summary?.stripeDisputed ?? 0), "money at Stripe").toBe(atStripe);
  const { rows } = await sql.execute({
    sql: `SELECT COUNT(DISTINCT e.orderId) AS n FROM LedgerEntry e WHERE e.festivalId = ? AND e.orderId IS NOT NULL`,
    args: [world.festivalId],
  });
  const withEntries = model.orders.filter(
    (o) => Object.keys(o.paid).length > 0 || o.feesMinor > 0 || o.unmatchedMinor > 0,
  ).length;
  expect(Number(rows[0]!.n), "orders with entries").toBe(withEntries);

  // Places held (not money, but the model would drift unnoticed without it).
  const types = await db.prisma.ticketType.findMany({
    where: { festivalId: world.festivalId },
    select: { id: true, reserved: true },
  });
  const reserved = Object.fromEntries(
    (Object.keys(world.typeIds) as TypeKey[]).map((k) => [
      k,
      types.find((t) => t.id === world.typeIds[k])!.reserved,
    ]),
  );
  expect(reserved, "places held").toEqual(model.reserved);
}

/** Run each command, then check every invariant. */
class Checked implements LedgerCommand {
  constructor(readonly inner: LedgerCommand) {}
  check(model: Readonly<Model>) {
    return this.inner.check(model);
  }
  async run(model: Model, real: Real) {
    tally(String(this.inner).replace(/^new (\w+).*$/s, "$1"));
    await this.inner.run(model, real);
    await checkInvariants(model, real.world);
  }
  toString() {
    return this.inner.toString();
  }
}

// ---------------------------------------------------------------- runs

const index = fc.nat({ max: 20 });
/** How much later one of two racing events starts (ms; negative: the other one is later). */
const offset = fc.integer({ min: -10, max: 10 });
/** An arbitrary listed twice is picked twice as often. */
const twice = <T>(arb: fc.Arbitrary<T>) => [arb, arb];
const thrice = <T>(arb: fc.Arbitrary<T>) => [arb, arb, arb];
/** …or `n` times (a run starts with no orders: commands about orders wait for one). */
const times = <T>(n: number, arb: fc.Arbitrary<T>) => Array.from({ length: n }, () => arb);

const placeOrder = fc
  .tuple(
    fc.constantFrom<Method>("stripe", "stripe", "door", "door", "free"),
    fc.nat({ max: 2 }),
    fc.nat({ max: 2 }),
    fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5000 })),
    fc.nat({ max: 2 }),
  )
  .map(([m, a, b, d, e]) => new PlaceOrder(m, a, b, d, e));

/** What fast-check picks from: one arbitrary per command class (some listed more than once, to run more often). */
const ACTIVE_COMMANDS = [
  ...times(6, placeOrder),
  ...thrice(
    fc
      .tuple(
        index,
        fc.constantFrom(
          "checkout.session.completed" as const,
          "checkout.session.async_payment_succeeded" as const,
        ),
        fc.constantFrom(1, 1, 2),
      )
      .map(([o, t, n]) => new DeliverCompleted(o, t, n)),
  ),
  index.map((o) => new DeliverExpired(o)),
  fc.oneof(fc.integer({ min: 1, max: 29 }), fc.constant(31)).map((m) => new ExpireHolds(m)),
  ...thrice(
    fc
      .tuple(index, index, fc.nat({ max: 1 }), fc.constantFrom(0, 0, 1))
      .map(([o, t, d, x]) => new PayAtDoor(o, t, d, x)),
  ),
  fc.tuple(index, fc.constantFrom(0, 0, 1, 2)).map(([o, c]) => new CancelOrder(o, c)),
  index.map((i) => new Replay(i)),
  fc.tuple(index, offset).map(([o, ms]) => new RaceCancelAndPayment(o, ms)),
  fc.tuple(index, index).map(([o, t]) => new RaceDoorPayments(o, t)),
  fc
    .tuple(index, index, offset, fc.nat({ max: 1 }))
    .map(([o, t, ms, c]) => new RaceDoorPaymentAndCancel(o, t, ms, c)),
  fc.tuple(index, offset).map(([o, ms]) => new RaceDoorDonation(o, ms)),
  fc.tuple(index, offset).map(([o, ms]) => new RaceCancellations(o, ms)),
  // Stripe's side: dashboard refunds, disputes, a completion that is not the order's.
  ...twice(
    fc
      .tuple(index, fc.oneof(fc.constant(1000), fc.integer({ min: 1, max: 999 })))
      .map(([o, s]) => new StripeDashboardRefund(o, s)),
  ),
  ...twice(fc.tuple(index, fc.constantFrom(1500, 0)).map(([o, fee]) => new DisputeOpened(o, fee))),
  ...thrice(fc.tuple(index, fc.boolean()).map(([o, won]) => new DisputeClosed(o, won))),
  index.map((o) => new MismatchedCompletion(o)),
  // Door donations by the order, and door cash kept on cancelling.
  fc
    .tuple(index, fc.nat({ max: 1 }), fc.constantFrom(0, 0, 1))
    .map(([o, d, x]) => new PayDoorDonation(o, d, x)),
  index.map((o) => new CancelDoorKeepCash(o)),
  fc.constant(new ChangeCurrency()),
];

/** A fresh festival (on its own day of the clock) with ticket types, two earmarkable prisoners and two door devices. */
async function newWorld(): Promise<World> {
  runs++;
  clock = EPOCH + runs * DAY;
  const festival = await fixtures.createFestivalRow({
    status: "published",
    publishedAt: new Date(clock),
    // Its own dates, a month after its run's day: sales stay open however many runs shrinking takes.
    startsAt: new Date(clock + 30 * DAY),
    endsAt: new Date(clock + 30 * DAY + 8 * 60 * MINUTE),
    paymentMethods: JSON.stringify(["stripe", "door"]),
  });
  const typeIds = {} as Record<TypeKey, string>;
  for (const [key, t] of Object.entries(TYPES) as [TypeKey, (typeof TYPES)[TypeKey]][])
    typeIds[key] = (
      await fixtures.createTicketTypeRow(festival.id, t.priceMinor, t.capacity, {
        "*": `Type ${key}`,
      })
    ).id;
  const prisoners = [];
  for (const n of [1, 2])
    prisoners.push(
      (await fixtures.createPrisonerRow(`prisoner-${runs}-${n}`, { en: `P${n}` }, [festival.id]))
        .id,
    );
  const devices = [];
  for (const n of [1, 2]) {
    const d = await db.prisma.doorDevice.create({
      data: {
        festivalId: festival.id,
        name: `Door ${n}`,
        tokenHash: `hash-${runs}-${n}-${Math.random()}`,
        createdById: actor.id,
      },
    });
    devices.push({ id: d.id, festivalId: festival.id, name: d.name });
  }
  return { festivalId: festival.id, typeIds, prisoners, devices };
}

function setup() {
  return async () => {
    const world = await newWorld();
    return {
      model: { orders: [], reserved: { A: 0, B: 0, F: 0 }, log: [] } as Model,
      real: { world },
    };
  };
}

/** Run one sequence of commands (a generated one, or a fixed case) with the invariants after each. */
async function runCommands(commands: Iterable<LedgerCommand>) {
  await fc.asyncModelRun(
    setup(),
    [...commands].map((c) => new Checked(c)),
  );
}

beforeAll(async () => {
  // The app warns when it expires a session the Stripe fake already expired on its own: expected here, and noisy.
  const warn = console.warn.bind(console);
  vi.spyOn(console, "warn").mockImplementation((...args: unknown[]) => {
    const message = String(args[0]);
    // …and when it cannot ask Stripe about a mismatched completion's made-up payment.
    if (
      !message.startsWith("could not expire Stripe session") &&
      !/^Stripe (settlement of pi_test_mismatch|event )/.test(message)
    )
      warn(...args);
  });
  fake = await startStripeFake({ now: () => clock });
  freshTestEnv({
    ...stripeTestEnv(fake, "whsec_test_ledger_properties_0123456789"),
    STRIPE_TIMEOUT_MS: "2000",
    PUBLIC_URL: "http://festival.test",
  });
  db = await import("~/utils/db.server");
  ledger = await import("~/models/ledger.server");
  orders = await import("~/models/order.server");
  payments = await import("~/models/payment.server");
  door = await import("~/models/door.server");
  fixtures = await import("../helpers/fixtures");
  const admin = await fixtures.createUserRow({ role: "admin", name: "Organiser" });
  actor = { ...admin, role: "admin", locale: null, memberships: [] };
});
afterAll(async () => {
  if (process.env.LEDGER_PROPERTY_STATS) console.log(Object.fromEntries([...stats].sort()));
  await db?.disconnectDatabase();
  await fake?.close();
});

describe("the ledger under random sequences of money events", () => {
  it("balances, matches what each buyer paid and got back, sums per festival, and ignores replays", async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(ACTIVE_COMMANDS, { maxCommands: 20, size: "max" }), (commands) =>
        runCommands(commands),
      ),
      // LEDGER_PROPERTY_RUNS=500 for a longer hunt on your machine.
      { numRuns: Number(process.env.LEDGER_PROPERTY_RUNS ?? 40) },
    );
  }, 600_000);
});

describe("fixed cases: shrunk counterexamples", () => {
  // Found by the property (seed 43005302): Stripe keeps its fee on a refunded
  // payment, but a late payment's refund posted none, so the books showed €0 at
  // Stripe where Stripe held −€0.33. Fixed in payment.server.ts (refundLatePayment
  // posts the fee entry too).
  it("a late payment refunded after a cancellation costs its Stripe fee", async () => {
    await runCommands([
      new PlaceOrder("stripe", 0, 1, 0, 0),
      new CancelOrder(0, 0),
      new DeliverCompleted(0, "checkout.session.completed"),
    ]);
  });

  // Found by the property against a mutant that dropped the earmark from
  // orderReversalPostings: an organiser's refund must give an earmarked donation
  // back under its earmark.
  it("a refunded card order with an earmarked donation gives it back under its earmark", async () => {
    await runCommands([
      new PlaceOrder("stripe", 0, 0, 50, 1),
      new DeliverCompleted(0, "checkout.session.completed"),
      new CancelOrder(0, 0),
    ]);
  });

  // Found by the property (seed 823482248) once the model knew the cash choice:
  // the cancellation checked for door cash before its transaction, so cash
  // taken in between (the order still part-paid, so its status had not changed)
  // was given back without the organiser's choice. Fixed in payment.server.ts
  // (cancelOrRefundOrder checks again inside its write: 422 cash_choice_required).
  it("door cash taken while an order is cancelled without a cash choice is not given back unasked", async () => {
    for (let i = 0; i < 5; i++)
      await runCommands([
        new PlaceOrder("door", 0, 2, 0, 0),
        new RaceDoorPaymentAndCancel(0, 0, 0, 0),
      ]);
  });

  // Written with the dispute commands: cancelling a paid card order called Stripe's refund
  // whatever the dispute (the Stripe fake, unlike Stripe, refunds a disputed charge), and
  // the refund entry took from Stripe's balance money Stripe held for the dispute. Fixed in
  // payment.server.ts (cancelOrRefundOrder refuses while a dispute is open or lost: 409).
  it("a card payment under dispute (open, then lost) cannot be refunded by cancelling", async () => {
    await runCommands([
      new PlaceOrder("stripe", 1, 0, 800, 1),
      new DeliverCompleted(0, "checkout.session.completed"),
      new StripeDashboardRefund(0, 500),
      new DisputeOpened(0, 1500),
      new CancelOrder(0, 0),
      new DisputeClosed(0, false),
      new CancelOrder(0, 0),
      new Replay(3),
    ]);
  });

  // Found by RaceDoorDonation (its first run): a door that collected an order's
  // donation by the order after another door had taken it with a ticket was
  // answered "donation_collected" — the retry rule did not ask which device had
  // collected it — so the second door's cash was on no books. Fixed in
  // door.server.ts (payOrderAtDoor: only this device's own collection is a retry).
  it("two doors take one order's pledged donation at once (the ticket's door first, or the order's)", async () => {
    await runCommands([
      new PlaceOrder("door", 0, 2, 1500, 1),
      new PlaceOrder("door", 1, 0, 700, 0),
      new RaceDoorDonation(0, -10),
      new RaceDoorDonation(0, 10),
      new Replay(0),
      new Replay(1),
    ]);
  });

  // Found by RaceCancellations against the first version of the fix above (the cash choice
  // checked again before the status change): the cancellation that lost the race was told
  // "no cash was taken" (422) — the winner had just returned it — instead of "the order
  // changed meanwhile" (409). The second check now runs once this cancellation has won.
  it("two organisers cancel a door order that took cash at once, returning and keeping it", async () => {
    for (const ms of [-10, 0, 10])
      await runCommands([
        new PlaceOrder("door", 0, 2, 0, 0),
        new PayAtDoor(0, 0, 0, 0),
        new RaceCancellations(0, ms),
        new Replay(1),
      ]);
  });

  // Found by the property before the model knew Stripe's smallest charge: a card
  // order under €0.50 cannot open a Checkout Session; the order is undone (422: the
  // buyer can add to it or pay otherwise — it was a 503 "try again later" before).
  it("a card order below Stripe's smallest charge is undone and posts nothing", async () => {
    await runCommands([new PlaceOrder("stripe", 0, 0, 1, 0), new ExpireHolds(31)]);
  });
});

describe("fixed cases: the issue's stories", () => {
  it("a €44 door order with a €20 earmarked donation, both tickets paid, then cancelled", async () => {
    // The first ticket's cash takes the pledged €20 with it (€32 on door 1, €12 on door 2):
    // €44 in, €20 of it earmarked; cancelled with the cash returned, each device gives its part back.
    await runCommands([
      new PlaceOrder("door", 2, 0, 2000, 1),
      new PayAtDoor(0, 0, 0, 0),
      new PayAtDoor(0, 1, 1, 0),
      new Replay(1),
      new CancelOrder(0, 0),
      new Replay(2),
    ]);
  });

  it("the same door order, the donation declined at the door, cancelled keeping the cash", async () => {
    // Declined: the €20 leaves the order (its total is €24); kept: the €24 becomes an unearmarked donation.
    await runCommands([
      new PlaceOrder("door", 2, 0, 2000, 1),
      new PayAtDoor(0, 0, 0, 1),
      new CancelOrder(0, 2),
      new CancelOrder(0, 1),
      new Replay(1),
    ]);
  });

  it("a donation-only door order: collected by the order, or declined (then cancelled)", async () => {
    await runCommands([
      new PlaceOrder("door", 0, 0, 2500, 2),
      new PlaceOrder("door", 0, 0, 900, 0),
      new PayDoorDonation(0, 1, 0),
      new PayDoorDonation(0, 0, 1),
      new Replay(0),
      new Replay(1),
      new CancelDoorKeepCash(0),
    ]);
  });

  it("a part-paid door order cancelled: the cash taken goes back from the device that took it", async () => {
    await runCommands([
      new PlaceOrder("door", 1, 2, 0, 0),
      new PayAtDoor(0, 0, 1, 0),
      new PayAtDoor(0, 2, 0, 0),
      new CancelOrder(0, 2),
      new CancelOrder(0, 0),
      new PayAtDoor(0, 1, 0, 0),
      new Replay(0),
    ]);
  });

  it("a card order paid after its hold ended and its places were sold: paid and refunded", async () => {
    await runCommands([
      new PlaceOrder("stripe", 2, 0, 700, 2),
      new ExpireHolds(31),
      new DeliverExpired(0),
      new PlaceOrder("door", 2, 0, 0, 0),
      new DeliverCompleted(0, "checkout.session.completed", 2),
      new Replay(1),
      new DeliverCompleted(0, "checkout.session.async_payment_succeeded"),
    ]);
  });

  it("a card order paid after its hold ended while its places were still free: fulfilled", async () => {
    await runCommands([
      new PlaceOrder("stripe", 1, 1, 0, 0),
      new ExpireHolds(31),
      new DeliverCompleted(0, "checkout.session.completed"),
      new DeliverExpired(0),
      new Replay(0),
      new Replay(1),
    ]);
  });

  it("a card order cancelled while its buyer was paying: the late payment goes back, earmark kept", async () => {
    await runCommands([
      new PlaceOrder("stripe", 0, 1, 1500, 1),
      new CancelOrder(0, 0),
      new DeliverCompleted(0, "checkout.session.completed", 2),
      new Replay(1),
    ]);
  });

  it("an organiser cancels while the buyer's payment arrives (either first): paid once, given back once", async () => {
    await runCommands([
      new PlaceOrder("stripe", 1, 0, 900, 1),
      new PlaceOrder("stripe", 0, 2, 0, 0),
      new RaceCancelAndPayment(0, 0),
      new RaceCancelAndPayment(0, 10),
      new Replay(0),
      new Replay(1),
    ]);
  });

  it("two door devices take the same ticket's cash at once, and a cancellation races a third", async () => {
    await runCommands([
      new PlaceOrder("door", 1, 2, 0, 0),
      new RaceDoorPayments(0, 0),
      new RaceDoorPayments(0, 0),
      new RaceDoorPaymentAndCancel(0, 1, -5, 1),
      new Replay(0),
    ]);
  });

  it("refunds in Stripe's dashboard and disputes: partial first (tickets first), won then refunded, lost stays paid", async () => {
    await runCommands([
      new PlaceOrder("stripe", 1, 1, 2000, 1),
      new PlaceOrder("stripe", 0, 2, 300, 0),
      new PlaceOrder("stripe", 0, 1, 0, 0),
      new DeliverCompleted(0, "checkout.session.completed"),
      new DeliverCompleted(1, "checkout.session.completed"),
      // €12 + €5 + €20 earmarked: €19.98 back takes the €17 of tickets, then €2.98 of the donation.
      new StripeDashboardRefund(0, 540),
      new DisputeOpened(0, 1500),
      new DisputeOpened(1, 0),
      // Order 0's dispute won (refundable again, the fee kept by Stripe); order 1's lost: still paid.
      new DisputeClosed(0, true),
      new DisputeClosed(0, false),
      new StripeDashboardRefund(0, 1000),
      new CancelOrder(1, 0),
      // Order 2 (pending): a completion of 1 USD fulfils nothing.
      new MismatchedCompletion(0),
      new DeliverCompleted(2, "checkout.session.completed"),
      new ChangeCurrency(),
      new Replay(2),
      new Replay(5),
    ]);
  });

  it("a free order posts nothing, and cancelling it posts nothing either", async () => {
    await runCommands([
      new PlaceOrder("free", 1, 0, 0, 0),
      new CancelOrder(0, 2),
      new CancelOrder(0, 0),
      new Replay(0),
    ]);
  });
});
