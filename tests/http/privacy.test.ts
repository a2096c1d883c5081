// Erasure of attendees' personal data over real HTTP against the production
// build: the buyer's request on the ticket page (with confirmation, no
// JavaScript; a paid card order is refunded through Stripe), the admin's export
// and erasure of one address, and then proof that the erased buyer appears
// nowhere: every table of the database (and its file), the outbox, the server's
// log output, both CSV exports and the admin's JSON export. Last, the retention
// job is stopped mid-way and completes after a restart.
import fs from "node:fs";
import util from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { purgeDueFestivals } from "~/models/privacy.server";
import { prisma, sqlClient } from "~/utils/db.server";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { ledgerOf } from "../helpers/ledger";
import { createDoorDeviceViaApi, doorFestival, signedInAdmin } from "../helpers/fixtures";
import { recipients } from "../helpers/smtp";
import { startStripeFake, type StripeFake, stripeTestEnv } from "../helpers/stripe-fake";

const WEBHOOK_SECRET = "whsec_test_privacy_0123456789abcdef";
const BUYER_NAME = "Zinaida Erasova-Testbuyer";
const BUYER_EMAIL = "zinaida.erasova@example.test";
const DAY = 86_400_000;

let fake: StripeFake;
let app: TestApp;
let client: Client;
let token: string;
let admin: Client;
let festivalId: string;
let typeId: string;
const logs: string[] = [];
/** What was logged: the console and the app's own log file (tests/setup/log-file.ts). */
function logged() {
  const file = process.env.LOG_FILE;
  return [...logs, file && fs.existsSync(file) ? fs.readFileSync(file, "utf8") : ""].join("\n");
}

