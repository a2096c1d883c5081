// A double click or a retried request must not buy twice. The checkout API
// honours an Idempotency-Key header and the festival page's form carries a key
// made when the page was rendered: the same key gets the same order (and holds
// its places once), the same key with another order is refused, and keys are
// scoped to the festival and the buyer, so nobody reaches another's order.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { apiToken, createUserRow, festivalBody } from "../helpers/fixtures";
import { startStripeFake, type StripeFake, stripeTestEnv } from "../helpers/stripe-fake";

let fake: StripeFake;
let app: TestApp;
let client: Client;
let token: string;
let festival: { id: string; slug: string; typeId: string };

type OrderJson = {
  id: string;
  code: string;
  status: string;
  checkoutUrl?: string;
  orderUrl: string;
  tickets: { id: string; qrToken: string }[];
};

const newKey = () => `test-${randomUUID()}`;

async function newFestival() {
  const f = await client.api(
    "POST",
    "/api/v1/festivals",
    festivalBody({ paymentMethods: ["door", "stripe"] }),
    token,
  );
  const { id, slug } = f.json<{ id: string; slug: string }>();
  await client.api("POST", `/api/v1/festivals/${id}/publish`, undefined, token);
  const t = await client.api(
    "POST",
    `/api/v1/festivals/${id}/ticket-types`,
    { name: "Standard", priceMinor: 1500, capacity: 100 },
    token,
  );
  return { id, slug, typeId: t.json<{ id: string }>().id };
}

function order(body: Record<string, unknown>, key?: string, festivalId = festival.id) {
  return client.api(
    "POST",
    `/api/v1/festivals/${festivalId}/orders`,
    body,
    undefined,
    key ? { "Idempotency-Key": key } : {},
  );
}

const body = (overrides: Record<string, unknown> = {}) => ({
  items: [{ ticketTypeId: festival.typeId, quantity: 2 }],
  email: "twice@example.test",
  paymentMethod: "door",
  ...overrides,
});

const reserved = async (typeId = festival.typeId) =>
  (await prisma.ticketType.findUniqueOrThrow({ where: { id: typeId } })).reserved;

beforeAll(async () => {
  fake = await startStripeFake();
  app = await startTestApp({
    ...stripeTestEnv(fake, "whsec_test_idempotency_0123456789abcdef"),
    RATE_LIMIT_PER_MINUTE: "0",
  });
  client = new Client(app.url);
  const admin = await createUserRow({ role: "admin" });
  token = await apiToken(app.url, admin.email);
  festival = await newFestival();
});
afterAll(async () => {
  await app.close();
  await fake.close();
});

