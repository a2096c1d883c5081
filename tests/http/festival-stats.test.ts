// GET /api/v1/festivals/:id/stats after real scans through the door API: the
// checked-in and inside-now counts are the door's own, and ticket type names
// come back in the shape the API takes them. `revenue` comes from the ledger,
// per currency, with Stripe's fees apart (`processingFees`).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { entryStatements, moneyInPostings, orderReversalPostings } from "~/models/ledger.server";
import { prisma, sqlClient } from "~/utils/db.server";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import {
  apiToken,
  buyDoorTicket,
  createDoorDeviceViaApi,
  createUserRow,
  doorFestival,
} from "../helpers/fixtures";

let app: TestApp;
let client: Client;
let token: string;
let nonceCounter = 0;
const nonce = () => `stats-${Date.now().toString(36)}-${++nonceCounter}`;

type Stats = {
  revenue: Record<string, number>;
  processingFees: Record<string, number>;
  sold: number;
  checkedIn: number;
  inside: number;
  ticketTypes: { id: string; name: unknown; sold: number }[];
};

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  client = new Client(app.url);
  const admin = await createUserRow({ role: "admin" });
  token = await apiToken(app.url, admin.email);
});
afterAll(() => app.close());

describe("festival stats", () => {
  it("counts admissions and who is inside now from real door scans, like the door's counters", async () => {
    const festival = await doorFestival(client, token, {
      typeName: { en: "Standard", ru: "Стандарт" },
    });
    const single = await client.api(
      "POST",
      `/api/v1/festivals/${festival.id}/ticket-types`,
      { name: "Door test", priceMinor: 1000, capacity: 100 },
      token,
    );
    expect(single.status).toBe(201);
    const singleId = single.json<{ id: string }>().id;
    const tickets = [
      await buyDoorTicket(client, festival.id, festival.typeId),
      await buyDoorTicket(client, festival.id, festival.typeId),
      await buyDoorTicket(client, festival.id, singleId),
      await buyDoorTicket(client, festival.id, singleId),
    ];
    const deviceToken = (await createDoorDeviceViaApi(client, token, festival.id, "Front door"))
      .token;
    const scan = async (qrToken: string, direction: "in" | "out") => {
      const res = await client.api(
        "POST",
        "/api/v1/door/scans",
        { token: qrToken, nonce: nonce(), direction },
        deviceToken,
      );
      expect(res.status).toBe(200);
      return res.json<{ result: string }>().result;
    };
    // Three come in, one of them goes out again; the fourth never arrives.
    expect(await scan(tickets[0]!.qrToken, "in")).toBe("admitted");
    expect(await scan(tickets[1]!.qrToken, "in")).toBe("admitted");
    expect(await scan(tickets[2]!.qrToken, "in")).toBe("admitted");
    expect(await scan(tickets[1]!.qrToken, "out")).toBe("exited");

    const res = await client.api("GET", `/api/v1/festivals/${festival.id}/stats`, undefined, token);
    expect(res.status).toBe(200);
    const stats = res.json<Stats>();
    expect(stats).toMatchObject({ sold: 4, checkedIn: 3, inside: 2 });
    const manifest = await client.api("GET", "/api/v1/door/manifest", undefined, deviceToken);
    const counters = manifest.json<{ counters: Record<string, number> }>().counters;
    expect(counters).toEqual({
      sold: stats.sold,
      checkedIn: stats.checkedIn,
      inside: stats.inside,
    });

    // Names as the ticket-type endpoint takes them: one string, or one per language.
    expect(stats.ticketTypes).toEqual([
      expect.objectContaining({
        id: festival.typeId,
        name: { en: "Standard", ru: "Стандарт" },
        sold: 2,
      }),
      expect.objectContaining({ id: singleId, name: "Door test", sold: 2 }),
    ]);
    const list = await client.api(
      "GET",
      `/api/v1/festivals/${festival.id}/ticket-types`,
      undefined,
      token,
    );
    const types = list.json<{
      ticketTypes: { id: string; name: unknown; description: unknown }[];
    }>().ticketTypes;
    expect(types.map((t) => t.name)).toEqual([{ en: "Standard", ru: "Стандарт" }, "Door test"]);
    expect(types.map((t) => t.description)).toEqual([{}, {}]);
  });

  it("takes revenue from the ledger per currency: never mixed, fees never subtracted silently", async () => {
    const festival = await doorFestival(client, token, { priceMinor: 1500 });
    const stats = async () => {
      const res = await client.api(
        "GET",
        `/api/v1/festivals/${festival.id}/stats`,
        undefined,
        token,
      );
      expect(res.status).toBe(200);
      const { revenue, processingFees } = res.json<Stats>();
      return { revenue, processingFees };
    };
    expect(await stats()).toEqual({ revenue: {}, processingFees: {} });

    // €15 in cash at the door, through the door API.
    const device = await createDoorDeviceViaApi(client, token, festival.id, "Till");
    const ticket = await buyDoorTicket(client, festival.id, festival.typeId, { paid: false });
    const paid = await client.api(
      "POST",
      "/api/v1/door/payments",
      { token: ticket.qrToken, nonce: nonce() },
      device.token,
    );
    expect(paid.status, paid.text).toBe(200);
    expect(await stats()).toEqual({ revenue: { EUR: 1500 }, processingFees: {} });

    // A €44 card order, as card fulfilment posts it, and Stripe's fee settled in USD.
    const order = await prisma.order.create({
      data: {
        id: `card-${festival.id}`,
        festivalId: festival.id,
        code: `CARD-${festival.id}`.toUpperCase(),
        accessToken: `card-${festival.id}-access-token-0123`,
        status: "paid",
        paymentMethod: "stripe",
        currency: "EUR",
        totalMinor: 4400,
      },
    });
    const at = new Date();
    await sqlClient().batch(
      [
        ...entryStatements({
          id: `order:${order.id}:payment`,
          festivalId: festival.id,
          orderId: order.id,
          kind: "payment",
          at,
          postings: moneyInPostings(
            { festivalId: festival.id, currency: "EUR", code: "stripe_balance" },
            [
              { category: "ticket", amountMinor: 2400 },
              { category: "donation", amountMinor: 2000 },
            ],
          ),
        }),
        ...entryStatements({
          id: `order:${order.id}:fee`,
          festivalId: festival.id,
          orderId: order.id,
          kind: "processing_fee",
          at,
          postings: [
            {
              account: { festivalId: festival.id, currency: "USD", code: "processing_fees" },
              amountMinor: 145,
            },
            {
              account: { festivalId: festival.id, currency: "USD", code: "stripe_balance" },
              amountMinor: -145,
            },
          ],
        }),
      ],
      "write",
    );
    // Gross income per currency; the USD fee is no revenue and is not taken off the euros.
    expect(await stats()).toEqual({
      revenue: { EUR: 1500 + 4400 },
      processingFees: { USD: 145 },
    });

    // Refunded: revenue is net of it; the fee stays a cost of its own.
    await sqlClient().batch(
      entryStatements({
        id: `order:${order.id}:refund`,
        festivalId: festival.id,
        orderId: order.id,
        kind: "refund",
        at,
        postings: await orderReversalPostings(sqlClient(), order.id),
      }),
      "write",
    );
    expect(await stats()).toEqual({ revenue: { EUR: 1500 }, processingFees: { USD: 145 } });
  });
});