function captureLogs() {
  for (const method of ["log", "info", "warn", "error", "debug"] as const)
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      logs.push(util.format(...args));
    });
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    vi.spyOn(stream, "write").mockImplementation(((chunk: unknown, ...rest: never[]) => {
      logs.push(String(chunk));
      return write(chunk as string, ...rest);
    }) as typeof stream.write);
  }
}

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>) {
  const end = Date.now() + 15_000;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every table, every column, as text. */
async function dumpDatabase() {
  const tables = await sqlClient().execute(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
  );
  const parts: string[] = [];
  for (const t of tables.rows) {
    const rows = await sqlClient().execute(`SELECT * FROM "${String(t.name)}"`);
    for (const r of rows.rows)
      parts.push(`${String(t.name)}: ${rows.columns.map((c) => String(r[c])).join(" | ")}`);
  }
  return parts.join("\n");
}

function expectNowhere(where: string, text: string) {
  const lower = text.toLowerCase();
  expect(lower.includes(BUYER_EMAIL), `${where} holds the email`).toBe(false);
  expect(lower.includes(BUYER_NAME.toLowerCase()), `${where} holds the name`).toBe(false);
  // Its parts too (a name split over columns, an address in another form).
  expect(lower.includes("erasova"), `${where} holds part of the name`).toBe(false);
}

async function placeOrder(body: Record<string, unknown>) {
  const res = await client.api("POST", `/api/v1/festivals/${festivalId}/orders`, {
    items: [{ ticketTypeId: typeId, quantity: 1 }],
    email: BUYER_EMAIL,
    name: BUYER_NAME,
    ...body,
  });
  expect(res.status, res.text).toBe(201);
  return res.json<{ id: string; code: string; tickets: { id: string; qrToken: string }[] }>();
}

async function accessToken(orderId: string) {
  return (await prisma.order.findUniqueOrThrow({ where: { id: orderId } })).accessToken;
}

beforeAll(async () => {
  captureLogs();
  fake = await startStripeFake();
  app = await startTestApp({
    ...stripeTestEnv(fake, WEBHOOK_SECRET),
    RATE_LIMIT_PER_MINUTE: "0",
    PERSONAL_DATA_RETENTION_DAYS: "30",
  });
  client = new Client(app.url);
  ({ token, browser: admin } = await signedInAdmin(app.url, "Privacy Admin"));
  ({ id: festivalId, typeId } = await doorFestival(client, token, {
    paymentMethods: ["stripe", "door"],
  }));
});
afterAll(async () => {
  await app?.close();
  await fake?.close();
  vi.restoreAllMocks();
});

describe("a buyer's erased personal data", () => {
  it("is gone everywhere after the ticket page's erasure (card order refunded) and the admin's", async () => {
    // 0. Stripe is down at the buyer's first try: the server logs it (without who it was).
    fake.setDown("503");
    const down = await client.api("POST", `/api/v1/festivals/${festivalId}/orders`, {
      items: [{ ticketTypeId: typeId, quantity: 1 }],
      email: BUYER_EMAIL,
      name: BUYER_NAME,
      paymentMethod: "stripe",
    });
    fake.setDown(false);
    expect(down.status).toBe(503);
    expect(logged()).toContain("Stripe checkout failed");

    // 1. A paid card order and a pay-at-the-door order, both with the buyer's name and email.
    const card = await placeOrder({ paymentMethod: "stripe" });
    const session = [...fake.sessions.values()].find((s) => s.metadata.order_id === card.id)!;
    const paid = fake.completeSession(session.id, { email: BUYER_EMAIL });
    const hook = await fake.deliverWebhook(
      `${app.url}/webhooks/stripe`,
      fake.event("checkout.session.completed", paid),
      WEBHOOK_SECRET,
    );
    expect(hook.status).toBe(200);
    const door = await placeOrder({ paymentMethod: "door" });
    await until("both emails", async () =>
      app.mail.messages.filter((m) => recipients(m).includes(BUYER_EMAIL)).length >= 2
        ? true
        : null,
    );
    // The door order's ticket is admitted, and the buyer is looked up by name at the door.
    await prisma.ticket.updateMany({ where: { orderId: door.id }, data: { amountDueMinor: 0 } });
    const deviceToken = (await createDoorDeviceViaApi(client, token, festivalId, "Main door"))
      .token;
    const scan = await client.api(
      "POST",
      "/api/v1/door/scans",
      { token: door.tickets[0]!.qrToken, nonce: "privacy-scan-1" },
      deviceToken,
    );
    expect(scan.json()).toMatchObject({ result: "admitted" });
    const search = await client.api("POST", "/api/v1/door/search", { q: "Zinaida" }, deviceToken);
    expect(search.text).toContain(BUYER_NAME);
    expect(await dumpDatabase()).toContain(BUYER_EMAIL);

    // 2. The ticket page offers erasure; the confirmation says the order is cancelled and refunded.
    const link = `/orders/${await accessToken(card.id)}`;
    const page = await client.get(link);
    expect(page.text).toContain("Erase my personal data");
    expect(page.text).toContain(`href="${link}?erase=1"`);
    expect(page.text).not.toContain("Yes, cancel the order");
    const confirm = await client.get(`${link}?erase=1`);
    expect(confirm.text).toContain("Yes, cancel the order and erase my data");
    expect(confirm.text).toContain("Your card payment is refunded to your card.");
    // A plain form: works without JavaScript.
    expect(confirm.text).toMatch(new RegExp(`<form method="post" action="${link}"`));
    expect(confirm.text).toContain('name="intent" value="erase"');
    const bad = await client.postForm(link, { intent: "nope" });
    expect(bad.status).toBe(400);
    expect((await prisma.order.findUniqueOrThrow({ where: { id: card.id } })).email).toBe(
      BUYER_EMAIL,
    );
    // The confirmation step is required: a bare post erases nothing.
    const bare = await client.postForm(link, { intent: "erase" });
    expect(bare.status).toBe(400);
    expect(await prisma.order.count({ where: { email: BUYER_EMAIL } })).toBeGreaterThan(0);
    const erased = await client.postForm(link, { intent: "erase", confirm: "yes" });
    expect(erased.status).toBe(302);
    expect(erased.location).toBe("/orders/erased?cancelled=1");
    expect((await client.get(erased.location!)).text).toContain(
      "Your personal data has been erased",
    );
    expect((await client.get(link)).status).toBe(404);
    const cardRow = await prisma.order.findUniqueOrThrow({ where: { id: card.id } });
    expect(cardRow).toMatchObject({
      status: "refunded",
      email: null,
      name: null,
      totalMinor: 1500,
    });
    expect(
      [...fake.refunds.values()].filter((r) => r.payment_intent === paid.payment_intent),
    ).toHaveLength(1);
    const refund = (await ledgerOf(card.id)).filter((l) => l.kind === "refund");
    expect(refund.map((l) => [l.account, l.category, l.amountMinor])).toEqual([
      ["refunds", "ticket", 1500],
      ["stripe_balance", null, -1500],
    ]);

    // 3. The door order's ticket was used, so the buyer cannot erase it before the end…
    const doorLink = `/orders/${await accessToken(door.id)}`;
    const refused = await client.get(`${doorLink}?erase=1`);
    expect(refused.text).toContain("already been used at the door");
    expect(refused.text).not.toContain("Yes, erase my data");
    // …but an admin can: export first, then erase with a confirmation step.
    const exported = await admin.postForm("/admin/privacy.json", {
      email: BUYER_EMAIL.toUpperCase(),
    });
    expect(exported.status).toBe(200);
    expect(exported.headers.get("content-disposition")).toContain("attachment");
    expect(exported.headers.get("cache-control")).toContain("no-store");
    const data = exported.json<{ orders: { code: string; name: string; status: string }[] }>();
    expect(data.orders).toEqual([expect.objectContaining({ code: door.code, name: BUYER_NAME })]);
    const invalid = await admin.postForm("/admin/privacy", {
      intent: "preview",
      email: "not an address",
    });
    expect(invalid.status).toBe(400);
    const preview = await admin.postForm("/admin/privacy", {
      intent: "preview",
      email: BUYER_EMAIL,
    });
    expect(preview.text).toContain("Erase everything stored about");
    expect(preview.text).toContain("1 order");
    expect((await prisma.order.findUniqueOrThrow({ where: { id: door.id } })).email).toBe(
      BUYER_EMAIL,
    );
    const unconfirmed = await admin.postForm("/admin/privacy", {
      intent: "erase",
      email: BUYER_EMAIL,
    });
    expect(unconfirmed.status).toBe(400);
    const done = await admin.postForm("/admin/privacy", {
      intent: "erase",
      email: BUYER_EMAIL,
      confirm: "yes",
    });
    expect(done.status).toBe(200);
    expect(done.text).toContain("Erased: 1 order (0 cancelled first)");
    // Used at the door: the ticket stays valid and admitted; only the person is gone.
    expect(await prisma.order.findUniqueOrThrow({ where: { id: door.id } })).toMatchObject({
      status: "confirmed",
      email: null,
      name: null,
    });
    expect(await prisma.ticket.findFirstOrThrow({ where: { orderId: door.id } })).toMatchObject({
      status: "valid",
      admittedBy: "Main door",
    });
    expect(await prisma.checkIn.count({ where: { ticketId: door.tickets[0]!.id } })).toBe(1);

    // 4. Nowhere: tables (every column), the database file itself, the outbox, …
    expectNowhere("the database", await dumpDatabase());
    await sqlClient().execute("PRAGMA wal_checkpoint(TRUNCATE)");
    expectNowhere("the database file", fs.readFileSync(app.databaseFile).toString("latin1"));
    expect(await prisma.outboxEmail.count({ where: { payload: { contains: card.id } } })).toBe(0);
    // … the audit log (counts, never the address or a hash of it) …
    const audits = await prisma.auditEvent.findMany({ where: { action: "privacy.erase" } });
    expect(audits).toHaveLength(2);
    // … both CSV exports, the admin's export, the door search, …
    const orders = await admin.get(`/admin/festivals/${festivalId}/orders.csv`);
    expect(orders.status).toBe(200);
    expect(orders.text).toContain(door.code);
    expectNowhere("orders.csv", orders.text);
    const checkIns = await admin.get(`/admin/festivals/${festivalId}/check-ins.csv`);
    expect(checkIns.text).toContain(door.code);
    expectNowhere("check-ins.csv", checkIns.text);
    const again = await admin.postForm("/admin/privacy.json", { email: BUYER_EMAIL });
    expect(again.json()).toMatchObject({ orders: [], emails: [], invitations: [], account: null });
    expectNowhere("the admin export", again.text.replace(BUYER_EMAIL, ""));
    const gone = await client.api("POST", "/api/v1/door/search", { q: "Zinaida" }, deviceToken);
    expect(gone.json()).toMatchObject({ results: [] });
    // … and the server's log output, from start to here.
    expectNowhere("the server log", logged());
  });
});

describe("the retention job", () => {
  it("stopped mid-way, completes after a restart and records each run", async () => {
    const codes: string[] = [];
    for (let i = 0; i < 3; i++)
      codes.push((await placeOrder({ paymentMethod: "door", name: `Retained Person ${i}` })).code);
    // The festival ended 31 days ago.
    const endsAt = new Date(Date.now() - 31 * DAY);
    await prisma.festival.update({
      where: { id: festivalId },
      data: { startsAt: new Date(endsAt.getTime() - 8 * 3600_000), endsAt },
    });
    // A run that stops after one order (as if the process were killed).
    expect(await purgeDueFestivals({ batchSize: 1, maxBatches: 1 })).toMatchObject({ orders: 1 });
    expect(await prisma.order.count({ where: { festivalId, erasedAt: null } })).toBeGreaterThan(0);

    app = await app.restart();
    client = new Client(app.url);
    const signedIn = admin;
    admin = new Client(app.url);
    admin.cookies = signedIn.cookies;
    // The job runs at start and finishes the festival.
    const f = await until("the festival purged", () =>
      prisma.festival.findFirst({ where: { id: festivalId, personalDataPurgedAt: { not: null } } }),
    );
    expect(f.personalDataPurgedAt).toBeInstanceOf(Date);
    expect(await prisma.order.count({ where: { festivalId, erasedAt: null } })).toBe(0);
    const dump = await dumpDatabase();
    expect(dump).not.toContain("Retained Person");
    for (const code of codes) expect(dump).toContain(code);
    expect(
      await prisma.ticket.count({ where: { festivalId, status: "valid" } }),
    ).toBeGreaterThanOrEqual(3);
    const runs = await prisma.auditEvent.findMany({
      where: { action: "privacy.purge", festivalId },
      orderBy: { id: "asc" },
    });
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(runs.at(-1)!.details)).toMatchObject({ complete: true });
    expect(runs.every((r) => !r.details.includes("@"))).toBe(true);
    // The page still works for organisers, without names.
    const list = await admin.get(`/admin/festivals/${festivalId}/orders`);
    expect(list.status).toBe(200);
    expect(list.text).not.toContain("Retained Person");
    expect(list.text).toContain("personal data erased");
  });
});
