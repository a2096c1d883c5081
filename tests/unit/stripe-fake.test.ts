// The Stripe test fake, exercised through the real `stripe` SDK so that the
// app's Stripe integration tests can trust it.
import http from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  buildEvent,
  deliverWebhook,
  parseStripeForm,
  signedWebhook,
  startStripeFake,
  stripeClientFor,
  stripeConfigFromApiUrl,
  type FakeCheckoutSession,
  type StripeFake,
} from "../helpers/stripe-fake";

const WEBHOOK_SECRET = "whsec_test_solidarity_0123456789";

let fake: StripeFake;
let stripe: Stripe;

beforeAll(async () => {
  fake = await startStripeFake();
  stripe = stripeClientFor(fake);
});
afterAll(() => fake.close());
beforeEach(() => fake.setDown(false));

function sessionParams(
  over: Partial<Stripe.Checkout.SessionCreateParams> = {},
): Stripe.Checkout.SessionCreateParams {
  return {
    mode: "payment",
    line_items: [
      {
        quantity: 2,
        price_data: {
          currency: "eur",
          unit_amount: 1500,
          product_data: { name: "Riga — standard ticket" },
        },
      },
    ],
    success_url: "http://127.0.0.1:3000/orders/ord_1/thanks?session_id={CHECKOUT_SESSION_ID}",
    cancel_url: "http://127.0.0.1:3000/orders/ord_1/cancelled",
    customer_email: "anon@example.test",
    client_reference_id: "ord_1",
    metadata: { order_id: "ord_1" },
    expires_at: Math.floor(Date.now() / 1000) + 35 * 60,
    payment_intent_data: { metadata: { order_id: "ord_1" } },
    ...over,
  };
}

/** The error a Stripe call rejects with (fails the test if it resolves). */
async function stripeError(p: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(Stripe.errors.StripeError);
    return err as Stripe.errors.StripeError;
  }
  throw new Error("expected the Stripe call to fail");
}

async function paidSession(
  over: Partial<Stripe.Checkout.SessionCreateParams> = {},
): Promise<FakeCheckoutSession> {
  const s = await stripe.checkout.sessions.create(sessionParams(over));
  return fake.completeSession(s.id);
}

describe("form bodies and configuration", () => {
  it("parses nested keys, indexed and appended arrays, and + / %20 spaces as stripe-node sends them", () => {
    const body = parseStripeForm(
      "mode=payment&line_items[0][price_data][unit_amount]=1500&line_items[0][price_data][product_data][name]=A%20b+c" +
        "&line_items[1][quantity]=3&metadata[order_id]=ord%2B1&expand[]=line_items&expand[]=payment_intent",
    );
    expect(body).toEqual({
      mode: "payment",
      line_items: [
        { price_data: { unit_amount: "1500", product_data: { name: "A b c" } } },
        { quantity: "3" },
      ],
      metadata: { order_id: "ord+1" },
      expand: ["line_items", "payment_intent"],
    });
  });

  it("refuses a key that is both a value and a hash, and prototype keys", () => {
    expect(() => parseStripeForm("a=1&a[b]=2")).toThrow(/Invalid hash/);
    expect(() => parseStripeForm("metadata[__proto__]=x")).toThrow(/Invalid parameter name/);
  });

  it("maps STRIPE_API_URL to the SDK's host/port/protocol", () => {
    expect(stripeConfigFromApiUrl("http://127.0.0.1:12111")).toEqual({
      host: "127.0.0.1",
      port: 12111,
      protocol: "http",
    });
    expect(stripeConfigFromApiUrl("https://api.stripe.com")).toEqual({
      host: "api.stripe.com",
      port: 443,
      protocol: "https",
    });
    expect(stripeConfigFromApiUrl("http://[::1]:8080/")).toEqual({
      host: "::1",
      port: 8080,
      protocol: "http",
    });
  });
});

