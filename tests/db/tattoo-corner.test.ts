// The tattoo corner, called directly on a real SQLite file: the day's board,
// done, no-show and its release (to the waitlist or kept for walk-ins), the
// donation collected in cash into the staff member's custody and the order paid
// only once nothing is due anywhere, a collection posted once, a wrong amount
// refused, a linked artist kept to their own board, walk-ins by cash (no
// minimum notice at the corner) and by card, and the corner's cash handed over.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as DbServer from "~/utils/db.server";
import type * as OrderServer from "~/models/order.server";
import type * as CornerServer from "~/models/tattoo-corner.server";
import type * as CashServer from "~/models/cash.server";
import type * as DoorServer from "~/models/door.server";
import type * as LedgerServer from "~/models/ledger.server";
import type { CurrentUser } from "~/utils/auth.server";
import { freshTestEnv } from "../helpers/env";
import type * as LedgerHelpers from "../helpers/ledger";
import { startStripeFake, type StripeFake, stripeTestEnv } from "../helpers/stripe-fake";
import type * as Tattoo from "../helpers/tattoo";

let db: typeof DbServer;
let orders: typeof OrderServer;
let corner: typeof CornerServer;
let cash: typeof CashServer;
let door: typeof DoorServer;
let ledger: typeof LedgerServer;
let books: typeof LedgerHelpers;
let tattoo: typeof Tattoo;
let fake: StripeFake;
let festivalId: string;
let typeId: string;
let artistId: string;
let otherArtistId: string;
let prisonerId: string;
let organiser: CurrentUser;
let doorStaff: CurrentUser;
let artistUser: CurrentUser;
let treasurer: CurrentUser;

const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;
const minute = () => Math.floor(Date.now() / 60_000) * 60_000;
const soon = (ms: number) => new Date(minute() + ms);
let n = 0;
const email = () => `corner-${++n}@example.test`;

function asUser(
  u: { id: string; email: string; name: string | null; role: string },
  memberships: CurrentUser["memberships"] = [],
) {
  return { ...u, locale: null, memberships } as unknown as CurrentUser;
}

beforeAll(async () => {
  fake = await startStripeFake();
  freshTestEnv({
    ...stripeTestEnv(fake, "whsec_test_tattoo_corner"),
    PUBLIC_URL: "http://festivals.example.test",
  });
  db = await import("~/utils/db.server");
  orders = await import("~/models/order.server");
  corner = await import("~/models/tattoo-corner.server");
  cash = await import("~/models/cash.server");
  door = await import("~/models/door.server");
  ledger = await import("~/models/ledger.server");
  books = await import("../helpers/ledger");
  tattoo = await import("../helpers/tattoo");
  const { createFestivalRow, createTicketTypeRow, createPrisonerRow, createUserRow } =
    await import("../helpers/fixtures");
  const festival = await createFestivalRow({
    status: "published",
    publishedAt: new Date(),
    paymentMethods: JSON.stringify(["stripe", "door"]),
    startsAt: soon(-DAY),
    endsAt: soon(10 * DAY),
  });
  festivalId = festival.id;
  typeId = (await createTicketTypeRow(festivalId, 1200, 10_000)).id;
  prisonerId = (await createPrisonerRow(`corner-${Date.now()}`, { en: "A prisoner" }, [festivalId]))
    .id;
  organiser = asUser(await createUserRow({ name: "Org" }), [{ festivalId, role: "organiser" }]);
  doorStaff = asUser(await createUserRow({ name: "Dora" }), [{ festivalId, role: "door" }]);
  const linked = await createUserRow({ name: "Inka" });
  artistUser = asUser(linked, [{ festivalId, role: "artist" }]);
  treasurer = asUser(await createUserRow({ role: "treasurer", name: "Tess" }));
  artistId = (
    await tattoo.createArtistRow(festivalId, { name: "Ink", prisonerId, userId: linked.id })
  ).id;
  otherArtistId = (await tattoo.createArtistRow(festivalId, { name: "Other" })).id;
});

afterAll(async () => {
  const check = await ledger.checkLedger();
  expect(check.problems).toEqual([]);
  await db.disconnectDatabase();
  await fake.close();
});

