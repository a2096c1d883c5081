// One write path (app/utils/change.server.ts): a change and its records — audit
// rows, ledger entries, outbox emails — commit together or not at all, on either
// database client. Each converted path is run with one of its record inserts
// refused by a temporary trigger, and the change itself must be gone with it.
import type Stripe from "stripe";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type * as ChangeServer from "~/utils/change.server";
import type * as DbServer from "~/utils/db.server";
import type * as DoorServer from "~/models/door.server";
import type * as OrderServer from "~/models/order.server";
import type * as PaymentServer from "~/models/payment.server";
import type * as UserServer from "~/models/user.server";
import type { CurrentUser } from "~/utils/auth.server";
import { freshTestEnv } from "../helpers/env";
import type * as Fixtures from "../helpers/fixtures";
import { startStripeFake, type StripeFake } from "../helpers/stripe-fake";

let stripeFake: StripeFake;
let db: typeof DbServer;
let change: typeof ChangeServer;
let door: typeof DoorServer;
let orders: typeof OrderServer;
let payment: typeof PaymentServer;
let users: typeof UserServer;
let fixtures: typeof Fixtures;
let festival: { id: string; endsAt: Date };
let typeId: string;
let organiser: CurrentUser;

beforeAll(async () => {
  stripeFake = await startStripeFake();
  freshTestEnv({
    STRIPE_SECRET_KEY: stripeFake.secretKey,
    STRIPE_WEBHOOK_SECRET: "whsec_one_write_path",
    STRIPE_API_URL: stripeFake.url,
  });
  db = await import("~/utils/db.server");
  change = await import("~/utils/change.server");
  door = await import("~/models/door.server");
  orders = await import("~/models/order.server");
  payment = await import("~/models/payment.server");
  users = await import("~/models/user.server");
  fixtures = await import("../helpers/fixtures");
  festival = await fixtures.createFestivalRow({
    status: "published",
    publishedAt: new Date(),
    paymentMethods: JSON.stringify(["door", "stripe"]),
  });
  typeId = (await fixtures.createTicketTypeRow(festival.id, 1200, 100)).id;
  const user = await fixtures.createUserRow({ role: "admin" });
  organiser = { ...user, role: "admin", locale: null, memberships: [] };
});
afterAll(async () => {
  await db.disconnectDatabase();
  await stripeFake.close();
});

const TRIGGER = "test_refuse_record";
afterEach(async () => {
  await db.sqlClient().execute(`DROP TRIGGER IF EXISTS ${TRIGGER}`);
});

/** Make the database refuse inserts into `table` that match `when` (SQL on NEW). */
async function refuse(table: "AuditEvent" | "OutboxEmail" | "LedgerEntry", when: string) {
  await db.sqlClient().execute(
    `CREATE TRIGGER ${TRIGGER} BEFORE INSERT ON ${table} WHEN ${when}
     BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`,
  );
}

const count = async (sql: string, ...args: (string | number)[]) =>
  Number((await db.sqlClient().execute({ sql, args })).rows[0]![0]);

const reserved = async () =>
  (await db.prisma.ticketType.findUniqueOrThrow({ where: { id: typeId } })).reserved;

async function doorOrder(email = fixtures.uniqueEmail("door")) {
  return orders.placeOrder(
    festival.id,
    orders.checkoutSchema().parse({
      items: [{ ticketTypeId: typeId, quantity: 2 }],
      email,
      paymentMethod: "door",
    }),
    { locale: "en", stripeAvailable: true },
  );
}

/** A card order waiting for its payment at the fake Stripe. */
async function pendingCardOrder() {
  const placed = await orders.placeOrder(
    festival.id,
    orders.checkoutSchema().parse({
      items: [{ ticketTypeId: typeId, quantity: 1 }],
      email: fixtures.uniqueEmail("card"),
      paymentMethod: "stripe",
      donation: { amountMinor: 500 },
    }),
    { locale: "en", stripeAvailable: true },
  );
  await payment.cardCheckoutUrl(placed);
  return placed.order.id;
}

/** The buyer pays at the fake Stripe: the signed event its webhook would deliver. */
async function paymentEvent(orderId: string) {
  const { stripeSessionId } = await db.prisma.order.findUniqueOrThrow({ where: { id: orderId } });
  const session = stripeFake.completeSession(stripeSessionId!, { force: true });
  return stripeFake.event("checkout.session.completed", session) as unknown as Stripe.Event;
}

/** A card order paid through the fake Stripe and fulfilled by its webhook event. */
async function paidCardOrder() {
  const orderId = await pendingCardOrder();
  expect(await payment.applyStripeEvent(await paymentEvent(orderId))).toBe("fulfilled");
  return orderId;
}

