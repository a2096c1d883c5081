// GET /metrics on the production build (issue 12, decision 0043): Prometheus
// text behind METRICS_TOKEN; requests and latencies by route pattern, never by
// raw path; outbox depth and age, webhook lag, door scans in the last minute and
// active holds, each moved by the real thing (a card checkout through the Stripe
// fake, its signed webhook, a door scan, outbox rows). And the logs of those
// requests: one JSON line each, with the request id that X-Request-Id answered.
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { deliverDueEmails } from "~/utils/email.server";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import {
  apiToken,
  buyDoorTicket,
  createDoorDeviceViaApi,
  createUserRow,
  doorFestival,
  uniqueEmail,
} from "../helpers/fixtures";
import { startStripeFake, type StripeFake, stripeTestEnv } from "../helpers/stripe-fake";

const METRICS_TOKEN = "metrics-test-token-0123456789abcdef";
const WEBHOOK_SECRET = "whsec_test_metrics_0123456789abcdef";

let fake: StripeFake;
let app: TestApp;
let client: Client;
let token: string;
let festival: { id: string; slug: string; typeId: string };

/** The value of one sample (`name{labels}`), or undefined when it is not there. */
function sample(text: string, name: string, labels: Record<string, string> = {}) {
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = Object.fromEntries(
      [...(m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(m[3]);
  }
  return undefined;
}

async function scrape() {
  const res = await client.get("/metrics", { Authorization: `Bearer ${METRICS_TOKEN}` });
  expect(res.status, res.text).toBe(200);
  return res.text;
}

beforeAll(async () => {
  fake = await startStripeFake();
  app = await startTestApp({
    ...stripeTestEnv(fake, WEBHOOK_SECRET),
    METRICS_TOKEN,
    RATE_LIMIT_PER_MINUTE: "0",
  });
  client = new Client(app.url);
  const admin = await createUserRow({ role: "admin" });
  token = await apiToken(app.url, admin.email);
  festival = await doorFestival(client, token, { paymentMethods: ["door", "stripe"] });
});

afterAll(async () => {
  await app?.close();
  await fake?.close();
});

describe("GET /metrics", () => {
  it("answers only the Bearer METRICS_TOKEN: 401 without it or with another, in the JSON error shape", async () => {
    for (const headers of [
      {} as Record<string, string>,
      { Authorization: "Bearer not-the-metrics-token-0123456789" },
      { Authorization: METRICS_TOKEN },
      { Authorization: `Basic ${METRICS_TOKEN}` },
    ]) {
      const res = await client.get("/metrics", headers);
      expect(res.status).toBe(401);
      expect(res.json()).toEqual({
        error: "unauthorized",
        message: "A valid metrics token is required.",
      });
      expect(res.text).not.toContain("http_request_duration_seconds");
    }
    const ok = await client.get("/metrics", { Authorization: `Bearer ${METRICS_TOKEN}` });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(ok.headers.get("cache-control")).toBe("no-store");
    expect(ok.text).toContain("# TYPE http_request_duration_seconds histogram");
    expect(ok.text).toContain("# TYPE process_resident_memory_bytes gauge");
  });

  it("counts requests and latencies by route pattern, never by raw path", async () => {
    const before = await scrape();
    const page = { method: "GET", route: "/festivals/:slug", status: "200" };
    const missing = { method: "GET", route: "/orders/:token", status: "404" };
    const pageCount = sample(before, "http_request_duration_seconds_count", page) ?? 0;
    for (let i = 0; i < 3; i++)
      expect((await client.get(`/festivals/${festival.slug}`)).status).toBe(200);
    const secret = "no-such-order-token-0123456789abcdefghijklmno";
    expect((await client.get(`/orders/${secret}`)).status).toBe(404);
    const after = await scrape();
    expect(sample(after, "http_request_duration_seconds_count", page)).toBe(pageCount + 3);
    expect(sample(after, "http_request_duration_seconds_count", missing)).toBeGreaterThanOrEqual(1);
    expect(sample(after, "http_request_duration_seconds_bucket", { ...page, le: "+Inf" })).toBe(
      pageCount + 3,
    );
    expect(sample(after, "http_request_duration_seconds_sum", page)).toBeGreaterThan(0);
    // A data request of the same route, and the API, under their own patterns.
    expect((await client.get(`/festivals/${festival.slug}.data`)).status).toBe(200);
    const data = await scrape();
    expect(
      sample(data, "http_request_duration_seconds_count", {
        ...page,
        route: "/festivals/:slug.data",
      }),
    ).toBe(1);
    expect(after).not.toContain(festival.slug);
    expect(after).not.toContain(secret);
    const routes = new Set([...after.matchAll(/route="([^"]*)"/g)].map((m) => m[1]));
    for (const route of routes) expect(route).toMatch(/^(\/[\w.:*-]*)+$|^unmatched$/);
  });

  it("a card checkout holds places until Stripe's webhook pays it; the webhook's lag is observed", async () => {
    const holdsBefore = sample(await scrape(), "holds_active");
    expect(holdsBefore).toBe(0);
    const res = await client.api("POST", `/api/v1/festivals/${festival.id}/orders`, {
      items: [{ ticketTypeId: festival.typeId, quantity: 1 }],
      email: uniqueEmail("card-buyer"),
      paymentMethod: "stripe",
    });
    expect(res.status, res.text).toBe(201);
    const order = res.json<{ id: string }>();
    const held = await scrape();
    expect(sample(held, "holds_active")).toBe(1);
    const lagCount = sample(held, "stripe_webhook_lag_seconds_count") ?? 0;
    const lagSum = sample(held, "stripe_webhook_lag_seconds_sum") ?? 0;

    const session = [...fake.sessions.values()].find((s) => s.metadata.order_id === order.id)!;
    const paid = fake.completeSession(session.id);
    // Stripe created the event 90 seconds ago (a delivery retried after an outage).
    const created = Math.floor(Date.now() / 1000) - 90;
    const event = fake.event("checkout.session.completed", paid, { created });
    const delivered = await fake.deliverWebhook(
      `${app.url}/webhooks/stripe`,
      event,
      WEBHOOK_SECRET,
    );
    expect(delivered.status, delivered.body).toBe(200);
    // The same event again is a duplicate: no second observation.
    await fake.deliverWebhook(`${app.url}/webhooks/stripe`, event, WEBHOOK_SECRET);

    const done = await scrape();
    expect(sample(done, "holds_active")).toBe(0);
    expect(sample(done, "stripe_webhook_lag_seconds_count")).toBe(lagCount + 1);
    const lag = sample(done, "stripe_webhook_lag_seconds_sum")! - lagSum;
    expect(lag).toBeGreaterThanOrEqual(90);
    expect(lag).toBeLessThan(120);
    expect(sample(done, "stripe_webhook_lag_seconds_bucket", { le: "60" })).toBe(
      sample(held, "stripe_webhook_lag_seconds_bucket", { le: "60" }),
    );
    expect(sample(done, "stripe_webhook_lag_seconds_bucket", { le: "300" })).toBe(
      (sample(held, "stripe_webhook_lag_seconds_bucket", { le: "300" }) ?? 0) + 1,
    );
  });

  it("door scans in the last minute, by verdict", async () => {
    const device = await createDoorDeviceViaApi(client, token, festival.id);
    const before = await scrape();
    const admittedBefore = sample(before, "door_scans_last_minute", { result: "admitted" }) ?? 0;
    const ticket = await buyDoorTicket(client, festival.id, festival.typeId);
    for (const nonce of ["metrics-scan-1", "metrics-scan-2"]) {
      const res = await client.api(
        "POST",
        "/api/v1/door/scans",
        { token: ticket.qrToken, nonce },
        device.token,
      );
      expect(res.status, res.text).toBe(200);
    }
    const after = await scrape();
    expect(sample(after, "door_scans_last_minute", { result: "admitted" })).toBe(
      admittedBefore + 1,
    );
    expect(sample(after, "door_scans_last_minute", { result: "already_admitted" })).toBe(1);
    // A scan recorded two minutes ago is not in the last minute.
    await prisma.checkIn.updateMany({
      where: { nonce: { endsWith: ":metrics-scan-2" } },
      data: { recordedAt: new Date(Date.now() - 120_000) },
    });
    expect(
      sample(await scrape(), "door_scans_last_minute", { result: "already_admitted" }),
    ).toBeUndefined();
  });

  it("outbox depth, failures and the age of the oldest pending email", async () => {
    await deliverDueEmails(); // the tickets' emails so far are sent: nothing due is left
    // …and none is still on its way (the app's own worker may hold one it claimed):
    // the outbox is quiet, so only this test's rows move the gauges.
    const quiet = Date.now() + 20_000;
    while ((await prisma.outboxEmail.count({ where: { status: "pending" } })) > 0) {
      if (Date.now() > quiet) throw new Error("the outbox did not drain");
      await new Promise((r) => setTimeout(r, 100));
    }
    const before = await scrape();
    const pending = sample(before, "outbox_emails_pending")!;
    const failed = sample(before, "outbox_emails_failed")!;
    const later = new Date(Date.now() + 3_600_000); // not yet due: the worker leaves them
    await prisma.outboxEmail.createMany({
      data: [
        {
          to: uniqueEmail("outbox"),
          template: "test",
          nextAttemptAt: later,
          createdAt: new Date(Date.now() - 600_000),
        },
        { to: uniqueEmail("outbox"), template: "test", nextAttemptAt: later },
        { to: uniqueEmail("outbox"), template: "test", status: "failed" },
      ],
    });
    const after = await scrape();
    expect(sample(after, "outbox_emails_pending")).toBe(pending + 2);
    expect(sample(after, "outbox_emails_failed")).toBe(failed + 1);
    const age = sample(after, "outbox_oldest_pending_age_seconds")!;
    expect(age).toBeGreaterThanOrEqual(600);
    expect(age).toBeLessThan(700);
    await prisma.outboxEmail.deleteMany({ where: { template: "test" } });
  });
});

describe("request ids and access lines", () => {
  const logLines = () =>
    fs
      .readFileSync(process.env.LOG_FILE!, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it("each response names its request id; the request's log line carries it, with the route pattern and the client's /24", async () => {
    const res = await client.get(`/festivals/${festival.slug}?email=someone@example.org`);
    const id = res.headers.get("x-request-id")!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const line = logLines().find((l) => l.reqId === id)!;
    expect(line).toMatchObject({
      level: "info",
      msg: "request",
      method: "GET",
      route: "/festivals/:slug",
      status: 200,
      clientNet: "127.0.0.0/24",
    });
    expect(typeof line.ms).toBe("number");
    expect(JSON.stringify(line)).not.toContain(festival.slug);
    expect(JSON.stringify(line)).not.toContain("someone");
  });

  it("a proxy's plain X-Request-Id is kept; one that could carry data is replaced", async () => {
    const kept = await client.get("/healthz", { "X-Request-Id": "proxy-req-12345678" });
    expect(kept.headers.get("x-request-id")).toBe("proxy-req-12345678");
    expect(logLines().some((l) => l.reqId === "proxy-req-12345678")).toBe(true);
    for (const bad of ["buyer@example.org", "203.0.113.7", "x".repeat(80), "a b"]) {
      const res = await client.get("/healthz", { "X-Request-Id": bad });
      expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it("an error's line carries the id of the request that failed, and no buyer's address", async () => {
    fake.setDown("503");
    const email = uniqueEmail("stripe-down");
    try {
      const res = await client.api("POST", `/api/v1/festivals/${festival.id}/orders`, {
        items: [{ ticketTypeId: festival.typeId, quantity: 1 }],
        email,
        paymentMethod: "stripe",
      });
      expect(res.status, res.text).toBe(503);
      const id = res.headers.get("x-request-id")!;
      const lines = logLines().filter((l) => l.reqId === id);
      expect(lines.map((l) => l.msg)).toEqual(["Stripe checkout failed", "request"]);
      expect(lines[0]).toMatchObject({ level: "error", err: { type: expect.any(String) } });
      expect(lines[1]).toMatchObject({ route: "/api/v1/festivals/:id/orders", status: 503 });
      expect(JSON.stringify(lines)).not.toContain(email);
    } finally {
      fake.setDown(false);
    }
  });
});
