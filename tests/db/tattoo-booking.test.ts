// The tattoo_slot item kind, called directly on a real SQLite file: a slot
// booked through the checkout with a ticket, taken once whatever the
// concurrency (200 buyers, one slot), a design limited to 3 uses sold 3 times
// out of 50 concurrent tries, the per-person limit held under concurrency, a
// card hold that ends giving the slot back, a late payment for a slot taken
// meanwhile refunded through the money spine, and the money in the artist's
// own income category with its earmark.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type Stripe from "stripe";
import type * as DbServer from "~/utils/db.server";
import type * as OrderServer from "~/models/order.server";
import type * as PaymentServer from "~/models/payment.server";
import { freshTestEnv } from "../helpers/env";
import { startStripeFake, type StripeFake, stripeTestEnv } from "../helpers/stripe-fake";
import type * as Tattoo from "../helpers/tattoo";

let db: typeof DbServer;
let orders: typeof OrderServer;
let payments: typeof PaymentServer;
let tattoo: typeof Tattoo;
let fake: StripeFake;
let festivalId: string;
let otherFestivalId: string;
let typeId: string;
let artistId: string;
let prisonerId: string;

const DAY = 24 * 60 * 60_000;
const soon = (days: number) => new Date(Math.floor(Date.now() / 60_000) * 60_000 + days * DAY);
let emails = 0;
const email = () => `booker-${++emails}@example.test`;

beforeAll(async () => {
  fake = await startStripeFake();
  freshTestEnv({
    ...stripeTestEnv(fake, "whsec_test_tattoo_booking"),
    PUBLIC_URL: "http://festivals.example.test",
  });
  db = await import("~/utils/db.server");
  orders = await import("~/models/order.server");
  payments = await import("~/models/payment.server");
  tattoo = await import("../helpers/tattoo");
  const { createFestivalRow, createTicketTypeRow, createPrisonerRow } =
    await import("../helpers/fixtures");
  const festival = await createFestivalRow({
    status: "published",
    publishedAt: new Date(),
    paymentMethods: JSON.stringify(["stripe", "door"]),
    startsAt: soon(1),
    endsAt: soon(30),
  });
  festivalId = festival.id;
  otherFestivalId = (
    await createFestivalRow({ status: "published", publishedAt: new Date(), endsAt: soon(30) })
  ).id;
  typeId = (await createTicketTypeRow(festivalId, 1200, 10_000)).id;
  prisonerId = (await createPrisonerRow(`tattoo-${Date.now()}`, { en: "A prisoner" }, [festivalId]))
    .id;
  artistId = (await tattoo.createArtistRow(festivalId, { name: "Ink", prisonerId })).id;
});

afterAll(async () => {
  await db.disconnectDatabase();
  await fake.close();
});

const context = { locale: "en" as const, stripeAvailable: true };

function order(
  items: Record<string, unknown>[],
  extra: { email?: string; paymentMethod?: "door" | "stripe" | "free" } = {},
) {
  return orders.checkoutSchema().parse({
    email: extra.email ?? email(),
    paymentMethod: extra.paymentMethod ?? "door",
    items,
  });
}

const tattooItem = (tattooSlotId: string, donationMinor = 2500, more = {}) => ({
  kind: "tattoo_slot",
  tattooSlotId,
  donationMinor,
  ...more,
});

async function rows(sql: string, args: (string | number)[] = []) {
  return (await db.sqlClient().execute({ sql, args })).rows;
}

async function payCard(orderId: string) {
  const session = [...fake.sessions.values()].find((s) => s.metadata.order_id === orderId)!;
  // A payment that slips through after the hold ended (Stripe's session outlived it).
  const completed = fake.completeSession(session.id, { force: true });
  return payments.applyStripeEvent(
    fake.event("checkout.session.completed", completed) as unknown as Stripe.Event,
  );
}

