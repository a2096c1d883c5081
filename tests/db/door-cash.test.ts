// Cash at the door, called directly on a real SQLite file: a door order's
// pledged donation is shown with its first ticket and collected with it (or
// declined), a donation-only order is collected by the order, a cancelled
// part-paid order returns its cash or keeps it as a donation, and the cash
// moves from the device to a treasurer with every difference on the books.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as CashServer from "~/models/cash.server";
import type * as DoorServer from "~/models/door.server";
import type * as LedgerServer from "~/models/ledger.server";
import type * as OrderServer from "~/models/order.server";
import type * as PaymentServer from "~/models/payment.server";
import type { CurrentUser } from "~/utils/auth.server";
import type * as DbServer from "~/utils/db.server";
import { freshTestEnv } from "../helpers/env";
import type * as LedgerHelpers from "../helpers/ledger";

let db: typeof DbServer;
let door: typeof DoorServer;
let cash: typeof CashServer;
let ledger: typeof LedgerServer;
let orders: typeof OrderServer;
let payments: typeof PaymentServer;
let books: typeof LedgerHelpers;
let festivalId: string;
let typeId: string;
let freeTypeId: string;
let prisonerId: string;
let organiser: CurrentUser;
let treasurer: CurrentUser;
let otherTreasurer: CurrentUser;
let n = 0;
const nonce = () => `door-cash-${++n}-${Date.now().toString(36)}`;

const asUser = (u: { id: string; email: string; name: string | null; role: string }) =>
  ({ ...u, locale: null, memberships: [] }) as unknown as CurrentUser;

async function newDevice(name = `Door ${++n}`) {
  const d = await db.prisma.doorDevice.create({
    data: { festivalId, name, tokenHash: `hash-${name}-${n}`, createdById: organiser.id },
  });
  return { id: d.id, festivalId, name: d.name };
}

async function doorOrder(
  quantity: number,
  donation?: { amountMinor: number; prisonerId?: string },
  ticketTypeId = typeId,
) {
  const placed = await orders.placeOrder(
    festivalId,
    orders.checkoutSchema().parse({
      items: quantity ? [{ ticketTypeId, quantity }] : [],
      email: `buyer-${++n}@example.test`,
      name: `Buyer ${n}`,
      paymentMethod: "door",
      ...(donation ? { donation } : {}),
    }),
    { locale: "en", stripeAvailable: false },
  );
  return placed.order;
}

/** An online scan of a ticket at the entrance. */
const scanIn = (device: DoorServer.Device, token: string) =>
  door.scanTicket(device, { token, nonce: nonce(), direction: "in" });

const orderRow = (id: string) => db.prisma.order.findUniqueOrThrow({ where: { id } });

beforeAll(async () => {
  freshTestEnv();
  db = await import("~/utils/db.server");
  door = await import("~/models/door.server");
  cash = await import("~/models/cash.server");
  ledger = await import("~/models/ledger.server");
  orders = await import("~/models/order.server");
  payments = await import("~/models/payment.server");
  books = await import("../helpers/ledger");
  const { createFestivalRow, createPrisonerRow, createUserRow, createTicketTypeRow } =
    await import("../helpers/fixtures");
  const festival = await createFestivalRow({
    status: "published",
    publishedAt: new Date(),
    paymentMethods: JSON.stringify(["door"]),
  });
  festivalId = festival.id;
  typeId = (await createTicketTypeRow(festivalId, 1200, 1000)).id;
  freeTypeId = (await createTicketTypeRow(festivalId, 0, 1000, { "*": "Free" })).id;
  prisonerId = (await createPrisonerRow(`p-${Date.now()}`, { en: "A. Prisoner" }, [festivalId])).id;
  organiser = asUser(await createUserRow({ role: "admin", name: "Org" }));
  treasurer = asUser(await createUserRow({ role: "treasurer", name: "Tess" }));
  otherTreasurer = asUser(await createUserRow({ role: "treasurer", name: "Other" }));
});
afterAll(async () => {
  const check = await ledger.checkLedger();
  expect(check.problems).toEqual([]);
  await db.disconnectDatabase();
});

