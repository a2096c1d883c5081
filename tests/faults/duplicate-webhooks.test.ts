// 1,000 copies of one webhook event at once (issue 12): Stripe delivers at
// least once, and a retry storm or a replaying proxy can send the same signed
// event many times in parallel. The production build runs in its own process;
// all copies of one checkout.session.completed go out together. Every copy is
// answered 2xx (a 5xx would make Stripe retry yet again), the order is fulfilled
// once — one set of tickets, one payment entry and one fee entry, one email
// (by X-Outbox-Id at a real SMTP server) — and the books balance.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { Client } from "../helpers/app";
import { spawnApp, type AppProcess } from "../helpers/app-process";
import { freshTestEnv } from "../helpers/env";
import { apiToken, createUserRow, doorFestival } from "../helpers/fixtures";
import { assertLedgerBalanced } from "../helpers/ledger";
import { startSmtpServer, type Mailbox } from "../helpers/smtp";
import { startStripeFake, stripeTestEnv, type StripeFake } from "../helpers/stripe-fake";

const WEBHOOK_SECRET = "whsec_test_duplicate_webhooks_0123456789abcdef";
const COPIES = 1000;

const testEnv = freshTestEnv();
let mail: Mailbox;
let fake: StripeFake;
let app: AppProcess;
let client: Client;
let festival: { id: string; typeId: string };

beforeAll(async () => {
  mail = await startSmtpServer();
  fake = await startStripeFake();
  app = await spawnApp({
    env: {
      SMTP_URL: mail.url,
      ...stripeTestEnv(fake, WEBHOOK_SECRET),
      RATE_LIMIT_PER_MINUTE: "0",
    },
  });
  client = new Client(app.url);
  const admin = await createUserRow({ role: "admin" });
  const token = await apiToken(app.url, admin.email);
  festival = await doorFestival(client, token, { priceMinor: 1500, paymentMethods: ["stripe"] });
});

afterAll(async () => {
  await app?.kill();
  await mail?.close();
  await fake?.close();
});

describe(`${COPIES} copies of one webhook event at once`, () => {
  it("are all answered 2xx and fulfil the order once, with one email", async () => {
    const email = "storm-buyer@example.test";
    const placed = await client.api("POST", `/api/v1/festivals/${festival.id}/orders`, {
      items: [{ ticketTypeId: festival.typeId, quantity: 3 }],
      email,
      paymentMethod: "stripe",
    });
    expect(placed.status, placed.text).toBe(201);
    const orderId = placed.json<{ id: string }>().id;
    const session = [...fake.sessions.values()].find((s) => s.metadata.order_id === orderId)!;
    const event = fake.event("checkout.session.completed", fake.completeSession(session.id));
    // One signed body, sent as is by every copy (as a replay would).
    const signed = fake.signedWebhook(event, WEBHOOK_SECRET);
    const stripeCallsBefore = fake.requests.length;

    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: COPIES }, async () => {
        const res = await fetch(`${app.url}/webhooks/stripe`, {
          method: "POST",
          headers: { "Content-Type": "application/json", "Stripe-Signature": signed.header },
          body: signed.payload,
        });
        return { status: res.status, body: (await res.json()) as { outcome?: string } };
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const statuses = new Map<number, number>();
    for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
    const outcomes = new Map<string, number>();
    for (const a of answers)
      outcomes.set(String(a.body.outcome), (outcomes.get(String(a.body.outcome)) ?? 0) + 1);
    const stripeCalls = fake.requests.length - stripeCallsBefore;
    console.log(
      `${COPIES} copies in ${seconds.toFixed(2)} s (${Math.round(COPIES / seconds)}/s): statuses ${JSON.stringify(Object.fromEntries(statuses))}, outcomes ${JSON.stringify(Object.fromEntries(outcomes))}, Stripe API calls ${stripeCalls}`,
    );
    expect(Object.fromEntries(statuses)).toEqual({ 200: COPIES });
    expect(Object.fromEntries(outcomes)).toEqual({ fulfilled: 1, duplicate: COPIES - 1 });

    const order = await prisma.order.findUniqueOrThrow({ where: { id: orderId } });
    expect(order.status).toBe("paid");
    expect(await prisma.ticket.count({ where: { orderId } })).toBe(3);
    expect(await prisma.stripeEvent.count({ where: { id: event.id } })).toBe(1);
    const entries = await prisma.ledgerEntry.findMany({ where: { orderId } });
    // Stripe's fee is known (the settlement was asked once, not lost in the crowd).
    expect(entries.map((e) => e.id).sort()).toEqual(
      [`order:${orderId}:fee`, `order:${orderId}:payment`].sort(),
    );
    const outbox = await prisma.outboxEmail.findMany({ where: { to: email } });
    expect(outbox.map((o) => o.template)).toEqual(["order-confirmation"]);
    const delivered = await mail.waitFor(
      (m) => m.headers.get("x-outbox-id") === outbox[0]!.id,
      30_000,
    );
    expect(delivered.subject).toBeTruthy();
    // Give a second copy every chance to arrive.
    await new Promise((r) => setTimeout(r, 1500));
    expect(
      mail.messages.filter((m) => m.headers.get("x-outbox-id") === outbox[0]!.id),
    ).toHaveLength(1);
    await assertLedgerBalanced(testEnv.databaseUrl);
  });
});
