// The read side of the books over HTTP, and the currency lock: a festival's
// balances per currency, an order's entries, the whole-ledger check, and a
// festival's currency fixed from its first order or ledger entry (409
// `currency_locked`, checked inside the write).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ORDER_STATUSES } from "~/models/choices";
import { entryStatements } from "~/models/ledger.server";
import { prisma, sqlClient } from "~/utils/db.server";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { escapeHtml, expectApiError, expectFormError } from "../helpers/bad-input";
import {
  apiToken,
  buyDoorTicket,
  createDoorDeviceViaApi,
  createFestivalRow,
  createUserRow,
  doorFestival,
  signedInClient,
} from "../helpers/fixtures";
import { ledgerOf } from "../helpers/ledger";
import { en } from "~/i18n/en";

let app: TestApp;
let client: Client;
let token: string;
let treasurerToken: string;
let browser: Client;
let nonces = 0;
const nonce = () => `ledger-api-${Date.now().toString(36)}-${++nonces}`;

const LOCKED_MESSAGE =
  "The currency cannot change once the festival has an order or money in its books: every price, order and entry is in this currency.";

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  client = new Client(app.url);
  const admin = await createUserRow({ role: "admin" });
  token = await apiToken(app.url, admin.email);
  browser = await signedInClient(app.url, admin.email);
  const treasurer = await createUserRow({ role: "treasurer" });
  treasurerToken = await apiToken(app.url, treasurer.email);
});
afterAll(() => app.close());

/** A door festival with one €15 ticket sold and its cash taken at the door (a real sale). */
async function festivalWithSale() {
  const festival = await doorFestival(client, token, { priceMinor: 1500 });
  const device = await createDoorDeviceViaApi(client, token, festival.id, "Front door");
  const ticket = await buyDoorTicket(client, festival.id, festival.typeId, { paid: false });
  const paid = await client.api(
    "POST",
    "/api/v1/door/payments",
    { token: ticket.qrToken, nonce: nonce() },
    device.token,
  );
  expect(paid.status, paid.text).toBe(200);
  return { ...festival, device, ticket };
}

const patchCurrency = (festivalId: string, currency: string) =>
  client.api("PATCH", `/api/v1/festivals/${festivalId}`, { currency }, token);

