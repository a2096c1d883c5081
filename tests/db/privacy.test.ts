// Erasing attendees' personal data (app/models/privacy.server.ts), called
// directly on a real SQLite file: the retention job per festival, one buyer's
// erasure (cancelling first before the festival), the export by email, and the
// development mail files. Mail goes to files here (no SMTP_URL).
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as DbServer from "~/utils/db.server";
import type * as EmailServer from "~/utils/email.server";
import type * as OrderServer from "~/models/order.server";
import type * as PrivacyServer from "~/models/privacy.server";
import { freshTestEnv } from "../helpers/env";
import type * as Fixtures from "../helpers/fixtures";

const DAY = 86_400_000;

let db: typeof DbServer;
let outbox: typeof EmailServer;
let orders: typeof OrderServer;
let privacy: typeof PrivacyServer;
let fixtures: typeof Fixtures;

beforeAll(async () => {
  freshTestEnv({ SMTP_URL: "", PERSONAL_DATA_RETENTION_DAYS: "30" });
  delete process.env.SMTP_URL;
  db = await import("~/utils/db.server");
  outbox = await import("~/utils/email.server");
  orders = await import("~/models/order.server");
  privacy = await import("~/models/privacy.server");
  fixtures = await import("../helpers/fixtures");
});
afterAll(async () => {
  await db.disconnectDatabase();
});

/** A published door/free festival that ended `endedDaysAgo` days ago (negative: in the future). */
async function festival(endedDaysAgo: number) {
  const endsAt = new Date(Date.now() - endedDaysAgo * DAY);
  const f = await fixtures.createFestivalRow({
    status: "published",
    publishedAt: new Date(endsAt.getTime() - 30 * DAY),
    startsAt: new Date(endsAt.getTime() - 8 * 3600_000),
    endsAt,
    paymentMethods: JSON.stringify(["door", "free"]),
  });
  const type = await db.prisma.ticketType.create({
    data: {
      festivalId: f.id,
      name: JSON.stringify({ en: "Standard" }),
      priceMinor: 1500,
      capacity: 100,
    },
  });
  return { ...f, typeId: type.id };
}

/** A pay-at-the-door order placed a week before the festival ended. */
async function buy(f: Awaited<ReturnType<typeof festival>>, email: string, name?: string) {
  const placed = await orders.placeOrder(
    f.id,
    orders.checkoutSchema().parse({
      items: [{ ticketTypeId: f.typeId, quantity: 2 }],
      email,
      ...(name ? { name } : {}),
      paymentMethod: "door",
      donation: { amountMinor: 500 },
    }),
    { locale: "en", now: new Date(f.endsAt.getTime() - 7 * DAY), stripeAvailable: false },
  );
  return placed.order;
}

/** Everything in the database as text (every table, every column). */
async function dumpDatabase() {
  const tables = await db
    .sqlClient()
    .execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
  const parts: string[] = [];
  for (const t of tables.rows) {
    const rows = await db.sqlClient().execute(`SELECT * FROM "${String(t.name)}"`);
    for (const r of rows.rows)
      parts.push(`${String(t.name)}: ${rows.columns.map((c) => String(r[c])).join(" | ")}`);
  }
  return parts.join("\n");
}

function mailFiles() {
  const folder = outbox.mailFolder();
  return fs.existsSync(folder)
    ? fs.readdirSync(folder).map((f) => fs.readFileSync(`${folder}/${f}`, "utf8"))
    : [];
}

