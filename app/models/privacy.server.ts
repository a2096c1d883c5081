// Attendees' personal data: erased PERSONAL_DATA_RETENTION_DAYS after their
// festival by a background job, at once when a buyer asks on their ticket page,
// or by an admin for one email address (who can also export it first).
//
// What "erased" means for an order: its email and name are set to NULL, its
// access link (the secret in the buyer's emails) is replaced by one nobody
// knows, and every email about it (queued or sent, with its development .eml
// file) is deleted. Amounts, status, items, tickets (their validity and
// admission) and check-ins stay, so the money trail and the counts hold. The
// audit log records what was done, never to whom. See docs/decisions/0018.
import fs from "node:fs/promises";
import path from "node:path";
import { audit, auditRead } from "~/utils/change.server";
import type { CurrentUser } from "~/utils/auth.server";
import { prisma, sqlClient, sqlDate, type TransactionClient } from "~/utils/db.server";
import { mailFolder } from "~/utils/email.server";
import { getEnv } from "~/utils/env.server";
import { keepLease, type KeptLease } from "~/utils/lease.server";
import { DomainError } from "~/utils/domain-error";
import { email as emailRule } from "~/utils/validation";
import { z } from "zod";
import { isCancellable } from "./choices";
import { isOrderAccessToken } from "./order-view.server";
import { erasureCashChoice } from "./cash.server";
import { cancelOrRefundOrder } from "./payment.server";
import { pickLanguage } from "./ticket-type.server";
import { logger } from "~/utils/logger.server";

const DAY_MS = 86_400_000;
/** Orders erased per transaction: short write locks, so sales go on meanwhile. */
const BATCH = 200;
/** Order statuses that still hold places (and perhaps money): cancelled before erasure. */

export function retentionDays() {
  return getEnv().PERSONAL_DATA_RETENTION_DAYS;
}

// ---------------------------------------------------------------- erasing

/**
 * The outbox rows about any of `count` orders (their ids as arguments). The
 * expression is the one the index `OutboxEmail_orderId_idx` is built on.
 */
export function outboxOfOrdersSql(count: number) {
  return `SELECT id FROM OutboxEmail
     WHERE (CASE WHEN json_valid(payload) THEN json_extract(payload, '$.orderId') END) IN (${Array(count).fill("?").join(",")})`;
}

/**
 * Erase the personal data of these orders, inside `tx`. Returns the ids of the
 * outbox rows deleted (their .eml files go after commit: `removeMailFiles`).
 */
async function eraseOrders(tx: TransactionClient, orderIds: string[], now: Date) {
  if (orderIds.length === 0) return [];
  const marks = orderIds.map(() => "?").join(",");
  // The new link is random and never shown to anyone: the one in the buyer's mail stops working.
  await tx.$executeRawUnsafe(
    `UPDATE "Order" SET email = NULL, name = NULL, erasedAt = COALESCE(erasedAt, ?),
            accessToken = 'erased-' || lower(hex(randomblob(18)))
     WHERE id IN (${marks})`,
    sqlDate(now),
    ...orderIds,
  );
  // The tattoo bookings' per-person key is derived from the address: it goes too.
  await tx.$executeRawUnsafe(
    `UPDATE TattooBooking SET emailKey = NULL WHERE orderId IN (${marks})`,
    ...orderIds,
  );
  const mails = await tx.$queryRawUnsafe<{ id: string }[]>(
    outboxOfOrdersSql(orderIds.length),
    ...orderIds,
  );
  const ids = mails.map((m) => m.id);
  if (ids.length) await tx.outboxEmail.deleteMany({ where: { id: { in: ids } } });
  return ids;
}

/**
 * Erase the tattoo waitlist's personal data inside `tx`: the address (and its
 * key) of every place of a festival or of one address, and every email about
 * those places. A place still in line is closed ('left'), and an offer held
 * for it gives its slot back. Returns the places erased and the outbox rows
 * deleted.
 */
