// Cancel and reschedule a tattoo booking from the order's link, called directly
// on a real SQLite file with the Stripe fake: a cancel in time frees the slot
// and settles the donation as the booking's terms say (a card refund of exactly
// that line under the artist's category and earmark, a pledge due at the corner
// no longer due, or the money kept as a donation by a reclassification); after
// the cut-off it is a 409; a move goes to another free slot of the same artist
// atomically (a taken slot: 409 and nothing moved; another artist's: 422), and
// two moves to one free slot at once end with exactly one there.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type Stripe from "stripe";
import type * as DbServer from "~/utils/db.server";
import type * as OrderServer from "~/models/order.server";
import type * as PaymentServer from "~/models/payment.server";
import type * as Manage from "~/models/tattoo-manage.server";
import { freshTestEnv } from "../helpers/env";
import { startStripeFake, type StripeFake, stripeTestEnv } from "../helpers/stripe-fake";
import type * as Tattoo from "../helpers/tattoo";
import type * as LedgerHelpers from "../helpers/ledger";

let db: typeof DbServer;
let orders: typeof OrderServer;
let payments: typeof PaymentServer;
let manage: typeof Manage;
let tattoo: typeof Tattoo;
let ledger: typeof LedgerHelpers;
let fake: StripeFake;
let festivalId: string;
let otherFestivalId: string;
let typeId: string;
let prisonerId: string;

const DAY = 24 * 60 * 60_000;
const HOUR = 60 * 60_000;
const soon = (days: number) => new Date(Math.floor(Date.now() / 60_000) * 60_000 + days * DAY);
let emails = 0;
const email = () => `manage-${++emails}@example.test`;
const context = { locale: "en" as const, stripeAvailable: true };

beforeAll(async () => {
  fake = await startStripeFake();
  freshTestEnv({
    ...stripeTestEnv(fake, "whsec_test_tattoo_manage"),
    PUBLIC_URL: "http://festivals.example.test",
  });
  db = await import("~/utils/db.server");
  orders = await import("~/models/order.server");
  payments = await import("~/models/payment.server");
  manage = await import("~/models/tattoo-manage.server");
  tattoo = await import("../helpers/tattoo");
  ledger = await import("../helpers/ledger");
  const { createFestivalRow, createTicketTypeRow, createPrisonerRow } =
    await import("../helpers/fixtures");
  const festival = await createFestivalRow({
    status: "published",
    publishedAt: new Date(),
    paymentMethods: JSON.stringify(["stripe", "door"]),
    startsAt: soon(1),
    endsAt: soon(40),
  });
  festivalId = festival.id;
  otherFestivalId = (
    await createFestivalRow({ status: "published", publishedAt: new Date(), endsAt: soon(40) })
  ).id;
  typeId = (await createTicketTypeRow(festivalId, 1200, 10_000)).id;
  prisonerId = (await createPrisonerRow(`manage-${Date.now()}`, { en: "A prisoner" }, [festivalId]))
    .id;
});

afterAll(async () => {
  await ledger.assertLedgerBalanced(process.env.DATABASE_URL!);
  await db.disconnectDatabase();
  await fake.close();
});

async function rows(sql: string, args: (string | number)[] = []) {
  return (await db.sqlClient().execute({ sql, args })).rows;
}

async function setPolicy(policy: "refund" | "keep", hours = 12) {
  await db.sqlClient().execute({
    sql: "UPDATE Festival SET tattooCancelPolicy = ?, tattooCancelHours = ? WHERE id = ?",
    args: [policy, hours, festivalId],
  });
}

const tattooItem = (tattooSlotId: string, donationMinor = 4000) => ({
  kind: "tattoo_slot",
  tattooSlotId,
  donationMinor,
});