describe("booking a slot through the checkout", () => {
  it("books a slot with a ticket in one door order: due at the corner, a reminder the day before", async () => {
    const slot = await tattoo.createSlotRow(festivalId, artistId, soon(3));
    const placed = await orders.placeOrder(
      festivalId,
      order([{ ticketTypeId: typeId, quantity: 1 }, tattooItem(slot.id, 2500)]),
      context,
    );
    expect(placed.order.status).toBe("confirmed");
    expect(placed.order.totalMinor).toBe(1200 + 2500);
    expect(await tattoo.slotState(slot.id)).toEqual({
      reserved: 1,
      bookings: [{ status: "booked", holdsSlot: 1 }],
    });
    const [booking] = await rows(
      "SELECT dueMinor, reminderEmailId, emailKey FROM TattooBooking WHERE orderId = ?",
      [placed.order.id],
    );
    expect(Number(booking!.dueMinor)).toBe(2500);
    const [reminder] = await rows(
      "SELECT template, status, nextAttemptAt FROM OutboxEmail WHERE id = ?",
      [String(booking!.reminderEmailId)],
    );
    expect(reminder!.template).toBe("tattoo-reminder");
    expect(reminder!.status).toBe("pending");
    expect(db.dateFromSql(reminder!.nextAttemptAt).getTime()).toBe(slot.startsAt.getTime() - DAY);
    // The booking never stores the address itself.
    expect(String(booking!.emailKey)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses a slot that is taken with 409 sold_out, and takes nothing", async () => {
    const slot = await tattoo.createSlotRow(festivalId, artistId, soon(3.2));
    await orders.placeOrder(festivalId, order([tattooItem(slot.id)]), context);
    const again = orders.placeOrder(festivalId, order([tattooItem(slot.id)]), context);
    await expect(again).rejects.toMatchObject({ status: 409, code: "sold_out" });
    expect((await tattoo.slotState(slot.id)).bookings).toHaveLength(1);
  });

  it("refuses hostile lines with field errors: below the minimum, past, another festival's, unknown design", async () => {
    const slot = await tattoo.createSlotRow(festivalId, artistId, soon(4), {
      minDonationMinor: 2000,
    });
    const past = await tattoo.createSlotRow(festivalId, artistId, soon(-0.5));
    const otherArtist = (await tattoo.createArtistRow(otherFestivalId)).id;
    const foreign = await tattoo.createSlotRow(otherFestivalId, otherArtist, soon(4));
    const design = await tattoo.createFlashRow(festivalId, artistId, { minDonationMinor: 5000 });
    const before = await rows("SELECT count(*) AS n FROM TattooBooking");
    const cases: [Record<string, unknown>, string][] = [
      [tattooItem(slot.id, 1999), "items.0.donationMinor"],
      [tattooItem(slot.id, 4000, { flashDesignId: design.id }), "items.0.donationMinor"],
      [tattooItem(past.id), "items.0.tattooSlotId"],
      [tattooItem(foreign.id), "items.0.tattooSlotId"],
      [tattooItem(slot.id, 6000, { flashDesignId: "nope" }), "items.0.flashDesignId"],
      [tattooItem(slot.id, 2500, { prisonerId: "nope" }), "items.0.prisonerId"],
    ];
    for (const [item, field] of cases) {
      const attempt = orders.placeOrder(festivalId, order([item]), context);
      await expect(attempt).rejects.toMatchObject({ status: 422 });
      await attempt.catch((e: { fields: Record<string, string> }) =>
        expect(Object.keys(e.fields)).toContain(field),
      );
    }
    for (const bad of [-1, 1.5, 10 ** 12, "2500"]) {
      const parsed = orders.checkoutSchema().safeParse({
        email: email(),
        paymentMethod: "door",
        items: [{ kind: "tattoo_slot", tattooSlotId: slot.id, donationMinor: bad }],
      });
      expect(parsed.success).toBe(false);
    }
    expect(
      orders.checkoutSchema().safeParse({
        email: email(),
        paymentMethod: "door",
        items: [{ kind: "spaceship", tattooSlotId: slot.id }],
      }).success,
    ).toBe(false);
    expect(await rows("SELECT count(*) AS n FROM TattooBooking")).toEqual(before);
    expect((await tattoo.slotState(slot.id)).reserved).toBe(0);
  });

  it("lets exactly one of 200 concurrent buyers have one slot", async () => {
    const slot = await tattoo.createSlotRow(festivalId, artistId, soon(5));
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, () =>
        orders.placeOrder(festivalId, order([tattooItem(slot.id)]), context),
      ),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r) => r.status === "rejected");
    expect(won).toHaveLength(1);
    for (const r of lost) expect(r.reason).toMatchObject({ status: 409, code: "sold_out" });
    expect(await tattoo.slotState(slot.id)).toEqual({
      reserved: 1,
      bookings: [{ status: "booked", holdsSlot: 1 }],
    });
  });

  it("sells a design limited to 3 uses exactly 3 times out of 50 concurrent bookings", async () => {
    const many = (await tattoo.createArtistRow(festivalId, { name: "Flash sheet" })).id;
    const design = await tattoo.createFlashRow(festivalId, many, {
      maxUses: 3,
      minDonationMinor: 3000,
    });
    const slots = await tattoo.createSlotRows(festivalId, many, soon(6), 50);
    const results = await Promise.allSettled(
      slots.map((s) =>
        orders.placeOrder(
          festivalId,
          order([tattooItem(s.id, 3000, { flashDesignId: design.id })]),
          context,
        ),
      ),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(3);
    const [d] = await rows("SELECT reserved FROM FlashDesign WHERE id = ?", [design.id]);
    expect(Number(d!.reserved)).toBe(3);
    const [n] = await rows(
      "SELECT count(*) AS n FROM TattooBooking WHERE flashDesignId = ? AND holdsSlot = 1",
      [design.id],
    );
    expect(Number(n!.n)).toBe(3);
  });

  it("holds one person to one active booking per artist, also when they try 20 slots at once", async () => {
    const busy = (await tattoo.createArtistRow(festivalId, { name: "Busy" })).id;
    const slots = await tattoo.createSlotRows(festivalId, busy, soon(7), 20);
    const me = email();
    const results = await Promise.allSettled(
      slots.map((s) =>
        orders.placeOrder(festivalId, order([tattooItem(s.id)], { email: me }), context),
      ),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results)
      if (r.status === "rejected")
        expect(r.reason).toMatchObject({ status: 409, code: "tattoo_booking_limit" });
    // The same address in other letters is the same person.
    const again = orders.placeOrder(
      festivalId,
      order([tattooItem(slots[19]!.id)], { email: me.toUpperCase() }),
      context,
    );
    await expect(again).rejects.toMatchObject({ code: "tattoo_booking_limit" });
    // Another artist is fine.
    const other = (await tattoo.createArtistRow(festivalId)).id;
    const free = await tattoo.createSlotRow(festivalId, other, soon(7));
    await orders.placeOrder(festivalId, order([tattooItem(free.id)], { email: me }), context);
    const [n] = await rows("SELECT sum(reserved) AS n FROM TattooSlot WHERE artistId = ?", [busy]);
    expect(Number(n!.n)).toBe(1);
  });
});