const context = { locale: "en" as const, stripeAvailable: true };

async function book(
  slotId: string,
  options: {
    donationMinor?: number;
    ticket?: boolean;
    name?: string;
    paymentMethod?: "door" | "stripe";
    flashDesignId?: string;
  } = {},
) {
  const placed = await orders.placeOrder(
    festivalId,
    orders.checkoutSchema().parse({
      email: email(),
      ...(options.name ? { name: options.name } : {}),
      paymentMethod: options.paymentMethod ?? "door",
      items: [
        ...(options.ticket ? [{ ticketTypeId: typeId, quantity: 1 }] : []),
        {
          kind: "tattoo_slot",
          tattooSlotId: slotId,
          donationMinor: options.donationMinor ?? 2500,
          ...(options.flashDesignId ? { flashDesignId: options.flashDesignId } : {}),
        },
      ],
    }),
    context,
  );
  const bookingId = placed.lines.find((l) => l.kind === "tattoo_slot")!.itemId;
  return { order: placed.order, bookingId };
}

async function rows(sql: string, args: (string | number)[] = []) {
  return (await db.sqlClient().execute({ sql, args })).rows;
}

async function orderStatus(orderId: string) {
  return String((await rows(`SELECT status FROM "Order" WHERE id = ?`, [orderId]))[0]!.status);
}

async function audits(action: string, targetId: string) {
  return Number(
    (
      await rows("SELECT count(*) AS n FROM AuditEvent WHERE action = ? AND targetId = ?", [
        action,
        targetId,
      ])
    )[0]!.n,
  );
}

async function refused(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return error as { status: number; code: string };
  }
  throw new Error("expected a refusal");
}

describe("the day's board", () => {
  it("lists the artist's slots in order with their state, design or custom, due and the booker's name", async () => {
    // 08:00 UTC, three days ahead: the three slots stay on one local day whenever the suite runs.
    const today = new Date();
    const day = new Date(
      Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate(), 8) + 3 * DAY,
    );
    const [a, b, c] = await tattoo.createSlotRows(festivalId, artistId, day, 3);
    const design = await tattoo.createFlashRow(festivalId, artistId, { title: "Swallow" });
    const booked = await book(a!.id, {
      name: "Rosa L.",
      flashDesignId: design.id,
      donationMinor: 3500,
    });
    await book(b!.id, { paymentMethod: "stripe" });
    const { timezone } = (
      await rows("SELECT timezone FROM Festival WHERE id = ?", [festivalId])
    )[0] as unknown as { timezone: string };
    const localDay = new Intl.DateTimeFormat("en-CA", { timeZone: timezone }).format(day);
    const board = await corner.cornerBoard(organiser, festivalId, localDay, { artistId });
    expect(board.day).toBe(localDay);
    expect(board.artists.map((x) => x.name)).toEqual(["Ink", "Other"]);
    const slots = board.boards[0]!.slots;
    expect(slots.slice(0, 3).map((s) => s.id)).toEqual([a!.id, b!.id, c!.id]);
    expect(slots[0]).toMatchObject({
      state: "booked",
      booking: {
        id: booked.bookingId,
        orderCode: booked.order.code,
        name: "Rosa L.",
        design: "Swallow",
        donationMinor: 3500,
        dueMinor: 3500,
        payAtFestival: true,
      },
    });
    // A card booking still paying holds its slot: held.
    expect(slots[1]).toMatchObject({ state: "held", booking: { design: null, dueMinor: 0 } });
    expect(slots[2]).toMatchObject({ state: "free", booking: null });
  });

  it("a linked artist sees only their own artist, and another artist's board is unknown", async () => {
    const board = await corner.cornerBoard(artistUser, festivalId);
    expect(board.artists.map((a) => a.id)).toEqual([artistId]);
    expect(board.boards.map((b) => b.artist.id)).toEqual([artistId]);
    expect(
      await refused(
        corner.cornerBoard(artistUser, festivalId, undefined, { artistId: otherArtistId }),
      ),
    ).toMatchObject({ status: 404 });
    // An artist account linked to no artist of the festival sees nothing.
    const { createUserRow } = await import("../helpers/fixtures");
    const unlinked = asUser(await createUserRow(), [{ festivalId, role: "artist" }]);
    expect(await refused(corner.cornerBoard(unlinked, festivalId))).toMatchObject({ status: 403 });
    const stranger = asUser(await createUserRow());
    expect(await refused(corner.cornerBoard(stranger, festivalId))).toMatchObject({ status: 404 });
  });

  it("refuses a day that is not a date", () => {
    expect(() => corner.parseDay("2026-13-45")).toThrow();
    expect(() => corner.parseDay("'; DROP TABLE")).toThrow();
    expect(corner.parseDay("2026-06-13")).toBe("2026-06-13");
  });
});

