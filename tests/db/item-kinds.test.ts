// The item-kind registry, shown with a kind that exists only in this test: a
// "test_merch" line with its own stock table. Nothing in order or payment code
// knows it, yet it is priced, held, released on hold expiry and cancellation,
// sold out under its own CHECK, put on Stripe, fulfilled, booked under its own
// ledger category, refunded and written to the CSV — all through the registry.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type Stripe from "stripe";
import type * as DbServer from "~/utils/db.server";
import type * as Kinds from "~/models/item-kinds/index.server";
import type * as OrderServer from "~/models/order.server";
import type * as PaymentServer from "~/models/payment.server";
import type * as ExportsServer from "~/models/exports.server";
import { freshTestEnv } from "../helpers/env";
import { startStripeFake, type StripeFake, stripeTestEnv } from "../helpers/stripe-fake";
import { parseCsv } from "../helpers/csv";
import { toCsv } from "~/utils/csv.server";

let db: typeof DbServer;
let kinds: typeof Kinds;
let orders: typeof OrderServer;
let payments: typeof PaymentServer;
let exportsServer: typeof ExportsServer;
let fake: StripeFake;
let festivalId: string;

const MERCH_PRICE = 700;

async function stock() {
  const { rows } = await db
    .sqlClient()
    .execute("SELECT reserved FROM TestStock WHERE id = 'shirts'");
  return Number(rows[0]!.reserved);
}

beforeAll(async () => {
  fake = await startStripeFake();
  freshTestEnv({
    ...stripeTestEnv(fake, "whsec_test_item_kinds"),
    PUBLIC_URL: "http://festivals.example.test",
  });
  db = await import("~/utils/db.server");
  kinds = await import("~/models/item-kinds/index.server");
  orders = await import("~/models/order.server");
  payments = await import("~/models/payment.server");
  exportsServer = await import("~/models/exports.server");
  const { createFestivalRow } = await import("../helpers/fixtures");
  festivalId = (
    await createFestivalRow({
      status: "published",
      publishedAt: new Date(),
      paymentMethods: JSON.stringify(["stripe", "door"]),
    })
  ).id;
  // The kind's own table, with the same kind of capacity CHECK tickets have.
  await db.sqlClient().execute(
    `CREATE TABLE TestStock (id TEXT PRIMARY KEY, capacity INTEGER NOT NULL, reserved INTEGER NOT NULL,
       CONSTRAINT TestStock_reserved_within_capacity CHECK (reserved >= 0 AND reserved <= capacity))`,
  );
  await db.sqlClient().execute("INSERT INTO TestStock VALUES ('shirts', 5, 0)");
  kinds.registerItemKind({
    kind: "test_merch",
    category: "merch",
    input: {
      merch: z
        .object({ quantity: z.number().int().min(1).max(5) })
        .strict()
        .optional(),
    },
    requested: (input) => input.merch !== undefined,
    price: ({ input }) => {
      const merch = input.merch as { quantity: number } | undefined;
      return Promise.resolve(
        merch
          ? [
              {
                itemId: `merch-${Math.random().toString(36).slice(2)}`,
                kind: "test_merch",
                quantity: merch.quantity,
                unitPriceMinor: MERCH_PRICE,
                amountMinor: MERCH_PRICE * merch.quantity,
                ticketTypeId: null,
                quotaId: null,
                prisonerId: null,
                label: "Shirt",
              },
            ]
          : [],
      );
    },
    reserve: (lines, sign) => [
      {
        sql: "UPDATE TestStock SET reserved = reserved + ? WHERE id = 'shirts'",
        args: [sign * lines.reduce((n, l) => n + l.quantity, 0)],
      },
    ],
    stripeLineItems: (lines, { festival }) =>
      lines.map((l) => ({
        quantity: l.quantity,
        price_data: {
          currency: festival.currency.toLowerCase(),
          unit_amount: l.unitPriceMinor,
          product_data: { name: `${festival.name}: ${l.label}` },
        },
      })),
    csvColumns: { merch_quantity: (lines) => lines.reduce((n, l) => n + l.quantity, 0) },
  });
});

afterAll(async () => {
  kinds.unregisterItemKind("test_merch");
  await db.disconnectDatabase();
  await fake.close();
});

const context = () => ({ locale: "en" as const, stripeAvailable: true });

