// The tattoo reminder's lifecycle through the real outbox and a real SMTP
// server: queued for the day before the slot, not sent before its time, sent
// exactly once when due (also with two delivery passes at once, and after a
// crash between the claim and the send followed by a restart), never sent once
// the booking is cancelled, and moved with the booking when it is rescheduled
// (the old one never sent, the new one at the new time).
import type { ParsedMail } from "mailparser";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type * as DbServer from "~/utils/db.server";
import type * as EmailServer from "~/utils/email.server";
import type * as OrderServer from "~/models/order.server";
import type * as Manage from "~/models/tattoo-manage.server";
import { formatDateTime } from "~/utils/format";
import { freshTestEnv } from "../helpers/env";
import { recipients, startSmtpServer, type Mailbox } from "../helpers/smtp";
import type * as Tattoo from "../helpers/tattoo";

let mail: Mailbox;
let db: typeof DbServer;
let outbox: typeof EmailServer;
let orders: typeof OrderServer;
let manage: typeof Manage;
let tattoo: typeof Tattoo;
let festivalId: string;
let artistId: string;

const DAY = 24 * 60 * 60_000;
const MINUTE = 60_000;
const soon = (days: number) => new Date(Math.floor(Date.now() / MINUTE) * MINUTE + days * DAY);
let emails = 0;
const email = () => `reminded-${++emails}@example.test`;

beforeAll(async () => {
  mail = await startSmtpServer();
  freshTestEnv({ SMTP_URL: mail.url, PUBLIC_URL: "http://festivals.example.test" });
  db = await import("~/utils/db.server");
  outbox = await import("~/utils/email.server");
  orders = await import("~/models/order.server");
  manage = await import("~/models/tattoo-manage.server");
  tattoo = await import("../helpers/tattoo");
  const { createFestivalRow } = await import("../helpers/fixtures");
  festivalId = (
    await createFestivalRow({
      status: "published",
      publishedAt: new Date(),
      paymentMethods: JSON.stringify(["door"]),
      timezone: "Europe/Riga",
      startsAt: soon(1),
      endsAt: soon(30),
    })
  ).id;
  artistId = (await tattoo.createArtistRow(festivalId, { name: "Needle" })).id;
});

afterAll(async () => {
  await mail.close();
  await db.disconnectDatabase();
});

async function book(startsAt: Date) {
  const slot = await tattoo.createSlotRow(festivalId, artistId, startsAt);
  const to = email();
  const placed = await orders.placeOrder(
    festivalId,
    orders.checkoutSchema().parse({
      email: to,
      paymentMethod: "door",
      items: [{ kind: "tattoo_slot", tattooSlotId: slot.id, donationMinor: 2500 }],
    }),
    { locale: "en", stripeAvailable: false },
  );
  const itemId = placed.lines[0]!.itemId;
  return {
    slot,
    to,
    itemId,
    token: placed.order.accessToken,
    orderId: placed.order.id,
    reminderId: await reminderOf(itemId),
  };
}

async function reminderOf(itemId: string) {
  const { rows } = await db.sqlClient().execute({
    sql: "SELECT reminderEmailId FROM TattooBooking WHERE orderItemId = ?",
    args: [itemId],
  });
  return String(rows[0]!.reminderEmailId);
}

async function row(id: string) {
  const { rows } = await db.sqlClient().execute({
    sql: "SELECT status, attempts, nextAttemptAt, template FROM OutboxEmail WHERE id = ?",
    args: [id],
  });
  const r = rows[0]!;
  return {
    status: String(r.status),
    attempts: Number(r.attempts),
    nextAttemptAt: db.dateFromSql(r.nextAttemptAt),
    template: String(r.template),
  };
}

/** Every delivery pass until nothing due is left at `now` (other mail is due too). */
async function deliverAll(now: Date, deliver = () => outbox.deliverDueEmails(now)) {
  for (let i = 0; i < 20; i++) if ((await deliver()).sent === 0) return;
}

const outboxId = (m: ParsedMail) => String(m.headers.get("x-outbox-id") ?? "");
const delivered = (id: string) => mail.messages.filter((m) => outboxId(m) === id);
const remindersTo = (to: string) =>
  mail.messages.filter((m) => recipients(m).includes(to) && /^Tomorrow:/.test(m.subject ?? ""));

