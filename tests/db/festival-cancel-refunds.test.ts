// A cancelled festival, called directly on a real SQLite file with the Stripe
// fake behind the real SDK: its tickets no longer admit (online scans, uploaded
// offline scans, the offline manifest, cash at the door), and
// `cancelFestivalOrders` gives everything back — card orders refunded through
// Stripe, door and pending orders cancelled, door cash returned or kept as the
// organiser chose — one order at a time, an order Stripe fails on left as it
// is and reported, and a second run doing only what is left.
import type Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as DoorServer from "~/models/door.server";
import type * as FestivalServer from "~/models/festival.server";
import type * as RefundsServer from "~/models/festival-refunds.server";
import type * as LedgerServer from "~/models/ledger.server";
import type * as OrderServer from "~/models/order.server";
import type * as PaymentServer from "~/models/payment.server";
import type { CurrentUser } from "~/utils/auth.server";
import type * as DbServer from "~/utils/db.server";
import type * as StripeServer from "~/utils/stripe.server";
import { freshTestEnv } from "../helpers/env";
import type * as LedgerHelpers from "../helpers/ledger";
import {
  startStripeFake,
  type FakeEvent,
  type StripeFake,
  stripeTestEnv,
} from "../helpers/stripe-fake";

let fake: StripeFake;
let db: typeof DbServer;
let door: typeof DoorServer;
let festivals: typeof FestivalServer;
let refunds: typeof RefundsServer;
let ledger: typeof LedgerServer;
let orders: typeof OrderServer;
let payment: typeof PaymentServer;
let books: typeof LedgerHelpers;
let stripeServer: typeof StripeServer;
let festivalId: string;
let typeId: string;
let prisonerId: string;
let organiser: CurrentUser;
let n = 0;
const nonce = () => `fcancel-${++n}-${Date.now().toString(36)}`;

const asUser = (u: { id: string; email: string; name: string | null; role: string }) =>
  ({ ...u, locale: null, memberships: [] }) as unknown as CurrentUser;
const asEvent = (e: FakeEvent) => e as unknown as Stripe.Event;
const statusOf = async (id: string) =>
  (await db.prisma.order.findUniqueOrThrow({ where: { id } })).status;

async function place(paymentMethod: "stripe" | "door", quantity: number, donationMinor = 0) {
  const placed = await orders.placeOrder(
    festivalId,
    orders.checkoutSchema().parse({
      items: [{ ticketTypeId: typeId, quantity }],
      email: `buyer-${++n}@example.test`,
      name: `Buyer ${n}`,
      paymentMethod,
      ...(donationMinor ? { donation: { amountMinor: donationMinor, prisonerId } } : {}),
    }),
    { locale: "en", stripeAvailable: paymentMethod === "stripe" },
  );
  return placed;
}

/** A card order paid through the fake (€10 a ticket, with an earmarked donation). */
async function paidCardOrder(quantity = 1) {
  const placed = await place("stripe", quantity, 500);
  await payment.cardCheckoutUrl(placed);
  const session = [...fake.sessions.values()].find((s) => s.metadata.order_id === placed.order.id)!;
  const completed = fake.completeSession(session.id);
  expect(
    await payment.applyStripeEvent(asEvent(fake.event("checkout.session.completed", completed))),
  ).toBe("fulfilled");
  return placed.order;
}

async function newDevice() {
  const d = await db.prisma.doorDevice.create({
    data: {
      festivalId,
      name: `Door ${++n}`,
      tokenHash: `hash-fcancel-${n}`,
      createdById: organiser.id,
    },
  });
  return { id: d.id, festivalId, name: d.name };
}

/** Refuse Stripe refunds of `orderId` (Stripe down for that order only) while `run` runs. */
async function withStripeDownFor<T>(orderId: string, run: () => Promise<T>) {
  const api = stripeServer.stripe().refunds;
  const original = api.create.bind(api);
  api.create = (async (...args: Parameters<typeof original>) => {
    const params = args[0] as { metadata?: Record<string, string> };
    if (params?.metadata?.order_id === orderId) throw new Error("connection reset (test outage)");
    return original(...args);
  }) as typeof api.create;
  try {
    return await run();
  } finally {
    api.create = original;
  }
}

const auditRows = (action: string) =>
  db.prisma.auditEvent.findMany({ where: { festivalId, action }, orderBy: { id: "asc" } });

let card1: { id: string };
let card2: { id: string };
let pendingCard: { id: string };
let doorPaid: Awaited<ReturnType<typeof place>>["order"];
let doorUnpaid: Awaited<ReturnType<typeof place>>["order"];
let device: Awaited<ReturnType<typeof newDevice>>;

