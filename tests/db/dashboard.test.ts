// The dashboard's figures (app/models/dashboard.server.ts) against a real
// SQLite file, with orders, door payments, cancellations, costs, an
// allocation, tattoo bookings and check-ins made through the domain modules:
//
//   - one festival's figures, each against what was done to it;
//   - under random sales (door and card holds, cancellations, payments at the
//     door; fast-check), per ticket type and per quota sold never exceeds
//     capacity (nor sold + held), the types' sold add up to the tickets of the
//     festival's fulfilled orders, sales per day add up to them too, and the
//     revenue per currency is the sum of the ledger's income postings;
//   - the overview groups festivals by country and city with their totals.
import fs from "node:fs";
import fc from "fast-check";
import { DateTime } from "luxon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as Dashboard from "~/models/dashboard.server";
import type * as DoorServer from "~/models/door.server";
import type * as LedgerServer from "~/models/ledger.server";
import type * as OrderServer from "~/models/order.server";
import type * as PaymentServer from "~/models/payment.server";
import type { CurrentUser } from "~/utils/auth.server";
import type * as DbServer from "~/utils/db.server";
import { freshTestEnv, type TestEnv } from "../helpers/env";
import type * as Fixtures from "../helpers/fixtures";
import type * as Tattoo from "../helpers/tattoo";
import type { MoneyUser } from "../helpers/treasury";

let env: TestEnv;
let db: typeof DbServer;
let dashboard: typeof Dashboard;
let door: typeof DoorServer;
let ledger: typeof LedgerServer;
let orders: typeof OrderServer;
let payments: typeof PaymentServer;
let fixtures: typeof Fixtures;
let tattoo: typeof Tattoo;
let organiser: CurrentUser;
let treasurer: MoneyUser;
let n = 0;
const nonce = () => `dash-${++n}-${Date.now().toString(36)}`;
const HOUR = 3_600_000;

beforeAll(async () => {
  env = freshTestEnv({ PAYOUT_APPROVALS: "1" });
  db = await import("~/utils/db.server");
  dashboard = await import("~/models/dashboard.server");
  door = await import("~/models/door.server");
  ledger = await import("~/models/ledger.server");
  orders = await import("~/models/order.server");
  payments = await import("~/models/payment.server");
  fixtures = await import("../helpers/fixtures");
  tattoo = await import("../helpers/tattoo");
  const { createMoneyUser } = await import("../helpers/treasury");
  const row = await fixtures.createUserRow({ name: "Olga Organiser" });
  organiser = { ...row, role: "member", locale: null, memberships: [] };
  treasurer = await createMoneyUser({ name: "Tess Treasurer" });
});
afterAll(async () => {
  expect((await ledger.checkLedger()).problems).toEqual([]);
  await db.disconnectDatabase();
  fs.rmSync(env.dir, { recursive: true, force: true });
});

/** A festival on now (its check-ins are live), selling at the door and by card. */
async function runningFestival(
  overrides: { timezone?: string; city?: string; country?: string } = {},
) {
  const now = Date.now();
  return fixtures.createFestivalRow({
    status: "published",
    publishedAt: new Date(now - 48 * HOUR),
    startsAt: new Date(now - 2 * HOUR),
    endsAt: new Date(now + 6 * HOUR),
    paymentMethods: JSON.stringify(["door", "stripe", "free"]),
    timezone: overrides.timezone ?? "Europe/Riga",
    ...(overrides.city ? { city: overrides.city } : {}),
    ...(overrides.country ? { country: overrides.country } : {}),
  });
}

async function ticketType(
  festivalId: string,
  priceMinor: number,
  capacity: number,
  quotaId?: string,
) {
  return db.prisma.ticketType.create({
    data: {
      festivalId,
      name: JSON.stringify({ en: `Type ${++n}`, ru: `Тип ${n}` }),
      priceMinor,
      capacity,
      quotaId: quotaId ?? null,
      position: n,
    },
  });
}

