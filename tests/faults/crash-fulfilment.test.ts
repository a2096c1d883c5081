// kill -9 in the middle of fulfilment (issue 12). The production build runs in a
// process of its own with one pause point armed (FAULT_POINTS, the test hook in
// app/utils/fault-points.server.ts); the test sends the request, waits for the
// process to reach the point and freeze there, kills it with SIGKILL, starts a
// new process on the same database and port, and lets the client (or Stripe)
// retry exactly what it sent. Each effect — a card order fulfilled by its
// webhook, door cash taken, a tattoo booking placed, a payout marked paid —
// must exist exactly once, with its email delivered exactly once (counted by
// X-Outbox-Id at a real SMTP server) and the books balanced.
//
// One process per case: the process a case restarts into is the one armed for
// the next case (cases alternate between paths, so a retry never crosses the
// next case's point). Setup runs first, through the first process.
import type { ParsedMail } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approvePayout, proposePayout } from "~/models/payouts.server";
import { createRecipient } from "~/models/recipients.server";
import { prisma, sqlClient } from "~/utils/db.server";
import { faultMarker, type FaultPoint } from "~/utils/fault-points.server";
import { Client } from "../helpers/app";
import { spawnApp, type AppProcess } from "../helpers/app-process";
import { freshTestEnv } from "../helpers/env";
import {
  apiToken,
  buyDoorTicket,
  createDoorDeviceViaApi,
  createPrisonerRow,
  createUserRow,
  doorFestival,
  uniqueEmail,
  type DoorTicket,
} from "../helpers/fixtures";
import { fundHeld, fundPrisoner } from "../helpers/funds";
import { assertLedgerBalanced } from "../helpers/ledger";
import { recipients, startSmtpServer, type Mailbox } from "../helpers/smtp";
import {
  startStripeFake,
  stripeTestEnv,
  type FakeEvent,
  type StripeFake,
} from "../helpers/stripe-fake";
import { createArtistRow, createSlotRow, slotState } from "../helpers/tattoo";
import { createMoneyUser, moneyTokenDirect, type MoneyUser } from "../helpers/treasury";

const WEBHOOK_SECRET = "whsec_test_crash_fulfilment_0123456789abcdef";
const PRICE = 1500;

const testEnv = freshTestEnv();
let mail: Mailbox;
let fake: StripeFake;
let app: AppProcess;
let client: Client;
let festival: { id: string; slug: string; typeId: string };
let deviceToken: string;
let treasurer: MoneyUser;
let treasurerToken: string;
let prisonerId: string;