describe("the retention job", () => {
  it("erases names and emails of festivals over the retention period and keeps amounts, tickets and check-ins", async () => {
    const old = await festival(31);
    const recent = await festival(29);
    const a = await buy(old, "old-buyer-one@example.test", "Olga Oldbuyer");
    const b = await buy(old, "old-buyer-two@example.test");
    const keep = await buy(recent, "recent-buyer@example.test", "Rita Recentbuyer");
    // One ticket of the old festival was admitted at the door.
    const admitted = a.tickets[0]!;
    await db.prisma.ticket.update({
      where: { id: admitted.id },
      data: { admittedAt: old.startsAt, admittedBy: "Door 1", inside: true },
    });
    await db.prisma.checkIn.create({
      data: {
        festivalId: old.id,
        ticketId: admitted.id,
        nonce: `n-${admitted.id}`,
        result: "admitted",
        scannedAt: old.startsAt,
        response: JSON.stringify({ result: "admitted", ticketId: admitted.id }),
      },
    });
    await outbox.deliverDueEmails();
    expect(mailFiles().some((m) => m.includes("old-buyer-one@example.test"))).toBe(true);
    const before = await db.prisma.order.findMany({
      where: { festivalId: old.id },
      orderBy: { id: "asc" },
      select: { id: true, code: true, status: true, totalMinor: true, currency: true },
    });

    const result = await privacy.purgeDueFestivals();
    expect(result).toMatchObject({ orders: 2, festivalsCompleted: 1 });

    const dump = await dumpDatabase();
    for (const needle of [
      "old-buyer-one@example.test",
      "old-buyer-two@example.test",
      "Olga Oldbuyer",
    ])
      expect(dump).not.toContain(needle);
    expect(mailFiles().join("\n")).not.toContain("old-buyer-");
    // The recent festival is untouched (29 days < 30).
    expect(dump).toContain("recent-buyer@example.test");
    expect(dump).toContain("Rita Recentbuyer");
    expect(mailFiles().join("\n")).toContain("recent-buyer@example.test");
    expect(
      (await db.prisma.festival.findUniqueOrThrow({ where: { id: recent.id } }))
        .personalDataPurgedAt,
    ).toBeNull();

    // Amounts, statuses, tickets and check-ins stay.
    const after = await db.prisma.order.findMany({
      where: { festivalId: old.id },
      orderBy: { id: "asc" },
      select: { id: true, code: true, status: true, totalMinor: true, currency: true },
    });
    expect(after).toEqual(before);
    const erased = await db.prisma.order.findMany({ where: { festivalId: old.id } });
    expect(erased.every((o) => o.email === null && o.name === null && o.erasedAt !== null)).toBe(
      true,
    );
    // The old links from the emails lead nowhere now.
    expect(erased.map((o) => o.accessToken)).not.toContain(a.accessToken);
    expect(erased.map((o) => o.accessToken)).not.toContain(b.accessToken);
    expect(await db.prisma.ticket.count({ where: { festivalId: old.id, status: "valid" } })).toBe(
      4,
    );
    expect(
      await db.prisma.ticket.count({ where: { festivalId: old.id, admittedAt: { not: null } } }),
    ).toBe(1);
    expect(await db.prisma.checkIn.count({ where: { festivalId: old.id } })).toBe(1);
    expect(await db.prisma.orderItem.count({ where: { order: { festivalId: old.id } } })).toBe(4);
    const f = await db.prisma.festival.findUniqueOrThrow({ where: { id: old.id } });
    expect(f.personalDataPurgedAt).toBeInstanceOf(Date);
    const kept = await db.prisma.order.findUniqueOrThrow({ where: { id: keep.id } });
    expect(kept.email).toBe("recent-buyer@example.test");

    // The run is in the audit log, without personal data.
    const audits = await db.prisma.auditEvent.findMany({
      where: { action: "privacy.purge", festivalId: old.id },
    });
    expect(audits).toHaveLength(1);
    expect(JSON.parse(audits[0]!.details)).toMatchObject({ orders: 2, complete: true });
    expect(audits[0]!.actorUserId).toBeNull();

    // Idempotent: a second run finds nothing to do and records nothing.
    expect(await privacy.purgeDueFestivals()).toMatchObject({ orders: 0, festivalsCompleted: 0 });
    expect(
      await db.prisma.auditEvent.count({ where: { action: "privacy.purge", festivalId: old.id } }),
    ).toBe(1);
  });

  it("stopped mid-way, it finishes the festival on the next run", async () => {
    const f = await festival(40);
    for (let i = 0; i < 3; i++) await buy(f, `midway-${i}@example.test`, `Mid Way ${i}`);
    // One batch of one order, then the process "stops".
    const first = await privacy.purgeDueFestivals({ batchSize: 1, maxBatches: 1 });
    expect(first).toMatchObject({ orders: 1, festivalsCompleted: 0 });
    expect(await db.prisma.order.count({ where: { festivalId: f.id, erasedAt: null } })).toBe(2);
    expect(
      (await db.prisma.festival.findUniqueOrThrow({ where: { id: f.id } })).personalDataPurgedAt,
    ).toBeNull();
    const second = await privacy.purgeDueFestivals({ batchSize: 1 });
    expect(second).toMatchObject({ orders: 2, festivalsCompleted: 1 });
    expect(await db.prisma.order.count({ where: { festivalId: f.id, erasedAt: null } })).toBe(0);
    expect((await dumpDatabase()).includes("midway-")).toBe(false);
    const audits = await db.prisma.auditEvent.findMany({
      where: { action: "privacy.purge", festivalId: f.id },
      orderBy: { id: "asc" },
    });
    expect(
      audits.map((a) => JSON.parse(a.details) as { orders: number; complete: boolean }),
    ).toEqual([
      expect.objectContaining({ orders: 1, complete: false }),
      expect.objectContaining({ orders: 1, complete: false }),
      expect.objectContaining({ orders: 1, complete: true }),
    ]);
  });
});