async function placeCardOrder(quantity: number, now = new Date()) {
  const input = orders.checkoutSchema().parse({
    email: "merch@example.test",
    paymentMethod: "stripe",
    merch: { quantity },
  });
  const placed = await orders.placeOrder(festivalId, input, { ...context(), now });
  const url = await payments.cardCheckoutUrl(placed);
  return { placed, url };
}

async function pay(orderId: string) {
  const session = [...fake.sessions.values()].find((s) => s.metadata.order_id === orderId)!;
  const completed = fake.completeSession(session.id);
  const event = fake.event("checkout.session.completed", completed);
  return payments.applyStripeEvent(event as unknown as Stripe.Event);
}

async function incomeByCategory(orderId: string) {
  const { rows } = await db.sqlClient().execute({
    sql: `SELECT a.code, a.category, SUM(p.amountMinor) AS amount FROM LedgerEntry e
          JOIN LedgerPosting p ON p.entryId = e.id JOIN LedgerAccount a ON a.id = p.accountId
          WHERE e.orderId = ? AND a.type = 'income' GROUP BY a.code, a.category ORDER BY a.code`,
    args: [orderId],
  });
  return rows.map((r) => [String(r.code), String(r.category), Number(r.amount)]);
}

describe("a kind only this test knows", () => {
  it("is part of the checkout request, and an unknown field still is not", () => {
    const schema = orders.checkoutSchema();
    expect(
      schema.safeParse({ email: "a@example.test", paymentMethod: "stripe", merch: { quantity: 2 } })
        .success,
    ).toBe(true);
    expect(
      schema.safeParse({ email: "a@example.test", paymentMethod: "stripe", merch: { quantity: 9 } })
        .success,
    ).toBe(false);
    expect(
      schema.safeParse({ email: "a@example.test", paymentMethod: "stripe", stickers: 1 }).success,
    ).toBe(false);
  });

  it("is held while the buyer pays, goes on Stripe by its own name, and is released when the hold ends", async () => {
    const start = new Date();
    const { placed, url } = await placeCardOrder(3, start);
    expect(url).toMatch(/^http/);
    expect(placed.order).toMatchObject({ status: "pending", totalMinor: 3 * MERCH_PRICE });
    expect(await stock()).toBe(3);
    const session = [...fake.sessions.values()].find(
      (s) => s.metadata.order_id === placed.order.id,
    )!;
    expect(fake.lineItems.get(session.id)!.map((l) => [l.description, l.quantity])).toEqual([
      [expect.stringContaining(": Shirt"), 3],
    ]);
    const released = await payments.expireDueHolds(
      new Date(start.getTime() + (orders.HOLD_MINUTES + 1) * 60_000),
    );
    expect(released).toBeGreaterThanOrEqual(1);
    expect(await stock()).toBe(0);
  });

  it("sells out under its own capacity check: a clean SoldOutError, nothing written", async () => {
    const { placed } = await placeCardOrder(5);
    expect(await stock()).toBe(5);
    const before = await db.prisma.order.count();
    await expect(placeCardOrder(1)).rejects.toBeInstanceOf(orders.SoldOutError);
    expect(await db.prisma.order.count()).toBe(before);
    await payments.cancelOrRefundOrder(null, placed.order.id);
    expect(await stock()).toBe(0);
  });

  it("is fulfilled, booked under its own category, refunded exactly, and released", async () => {
    const { placed } = await placeCardOrder(2);
    expect(await pay(placed.order.id)).toBe("fulfilled");
    expect(await stock()).toBe(2);
    expect(await incomeByCategory(placed.order.id)).toEqual([["income", "merch", -1400]]);
    await payments.cancelOrRefundOrder(null, placed.order.id);
    expect(await incomeByCategory(placed.order.id)).toEqual([
      ["income", "merch", -1400],
      ["refunds", "merch", 1400],
    ]);
    expect(await stock()).toBe(0);
  });

  it("adds its own column to the orders CSV", async () => {
    const festival = await db.prisma.festival.findUniqueOrThrow({ where: { id: festivalId } });
    const table = await exportsServer.festivalExportTable("orders", festival, "en");
    const csv = parseCsv(toCsv(table.columns, table.rows));
    expect(csv[0]).toContain("merch_quantity");
    const col = csv[0]!.indexOf("merch_quantity");
    expect(csv.slice(1).map((row) => row[col])).toContain("2");
  });
});