/** A card order for a new slot `days` ahead, left unpaid until its hold ended. */
async function cardOrderWhoseHoldEnded(days: number) {
  const slot = await tattoo.createSlotRow(festivalId, artistId, soon(days));
  const now = new Date();
  const placed = await orders.placeOrder(
    festivalId,
    order([tattooItem(slot.id, 2500)], { paymentMethod: "stripe" }),
    { ...context, now },
  );
  await payments.cardCheckoutUrl(placed);
  await payments.expireDueHolds(new Date(now.getTime() + 31 * 60_000));
  return { slot, placed };
}

describe("card payments", () => {
  it("posts the donation to the artist's income category with the artist's earmark", async () => {
    const slot = await tattoo.createSlotRow(festivalId, artistId, soon(8));
    const placed = await orders.placeOrder(
      festivalId,
      order([{ ticketTypeId: typeId, quantity: 2 }, tattooItem(slot.id, 4000)], {
        paymentMethod: "stripe",
      }),
      context,
    );
    expect((await tattoo.slotState(slot.id)).bookings).toEqual([{ status: "held", holdsSlot: 1 }]);
    await payments.cardCheckoutUrl(placed);
    expect(await payCard(placed.order.id)).toBe("fulfilled");
    expect((await tattoo.slotState(slot.id)).bookings).toEqual([
      { status: "booked", holdsSlot: 1 },
    ]);
    const { incomeOf } = await import("../helpers/ledger");
    expect(await incomeOf(placed.order.id)).toEqual({
      ticket: 2400,
      [`tattoo.${artistId}:${prisonerId}`]: 4000,
    });
  });

  it("gives the slot back when the hold ends, and refunds a late payment for a slot taken meanwhile", async () => {
    const { slot, placed } = await cardOrderWhoseHoldEnded(9);
    expect(await tattoo.slotState(slot.id)).toEqual({
      reserved: 0,
      bookings: [{ status: "expired", holdsSlot: 0 }],
    });
    // Someone else books the freed slot; then the first buyer's money arrives.
    await orders.placeOrder(festivalId, order([tattooItem(slot.id, 2500)]), context);
    expect(await payCard(placed.order.id)).toBe("refunded_late_payment");
    const [o] = await rows(`SELECT status FROM "Order" WHERE id = ?`, [placed.order.id]);
    expect(o!.status).toBe("refunded");
    const { incomeOf, assertLedgerBalanced } = await import("../helpers/ledger");
    expect(await incomeOf(placed.order.id)).toEqual({});
    expect((await tattoo.slotState(slot.id)).reserved).toBe(1);
    await assertLedgerBalanced(process.env.DATABASE_URL!);
  });

  it("takes the slot again for a late payment when it is still free", async () => {
    const { slot, placed } = await cardOrderWhoseHoldEnded(10);
    expect(await payCard(placed.order.id)).toBe("fulfilled");
    expect(await tattoo.slotState(slot.id)).toEqual({
      reserved: 1,
      bookings: [{ status: "booked", holdsSlot: 1 }],
    });
  });
});