beforeAll(async () => {
  fake = await startStripeFake();
  freshTestEnv({
    ...stripeTestEnv(fake, "whsec_test_festival_cancel_refunds_0123"),
    PUBLIC_URL: "http://festivals.example.test",
  });
  db = await import("~/utils/db.server");
  door = await import("~/models/door.server");
  festivals = await import("~/models/festival.server");
  refunds = await import("~/models/festival-refunds.server");
  ledger = await import("~/models/ledger.server");
  orders = await import("~/models/order.server");
  payment = await import("~/models/payment.server");
  books = await import("../helpers/ledger");
  stripeServer = await import("~/utils/stripe.server");
  const { createFestivalRow, createPrisonerRow, createTicketTypeRow, createUserRow } =
    await import("../helpers/fixtures");
  const festival = await createFestivalRow({
    status: "published",
    publishedAt: new Date(),
    paymentMethods: JSON.stringify(["stripe", "door"]),
  });
  festivalId = festival.id;
  typeId = (await createTicketTypeRow(festivalId, 1000, 1000)).id;
  prisonerId = (await createPrisonerRow(`fc-${Date.now()}`, { en: "F. Prisoner" }, [festivalId]))
    .id;
  organiser = asUser(await createUserRow({ role: "admin", name: "Org" }));
  device = await newDevice();

  card1 = await paidCardOrder(2);
  card2 = await paidCardOrder(1);
  pendingCard = (await place("stripe", 1)).order;
  doorPaid = (await place("door", 1, 300)).order;
  const paid = await door.payAtDoor(device, {
    token: doorPaid.tickets[0]!.qrToken,
    nonce: nonce(),
    donation: "collect",
  });
  expect(paid.result).toBe("admitted");
  doorUnpaid = (await place("door", 2)).order;
});
afterAll(async () => {
  const check = await ledger.checkLedger();
  expect(check.problems).toEqual([]);
  await db?.disconnectDatabase();
  await fake?.close();
});

describe("cancelFestivalOrders before the festival is cancelled", () => {
  it("refuses someone without festival:edit (404, a DomainError), nothing changed", async () => {
    const { createUserRow } = await import("../helpers/fixtures");
    const stranger = asUser(await createUserRow({ role: "member", name: "Stranger" }));
    await expect(
      refunds.cancelFestivalOrders(stranger, festivalId, { cash: "return" }),
    ).rejects.toMatchObject({ name: "DomainError", status: 404 });
    expect(await statusOf(card1.id)).toBe("paid");
  });

  it("refuses (409) and changes nothing", async () => {
    await expect(
      refunds.cancelFestivalOrders(organiser, festivalId, { cash: "return" }),
    ).rejects.toMatchObject({ status: 409, code: "invalid_state" });
    expect(await statusOf(card1.id)).toBe("paid");
    expect(await auditRows("festival.refund_all")).toEqual([]);
  });
});

describe("a cancelled festival's tickets", () => {
  beforeAll(async () => {
    expect(await festivals.changeFestivalStatus(organiser, festivalId, "cancel")).toBe("cancelled");
    // The status change itself cancels nothing: refunds are the explicit second step.
    expect(await statusOf(card1.id)).toBe("paid");
  });

  it("online scans answer festival_cancelled, and nobody is admitted", async () => {
    const ticket = (await db.prisma.ticket.findFirstOrThrow({ where: { orderId: card1.id } }))!;
    const verdict = await door.scanTicket(device, {
      token: ticket.qrToken,
      nonce: nonce(),
      direction: "in",
    });
    expect(verdict.result).toBe("festival_cancelled");
    expect(
      (await door.scanTicket(device, { ticketId: ticket.id, nonce: nonce(), direction: "in" }))
        .result,
    ).toBe("festival_cancelled");
    const row = await db.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } });
    expect(row.admittedAt).toBeNull();
  });

  it("an uploaded offline admission is refused too", async () => {
    const ticket = await db.prisma.ticket.findFirstOrThrow({ where: { orderId: card2.id } });
    const verdict = await door.scanTicket(device, {
      token: ticket.qrToken,
      nonce: nonce(),
      direction: "in",
      offline: true,
      offlineResult: "admitted",
      scannedAt: new Date(),
    });
    expect(verdict.result).toBe("festival_cancelled");
    expect(
      (await db.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } })).admittedAt,
    ).toBeNull();
  });

  it("no cash is taken at the door, and the manifest tells offline devices", async () => {
    const verdict = await door.payAtDoor(device, {
      token: doorUnpaid.tickets[0]!.qrToken,
      nonce: nonce(),
    });
    expect(verdict.result).toBe("festival_cancelled");
    await expect(door.payOrderAtDoor(device, { orderId: doorUnpaid.id })).rejects.toMatchObject({
      status: 409,
      code: "festival_cancelled",
    });
    expect(await books.incomeOf(doorUnpaid.id)).toEqual({});
    const manifest = await door.doorManifest(device);
    expect(manifest.festival.cancelled).toBe(true);
  });
});