describe("the currency lock", () => {
  it("the currency change refused after a €15 sale", async () => {
    const f = await festivalWithSale();
    const before = {
      festival: await prisma.festival.findUniqueOrThrow({ where: { id: f.id } }),
      types: await prisma.ticketType.findMany({ where: { festivalId: f.id } }),
      orders: await prisma.order.findMany({ where: { festivalId: f.id } }),
      items: await prisma.orderItem.findMany({ where: { order: { festivalId: f.id } } }),
    };
    expect(before.orders.map((o) => [o.status, o.currency, o.totalMinor])).toEqual([
      ["paid", "EUR", 1500],
    ]);

    const res = await patchCurrency(f.id, "JPY");
    expect(expectApiError(res, 409)).toEqual({ error: "currency_locked", message: LOCKED_MESSAGE });

    // Nothing changed: the festival, its prices, its orders.
    expect(await prisma.festival.findUniqueOrThrow({ where: { id: f.id } })).toEqual(
      before.festival,
    );
    expect(await prisma.ticketType.findMany({ where: { festivalId: f.id } })).toEqual(before.types);
    expect(await prisma.order.findMany({ where: { festivalId: f.id } })).toEqual(before.orders);
    expect(await prisma.orderItem.findMany({ where: { order: { festivalId: f.id } } })).toEqual(
      before.items,
    );

    // A later refund (the organiser cancels the paid door order, the cash returned) books in EUR, €15 back.
    const refund = await client.api(
      "POST",
      `/api/v1/orders/${f.ticket.orderId}/refund`,
      { cash: "return" },
      token,
    );
    expect(refund.status, refund.text).toBe(200);
    const lines = await ledgerOf(f.ticket.orderId);
    expect(lines.every((l) => l.currency === "EUR")).toBe(true);
    expect(lines.filter((l) => l.kind === "refund")).toEqual([
      expect.objectContaining({ account: "refunds", category: "ticket", amountMinor: 1500 }),
      expect.objectContaining({
        account: "door_cash",
        holder: `device:${f.device.id}`,
        amountMinor: -1500,
      }),
    ]);
  });

  it("other changes still save after a sale, with the currency as it is", async () => {
    const f = await festivalWithSale();
    const res = await client.api(
      "PATCH",
      `/api/v1/festivals/${f.id}`,
      { currency: "EUR", venueName: "Another hall" },
      token,
    );
    expect(res.status, res.text).toBe(200);
    expect(res.json()).toMatchObject({ currency: "EUR", venueName: "Another hall" });
  });

  it("is free before anything was sold or held, and locked by an order in any state", async () => {
    const open = await createFestivalRow();
    expect((await patchCurrency(open.id, "PLN")).status).toBe(200);
    expect((await prisma.festival.findUniqueOrThrow({ where: { id: open.id } })).currency).toBe(
      "PLN",
    );
    for (const status of ORDER_STATUSES) {
      const festival = await createFestivalRow();
      await prisma.order.create({
        data: {
          id: `lock-${status}-${festival.id}`,
          festivalId: festival.id,
          code: `LOCK-${status}-${festival.id}`.toUpperCase(),
          accessToken: `lock-${status}-${festival.id}-access-token`,
          status,
          paymentMethod: "door",
          currency: "EUR",
          totalMinor: 1500,
        },
      });
      const res = await patchCurrency(festival.id, "JPY");
      expect(res.status, `${status}: ${res.text}`).toBe(409);
      expect(res.json<{ error: string }>().error).toBe("currency_locked");
      expect(
        (await prisma.festival.findUniqueOrThrow({ where: { id: festival.id } })).currency,
      ).toBe("EUR");
    }
  });

  it("is locked by a ledger entry even without an order", async () => {
    const festival = await createFestivalRow();
    const cash = { festivalId: festival.id, currency: "EUR", code: "door_cash" as const };
    await sqlClient().batch(
      entryStatements({
        id: `test:${festival.id}:handover`,
        festivalId: festival.id,
        kind: "cash_handover",
        at: new Date(),
        postings: [
          { account: { ...cash, code: "cash_in_transit" }, amountMinor: 500 },
          { account: cash, amountMinor: -500 },
        ],
      }),
      "write",
    );
    const res = await patchCurrency(festival.id, "USD");
    expect(res.status).toBe(409);
    expect(res.json<{ error: string }>().error).toBe("currency_locked");
  });

  it("holds when a currency change and the first order race: every order is in the festival's currency", async () => {
    for (let round = 0; round < 6; round++) {
      const f = await doorFestival(client, token, { priceMinor: 1500 });
      // The change starts later each round, so it lands before, during and after the order.
      const [patch, order] = await Promise.all([
        new Promise((resolve) => setTimeout(resolve, round * 15)).then(() =>
          patchCurrency(f.id, "PLN"),
        ),
        client.api("POST", `/api/v1/festivals/${f.id}/orders`, {
          items: [{ ticketTypeId: f.typeId, quantity: 1 }],
          email: `race-${round}@example.test`,
          paymentMethod: "door",
        }),
      ]);
      expect([200, 409]).toContain(patch.status);
      // The order either came first (the change is refused), came after (in the new
      // currency), or its prices were read in the old one (refused, nothing written).
      expect([201, 409], order.text).toContain(order.status);
      if (order.status === 409)
        expect(order.json<{ error: string }>().error).toBe("festival_changed");
      const festival = await prisma.festival.findUniqueOrThrow({ where: { id: f.id } });
      const orders = await prisma.order.findMany({ where: { festivalId: f.id } });
      expect(orders.map((o) => o.currency)).toEqual(
        order.status === 201 ? [festival.currency] : [],
      );
      expect(patch.status === 200 || orders.length === 1).toBe(true);
    }
  });

  it("the edit form shows the currency fixed with the reason, and refuses a change", async () => {
    const f = await festivalWithSale();
    const page = await browser.get(`/admin/festivals/${f.id}`);
    expect(page.status).toBe(200);
    // The currency is shown read-only (no picker), and the form sends it unchanged.
    const shown = /<input[^>]*name="currencyShown"[^>]*>/.exec(page.text)?.[0] ?? "";
    expect(shown).toContain('readonly=""');
    expect(shown).toContain('value="EUR"');
    const sent = /<input[^>]*name="currency"[^>]*>/.exec(page.text)?.[0] ?? "";
    expect(sent).toContain('type="hidden"');
    expect(sent).toContain('value="EUR"');
    expect(page.text).not.toMatch(/<select[^>]*name="currency"/);
    expect(page.text).toContain(escapeHtml(en["festivalAdmin.currencyLocked"]));

    const res = await browser.postForm(`/admin/festivals/${f.id}?index`, {
      intent: "save",
      name: "Solidarity Festival Test",
      city: "Riga",
      country: "LV",
      venueName: "Test hall",
      venueAddress: "Test street 1",
      mapUrl: "",
      timezone: "Europe/Riga",
      currency: "JPY",
      startsAt: "2030-01-26T15:00",
      endsAt: "2030-01-26T23:00",
      languages: ["en", "ru"],
      "description.en": "Talks and music.",
      "description.ru": "",
      paymentMethods: ["door"],
    });
    // Shown beside the read-only currency the reader sees.
    expectFormError(res, 409, "currencyShown", en["festivalAdmin.currencyLocked"]);
    expect((await prisma.festival.findUniqueOrThrow({ where: { id: f.id } })).currency).toBe("EUR");
  });
});