describe("checkout sessions", () => {
  it("creates an open session and receives the SDK's form body and key", async () => {
    const s = await stripe.checkout.sessions.create(sessionParams());
    expect(s.id).toMatch(/^cs_test_/);
    expect(s).toMatchObject({
      object: "checkout.session",
      status: "open",
      payment_status: "unpaid",
      mode: "payment",
      amount_total: 3000,
      currency: "eur",
      client_reference_id: "ord_1",
      customer_email: "anon@example.test",
      metadata: { order_id: "ord_1" },
      payment_intent: null,
      livemode: false,
    });
    expect(s.url).toBe(`${fake.url}/pay/${s.id}`);
    expect(s.expires_at).toBeGreaterThan(Date.now() / 1000 + 30 * 60);

    const req = fake.requests.findLast(
      (r) => r.method === "POST" && r.path === "/v1/checkout/sessions",
    );
    expect(req?.status).toBe(200);
    expect(req?.headers.authorization).toBe(`Bearer ${fake.secretKey}`);
    expect(req?.headers["idempotency-key"]).toMatch(/^stripe-node-retry-/);
    expect(req?.rawBody).toContain("line_items[0][price_data][unit_amount]=1500");
    expect(req?.body).toMatchObject({
      line_items: [
        {
          quantity: "2",
          price_data: {
            currency: "eur",
            unit_amount: "1500",
            product_data: { name: "Riga — standard ticket" },
          },
        },
      ],
      metadata: { order_id: "ord_1" },
      payment_intent_data: { metadata: { order_id: "ord_1" } },
    });
  });

  it("retrieves a session, with line items expanded or listed", async () => {
    const created = await stripe.checkout.sessions.create(sessionParams());
    const got = await stripe.checkout.sessions.retrieve(created.id, { expand: ["line_items"] });
    expect(got.id).toBe(created.id);
    expect(got.line_items?.data).toHaveLength(1);
    expect(got.line_items?.data[0]).toMatchObject({
      quantity: 2,
      amount_total: 3000,
      description: "Riga — standard ticket",
      price: { unit_amount: 1500 },
    });
    const listed = await stripe.checkout.sessions.listLineItems(created.id);
    expect(listed.data.map((li) => li.amount_total)).toEqual([3000]);
  });

  it("answers 404 resource_missing for an unknown session", async () => {
    const err = await stripeError(stripe.checkout.sessions.retrieve("cs_test_nope"));
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({
      statusCode: 404,
      code: "resource_missing",
      param: "session",
      message: "No such checkout.session: 'cs_test_nope'",
    });
  });

  it("expires an open session once; expiring again fails like Stripe", async () => {
    const s = await stripe.checkout.sessions.create(sessionParams());
    const expired = await stripe.checkout.sessions.expire(s.id);
    expect(expired).toMatchObject({
      id: s.id,
      status: "expired",
      url: null,
      payment_status: "unpaid",
    });
    const err = await stripeError(stripe.checkout.sessions.expire(s.id));
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err.message).toBe(
      'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of `expired`.',
    );
    expect(() => fake.completeSession(s.id)).toThrow(/expired/);
  });

  it("completeSession creates the PaymentIntent with payment_intent_data metadata; a complete session cannot expire", async () => {
    const s = await stripe.checkout.sessions.create(sessionParams());
    const done = fake.completeSession(s.id);
    expect(done).toMatchObject({
      status: "complete",
      payment_status: "paid",
      url: null,
      customer_details: { email: "anon@example.test" },
    });
    expect(done.payment_intent).toMatch(/^pi_test_/);
    const got = await stripe.checkout.sessions.retrieve(s.id, { expand: ["payment_intent"] });
    const pi = got.payment_intent as Stripe.PaymentIntent;
    expect(pi).toMatchObject({
      id: done.payment_intent,
      status: "succeeded",
      amount: 3000,
      amount_received: 3000,
      currency: "eur",
      metadata: { order_id: "ord_1" },
    });
    expect((await stripe.paymentIntents.retrieve(pi.id)).latest_charge).toMatch(/^ch_test_/);
    const err = await stripeError(stripe.checkout.sessions.expire(s.id));
    expect(err.message).toMatch(/status of `complete`/);
  });

  it("a delayed payment completes unpaid, then can be marked paid", async () => {
    const s = await stripe.checkout.sessions.create(sessionParams());
    const pending = fake.completeSession(s.id, { paymentStatus: "unpaid" });
    expect(pending).toMatchObject({ status: "complete", payment_status: "unpaid" });
    const refused = await stripeError(
      stripe.refunds.create({ payment_intent: pending.payment_intent ?? "" }),
    );
    expect(refused.message).toMatch(/does not have a successful charge/);
    const paid = fake.completeSession(s.id, { paymentStatus: "paid" });
    expect(paid.payment_status).toBe("paid");
    expect(fake.paymentIntents.get(paid.payment_intent ?? "")?.status).toBe("succeeded");
  });

  it("expires sessions by itself at expires_at on the fake's clock", async () => {
    let clock = Date.now();
    const timed = await startStripeFake({ now: () => clock });
    try {
      const client = stripeClientFor(timed);
      const s = await client.checkout.sessions.create(
        sessionParams({ expires_at: Math.floor(clock / 1000) + 31 * 60 }),
      );
      clock += 30 * 60 * 1000;
      expect((await client.checkout.sessions.retrieve(s.id)).status).toBe("open");
      clock += 2 * 60 * 1000;
      expect((await client.checkout.sessions.retrieve(s.id)).status).toBe("expired");
    } finally {
      await timed.close();
    }
  });
});