const eventRecorded = (event: Stripe.Event) =>
  count("SELECT COUNT(*) FROM StripeEvent WHERE id = ?", event.id);

/** Everything a cancellation or refund would change about an order. */
async function orderState(orderId: string) {
  const order = await db.prisma.order.findUniqueOrThrow({ where: { id: orderId } });
  return {
    status: order.status,
    cancelledAt: order.cancelledAt,
    refundedAt: order.refundedAt,
    tickets: (await db.prisma.ticket.findMany({ where: { orderId } })).map((t) => t.status),
    entries: await count("SELECT COUNT(*) FROM LedgerEntry WHERE orderId = ?", orderId),
    audit: await count("SELECT COUNT(*) FROM AuditEvent WHERE targetId = ?", orderId),
    emails: await count(
      "SELECT COUNT(*) FROM OutboxEmail WHERE json_extract(payload, '$.orderId') = ?",
      orderId,
    ),
    reserved: await reserved(),
  };
}

describe("the change renderers", () => {
  it("write the same audit row and email through a libSQL transaction and a Prisma one", async () => {
    const at = new Date("2030-01-02T03:04:05.678Z");
    const record = (client: string) =>
      ({
        audit: {
          actorUserId: organiser.id,
          action: "test.render",
          targetType: "client",
          targetId: client,
          details: { n: 1, tags: ["a"] },
        },
        emails: {
          to: `${client}@example.test`,
          template: "order-cancelled",
          locale: "ru",
          data: { orderId: `render-${client}` },
        },
      }) satisfies ChangeServer.Change;
    await db.writeTransaction((tx) => change.writeChange(tx, record("libsql"), at));
    await db.prisma.$transaction((tx) => change.writeChange(tx, record("prisma"), at));
    const audits = await db.prisma.auditEvent.findMany({
      where: { action: "test.render" },
      orderBy: { id: "asc" },
    });
    expect(audits.map(({ id: _id, ...rest }) => rest)).toEqual(
      ["libsql", "prisma"].map((client) => ({
        at,
        actorUserId: organiser.id,
        action: "test.render",
        targetType: "client",
        targetId: client,
        festivalId: null,
        details: JSON.stringify({ n: 1, tags: ["a"] }),
      })),
    );
    const emails = await db.prisma.outboxEmail.findMany({
      where: { to: { in: ["libsql@example.test", "prisma@example.test"] } },
      orderBy: { to: "asc" },
    });
    expect(emails.map(({ id, ...rest }) => ({ id: typeof id, ...rest }))).toEqual(
      ["libsql", "prisma"].map((client) => ({
        id: "string",
        to: `${client}@example.test`,
        template: "order-cancelled",
        locale: "ru",
        payload: JSON.stringify({ orderId: `render-${client}` }),
        status: "pending",
        attempts: 0,
        nextAttemptAt: at,
        lastError: null,
        messageId: null,
        sentAt: null,
        createdAt: at,
      })),
    );
  });

  it("renders ledger entries with entryStatements, and nothing for an empty change", () => {
    expect(change.changeStatements({})).toEqual([]);
    const statements = change.changeStatements({
      ledger: {
        id: "test:render",
        festivalId: "f",
        kind: "payment",
        at: new Date(),
        postings: [
          { account: { festivalId: "f", currency: "EUR", code: "door_cash" }, amountMinor: 100 },
          {
            account: { festivalId: "f", currency: "EUR", code: "income", category: "ticket" },
            amountMinor: -100,
          },
        ],
      },
      audit: [
        { actorUserId: null, action: "a" },
        { actorUserId: null, action: "b" },
      ],
    });
    const sql = statements.map((s) => (typeof s === "string" ? s : s.sql));
    // The entry's two postings in one multi-row INSERT, sealed by its entry row.
    expect(sql.filter((s) => s.includes("INTO LedgerPosting"))).toHaveLength(1);
    expect(sql.filter((s) => s.includes("INTO LedgerEntry"))).toHaveLength(1);
    expect(sql.filter((s) => s.includes("INTO AuditEvent"))).toHaveLength(2);
  });
});