async function buy(
  festivalId: string,
  items: { ticketTypeId: string; quantity: number }[],
  options: {
    method?: "door" | "stripe" | "free";
    donation?: { amountMinor: number; prisonerId?: string };
  } = {},
) {
  const placed = await orders.placeOrder(
    festivalId,
    orders.checkoutSchema().parse({
      items,
      email: `buyer-${++n}@example.test`,
      name: `Buyer ${n}`,
      paymentMethod: options.method ?? "door",
      ...(options.donation ? { donation: options.donation } : {}),
    }),
    { locale: "en", stripeAvailable: true },
  );
  return placed.order;
}

/**
 * Pay a ticket at the door (its price and any pledged donation) and let its holder in:
 * the last verdict, and the cash taken (minor units).
 */
async function payAndAdmit(device: DoorServer.Device, qrToken: string) {
  const scanned = await door.scanTicket(device, {
    token: qrToken,
    nonce: nonce(),
    direction: "in",
  });
  if (scanned.result !== "payment_due") return { verdict: scanned, takenMinor: 0 };
  const due = (scanned.amountDueMinor ?? 0) + (scanned.donationDueMinor ?? 0);
  const verdict = await door.payAtDoor(device, {
    token: qrToken,
    nonce: nonce(),
    amountMinor: due,
  });
  return { verdict, takenMinor: due };
}

/**
 * Take all a door order owes and let its holders in, as door staff do: each ticket's scan
 * asks its price and, with the first, the pledged donation (a free ticket's too); anything
 * the scans left (nothing, unless a ticket was let in offline) is collected by the order.
 * Returns the cash taken, in minor units.
 */
async function collectAtDoor(device: DoorServer.Device, order: OrderServer.PlacedOrder) {
  let takenMinor = 0;
  for (const ticket of order.tickets)
    takenMinor += (await payAndAdmit(device, ticket.qrToken)).takenMinor;
  return takenMinor + (await door.payOrderAtDoor(device, { orderId: order.id })).amountMinor;
}

async function newDevice(festivalId: string) {
  const d = await db.prisma.doorDevice.create({
    data: {
      festivalId,
      name: `Door ${++n}`,
      tokenHash: `dash-hash-${n}-${Date.now()}`,
      createdById: organiser.id,
    },
  });
  return { id: d.id, festivalId, name: d.name };
}

/** Net income per currency, summed here straight from the postings of the festival's income accounts. */
async function ledgerIncome(festivalId: string) {
  const { rows } = await db.sqlClient().execute({
    sql: `SELECT p.currency, -SUM(p.amountMinor) AS net FROM LedgerPosting p
          JOIN LedgerAccount a ON a.id = p.accountId
          WHERE a.festivalId = ? AND a.type = 'income' GROUP BY p.currency`,
    args: [festivalId],
  });
  return Object.fromEntries(rows.map((r) => [String(r.currency), Number(r.net)]));
}

/** Tickets of the festival's fulfilled orders, counted from the order lines. */
async function fulfilledTickets(festivalId: string) {
  const { rows } = await db.sqlClient().execute({
    sql: `SELECT COALESCE(SUM(i.quantity), 0) AS n FROM OrderItem i JOIN "Order" o ON o.id = i.orderId
          WHERE o.festivalId = ? AND i.kind = 'ticket' AND o.status IN ('confirmed', 'paid')`,
    args: [festivalId],
  });
  return Number(rows[0]!.n);
}

const sumCurrencies = (days: { income: Record<string, number> }[]) => {
  const out: Record<string, number> = {};
  for (const d of days) for (const [c, v] of Object.entries(d.income)) out[c] = (out[c] ?? 0) + v;
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== 0));
};