describe("validation like Stripe's", () => {
  it.each<[string, Partial<Stripe.Checkout.SessionCreateParams>, RegExp, string]>([
    [
      "missing line_items",
      { line_items: undefined },
      /Missing required param: line_items/,
      "line_items",
    ],
    [
      "expires_at under 30 minutes",
      { expires_at: Math.floor(Date.now() / 1000) + 10 * 60 },
      /at least 30 minutes/,
      "expires_at",
    ],
    [
      "expires_at over 24 hours",
      { expires_at: Math.floor(Date.now() / 1000) + 25 * 3600 },
      /less than 24 hours/,
      "expires_at",
    ],
    [
      "total under the currency minimum",
      {
        line_items: [
          {
            quantity: 1,
            price_data: { currency: "eur", unit_amount: 20, product_data: { name: "x" } },
          },
        ],
      },
      /at least 0\.50 eur/,
      "line_items",
    ],
    ["a bad email", { customer_email: "not-an-email" }, /Invalid email address/, "customer_email"],
    ["a relative success_url", { success_url: "/thanks" }, /Not a valid URL/, "success_url"],
    [
      "a 41-character metadata key",
      { metadata: { ["k".repeat(41)]: "v" } },
      /up to 40 characters/,
      `metadata[${"k".repeat(41)}]`,
    ],
    [
      "a negative unit_amount",
      {
        line_items: [
          {
            quantity: 1,
            price_data: { currency: "eur", unit_amount: -1, product_data: { name: "x" } },
          },
        ],
      },
      /greater than or equal to 0/,
      "line_items[0][price_data][unit_amount]",
    ],
    [
      "a missing quantity",
      {
        line_items: [
          { price_data: { currency: "eur", unit_amount: 500, product_data: { name: "x" } } },
        ],
      },
      /Missing required param: line_items\[0\]\[quantity\]/,
      "line_items[0][quantity]",
    ],
  ])("refuses %s with 400 and the param", async (_label, over, message, param) => {
    const before = fake.sessions.size;
    const err = await stripeError(stripe.checkout.sessions.create(sessionParams(over)));
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err.statusCode).toBe(400);
    expect(err.message).toMatch(message);
    expect(err.param).toBe(param);
    expect(fake.sessions.size).toBe(before);
  });

  it("refuses parameters Stripe does not know, and says which real ones the fake lacks", async () => {
    const unknown = await stripeError(
      stripe.rawRequest("POST", "/v1/checkout/sessions", {
        ...sessionParams(),
        prisoner_name: "x",
      }),
    );
    expect(unknown).toMatchObject({
      statusCode: 400,
      code: "parameter_unknown",
      param: "prisoner_name",
      message: "Received unknown parameter: prisoner_name",
    });
    const lacking = await stripeError(
      stripe.checkout.sessions.create(sessionParams({ allow_promotion_codes: true })),
    );
    expect(lacking.message).toMatch(/does not implement the parameter allow_promotion_codes/);
  });
});