describe("a refused record rolls its change back", () => {
  it("cancelOrRefundOrder: no audit row, no cancellation (door order)", async () => {
    const placed = await doorOrder();
    const before = await orderState(placed.order.id);
    await refuse("AuditEvent", "NEW.action = 'order.cancel'");
    await expect(payment.cancelOrRefundOrder(organiser, placed.order.id)).rejects.toThrow(
      /refused by the test/,
    );
    expect(await orderState(placed.order.id)).toEqual(before);
    expect(before.status).toBe("confirmed");
  });

  it("cancelOrRefundOrder: no cancellation email, no cancellation (door order)", async () => {
    const placed = await doorOrder();
    const before = await orderState(placed.order.id);
    await refuse("OutboxEmail", "NEW.template = 'order-cancelled'");
    await expect(payment.cancelOrRefundOrder(organiser, placed.order.id)).rejects.toThrow(
      /refused by the test/,
    );
    expect(await orderState(placed.order.id)).toEqual(before);
    // Without the trigger the same call commits all three together.
    await db.sqlClient().execute(`DROP TRIGGER ${TRIGGER}`);
    await payment.cancelOrRefundOrder(organiser, placed.order.id);
    const after = await orderState(placed.order.id);
    expect(after).toMatchObject({
      status: "cancelled",
      tickets: ["revoked", "revoked"],
      audit: before.audit + 1,
      emails: before.emails + 1,
      reserved: before.reserved - 2,
    });
  });

  it("cancelOrRefundOrder: a refused refund audit row leaves a paid card order, its places and its books as they were", async () => {
    const orderId = await paidCardOrder();
    const before = await orderState(orderId);
    expect(before.status).toBe("paid");
    expect(before.entries).toBeGreaterThan(0);
    await refuse("AuditEvent", "NEW.action = 'order.refund'");
    await expect(payment.cancelOrRefundOrder(organiser, orderId)).rejects.toThrow(
      /refused by the test/,
    );
    expect(await orderState(orderId)).toEqual(before);
    await db.sqlClient().execute(`DROP TRIGGER ${TRIGGER}`);
    // Stripe's idempotency key makes the retry the same refund.
    await payment.cancelOrRefundOrder(organiser, orderId);
    expect(await orderState(orderId)).toMatchObject({
      status: "refunded",
      entries: before.entries + 1,
      audit: before.audit + 1,
      emails: before.emails + 1,
    });
  });

  it("card fulfilment (webhook): a refused confirmation email issues nothing, and the retried event fulfils", async () => {
    const orderId = await pendingCardOrder();
    const event = await paymentEvent(orderId);
    const before = await orderState(orderId);
    await refuse("OutboxEmail", "NEW.template = 'order-confirmation'");
    await expect(payment.applyStripeEvent(event)).rejects.toThrow(/refused by the test/);
    expect(await orderState(orderId)).toEqual(before);
    expect(before).toMatchObject({ status: "pending", tickets: [], entries: 0, emails: 0 });
    // Not recorded either: Stripe's retry of the same event is applied in full.
    expect(await eventRecorded(event)).toBe(0);
    await db.sqlClient().execute(`DROP TRIGGER ${TRIGGER}`);
    expect(await payment.applyStripeEvent(event)).toBe("fulfilled");
    expect(await orderState(orderId)).toMatchObject({
      status: "paid",
      tickets: ["valid"],
      emails: 1,
    });
  });

  it("late-payment refund (webhook): a refused cancellation email books nothing, and the retried event does", async () => {
    const orderId = await pendingCardOrder();
    // Cancelled by the organisers while the buyer was still paying.
    expect(await payment.cancelOrRefundOrder(organiser, orderId)).toBe("cancelled");
    const event = await paymentEvent(orderId);
    const before = await orderState(orderId);
    await refuse("OutboxEmail", "NEW.template = 'order-cancelled'");
    await expect(payment.applyStripeEvent(event)).rejects.toThrow(/refused by the test/);
    expect(await orderState(orderId)).toEqual(before);
    expect(before).toMatchObject({ status: "cancelled", entries: 0, emails: 0 });
    expect(await eventRecorded(event)).toBe(0);
    await db.sqlClient().execute(`DROP TRIGGER ${TRIGGER}`);
    expect(await payment.applyStripeEvent(event)).toBe("refunded_late_payment");
    expect(await orderState(orderId)).toMatchObject({
      status: "refunded",
      entries: 3, // the payment, Stripe's fee (kept on a refunded charge) and the refund
      emails: 1,
    });
  });

  it("placeOrder: a refused confirmation email writes no order and holds no places", async () => {
    const email = fixtures.uniqueEmail("refused");
    const held = await reserved();
    await refuse("OutboxEmail", "NEW.template = 'order-confirmation'");
    await expect(doorOrder(email)).rejects.toThrow(/refused by the test/);
    expect(await db.prisma.order.count({ where: { email } })).toBe(0);
    expect(await reserved()).toBe(held);
  });

  it("createDoorDevice: a refused audit row creates no device", async () => {
    const devices = await db.prisma.doorDevice.count();
    await refuse("AuditEvent", "NEW.action = 'door.device.create'");
    await expect(door.createDoorDevice(organiser, festival, "Front door")).rejects.toThrow(
      /refused by the test/,
    );
    expect(await db.prisma.doorDevice.count()).toBe(devices);
  });

  it("revokeDoorDevice: a refused audit row leaves the device working", async () => {
    const device = await door.createDoorDevice(organiser, festival, "Side door");
    await refuse("AuditEvent", "NEW.action = 'door.device.revoke'");
    await expect(
      door.revokeDoorDevice(organiser, { id: device.id, festivalId: festival.id }),
    ).rejects.toThrow(/refused by the test/);
    const row = await db.prisma.doorDevice.findUniqueOrThrow({ where: { id: device.id } });
    expect(row.revokedAt).toBeNull();
    await db.sqlClient().execute(`DROP TRIGGER ${TRIGGER}`);
    await door.revokeDoorDevice(organiser, { id: device.id, festivalId: festival.id });
    expect(
      await count(
        "SELECT COUNT(*) FROM AuditEvent WHERE action = 'door.device.revoke' AND targetId = ?",
        device.id,
      ),
    ).toBe(1);
  });

  it("ensureAdmin: a refused audit row creates no account", async () => {
    const email = fixtures.uniqueEmail("admin");
    await refuse("AuditEvent", "NEW.action = 'admin.ensure'");
    await expect(users.ensureAdmin(email, "a long enough password 1")).rejects.toThrow(
      /refused by the test/,
    );
    expect(await db.prisma.user.count({ where: { email } })).toBe(0);
  });

  it("a Prisma transaction (createUser): a refused invitation email creates no account", async () => {
    const email = fixtures.uniqueEmail("invited");
    await refuse("OutboxEmail", "NEW.template = 'invitation'");
    await expect(
      users.createUser(organiser, { email, role: "member" }, { locale: "en" }),
    ).rejects.toThrow(/refused by the test/);
    expect(await db.prisma.user.count({ where: { email } })).toBe(0);
    expect(await db.prisma.invitation.count({ where: { email } })).toBe(0);
    expect(await count("SELECT COUNT(*) FROM AuditEvent WHERE action = 'user.create'")).toBe(0);
  });
});