type Ledger = {
  festival: { id: string; name: string; currency: string };
  currencies: Record<
    string,
    {
      accounts: {
        id: string;
        code: string;
        category: string | null;
        holder: { type: string; id: string } | null;
        currency: string;
        balanceMinor: number;
      }[];
      summary: { gross: Record<string, number>; net: Record<string, number>; doorCash: number };
    }
  >;
};

describe("GET /api/v1/festivals/:id/ledger", () => {
  it("answers the festival's account balances and figures per currency", async () => {
    const f = await festivalWithSale();
    const res = await client.api("GET", `/api/v1/festivals/${f.id}/ledger`, undefined, token);
    expect(res.status, res.text).toBe(200);
    const ledger = res.json<Ledger>();
    expect(ledger.festival).toEqual({
      id: f.id,
      name: "Solidarity Festival Test",
      currency: "EUR",
    });
    expect(Object.keys(ledger.currencies)).toEqual(["EUR"]);
    const eur = ledger.currencies.EUR!;
    expect(
      eur.accounts.map((a) => [a.code, a.category, a.holder?.id ?? null, a.balanceMinor]),
    ).toEqual(
      expect.arrayContaining([
        ["door_cash", null, f.device.id, 1500],
        ["income", "ticket", null, -1500],
      ]),
    );
    expect(eur.accounts.every((a) => a.currency === "EUR")).toBe(true);
    expect(eur.summary).toMatchObject({
      gross: { ticket: 1500 },
      net: { ticket: 1500 },
      doorCash: 1500,
    });
    // Treasurers read every festival's books.
    const asTreasurer = await client.api(
      "GET",
      `/api/v1/festivals/${f.id}/ledger`,
      undefined,
      treasurerToken,
    );
    expect(asTreasurer.status).toBe(200);
    expect(asTreasurer.json()).toEqual(ledger);
  });

  it("answers an empty ledger for a festival with no money yet, and 404 for an unknown one", async () => {
    const festival = await createFestivalRow();
    const res = await client.api(
      "GET",
      `/api/v1/festivals/${festival.id}/ledger`,
      undefined,
      token,
    );
    expect(res.json()).toEqual({
      festival: { id: festival.id, name: festival.name, currency: "EUR" },
      currencies: {},
    });
    const unknown = await client.api("GET", "/api/v1/festivals/nope/ledger", undefined, token);
    expect(unknown.status).toBe(404);
  });
});

describe("GET /api/v1/orders/:id", () => {
  it("includes the order's entries with their postings", async () => {
    const f = await festivalWithSale();
    const res = await client.api("GET", `/api/v1/orders/${f.ticket.orderId}`, undefined, token);
    expect(res.status).toBe(200);
    const body = res.json<{
      entries: {
        id: string;
        kind: string;
        createdAt: string;
        postings: {
          code: string;
          category: string | null;
          currency: string;
          amountMinor: number;
        }[];
      }[];
    }>();
    expect(body.entries).toHaveLength(1);
    const [entry] = body.entries;
    expect(entry).toMatchObject({ id: `door:${f.ticket.id}:payment`, kind: "payment" });
    expect(Number.isNaN(Date.parse(entry!.createdAt))).toBe(false);
    expect(entry!.postings.map((p) => [p.code, p.category, p.currency, p.amountMinor])).toEqual(
      expect.arrayContaining([
        ["door_cash", null, "EUR", 1500],
        ["income", "ticket", "EUR", -1500],
      ]),
    );
    // Nothing personal in the books.
    expect(JSON.stringify(body.entries)).not.toMatch(/@|example\.test/);
  });
});

describe("GET /api/v1/ledger/check", () => {
  it("answers {balanced, entries, problems} for the whole ledger", async () => {
    await festivalWithSale();
    const res = await client.api("GET", "/api/v1/ledger/check", undefined, treasurerToken);
    expect(res.status).toBe(200);
    const check = res.json<{ balanced: boolean; entries: number; problems: string[] }>();
    expect(check).toEqual({
      balanced: true,
      entries: await prisma.ledgerEntry.count(),
      problems: [],
    });
    expect(check.entries).toBeGreaterThan(0);
  });
});