describe("a door order's pledged donation", () => {
  it("the €44 door order with a €20 earmarked donation → €44 in, €20 to the earmark", async () => {
    const device = await newDevice();
    const order = await doorOrder(2, { amountMinor: 2000, prisonerId });
    const [first, second] = order.tickets;
    // The verdict asks for the ticket and, on its own line, the donation.
    const verdict = await scanIn(device, first!.qrToken);
    expect(verdict).toMatchObject({
      result: "payment_due",
      amountDueMinor: 1200,
      donationDueMinor: 2000,
      currency: "EUR",
    });
    const paid = await door.payAtDoor(device, {
      token: first!.qrToken,
      nonce: nonce(),
      amountMinor: 3200,
    });
    expect(paid.result).toBe("admitted");
    // Only one ticket paid: the order is not "paid" yet, and the donation is not asked twice.
    expect((await orderRow(order.id)).status).toBe("confirmed");
    expect(await scanIn(device, second!.qrToken)).toMatchObject({
      result: "payment_due",
      amountDueMinor: 1200,
    });
    expect((await scanIn(device, second!.qrToken)).donationDueMinor).toBeUndefined();
    await door.payAtDoor(device, { ticketId: second!.id, nonce: nonce(), amountMinor: 1200 });
    expect((await orderRow(order.id)).status).toBe("paid");
    expect(await books.incomeOf(order.id)).toEqual({
      ticket: 2400,
      [`donation:${prisonerId}`]: 2000,
    });
    // All of it in this device's hands.
    const held = await ledger.orderAssets(db.sqlClient(), order.id);
    expect(held).toEqual([
      {
        account: expect.objectContaining({
          code: "door_cash",
          holder: { type: "device", id: device.id },
        }),
        amountMinor: 4400,
      },
    ]);
    // A later refund gives back exactly what came in: €44, €20 of it from the earmark.
    expect(
      await payments.cancelOrRefundOrder(organiser, order.id, new Date(), { cash: "return" }),
    ).toBe("cancelled");
    expect(await books.incomeOf(order.id)).toEqual({});
    const refunds = (await books.ledgerOf(order.id)).filter((l) => l.account === "refunds");
    expect(refunds).toEqual([
      expect.objectContaining({ category: "donation", prisonerId, amountMinor: 2000 }),
      expect.objectContaining({ category: "ticket", amountMinor: 2400 }),
    ]);
  });

  it("a retried payment posts once, and a changed amount is refused with nothing written", async () => {
    const device = await newDevice();
    const order = await doorOrder(1, { amountMinor: 500 });
    const ticket = order.tickets[0]!;
    await expect(
      door.payAtDoor(device, { ticketId: ticket.id, nonce: nonce(), amountMinor: 1200 }),
    ).rejects.toMatchObject({ status: 409 });
    expect(await books.ledgerOf(order.id)).toEqual([]);
    const key = nonce();
    const once = await door.payAtDoor(device, {
      ticketId: ticket.id,
      nonce: key,
      amountMinor: 1700,
    });
    const again = await door.payAtDoor(device, {
      ticketId: ticket.id,
      nonce: key,
      amountMinor: 1700,
    });
    expect(again).toEqual(once);
    expect(await books.incomeOf(order.id)).toEqual({ ticket: 1200, donation: 500 });
  });

  it("cash another door already took is refused (409); this door's own retry is not", async () => {
    const mine = await newDevice();
    const other = await newDevice();
    const order = await doorOrder(1);
    const ticketId = order.tickets[0]!.id;
    await door.payAtDoor(mine, { ticketId, nonce: nonce(), amountMinor: 1200 });
    await expect(
      door.payAtDoor(other, { ticketId, nonce: nonce(), amountMinor: 1200 }),
    ).rejects.toMatchObject({ status: 409 });
    // The same door again, with a new nonce (its first answer was lost): no refusal, no second post.
    expect(
      (await door.payAtDoor(mine, { ticketId, nonce: nonce(), amountMinor: 1200 })).result,
    ).toBe("already_admitted");
    expect(await books.incomeOf(order.id)).toEqual({ ticket: 1200 });
  });

  it("the buyer declines the pledge: the donation leaves the order, audited, never booked", async () => {
    const device = await newDevice();
    const order = await doorOrder(1, { amountMinor: 2000, prisonerId });
    await door.payAtDoor(device, {
      ticketId: order.tickets[0]!.id,
      nonce: nonce(),
      donation: "decline",
      amountMinor: 1200,
    });
    const row = await orderRow(order.id);
    expect(row).toMatchObject({ status: "paid", totalMinor: 1200 });
    expect(
      await db.prisma.orderItem.count({ where: { orderId: order.id, kind: "donation" } }),
    ).toBe(0);
    expect(await books.incomeOf(order.id)).toEqual({ ticket: 1200 });
    const audit = await db.prisma.auditEvent.findFirstOrThrow({
      where: { action: "order.donation.decline", targetId: order.id },
    });
    expect(JSON.parse(audit.details)).toMatchObject({ amountMinor: 2000, deviceId: device.id });
  });

  it("a donation-only door order is collected", async () => {
    const device = await newDevice();
    const order = await doorOrder(0, { amountMinor: 2500, prisonerId });
    expect(order.tickets).toEqual([]);
    // Found by the door search by its code…
    const found = await door.searchTickets(device, order.code);
    expect(found.results).toEqual([]);
    expect(found.donations).toEqual([
      expect.objectContaining({ orderId: order.id, donationDueMinor: 2500, tickets: 0 }),
    ]);
    // …and collected by the order.
    const paid = await door.payOrderAtDoor(device, { orderId: order.id, amountMinor: 2500 });
    expect(paid).toMatchObject({
      result: "donation_collected",
      amountMinor: 2500,
      orderStatus: "paid",
    });
    expect(await books.incomeOf(order.id)).toEqual({ [`donation:${prisonerId}`]: 2500 });
    // A repeat posts nothing and answers the same.
    expect(await door.payOrderAtDoor(device, { orderId: order.id, amountMinor: 2500 })).toEqual(
      paid,
    );
    expect(await books.incomeOf(order.id)).toEqual({ [`donation:${prisonerId}`]: 2500 });
    expect((await door.searchTickets(device, order.code)).donations).toEqual([]);
  });

  it("a buyer's erasure of a donation-only order paid in cash cancels it and keeps the donation", async () => {
    const device = await newDevice();
    const order = await doorOrder(0, { amountMinor: 1100, prisonerId });
    await door.payOrderAtDoor(device, { orderId: order.id, amountMinor: 1100 });
    const { eraseOrderOnRequest } = await import("~/models/privacy.server");
    await eraseOrderOnRequest(order.accessToken);
    expect(await orderRow(order.id)).toMatchObject({ status: "cancelled", email: null });
    expect(await books.incomeOf(order.id)).toEqual({ [`donation:${prisonerId}`]: 1100 });
  });

  it("a declined donation-only order is cancelled and books nothing", async () => {
    const device = await newDevice();
    const order = await doorOrder(0, { amountMinor: 900 });
    expect(
      await door.payOrderAtDoor(device, { orderId: order.id, donation: "decline", amountMinor: 0 }),
    ).toMatchObject({ result: "donation_declined", orderStatus: "cancelled" });
    expect(await books.ledgerOf(order.id)).toEqual([]);
  });
});