describe("done, no-show, release", () => {
  it("marks a booking done: it keeps its slot; again answers the same", async () => {
    const slot = await tattoo.createSlotRow(festivalId, artistId, soon(4 * DAY));
    const { bookingId } = await book(slot.id);
    const done = await corner.markDone(doorStaff, bookingId);
    expect(done.status).toBe("done");
    expect(await tattoo.slotState(slot.id)).toEqual({
      reserved: 1,
      bookings: [{ status: "done", holdsSlot: 1 }],
    });
    await corner.markDone(doorStaff, bookingId);
    expect(await audits("tattoo.booking.done", bookingId)).toBe(1);
    // Done is not a no-show.
    expect(await refused(corner.markNoShow(doorStaff, bookingId))).toMatchObject({ status: 409 });
  });

  it("a no-show keeps the slot until released to the waitlist, which frees it", async () => {
    const slot = await tattoo.createSlotRow(festivalId, artistId, soon(4 * DAY + 2 * HOUR));
    const { bookingId, order } = await book(slot.id);
    const noShow = await corner.markNoShow(organiser, bookingId);
    expect(noShow).toMatchObject({ status: "no_show", dueMinor: 0 });
    expect(await tattoo.slotState(slot.id)).toEqual({
      reserved: 1,
      bookings: [{ status: "no_show", holdsSlot: 1 }],
    });
    // Its reminder is not sent.
    const [reminder] = await rows(
      "SELECT e.status FROM OutboxEmail e JOIN TattooBooking b ON b.reminderEmailId = e.id WHERE b.orderItemId = ?",
      [bookingId],
    );
    expect(reminder?.status).toBe("cancelled");
    const released = await corner.releaseBooking(organiser, bookingId, "waitlist");
    expect(released).toMatchObject({
      status: "no_show",
      slot: { reserved: 0, walkInsOnly: false },
    });
    expect(await tattoo.slotState(slot.id)).toEqual({
      reserved: 0,
      bookings: [{ status: "no_show", holdsSlot: 0 }],
    });
    expect(await refused(corner.releaseBooking(organiser, bookingId, "waitlist"))).toMatchObject({
      status: 409,
    });
    expect(await audits("tattoo.booking.release", bookingId)).toBe(1);
    // Nothing was collected: the order owes nothing but is not "paid".
    expect(await orderStatus(order.id)).toBe("confirmed");
    expect(await books.ledgerOf(order.id)).toEqual([]);
  });

  it("released to walk-ins, the slot is kept for the corner (walkInsOnly) and books a walk-in", async () => {
    const slot = await tattoo.createSlotRow(festivalId, artistId, soon(4 * DAY + 4 * HOUR));
    const design = await tattoo.createFlashRow(festivalId, artistId, { maxUses: 1 });
    const { bookingId } = await book(slot.id, { flashDesignId: design.id, donationMinor: 3000 });
    await corner.markNoShow(doorStaff, bookingId);
    await corner.releaseBooking(doorStaff, bookingId, "walk_ins");
    const [s] = await rows("SELECT reserved, walkInsOnly FROM TattooSlot WHERE id = ?", [slot.id]);
    expect(s).toMatchObject({ reserved: 0, walkInsOnly: 1 });
    // The design's use went back with the slot (through the item kind).
    const [d] = await rows("SELECT reserved FROM FlashDesign WHERE id = ?", [design.id]);
    expect(Number(d!.reserved)).toBe(0);
    const walkIn = await corner.bookWalkIn(
      doorStaff,
      festivalId,
      { tattooSlotId: slot.id, donationMinor: 3000, email: email(), payment: "cash" },
      context,
    );
    expect(walkIn.booking).toMatchObject({ status: "booked", walkIn: true, dueMinor: 0 });
    const board = await corner.cornerBoard(doorStaff, festivalId, undefined, { artistId });
    expect(board.artistId).toBe(artistId);
  });

  it("refuses done or no-show for a booking that is not booked (a card still paying)", async () => {
    const slot = await tattoo.createSlotRow(festivalId, artistId, soon(4 * DAY + 6 * HOUR));
    const { bookingId } = await book(slot.id, { paymentMethod: "stripe" });
    expect(await refused(corner.markDone(organiser, bookingId))).toMatchObject({ status: 409 });
    expect(await refused(corner.markNoShow(organiser, bookingId))).toMatchObject({ status: 409 });
    expect(await refused(corner.markDone(organiser, "no-such-booking"))).toMatchObject({
      status: 404,
    });
  });
});

