// The tattoo waitlist that refills itself, called directly on a real SQLite
// file: a card hold that runs out frees its slot and the slot is offered to the
// first in line (held for them: nobody else can book it); booking with the
// offer's secret takes it; an offer not taken passes to the next in line; the
// chain goes on after a restart and two passes at once make one offer per
// slot; a cancelled booking's slot is offered too; one place per person and
// line; no place while slots are free; the retention job erases the addresses.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type * as DbServer from "~/utils/db.server";
import type * as OrderServer from "~/models/order.server";
import type * as PaymentServer from "~/models/payment.server";
import type * as Waitlist from "~/models/tattoo-waitlist.server";
import { freshTestEnv } from "../helpers/env";
import { startStripeFake, type StripeFake, stripeTestEnv } from "../helpers/stripe-fake";
import type * as Tattoo from "../helpers/tattoo";

let db: typeof DbServer;
let orders: typeof OrderServer;
let payments: typeof PaymentServer;
let waitlist: typeof Waitlist;
let tattoo: typeof Tattoo;
let fake: StripeFake;
let festivalId: string;

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/**
 * 08:00 UTC today: slots (days ahead, a few hours apart) stay within one day of the
 * festival's time zone whenever the suite runs. (From the time of day of the run, a
 * run in the evening put a test's later slots past local midnight, on another day
 * of the artist's, and the offers the test expects were not made.)
 */
const base = (() => {
  const now = new Date();
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 8);
})();
let dayOffset = 2;
/** A slot start on a day of its own (each test its own artist's day). */
const nextDay = () => new Date(base + dayOffset++ * DAY);
let emails = 0;
const email = (who = "waiter") => `${who}-${++emails}@example.test`;

beforeAll(async () => {
  fake = await startStripeFake();
  freshTestEnv({
    ...stripeTestEnv(fake, "whsec_test_tattoo_waitlist"),
    PUBLIC_URL: "http://festivals.example.test",
  });
  db = await import("~/utils/db.server");
  orders = await import("~/models/order.server");
  payments = await import("~/models/payment.server");
  waitlist = await import("~/models/tattoo-waitlist.server");
  tattoo = await import("../helpers/tattoo");
  const { createFestivalRow } = await import("../helpers/fixtures");
  festivalId = (
    await createFestivalRow({
      status: "published",
      publishedAt: new Date(),
      paymentMethods: JSON.stringify(["stripe", "door"]),
      startsAt: new Date(base + DAY),
      endsAt: new Date(base + 60 * DAY),
    })
  ).id;
});

afterAll(async () => {
  await db.disconnectDatabase();
  await fake.close();
});

const context = { locale: "en" as const, stripeAvailable: true };

function order(
  items: Record<string, unknown>[],
  extra: { email?: string; paymentMethod?: "door" | "stripe" } = {},
) {
  return orders.checkoutSchema().parse({
    email: extra.email ?? email("buyer"),
    paymentMethod: extra.paymentMethod ?? "door",
    items,
  });
}
const item = (tattooSlotId: string, more: Record<string, unknown> = {}) => ({
  kind: "tattoo_slot",
  tattooSlotId,
  donationMinor: 2500,
  ...more,
});

async function rows(sql: string, args: (string | number)[] = []) {
  return (await db.sqlClient().execute({ sql, args })).rows;
}

/** An artist with one slot on a day of its own. */
async function artistWithSlot(minutes = 45) {
  const artistId = (await tattoo.createArtistRow(festivalId)).id;
  const slot = await tattoo.createSlotRow(festivalId, artistId, nextDay(), { minutes });
  return { artistId, slot };
}

/** The offers made to a person, with the raw token of the latest one (from the outbox). */
async function offersTo(address: string) {
  const mails = await rows(
    `SELECT payload FROM OutboxEmail WHERE "to" = ? AND template = 'tattoo-waitlist-offer' ORDER BY createdAt`,
    [address],
  );
  return mails.map((m) => JSON.parse(String(m.payload)) as { offerId: string; token: string });
}

async function entryStatus(id: string) {
  return String((await rows("SELECT status FROM TattooWaitlist WHERE id = ?", [id]))[0]!.status);
}

async function openOffers(slotId: string) {
  return (
    await rows("SELECT waitlistId FROM TattooOffer WHERE slotId = ? AND status = 'open'", [slotId])
  ).map((r) => String(r.waitlistId));
}