describe("refunds", () => {
  it("refunds the whole payment when no amount is given, then refuses a second refund", async () => {
    const s = await paidSession();
    const refund = await stripe.refunds.create({
      payment_intent: s.payment_intent ?? "",
      reason: "requested_by_customer",
      metadata: { order_id: "ord_1" },
    });
    expect(refund).toMatchObject({
      object: "refund",
      amount: 3000,
      currency: "eur",
      status: "succeeded",
      payment_intent: s.payment_intent,
      metadata: { order_id: "ord_1" },
    });
    expect(refund.id).toMatch(/^re_test_/);
    expect(await stripe.refunds.retrieve(refund.id)).toMatchObject({ id: refund.id, amount: 3000 });
    const again = await stripeError(
      stripe.refunds.create({ payment_intent: s.payment_intent ?? "" }),
    );
    expect(again).toMatchObject({ statusCode: 400, code: "charge_already_refunded" });
  });

  it("allows partial refunds up to the amount paid, by payment_intent or charge", async () => {
    const s = await paidSession();
    const pi = s.payment_intent ?? "";
    expect((await stripe.refunds.create({ payment_intent: pi, amount: 1000 })).amount).toBe(1000);
    const charge = fake.paymentIntents.get(pi)?.latest_charge ?? "";
    expect((await stripe.refunds.create({ charge, amount: 1500 })).amount).toBe(1500);
    const tooMuch = await stripeError(stripe.refunds.create({ payment_intent: pi, amount: 501 }));
    expect(tooMuch).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(tooMuch).toMatchObject({ statusCode: 400, code: "amount_too_large", param: "amount" });
    expect(tooMuch.message).toMatch(/greater than unrefunded amount on charge \(5\.00 eur\)/);
    expect((await stripe.refunds.create({ payment_intent: pi })).amount).toBe(500);
  });

  it("refusing more than was charged", async () => {
    const s = await paidSession();
    const err = await stripeError(
      stripe.refunds.create({ payment_intent: s.payment_intent ?? "", amount: 3001 }),
    );
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err.message).toBe(
      "Refund amount (30.01 eur) is greater than unrefunded amount on charge (30.00 eur)",
    );
  });

  it("answers resource_missing for unknown payment intents and refunds", async () => {
    expect(
      await stripeError(stripe.refunds.create({ payment_intent: "pi_test_nope" })),
    ).toMatchObject({ statusCode: 400, code: "resource_missing", param: "payment_intent" });
    expect(await stripeError(stripe.refunds.retrieve("re_test_nope"))).toMatchObject({
      statusCode: 404,
      code: "resource_missing",
    });
  });
});

describe("idempotency keys", () => {
  it("replays the stored response for the same key and body", async () => {
    const params = sessionParams({ client_reference_id: "ord_idem" });
    const before = fake.sessions.size;
    const first = await stripe.checkout.sessions.create(params, {
      idempotencyKey: "checkout-ord_idem",
    });
    const second = await stripe.checkout.sessions.create(params, {
      idempotencyKey: "checkout-ord_idem",
    });
    expect(second.id).toBe(first.id);
    expect(second.lastResponse.headers["idempotent-replayed"]).toBe("true");
    expect(fake.sessions.size).toBe(before + 1);
  });

  it("refuses the same key with different parameters or on another endpoint", async () => {
    const params = sessionParams({ client_reference_id: "ord_conflict" });
    await stripe.checkout.sessions.create(params, { idempotencyKey: "checkout-ord_conflict" });
    const changed = await stripeError(
      stripe.checkout.sessions.create(
        { ...params, customer_email: "other@example.test" },
        { idempotencyKey: "checkout-ord_conflict" },
      ),
    );
    expect(changed).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(changed).toMatchObject({
      statusCode: 400,
      type: "StripeIdempotencyError",
      rawType: "idempotency_error",
    });
    expect(changed.message).toMatch(/same parameters they were first used with/);
    const s = await paidSession();
    const elsewhere = await stripeError(
      stripe.refunds.create(
        { payment_intent: s.payment_intent ?? "" },
        { idempotencyKey: "checkout-ord_conflict" },
      ),
    );
    expect(elsewhere).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(elsewhere.message).toMatch(/same endpoint/);
  });

  it("does not save a failed request: the same key may be retried with corrected parameters", async () => {
    const bad = sessionParams({ customer_email: "broken" });
    await stripeError(
      stripe.checkout.sessions.create(bad, { idempotencyKey: "checkout-ord_retry" }),
    );
    const ok = await stripe.checkout.sessions.create(
      { ...bad, customer_email: "fixed@example.test" },
      { idempotencyKey: "checkout-ord_retry" },
    );
    expect(ok.status).toBe("open");
  });
});