async function eraseWaitlist(
  tx: TransactionClient,
  where: { festivalId: string } | { email: string },
  now: Date,
) {
  const [column, value] =
    "festivalId" in where ? ["festivalId", where.festivalId] : ["email", where.email];
  const places = `SELECT id FROM TattooWaitlist WHERE ${column} = ? AND (email IS NOT NULL OR emailKey IS NOT NULL)`;
  const mails = await tx.$queryRawUnsafe<{ id: string }[]>(
    `SELECT id FROM OutboxEmail WHERE template IN ('tattoo-waitlist-joined', 'tattoo-waitlist-offer') AND json_valid(payload)
       AND (json_extract(payload, '$.waitlistId') IN (${places})
            OR json_extract(payload, '$.offerId') IN (SELECT id FROM TattooOffer WHERE waitlistId IN (${places})))`,
    value,
    value,
  );
  const ids = mails.map((m) => m.id);
  if (ids.length) await tx.outboxEmail.deleteMany({ where: { id: { in: ids } } });
  await tx.$executeRawUnsafe(
    `UPDATE TattooSlot SET reserved = reserved - 1
     WHERE id IN (SELECT slotId FROM TattooOffer WHERE status = 'open' AND waitlistId IN (${places}))`,
    value,
  );
  await tx.$executeRawUnsafe(
    `UPDATE TattooOffer SET status = 'withdrawn', updatedAt = ? WHERE status = 'open' AND waitlistId IN (${places})`,
    sqlDate(now),
    value,
  );
  const erased = await tx.$executeRawUnsafe(
    `UPDATE TattooWaitlist SET email = NULL, emailKey = NULL, updatedAt = ?,
            status = CASE WHEN status IN ('waiting', 'offered') THEN 'left' ELSE status END
     WHERE id IN (${places})`,
    sqlDate(now),
    value,
  );
  return { places: erased, mails: ids };
}

/**
 * Delete the development mail files (DATA_DIR/mail, written without SMTP_URL)
 * of these outbox rows, and with `address` every other file sent to it.
 */
async function removeMailFiles(outboxIds: string[], address?: string) {
  const folder = mailFolder();
  const files = await fs.readdir(folder).catch(() => [] as string[]);
  const ids = new Set(outboxIds);
  const needle = address?.toLowerCase();
  for (const file of files) {
    if (!file.endsWith(".eml")) continue;
    const id = file.slice(file.indexOf("-") + 1, -".eml".length);
    const full = path.join(folder, file);
    const hit =
      ids.has(id) ||
      (needle !== undefined &&
        (await fs.readFile(full, "utf8").catch(() => "")).toLowerCase().includes(needle));
    if (hit) await fs.rm(full, { force: true });
  }
}

/**
 * Let SQLite copy the erased pages back into the database file now (secure_delete
 * zeroes what they held), instead of leaving old copies in the WAL until later.
 * Best effort: never waits for readers.
 */
async function checkpoint() {
  await sqlClient()
    .execute("PRAGMA wal_checkpoint(PASSIVE)")
    .catch(() => undefined);
}

type OrderForErasure = {
  id: string;
  festivalId: string;
  status: string;
  paymentMethod: string;
  festivalEndsAt: Date;
  admitted: number;
};

async function ordersForErasure(
  where: { accessToken: string } | { email: string },
): Promise<OrderForErasure[]> {
  const rows = await prisma.order.findMany({
    where: { ...where, erasedAt: null },
    select: {
      id: true,
      festivalId: true,
      status: true,
      paymentMethod: true,
      festival: { select: { endsAt: true } },
      _count: { select: { tickets: { where: { admittedAt: { not: null } } } } },
    },
  });
  return rows.map((r) => ({
    id: r.id,
    festivalId: r.festivalId,
    status: r.status,
    paymentMethod: r.paymentMethod,
    festivalEndsAt: r.festival.endsAt,
    admitted: r._count.tickets,
  }));
}

/** Before its festival ends, an order that still holds places is cancelled first. */
function needsCancelling(order: OrderForErasure, now: Date) {
  return now < order.festivalEndsAt && isCancellable(order.status);
}

export type ErasurePlan = {
  /** The order is cancelled first (its festival has not ended). */
  cancels: boolean;
  /** …and its card payment refunded. */
  refunds: boolean;
  /** False before the festival's end once a ticket has been used at the door. */
  allowed: boolean;
};

function planFor(order: OrderForErasure, now: Date): ErasurePlan {
  const cancels = needsCancelling(order, now);
  return {
    cancels,
    refunds: cancels && order.paymentMethod === "stripe" && order.status === "paid",
    allowed: !cancels || order.admitted === 0,
  };
}