describe("a donation pledged beside free tickets", () => {
  const admittedAt = async (ticketId: string) =>
    (await db.prisma.ticket.findUniqueOrThrow({ where: { id: ticketId } })).admittedAt;

  it("is asked by the first ticket's scan, and the ticket is let in once it is paid", async () => {
    const device = await newDevice();
    const order = await doorOrder(2, { amountMinor: 700, prisonerId }, freeTypeId);
    const [first, second] = order.tickets;
    const asked = await scanIn(device, first!.qrToken);
    expect(asked).toMatchObject({
      result: "payment_due",
      amountDueMinor: 0,
      donationDueMinor: 700,
      currency: "EUR",
    });
    // Asked, not admitted: the buyer has not paid what they pledged yet.
    expect(await admittedAt(first!.id)).toBeNull();
    const key = nonce();
    const paid = await door.payAtDoor(device, {
      ticketId: first!.id,
      nonce: key,
      amountMinor: 700,
    });
    expect(paid.result).toBe("admitted");
    expect(
      await door.payAtDoor(device, { ticketId: first!.id, nonce: key, amountMinor: 700 }),
    ).toEqual(paid);
    expect(await orderRow(order.id)).toMatchObject({ status: "paid", totalMinor: 700 });
    expect(await books.incomeOf(order.id)).toEqual({ [`donation:${prisonerId}`]: 700 });
    // Asked once per order: the second free ticket walks in.
    expect((await scanIn(device, second!.qrToken)).result).toBe("admitted");
    // Cancelling it now needs the organiser's choice about the cash taken.
    await expect(payments.cancelOrRefundOrder(organiser, order.id)).rejects.toMatchObject({
      status: 422,
      code: "cash_choice_required",
    });
  });

  it("a wrong amount is refused with nothing written; declined, the ticket is let in and nothing is booked", async () => {
    const device = await newDevice();
    const order = await doorOrder(1, { amountMinor: 900 }, freeTypeId);
    const ticketId = order.tickets[0]!.id;
    await expect(
      door.payAtDoor(device, { ticketId, nonce: nonce(), amountMinor: 500 }),
    ).rejects.toMatchObject({ status: 409 });
    expect(await admittedAt(ticketId)).toBeNull();
    expect(await books.ledgerOf(order.id)).toEqual([]);
    const declined = await door.payAtDoor(device, {
      ticketId,
      nonce: nonce(),
      donation: "decline",
      amountMinor: 0,
    });
    expect(declined.result).toBe("admitted");
    expect(await orderRow(order.id)).toMatchObject({ status: "paid", totalMinor: 0 });
    expect(await books.ledgerOf(order.id)).toEqual([]);
  });

  it("a phone that let the ticket in offline is believed; the donation stays due for the search", async () => {
    const device = await newDevice();
    const order = await doorOrder(1, { amountMinor: 400 }, freeTypeId);
    const ticket = order.tickets[0]!;
    const uploaded = await door.scanTicket(device, {
      token: ticket.qrToken,
      nonce: nonce(),
      direction: "in",
      offline: true,
      offlineResult: "admitted",
      scannedAt: new Date(Date.now() - 60_000),
    });
    expect(uploaded.result).toBe("admitted");
    expect((await door.searchTickets(device, order.code)).donations).toEqual([
      expect.objectContaining({ orderId: order.id, donationDueMinor: 400, tickets: 1 }),
    ]);
    expect(
      await door.payOrderAtDoor(device, { orderId: order.id, amountMinor: 400 }),
    ).toMatchObject({ result: "donation_collected", orderStatus: "paid" });
  });
});