/** An order (door unless said) with a tattoo in `slotId`, and maybe a ticket; paid if by card. */
async function book(
  slotId: string,
  opts: { card?: boolean; ticket?: boolean; donationMinor?: number; email?: string } = {},
) {
  const items: Record<string, unknown>[] = [tattooItem(slotId, opts.donationMinor)];
  if (opts.ticket) items.unshift({ ticketTypeId: typeId, quantity: 1 });
  const placed = await orders.placeOrder(
    festivalId,
    orders.checkoutSchema().parse({
      email: opts.email ?? email(),
      paymentMethod: opts.card ? "stripe" : "door",
      items,
    }),
    context,
  );
  if (opts.card) {
    await payments.cardCheckoutUrl(placed);
    const session = [...fake.sessions.values()].find(
      (s) => s.metadata.order_id === placed.order.id,
    )!;
    const completed = fake.completeSession(session.id);
    expect(
      await payments.applyStripeEvent(
        fake.event("checkout.session.completed", completed) as unknown as Stripe.Event,
      ),
    ).toBe("fulfilled");
  }
  const itemId = placed.lines.find((l) => l.kind === "tattoo_slot")!.itemId;
  return { orderId: placed.order.id, token: placed.order.accessToken, itemId };
}

async function booking(itemId: string) {
  const [b] = await rows(
    "SELECT status, holdsSlot, dueMinor, slotId, reminderEmailId, cancelPolicy, cancelHours FROM TattooBooking WHERE orderItemId = ?",
    [itemId],
  );
  return b!;
}

async function orderRow(orderId: string) {
  const [o] = await rows(`SELECT status, totalMinor FROM "Order" WHERE id = ?`, [orderId]);
  return { status: String(o!.status), totalMinor: Number(o!.totalMinor) };
}

async function outbox(id: string) {
  const [r] = await rows("SELECT status, nextAttemptAt, template FROM OutboxEmail WHERE id = ?", [
    id,
  ]);
  return r;
}

async function refundsOf(orderId: string) {
  return [...fake.refunds.values()].filter((r) => r.metadata.order_id === orderId);
}