describe("a ledger entry on either client", () => {
  const entry = (id: string): ChangeServer.Change["ledger"] => ({
    id,
    festivalId: festival.id,
    kind: "payment",
    memo: "test",
    at: new Date(),
    postings: [
      {
        account: { festivalId: festival.id, currency: "EUR", code: "door_cash" },
        amountMinor: 700,
      },
      {
        account: { festivalId: festival.id, currency: "EUR", code: "income", category: "ticket" },
        amountMinor: -700,
      },
    ],
  });
  const rename = (name: string) =>
    db.prisma.festival.update({ where: { id: festival.id }, data: { venueName: name } });
  const venue = async () =>
    (await db.prisma.festival.findUniqueOrThrow({ where: { id: festival.id } })).venueName;
  const postings = (id: string) =>
    count("SELECT COUNT(*) FROM LedgerPosting WHERE entryId = ?", id);

  it("posts inside a Prisma transaction, or not at all with its change", async () => {
    const before = await venue();
    await refuse("LedgerEntry", "NEW.id = 'test:prisma-ledger'");
    await expect(
      db.prisma.$transaction(async (tx) => {
        await tx.festival.update({ where: { id: festival.id }, data: { venueName: "Refused" } });
        await change.writeChange(tx, { ledger: entry("test:prisma-ledger") });
      }),
    ).rejects.toThrow(/refused by the test/);
    expect(await venue()).toBe(before);
    expect(await postings("test:prisma-ledger")).toBe(0);
    await db.sqlClient().execute(`DROP TRIGGER ${TRIGGER}`);
    await db.prisma.$transaction(async (tx) => {
      await tx.festival.update({ where: { id: festival.id }, data: { venueName: "Posted" } });
      await change.writeChange(tx, { ledger: entry("test:prisma-ledger") });
    });
    expect(await venue()).toBe("Posted");
    expect(await postings("test:prisma-ledger")).toBe(2);
    await rename(before);
  });

  it("posts inside a libSQL transaction, once per source key", async () => {
    for (let i = 0; i < 2; i++)
      await db.writeTransaction((tx) =>
        change.writeChange(tx, { ledger: entry("test:libsql-ledger") }),
      );
    expect(await postings("test:libsql-ledger")).toBe(2);
  });
});

describe("after every refused and retried change", () => {
  it("the books balance", async () => {
    const { checkLedger } = await import("~/models/ledger.server");
    expect(await checkLedger(db.sqlClient())).toMatchObject({ balanced: true, problems: [] });
  });
});