describe("one festival's dashboard", () => {
  it("shows what was sold, paid, spent, booked, routed and checked in", async () => {
    // Kathmandu is UTC+05:45: the day a ticket was sold on is the festival's, not UTC's.
    const festival = await runningFestival({ timezone: "Asia/Kathmandu" });
    const quota = await db.prisma.quota.create({
      data: { festivalId: festival.id, name: "Main hall", capacity: 5 },
    });
    const a = await ticketType(festival.id, 1000, 4, quota.id);
    const b = await ticketType(festival.id, 1200, 4, quota.id);
    const c = await ticketType(festival.id, 1500, 3);
    const p1 = await fixtures.createPrisonerRow(
      `dash-p1-${Date.now()}`,
      { en: "Ihar Losik", ru: "Игорь Лосик" },
      [festival.id],
    );
    const p2 = await fixtures.createPrisonerRow(`dash-p2-${Date.now()}`, { en: "Maria K." }, [
      festival.id,
    ]);

    const first = await buy(festival.id, [{ ticketTypeId: a.id, quantity: 2 }], {
      donation: { amountMinor: 2000, prisonerId: p1.id },
    });
    await buy(festival.id, [{ ticketTypeId: b.id, quantity: 2 }]);
    const cancelled = await buy(festival.id, [{ ticketTypeId: c.id, quantity: 1 }]);
    const held = await buy(festival.id, [{ ticketTypeId: a.id, quantity: 1 }], {
      method: "stripe",
    });
    expect(held.status).toBe("pending");
    // The quota is full now (2 + 2 sold, 1 held): one more is refused.
    await expect(buy(festival.id, [{ ticketTypeId: b.id, quantity: 1 }])).rejects.toThrow();
    await payments.cancelOrRefundOrder(organiser, cancelled.id);

    const device = await newDevice(festival.id);
    expect((await payAndAdmit(device, first.tickets[0]!.qrToken)).verdict.result).toBe("admitted");
    // Card money in another currency, booked straight in the ledger.
    await db.sqlClient().batch(
      ledger.entryStatements({
        id: `test:dash-rub:${festival.id}`,
        festivalId: festival.id,
        kind: "payment",
        at: new Date(),
        postings: ledger.moneyInPostings(
          { festivalId: festival.id, currency: "RUB", code: "stripe_balance" },
          [{ category: "ticket", amountMinor: 50_000 }],
        ),
      }),
      "write",
    );

    // Costs: one paid, one still waiting.
    const costs = await import("~/models/festival-costs.server");
    const paidCost = await costs.submitCost(
      organiser,
      festival,
      costs.costInput.parse({
        category: "venue",
        amountMinor: 300,
        currency: "EUR",
        description: "Hall",
      }),
      null,
    );
    await costs.approveCost(treasurer.actor, paidCost.id);
    await costs.payCost(treasurer.actor, paidCost.id, { reference: "SEPA 1" });
    await costs.submitCost(
      organiser,
      festival,
      costs.costInput.parse({
        category: "printing",
        amountMinor: 700,
        currency: "EUR",
        description: "Posters",
      }),
      null,
    );
    // The rest split equally between the two prisoners.
    const allocation = await import("~/models/allocation.server");
    await allocation.setAllocationRule(treasurer.actor, festival.id, {
      equal: true,
      generalPercent: 0,
    });
    const moved = (await allocation.allocate(treasurer.actor, festival.id)).allocated;

    // Tattoo: one artist, three slots, one booked and one held.
    const artist = (await tattoo.createArtistRow(festival.id, { name: "Fine Line" })).id;
    const slots = await tattoo.createSlotRows(festival.id, artist, new Date(Date.now() + HOUR), 3);
    await tattoo.bookSlotDirectly(slots[0]!.id, { status: "booked" });
    await tattoo.bookSlotDirectly(slots[1]!.id, { status: "held" });

    const figures = await dashboard.festivalDashboard(festival, { locale: "ru", money: true });
    expect(figures.live).toBe(true);
    expect(figures.tickets.types.map((t) => [t.name, t.sold, t.held, t.capacity])).toEqual([
      [`Тип ${a.position}`, 2, 1, 4],
      [`Тип ${b.position}`, 2, 0, 4],
      [`Тип ${c.position}`, 0, 0, 3],
    ]);
    expect(figures.tickets.quotas).toEqual([
      { id: quota.id, name: "Main hall", capacity: 5, sold: 4, held: 1 },
    ]);
    expect(figures.tickets).toMatchObject({ capacity: 8, sold: 4, held: 1 });

    const today = DateTime.now().setZone("Asia/Kathmandu").toISODate();
    expect(figures.salesPerDay.map((d) => [d.day, d.tickets])).toEqual([[today, 4]]);

    const money = figures.money!;
    expect(money.revenue).toEqual([
      {
        currency: "EUR",
        netMinor: 3000,
        feesMinor: 0,
        lines: [
          { family: "ticket", grossMinor: 1000, refundedMinor: 0, netMinor: 1000 },
          { family: "donation", grossMinor: 2000, refundedMinor: 0, netMinor: 2000 },
        ],
      },
      {
        currency: "RUB",
        netMinor: 50_000,
        feesMinor: 0,
        lines: [{ family: "ticket", grossMinor: 50_000, refundedMinor: 0, netMinor: 50_000 }],
      },
    ]);
    expect(await ledgerIncome(festival.id)).toEqual({ EUR: 3000, RUB: 50_000 });
    expect(sumCurrencies(figures.salesPerDay)).toEqual({ EUR: 3000, RUB: 50_000 });
    expect(money.donations).toEqual([
      {
        currency: "EUR",
        netMinor: 2000,
        earmarks: [{ prisonerId: p1.id, name: "Игорь Лосик", netMinor: 2000 }],
      },
    ]);
    expect(money.costs).toEqual([
      {
        currency: "EUR",
        paidMinor: 300,
        pendingMinor: 700,
        lines: [
          { category: "venue", paidMinor: 300, pendingMinor: 0 },
          { category: "printing", paidMinor: 0, pendingMinor: 700 },
        ],
      },
    ]);
    // Routed: the earmarked donation as it was paid, then what the allocation moved.
    const routedTo = (currency: string, prisonerId: string | null) =>
      money.routed
        .find((r) => r.currency === currency)
        ?.prisoners.find((p) => p.prisonerId === prisonerId)?.amountMinor ?? 0;
    const movedTo = (currency: string, prisonerId: string | null) =>
      moved
        .filter((m) => m.currency === currency && m.fund === prisonerId)
        .reduce((s, m) => s + m.amountMinor, 0);
    expect(moved.length).toBeGreaterThan(0);
    expect(routedTo("EUR", p1.id)).toBe(2000 + movedTo("EUR", p1.id));
    expect(routedTo("EUR", p2.id)).toBe(movedTo("EUR", p2.id));
    expect(routedTo("RUB", p2.id)).toBe(movedTo("RUB", p2.id));
    const summary = ledger.summarize(await ledger.festivalBalances(festival.id));
    for (const r of money.routed) {
      expect(r.totalMinor).toBe(summary[r.currency]!.allocated);
      expect(r.unallocatedMinor).toBe(summary[r.currency]!.unallocated);
      expect(r.prisoners.reduce((s, p) => s + p.amountMinor, 0)).toBe(r.totalMinor);
    }

    expect(figures.tattoo).toEqual([
      { id: artist, name: "Fine Line", slots: 3, booked: 1, held: 1, money: {} },
    ]);
    expect(figures.checkIns).toMatchObject({ checkedIn: 1, inside: 1, sold: 4 });
    expect(figures.checkIns.bins.reduce((s, bin) => s + bin.count, 0)).toBe(1);

    // Without the money permission, no ledger figure leaves the model.
    const plain = await dashboard.festivalDashboard(festival, { locale: "en", money: false });
    expect(plain.money).toBeNull();
    expect(plain.salesPerDay.every((d) => Object.keys(d.income).length === 0)).toBe(true);
    expect(plain.tickets).toEqual({ ...figures.tickets, types: plain.tickets.types });
  });

  it("is not live before the festival starts, and lists empty days between sales", async () => {
    const festival = await fixtures.createFestivalRow({
      status: "published",
      publishedAt: new Date(),
    });
    const figures = await dashboard.festivalDashboard(festival, { locale: "en", money: true });
    expect(figures.live).toBe(false);
    expect(figures.salesPerDay).toEqual([]);
    expect(figures.tickets).toEqual({ types: [], quotas: [], capacity: 0, sold: 0, held: 0 });
    expect(figures.money).toEqual({ revenue: [], donations: [], costs: [], routed: [] });

    const type = await ticketType(festival.id, 500, 10);
    const order = await buy(festival.id, [{ ticketTypeId: type.id, quantity: 1 }]);
    await buy(festival.id, [{ ticketTypeId: type.id, quantity: 2 }]);
    // The first ticket issued three days earlier, at 00:30 in Riga: the day before in UTC.
    const riga = DateTime.now()
      .setZone("Europe/Riga")
      .minus({ days: 3 })
      .set({ hour: 0, minute: 30 });
    expect(riga.toUTC().toISODate()).not.toBe(riga.toISODate());
    await db.prisma.ticket.updateMany({
      where: { orderId: order.id },
      data: { createdAt: riga.toJSDate() },
    });
    const later = await dashboard.salesPerDay(festival.id, "Europe/Riga");
    expect(later[0]).toEqual({ day: riga.toISODate(), tickets: 1, income: {} });
    expect(later).toHaveLength(4);
    expect(later.at(-1)!.tickets).toBe(2);
    // Every day in between is there, empty.
    const days = later.map((d) => d.day);
    expect(new Set(days).size).toBe(days.length);
    expect(DateTime.fromISO(days.at(-1)!).diff(DateTime.fromISO(days[0]!), "days").days).toBe(
      days.length - 1,
    );
  });
});