describe("a slot that comes free goes to the first in line", () => {
  it("offers a slot whose card hold ran out to the first in line, held from everyone else; the token books it", async () => {
    const { slot } = await artistWithSlot();
    const now = new Date();
    const card = await orders.placeOrder(
      festivalId,
      order([item(slot.id)], { paymentMethod: "stripe" }),
      { ...context, now },
    );
    await payments.cardCheckoutUrl(card);
    const first = email();
    const second = email();
    const one = await waitlist.joinWaitlist({ slotId: slot.id, email: first, locale: "ru" });
    const two = await waitlist.joinWaitlist({ slotId: slot.id, email: second, locale: "en" });
    expect([one.position, two.position]).toEqual([1, 2]);
    // The confirmation carries the leave link's secret; only its hash is stored.
    const [joined] = await rows(
      `SELECT payload, locale FROM OutboxEmail WHERE "to" = ? AND template = 'tattoo-waitlist-joined'`,
      [first],
    );
    const { token: leaveToken } = JSON.parse(String(joined!.payload)) as { token: string };
    expect(joined!.locale).toBe("ru");
    expect(JSON.stringify(await rows("SELECT * FROM TattooWaitlist"))).not.toContain(leaveToken);

    const later = new Date(now.getTime() + 31 * MINUTE);
    expect(await waitlist.refillWaitlist(later)).toMatchObject({ offered: 0 });
    await payments.expireDueHolds(later);
    expect((await tattoo.slotState(slot.id)).reserved).toBe(0);
    expect(await waitlist.refillWaitlist(later)).toMatchObject({ offered: 1 });
    expect((await tattoo.slotState(slot.id)).reserved).toBe(1);
    expect(await openOffers(slot.id)).toEqual([one.id]);
    expect(await entryStatus(one.id)).toBe("offered");
    expect(await entryStatus(two.id)).toBe("waiting");
    const [offer] = await offersTo(first);
    expect(offer).toBeDefined();
    expect(await offersTo(second)).toEqual([]);
    // The offer email renders: the slot's local time with its zone, the minimum, the link.
    const { renderEmail } = await import("~/utils/email.server");
    const mail = await renderEmail("tattoo-waitlist-offer", "ru", offer!);
    expect(mail.text).toContain("Europe/Riga");
    expect(mail.text).toContain(`http://festivals.example.test/tattoo/offers/${offer!.token}`);
    expect(mail.text).toContain("20");

    // Nobody else can take it now, not even with a wrong token.
    await expect(
      orders.placeOrder(festivalId, order([item(slot.id)]), context),
    ).rejects.toMatchObject({ status: 409, code: "sold_out" });
    await expect(
      orders.placeOrder(festivalId, order([item(slot.id, { offerToken: "guessed" })]), context),
    ).rejects.toMatchObject({ status: 422 });
    expect((await tattoo.slotState(slot.id)).bookings).toHaveLength(1);

    const booked = await orders.placeOrder(
      festivalId,
      order([item(slot.id, { offerToken: offer!.token })], { email: first }),
      context,
    );
    expect(booked.order.status).toBe("confirmed");
    expect(await entryStatus(one.id)).toBe("booked");
    expect(await tattoo.slotState(slot.id)).toEqual({
      reserved: 1,
      bookings: [
        { status: "expired", holdsSlot: 0 },
        { status: "booked", holdsSlot: 1 },
      ],
    });
    const [taken] = await rows("SELECT status, orderId FROM TattooOffer WHERE slotId = ?", [
      slot.id,
    ]);
    expect(taken).toMatchObject({ status: "taken", orderId: booked.order.id });
    // The token is spent.
    await expect(
      orders.placeOrder(festivalId, order([item(slot.id, { offerToken: offer!.token })]), context),
    ).rejects.toMatchObject({ status: 422 });
  });

  it("gives the offer back to the one it was for when their card payment cannot start", async () => {
    const { slot } = await artistWithSlot();
    const now = new Date();
    const holder = await orders.placeOrder(
      festivalId,
      order([item(slot.id)], { paymentMethod: "stripe" }),
      { ...context, now },
    );
    await payments.cardCheckoutUrl(holder);
    const first = email("first");
    const entry = await waitlist.joinWaitlist({ slotId: slot.id, email: first, locale: "en" });
    const later = new Date(now.getTime() + 31 * MINUTE);
    await payments.expireDueHolds(later);
    await waitlist.refillWaitlist(later);
    const [offer] = await offersTo(first);
    // Stripe is down when they pay: the order is undone, the offer is theirs again.
    fake.setDown("503");
    try {
      const placed = await orders.placeOrder(
        festivalId,
        order([item(slot.id, { offerToken: offer!.token })], {
          email: first,
          paymentMethod: "stripe",
        }),
        context,
      );
      await expect(payments.cardCheckoutUrl(placed)).rejects.toMatchObject({ status: 503 });
    } finally {
      fake.setDown(false);
    }
    expect(await openOffers(slot.id)).toEqual([entry.id]);
    expect(await entryStatus(entry.id)).toBe("offered");
    expect((await tattoo.slotState(slot.id)).reserved).toBe(1);
    // And the same token books it once Stripe is back.
    const again = await orders.placeOrder(
      festivalId,
      order([item(slot.id, { offerToken: offer!.token })], { email: first }),
      context,
    );
    expect(again.order.status).toBe("confirmed");
    expect(await entryStatus(entry.id)).toBe("booked");
  });

  it("passes an offer not taken to the next in line after the festival's offer time", async () => {
    const { slot } = await artistWithSlot();
    await orders.placeOrder(festivalId, order([item(slot.id)]), context);
    const people = [email(), email(), email()];
    const places = [];
    for (const p of people)
      places.push(await waitlist.joinWaitlist({ slotId: slot.id, email: p, locale: "en" }));
    const [placed] = await rows("SELECT orderId FROM TattooBooking WHERE slotId = ?", [slot.id]);
    const t0 = new Date();
    await payments.cancelOrRefundOrder(null, String(placed!.orderId), t0);
    expect((await waitlist.refillWaitlist(t0)).offered).toBe(1);
    expect(await openOffers(slot.id)).toEqual([places[0]!.id]);
    // Not yet: 19 minutes.
    await waitlist.refillWaitlist(new Date(t0.getTime() + 19 * MINUTE));
    expect(await openOffers(slot.id)).toEqual([places[0]!.id]);
    // 20 minutes: the first passes, the second is offered the slot in the same pass.
    const t1 = new Date(t0.getTime() + 20 * MINUTE);
    expect(await waitlist.refillWaitlist(t1)).toEqual({ expired: 1, offered: 1 });
    expect(await entryStatus(places[0]!.id)).toBe("passed");
    expect(await entryStatus(places[1]!.id)).toBe("offered");
    expect(await openOffers(slot.id)).toEqual([places[1]!.id]);
    expect((await tattoo.slotState(slot.id)).reserved).toBe(1);
    // The first one's link is dead now.
    const [old] = await offersTo(people[0]!);
    await expect(
      orders.placeOrder(festivalId, order([item(slot.id, { offerToken: old!.token })]), {
        ...context,
      }),
    ).rejects.toMatchObject({ status: 422 });
    const view = await waitlist.offerByToken(old!.token);
    expect(view?.state).toBe("gone");
    expect((await waitlist.offerByToken((await offersTo(people[1]!))[0]!.token, t1))?.state).toBe(
      "open",
    );
  });

  it("offers a cancelled booking's slot, and a slot that starts too soon for an offer stays free for walk-ins", async () => {
    const artistId = (await tattoo.createArtistRow(festivalId)).id;
    const day = nextDay();
    const early = await tattoo.createSlotRow(festivalId, artistId, day);
    const late = await tattoo.createSlotRow(
      festivalId,
      artistId,
      new Date(day.getTime() + 2 * 60 * MINUTE),
    );
    const a = await orders.placeOrder(festivalId, order([item(early.id)]), context);
    const b = await orders.placeOrder(festivalId, order([item(late.id)]), context);
    const waiter = await waitlist.joinWaitlist({ slotId: early.id, email: email(), locale: "en" });
    const next = await waitlist.joinWaitlist({ slotId: early.id, email: email(), locale: "en" });
    await payments.cancelOrRefundOrder(null, a.order.id);
    await payments.cancelOrRefundOrder(null, b.order.id);
    // 10 minutes before the early slot starts: too late to offer it, the late one is offered.
    const now = new Date(early.startsAt.getTime() - 10 * MINUTE);
    await waitlist.refillWaitlist(now);
    expect(await openOffers(early.id)).toEqual([]);
    expect(await openOffers(late.id)).toEqual([waiter.id]);
    expect((await tattoo.slotState(early.id)).reserved).toBe(0);
    // A slot the tattoo corner keeps for walk-ins is not offered either.
    const kept = await tattoo.createSlotRow(
      festivalId,
      artistId,
      new Date(day.getTime() + 4 * 60 * MINUTE),
    );
    await db
      .sqlClient()
      .execute({ sql: "UPDATE TattooSlot SET walkInsOnly = 1 WHERE id = ?", args: [kept.id] });
    await waitlist.refillWaitlist(now);
    expect(await openOffers(kept.id)).toEqual([]);
    expect(await entryStatus(next.id)).toBe("waiting");
  });
});