describe("Idempotency-Key on POST /api/v1/festivals/:id/orders", () => {
  it("answers concurrent posts with the same key with one order, its places held once", async () => {
    const key = newKey();
    const before = await reserved();
    const orders = await prisma.order.count();
    const answers = await Promise.all([order(body(), key), order(body(), key), order(body(), key)]);
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201]);
    const first = answers[0]!.json<OrderJson>();
    for (const a of answers) expect(a.json()).toEqual(first);
    expect(first.tickets).toHaveLength(2);
    expect(await prisma.order.count()).toBe(orders + 1);
    expect(await reserved()).toBe(before + 2);
    expect(await prisma.ticket.count({ where: { orderId: first.id } })).toBe(2);
    expect(
      await prisma.outboxEmail.count({ where: { payload: JSON.stringify({ orderId: first.id }) } }),
    ).toBe(1);
    // Later, the same request again: still the same order, in the same words.
    const again = await order(body(), key);
    expect(again.status).toBe(201);
    expect(again.json()).toEqual(first);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
  });

  it("refuses the same key with a different order (422) and writes nothing", async () => {
    const key = newKey();
    expect((await order(body(), key)).status).toBe(201);
    const before = { reserved: await reserved(), orders: await prisma.order.count() };
    const other = await order(
      body({ items: [{ ticketTypeId: festival.typeId, quantity: 3 }] }),
      key,
    );
    expect(other.status).toBe(422);
    expect(other.json()).toMatchObject({ error: "idempotency_key_reused" });
    expect(other.text).not.toContain("qrToken");
    expect({ reserved: await reserved(), orders: await prisma.order.count() }).toEqual(before);
  });

  it("scopes keys to the festival and the buyer: the same key elsewhere is another order", async () => {
    const key = newKey();
    const mine = (await order(body(), key)).json<OrderJson>();
    const theirs = await order(body({ email: "someone-else@example.test" }), key);
    expect(theirs.status).toBe(201);
    expect(theirs.json<OrderJson>().id).not.toBe(mine.id);
    expect(theirs.text).not.toContain(mine.tickets[0]!.qrToken);
    const second = await newFestival();
    const elsewhere = await order(
      body({ items: [{ ticketTypeId: second.typeId, quantity: 2 }] }),
      key,
      second.id,
    );
    expect(elsewhere.status).toBe(201);
    expect(elsewhere.json<OrderJson>().id).not.toBe(mine.id);
  });

  it("refuses a malformed key with 400 and writes nothing", async () => {
    const orders = await prisma.order.count();
    for (const key of ["short", "x".repeat(129), "key with spaces in it!"]) {
      const res = await order(body(), key);
      expect(res.status).toBe(400);
      expect(res.json()).toMatchObject({ error: "invalid_idempotency_key" });
    }
    expect(await prisma.order.count()).toBe(orders);
  });

  it("gives concurrent card checkouts with one key one order and one Stripe session", async () => {
    const key = newKey();
    const before = await reserved();
    const card = body({
      paymentMethod: "stripe",
      items: [{ ticketTypeId: festival.typeId, quantity: 1 }],
    });
    const answers = await Promise.all([order(card, key), order(card, key), order(card, key)]);
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201]);
    const first = answers[0]!.json<OrderJson>();
    expect(first.status).toBe("pending");
    expect(first.checkoutUrl).toBeTruthy();
    for (const a of answers) expect(a.json()).toEqual(first);
    expect(
      [...fake.sessions.values()].filter((s) => s.metadata.order_id === first.id),
    ).toHaveLength(1);
    expect(await reserved()).toBe(before + 1);
  });

  it("leaves nothing behind when the card payment cannot start, for the repeats too", async () => {
    const key = newKey();
    const before = { reserved: await reserved(), orders: await prisma.order.count() };
    const card = body({ paymentMethod: "stripe", email: "stripe-down@example.test" });
    fake.setDown("503");
    try {
      const answers = await Promise.all([order(card, key), order(card, key)]);
      expect(answers.map((a) => a.status)).toEqual([503, 503]);
    } finally {
      fake.setDown(false);
    }
    expect({ reserved: await reserved(), orders: await prisma.order.count() }).toEqual(before);
    // Once Stripe answers again, the same request is a new attempt that succeeds.
    const retry = await order(card, key);
    expect(retry.status).toBe(201);
    expect(retry.json<OrderJson>().checkoutUrl).toBeTruthy();
  });

  it("keeps orders without a key independent (each post is an order)", async () => {
    const orders = await prisma.order.count();
    await order(body());
    await order(body());
    expect(await prisma.order.count()).toBe(orders + 2);
  });
});

describe("the checkout form", () => {
  const formKey = (html: string) => /name="idempotencyKey" value="([^"]+)"/.exec(html)?.[1];

  it("carries a fresh key at each render, and a double submit makes one order", async () => {
    const page = await client.get(`/festivals/${festival.slug}`);
    const key = formKey(page.text);
    expect(key).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(formKey((await client.get(`/festivals/${festival.slug}`)).text)).not.toBe(key);
    const fields = {
      [`qty.${festival.typeId}`]: "1",
      email: "double-click@example.test",
      paymentMethod: "door",
      idempotencyKey: key!,
    };
    const before = await reserved();
    const [a, b] = await Promise.all([
      client.postForm(`/festivals/${festival.slug}`, fields),
      client.postForm(`/festivals/${festival.slug}`, fields),
    ]);
    expect([a.status, b.status]).toEqual([302, 302]);
    expect(a.location).toMatch(/^\/orders\//);
    expect(b.location).toBe(a.location);
    expect(await prisma.order.count({ where: { email: "double-click@example.test" } })).toBe(1);
    expect(await reserved()).toBe(before + 1);

    // The same form sent again with other choices: refused with a message, nothing written.
    const changed = await client.postForm(`/festivals/${festival.slug}`, {
      ...fields,
      [`qty.${festival.typeId}`]: "2",
    });
    expect(changed.status).toBe(422);
    expect(changed.text).toContain("This order form was already sent");
    expect(await prisma.order.count({ where: { email: "double-click@example.test" } })).toBe(1);
    // The page it answers with carries a new key, so "Order" works again.
    expect(formKey(changed.text)).not.toBe(key);
  });
});