describe("the tattoo reminder", () => {
  it("is queued for 24 hours before the slot, not sent before then, and sent once when due", async () => {
    const b = await book(soon(3));
    const due = new Date(b.slot.startsAt.getTime() - DAY);
    expect(await row(b.reminderId)).toMatchObject({
      status: "pending",
      template: "tattoo-reminder",
    });
    expect((await row(b.reminderId)).nextAttemptAt.getTime()).toBe(due.getTime());
    await deliverAll(new Date(due.getTime() - MINUTE));
    expect(delivered(b.reminderId)).toHaveLength(0);
    expect(await row(b.reminderId)).toMatchObject({ status: "pending", attempts: 0 });
    await deliverAll(due);
    await mail.waitFor((m) => outboxId(m) === b.reminderId);
    expect(await row(b.reminderId)).toMatchObject({ status: "sent", attempts: 1 });
    // Later passes send nothing again.
    await deliverAll(new Date(due.getTime() + 60 * MINUTE));
    await deliverAll(new Date(due.getTime() + DAY));
    expect(delivered(b.reminderId)).toHaveLength(1);
    const [m] = delivered(b.reminderId);
    expect(m!.subject).toContain("Needle");
    expect(m!.text).toContain(formatDateTime(b.slot.startsAt, "en", "Europe/Riga"));
    expect(m!.text).toContain(`/orders/${b.token}`);
  });

  it("is sent exactly once by two delivery passes running at the same time", async () => {
    const b = await book(soon(4));
    const due = new Date(b.slot.startsAt.getTime() - DAY);
    await Promise.all([deliverAll(due), deliverAll(due), deliverAll(due)]);
    await mail.waitFor((m) => outboxId(m) === b.reminderId);
    // Give a duplicate every chance to arrive.
    await new Promise((r) => setTimeout(r, 200));
    expect(delivered(b.reminderId)).toHaveLength(1);
    expect(remindersTo(b.to)).toHaveLength(1);
    expect(await row(b.reminderId)).toMatchObject({ status: "sent", attempts: 1 });
  });

  it("is sent exactly once after a crash between the claim and the send, once the process is back", async () => {
    const b = await book(soon(5));
    const due = new Date(b.slot.startsAt.getTime() - DAY);
    // A pass claimed it (as deliverDueEmails does: attempts + 1, next attempt pushed back)
    // and the process died before sending.
    const claimed = await db.prisma.outboxEmail.updateMany({
      where: { id: b.reminderId, status: "pending", attempts: 0 },
      data: { attempts: 1, nextAttemptAt: new Date(due.getTime() + outbox.backoffMs(1)) },
    });
    expect(claimed.count).toBe(1);
    // The restarted process: the outbox module loaded afresh.
    vi.resetModules();
    const restarted = (await import("~/utils/email.server")) as typeof EmailServer;
    expect(restarted).not.toBe(outbox);
    await deliverAll(due, () => restarted.deliverDueEmails(due));
    expect(delivered(b.reminderId)).toHaveLength(0);
    const retryAt = new Date(due.getTime() + restarted.backoffMs(1));
    await deliverAll(retryAt, () => restarted.deliverDueEmails(retryAt));
    await mail.waitFor((m) => outboxId(m) === b.reminderId);
    await deliverAll(new Date(retryAt.getTime() + DAY), () =>
      restarted.deliverDueEmails(new Date(retryAt.getTime() + DAY)),
    );
    expect(delivered(b.reminderId)).toHaveLength(1);
    expect(await row(b.reminderId)).toMatchObject({ status: "sent", attempts: 2 });
    restarted.resetEmailTransport();
  });

  it("is withdrawn when the booking is cancelled, and never sent", async () => {
    const b = await book(soon(6));
    const due = new Date(b.slot.startsAt.getTime() - DAY);
    await manage.cancelTattooBooking({ accessToken: b.token, orderItemId: b.itemId });
    expect((await row(b.reminderId)).status).toBe("cancelled");
    await deliverAll(due);
    await deliverAll(new Date(b.slot.startsAt.getTime() + DAY));
    const cancelled = await mail.waitFor(
      (m) => recipients(m).includes(b.to) && /^Cancelled:/.test(m.subject ?? ""),
    );
    expect(cancelled.text).toContain("Nothing had been paid for it");
    expect(delivered(b.reminderId)).toHaveLength(0);
    expect(remindersTo(b.to)).toHaveLength(0);
  });

  it("moves with the booking: the old one never sent, the new one sent once at the new time", async () => {
    const b = await book(soon(7));
    const to = await tattoo.createSlotRow(festivalId, artistId, soon(9));
    await manage.rescheduleTattooBooking({
      accessToken: b.token,
      orderItemId: b.itemId,
      slotId: to.id,
    });
    const newReminder = await reminderOf(b.itemId);
    expect(newReminder).not.toBe(b.reminderId);
    expect((await row(b.reminderId)).status).toBe("cancelled");
    const newDue = new Date(to.startsAt.getTime() - DAY);
    expect((await row(newReminder)).nextAttemptAt.getTime()).toBe(newDue.getTime());
    // The old time comes: nothing (and the move's own email says the new time).
    await deliverAll(new Date(b.slot.startsAt.getTime() - DAY));
    const moved = await mail.waitFor(
      (m) => recipients(m).includes(b.to) && /^New time:/.test(m.subject ?? ""),
    );
    expect(moved.text).toContain(formatDateTime(to.startsAt, "en", "Europe/Riga"));
    expect(remindersTo(b.to)).toHaveLength(0);
    await deliverAll(new Date(newDue.getTime() - MINUTE));
    expect(remindersTo(b.to)).toHaveLength(0);
    await deliverAll(newDue);
    await mail.waitFor((m) => outboxId(m) === newReminder);
    await deliverAll(new Date(newDue.getTime() + DAY));
    expect(delivered(newReminder)).toHaveLength(1);
    expect(delivered(b.reminderId)).toHaveLength(0);
    expect(remindersTo(b.to)[0]!.text).toContain(formatDateTime(to.startsAt, "en", "Europe/Riga"));
    // In Russian too, the times in the festival's zone.
    const ru = await outbox.renderEmail("tattoo-moved", "ru", {
      orderId: b.orderId,
      orderItemId: b.itemId,
      fromStartsAt: b.slot.startsAt.toISOString(),
    });
    expect(ru.subject).toMatch(/^Новое время/);
    expect(ru.text).toContain(formatDateTime(to.startsAt, "ru", "Europe/Riga"));
    expect(ru.text).toContain(formatDateTime(b.slot.startsAt, "ru", "Europe/Riga"));
    const cancelled = await outbox.renderEmail("tattoo-cancelled", "ru", {
      orderId: b.orderId,
      orderItemId: b.itemId,
      outcome: "refunded",
      amountMinor: 2500,
      currency: "EUR",
    });
    expect(cancelled.text).toMatch(/25,00\s*€/);
  });
});