async function orderByLink(accessToken: string) {
  if (!isOrderAccessToken(accessToken)) return null;
  return (await ordersForErasure({ accessToken }))[0] ?? null;
}

/** What erasing the order behind this ticket-page link would do (null: no such order). */
export async function erasurePlan(accessToken: string, now = new Date()) {
  const order = await orderByLink(accessToken);
  return order ? planFor(order, now) : null;
}

/**
 * The buyer's request from their ticket page: after the festival the order's
 * personal data is erased; before, the order is cancelled (a card payment
 * refunded through Stripe, without a cancellation email) and then erased.
 */
export async function eraseOrderOnRequest(accessToken: string, now = new Date()) {
  const order = await orderByLink(accessToken);
  if (!order) throw DomainError.notFound("No such order.");
  const plan = planFor(order, now);
  if (!plan.allowed)
    throw DomainError.conflict(
      "ticket_used",
      "A ticket of this order has been used at the door; you can erase your data after the festival.",
    );
  // Refund first: if Stripe cannot refund now, nothing is erased (503, try again later).
  if (plan.cancels)
    await cancelOrRefundOrder(null, order.id, now, {
      notify: false,
      // Door cash already taken stays (cash.server.ts).
      cash: await erasureCashChoice(sqlClient(), order.id),
    });
  const mails = await prisma.$transaction(async (tx) => {
    const ids = await eraseOrders(tx, [order.id], now);
    await audit(
      {
        actorUserId: null,
        action: "privacy.erase",
        targetType: "order",
        targetId: order.id,
        festivalId: order.festivalId,
        details: {
          orders: 1,
          cancelled: plan.cancels ? 1 : 0,
          emails: ids.length,
          requestedBy: "buyer",
        },
      },
      tx,
    );
    return ids;
  });
  await removeMailFiles(mails);
  await checkpoint();
  return { cancelled: plan.cancels };
}

// ---------------------------------------------------------------- one email address (admins)

/** The admin page's one field. */
export const addressInput = z.object({ email: emailRule });

function normalise(address: string) {
  return address.trim().toLowerCase();
}

/** What an admin's erasure of this address would do, for the confirmation step. */
export async function addressErasurePlan(address: string, now = new Date()) {
  const email = normalise(address);
  const orders = await ordersForErasure({ email });
  const plans = orders.map((o) => planFor(o, now));
  const [emails, invitations, account] = await Promise.all([
    prisma.outboxEmail.count({ where: { to: email } }),
    prisma.invitation.count({ where: { email, acceptedAt: null } }),
    prisma.user.count({ where: { email } }),
  ]);
  return {
    orders: orders.length,
    // An order with a ticket already used stays valid (its holder is at the festival).
    cancels: plans.filter((p) => p.cancels && p.allowed).length,
    refunds: plans.filter((p) => p.refunds && p.allowed).length,
    emails,
    invitations,
    hasAccount: account > 0,
  };
}

/**
 * Erase everything stored about one address as a buyer: its orders (cancelled
 * first where their festival has not ended and no ticket was used), every email
 * to it (and its development mail files), and invitations it never accepted. A
 * user account with this address is left alone (it is a team member's, not a
 * buyer's). The audit row holds counts, not the address.
 */
export async function eraseEmailAddress(actor: CurrentUser, address: string, now = new Date()) {
  const email = normalise(address);
  const orders = await ordersForErasure({ email });
  let cancelled = 0;
  for (const order of orders) {
    const plan = planFor(order, now);
    if (!plan.cancels || !plan.allowed) continue;
    await cancelOrRefundOrder(actor, order.id, now, {
      notify: false,
      // Door cash already taken stays (cash.server.ts).
      cash: await erasureCashChoice(sqlClient(), order.id),
    });
    cancelled++;
  }
  const result = await prisma.$transaction(async (tx) => {
    const mails = await eraseOrders(
      tx,
      orders.map((o) => o.id),
      now,
    );
    const toAddress = await tx.outboxEmail.findMany({ where: { to: email }, select: { id: true } });
    await tx.outboxEmail.deleteMany({ where: { to: email } });
    const invitations = await tx.invitation.deleteMany({ where: { email, acceptedAt: null } });
    const waitlist = await eraseWaitlist(tx, { email }, now);
    const counts = {
      orders: orders.length,
      cancelled,
      emails: mails.length + toAddress.length + waitlist.mails.length,
      invitations: invitations.count,
      waitlistPlaces: waitlist.places,
    };
    await audit({ actorUserId: actor.id, action: "privacy.erase", details: counts }, tx);
    return { ...counts, mailIds: [...mails, ...toAddress.map((m) => m.id), ...waitlist.mails] };
  });
  await removeMailFiles(result.mailIds, email);
  await checkpoint();
  const { mailIds: _ids, ...counts } = result;
  return counts;
}