describe("authentication and outages", () => {
  it("answers 401 to a wrong API key", async () => {
    const wrong = new Stripe("sk_test_wrong_key_123456", {
      ...stripeConfigFromApiUrl(fake.url),
      maxNetworkRetries: 0,
      timeout: 2000,
    });
    const err = await stripeError(wrong.checkout.sessions.create(sessionParams()));
    expect(err).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(err.statusCode).toBe(401);
    expect(err.message).toMatch(/^Invalid API Key provided: sk_test_\*+3456$/);
    expect(fake.requests.at(-1)?.status).toBe(401);
  });

  it('setDown("503") makes the SDK throw StripeAPIError and stores nothing', async () => {
    const before = fake.sessions.size;
    fake.setDown("503");
    const err = await stripeError(stripe.checkout.sessions.create(sessionParams()));
    expect(err).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(err.statusCode).toBe(503);
    expect(fake.sessions.size).toBe(before);
    fake.setDown(false);
    expect((await stripe.checkout.sessions.create(sessionParams())).status).toBe("open");
  });

  it('setDown("refuse") resets connections: StripeConnectionError (the SDK retries a reset once even with retries off)', async () => {
    const before = fake.requests.length;
    fake.setDown("refuse");
    const err = await stripeError(stripe.checkout.sessions.create(sessionParams()));
    expect(err).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    const attempts = fake.requests.slice(before);
    expect(attempts).toHaveLength(2);
    expect(attempts.every((r) => r.status === null)).toBe(true);
    // Both attempts carry the same idempotency key, so a real Stripe would not create two sessions.
    expect(attempts[0]?.headers["idempotency-key"]).toBe(attempts[1]?.headers["idempotency-key"]);
  });

  it('setDown("hang") never answers: the SDK gives up after its short timeout', async () => {
    fake.setDown("hang");
    const started = Date.now();
    const err = await stripeError(stripe.checkout.sessions.create(sessionParams()));
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    expect(err.message).toMatch(/timeout .*2000ms/);
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(5000);
  });
});

describe("faults for one kind of request (failRequests)", () => {
  it("fail only the matching requests, `times` of them; 429 is Stripe's rate limit", async () => {
    fake.failRequests({ method: "POST", path: "/v1/checkout/sessions", mode: "429", times: 1 });
    const err = await stripeError(stripe.checkout.sessions.create(sessionParams()));
    expect(err.statusCode).toBe(429);
    // Another path is untouched, and the fault was used up.
    const session = await stripe.checkout.sessions.create(sessionParams());
    expect((await stripe.checkout.sessions.retrieve(session.id)).id).toBe(session.id);
  });

  it('"lost" carries the request out and never answers; clearFaults ends it', async () => {
    const mark = fake.sessions.size;
    fake.failRequests({ path: /^\/v1\/checkout\/sessions$/, mode: "lost" });
    const err = await stripeError(stripe.checkout.sessions.create(sessionParams()));
    expect(err).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    expect(fake.sessions.size).toBe(mark + 1);
    fake.clearFaults();
    await stripe.checkout.sessions.create(sessionParams());
    expect(fake.sessions.size).toBe(mark + 2);
  });
});