describe("collecting the donation at the corner", () => {
  it("posts Dr door_cash[staff] / Cr tattoo.<artist> with the earmark; paid only when the ticket is paid too", async () => {
    const slot = await tattoo.createSlotRow(festivalId, artistId, soon(5 * DAY));
    const { bookingId, order } = await book(slot.id, { ticket: true, donationMinor: 2500 });
    const collected = await corner.collectDonation(doorStaff, bookingId, 2500);
    expect(collected.dueMinor).toBe(0);
    expect(await books.ledgerOf(order.id)).toEqual([
      expect.objectContaining({
        entry: "cash",
        kind: "payment",
        account: "door_cash",
        holder: `user:${doorStaff.id}`,
        amountMinor: 2500,
      }),
      expect.objectContaining({
        entry: "cash",
        account: "income",
        category: `tattoo.${artistId}`,
        prisonerId,
        amountMinor: -2500,
      }),
      // Earmarked: in the prisoner's fund as soon as it is paid (decision 0033).
      expect.objectContaining({
        entry: "cash",
        account: "allocated",
        prisonerId,
        amountMinor: 2500,
      }),
      expect.objectContaining({ entry: "cash", account: "fund", prisonerId, amountMinor: -2500 }),
    ]);
    // The ticket's price is still due at the door.
    expect(await orderStatus(order.id)).toBe("confirmed");
    const ticket = order.tickets[0]!;
    const device = await db.prisma.doorDevice.create({
      data: {
        festivalId,
        name: `Door ${++n}`,
        tokenHash: `hash-corner-${n}`,
        createdById: organiser.id,
      },
    });
    await door.payAtDoor(
      { id: device.id, festivalId, name: device.name },
      { ticketId: ticket.id, nonce: `corner-door-${n}-${Date.now()}` },
    );
    expect(await orderStatus(order.id)).toBe("paid");
  });

  it("the door paying the ticket first leaves the order unpaid while the tattoo is due", async () => {
    const slot = await tattoo.createSlotRow(festivalId, artistId, soon(5 * DAY + 2 * HOUR));
    const { bookingId, order } = await book(slot.id, { ticket: true, donationMinor: 2000 });
    const device = await db.prisma.doorDevice.create({
      data: {
        festivalId,
        name: `Door ${++n}`,
        tokenHash: `hash-corner-${n}`,
        createdById: organiser.id,
      },
    });
    await door.payAtDoor(
      { id: device.id, festivalId, name: device.name },
      { ticketId: order.tickets[0]!.id, nonce: `corner-door-${n}-${Date.now()}` },
    );
    expect(await orderStatus(order.id)).toBe("confirmed");
    await corner.collectDonation(organiser, bookingId, 2000);
    expect(await orderStatus(order.id)).toBe("paid");
  });

  it("the same collection twice posts one entry; another amount is a 409 with nothing written", async () => {
    const slot = await tattoo.createSlotRow(festivalId, artistId, soon(5 * DAY + 4 * HOUR));
    const { bookingId, order } = await book(slot.id, { donationMinor: 2700 });
    expect(await refused(corner.collectDonation(doorStaff, bookingId, 2600))).toMatchObject({
      status: 409,
      code: "amount_changed",
    });
    expect(await books.ledgerOf(order.id)).toEqual([]);
    await corner.collectDonation(doorStaff, bookingId, 2700);
    const again = await corner.collectDonation(doorStaff, bookingId, 2700);
    expect(again.dueMinor).toBe(0);
    // door cash and income, and the earmark's mirror (allocated / fund)
    expect(await books.ledgerOf(order.id)).toHaveLength(4);
    expect(await books.incomeOf(order.id)).toEqual({ [`tattoo.${artistId}:${prisonerId}`]: 2700 });
    expect(await refused(corner.collectDonation(doorStaff, bookingId, 100))).toMatchObject({
      status: 409,
    });
    expect(await audits("tattoo.booking.collect", bookingId)).toBe(1);
    // A tattoo-only order is paid once its donation is in.
    expect(await orderStatus(order.id)).toBe("paid");
  });

  it("refuses to collect for a booking paid by card", async () => {
    const slot = await tattoo.createSlotRow(festivalId, artistId, soon(5 * DAY + 6 * HOUR));
    const { bookingId } = await book(slot.id, { paymentMethod: "stripe" });
    expect(await refused(corner.collectDonation(organiser, bookingId, 2500))).toMatchObject({
      status: 409,
    });
  });
});