describe("under random sales", () => {
  type Command =
    | { kind: "buy"; type: number; quantity: number; card: boolean; donation: number }
    | { kind: "cancel"; order: number }
    | { kind: "pay"; order: number };

  const command: fc.Arbitrary<Command> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant("buy" as const), type: fc.nat(2), quantity: fc.integer({ min: 1, max: 3 }), card: fc.boolean(), donation: fc.constantFrom(0, 0, 700) }) }, // prettier-ignore
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant("cancel" as const), order: fc.nat(20) }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("pay" as const), order: fc.nat(20) }) },
  );

  const method = (totalMinor: number, card: boolean) =>
    totalMinor === 0 ? "free" : card ? "stripe" : "door";

  it("never shows more sold than capacity, and its sums are the orders' and the ledger's", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          quota: fc.integer({ min: 1, max: 6 }),
          caps: fc.tuple(
            fc.integer({ min: 1, max: 5 }),
            fc.integer({ min: 1, max: 5 }),
            fc.integer({ min: 1, max: 4 }),
          ),
          commands: fc.array(command, { minLength: 1, maxLength: 12 }),
        }),
        async ({ quota: quotaCapacity, caps, commands }) => {
          const festival = await runningFestival();
          const quota = await db.prisma.quota.create({
            data: { festivalId: festival.id, name: "Shared", capacity: quotaCapacity },
          });
          const types = [
            await ticketType(festival.id, 1000, caps[0], quota.id),
            await ticketType(festival.id, 0, caps[1], quota.id),
            await ticketType(festival.id, 1500, caps[2]),
          ];
          const device = await newDevice(festival.id);
          const placed: OrderServer.PlacedOrder[] = [];
          /** Orders whose tickets were paid in cash at the door (cancelling them returns the cash). */
          const cashTaken = new Set<string>();
          for (const cmd of commands) {
            if (cmd.kind === "buy") {
              try {
                placed.push(
                  await buy(
                    festival.id,
                    [{ ticketTypeId: types[cmd.type]!.id, quantity: cmd.quantity }],
                    {
                      method: method(
                        types[cmd.type]!.priceMinor * cmd.quantity + cmd.donation,
                        cmd.card,
                      ),
                      ...(cmd.donation ? { donation: { amountMinor: cmd.donation } } : {}),
                    },
                  ),
                );
              } catch (error) {
                if (!(error instanceof orders.SoldOutError)) throw error;
              }
            } else {
              const order = placed[cmd.order % Math.max(1, placed.length)];
              if (!order) continue;
              const status = (await db.prisma.order.findUniqueOrThrow({ where: { id: order.id } }))
                .status;
              if (cmd.kind === "cancel" && ["confirmed", "pending", "paid"].includes(status))
                await payments.cancelOrRefundOrder(
                  organiser,
                  order.id,
                  new Date(),
                  cashTaken.has(order.id) ? { cash: "return" } : {},
                );
              if (cmd.kind === "pay" && status === "confirmed" && order.totalMinor > 0) {
                if ((await collectAtDoor(device, order)) > 0) cashTaken.add(order.id);
              }
            }
          }
          const figures = await dashboard.festivalDashboard(festival, {
            locale: "en",
            money: true,
          });
          const { tickets } = figures;
          for (const t of tickets.types) {
            expect(t.sold).toBeLessThanOrEqual(t.capacity);
            expect(t.sold + t.held).toBeLessThanOrEqual(t.capacity);
          }
          const [shared] = tickets.quotas;
          expect(shared!.sold + shared!.held).toBeLessThanOrEqual(quotaCapacity);
          expect(shared!.sold).toBe(tickets.types[0]!.sold + tickets.types[1]!.sold);
          const sold = tickets.types.reduce((s, t) => s + t.sold, 0);
          expect(sold).toBe(await fulfilledTickets(festival.id));
          expect(tickets.sold).toBe(sold);
          expect(figures.checkIns.sold).toBe(sold);
          expect(figures.salesPerDay.reduce((s, d) => s + d.tickets, 0)).toBe(sold);
          const income = await ledgerIncome(festival.id);
          const revenue = Object.fromEntries(
            figures.money!.revenue.map((c) => [c.currency, c.netMinor]),
          );
          // A currency whose sales were all given back shows, with its net of 0 (found by
          // the property: a door sale paid and cancelled); compared without the zeros.
          const nonZero = (m: Record<string, number>) =>
            Object.fromEntries(Object.entries(m).filter(([, v]) => v !== 0));
          expect(Object.keys(revenue).sort()).toEqual(Object.keys(income).sort());
          expect(nonZero(revenue)).toEqual(nonZero(income));
          expect(sumCurrencies(figures.salesPerDay)).toEqual(nonZero(revenue));
          for (const c of figures.money!.revenue)
            expect(c.lines.reduce((s, l) => s + l.netMinor, 0)).toBe(c.netMinor);
          expect(figures.checkIns.checkedIn).toBe(
            figures.checkIns.bins.reduce((s, b) => s + b.count, 0),
          );
        },
      ),
      {
        numRuns: 12,
        examples: [
          // Found by CI: a free ticket with a pledged donation, paid at the door and cancelled.
          [
            {
              quota: 1,
              caps: [1, 1, 1],
              commands: [
                { kind: "buy", type: 1, quantity: 1, card: false, donation: 700 },
                { kind: "pay", order: 0 },
                { kind: "cancel", order: 0 },
                { kind: "buy", type: 0, quantity: 1, card: false, donation: 0 },
              ],
            },
          ],
        ],
      },
    );
  });
});