describe("webhooks", () => {
  let receiver: http.Server;
  let receiverUrl = "";
  const received: Stripe.Event[] = [];

  beforeAll(async () => {
    // A minimal endpoint that verifies signatures the way the app will.
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        try {
          const event = Stripe.webhooks.constructEvent(
            Buffer.concat(chunks).toString("utf8"),
            req.headers["stripe-signature"] ?? "",
            WEBHOOK_SECRET,
          );
          received.push(event);
          res
            .writeHead(200, { "Content-Type": "application/json" })
            .end(JSON.stringify({ received: event.type }));
        } catch (err) {
          res.writeHead(400).end(err instanceof Error ? err.message : "bad");
        }
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/stripe`;
  });
  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

  it("builds a Stripe event envelope holding a copy of the object", async () => {
    const s = await paidSession();
    const event = fake.event("checkout.session.completed", s);
    expect(event).toMatchObject({
      object: "event",
      type: "checkout.session.completed",
      livemode: false,
      api_version: Stripe.API_VERSION,
      data: { object: { id: s.id } },
    });
    expect(event.id).toMatch(/^evt_test_/);
    expect(event.data.object).not.toBe(s);
    expect((await stripe.events.retrieve(event.id)).id).toBe(event.id);
  });

  it("signs with the SDK's test header: constructEvent accepts it and rejects a tampered payload or wrong secret", () => {
    const event = buildEvent("checkout.session.expired", {
      id: "cs_test_x",
      object: "checkout.session",
      status: "expired",
    });
    const { payload, header } = signedWebhook(event, WEBHOOK_SECRET);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const verified = stripe.webhooks.constructEvent(payload, header, WEBHOOK_SECRET);
    expect(verified).toMatchObject({ id: event.id, type: "checkout.session.expired" });
    const tampered = payload.replace('"expired"', '"complete"');
    expect(tampered).not.toBe(payload);
    expect(() => stripe.webhooks.constructEvent(tampered, header, WEBHOOK_SECRET)).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
    expect(() => stripe.webhooks.constructEvent(payload, header, "whsec_other")).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
  });

  it("deliverWebhook POSTs with Stripe-Signature; bad secrets, tampering and stale timestamps are refused", async () => {
    const event = fake.event("checkout.session.completed", await paidSession());
    const ok = await deliverWebhook(receiverUrl, event, WEBHOOK_SECRET);
    expect(ok).toEqual({
      status: 200,
      body: JSON.stringify({ received: "checkout.session.completed" }),
    });
    expect(received.at(-1)?.id).toBe(event.id);
    expect((await deliverWebhook(receiverUrl, event, "whsec_wrong")).status).toBe(400);
    const forged = signedWebhook(event, WEBHOOK_SECRET).payload.replace('"paid"', '"unpaid"');
    expect(
      (await fake.deliverWebhook(receiverUrl, event, WEBHOOK_SECRET, { payload: forged })).status,
    ).toBe(400);
    const stale = await deliverWebhook(receiverUrl, event, WEBHOOK_SECRET, {
      timestamp: Math.floor(Date.now() / 1000) - 3600,
    });
    expect(stale.status).toBe(400);
    expect(stale.body).toMatch(/tolerance/i);
  });

  it("the /pay page completes the session, delivers checkout.session.completed, and redirects to success_url", async () => {
    const withHook = await startStripeFake({
      webhook: { url: receiverUrl, secret: WEBHOOK_SECRET },
    });
    try {
      const s = await stripeClientFor(withHook).checkout.sessions.create(sessionParams());
      const page = await fetch(s.url ?? "");
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("30.00 eur");
      const paid = await fetch(s.url ?? "", { method: "POST", redirect: "manual" });
      expect(paid.status).toBe(303);
      expect(paid.headers.get("location")).toBe(
        `http://127.0.0.1:3000/orders/ord_1/thanks?session_id=${s.id}`,
      );
      expect(withHook.sessions.get(s.id)).toMatchObject({
        status: "complete",
        payment_status: "paid",
      });
      const delivered = received.at(-1);
      expect(delivered?.type).toBe("checkout.session.completed");
      expect((delivered?.data.object as Stripe.Checkout.Session).id).toBe(s.id);
      expect((await fetch(s.url ?? "")).status).toBe(410);
    } finally {
      await withHook.close();
    }
  });
});