describe("the migration 20261202010000_cash_custody", () => {
  it("turns door orders marked paid with their donation never collected back to confirmed", async () => {
    const sql = fs.readFileSync(
      path.join(process.cwd(), "prisma/migrations/20261202010000_cash_custody/migration.sql"),
      "utf8",
    );
    const fix = sql.slice(sql.indexOf('UPDATE "Order"'));
    const device = await newDevice();
    // As the old scanner left it: both tickets paid, the order "paid", the donation never taken.
    const legacy = await doorOrder(1, { amountMinor: 2000, prisonerId });
    await db.sqlClient().execute({
      sql: `UPDATE Ticket SET amountDueMinor = 0 WHERE orderId = ?`,
      args: [legacy.id],
    });
    await db.sqlClient().execute({
      sql: `UPDATE "Order" SET status = 'paid', paidAt = ? WHERE id = ?`,
      args: [db.sqlDate(new Date()), legacy.id],
    });
    // A door order that really is paid in full stays paid.
    const whole = await doorOrder(1, { amountMinor: 300 });
    await door.payAtDoor(device, { ticketId: whole.tickets[0]!.id, nonce: nonce() });
    await db.sqlClient().executeMultiple(fix);
    expect((await orderRow(legacy.id)).status).toBe("confirmed");
    expect((await orderRow(whole.id)).status).toBe("paid");
    // The door can now collect the pledge.
    expect(
      await door.payOrderAtDoor(device, { orderId: legacy.id, amountMinor: 2000 }),
    ).toMatchObject({ result: "donation_collected", orderStatus: "paid" });
  });
});