describe("restarts and concurrency", () => {
  it("goes on after a restart, and two passes at once make exactly one offer per slot", async () => {
    const artistId = (await tattoo.createArtistRow(festivalId)).id;
    const slots = await tattoo.createSlotRows(festivalId, artistId, nextDay(), 4);
    const booked = [];
    for (const s of slots)
      booked.push(await orders.placeOrder(festivalId, order([item(s.id)]), context));
    const places = [];
    for (let i = 0; i < 6; i++)
      places.push(
        await waitlist.joinWaitlist({ slotId: slots[0]!.id, email: email(), locale: "en" }),
      );
    const t0 = new Date();
    await payments.cancelOrRefundOrder(null, booked[0]!.order.id, t0);
    await waitlist.refillWaitlist(t0);
    expect(await openOffers(slots[0]!.id)).toEqual([places[0]!.id]);

    // The process stops: a new client and a fresh copy of the module find the state and go on.
    await db.disconnectDatabase();
    vi.resetModules();
    const again = await import("~/models/tattoo-waitlist.server");
    const freshDb = await import("~/utils/db.server");
    const freshPayments = await import("~/models/payment.server");
    for (const o of booked.slice(1)) await freshPayments.cancelOrRefundOrder(null, o.order.id, t0);
    const t1 = new Date(t0.getTime() + 21 * MINUTE);
    // Two passes at once (and a third a moment later).
    // (Other tests' lines share the database: the counts are checked per slot below.)
    await Promise.all([
      again.refillWaitlist(t1),
      again.refillWaitlist(t1),
      again.refillWaitlist(t1),
    ]);
    const open = (
      await freshDb.sqlClient().execute({
        sql: `SELECT slotId, waitlistId FROM TattooOffer WHERE status = 'open' AND slotId IN (${slots.map(() => "?").join(",")})`,
        args: slots.map((s) => s.id),
      })
    ).rows;
    expect(open).toHaveLength(4);
    expect(new Set(open.map((r) => String(r.slotId))).size).toBe(4);
    // The next four in line, each once; the first passed.
    expect(new Set(open.map((r) => String(r.waitlistId)))).toEqual(
      new Set(places.slice(1, 5).map((p) => p.id)),
    );
    for (const s of slots) {
      const [r] = (
        await freshDb.sqlClient().execute({
          sql: "SELECT reserved FROM TattooSlot WHERE id = ?",
          args: [s.id],
        })
      ).rows;
      expect(Number(r!.reserved)).toBe(1);
    }
    const [statuses] = (
      await freshDb.sqlClient().execute({
        sql: `SELECT group_concat(status) AS s FROM (SELECT status FROM TattooWaitlist WHERE artistId = ? ORDER BY createdAt, rowid)`,
        args: [artistId],
      })
    ).rows;
    expect(String(statuses!.s)).toBe("passed,offered,offered,offered,offered,waiting");
    // Offer emails: one per offer made, none doubled.
    const [mails] = (
      await freshDb.sqlClient().execute({
        sql: `SELECT count(*) AS n FROM OutboxEmail WHERE template = 'tattoo-waitlist-offer'
              AND json_extract(payload, '$.offerId') IN (SELECT id FROM TattooOffer WHERE slotId IN (${slots.map(() => "?").join(",")}))`,
        args: slots.map((s) => s.id),
      })
    ).rows;
    expect(Number(mails!.n)).toBe(5);
    db = freshDb;
    payments = freshPayments;
    waitlist = again;
    orders = await import("~/models/order.server");
  });
});