/** Everything stored about one address, for a download (admins; audited without the address). */
export async function exportPersonalData(actor: CurrentUser, address: string, now = new Date()) {
  const email = normalise(address);
  await auditRead({ actorUserId: actor.id, action: "privacy.export" });
  const [orders, emails, invitations, account] = await Promise.all([
    prisma.order.findMany({
      where: { email },
      orderBy: { createdAt: "asc" },
      include: {
        festival: { select: { id: true, name: true, city: true, startsAt: true, endsAt: true } },
        items: { include: { ticketType: { select: { name: true } } } },
        tickets: {
          orderBy: { createdAt: "asc" },
          select: { id: true, status: true, admittedAt: true, inside: true, revokedAt: true },
        },
      },
    }),
    prisma.outboxEmail.findMany({
      where: { to: email },
      orderBy: { createdAt: "asc" },
      select: {
        id: true,
        template: true,
        locale: true,
        status: true,
        createdAt: true,
        sentAt: true,
      },
    }),
    prisma.invitation.findMany({
      where: { email },
      select: {
        id: true,
        festivalId: true,
        role: true,
        festivalRole: true,
        createdAt: true,
        expiresAt: true,
        acceptedAt: true,
      },
    }),
    prisma.user.findUnique({
      where: { email },
      select: {
        id: true,
        email: true,
        name: true,
        role: true,
        locale: true,
        createdAt: true,
        disabledAt: true,
      },
    }),
  ]);
  const ticketIds = orders.flatMap((o) => o.tickets.map((t) => t.id));
  const checkIns = ticketIds.length
    ? await prisma.checkIn.findMany({
        where: { ticketId: { in: ticketIds } },
        orderBy: { scannedAt: "asc" },
        select: { ticketId: true, result: true, direction: true, scannedAt: true },
      })
    : [];
  return {
    email,
    exportedAt: now.toISOString(),
    account,
    orders: orders.map((o) => ({
      id: o.id,
      code: o.code,
      festival: o.festival,
      status: o.status,
      paymentMethod: o.paymentMethod,
      email: o.email,
      name: o.name,
      locale: o.locale,
      currency: o.currency,
      totalMinor: o.totalMinor,
      createdAt: o.createdAt,
      paidAt: o.paidAt,
      cancelledAt: o.cancelledAt,
      refundedAt: o.refundedAt,
      items: o.items.map((i) => ({
        kind: i.kind,
        ticketType: i.ticketType ? pickLanguage(i.ticketType.name, "en") : null,
        quantity: i.quantity,
        unitPriceMinor: i.unitPriceMinor,
        amountMinor: i.amountMinor,
        prisonerId: i.prisonerId,
      })),
      tickets: o.tickets.map((t) => ({
        ...t,
        checkIns: checkIns.filter((c) => c.ticketId === t.id).map(({ ticketId: _t, ...c }) => c),
      })),
    })),
    emails,
    invitations,
    // Places on tattoo waitlists (app/models/tattoo-waitlist.server.ts).
    tattooWaitlist: (
      await sqlClient().execute({
        sql: `SELECT w.id, w.festivalId, a.name AS artist, w.day, d.title AS design, w.status, w.locale, w.createdAt
              FROM TattooWaitlist w JOIN TattooArtist a ON a.id = w.artistId
              LEFT JOIN FlashDesign d ON d.id = w.flashDesignId
              WHERE w.email = ? ORDER BY w.createdAt`,
        args: [email],
      })
    ).rows.map((r) => ({
      id: String(r.id),
      festivalId: String(r.festivalId),
      artist: String(r.artist),
      day: String(r.day),
      design: r.design === null ? null : String(r.design),
      status: String(r.status),
      locale: String(r.locale),
      createdAt: String(r.createdAt),
    })),
    retentionDays: retentionDays(),
  };
}