describe("cancelling in time", () => {
  it("frees the slot of a booking due at the corner: nothing due, reminder withdrawn, a tattoo-only order cancelled", async () => {
    await setPolicy("refund");
    const artist = (await tattoo.createArtistRow(festivalId, { prisonerId })).id;
    const slot = await tattoo.createSlotRow(festivalId, artist, soon(3));
    const b = await book(slot.id);
    const before = await booking(b.itemId);
    expect(Number(before.dueMinor)).toBe(4000);
    const reminder = String(before.reminderEmailId);
    const result = await manage.cancelTattooBooking({
      accessToken: b.token,
      orderItemId: b.itemId,
    });
    expect(result).toMatchObject({ outcome: "released", status: "cancelled" });
    expect(await tattoo.slotState(slot.id)).toEqual({
      reserved: 0,
      bookings: [{ status: "cancelled", holdsSlot: 0 }],
    });
    expect(Number((await booking(b.itemId)).dueMinor)).toBe(0);
    expect((await outbox(reminder))!.status).toBe("cancelled");
    // The order line stays as it was; the order holds nothing live and took no money.
    expect(await orderRow(b.orderId)).toEqual({ status: "cancelled", totalMinor: 4000 });
    expect(await ledger.incomeOf(b.orderId)).toEqual({});
    const [mail] = await rows(
      "SELECT payload FROM OutboxEmail WHERE template = 'tattoo-cancelled' AND payload LIKE ?",
      [`%${b.itemId}%`],
    );
    expect(JSON.parse(String(mail!.payload))).toMatchObject({ outcome: "released" });
    const [audit] = await rows(
      "SELECT actorUserId, details FROM AuditEvent WHERE action = 'tattoo.booking.cancel' AND targetId = ?",
      [b.itemId],
    );
    expect(audit!.actorUserId).toBeNull();
    expect(JSON.parse(String(audit!.details))).toMatchObject({ requestedBy: "booker" });
    // Again: it is no longer booked.
    await expect(
      manage.cancelTattooBooking({ accessToken: b.token, orderItemId: b.itemId }),
    ).rejects.toMatchObject({ status: 409, code: "not_booked" });
  });

  it("keeps a door order with a ticket as it is (its ticket still valid, still confirmed)", async () => {
    const artist = (await tattoo.createArtistRow(festivalId)).id;
    const slot = await tattoo.createSlotRow(festivalId, artist, soon(3));
    const b = await book(slot.id, { ticket: true });
    await manage.cancelTattooBooking({ accessToken: b.token, orderItemId: b.itemId });
    expect(await orderRow(b.orderId)).toEqual({ status: "confirmed", totalMinor: 5200 });
    const [t] = await rows("SELECT status, amountDueMinor FROM Ticket WHERE orderId = ?", [
      b.orderId,
    ]);
    expect(t).toMatchObject({ status: "valid", amountDueMinor: 1200 });
    expect((await tattoo.slotState(slot.id)).reserved).toBe(0);
  });

  it("refunds exactly the tattoo line of a card order through Stripe, under the artist's category and earmark", async () => {
    await setPolicy("refund");
    const artist = (await tattoo.createArtistRow(festivalId, { prisonerId })).id;
    const slot = await tattoo.createSlotRow(festivalId, artist, soon(4));
    const b = await book(slot.id, { card: true, ticket: true });
    expect(await ledger.incomeOf(b.orderId)).toEqual({
      ticket: 1200,
      [`tattoo.${artist}:${prisonerId}`]: 4000,
    });
    const result = await manage.cancelTattooBooking({
      accessToken: b.token,
      orderItemId: b.itemId,
    });
    expect(result).toMatchObject({ outcome: "refunded", status: "refunded", amountMinor: 4000 });
    const refunds = await refundsOf(b.orderId);
    expect(refunds.map((r) => r.amount)).toEqual([4000]);
    expect(refunds[0]!.metadata.order_item_id).toBe(b.itemId);
    const createRequest = fake.requests.find(
      (r) =>
        r.method === "POST" &&
        r.path === "/v1/refunds" &&
        r.body.metadata &&
        (r.body.metadata as Record<string, string>).order_item_id === b.itemId,
    )!;
    expect(createRequest.headers["idempotency-key"]).toBe(`tattoo-cancel-${b.itemId}`);
    // The ticket's money stays; the tattoo's went back under its own category and earmark.
    expect(await ledger.incomeOf(b.orderId)).toEqual({ ticket: 1200 });
    const out = (await ledger.ledgerOf(b.orderId)).filter((l) => l.account === "refunds");
    expect(out).toEqual([
      expect.objectContaining({
        category: `tattoo.${artist}`,
        prisonerId,
        amountMinor: 4000,
        kind: "refund",
      }),
    ]);
    expect((await orderRow(b.orderId)).status).toBe("paid");
    expect(await tattoo.slotState(slot.id)).toEqual({
      reserved: 0,
      bookings: [{ status: "refunded", holdsSlot: 0 }],
    });
    // Stripe's charge.refunded for our own refund posts nothing again.
    const pi = refunds[0]!.payment_intent;
    const outcome = await payments.applyStripeEvent(
      fake.chargeRefundedEvent(pi) as unknown as Stripe.Event,
    );
    expect(outcome).toBe("duplicate");
    expect(await ledger.incomeOf(b.orderId)).toEqual({ ticket: 1200 });
    await ledger.assertLedgerBalanced(process.env.DATABASE_URL!);
  });

  it("posts the tattoo's refund under its own category when Stripe's charge.refunded arrives before the cancellation commits", async () => {
    await setPolicy("refund");
    const artist = (await tattoo.createArtistRow(festivalId, { prisonerId })).id;
    const slot = await tattoo.createSlotRow(festivalId, artist, soon(4));
    const b = await book(slot.id, { card: true, ticket: true });
    const { rows: o } = await db.sqlClient().execute({
      sql: `SELECT stripePaymentIntentId FROM "Order" WHERE id = ?`,
      args: [b.orderId],
    });
    // The cancellation's own refund (same request, same key), then the webhook first.
    const { stripe } = await import("~/utils/stripe.server");
    await stripe().refunds.create(
      {
        payment_intent: String(o[0]!.stripePaymentIntentId),
        amount: 4000,
        metadata: { order_id: b.orderId, order_item_id: b.itemId, reason: "tattoo_cancelled" },
      },
      { idempotencyKey: `tattoo-cancel-${b.itemId}` },
    );
    await payments.applyStripeEvent(
      fake.chargeRefundedEvent(String(o[0]!.stripePaymentIntentId)) as unknown as Stripe.Event,
    );
    expect(await ledger.incomeOf(b.orderId)).toEqual({ ticket: 1200 });
    await manage.cancelTattooBooking({ accessToken: b.token, orderItemId: b.itemId });
    expect(await ledger.incomeOf(b.orderId)).toEqual({ ticket: 1200 });
    expect((await refundsOf(b.orderId)).map((r) => r.amount)).toEqual([4000]);
    await ledger.assertLedgerBalanced(process.env.DATABASE_URL!);
  });

  it("refunds a card order holding only the tattoo in full: the order is refunded", async () => {
    await setPolicy("refund");
    const artist = (await tattoo.createArtistRow(festivalId)).id;
    const slot = await tattoo.createSlotRow(festivalId, artist, soon(4));
    const b = await book(slot.id, { card: true });
    await manage.cancelTattooBooking({ accessToken: b.token, orderItemId: b.itemId });
    expect((await orderRow(b.orderId)).status).toBe("refunded");
    expect(await ledger.incomeOf(b.orderId)).toEqual({});
  });

  it("two cancels at once refund once and post once", async () => {
    await setPolicy("refund");
    const artist = (await tattoo.createArtistRow(festivalId)).id;
    const slot = await tattoo.createSlotRow(festivalId, artist, soon(4));
    const b = await book(slot.id, { card: true, ticket: true });
    const results = await Promise.allSettled([
      manage.cancelTattooBooking({ accessToken: b.token, orderItemId: b.itemId }),
      manage.cancelTattooBooking({ accessToken: b.token, orderItemId: b.itemId }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled").length).toBeGreaterThanOrEqual(1);
    for (const r of results)
      if (r.status === "rejected") expect(r.reason).toMatchObject({ status: 409 });
    expect((await refundsOf(b.orderId)).length).toBe(1);
    const out = (await ledger.ledgerOf(b.orderId)).filter((l) => l.account === "refunds");
    expect(out.map((l) => l.amountMinor)).toEqual([4000]);
    expect((await tattoo.slotState(slot.id)).reserved).toBe(0);
  });

  it("keeps the donation under the 'keep' terms: a reclassification to donation income, same earmark, nothing refunded", async () => {
    await setPolicy("keep");
    const artist = (await tattoo.createArtistRow(festivalId, { prisonerId })).id;
    const slot = await tattoo.createSlotRow(festivalId, artist, soon(5));
    const b = await book(slot.id, { card: true, ticket: true });
    expect((await booking(b.itemId)).cancelPolicy).toBe("keep");
    const result = await manage.cancelTattooBooking({
      accessToken: b.token,
      orderItemId: b.itemId,
    });
    expect(result).toMatchObject({ outcome: "kept", status: "cancelled", amountMinor: 4000 });
    expect(await refundsOf(b.orderId)).toEqual([]);
    expect(await ledger.incomeOf(b.orderId)).toEqual({
      ticket: 1200,
      [`donation:${prisonerId}`]: 4000,
    });
    const kept = (await ledger.ledgerOf(b.orderId)).filter((l) => l.kind === "reclassification");
    expect(kept).toHaveLength(2);
    expect(kept.reduce((s, l) => s + l.amountMinor, 0)).toBe(0);
    expect((await orderRow(b.orderId)).status).toBe("paid");
    expect((await tattoo.slotState(slot.id)).reserved).toBe(0);
    await ledger.assertLedgerBalanced(process.env.DATABASE_URL!);
    await setPolicy("refund");
  });

  it("applies the terms the booking was made under, not the festival's later change", async () => {
    await setPolicy("refund", 12);
    const artist = (await tattoo.createArtistRow(festivalId)).id;
    const slot = await tattoo.createSlotRow(festivalId, artist, soon(5));
    const b = await book(slot.id, { card: true });
    expect(await booking(b.itemId)).toMatchObject({ cancelPolicy: "refund", cancelHours: 12 });
    await setPolicy("keep", 48);
    // 20 hours before: inside the new 48 h, but the booking's own terms say 12 h.
    const result = await manage.cancelTattooBooking({
      accessToken: b.token,
      orderItemId: b.itemId,
      now: new Date(slot.startsAt.getTime() - 20 * HOUR),
    });
    expect(result.outcome).toBe("refunded");
    await setPolicy("refund", 12);
  });
});

describe("refusals", () => {
  it("refuses after the cut-off with 409 cancel_window_closed, for cancel and move, and changes nothing", async () => {
    const artist = (await tattoo.createArtistRow(festivalId)).id;
    const [slot, other] = await tattoo.createSlotRows(festivalId, artist, soon(6), 2);
    const b = await book(slot!.id);
    const late = new Date(slot!.startsAt.getTime() - 11 * HOUR);
    await expect(
      manage.cancelTattooBooking({ accessToken: b.token, orderItemId: b.itemId, now: late }),
    ).rejects.toMatchObject({ status: 409, code: "cancel_window_closed" });
    await expect(
      manage.rescheduleTattooBooking({
        accessToken: b.token,
        orderItemId: b.itemId,
        slotId: other!.id,
        now: late,
      }),
    ).rejects.toMatchObject({ status: 409, code: "cancel_window_closed" });
    // Exactly at the cut-off it is closed; a minute before it is open.
    const atCut = new Date(slot!.startsAt.getTime() - 12 * HOUR);
    await expect(
      manage.cancelTattooBooking({ accessToken: b.token, orderItemId: b.itemId, now: atCut }),
    ).rejects.toMatchObject({ code: "cancel_window_closed" });
    expect(await tattoo.slotState(slot!.id)).toEqual({
      reserved: 1,
      bookings: [{ status: "booked", holdsSlot: 1 }],
    });
    const views = await manage.tattooManageViews(b.token, late);
    expect(views[0]).toMatchObject({ locked: "cancel_window_closed", slots: [] });
  });

  it("answers 404 for a wrong token or another order's booking", async () => {
    const artist = (await tattoo.createArtistRow(festivalId)).id;
    const [s1, s2] = await tattoo.createSlotRows(festivalId, artist, soon(6.5), 2);
    const mine = await book(s1!.id);
    const theirs = await book(s2!.id);
    for (const [token, itemId] of [
      ["x".repeat(32), mine.itemId],
      [mine.token, theirs.itemId],
      [mine.token, "nope"],
      ["", mine.itemId],
    ])
      await expect(
        manage.cancelTattooBooking({ accessToken: token!, orderItemId: itemId! }),
      ).rejects.toMatchObject({ status: 404 });
    expect((await tattoo.slotState(s2!.id)).reserved).toBe(1);
  });

  it("does not cancel a card booking still being paid (its hold runs out by itself)", async () => {
    const artist = (await tattoo.createArtistRow(festivalId)).id;
    const slot = await tattoo.createSlotRow(festivalId, artist, soon(7));
    const placed = await orders.placeOrder(
      festivalId,
      orders.checkoutSchema().parse({
        email: email(),
        paymentMethod: "stripe",
        items: [tattooItem(slot.id)],
      }),
      context,
    );
    const itemId = placed.lines[0]!.itemId;
    await expect(
      manage.cancelTattooBooking({ accessToken: placed.order.accessToken, orderItemId: itemId }),
    ).rejects.toMatchObject({ status: 409, code: "not_booked" });
    expect(await tattoo.slotState(slot.id)).toEqual({
      reserved: 1,
      bookings: [{ status: "held", holdsSlot: 1 }],
    });
  });
});

describe("rescheduling", () => {
  it("moves the booking to another free slot of the artist, with its reminder", async () => {
    const artist = (await tattoo.createArtistRow(festivalId)).id;
    const [from, to] = await tattoo.createSlotRows(festivalId, artist, soon(8), 2);
    const b = await book(from!.id);
    const oldReminder = String((await booking(b.itemId)).reminderEmailId);
    const views = await manage.tattooManageViews(b.token);
    expect(views[0]!.slots.map((s) => s.id)).toEqual([to!.id]);
    const moved = await manage.rescheduleTattooBooking({
      accessToken: b.token,
      orderItemId: b.itemId,
      slotId: to!.id,
    });
    expect(moved).toMatchObject({ slotId: to!.id, startsAt: to!.startsAt.toISOString() });
    expect((await tattoo.slotState(from!.id)).reserved).toBe(0);
    expect(await tattoo.slotState(to!.id)).toEqual({
      reserved: 1,
      bookings: [{ status: "booked", holdsSlot: 1 }],
    });
    const after = await booking(b.itemId);
    expect(Number(after.dueMinor)).toBe(4000);
    expect((await outbox(oldReminder))!.status).toBe("cancelled");
    const fresh = await outbox(String(after.reminderEmailId));
    expect(fresh).toMatchObject({ status: "pending", template: "tattoo-reminder" });
    expect(db.dateFromSql(fresh!.nextAttemptAt).getTime()).toBe(to!.startsAt.getTime() - DAY);
    const [mail] = await rows(
      "SELECT payload FROM OutboxEmail WHERE template = 'tattoo-moved' AND payload LIKE ?",
      [`%${b.itemId}%`],
    );
    expect(JSON.parse(String(mail!.payload))).toMatchObject({
      fromStartsAt: from!.startsAt.toISOString(),
    });
    const [audit] = await rows(
      "SELECT details FROM AuditEvent WHERE action = 'tattoo.booking.reschedule' AND targetId = ?",
      [b.itemId],
    );
    expect(JSON.parse(String(audit!.details))).toMatchObject({
      fromSlotId: from!.id,
      toSlotId: to!.id,
    });
  });

  it("refuses a taken slot with 409 sold_out and moves nothing", async () => {
    const artist = (await tattoo.createArtistRow(festivalId)).id;
    const [a, taken] = await tattoo.createSlotRows(festivalId, artist, soon(9), 2);
    const b = await book(a!.id);
    await book(taken!.id);
    const reminder = String((await booking(b.itemId)).reminderEmailId);
    await expect(
      manage.rescheduleTattooBooking({
        accessToken: b.token,
        orderItemId: b.itemId,
        slotId: taken!.id,
      }),
    ).rejects.toMatchObject({ status: 409, code: "sold_out" });
    expect(await booking(b.itemId)).toMatchObject({
      slotId: a!.id,
      holdsSlot: 1,
      reminderEmailId: reminder,
    });
    expect((await tattoo.slotState(a!.id)).reserved).toBe(1);
    expect((await tattoo.slotState(taken!.id)).reserved).toBe(1);
    expect((await outbox(reminder))!.status).toBe("pending");
  });

  it("refuses a slot of another artist, of another festival, unknown, the same, or asking more than was pledged: 422 on slotId", async () => {
    const artist = (await tattoo.createArtistRow(festivalId)).id;
    const otherArtist = (await tattoo.createArtistRow(festivalId)).id;
    const [a] = await tattoo.createSlotRows(festivalId, artist, soon(10), 1);
    const theirs = await tattoo.createSlotRow(festivalId, otherArtist, soon(10));
    const foreignArtist = (await tattoo.createArtistRow(otherFestivalId)).id;
    const foreign = await tattoo.createSlotRow(otherFestivalId, foreignArtist, soon(10));
    const dear = await tattoo.createSlotRow(festivalId, artist, soon(10.5), {
      minDonationMinor: 9000,
    });
    const past = await tattoo.createSlotRow(festivalId, artist, soon(-1));
    const b = await book(a!.id);
    const cases: [string, RegExp][] = [
      [theirs.id, /^v\.tattooOtherArtist$/],
      [foreign.id, /^v\.unknownTattooSlot$/],
      ["no-such-slot", /^v\.unknownTattooSlot$/],
      [a!.id, /^v\.tattooSameSlot$/],
      [dear.id, /^v\.tattooMoveMinimum\|9000\|EUR$/],
      [past.id, /^v\.tattooSlotPast$/],
    ];
    for (const [slotId, message] of cases) {
      const attempt = manage.rescheduleTattooBooking({
        accessToken: b.token,
        orderItemId: b.itemId,
        slotId,
      });
      await expect(attempt).rejects.toMatchObject({ status: 422 });
      await attempt.catch((e: { fields: Record<string, string> }) =>
        expect(e.fields.slotId).toMatch(message),
      );
    }
    expect((await booking(b.itemId)).slotId).toBe(a!.id);
    expect((await tattoo.slotState(theirs.id)).reserved).toBe(0);
    expect((await tattoo.slotState(dear.id)).reserved).toBe(0);
  });

  it("lets exactly one of two bookings moving to the same free slot at once have it", async () => {
    const artist = (await tattoo.createArtistRow(festivalId)).id;
    const [s1, s2, free] = await tattoo.createSlotRows(festivalId, artist, soon(11), 3);
    const one = await book(s1!.id);
    const two = await book(s2!.id);
    const results = await Promise.allSettled(
      [one, two].map((b) =>
        manage.rescheduleTattooBooking({
          accessToken: b.token,
          orderItemId: b.itemId,
          slotId: free!.id,
        }),
      ),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(lost.reason).toMatchObject({ status: 409, code: "sold_out" });
    expect(await tattoo.slotState(free!.id)).toEqual({
      reserved: 1,
      bookings: [{ status: "booked", holdsSlot: 1 }],
    });
    // The loser is where it was; the winner's old slot is free.
    const [won, stayed] = results[0]!.status === "fulfilled" ? [s1!, s2!] : [s2!, s1!];
    expect((await tattoo.slotState(won.id)).reserved).toBe(0);
    expect(await tattoo.slotState(stayed.id)).toEqual({
      reserved: 1,
      bookings: [{ status: "booked", holdsSlot: 1 }],
    });
    const [{ n }] = (await rows("SELECT sum(reserved) AS n FROM TattooSlot WHERE artistId = ?", [
      artist,
    ])) as unknown as [{ n: number }];
    expect(Number(n)).toBe(2);
  });
});

describe("money taken at the corner, and what the order owes", () => {
  /** The corner took the booking's donation in cash (as its own module will post it). */
  async function takeCash(b: { orderId: string; itemId: string }, artist: string) {
    const { entryStatements, moneyInPostings } = await import("~/models/ledger.server");
    const statements = [
      ...entryStatements({
        id: `test-corner:${b.itemId}`,
        festivalId,
        orderId: b.orderId,
        kind: "payment",
        at: new Date(),
        postings: moneyInPostings(
          {
            festivalId,
            currency: "EUR",
            code: "door_cash",
            holder: { type: "device", id: "corner-1" },
          },
          [{ category: `tattoo.${artist}`, prisonerId, amountMinor: 4000 }],
        ),
      }),
      { sql: "UPDATE TattooBooking SET dueMinor = 0 WHERE orderItemId = ?", args: [b.itemId] },
    ];
    await db.sqlClient().batch(statements, "write");
  }

  it("refuses to refund cash online (the corner gives it back), and keeps it by reclassification under 'keep'", async () => {
    await setPolicy("refund");
    const artist = (await tattoo.createArtistRow(festivalId, { prisonerId })).id;
    const [s1, s2] = await tattoo.createSlotRows(festivalId, artist, soon(12), 2);
    const refundTerms = await book(s1!.id, { ticket: true });
    await takeCash(refundTerms, artist);
    await expect(
      manage.cancelTattooBooking({
        accessToken: refundTerms.token,
        orderItemId: refundTerms.itemId,
      }),
    ).rejects.toMatchObject({ status: 409, code: "paid_in_cash" });
    expect((await tattoo.slotState(s1!.id)).reserved).toBe(1);
    const views = await manage.tattooManageViews(refundTerms.token);
    expect(views[0]!.plan.outcome).toBe("ask_the_corner");

    await setPolicy("keep");
    const keepTerms = await book(s2!.id, { ticket: true });
    await takeCash(keepTerms, artist);
    const result = await manage.cancelTattooBooking({
      accessToken: keepTerms.token,
      orderItemId: keepTerms.itemId,
    });
    expect(result).toMatchObject({ outcome: "kept", amountMinor: 4000 });
    expect(await ledger.incomeOf(keepTerms.orderId)).toEqual({ [`donation:${prisonerId}`]: 4000 });
    // The cash stays with the device that took it.
    const cash = (await ledger.ledgerOf(keepTerms.orderId)).filter(
      (l) => l.account === "door_cash",
    );
    expect(cash.reduce((sum, l) => sum + l.amountMinor, 0)).toBe(4000);
    // The ticket is still due at the door: the order is not paid yet.
    expect((await orderRow(keepTerms.orderId)).status).toBe("confirmed");
    await setPolicy("refund");
  });

  it("makes a door order paid when the cancelled booking was all it still owed", async () => {
    const artist = (await tattoo.createArtistRow(festivalId, { prisonerId })).id;
    const slot = await tattoo.createSlotRow(festivalId, artist, soon(13));
    const b = await book(slot.id, { ticket: true });
    // The ticket was paid at the door (its price in cash); only the tattoo was still due.
    const { entryStatements, moneyInPostings } = await import("~/models/ledger.server");
    await db.sqlClient().batch(
      [
        ...entryStatements({
          id: `test-door:${b.orderId}`,
          festivalId,
          orderId: b.orderId,
          kind: "payment",
          at: new Date(),
          postings: moneyInPostings(
            {
              festivalId,
              currency: "EUR",
              code: "door_cash",
              holder: { type: "device", id: "door-1" },
            },
            [{ category: "ticket", amountMinor: 1200 }],
          ),
        }),
        { sql: "UPDATE Ticket SET amountDueMinor = 0 WHERE orderId = ?", args: [b.orderId] },
      ],
      "write",
    );
    expect((await orderRow(b.orderId)).status).toBe("confirmed");
    await manage.cancelTattooBooking({ accessToken: b.token, orderItemId: b.itemId });
    expect(await orderRow(b.orderId)).toEqual({ status: "paid", totalMinor: 5200 });
    expect(await ledger.incomeOf(b.orderId)).toEqual({ ticket: 1200 });
  });

  it("gives a limited design's use back on cancel and keeps it through a move", async () => {
    const artist = (await tattoo.createArtistRow(festivalId)).id;
    const design = await tattoo.createFlashRow(festivalId, artist, {
      maxUses: 1,
      minDonationMinor: 3000,
    });
    const [s1, s2] = await tattoo.createSlotRows(festivalId, artist, soon(14), 2);
    const placed = await orders.placeOrder(
      festivalId,
      orders.checkoutSchema().parse({
        email: email(),
        paymentMethod: "door",
        items: [{ ...tattooItem(s1!.id), flashDesignId: design.id }],
      }),
      context,
    );
    const b = { token: placed.order.accessToken, itemId: placed.lines[0]!.itemId };
    const uses = async () =>
      Number(
        (await rows("SELECT reserved FROM FlashDesign WHERE id = ?", [design.id]))[0]!.reserved,
      );
    expect(await uses()).toBe(1);
    await manage.rescheduleTattooBooking({
      accessToken: b.token,
      orderItemId: b.itemId,
      slotId: s2!.id,
    });
    expect(await uses()).toBe(1);
    await manage.cancelTattooBooking({ accessToken: b.token, orderItemId: b.itemId });
    expect(await uses()).toBe(0);
    expect((await tattoo.slotState(s2!.id)).reserved).toBe(0);
  });
});