function appEnv(point?: FaultPoint): Record<string, string> {
  return {
    SMTP_URL: mail.url,
    ...stripeTestEnv(fake, WEBHOOK_SECRET),
    STRIPE_TIMEOUT_MS: "2000",
    RATE_LIMIT_PER_MINUTE: "0",
    // The killed process never gives its worker leases back: the restarted one
    // takes them when they run out, well inside the test's 30 s waits.
    WORKER_LEASE_SECONDS: "3",
    FAULT_POINTS: point ?? "",
  };
}

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false> | T) {
  const end = Date.now() + 30_000;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** No email is due or being sent: a kill now cannot cut a delivery in half. */
const outboxIdle = () =>
  until("the outbox to drain", async () => {
    const due = await prisma.outboxEmail.count({
      where: { status: "pending", nextAttemptAt: { lte: new Date() } },
    });
    return due === 0;
  });

const outboxIdOf = (m: ParsedMail) => String(m.headers.get("x-outbox-id") ?? "");

/** The order's outbox rows by template, each delivered exactly once by X-Outbox-Id. */
async function deliveredOnce(orderId: string, templates: string[]) {
  const rows = await until(`the emails of ${orderId} sent`, async () => {
    const rows = await prisma.outboxEmail.findMany({
      where: { payload: { contains: orderId }, template: { in: templates } },
    });
    return rows.length >= templates.length && rows.every((r) => r.status === "sent") && rows;
  });
  expect(rows.map((r) => r.template).sort()).toEqual([...templates].sort());
  for (const row of rows) {
    await until(`mail ${row.id} at the SMTP server`, () =>
      mail.messages.some((m) => outboxIdOf(m) === row.id),
    );
    expect(mail.messages.filter((m) => outboxIdOf(m) === row.id)).toHaveLength(1);
  }
  return rows;
}

type Case = {
  point: FaultPoint;
  /** Set the case up (through the process running before it is armed: never across its point). */
  prepare: () => Promise<void>;
  /** The request the client (or Stripe) sends, and sends again after the restart. */
  send: () => Promise<{ status: number; text: string }>;
  /** What the retry answered and what the database holds: the effect exactly once. */
  check: (retry: { status: number; text: string }) => Promise<void>;
};

// ------------------------------------------------------------ the four fulfilments

/** A card order: Stripe's checkout.session.completed, delivered again after the crash. */
function cardCase(point: FaultPoint): Case {
  const email = uniqueEmail("card-crash");
  let orderId = "";
  let event: FakeEvent;
  return {
    point,
    async prepare() {
      const res = await client.api("POST", `/api/v1/festivals/${festival.id}/orders`, {
        items: [{ ticketTypeId: festival.typeId, quantity: 2 }],
        email,
        paymentMethod: "stripe",
      });
      expect(res.status, res.text).toBe(201);
      orderId = res.json<{ id: string }>().id;
      const session = [...fake.sessions.values()].find((s) => s.metadata.order_id === orderId)!;
      event = fake.event("checkout.session.completed", fake.completeSession(session.id));
    },
    send: async () => {
      const res = await fake.deliverWebhook(`${app.url}/webhooks/stripe`, event, WEBHOOK_SECRET);
      return { status: res.status, text: res.body };
    },
    async check(retry) {
      expect(retry.status, retry.text).toBe(200);
      expect(JSON.parse(retry.text)).toMatchObject({
        outcome: point.endsWith("before-commit") ? "fulfilled" : "duplicate",
      });
      const order = await prisma.order.findUniqueOrThrow({ where: { id: orderId } });
      expect(order.status).toBe("paid");
      expect(await prisma.ticket.count({ where: { orderId } })).toBe(2);
      expect(await prisma.stripeEvent.count({ where: { id: event.id } })).toBe(1);
      const entries = await prisma.ledgerEntry.findMany({ where: { orderId } });
      expect(entries.map((e) => e.id).sort()).toEqual(
        [`order:${orderId}:fee`, `order:${orderId}:payment`].sort(),
      );
      await deliveredOnce(orderId, ["order-confirmation"]);
      expect(mail.messages.filter((m) => recipients(m).includes(email))).toHaveLength(1);
    },
  };
}

/** Cash taken at the door for a pay-at-the-door ticket, then its admission. */
function doorCashCase(point: FaultPoint): Case {
  let ticket: DoorTicket;
  const nonce = `crash-${point.replace(":", "-")}-${Date.now()}`;
  return {
    point,
    async prepare() {
      ticket = await buyDoorTicket(client, festival.id, festival.typeId, { paid: false });
    },
    send: () =>
      client.api(
        "POST",
        "/api/v1/door/payments",
        { token: ticket.qrToken, nonce, amountMinor: PRICE },
        deviceToken,
      ),
    async check(retry) {
      expect(retry.status, retry.text).toBe(200);
      expect(JSON.parse(retry.text)).toMatchObject({ result: "admitted" });
      const row = await prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } });
      expect(row).toMatchObject({ amountDueMinor: 0, inside: true });
      expect(row.admittedAt).toBeInstanceOf(Date);
      expect(
        await prisma.checkIn.count({ where: { ticketId: ticket.id, result: "admitted" } }),
      ).toBe(1);
      const cash = await sqlClient().execute({
        sql: `SELECT e.id, SUM(p.amountMinor) AS cash FROM LedgerEntry e
              JOIN LedgerPosting p ON p.entryId = e.id JOIN LedgerAccount a ON a.id = p.accountId
              WHERE e.orderId = ? AND a.code = 'door_cash' GROUP BY e.id`,
        args: [ticket.orderId],
      });
      expect(cash.rows.map((r) => [r.id, Number(r.cash)])).toEqual([
        [`door:${ticket.id}:payment`, PRICE],
      ]);
      expect((await prisma.order.findUniqueOrThrow({ where: { id: ticket.orderId } })).status).toBe(
        "paid",
      );
    },
  };
}

/** A tattoo booking paid at the door, placed at once; the client repeats its Idempotency-Key. */
function tattooCase(point: FaultPoint): Case {
  const email = uniqueEmail("tattoo-crash");
  const key = `crash-tattoo-${point}`;
  let slotId = "";
  return {
    point,
    async prepare() {
      const artist = await createArtistRow(festival.id, { name: `Needle ${point}` });
      slotId = (await createSlotRow(festival.id, artist.id, new Date("2030-01-26T14:00:00Z"))).id;
    },
    send: () =>
      client.api(
        "POST",
        `/api/v1/festivals/${festival.id}/orders`,
        {
          items: [{ kind: "tattoo_slot", tattooSlotId: slotId, donationMinor: 2000 }],
          email,
          paymentMethod: "door",
        },
        undefined,
        { "Idempotency-Key": key },
      ),
    async check(retry) {
      expect([200, 201], retry.text).toContain(retry.status);
      const orders = await prisma.order.findMany({ where: { email } });
      expect(orders).toHaveLength(1);
      expect(JSON.parse(retry.text)).toMatchObject({ id: orders[0]!.id, status: "confirmed" });
      expect(await slotState(slotId)).toEqual({
        reserved: 1,
        bookings: [{ status: "booked", holdsSlot: 1 }],
      });
      await deliveredOnce(orders[0]!.id, ["order-confirmation"]);
      expect(mail.messages.filter((m) => recipients(m).includes(email))).toHaveLength(1);
    },
  };
}