describe("cancelling a part-paid door order", () => {
  async function partPaid(device: Awaited<ReturnType<typeof newDevice>>) {
    const order = await doorOrder(2, { amountMinor: 2000, prisonerId });
    await door.payAtDoor(device, {
      ticketId: order.tickets[0]!.id,
      nonce: nonce(),
      amountMinor: 3200,
    });
    return order;
  }

  it("needs the organiser's choice once cash was taken, and refuses one when none was", async () => {
    const device = await newDevice();
    const order = await partPaid(device);
    await expect(payments.cancelOrRefundOrder(organiser, order.id)).rejects.toMatchObject({
      status: 422,
    });
    expect((await orderRow(order.id)).status).toBe("confirmed");
    const unpaid = await doorOrder(1);
    await expect(
      payments.cancelOrRefundOrder(organiser, unpaid.id, new Date(), { cash: "return" }),
    ).rejects.toMatchObject({ status: 422 });
    // Without cash taken, cancelling posts nothing.
    expect(await payments.cancelOrRefundOrder(organiser, unpaid.id)).toBe("cancelled");
    expect(await books.ledgerOf(unpaid.id)).toEqual([]);
  });

  it("a part-paid door order cancelled: cash returned", async () => {
    const device = await newDevice();
    const order = await partPaid(device);
    await payments.cancelOrRefundOrder(organiser, order.id, new Date(), { cash: "return" });
    expect(await books.incomeOf(order.id)).toEqual({});
    // The €32 leaves the device that took it.
    expect(await ledger.orderAssets(db.sqlClient(), order.id)).toEqual([]);
    const out = (await books.ledgerOf(order.id)).filter((l) => l.entry === "refund");
    expect(out).toContainEqual(
      expect.objectContaining({
        account: "door_cash",
        holder: `device:${device.id}`,
        amountMinor: -3200,
      }),
    );
  });

  it("a part-paid door order cancelled: cash kept as a donation", async () => {
    const device = await newDevice();
    const order = await partPaid(device);
    await payments.cancelOrRefundOrder(organiser, order.id, new Date(), {
      cash: "keep_as_donation",
    });
    expect((await orderRow(order.id)).status).toBe("cancelled");
    // The ticket's €12 is now an unearmarked donation; the earmarked €20 keeps its earmark.
    expect(await books.incomeOf(order.id)).toEqual({
      donation: 1200,
      [`donation:${prisonerId}`]: 2000,
    });
    expect(await cash.doorCashTaken(db.sqlClient(), order.id)).toBe(3200);
    const audit = await db.prisma.auditEvent.findFirstOrThrow({
      where: { action: "order.cancel", targetId: order.id },
    });
    expect(JSON.parse(audit.details)).toMatchObject({ cash: "keep_as_donation" });
  });
});