describe("the worker", () => {
  it("runs a pass soon after a kick (a freed slot is offered without waiting for the poll)", async () => {
    const { slot } = await artistWithSlot();
    const held = await orders.placeOrder(festivalId, order([item(slot.id)]), context);
    const place = await waitlist.joinWaitlist({ slotId: slot.id, email: email(), locale: "en" });
    waitlist.startTattooWaitlistWorker(60 * 60_000);
    try {
      await new Promise((r) => setTimeout(r, 300)); // the start's own pass
      await payments.cancelOrRefundOrder(null, held.order.id);
      expect(await openOffers(slot.id)).toEqual([]);
      waitlist.kickTattooWaitlist();
      const deadline = Date.now() + 5_000;
      while ((await openOffers(slot.id)).length === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(await openOffers(slot.id)).toEqual([place.id]);
    } finally {
      await waitlist.stopTattooWaitlistWorker();
    }
    // Stopped: a kick does nothing.
    waitlist.kickTattooWaitlist();
  });
});

describe("joining and leaving", () => {
  it("keeps one place per person and line, whatever the letters or the concurrency", async () => {
    const { slot } = await artistWithSlot();
    await orders.placeOrder(festivalId, order([item(slot.id)]), context);
    const me = email();
    const results = await Promise.all(
      [me, me.toUpperCase(), ` ${me} `, me, me].map((address) =>
        waitlist.joinWaitlist({ slotId: slot.id, email: address, locale: "en" }),
      ),
    );
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(results.every((r) => r.position === 1)).toBe(true);
    const [n] = await rows(
      "SELECT count(*) AS n FROM TattooWaitlist WHERE artistId = (SELECT artistId FROM TattooSlot WHERE id = ?)",
      [slot.id],
    );
    expect(Number(n!.n)).toBe(1);
    const [mails] = await rows(
      `SELECT count(*) AS n FROM OutboxEmail WHERE "to" = ? AND template = 'tattoo-waitlist-joined'`,
      [me],
    );
    expect(Number(mails!.n)).toBe(1);
  });

  it("refuses a place while the artist's day has a free slot (409 slots_available), and a place for an unknown slot", async () => {
    const { slot, artistId } = await artistWithSlot();
    const before = await rows("SELECT count(*) AS n FROM TattooWaitlist");
    await expect(
      waitlist.joinWaitlist({ slotId: slot.id, email: email(), locale: "en" }),
    ).rejects.toMatchObject({ status: 409, code: "slots_available" });
    await expect(
      waitlist.joinWaitlist({
        artistId,
        day: slot.startsAt.toISOString().slice(0, 10),
        email: email(),
        locale: "en",
      }),
    ).rejects.toMatchObject({ status: 409, code: "slots_available" });
    await expect(
      waitlist.joinWaitlist({ slotId: "no-such-slot", email: email(), locale: "en" }),
    ).rejects.toMatchObject({ status: 404 });
    await expect(
      waitlist.joinWaitlist({ slotId: slot.id, email: "not an email", locale: "en" }),
    ).rejects.toMatchObject({ status: 422 });
    // Someone who already holds as many bookings with the artist as allowed cannot wait for more.
    const holder = email("holder");
    const full = await tattoo.createSlotRow(
      festivalId,
      artistId,
      new Date(slot.startsAt.getTime() + 4 * 60 * MINUTE),
    );
    await orders.placeOrder(festivalId, order([item(full.id)], { email: holder }), context);
    await orders.placeOrder(festivalId, order([item(slot.id)]), context);
    await expect(
      waitlist.joinWaitlist({ slotId: slot.id, email: holder, locale: "en" }),
    ).rejects.toMatchObject({ status: 409, code: "tattoo_booking_limit" });
    expect(await rows("SELECT count(*) AS n FROM TattooWaitlist")).toEqual(before);
    // A design with no use left has a line even while slots are free.
    const design = await tattoo.createFlashRow(festivalId, artistId, { maxUses: 1 });
    const other = await tattoo.createSlotRow(
      festivalId,
      artistId,
      new Date(slot.startsAt.getTime() + 2 * 60 * MINUTE),
    );
    await orders.placeOrder(
      festivalId,
      order([item(other.id, { flashDesignId: design.id, donationMinor: 3000 })]),
      context,
    );
    const spare = await tattoo.createSlotRow(
      festivalId,
      artistId,
      new Date(slot.startsAt.getTime() + 6 * 60 * MINUTE),
    );
    const place = await waitlist.joinWaitlist({
      slotId: spare.id,
      flashDesignId: design.id,
      email: email(),
      locale: "en",
    });
    expect(place.created).toBe(true);
    // …and is not offered a slot before the design has a use again.
    await waitlist.refillWaitlist(new Date());
    expect(await openOffers(spare.id)).toEqual([]);
  });

  it("leaving while offered gives the slot to the next in line", async () => {
    const { slot } = await artistWithSlot();
    const held = await orders.placeOrder(festivalId, order([item(slot.id)]), context);
    const first = email();
    const one = await waitlist.joinWaitlist({ slotId: slot.id, email: first, locale: "en" });
    const two = await waitlist.joinWaitlist({ slotId: slot.id, email: email(), locale: "en" });
    await payments.cancelOrRefundOrder(null, held.order.id);
    await waitlist.refillWaitlist();
    expect(await openOffers(slot.id)).toEqual([one.id]);
    const [joined] = await rows(
      `SELECT payload FROM OutboxEmail WHERE "to" = ? AND template = 'tattoo-waitlist-joined'`,
      [first],
    );
    const { token } = JSON.parse(String(joined!.payload)) as { token: string };
    expect(await waitlist.leaveWaitlist("not-the-token")).toBe(false);
    expect(await waitlist.leaveWaitlist(token)).toBe(true);
    expect(await entryStatus(one.id)).toBe("left");
    expect(await openOffers(slot.id)).toEqual([]);
    expect((await tattoo.slotState(slot.id)).reserved).toBe(0);
    await waitlist.refillWaitlist();
    expect(await openOffers(slot.id)).toEqual([two.id]);
    expect(await waitlist.leaveWaitlist(token)).toBe(true);
    expect((await tattoo.slotState(slot.id)).reserved).toBe(1);
  });
});

describe("personal data", () => {
  it("the retention job erases waitlist addresses and their emails with the festival's other personal data", async () => {
    const { createFestivalRow, createUserRow } = await import("../helpers/fixtures");
    const privacy = await import("~/models/privacy.server");
    const ended = new Date(base - 40 * DAY);
    const past = await createFestivalRow({
      status: "published",
      publishedAt: new Date(base - 60 * DAY),
      startsAt: new Date(ended.getTime() - DAY),
      endsAt: ended,
    });
    const artistId = (await tattoo.createArtistRow(past.id)).id;
    const day = ended.toISOString().slice(0, 10);
    const address = email("erase-me");
    const place = await waitlist.joinWaitlist(
      { artistId, day, email: address, locale: "en" },
      new Date(ended.getTime() - 2 * DAY),
    );
    // Another address, erased by an admin on request.
    const { slot } = await artistWithSlot();
    await orders.placeOrder(festivalId, order([item(slot.id)]), context);
    const asked = email("asked");
    const askedPlace = await waitlist.joinWaitlist({ slotId: slot.id, email: asked, locale: "en" });
    const dump = async () =>
      JSON.stringify(await rows("SELECT * FROM TattooWaitlist")) +
      JSON.stringify(await rows("SELECT * FROM OutboxEmail"));
    expect(await dump()).toContain(address);
    expect(await dump()).toContain(asked);

    await privacy.purgeDueFestivals({ now: new Date() });
    expect(await dump()).not.toContain(address);
    const [erased] = await rows("SELECT email, emailKey, status FROM TattooWaitlist WHERE id = ?", [
      place.id,
    ]);
    expect(erased).toMatchObject({ email: null, emailKey: null, status: "left" });
    expect(await dump()).toContain(asked);

    const admin = await createUserRow({ role: "admin" });
    const actor = { ...admin, role: "admin" as const, memberships: [] };
    // The export lists the place; the erasure closes it and forgets the address.
    expect((await privacy.exportPersonalData(actor, asked)).tattooWaitlist).toMatchObject([
      { id: askedPlace.id, status: "waiting" },
    ]);
    const result = await privacy.eraseEmailAddress(actor, asked);
    expect(result).toMatchObject({ waitlistPlaces: 1 });
    expect(await dump()).not.toContain(asked);
    expect(await entryStatus(askedPlace.id)).toBe("left");
    expect((await privacy.exportPersonalData(actor, asked)).tattooWaitlist).toEqual([]);
  });
});
