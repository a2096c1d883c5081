// The currency lock from both sides, called directly: updateFestival refuses a
// new currency once there is an order, and placeOrder refuses to write an order
// whose prices were read in a currency that changed before its write.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as DbServer from "~/utils/db.server";
import type * as OrderServer from "~/models/order.server";
import type * as FestivalServer from "~/models/festival.server";
import { DomainError } from "~/utils/domain-error";
import { freshTestEnv } from "../helpers/env";

let db: typeof DbServer;
let orders: typeof OrderServer;
let festivals: typeof FestivalServer;
let n = 0;

beforeAll(async () => {
  freshTestEnv();
  db = await import("~/utils/db.server");
  orders = await import("~/models/order.server");
  festivals = await import("~/models/festival.server");
});
afterAll(() => db.disconnectDatabase());

async function doorFestival() {
  const { createFestivalRow, createTicketTypeRow } = await import("../helpers/fixtures");
  const festival = await createFestivalRow({
    status: "published",
    publishedAt: new Date(),
    paymentMethods: JSON.stringify(["door"]),
  });
  const type = await createTicketTypeRow(festival.id, 1500, 100);
  return { festival, type };
}

const input = (typeId: string) =>
  orders.checkoutSchema().parse({
    items: [{ ticketTypeId: typeId, quantity: 1 }],
    email: `lock-${++n}@example.test`,
    paymentMethod: "door",
  });

describe("placeOrder and a currency change in between", () => {
  it("writes nothing when the currency changed after the prices were read", async () => {
    const { festival, type } = await doorFestival();
    const client = db.sqlClient();
    const batch = client.batch.bind(client);
    // The change lands after placeOrder read the festival and before its write.
    client.batch = async (...args: Parameters<typeof batch>) => {
      client.batch = batch;
      await client.execute({
        sql: "UPDATE Festival SET currency = 'PLN' WHERE id = ?",
        args: [festival.id],
      });
      return batch(...args);
    };
    try {
      const refused = await orders
        .placeOrder(festival.id, input(type.id), { locale: "en", stripeAvailable: false })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(refused).toBeInstanceOf(DomainError);
      expect(refused).toMatchObject({ status: 409, code: "festival_changed" });
    } finally {
      client.batch = batch;
    }
    expect(await db.prisma.order.count({ where: { festivalId: festival.id } })).toBe(0);
    expect(
      (await db.prisma.ticketType.findUniqueOrThrow({ where: { id: type.id } })).reserved,
    ).toBe(0);
    // In the new currency, the next order is taken.
    const placed = await orders.placeOrder(festival.id, input(type.id), {
      locale: "en",
      stripeAvailable: false,
    });
    expect(placed.order.currency).toBe("PLN");
  });
});

describe("updateFestival after an order", () => {
  it("refuses another currency with CurrencyLockedError and keeps everything", async () => {
    const { festival, type } = await doorFestival();
    await orders.placeOrder(festival.id, input(type.id), { locale: "en", stripeAvailable: false });
    const { createUserRow } = await import("../helpers/fixtures");
    const admin = await createUserRow({ role: "admin" });
    const actor = { ...admin, role: "admin" as const, locale: null, memberships: [] };
    const asInput = festivals.festivalAsInput(festival);
    const change = festivals.festivalInput.parse({ ...asInput, currency: "JPY", venueName: "New" });
    await expect(festivals.updateFestival(actor, festival.id, change)).rejects.toBeInstanceOf(
      festivals.CurrencyLockedError,
    );
    const after = await db.prisma.festival.findUniqueOrThrow({ where: { id: festival.id } });
    expect([after.currency, after.venueName]).toEqual(["EUR", festival.venueName]);
    expect(await festivals.isCurrencyLocked(festival.id)).toBe(true);
  });
});