/** An approved payout marked paid by a treasurer; the client sends the same request again. */
function payoutCase(point: FaultPoint): Case {
  const body = { reference: `SBP ${point}`, paidAt: new Date(Date.now() - 60_000).toISOString() };
  let payoutId = "";
  return {
    point,
    async prepare() {
      const recipient = await createRecipient(treasurer.actor, {
        prisonerId,
        kind: "relative",
        displayName: `Relative ${point}`,
        details: "card 2202 0000 0000 0000",
        monthlyCap: { amountMinor: 1_000_000, currency: "EUR" },
      });
      const proposed = await proposePayout(treasurer.actor, {
        prisonerId,
        recipientId: recipient.id,
        category: "family_support",
        amountMinor: 30_000,
        currency: "EUR",
      });
      const approver = await createMoneyUser();
      await approvePayout(approver.actor, proposed.id);
      payoutId = proposed.id;
    },
    send: () => client.api("POST", `/api/v1/payouts/${payoutId}/paid`, body, treasurerToken),
    async check(retry) {
      // The retry of a request that went through answers what the first one would have.
      expect(retry.status, retry.text).toBe(200);
      expect(JSON.parse(retry.text)).toMatchObject({
        payout: { id: payoutId, status: "paid", reference: body.reference },
      });
      // One entry, drawing the amount from the prisoner's fund once.
      const entries = await sqlClient().execute({
        sql: `SELECT e.id, SUM(p.amountMinor) AS drawn FROM LedgerEntry e
              JOIN LedgerPosting p ON p.entryId = e.id JOIN LedgerAccount a ON a.id = p.accountId
              WHERE e.id LIKE ? AND a.code = 'fund' GROUP BY e.id`,
        args: [`payout:${payoutId}:%`],
      });
      expect(entries.rows.map((r) => [String(r.id), Number(r.drawn)])).toEqual([
        [`payout:${payoutId}:${festival.id}`, 30_000],
      ]);
      expect(
        await prisma.auditEvent.count({ where: { action: "payout.paid", targetId: payoutId } }),
      ).toBe(1);
    },
  };
}

const cases: Case[] = [
  cardCase("card-fulfilment:before-commit"),
  doorCashCase("door-cash:before-commit"),
  tattooCase("order-placement:before-commit"),
  payoutCase("payout-paid:before-commit"),
  cardCase("card-fulfilment:after-commit"),
  doorCashCase("door-cash:after-commit"),
  tattooCase("order-placement:after-commit"),
  payoutCase("payout-paid:after-commit"),
];

beforeAll(async () => {
  mail = await startSmtpServer();
  fake = await startStripeFake();
  app = await spawnApp({ env: appEnv(cases[0]!.point) });
  client = new Client(app.url);
  const admin = await createUserRow({ role: "admin" });
  const token = await apiToken(app.url, admin.email);
  festival = await doorFestival(client, token, {
    priceMinor: PRICE,
    paymentMethods: ["stripe", "door"],
  });
  deviceToken = (await createDoorDeviceViaApi(client, token, festival.id)).token;
  treasurer = await createMoneyUser();
  treasurerToken = await moneyTokenDirect(treasurer.id);
  prisonerId = (await createPrisonerRow(`crash-${Date.now()}`, { en: "Crash Prisoner" })).id;
  await fundPrisoner({ festivalId: festival.id, prisonerId, amountMinor: 500_000 });
  for (const c of cases) await c.prepare();
});

afterAll(async () => {
  await app?.kill();
  await mail?.close();
  await fake?.close();
});

describe("kill -9 in the middle of fulfilment, then a restart and the client's retry", () => {
  it.each(cases.map((c, i) => [c.point, i] as const))("%s", async (point, i) => {
    const c = cases[i]!;
    await outboxIdle();
    const before = app.output().length;
    let answered = "";
    const first = c.send().then(
      (res) => (answered = `answered ${res.status} ${res.text.slice(0, 300)}`),
      () => "connection lost",
    );
    await until(`the process to reach ${point}`, () => {
      if (answered) throw new Error(`the request did not reach ${point}: ${answered}`);
      return app.output().slice(before).includes(faultMarker(point));
    });
    expect(await app.kill()).toBe("SIGKILL");
    // The client never heard back: it cannot know whether anything happened.
    expect(await first).toBe("connection lost");
    app = await spawnApp({ port: app.port, env: appEnv(cases[i + 1]?.point) });
    await c.check(await c.send());
  });

  it("leaves the books balanced and sent every email exactly once", async () => {
    await outboxIdle();
    await assertLedgerBalanced(testEnv.databaseUrl);
    // Two payouts of 300 € left the fund, each once.
    expect(await fundHeld(prisonerId, "EUR")).toBe(500_000 - 2 * 30_000);
    const ids = mail.messages.map(outboxIdOf);
    expect(ids.every(Boolean)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