describe("cancelFestivalOrders on the cancelled festival", () => {
  it("without a choice for the door cash: 422, nothing changed", async () => {
    await expect(refunds.cancelFestivalOrders(organiser, festivalId)).rejects.toMatchObject({
      status: 422,
      code: "cash_choice_required",
    });
    for (const id of [card1.id, card2.id, doorPaid.id]) expect(await statusOf(id)).toBe("paid");
    expect(await statusOf(doorUnpaid.id)).toBe("confirmed");
    expect(await auditRows("festival.refund_all")).toEqual([]);
  });

  it("what is due: every open order, the money they hold, those that took cash", async () => {
    expect(await refunds.festivalRefundsDue(festivalId)).toEqual({
      orders: 5,
      // Two card payments and the door cash; the pending and unpaid orders hold places only.
      heldMinor: 2500 + 1500 + 1300,
      cashOrders: 1,
    });
  });

  it("refunds and cancels every order; Stripe down for one order leaves it, reported; a second run finishes it", async () => {
    const first = await withStripeDownFor(card2.id, () =>
      refunds.cancelFestivalOrders(organiser, festivalId, { cash: "keep_as_donation" }),
    );
    expect(first).toEqual({ cancelled: 3, refunded: 1, failed: [card2.id] });
    expect(await statusOf(card1.id)).toBe("refunded");
    expect(await statusOf(card2.id)).toBe("paid");
    expect(await statusOf(pendingCard.id)).toBe("cancelled");
    expect(await statusOf(doorPaid.id)).toBe("cancelled");
    expect(await statusOf(doorUnpaid.id)).toBe("cancelled");
    // Card money went back; the door cash stays, as a donation, by the organiser's choice.
    expect(await books.incomeOf(card1.id)).toEqual({});
    expect(await books.incomeOf(card2.id)).toEqual({
      ticket: 1000,
      [`donation:${prisonerId}`]: 500,
    });
    const kept = await books.incomeOf(doorPaid.id);
    expect(Object.values(kept).reduce((a, b) => a + b, 0)).toBe(1300);
    expect(kept.ticket ?? 0).toBe(0);
    expect((await ledger.checkLedger()).problems).toEqual([]);

    const second = await refunds.cancelFestivalOrders(organiser, festivalId, {
      cash: "keep_as_donation",
    });
    expect(second).toEqual({ cancelled: 0, refunded: 1, failed: [] });
    expect(await statusOf(card2.id)).toBe("refunded");
    expect(await books.incomeOf(card2.id)).toEqual({});
    // Nothing left: a third run does nothing.
    expect(await refunds.cancelFestivalOrders(organiser, festivalId, {})).toEqual({
      cancelled: 0,
      refunded: 0,
      failed: [],
    });
    expect(await refunds.festivalRefundsDue(festivalId)).toEqual({
      orders: 0,
      heldMinor: 0,
      cashOrders: 0,
    });
    // One Stripe refund per card order, never two.
    const made = [...fake.refunds.values()].map((r) => r.metadata.order_id);
    expect(made.filter((id) => id === card1.id)).toHaveLength(1);
    expect(made.filter((id) => id === card2.id)).toHaveLength(1);
    // One audit row per order, one summary per run.
    const perOrder = [
      ...(await auditRows("order.refund")),
      ...(await auditRows("order.cancel")),
    ].map((a) => a.targetId);
    expect(perOrder.sort()).toEqual(
      [card1.id, card2.id, pendingCard.id, doorPaid.id, doorUnpaid.id].sort(),
    );
    const summaries = await auditRows("festival.refund_all");
    expect(summaries.map((s) => JSON.parse(s.details))).toEqual([
      { cancelled: 3, refunded: 1, failed: [card2.id], cash: "keep_as_donation" },
      { cancelled: 0, refunded: 1, failed: [], cash: "keep_as_donation" },
      { cancelled: 0, refunded: 0, failed: [] },
    ]);
    expect(summaries.every((s) => s.actorUserId === organiser.id)).toBe(true);
    expect((await ledger.checkLedger()).problems).toEqual([]);
  });
});