describe("a linked artist runs only their own board", () => {
  it("cannot mark, release, collect or book another artist's booking or slot (403)", async () => {
    const other = await tattoo.createSlotRow(festivalId, otherArtistId, soon(6 * DAY));
    const { bookingId, order } = await book(other.id);
    for (const attempt of [
      corner.markDone(artistUser, bookingId),
      corner.markNoShow(artistUser, bookingId),
      corner.releaseBooking(artistUser, bookingId, "walk_ins"),
      corner.collectDonation(artistUser, bookingId, 2500),
    ])
      expect(await refused(attempt)).toMatchObject({ status: 403 });
    const free = await tattoo.createSlotRow(festivalId, otherArtistId, soon(6 * DAY + 2 * HOUR));
    expect(
      await refused(
        corner.bookWalkIn(
          artistUser,
          festivalId,
          { tattooSlotId: free.id, donationMinor: 2500, email: email(), payment: "cash" },
          context,
        ),
      ),
    ).toMatchObject({ status: 403 });
    expect(await tattoo.slotState(other.id)).toEqual({
      reserved: 1,
      bookings: [{ status: "booked", holdsSlot: 1 }],
    });
    expect(await books.ledgerOf(order.id)).toEqual([]);
    expect(await tattoo.slotState(free.id)).toEqual({ reserved: 0, bookings: [] });
  });

  it("runs their own: done and collect", async () => {
    const own = await tattoo.createSlotRow(festivalId, artistId, soon(6 * DAY + 4 * HOUR));
    const { bookingId } = await book(own.id, { donationMinor: 2100 });
    await corner.collectDonation(artistUser, bookingId, 2100);
    expect((await corner.markDone(artistUser, bookingId)).status).toBe("done");
  });
});

