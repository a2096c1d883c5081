// A cancelled festival over HTTP against the real build, with the Stripe fake
// behind the real SDK: cancelling refunds nothing by itself and says so; its
// tickets no longer admit (online scans, uploaded offline scans, the manifest);
// `POST /api/v1/festivals/:id/refund-all` gives everything back (card refunds
// through Stripe, door orders cancelled with the organiser's cash choice), an
// outage of Stripe leaves the card order as it was and reported, a second run
// finishes it; the money page's button does the same; bad input is refused
// with nothing written. The ledger is checked whole when the app closes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { translator } from "~/utils/i18n";
import { formatMoney } from "~/utils/money";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { escapeHtml, expectApiError, unchanged } from "../helpers/bad-input";
import {
  apiToken,
  createDoorDeviceViaApi,
  createUserRow,
  doorFestival,
  signedInClient,
} from "../helpers/fixtures";
import { incomeOf } from "../helpers/ledger";
import {
  startStripeFake,
  type FakeEvent,
  type StripeFake,
  stripeTestEnv,
} from "../helpers/stripe-fake";

const WEBHOOK_SECRET = "whsec_test_festival_cancel_refunds_http_01";
const t = translator("en");
const eur = (minor: number) => formatMoney(minor, "EUR", "en");

let fake: StripeFake;
let app: TestApp;
let client: Client;
let organiserToken: string;
let organiserEmail: string;
let n = 0;
const nonce = () => `http-fcancel-${++n}-${Date.now().toString(36)}`;

type Placed = { id: string; code: string; tickets: { id: string; qrToken: string }[] };

const orderStatus = async (id: string) =>
  (await prisma.order.findUniqueOrThrow({ where: { id } })).status;

async function deliver(event: FakeEvent) {
  const res = await fake.deliverWebhook(`${app.url}/webhooks/stripe`, event, WEBHOOK_SECRET);
  expect(res.status, res.body).toBe(200);
}

/** A festival taking cards and door cash, with a paid card order and a door order paid in cash. */
async function festivalWithMoney() {
  const festival = await doorFestival(client, organiserToken, {
    priceMinor: 1500,
    paymentMethods: ["stripe", "door"],
  });
  const place = async (paymentMethod: "stripe" | "door", quantity: number) => {
    const res = await client.api("POST", `/api/v1/festivals/${festival.id}/orders`, {
      items: [{ ticketTypeId: festival.typeId, quantity }],
      email: `fcancel-${++n}@example.test`,
      name: `Buyer ${n}`,
      paymentMethod,
    });
    expect(res.status, res.text).toBe(201);
    return res.json<Placed>();
  };
  const card = await place("stripe", 2);
  const session = [...fake.sessions.values()].find((s) => s.metadata.order_id === card.id);
  expect(session, "checkout session at the fake").toBeTruthy();
  await deliver(fake.event("checkout.session.completed", fake.completeSession(session!.id)));
  expect(await orderStatus(card.id)).toBe("paid");
  const cardTickets = await prisma.ticket.findMany({ where: { orderId: card.id } });
  const doorOrder = await place("door", 1);
  const device = await createDoorDeviceViaApi(client, organiserToken, festival.id);
  const paid = await client.api(
    "POST",
    "/api/v1/door/payments",
    { token: doorOrder.tickets[0]!.qrToken, nonce: nonce() },
    device.token,
  );
  expect(paid.json()).toMatchObject({ result: "admitted" });
  return { festival, card, cardTickets, doorOrder, device };
}

const cancel = (festivalId: string) =>
  client.api("POST", `/api/v1/festivals/${festivalId}/cancel`, undefined, organiserToken);
const refundAll = (festivalId: string, body?: unknown, token = organiserToken) =>
  client.api("POST", `/api/v1/festivals/${festivalId}/refund-all`, body, token);

beforeAll(async () => {
  fake = await startStripeFake();
  app = await startTestApp({
    ...stripeTestEnv(fake, WEBHOOK_SECRET),
    RATE_LIMIT_PER_MINUTE: "0",
  });
  client = new Client(app.url);
  const organiser = await createUserRow({ role: "admin", name: "Cora Canceller" });
  organiserEmail = organiser.email;
  organiserToken = await apiToken(app.url, organiser.email);
});
afterAll(async () => {
  await app?.close();
  await fake?.close();
});