describe("the overview", () => {
  it("groups festivals by country and city, each with its totals and each group's", async () => {
    const code = `Q${String.fromCharCode(65 + (Date.now() % 26))}`; // a country code no other test uses
    const one = await runningFestival({ city: "Porto", country: code });
    const two = await runningFestival({ city: "Porto", country: code });
    const three = await runningFestival({ city: "Lisbon", country: code });
    for (const [f, quantity] of [
      [one, 2],
      [two, 1],
      [three, 3],
    ] as const) {
      const type = await ticketType(f.id, 1000, 10);
      const order = await buy(f.id, [{ ticketTypeId: type.id, quantity }]);
      const device = await newDevice(f.id);
      await payAndAdmit(device, order.tickets[0]!.qrToken);
    }
    const { countries, totals } = await dashboard.festivalsOverview();
    const country = countries.find((c) => c.country === code)!;
    expect(country.cities.map((c) => c.city)).toEqual(["Lisbon", "Porto"]);
    const porto = country.cities[1]!;
    expect(porto.festivals.map((f) => f.id).sort()).toEqual([one.id, two.id].sort());
    expect(porto.totals).toMatchObject({
      festivals: 2,
      sold: 3,
      capacity: 20,
      checkedIn: 2,
      net: { EUR: 2000 },
    });
    expect(country.totals).toMatchObject({
      festivals: 3,
      sold: 6,
      capacity: 30,
      checkedIn: 3,
      net: { EUR: 3000 },
    });
    // The grand totals are every festival's, and each festival's net is its ledger's.
    const all = countries.flatMap((c) => c.cities.flatMap((city) => city.festivals));
    expect(totals.festivals).toBe(all.length);
    expect(totals.sold).toBe(all.reduce((s, f) => s + f.sold, 0));
    for (const f of [one, two, three]) {
      const row = all.find((x) => x.id === f.id)!;
      expect(row.net).toEqual(await ledgerIncome(f.id));
    }
  });
});