// ---------------------------------------------------------------- the retention job

/**
 * Erase one batch of a festival's orders; the batch that leaves none marks the
 * festival purged. Each batch is one transaction with its audit row, so a stop
 * at any point loses nothing and the next run carries on.
 */
async function purgeFestivalBatch(festivalId: string, batchSize: number, now: Date) {
  const result = await prisma.$transaction(async (tx) => {
    const batch = await tx.order.findMany({
      where: { festivalId, erasedAt: null },
      select: { id: true },
      take: batchSize + 1,
    });
    const ids = batch.slice(0, batchSize).map((o) => o.id);
    const complete = batch.length <= batchSize;
    // The tattoo waitlist's addresses go with the festival's last batch.
    const waitlist = complete
      ? await eraseWaitlist(tx, { festivalId }, now)
      : { places: 0, mails: [] as string[] };
    const mails = [...(await eraseOrders(tx, ids, now)), ...waitlist.mails];
    if (complete)
      await tx.festival.update({ where: { id: festivalId }, data: { personalDataPurgedAt: now } });
    if (ids.length || complete)
      await audit(
        {
          actorUserId: null,
          action: "privacy.purge",
          targetType: "festival",
          targetId: festivalId,
          festivalId,
          details: {
            orders: ids.length,
            emails: mails.length,
            waitlistPlaces: waitlist.places,
            complete,
            retentionDays: retentionDays(),
          },
        },
        tx,
      );
    return { orders: ids.length, mails, complete };
  });
  await removeMailFiles(result.mails);
  return result;
}

export type PurgeOptions = {
  now?: Date;
  batchSize?: number;
  /** Stop after this many batches (tests: "the process stopped mid-way"). */
  maxBatches?: number;
  /** Checked between batches: the server is shutting down. */
  shouldStop?: () => boolean;
};

/** Erase the personal data of every festival that ended more than the retention period ago. */
export async function purgeDueFestivals(options: PurgeOptions = {}) {
  const now = options.now ?? new Date();
  const batchSize = options.batchSize ?? BATCH;
  const maxBatches = options.maxBatches ?? Infinity;
  const cutoff = new Date(now.getTime() - retentionDays() * DAY_MS);
  const due = await prisma.festival.findMany({
    // Also a purged festival whose dates were moved and sold again since.
    where: {
      endsAt: { lte: cutoff },
      OR: [{ personalDataPurgedAt: null }, { orders: { some: { erasedAt: null } } }],
    },
    orderBy: { endsAt: "asc" },
    select: { id: true },
  });
  let orders = 0;
  let festivalsCompleted = 0;
  let batches = 0;
  outer: for (const festival of due) {
    for (;;) {
      if (batches >= maxBatches || options.shouldStop?.()) break outer;
      const batch = await purgeFestivalBatch(festival.id, batchSize, now);
      batches++;
      orders += batch.orders;
      if (batch.complete) {
        festivalsCompleted++;
        break;
      }
    }
  }
  if (orders > 0) await checkpoint();
  return { orders, festivalsCompleted };
}

let timer: NodeJS.Timeout | undefined;
let running: Promise<unknown> | undefined;
let stopping = false;
/** Only the process holding this lease runs the retention job (decision 0038). */
let lease: KeptLease | undefined;

function runOnce() {
  if (running || !lease?.held()) return running;
  const held = lease;
  running = purgeDueFestivals({ shouldStop: () => stopping || !held.held() })
    .catch((e: unknown) => logger.error({ err: e, worker: "privacy" }, "privacy job failed"))
    .finally(() => (running = undefined));
  return running;
}

/** Run the retention job when this process holds its lease (at start) and then every `intervalMs` (hourly). */
export function startPrivacyWorker(intervalMs = 60 * 60_000) {
  if (timer) return;
  stopping = false;
  timer = setInterval(() => void runOnce(), intervalMs);
  timer.unref();
  lease = keepLease("retention", { onAcquired: () => void runOnce() });
}

/** Stop after the batch in progress (the next start carries on) and give the lease back. */
export async function stopPrivacyWorker() {
  if (timer) clearInterval(timer);
  timer = undefined;
  stopping = true;
  await running;
  await lease?.stop();
  lease = undefined;
}