describe("erasing one buyer", () => {
  it("after the festival: erases the order's personal data, keeps its tickets valid and its status", async () => {
    const f = await festival(2);
    const order = await buy(f, "after@example.test", "Anna After");
    const plan = await privacy.erasurePlan(order.accessToken);
    expect(plan).toMatchObject({ cancels: false, refunds: false, allowed: true });
    const result = await privacy.eraseOrderOnRequest(order.accessToken);
    expect(result).toMatchObject({ cancelled: false });
    const row = await db.prisma.order.findUniqueOrThrow({ where: { id: order.id } });
    expect(row).toMatchObject({ email: null, name: null, status: "confirmed", totalMinor: 3500 });
    expect(await db.prisma.ticket.count({ where: { orderId: order.id, status: "valid" } })).toBe(2);
    expect(await privacy.erasurePlan(order.accessToken)).toBeNull();
    const audit = await db.prisma.auditEvent.findFirstOrThrow({
      where: { action: "privacy.erase", targetId: order.id },
    });
    expect(audit.details).not.toContain("after@example.test");
  });

  it("before the festival: cancels the order (tickets revoked, places back) and then erases it", async () => {
    const f = await festival(-10);
    const order = await buy(f, "before@example.test", "Boris Before");
    expect(await privacy.erasurePlan(order.accessToken)).toMatchObject({
      cancels: true,
      refunds: false,
    });
    await privacy.eraseOrderOnRequest(order.accessToken);
    const row = await db.prisma.order.findUniqueOrThrow({ where: { id: order.id } });
    expect(row).toMatchObject({ email: null, name: null, status: "cancelled" });
    expect(await db.prisma.ticket.count({ where: { orderId: order.id, status: "valid" } })).toBe(0);
    expect(
      (await db.prisma.ticketType.findUniqueOrThrow({ where: { id: f.typeId } })).reserved,
    ).toBe(0);
    // No cancellation mail goes to the address being forgotten.
    expect(await db.prisma.outboxEmail.count({ where: { to: "before@example.test" } })).toBe(0);
  });

  it("refuses before the festival's end once a ticket has been used at the door", async () => {
    const f = await festival(-1);
    const order = await buy(f, "inside@example.test");
    await db.prisma.ticket.update({
      where: { id: order.tickets[0]!.id },
      data: { admittedAt: new Date() },
    });
    expect(await privacy.erasurePlan(order.accessToken)).toMatchObject({ allowed: false });
    await expect(privacy.eraseOrderOnRequest(order.accessToken)).rejects.toMatchObject({
      status: 409,
    });
    expect((await db.prisma.order.findUniqueOrThrow({ where: { id: order.id } })).email).toBe(
      "inside@example.test",
    );
  });
});

describe("an email address (admins)", () => {
  it("exports everything stored about it, then erases it everywhere, mail files included", async () => {
    const admin = await fixtures.createUserRow({ role: "admin" });
    const actor = { ...admin, role: "admin" as const, memberships: [] };
    const past = await festival(3);
    const future = await festival(-20);
    const address = "Export.Me@Example.test";
    const o1 = await buy(past, address.toLowerCase(), "Emil Exported");
    const o2 = await buy(future, address.toLowerCase());
    const other = await buy(future, "someone-else@example.test", "Sam Else");
    // Orders are placed "a week before the festival ended": their mail is due then.
    await outbox.deliverDueEmails(new Date(Date.now() + 60 * DAY));
    expect(mailFiles().filter((m) => m.includes("export.me@example.test"))).toHaveLength(2);

    const exported = await privacy.exportPersonalData(actor, address);
    expect(exported.email).toBe("export.me@example.test");
    expect(exported.orders.map((o) => o.code).sort()).toEqual([o1.code, o2.code].sort());
    expect(exported.orders.find((o) => o.code === o1.code)).toMatchObject({
      name: "Emil Exported",
      totalMinor: 3500,
      festival: { id: past.id },
    });
    expect(exported.emails).toHaveLength(2);
    expect(JSON.stringify(exported)).not.toContain("Sam Else");

    const result = await privacy.eraseEmailAddress(actor, address);
    expect(result).toMatchObject({ orders: 2, cancelled: 1 });
    expect(await db.prisma.order.findUniqueOrThrow({ where: { id: o2.id } })).toMatchObject({
      status: "cancelled",
    });
    expect(await db.prisma.order.findUniqueOrThrow({ where: { id: o1.id } })).toMatchObject({
      status: "confirmed",
    });
    const dump = await dumpDatabase();
    expect(dump.toLowerCase()).not.toContain("export.me@example.test");
    expect(dump).not.toContain("Emil Exported");
    expect(dump).toContain("someone-else@example.test");
    expect(mailFiles().join("\n").toLowerCase()).not.toContain("export.me@example.test");
    expect(mailFiles().join("\n")).toContain("someone-else@example.test");
    expect(await privacy.exportPersonalData(actor, address)).toMatchObject({
      orders: [],
      emails: [],
    });
    expect((await db.prisma.order.findUniqueOrThrow({ where: { id: other.id } })).name).toBe(
      "Sam Else",
    );
    const audit = await db.prisma.auditEvent.findFirstOrThrow({
      where: { action: "privacy.erase", actorUserId: admin.id },
    });
    expect(audit.details.toLowerCase()).not.toContain("export.me");
    expect(JSON.parse(audit.details)).toMatchObject({ orders: 2, cancelled: 1 });
  });
});