describe("cancelling a festival", () => {
  let s: Awaited<ReturnType<typeof festivalWithMoney>>;
  beforeAll(async () => {
    s = await festivalWithMoney();
  });

  it("refund-all before the cancellation: 409, nothing written", async () => {
    expectApiError(await unchanged(() => refundAll(s.festival.id, { cash: "return" })), 409);
  });

  it("refunds nothing by itself; its tickets no longer admit, online or uploaded, and the manifest says so", async () => {
    expect((await cancel(s.festival.id)).status).toBe(200);
    expect(await orderStatus(s.card.id)).toBe("paid");
    expect(await orderStatus(s.doorOrder.id)).toBe("paid");
    const [first, second] = s.cardTickets;
    const scan = await client.api(
      "POST",
      "/api/v1/door/scans",
      { token: first!.qrToken, nonce: nonce() },
      s.device.token,
    );
    expect(scan.status).toBe(200);
    expect(scan.json()).toMatchObject({ result: "festival_cancelled" });
    const batch = await client.api(
      "POST",
      "/api/v1/door/scans/batch",
      {
        scans: [
          {
            token: second!.qrToken,
            nonce: nonce(),
            scannedAt: new Date().toISOString(),
            offlineResult: "admitted",
          },
        ],
      },
      s.device.token,
    );
    expect(batch.status, batch.text).toBe(200);
    expect(batch.json<{ results: { result: string }[] }>().results[0]!.result).toBe(
      "festival_cancelled",
    );
    const admitted = await prisma.ticket.count({
      where: { orderId: s.card.id, admittedAt: { not: null } },
    });
    expect(admitted).toBe(0);
    const manifest = await client.api("GET", "/api/v1/door/manifest", undefined, s.device.token);
    expect(manifest.json<{ festival: { cancelled: boolean } }>().festival.cancelled).toBe(true);
  });

  it("the festival page says what is left to refund; bad input to refund-all is refused with nothing written", async () => {
    const browser = await signedInClient(app.url, organiserEmail);
    const page = await browser.get(`/admin/festivals/${s.festival.id}`);
    expect(page.text).toContain(
      escapeHtml(t("festivalAdmin.refundsDue", { count: 2, amount: eur(3000 + 1500) })),
    );
    // Door cash was taken: a choice is required.
    const missing = expectApiError(await unchanged(() => refundAll(s.festival.id)), 422, "cash");
    expect(missing.error).toBe("cash_choice_required");
    expectApiError(await unchanged(() => refundAll(s.festival.id, { cash: "burn" })), 422, "cash");
    expectApiError(
      await unchanged(() => refundAll(s.festival.id, { cash: "return", extra: 1 })),
      422,
    );
    expectApiError(await unchanged(() => refundAll(s.festival.id, ["return"])), 400);
    const hostile = await unchanged(() =>
      client.api(
        "POST",
        `/api/v1/festivals/${s.festival.id}/refund-all`,
        "{not json",
        organiserToken,
      ),
    );
    expect(hostile.status).toBeGreaterThanOrEqual(400);
    expect(hostile.status).toBeLessThan(500);
    // Someone without a tie to the festival: refused, nothing written.
    const stranger = await createUserRow({ role: "member", name: "Stranger" });
    const strangerToken = await apiToken(app.url, stranger.email);
    const denied = await unchanged(() =>
      refundAll(s.festival.id, { cash: "return" }, strangerToken),
    );
    expect([403, 404]).toContain(denied.status);
  });

  it("Stripe down: the card order stays and is reported, the door order is cancelled; the second run refunds the card", async () => {
    fake.setDown("503");
    let first;
    try {
      first = await refundAll(s.festival.id, { cash: "return" });
    } finally {
      fake.setDown(false);
    }
    expect(first.status, first.text).toBe(200);
    expect(first.json()).toEqual({
      id: s.festival.id,
      cancelled: 1,
      refunded: 0,
      failed: [s.card.id],
    });
    expect(await orderStatus(s.card.id)).toBe("paid");
    expect(await orderStatus(s.doorOrder.id)).toBe("cancelled");
    expect(await incomeOf(s.doorOrder.id)).toEqual({});

    const second = await refundAll(s.festival.id, { cash: "return" });
    expect(second.json()).toEqual({ id: s.festival.id, cancelled: 0, refunded: 1, failed: [] });
    expect(await orderStatus(s.card.id)).toBe("refunded");
    expect(await incomeOf(s.card.id)).toEqual({});
    // Stripe's webhook for our refund posts nothing more.
    const charge = fake.chargeRefundedEvent(
      (await prisma.order.findUniqueOrThrow({ where: { id: s.card.id } })).stripePaymentIntentId!,
    );
    await deliver(charge);
    expect(await incomeOf(s.card.id)).toEqual({});
    // Nothing left: another run changes nothing but its own summary row.
    expect((await refundAll(s.festival.id, {})).json()).toEqual({
      id: s.festival.id,
      cancelled: 0,
      refunded: 0,
      failed: [],
    });
    const summaries = await prisma.auditEvent.count({
      where: { festivalId: s.festival.id, action: "festival.refund_all" },
    });
    expect(summaries).toBe(3);
  });
});

describe("the money page's refund-all button", () => {
  it("shows what the orders hold, asks for confirmation and the cash choice, then refunds them all", async () => {
    const s = await festivalWithMoney();
    expect((await cancel(s.festival.id)).status).toBe(200);
    const browser = await signedInClient(app.url, organiserEmail);
    const path = `/admin/festivals/${s.festival.id}/money`;
    const page = await browser.get(path);
    expect(page.status).toBe(200);
    expect(page.text).toContain(escapeHtml(t("refundAll.due", { count: 2, amount: eur(4500) })));
    expect(page.text).toContain(escapeHtml(t("refundAll.button")));
    // Not confirmed, or no cash choice: refused, nothing written.
    const unconfirmed = await unchanged(() =>
      browser.postForm(path, { intent: "refund_all", cash: "return" }),
    );
    expect(unconfirmed.status).toBe(400);
    const noChoice = await unchanged(() =>
      browser.postForm(path, { intent: "refund_all", confirm: "yes" }),
    );
    expect(noChoice.status).toBe(422);
    expect(noChoice.text).toContain(escapeHtml(t("v.cashChoice")));
    const done = await browser.postForm(path, {
      intent: "refund_all",
      confirm: "yes",
      cash: "keep_as_donation",
    });
    expect(done.status).toBe(200);
    expect(done.text).toContain(escapeHtml(t("refundAll.done", { cancelled: 1, refunded: 1 })));
    expect(await orderStatus(s.card.id)).toBe("refunded");
    expect(await orderStatus(s.doorOrder.id)).toBe("cancelled");
    // The cash was kept as a donation: €15 of donation income, no ticket income.
    expect(await incomeOf(s.doorOrder.id)).toEqual({ donation: 1500 });
    const after = await browser.get(path);
    expect(after.text).toContain(escapeHtml(t("refundAll.nothingDue")));
  });
});