describe("cash custody", () => {
  async function deviceWithCash(amountMinor: number) {
    const device = await newDevice();
    const order = await doorOrder(0, { amountMinor });
    await door.payOrderAtDoor(device, { orderId: order.id, amountMinor });
    return device;
  }

  const balance = async (code: string, holderId: string) =>
    (await ledger.festivalBalances(festivalId))
      .filter((b) => b.code === code && b.holder?.id === holderId)
      .reduce((s, b) => s + b.balanceMinor, 0);

  it("a handover with a shortfall: the difference is on the books, the treasurer confirms", async () => {
    const device = await deviceWithCash(5000);
    const holders = await cash.cashHolders(festivalId);
    expect(holders).toContainEqual(
      expect.objectContaining({
        code: "door_cash",
        balanceMinor: 5000,
        device: expect.objectContaining({
          id: device.id,
          setUpBy: expect.objectContaining({ id: organiser.id }),
        }),
      }),
    );
    const handover = await cash.recordHandover(
      organiser,
      { id: festivalId, currency: "EUR" },
      { deviceId: device.id, treasurerId: treasurer.id, expectedMinor: 5000, countedMinor: 4800 },
    );
    expect(handover).toMatchObject({
      expectedMinor: 5000,
      countedMinor: 4800,
      differenceMinor: -200,
      status: "in_transit",
    });
    expect(await balance("door_cash", device.id)).toBe(0);
    expect(await balance("cash_in_transit", treasurer.id)).toBe(4800);
    const confirmed = await cash.confirmHandover(treasurer, handover.id);
    expect(confirmed).toMatchObject({ status: "confirmed", confirmedBy: { id: treasurer.id } });
    expect(await balance("cash_in_transit", treasurer.id)).toBe(0);
    expect(await balance("treasurer_cash", treasurer.id)).toBe(4800);
    // Confirming again changes nothing.
    await cash.confirmHandover(treasurer, handover.id);
    expect(await balance("treasurer_cash", treasurer.id)).toBe(4800);
    const summary = ledger.summarize(await ledger.festivalBalances(festivalId)).EUR!;
    expect(summary.cashDifference).toBeGreaterThanOrEqual(200);
    expect(
      await db.prisma.auditEvent.count({
        where: {
          targetId: handover.id,
          action: { in: ["cash.handover.record", "cash.handover.confirm"] },
        },
      }),
    ).toBe(2);
  });

  it("the wrong person cannot confirm, and refused handovers write nothing", async () => {
    const device = await deviceWithCash(3000);
    const before = await db.prisma.cashHandover.count();
    const refuse = (input: Partial<CashServer.HandoverInput>) =>
      cash.recordHandover(
        organiser,
        { id: festivalId, currency: "EUR" },
        {
          deviceId: device.id,
          treasurerId: treasurer.id,
          expectedMinor: 3000,
          countedMinor: 3000,
          ...input,
        },
      );
    await expect(refuse({ treasurerId: organiser.id })).rejects.toMatchObject({ status: 422 });
    await expect(refuse({ deviceId: "no-such-device" })).rejects.toMatchObject({ status: 422 });
    await expect(refuse({ expectedMinor: 2000 })).rejects.toMatchObject({ status: 409 });
    expect(await db.prisma.cashHandover.count()).toBe(before);
    const handover = await refuse({});
    for (const who of [otherTreasurer, organiser])
      await expect(cash.confirmHandover(who, handover.id)).rejects.toMatchObject({ status: 403 });
    expect((await cash.listHandovers(festivalId, { id: handover.id }))[0]!.status).toBe(
      "in_transit",
    );
    await expect(refuse({ expectedMinor: 0 })).rejects.toMatchObject({ status: 409 });
  });
});