describe("walk-ins", () => {
  it("a cash walk-in ignores the minimum notice, is collected at once, and its cash is handed over", async () => {
    // Inside the slot's 10-hour online notice: refused online, fine at the corner.
    const slot = await tattoo.createSlotRow(festivalId, otherArtistId, soon(2 * HOUR), {
      minNoticeMinutes: 600,
    });
    await expect(
      orders.placeOrder(
        festivalId,
        orders.checkoutSchema().parse({
          email: email(),
          paymentMethod: "door",
          items: [{ kind: "tattoo_slot", tattooSlotId: slot.id, donationMinor: 2000 }],
        }),
        context,
      ),
    ).rejects.toMatchObject({ status: 422 });
    const { createUserRow } = await import("../helpers/fixtures");
    const staff = asUser(await createUserRow({ name: "Cash Carl" }), [
      { festivalId, role: "door" },
    ]);
    const input = {
      tattooSlotId: slot.id,
      donationMinor: 2000,
      email: email(),
      name: "Walk In",
      payment: "cash" as const,
    };
    const walkIn = await corner.bookWalkIn(staff, festivalId, input, {
      ...context,
      idempotencyKey: "walk-in-key-0001",
    });
    expect(walkIn).toMatchObject({ orderStatus: "paid", booking: { walkIn: true, dueMinor: 0 } });
    expect(walkIn.checkoutUrl).toBeUndefined();
    // The same request again (a double tap): the same order, nothing posted twice.
    const again = await corner.bookWalkIn(staff, festivalId, input, {
      ...context,
      idempotencyKey: "walk-in-key-0001",
    });
    expect(again).toMatchObject({ orderId: walkIn.orderId, replayed: true });
    expect(await books.ledgerOf(walkIn.orderId)).toHaveLength(2);
    const held = (await cash.cashHolders(festivalId)).find(
      (h) => h.code === "door_cash" && h.user?.id === staff.id,
    );
    expect(held).toMatchObject({ balanceMinor: 2000, device: null, user: { name: "Cash Carl" } });
    const handover = await cash.recordHandover(
      organiser,
      { id: festivalId, currency: "EUR" },
      { userId: staff.id, treasurerId: treasurer.id, expectedMinor: 2000, countedMinor: 1900 },
    );
    expect(handover).toMatchObject({
      holder: { id: staff.id },
      device: null,
      expectedMinor: 2000,
      differenceMinor: -100,
    });
    const after = (await cash.cashHolders(festivalId)).find(
      (h) => h.code === "door_cash" && h.user?.id === staff.id,
    );
    expect(after?.balanceMinor).toBe(0);
    const money = await cash.festivalMoney(festivalId, "en");
    const eur = money.currencies.find((c) => c.currency === "EUR")!;
    expect(eur.treasurers.map((t) => t.user.id)).toEqual([treasurer.id]);
    // Nothing is left to hand over.
    expect(
      await refused(
        cash.recordHandover(
          organiser,
          { id: festivalId, currency: "EUR" },
          { userId: staff.id, treasurerId: treasurer.id, expectedMinor: 0, countedMinor: 0 },
        ),
      ),
    ).toMatchObject({ status: 409, code: "no_cash" });
  });

  it("a handover names one holder: a device or a person", () => {
    expect(
      cash.handoverInput.safeParse({
        deviceId: "dev",
        userId: "usr",
        treasurerId: "t",
        expectedMinor: 1,
        countedMinor: 1,
      }).success,
    ).toBe(false);
    expect(
      cash.handoverInput.safeParse({ treasurerId: "t", expectedMinor: 1, countedMinor: 1 }).success,
    ).toBe(false);
  });

  it("a card walk-in gets a Stripe Checkout address and holds the slot while paying", async () => {
    const slot = await tattoo.createSlotRow(festivalId, otherArtistId, soon(3 * HOUR));
    const walkIn = await corner.bookWalkIn(
      doorStaff,
      festivalId,
      { tattooSlotId: slot.id, donationMinor: 2500, email: email(), payment: "card" },
      context,
    );
    expect(walkIn.checkoutUrl).toMatch(/^https?:\/\//);
    expect(walkIn.orderStatus).toBe("pending");
    expect(await tattoo.slotState(slot.id)).toEqual({
      reserved: 1,
      bookings: [{ status: "held", holdsSlot: 1 }],
    });
  });

  it("a walk-in into a taken slot is a 409, a donation below the minimum a 422 on donationMinor", async () => {
    const slot = await tattoo.createSlotRow(festivalId, otherArtistId, soon(4 * HOUR));
    await book(slot.id);
    expect(
      await refused(
        corner.bookWalkIn(
          doorStaff,
          festivalId,
          { tattooSlotId: slot.id, donationMinor: 2500, email: email(), payment: "cash" },
          context,
        ),
      ),
    ).toMatchObject({ status: 409 });
    const free = await tattoo.createSlotRow(festivalId, otherArtistId, soon(5 * HOUR));
    const low = (await refused(
      corner.bookWalkIn(
        doorStaff,
        festivalId,
        { tattooSlotId: free.id, donationMinor: 10, email: email(), payment: "cash" },
        context,
      ),
    )) as { status: number; fields?: Record<string, string> };
    expect(low.status).toBe(422);
    expect(Object.keys(low.fields ?? {})).toEqual(["donationMinor"]);
    expect(await tattoo.slotState(free.id)).toEqual({ reserved: 0, bookings: [] });
  });
});
