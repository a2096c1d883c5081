// placeOrder with an idempotency key, called directly on a real SQLite file:
// however N submissions of the same checkout interleave, exactly one order
// exists, its places are held once, and every submission answers with it.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as DbServer from "~/utils/db.server";
import type * as OrderServer from "~/models/order.server";
import { freshTestEnv } from "../helpers/env";

let db: typeof DbServer;
let orders: typeof OrderServer;
let festivalId: string;
let typeId: string;
let keys = 0;

beforeAll(async () => {
  freshTestEnv();
  db = await import("~/utils/db.server");
  orders = await import("~/models/order.server");
  const { createFestivalRow, createTicketTypeRow } = await import("../helpers/fixtures");
  const festival = await createFestivalRow({
    status: "published",
    publishedAt: new Date(),
    paymentMethods: JSON.stringify(["door"]),
  });
  festivalId = festival.id;
  typeId = (await createTicketTypeRow(festivalId, 1000, 10_000)).id;
});
afterAll(() => db.disconnectDatabase());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("placeOrder with an idempotency key", () => {
  it("makes one order out of any interleaving of N duplicate submissions", async () => {
    await fc.assert(
      fc.asyncProperty(
        // Each submission starts after its own delay (ms): every order of arrival occurs.
        fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 2, maxLength: 8 }),
        fc.integer({ min: 1, max: 5 }),
        fc.boolean(),
        async (delays, quantity, withDonation) => {
          const key = `property-key-${++keys}-${Date.now()}`;
          const input = orders.checkoutSchema().parse({
            items: [{ ticketTypeId: typeId, quantity }],
            email: `buyer-${keys}@example.test`,
            paymentMethod: "door",
            ...(withDonation ? { donation: { amountMinor: 500 } } : {}),
          });
          const before = await db.prisma.ticketType.findUniqueOrThrow({ where: { id: typeId } });
          const results = await Promise.all(
            delays.map(async (ms) => {
              await sleep(ms);
              return orders.placeOrder(festivalId, input, {
                locale: "en",
                stripeAvailable: false,
                idempotencyKey: key,
              });
            }),
          );
          const ids = new Set(results.map((r) => r.order.id));
          expect(ids.size).toBe(1);
          expect(results.filter((r) => !r.replayed)).toHaveLength(1);
          const [id] = [...ids];
          expect(results.every((r) => r.order.tickets.length === quantity)).toBe(true);
          expect(await db.prisma.order.count({ where: { email: input.email } })).toBe(1);
          expect(await db.prisma.ticket.count({ where: { orderId: id } })).toBe(quantity);
          expect(await db.prisma.orderItem.count({ where: { orderId: id } })).toBe(
            withDonation ? 2 : 1,
          );
          const after = await db.prisma.ticketType.findUniqueOrThrow({ where: { id: typeId } });
          expect(after.reserved - before.reserved).toBe(quantity);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("refuses the same key with another request, and keeps the first order as it was", async () => {
    const base = {
      items: [{ ticketTypeId: typeId, quantity: 1 }],
      email: "changed-mind@example.test",
      paymentMethod: "door",
    };
    const context = {
      locale: "en" as const,
      stripeAvailable: false,
      idempotencyKey: "changed-mind-key-1",
    };
    const first = await orders.placeOrder(festivalId, orders.checkoutSchema().parse(base), context);
    const changed = orders.checkoutSchema().parse({
      ...base,
      items: [{ ticketTypeId: typeId, quantity: 2 }],
    });
    await expect(orders.placeOrder(festivalId, changed, context)).rejects.toMatchObject({
      status: 422,
      code: "idempotency_key_reused",
    });
    expect(await db.prisma.order.count({ where: { email: base.email } })).toBe(1);
    expect(await db.prisma.ticket.count({ where: { orderId: first.order.id } })).toBe(1);
  });
});