describe("charges, balance transactions, dashboard refunds and disputes", () => {
  afterAll(() => fake.setSettlement(null));

  it("settles a charge in its own currency by default: the fee rule on the charge's balance transaction", async () => {
    const s = await paidSession();
    const pi = await stripe.paymentIntents.retrieve(s.payment_intent ?? "", {
      expand: ["latest_charge.balance_transaction"],
    });
    const charge = pi.latest_charge as Stripe.Charge;
    expect(charge).toMatchObject({ object: "charge", amount: 3000, currency: "eur" });
    expect(charge.balance_transaction).toMatchObject({
      object: "balance_transaction",
      amount: 3000,
      currency: "eur",
      exchange_rate: null,
      fee: Math.round(3000 * 0.015) + 25,
      net: 3000 - (Math.round(3000 * 0.015) + 25),
      type: "charge",
    });
    const viaCharge = await stripe.charges.retrieve(charge.id, { expand: ["balance_transaction"] });
    expect(viaCharge.balance_transaction).toEqual(charge.balance_transaction);
  });

  it("setSettlement settles in another currency at a rate; refunds leave the settlement balance at that rate", async () => {
    fake.setSettlement({ currency: "usd", exchangeRate: 1.1, fee: 99 });
    const s = await paidSession();
    fake.setSettlement(null);
    const pi = await stripe.paymentIntents.retrieve(s.payment_intent ?? "", {
      expand: ["latest_charge.balance_transaction"],
    });
    const bt = (pi.latest_charge as Stripe.Charge).balance_transaction as Stripe.BalanceTransaction;
    expect(bt).toMatchObject({ amount: 3300, currency: "usd", exchange_rate: 1.1, fee: 99 });
    const refund = await stripe.refunds.create({
      payment_intent: s.payment_intent ?? "",
      amount: 1000,
      expand: ["balance_transaction"],
    });
    expect(refund.balance_transaction).toMatchObject({
      amount: -1100,
      currency: "usd",
      exchange_rate: 1.1,
      fee: 0,
      type: "refund",
    });
    const dashboard = fake.dashboardRefund(s.payment_intent ?? "");
    expect(dashboard.amount).toBe(2000);
    const listed = await stripe.refunds.list({
      charge: String(refund.charge),
      expand: ["data.balance_transaction"],
    });
    expect(
      listed.data.map((r) => [r.id, (r.balance_transaction as Stripe.BalanceTransaction).amount]),
    ).toEqual([
      [dashboard.id, -2200],
      [refund.id, -1100],
    ]);
    expect(fake.chargeOf(s.payment_intent ?? "")).toMatchObject({
      amount_refunded: 3000,
      refunded: true,
    });
    const event = fake.chargeRefundedEvent(s.payment_intent ?? "");
    expect(event).toMatchObject({ type: "charge.refunded", data: { object: { refunded: true } } });
  });

  it("a dispute withdraws the amount and its fee; won reinstates the amount, lost keeps it", async () => {
    const s = await paidSession();
    const dispute = fake.openDispute(s.payment_intent ?? "", { fee: 1500 });
    expect(dispute).toMatchObject({
      object: "dispute",
      amount: 3000,
      currency: "eur",
      status: "needs_response",
      payment_intent: s.payment_intent,
      balance_transactions: [{ amount: -3000, fee: 1500, net: -4500, currency: "eur" }],
    });
    expect(fake.chargeOf(s.payment_intent ?? "").disputed).toBe(true);
    const won = fake.closeDispute(dispute.id, "won");
    expect(won.status).toBe("won");
    expect(won.balance_transactions.map((b) => [b.amount, b.fee])).toEqual([
      [-3000, 1500],
      [3000, 0],
    ]);
    expect(() => fake.closeDispute(dispute.id, "lost")).toThrow(/already won/);
    const other = await paidSession();
    const lost = fake.closeDispute(fake.openDispute(other.payment_intent ?? "").id, "lost");
    expect(lost.balance_transactions).toHaveLength(1);
    expect(fake.disputeEvent("charge.dispute.closed", lost.id)).toMatchObject({
      type: "charge.dispute.closed",
      data: { object: { id: lost.id, status: "lost" } },
    });
  });
});
