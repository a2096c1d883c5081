// Door scanning: devices, verdicts, offline uploads and the manifest a device
// downloads before doors open. A check-in is one atomic write: two doors
// scanning the same ticket at the same moment admit it exactly once, and a
// retried request (same nonce) gets the same answer without counting twice.
import type { InStatement } from "@libsql/client";
import { DateTime } from "luxon";
import { z } from "zod";
import { audit, auditStatement, changeStatements } from "~/utils/change.server";
import type { CurrentUser } from "~/utils/auth.server";
import { randomToken, sha256 } from "~/utils/crypto.server";
import {
  dateFromSql,
  sqlClient,
  sqlDate,
  writeTransaction,
  type SqlExecutor,
  type TransactionClient,
} from "~/utils/db.server";
import { DomainError, FieldRulesError } from "~/utils/domain-error";
import { faultPoint } from "~/utils/fault-points.server";
import { rateLimits } from "~/utils/rate-limit.server";
import { parseTicketToken, verifyTicketToken } from "~/utils/ticket-token";
import {
  normalizeTicketCode,
  TICKET_CODE_DIGEST_LENGTH,
  TICKET_CODE_MAX_INPUT,
  ticketCodeDigestInput,
} from "~/utils/ticket-code";
import { cashAmountMinor, parseMoment, text } from "~/utils/validation";
import { FestivalStateError, refuseIfCancelled } from "./festival.server";
import {
  DONATION_CHOICES,
  SEARCH_MAX_RESULTS,
  SEARCH_MIN_LENGTH,
  type Direction,
  type DonationChoice,
  type OrderPayment,
  type Verdict,
} from "./door-verdict";

import { entryStatements, moneyInPostings } from "./ledger.server";
import { festivalSigner } from "./ticket.server";
import { pickLanguage } from "./ticket-type.server";

// ---------------------------------------------------------------- devices

export const deviceInput = z.object({ name: text({ max: 60 }) }).strict();

export async function createDoorDevice(
  actor: CurrentUser,
  festival: { id: string; endsAt: Date },
  name: string,
  now = new Date(),
) {
  await refuseIfCancelled(festival.id);
  if (deviceExpiresAt(festival.endsAt).getTime() < now.getTime())
    throw new FestivalStateError("invalid_state", "This festival is over: no new door devices.");
  const festivalId = festival.id;
  const token = randomToken(32);
  const id = randomToken(12);
  await sqlClient().batch(
    [
      {
        sql: "INSERT INTO DoorDevice (id, festivalId, name, tokenHash, createdById, createdAt) VALUES (?, ?, ?, ?, ?, ?)",
        args: [id, festivalId, name, sha256(token), actor.id, sqlDate(new Date())],
      },
      ...changeStatements({
        audit: {
          actorUserId: actor.id,
          action: "door.device.create",
          targetType: "doorDevice",
          targetId: id,
          festivalId,
          details: { name },
        },
      }),
    ],
    "write",
  );
  return { id, token };
}

/**
 * Device tokens stop working two days after their festival ends (a lost phone
 * is not a key for ever); the end is read at each request, so moving the
 * festival's dates moves the expiry with them.
 */
export const DEVICE_GRACE_MS = 2 * 24 * 60 * 60_000;

export function deviceExpiresAt(festivalEndsAt: Date) {
  return new Date(festivalEndsAt.getTime() + DEVICE_GRACE_MS);
}

/**
 * The festival's door devices for organisers: who set each one up, when it was
 * last seen, and how much it searched (today in the festival's zone, in all).
 */
export async function listDoorDevices(festivalId: string, now = new Date()) {
  const festival = await sqlClient().execute({
    sql: "SELECT timezone FROM Festival WHERE id = ?",
    args: [festivalId],
  });
  const zone = String(festival.rows[0]?.timezone ?? "UTC");
  const startOfToday = DateTime.fromJSDate(now).setZone(zone).startOf("day").toJSDate();
  const { rows } = await sqlClient().execute({
    sql: `SELECT d.id, d.name, d.createdAt, d.lastSeenAt, d.revokedAt, f.endsAt,
                 u.id AS creatorId, u.name AS creatorName, u.email AS creatorEmail,
                 (SELECT COUNT(*) FROM DoorSearch s WHERE s.deviceId = d.id) AS searchesTotal,
                 (SELECT COUNT(*) FROM DoorSearch s WHERE s.deviceId = d.id AND s.at >= ?) AS searchesToday,
                 (SELECT MAX(s.at) FROM DoorSearch s WHERE s.deviceId = d.id) AS lastSearchAt
          FROM DoorDevice d JOIN Festival f ON f.id = d.festivalId LEFT JOIN User u ON u.id = d.createdById
          WHERE d.festivalId = ? ORDER BY d.createdAt`,
    args: [sqlDate(startOfToday), festivalId],
  });
  return rows.map((r) => {
    const expiresAt = deviceExpiresAt(dateFromSql(r.endsAt));
    return {
      id: String(r.id),
      name: String(r.name),
      createdAt: dateFromSql(r.createdAt).toISOString(),
      createdBy:
        r.creatorId === null
          ? null
          : {
              id: String(r.creatorId),
              name: r.creatorName === null ? null : String(r.creatorName),
              email: String(r.creatorEmail),
            },
      lastSeenAt: r.lastSeenAt === null ? null : dateFromSql(r.lastSeenAt).toISOString(),
      expiresAt: expiresAt.toISOString(),
      revoked: r.revokedAt !== null,
      expired: expiresAt.getTime() < now.getTime(),
      searches: {
        today: Number(r.searchesToday),
        total: Number(r.searchesTotal),
        lastAt: r.lastSearchAt === null ? null : dateFromSql(r.lastSearchAt).toISOString(),
      },
    };
  });
}

export async function findDevice(id: string) {
  if (id.length > 64) return null;
  const { rows } = await sqlClient().execute({
    sql: "SELECT id, festivalId, revokedAt FROM DoorDevice WHERE id = ?",
    args: [id],
  });
  const r = rows[0];
  return r
    ? { id: String(r.id), festivalId: String(r.festivalId), revoked: r.revokedAt !== null }
    : null;
}

export async function revokeDoorDevice(
  actor: CurrentUser,
  device: { id: string; festivalId: string },
) {
  await sqlClient().batch(
    [
      {
        sql: "UPDATE DoorDevice SET revokedAt = COALESCE(revokedAt, ?) WHERE id = ?",
        args: [sqlDate(new Date()), device.id],
      },
      ...changeStatements({
        audit: {
          actorUserId: actor.id,
          action: "door.device.revoke",
          targetType: "doorDevice",
          targetId: device.id,
          festivalId: device.festivalId,
        },
      }),
    ],
    "write",
  );
}

/** Why a person's devices end: the change to their standing that ended them. */
type StandingChange =
  "member.remove" | "member.demote" | "account.disable" | "account.delete" | "password.reset";

/**
 * The one way a person's loss of standing reaches the door: every device they
 * set up (at one festival, or everywhere) is revoked, each with an audit row,
 * inside the caller's transaction — the same one that removes, demotes,
 * disables, deletes or resets them. The phone's next request gets the answer
 * of any revoked device.
 */
export async function revokeDevicesOf(
  tx: TransactionClient,
  actor: { id: string } | null,
  userId: string,
  change: StandingChange,
  festivalId?: string,
) {
  const devices = await tx.doorDevice.findMany({
    where: { createdById: userId, revokedAt: null, ...(festivalId ? { festivalId } : {}) },
    select: { id: true, festivalId: true },
  });
  if (devices.length === 0) return 0;
  await tx.doorDevice.updateMany({
    where: { id: { in: devices.map((d) => d.id) }, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  for (const device of devices)
    await audit(
      {
        actorUserId: actor?.id ?? null,
        action: "door.device.revoke",
        targetType: "doorDevice",
        targetId: device.id,
        festivalId: device.festivalId,
        details: { reason: change, setUpBy: userId },
      },
      tx,
    );
  return devices.length;
}

export type Device = { id: string; festivalId: string; name: string };

/**
 * When this process last wrote a device's "last seen": a throttle only (each
 * process writes at most every 10 s per device); the value itself lives in the
 * database and only ever moves forward, whichever process writes it.
 */
const lastSeenWritten = new Map<string, number>();

/**
 * The door device behind a bearer token; 401 when unknown, revoked, expired, or
 * set up by nobody (its creator's account is gone: decision 0016).
 */
export async function requireDevice(request: Request): Promise<Device> {
  const match = /^Bearer\s+([A-Za-z0-9_-]{20,200})$/.exec(
    (request.headers.get("Authorization") ?? "").trim(),
  );
  if (!match?.[1]) throw DomainError.unauthorized("A door device token is required.");
  const { rows } = await sqlClient().execute({
    sql: `SELECT d.id, d.festivalId, d.name, d.revokedAt, d.createdById, f.endsAt
          FROM DoorDevice d JOIN Festival f ON f.id = d.festivalId WHERE d.tokenHash = ?`,
    args: [sha256(match[1])],
  });
  const r = rows[0];
  if (!r || r.revokedAt !== null || r.createdById === null)
    throw DomainError.unauthorized("This door device is unknown or was revoked.");
  const now = Date.now();
  if (deviceExpiresAt(dateFromSql(r.endsAt)).getTime() < now)
    throw DomainError.unauthorized("This door device has expired: its festival is over.");
  const device = { id: String(r.id), festivalId: String(r.festivalId), name: String(r.name) };
  // "Last seen" at most every 10 s per device: cheap enough for the hot path.
  if ((lastSeenWritten.get(device.id) ?? 0) < now - 10_000) {
    lastSeenWritten.set(device.id, now);
    const seen = sqlDate(new Date(now));
    await sqlClient().execute({
      sql: "UPDATE DoorDevice SET lastSeenAt = ? WHERE id = ? AND (lastSeenAt IS NULL OR lastSeenAt < ?)",
      args: [seen, device.id, seen],
    });
  }
  return device;
}

// ---------------------------------------------------------------- scans

const nonceField = z
  .string({ error: "v.nonce" })
  .regex(/^[A-Za-z0-9_-]{8,64}$/, { error: "v.nonce" });

export const scanInput = z
  .object({
    token: z
      .string({ error: "v.ticketToken" })
      .min(1, { error: "v.ticketToken" })
      .max(1024, { error: "v.ticketToken" }),
    nonce: nonceField,
    direction: z.enum(["in", "out"], { error: "v.direction" }).optional().default("in"),
  })
  .strict();

/** Online only: admit a ticket found by search (for someone without their phone). */
export const manualScanInput = z
  .object({
    ticketId: z
      .string({ error: "v.invalid" })
      .regex(/^[A-Za-z0-9_-]{8,64}$/, { error: "v.invalid" }),
    nonce: nonceField,
    direction: z.enum(["in", "out"], { error: "v.direction" }).optional().default("in"),
  })
  .strict();

/**
 * A ticket's short code typed by door staff (decision 0049): case, spaces and
 * hyphens do not matter, O/I/L read as 0/1; anything that cannot be a code is a 422.
 */
const codeField = z
  .string({ error: "v.ticketCode" })
  .max(TICKET_CODE_MAX_INPUT, { error: "v.ticketCode" })
  .transform((raw, ctx) => {
    const code = normalizeTicketCode(raw);
    if (code === null) {
      ctx.addIssue({ code: "custom", message: "v.ticketCode" });
      return z.NEVER;
    }
    return code;
  });

/** A typed short code instead of a scanned token: the same verdict as a scan of the ticket. */
export const codeScanInput = z
  .object({
    code: codeField,
    nonce: nonceField,
    direction: z.enum(["in", "out"], { error: "v.direction" }).optional().default("in"),
  })
  .strict();

export const undoInput = z.object({ nonce: nonceField }).strict();

/** What staff took in cash (minor units), to be sure it is what is due now. */
const takenField = cashAmountMinor(0).optional();
const donationField = z.enum(DONATION_CHOICES, { error: "v.invalid" }).optional();

/**
 * Cash taken at the door: for a scanned code, or (online) a ticket found by
 * search — with the order's pledged donation collected (the default) or declined.
 */
export const paymentInput = scanInput
  .omit({ direction: true })
  .extend({ donation: donationField, amountMinor: takenField });
export const manualPaymentInput = manualScanInput
  .omit({ direction: true })
  .extend({ donation: donationField, amountMinor: takenField });
/** A door order's pledged donation, by the order (found by search). */
export const orderPaymentInput = z
  .object({
    orderId: z
      .string({ error: "v.invalid" })
      .regex(/^[A-Za-z0-9_-]{8,64}$/, { error: "v.invalid" }),
    donation: donationField,
    amountMinor: takenField,
  })
  .strict();

export const batchInput = z
  .object({
    scans: z
      .array(
        scanInput
          .extend({
            // A scanned token, or a short code typed while offline (exactly one of them).
            token: scanInput.shape.token.optional(),
            code: codeField.optional(),
            /** ISO 8601 with a zone ("…Z" or "…+02:00"): a phone's clock time is ambiguous without one. */
            scannedAt: z
              .string({ error: "v.dateTime" })
              .max(40, { error: "v.dateTime" })
              .refine((v) => /(?:Z|[+-]\d{2}:?\d{2})$/i.test(v) && parseMoment(v, "UTC") !== null, {
                error: "v.dateTime",
              }),
            /** What the device showed while offline (for conflict reports). */
            offlineResult: z
              .enum(["admitted", "already_admitted", "invalid"], { error: "v.invalid" })
              .optional(),
          })
          .refine((scan) => (scan.token === undefined) !== (scan.code === undefined), {
            error: "v.ticketToken",
            path: ["token"],
          }),
        { error: "v.invalid" },
      )
      .min(1, { error: "v.invalid" })
      .max(500, { error: "v.tooBig" }),
  })
  .strict();

/** A LIKE pattern matching `q` anywhere, with %, _ and \ taken literally (ESCAPE '\'). */
function likeContains(q: string) {
  return `%${q.replace(/[%_\\]/g, (c) => `\\${c}`)}%`;
}

function nonceKey(device: Device, nonce: string) {
  return `${device.id}:${nonce}`;
}

/** A check-in's stored response as the API answers it (ISO times, no null fields). */
function storedVerdict(response: unknown): Verdict {
  const v = JSON.parse(String(response)) as Verdict;
  if (v.admittedAt) v.admittedAt = new Date(v.admittedAt).toISOString();
  for (const k of Object.keys(v) as (keyof Verdict)[]) if (v[k] === null) delete v[k];
  return v;
}

async function replay(nonce: string): Promise<Verdict | null> {
  const { rows } = await sqlClient().execute({
    sql: "SELECT response FROM CheckIn WHERE nonce = ?",
    args: [nonce],
  });
  return rows[0] ? storedVerdict(rows[0].response) : null;
}

function isNonceClash(error: unknown) {
  return (
    error instanceof Error &&
    /UNIQUE constraint failed: CheckIn\.nonce/.test(
      `${error.message} ${String((error as { cause?: unknown }).cause ?? "")}`,
    )
  );
}

/**
 * What the order `o` (an SQL alias) still owes of its pledged donation at the door, in one
 * number: its donation items while it is a confirmed door order and the collection entry
 * `door:<orderId>:donation` does not exist (`donationDue` below gives the same, part by part).
 */
const PLEDGED_DUE = `CASE WHEN o.paymentMethod = 'door' AND o.status = 'confirmed'
      AND NOT EXISTS (SELECT 1 FROM LedgerEntry e WHERE e.id = 'door:' || o.id || ':donation')
    THEN (SELECT COALESCE(SUM(i.amountMinor), 0) FROM OrderItem i WHERE i.orderId = o.id AND i.kind = 'donation')
    ELSE 0 END`;

type TicketRow = {
  id: string;
  orderId: string;
  festivalId: string;
  status: string;
  amountDueMinor: number;
  admittedAt: Date | null;
  admittedBy: string | null;
  inside: boolean;
  typeName: string;
  currency: string;
  /** Its festival was cancelled: the ticket admits no one any more. */
  festivalCancelled: boolean;
  /** The donation its order pledged and still owes at the door (0 unless a confirmed door order). */
  donationDueMinor: number;
};

async function readTicket(tx: SqlExecutor, id: string): Promise<TicketRow | null> {
  const { rows } = await tx.execute({
    sql: `SELECT t.id, t.orderId, t.festivalId, t.status, t.amountDueMinor, t.admittedAt, t.admittedBy, t.inside, tt.name AS typeName, o.currency,
                 f.status = 'cancelled' AS festivalCancelled, ${PLEDGED_DUE} AS donationDue
          FROM Ticket t JOIN TicketType tt ON tt.id = t.ticketTypeId JOIN "Order" o ON o.id = t.orderId
          JOIN Festival f ON f.id = t.festivalId WHERE t.id = ?`,
    args: [id],
  });
  const r = rows[0];
  if (!r) return null;
  return {
    id: String(r.id),
    orderId: String(r.orderId),
    festivalId: String(r.festivalId),
    status: String(r.status),
    amountDueMinor: Number(r.amountDueMinor),
    admittedAt: r.admittedAt === null ? null : dateFromSql(r.admittedAt),
    admittedBy: r.admittedBy === null ? null : String(r.admittedBy),
    inside: Boolean(Number(r.inside)),
    typeName: String(r.typeName),
    currency: String(r.currency),
    festivalCancelled: Boolean(Number(r.festivalCancelled)),
    donationDueMinor: Number(r.donationDue),
  };
}

/**
 * The ticket of this device's festival with this short code. Online, every
 * typed code spends the device's code budget first (rateLimits.doorCode, a
 * 429 past it) and an unknown one is a 404 (nothing recorded: a typo is not a
 * check-in). In an offline upload only unknown codes spend it (the phone
 * queued codes its manifest knew), and one is answered `invalid` like a
 * forged scan.
 */
async function ticketIdByCode(device: Device, code: string, offline: boolean) {
  if (!offline) await rateLimits.doorCode(device.id);
  const { rows } = await sqlClient().execute({
    sql: "SELECT id FROM Ticket WHERE festivalId = ? AND shortCode = ?",
    args: [device.festivalId, code],
  });
  const id = rows[0]?.id;
  if (id !== undefined && id !== null) return String(id);
  if (!offline) throw DomainError.notFound("No ticket of this festival has this code.");
  await rateLimits.doorCode(device.id);
  return undefined;
}

/**
 * One scan. Verifies the token's signature with the festival's key, then admits
 * (or lets out) the ticket in one transaction that also records the check-in
 * under its nonce.
 */
export async function scanTicket(
  device: Device,
  input: {
    token?: string;
    ticketId?: string;
    /** A short code typed by staff, already normalised (codeScanInput). */
    code?: string;
    nonce: string;
    direction: Direction;
    scannedAt?: Date;
    offline?: boolean;
    offlineResult?: string;
  },
  locale = "en",
  now = new Date(),
): Promise<Verdict> {
  // Nonces are the device's own: stored with its id, so no device can replay another's.
  const key = nonceKey(device, input.nonce);
  const previous = await replay(key);
  if (previous) return previous;
  const signer = await festivalSigner(device.festivalId);
  const parsed = input.token !== undefined ? parseTicketToken(input.token) : null;
  let verdict: Verdict | null = null;
  let ticketId: string | undefined = input.ticketId;
  if (input.code !== undefined) {
    // A typed code names a ticket of this festival, then is checked like any scan of it.
    ticketId = await ticketIdByCode(device, input.code, Boolean(input.offline));
    if (!ticketId) verdict = { result: "invalid" };
  }
  // Found by search or by its typed code (on an authenticated device): no token to check.
  if (!parsed) verdict ??= ticketId ? null : { result: "invalid" };
  else if (!parsed.ok) verdict = { result: "invalid" };
  else {
    ticketId = parsed.token.payload.t;
    if (parsed.token.payload.f !== device.festivalId) {
      verdict = { result: "wrong_festival" };
    } else {
      const check = await verifyTicketToken(input.token!, signer.publicKey, {
        festivalId: device.festivalId,
        now,
        leewaySeconds: 300,
      });
      if (!check.ok)
        verdict = { result: check.reason === "not_yet_valid" ? "not_yet_valid" : "invalid" };
    }
  }
  const scannedAt = input.scannedAt ?? now;
  try {
    if (!verdict && input.direction === "in") {
      const fast = await admitInOneBatch(
        device,
        { ...input, ticketId: ticketId! },
        scannedAt,
        now,
        locale,
      );
      if (fast) return fast;
    }
    return await writeTransaction(async (tx) => {
      const record = (v: Verdict): InStatement => ({
        sql: `INSERT INTO CheckIn (festivalId, ticketId, deviceId, nonce, direction, result, offline, scannedAt, recordedAt, response)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        args: [
          device.festivalId,
          // Only a ticket of this festival (found, or its signature checked) is linked:
          // never an id taken from a forged code or another festival's ticket.
          v.ticketId ?? null,
          device.id,
          key,
          input.direction,
          v.result,
          input.offline ? 1 : 0,
          sqlDate(scannedAt),
          sqlDate(now),
          JSON.stringify(v),
        ],
      });
      if (verdict) {
        await tx.execute(record(verdict));
        return verdict;
      }
      const ticket = await readTicket(tx, ticketId!);
      let v: Verdict;
      if (!ticket || ticket.festivalId !== device.festivalId) v = { result: "invalid" };
      else {
        const base = { ticketId: ticket.id, ticketType: pickLanguage(ticket.typeName, locale) };
        // A cancelled festival admits no one, whatever the ticket (online scans and uploads alike).
        if (ticket.festivalCancelled) v = { ...base, result: "festival_cancelled" };
        else if (ticket.status !== "valid") v = { ...base, result: "revoked" };
        else if (
          ticket.amountDueMinor > 0 ||
          (input.direction === "in" && !input.offline && ticket.donationDueMinor > 0)
        ) {
          const donation = ticket.donationDueMinor;
          v = {
            ...base,
            result: "payment_due",
            amountDueMinor: ticket.amountDueMinor,
            ...(donation > 0 ? { donationDueMinor: donation } : {}),
            currency: ticket.currency,
          };
        } else if (input.direction === "out") {
          if (ticket.inside)
            await tx.execute({
              sql: "UPDATE Ticket SET inside = 0 WHERE id = ?",
              args: [ticket.id],
            });
          v = { ...base, result: "exited" };
        } else {
          const admitted = await tx.execute({
            sql: `UPDATE Ticket SET admittedAt = COALESCE(admittedAt, ?), admittedBy = COALESCE(admittedBy, ?), inside = 1
                  WHERE id = ? AND status = 'valid' AND amountDueMinor = 0 AND (admittedAt IS NULL OR inside = 0)`,
            args: [sqlDate(scannedAt), device.name, ticket.id],
          });
          // rowsAffected 1: first entry, or re-entry after an exit.
          if (admitted.rowsAffected === 1)
            v = {
              ...base,
              result: "admitted",
              admittedAt: scannedAt.toISOString(),
              admittedBy: device.name,
            };
          else if (
            input.offline &&
            input.offlineResult === "admitted" &&
            ticket.admittedBy !== device.name
          ) {
            // Two devices let the same ticket in while offline: one admission, one conflict to report.
            v = {
              ...base,
              result: "conflict",
              admittedAt: ticket.admittedAt?.toISOString(),
              admittedBy: ticket.admittedBy ?? undefined,
            };
          } else
            v = {
              ...base,
              result: "already_admitted",
              admittedAt: ticket.admittedAt?.toISOString(),
              admittedBy: ticket.admittedBy ?? undefined,
            };
        }
      }
      await tx.execute(record(v));
      return v;
    });
  } catch (error) {
    // The same nonce raced itself: answer what the first one recorded.
    if (isNonceClash(error)) {
      const stored = await replay(key);
      if (stored) return stored;
    }
    throw error;
  }
}

/**
 * The common case — a valid, paid ticket coming in — as one batch on the shared
 * connection (no interactive transaction, which costs a new SQLite connection):
 * the conditional UPDATE admits at most once, and the check-in row takes its
 * verdict from `changes()` of that UPDATE. Returns null when the ticket needs the
 * general path (revoked, payment due, unknown).
 */
async function admitInOneBatch(
  device: Device,
  input: { ticketId: string; nonce: string; offline?: boolean; offlineResult?: string },
  scannedAt: Date,
  now: Date,
  locale: string,
): Promise<Verdict | null> {
  const ticket = await readTicket(sqlClient(), input.ticketId);
  if (
    !ticket ||
    ticket.festivalId !== device.festivalId ||
    ticket.festivalCancelled ||
    ticket.status !== "valid" ||
    ticket.amountDueMinor > 0 ||
    // A donation pledged beside free tickets is asked by an online scan (the slow path).
    (!input.offline && ticket.donationDueMinor > 0)
  )
    return null;
  const key = nonceKey(device, input.nonce);
  const ticketType = pickLanguage(ticket.typeName, locale);
  const offlineAdmitted = input.offline && input.offlineResult === "admitted" ? 1 : 0;
  const [, , stored] = await sqlClient().batch(
    [
      {
        sql: `UPDATE Ticket SET admittedAt = COALESCE(admittedAt, ?), admittedBy = COALESCE(admittedBy, ?), inside = 1
              WHERE id = ? AND status = 'valid' AND amountDueMinor = 0 AND (admittedAt IS NULL OR inside = 0)
                AND NOT EXISTS (SELECT 1 FROM Festival WHERE id = Ticket.festivalId AND status = 'cancelled')`,
        args: [sqlDate(scannedAt), device.name, ticket.id],
      },
      {
        sql: `INSERT INTO CheckIn (festivalId, ticketId, deviceId, nonce, direction, result, offline, scannedAt, recordedAt, response)
              SELECT ?, t.id, ?, ?, 'in', r.result, ?, ?, ?,
                     json_object('result', r.result, 'ticketId', t.id, 'ticketType', ?,
                                 'admittedAt', CASE WHEN r.result = 'admitted' THEN ? ELSE t.admittedAt END,
                                 'admittedBy', CASE WHEN r.result = 'admitted' THEN ? ELSE t.admittedBy END)
              FROM Ticket t,
                   (SELECT CASE WHEN changes() = 1 THEN 'admitted'
                                WHEN (SELECT status FROM Festival WHERE id = ?) = 'cancelled' THEN 'festival_cancelled'
                                WHEN ? = 1 AND (SELECT admittedBy FROM Ticket WHERE id = ?) IS NOT ? THEN 'conflict'
                                ELSE 'already_admitted' END AS result) r
              WHERE t.id = ?`,
        args: [
          device.festivalId,
          device.id,
          key,
          input.offline ? 1 : 0,
          sqlDate(scannedAt),
          sqlDate(now),
          ticketType,
          scannedAt.toISOString(),
          device.name,
          device.festivalId,
          offlineAdmitted,
          ticket.id,
          device.name,
          ticket.id,
        ],
      },
      { sql: "SELECT response FROM CheckIn WHERE nonce = ?", args: [key] },
    ],
    "write",
  );
  const row = stored?.rows[0];
  // The stored verdict, answered exactly as a replay of this nonce will be.
  return row ? storedVerdict(row.response) : null;
}

// ---------------------------------------------------------------- cash at the door

/** The source key of a door order's donation taken in cash: it posts once per order. */
export function doorDonationKey(orderId: string) {
  return `door:${orderId}:donation`;
}

/**
 * The pledged donation a pay-at-the-door order still owes, part by part (with
 * its earmark): nothing once collected (its entry exists) or declined (the item
 * is gone), and nothing for orders that are not confirmed door orders.
 */
export async function donationDue(
  db: SqlExecutor,
  orderId: string,
): Promise<{ amountMinor: number; prisonerId: string | null }[]> {
  const { rows } = await db.execute({
    sql: `SELECT i.amountMinor, i.prisonerId FROM OrderItem i JOIN "Order" o ON o.id = i.orderId
          WHERE i.orderId = ? AND i.kind = 'donation' AND i.amountMinor > 0
            AND o.paymentMethod = 'door' AND o.status = 'confirmed'
            AND NOT EXISTS (SELECT 1 FROM LedgerEntry e WHERE e.id = ?)
          ORDER BY i.id`,
    args: [orderId, doorDonationKey(orderId)],
  });
  return rows.map((r) => ({
    amountMinor: Number(r.amountMinor),
    prisonerId: r.prisonerId === null ? null : String(r.prisonerId),
  }));
}

function sumMinor(parts: { amountMinor: number }[]) {
  return parts.reduce((sum, p) => sum + p.amountMinor, 0);
}

/** Staff took a different amount than is due now (another door took part of it meanwhile). */
function amountChanged(dueMinor: number) {
  return new DomainError(
    409,
    "amount_changed",
    `What is due changed meanwhile: ${dueMinor} (minor units) is due now; nothing was recorded. Scan or search again.`,
  );
}

/**
 * The statements that settle an order's pledged donation at the door, in the
 * caller's transaction: collected (an entry Dr door_cash[device] / Cr donation
 * income under its earmark, posted once per order), or declined by the buyer
 * (the donation leaves the order and its total, with an audit row; nothing is
 * booked: no money moved).
 */
function donationStatements(
  taker: CashTaker,
  order: { id: string; currency: string },
  pledged: { amountMinor: number; prisonerId: string | null }[],
  choice: DonationChoice,
  now: Date,
): InStatement[] {
  if (pledged.length === 0) return [];
  if (choice === "collect")
    return entryStatements({
      id: doorDonationKey(order.id),
      festivalId: taker.festivalId,
      orderId: order.id,
      kind: "payment",
      at: now,
      ...(taker.actorUserId ? { actorUserId: taker.actorUserId } : {}),
      postings: moneyInPostings(
        takenCash(taker, order.currency),
        pledged.map((p) => ({ category: "donation", ...p })),
      ),
    });
  const declined = sumMinor(pledged);
  return [
    { sql: "DELETE FROM OrderItem WHERE orderId = ? AND kind = 'donation'", args: [order.id] },
    {
      sql: `UPDATE "Order" SET totalMinor = totalMinor - ? WHERE id = ?`,
      args: [declined, order.id],
    },
    auditStatement(
      {
        actorUserId: taker.actorUserId,
        action: "order.donation.decline",
        targetType: "order",
        targetId: order.id,
        festivalId: taker.festivalId,
        details: {
          ...(taker.holder.type === "device" ? { deviceId: taker.holder.id } : {}),
          amountMinor: declined,
          currency: order.currency,
          prisonerIds: pledged.map((p) => p.prisonerId ?? "").filter(Boolean),
        },
      },
      now,
    ),
    // A donation-only order whose donation was declined holds nothing any more (one with free
    // tickets still holds them: it is settled, and paid, like any free order).
    {
      sql: `UPDATE "Order" SET status = 'cancelled', cancelledAt = ? WHERE id = ?2 AND status = 'confirmed' AND totalMinor = 0
              AND NOT EXISTS (SELECT 1 FROM Ticket WHERE orderId = ?2 AND status = 'valid')`,
      args: [sqlDate(now), order.id],
    },
  ];
}

/**
 * Who took cash for a door order: a door device (at the door), or a person (an
 * organiser marking the order paid from the admin). The cash is held by them —
 * door_cash[device] or door_cash[user] — until it is handed over (cash.server.ts).
 */
type CashTaker = {
  festivalId: string;
  holder: { type: "device" | "user"; id: string };
  actorUserId: string | null;
};

function deviceTaker(device: Device): CashTaker {
  return {
    festivalId: device.festivalId,
    holder: { type: "device", id: device.id },
    actorUserId: null,
  };
}

/** The cash a taker took, held by them until it is handed over (cash.server.ts). */
function takenCash(taker: CashTaker, currency: string) {
  return {
    festivalId: taker.festivalId,
    currency,
    code: "door_cash" as const,
    holder: taker.holder,
  };
}

/**
 * The statements that settle one pay-at-the-door ticket's price taken in cash,
 * in the caller's transaction: it owes nothing more, and one entry Dr
 * door_cash[taker] / Cr ticket income under its source key `door:<ticket>:payment`
 * (the ledger refuses a second entry under it).
 */
function ticketCashStatements(
  taker: CashTaker,
  ticketId: string,
  order: { id: string; currency: string },
  ticketMinor: number,
  now: Date,
): InStatement[] {
  return [
    { sql: "UPDATE Ticket SET amountDueMinor = 0 WHERE id = ?", args: [ticketId] },
    ...entryStatements({
      id: `door:${ticketId}:payment`,
      festivalId: taker.festivalId,
      orderId: order.id,
      kind: "payment",
      at: now,
      ...(taker.actorUserId ? { actorUserId: taker.actorUserId } : {}),
      postings: moneyInPostings(takenCash(taker, order.currency), [
        { category: "ticket", amountMinor: ticketMinor },
      ]),
    }),
  ];
}

/**
 * A door order is paid once nothing is due anywhere: no ticket's price, no
 * pledged donation, no tattoo donation still to collect at the tattoo corner.
 * The one check, run by the door (tickets, donations) and the tattoo corner
 * (app/models/tattoo-corner.server.ts) after each collection.
 */
export function markPaidWhenSettled(orderId: string, now: Date): InStatement {
  return {
    sql: `UPDATE "Order" SET status = 'paid', paidAt = ? WHERE id = ? AND status = 'confirmed'
          AND NOT EXISTS (SELECT 1 FROM Ticket WHERE orderId = ? AND status = 'valid' AND amountDueMinor > 0)
          AND (NOT EXISTS (SELECT 1 FROM OrderItem WHERE orderId = ? AND kind = 'donation' AND amountMinor > 0)
               OR EXISTS (SELECT 1 FROM LedgerEntry WHERE id = ?))
          AND NOT EXISTS (SELECT 1 FROM TattooBooking WHERE orderId = ? AND dueMinor > 0)`,
    args: [sqlDate(now), orderId, orderId, orderId, doorDonationKey(orderId), orderId],
  };
}

/**
 * Staff took the cash for a pay-at-the-door ticket — its price, and the order's
 * pledged donation still due (the verdict showed both), unless the buyer
 * declined it (`donation: "decline"`) — then admit the ticket. Each amount
 * posts Dr door_cash[device] / Cr income in the same transaction; the order is
 * paid once nothing is due. `amountMinor`, when given, is what staff took: a
 * different amount due now (another door was quicker) is a 409, nothing written.
 */
export async function payAtDoor(
  device: Device,
  input: ({ token: string } | { ticketId: string }) & {
    nonce: string;
    donation?: DonationChoice;
    amountMinor?: number;
  },
  locale = "en",
  now = new Date(),
): Promise<Verdict> {
  // A retry of a payment that went through answers what it answered then.
  const previous = await replay(nonceKey(device, input.nonce));
  if (previous) return previous;
  const admit = () =>
    scanTicket(
      device,
      "ticketId" in input
        ? { ticketId: input.ticketId, nonce: input.nonce, direction: "in" }
        : { token: input.token, nonce: input.nonce, direction: "in" },
      locale,
      now,
    );
  let ticketId: string;
  if ("ticketId" in input) {
    // Found by search on an authenticated device: no token to check.
    ticketId = input.ticketId;
  } else {
    const parsed = parseTicketToken(input.token);
    const signer = await festivalSigner(device.festivalId);
    if (!parsed.ok || parsed.token.payload.f !== device.festivalId) return admit();
    const check = await verifyTicketToken(input.token, signer.publicKey, {
      festivalId: device.festivalId,
      now,
      leewaySeconds: 300,
    });
    if (!check.ok) return admit();
    ticketId = parsed.token.payload.t;
  }
  await writeTransaction(async (tx) => {
    // No cash is taken for a cancelled festival (read inside the write: a cancellation
    // cannot slip in between); the scan below answers its refusal.
    const cancelled = await tx.execute({
      sql: "SELECT 1 FROM Festival WHERE id = ? AND status = 'cancelled'",
      args: [device.festivalId],
    });
    if (cancelled.rows.length > 0) return;
    const { rows } = await tx.execute({
      sql: `SELECT t.amountDueMinor, t.orderId, o.currency, o.festivalId FROM Ticket t JOIN "Order" o ON o.id = t.orderId
            WHERE t.id = ? AND t.status = 'valid' AND o.festivalId = ?`,
      args: [ticketId, device.festivalId],
    });
    // Due: the ticket's price, or (a free ticket) the donation pledged with its order.
    const r = rows[0];
    const pledged = r ? await donationDue(tx, String(r.orderId)) : [];
    if (!r || (Number(r.amountDueMinor) === 0 && pledged.length === 0)) {
      if (input.amountMinor === undefined || input.amountMinor === 0) return;
      // Nothing due: fine if this device's own payment of the ticket went through (a retry
      // whose answer was lost before the admission was recorded), else staff took too much.
      const own = await tx.execute({
        sql: `SELECT 1 FROM LedgerPosting p JOIN LedgerAccount a ON a.id = p.accountId
              WHERE p.entryId IN (?, ?) AND a.code = 'door_cash' AND a.holderType = 'device' AND a.holderId = ?`,
        args: [`door:${ticketId}:payment`, r ? doorDonationKey(String(r.orderId)) : "", device.id],
      });
      if (own.rows.length === 0) throw amountChanged(0);
      return;
    }
    const order = { id: String(r.orderId), currency: String(r.currency) };
    const ticketMinor = Number(r.amountDueMinor);
    const choice = input.donation ?? "collect";
    const takenMinor = ticketMinor + (choice === "collect" ? sumMinor(pledged) : 0);
    if (input.amountMinor !== undefined && input.amountMinor !== takenMinor)
      throw amountChanged(takenMinor);
    const statements: InStatement[] = [
      // The cash is in this device's hands until it is handed over (cash custody).
      ...(ticketMinor > 0
        ? ticketCashStatements(deviceTaker(device), ticketId, order, ticketMinor, now)
        : []),
      ...donationStatements(deviceTaker(device), order, pledged, choice, now),
      markPaidWhenSettled(order.id, now),
    ];
    for (const stmt of statements) await tx.execute(stmt);
    faultPoint("door-cash:before-commit");
  });
  // Paid, not yet admitted: a retry with the same nonce posts nothing and admits.
  faultPoint("door-cash:after-commit");
  // The code's signature is checked: admit by id rather than verify it again.
  return scanTicket(device, { ticketId, nonce: input.nonce, direction: "in" }, locale, now);
}

/**
 * Staff collected a door order's pledged donation by the order (found by search:
 * a donation-only order has no ticket to scan), or the buyer declined it. A
 * repeat posts nothing and answers from the order's state.
 */
export async function payOrderAtDoor(
  device: Device,
  input: { orderId: string; donation?: DonationChoice; amountMinor?: number },
  now = new Date(),
): Promise<OrderPayment> {
  return writeTransaction(async (tx) => {
    const { rows } = await tx.execute({
      sql: `SELECT o.id, o.code, o.currency, o.status, o.paymentMethod, f.status AS festivalStatus
            FROM "Order" o JOIN Festival f ON f.id = o.festivalId WHERE o.id = ? AND o.festivalId = ?`,
      args: [input.orderId, device.festivalId],
    });
    const r = rows[0];
    // Another festival's order is as unknown as a missing one.
    if (!r) throw DomainError.notFound("No such order at this festival.");
    if (r.festivalStatus === "cancelled")
      throw DomainError.conflict(
        "festival_cancelled",
        "This festival was cancelled: no cash is taken at the door.",
      );
    if (r.paymentMethod !== "door")
      throw new DomainError(409, "invalid_state", "This order is not paid at the door.");
    const order = { id: String(r.id), currency: String(r.currency) };
    const answer = async (
      result: OrderPayment["result"],
      amountMinor: number,
    ): Promise<OrderPayment> => {
      const status = await tx.execute({
        sql: `SELECT status FROM "Order" WHERE id = ?`,
        args: [order.id],
      });
      return {
        result,
        orderId: order.id,
        orderCode: String(r.code),
        amountMinor,
        currency: order.currency,
        orderStatus: String(status.rows[0]?.status ?? r.status),
      };
    };
    const pledged = await donationDue(tx, order.id);
    const choice = input.donation ?? "collect";
    if (pledged.length === 0) {
      if (input.amountMinor !== undefined && input.amountMinor > 0) {
        // A retry of this device's own collection that went through: the same answer, nothing
        // posted. Collected by another door (or with a ticket there), staff here took too much.
        const collected = await tx.execute({
          sql: `SELECT COALESCE(-SUM(p.amountMinor), 0) AS n FROM LedgerPosting p JOIN LedgerAccount a ON a.id = p.accountId
                WHERE p.entryId = ? AND a.code = 'income'
                  AND EXISTS (SELECT 1 FROM LedgerPosting q JOIN LedgerAccount h ON h.id = q.accountId
                              WHERE q.entryId = p.entryId AND h.code = 'door_cash'
                                AND h.holderType = 'device' AND h.holderId = ?)`,
          args: [doorDonationKey(order.id), device.id],
        });
        const n = Number(collected.rows[0]?.n ?? 0);
        if (n === input.amountMinor && choice === "collect") return answer("donation_collected", n);
        throw amountChanged(0);
      }
      return answer("nothing_due", 0);
    }
    const takenMinor = choice === "collect" ? sumMinor(pledged) : 0;
    if (input.amountMinor !== undefined && input.amountMinor !== takenMinor)
      throw amountChanged(takenMinor);
    for (const stmt of [
      ...donationStatements(deviceTaker(device), order, pledged, choice, now),
      markPaidWhenSettled(order.id, now),
    ])
      await tx.execute(stmt);
    return answer(choice === "collect" ? "donation_collected" : "donation_declined", takenMinor);
  });
}

// ---------------------------------------------------------------- manifest

/**
 * What a device needs to decide offline: the festival's public key, revoked
 * tickets, ticket types, tickets already admitted (and of those, the ones that
 * went out and may come back in) and those with payment due.
 * Ids and amounts only — no names or emails.
 */
export async function doorManifest(device: Device, locale = "en") {
  const signer = await festivalSigner(device.festivalId);
  const db = sqlClient();
  const [festival, types, tickets, version, coded] = await Promise.all([
    db.execute({
      sql: "SELECT id, name, currency, timezone, status FROM Festival WHERE id = ?",
      args: [device.festivalId],
    }),
    db.execute({
      sql: "SELECT id, name FROM TicketType WHERE festivalId = ? ORDER BY position",
      args: [device.festivalId],
    }),
    // Every ticket the door must know about, in one pass: revoked, admitted, payment due.
    db.execute({
      sql: `SELECT id, status, amountDueMinor, admittedAt IS NOT NULL AS admitted, inside FROM Ticket
            WHERE festivalId = ? AND (status != 'valid' OR admittedAt IS NOT NULL OR amountDueMinor > 0)`,
      args: [device.festivalId],
    }),
    db.execute({
      sql: "SELECT COALESCE(MAX(id), 0) AS v FROM CheckIn WHERE festivalId = ?",
      args: [device.festivalId],
    }),
    // Every ticket with a short code, for typing one in while offline (decision 0049).
    db.execute({
      sql: "SELECT id, ticketTypeId, shortCode FROM Ticket WHERE festivalId = ? AND shortCode IS NOT NULL ORDER BY id",
      args: [device.festivalId],
    }),
  ]);
  // A salted digest per code, never the code: a lost phone's storage lists no code to type.
  const codes: Record<string, [string, string]> = {};
  for (const r of coded.rows)
    codes[codeDigest(device.festivalId, String(r.shortCode))] = [
      String(r.id),
      String(r.ticketTypeId),
    ];
  const revoked: string[] = [];
  const admitted: string[] = [];
  const outside: string[] = [];
  const paymentDue: Record<string, number> = {};
  for (const t of tickets.rows) {
    const id = String(t.id);
    if (t.status !== "valid") revoked.push(id);
    else if (Number(t.amountDueMinor) > 0) paymentDue[id] = Number(t.amountDueMinor);
    if (Number(t.admitted)) {
      admitted.push(id);
      if (!Number(t.inside)) outside.push(id);
    }
  }
  const f = festival.rows[0]!;
  return {
    festival: {
      id: String(f.id),
      name: String(f.name),
      currency: String(f.currency),
      timezone: String(f.timezone),
      // Offline devices refuse every ticket of a cancelled festival (app/utils/door-client.ts).
      cancelled: f.status === "cancelled",
    },
    publicKey: signer.publicKey,
    version: Number(version.rows[0]?.v ?? 0),
    generatedAt: new Date().toISOString(),
    ticketTypes: types.rows.map((r) => ({
      id: String(r.id),
      name: pickLanguage(String(r.name), locale),
    })),
    revoked,
    admitted,
    outside,
    paymentDue,
    /** Digest of a ticket's short code (app/utils/ticket-code.ts) → [ticket id, ticket type id]. */
    codes,
    counters: await doorCounters(device.festivalId),
  };
}

/**
 * Digests already computed (a code never changes, and phones ask for the
 * manifest every few seconds): festival id + code → digest, bounded.
 */
const digests = new Map<string, string>();
const DIGESTS_KEPT = 200_000;

/** The manifest's key for a short code: the same digest the scanner computes with Web Crypto. */
export function codeDigest(festivalId: string, code: string) {
  const key = `${festivalId}:${code}`;
  let digest = digests.get(key);
  if (digest === undefined) {
    digest = sha256(ticketCodeDigestInput(festivalId, code)).slice(0, TICKET_CODE_DIGEST_LENGTH);
    if (digests.size >= DIGESTS_KEPT) digests.clear();
    digests.set(key, digest);
  }
  return digest;
}

/** Live counters: checked in, sold, inside now. */
export async function doorCounters(festivalId: string) {
  const { rows } = await sqlClient().execute({
    sql: `SELECT COUNT(*) FILTER (WHERE status = 'valid') AS sold,
                 COUNT(*) FILTER (WHERE admittedAt IS NOT NULL) AS checkedIn,
                 COUNT(*) FILTER (WHERE inside = 1) AS inside
          FROM Ticket WHERE festivalId = ?`,
    args: [festivalId],
  });
  const r = rows[0]!;
  return { sold: Number(r.sold), checkedIn: Number(r.checkedIn), inside: Number(r.inside) };
}

/**
 * Undo a device's own admission (a mistaken scan), within 15 minutes and while
 * nothing happened to the ticket since: it is no longer inside, and when that
 * admission was its first, it counts as never admitted. Recorded as a check-in
 * of its own.
 */
export async function undoCheckIn(
  device: Device,
  nonce: string,
  now = new Date(),
): Promise<Verdict> {
  // ":" never appears in a scan's nonce, so an undo cannot collide with one.
  const undoNonce = nonceKey(device, `undo:${nonce}`);
  const previous = await replay(undoNonce);
  if (previous) return previous;
  return writeTransaction(async (tx) => {
    const { rows } = await tx.execute({
      sql: `SELECT c.id, c.ticketId, c.scannedAt, c.recordedAt,
                   EXISTS (SELECT 1 FROM CheckIn later WHERE later.ticketId = c.ticketId AND later.id > c.id
                           AND later.result IN ('admitted', 'exited', 'undone')) AS overtaken
            FROM CheckIn c WHERE c.nonce = ? AND c.deviceId = ? AND c.result = 'admitted' AND c.direction = 'in'`,
      args: [nonceKey(device, nonce), device.id],
    });
    const r = rows[0];
    const undoable =
      r !== undefined &&
      now.getTime() - dateFromSql(r.recordedAt).getTime() <= 15 * 60_000 &&
      !Number(r.overtaken);
    const verdict: Verdict = undoable
      ? { result: "undone", ticketId: String(r.ticketId) }
      : { result: "invalid" };
    if (undoable && r) {
      // The first admission set admittedAt/admittedBy (from this scan); a re-entry did not.
      await tx.execute({
        sql: `UPDATE Ticket SET inside = 0,
                admittedAt = CASE WHEN admittedAt = ? AND admittedBy = ? THEN NULL ELSE admittedAt END,
                admittedBy = CASE WHEN admittedAt = ? AND admittedBy = ? THEN NULL ELSE admittedBy END
              WHERE id = ?`,
        args: [
          String(r.scannedAt),
          device.name,
          String(r.scannedAt),
          device.name,
          String(r.ticketId),
        ],
      });
    }
    await tx.execute({
      sql: `INSERT INTO CheckIn (festivalId, ticketId, deviceId, nonce, direction, result, offline, scannedAt, recordedAt, response)
            VALUES (?, ?, ?, ?, 'in', ?, 0, ?, ?, ?)`,
      args: [
        device.festivalId,
        verdict.ticketId ?? null,
        device.id,
        undoNonce,
        verdict.result,
        sqlDate(now),
        sqlDate(now),
        JSON.stringify(verdict),
      ],
    });
    return verdict;
  });
}

/**
 * Online search by order code or buyer's name, for someone without their phone.
 * Names appear only here, never in the manifest or on the device's storage.
 * At least SEARCH_MIN_LENGTH characters (else a 422), within the device's
 * search budget (else a 429), at most SEARCH_MAX_RESULTS tickets; each search
 * is counted for the organisers (when and how many results, never the query).
 */
export async function searchTickets(
  device: Device,
  query: string,
  locale = "en",
  now = new Date(),
) {
  const q = query.trim().slice(0, 60);
  if ([...q].length < SEARCH_MIN_LENGTH)
    throw new FieldRulesError({ q: `v.minLength|${SEARCH_MIN_LENGTH}` });
  await rateLimits.doorSearch(device.id);
  const like = likeContains(q);
  const [tickets, donations] = await Promise.all([
    sqlClient().execute({
      sql: `SELECT t.id, t.status, t.amountDueMinor, t.admittedAt, tt.name AS typeName, o.code, o.name, o.currency,
                   ${PLEDGED_DUE} AS donationDue
            FROM Ticket t JOIN "Order" o ON o.id = t.orderId JOIN TicketType tt ON tt.id = t.ticketTypeId
            WHERE t.festivalId = ? AND (o.code LIKE ? ESCAPE '\\' OR o.name LIKE ? ESCAPE '\\')
            ORDER BY o.code LIMIT ?`,
      args: [device.festivalId, like.toUpperCase(), like, SEARCH_MAX_RESULTS + 1],
    }),
    // Orders whose donation is still due (a donation-only order has no ticket to find).
    sqlClient().execute({
      sql: `SELECT o.id, o.code, o.name, o.currency, ${PLEDGED_DUE} AS donationDue,
                   (SELECT COUNT(*) FROM Ticket t WHERE t.orderId = o.id AND t.status = 'valid') AS tickets
            FROM "Order" o
            WHERE o.festivalId = ? AND o.paymentMethod = 'door' AND o.status = 'confirmed'
              AND (o.code LIKE ? ESCAPE '\\' OR o.name LIKE ? ESCAPE '\\') AND donationDue > 0
            ORDER BY o.code LIMIT ?`,
      args: [device.festivalId, like.toUpperCase(), like, SEARCH_MAX_RESULTS],
    }),
  ]);
  const truncated = tickets.rows.length > SEARCH_MAX_RESULTS;
  const shown = tickets.rows.slice(0, SEARCH_MAX_RESULTS);
  await sqlClient().execute({
    sql: "INSERT INTO DoorSearch (deviceId, at, results) VALUES (?, ?, ?)",
    args: [device.id, sqlDate(now), shown.length + donations.rows.length],
  });
  return {
    results: shown.map(foundTicket(locale)),
    truncated,
    donations: donations.rows.map((r) => ({
      orderId: String(r.id),
      orderCode: String(r.code),
      name: r.name === null ? null : String(r.name),
      donationDueMinor: Number(r.donationDue),
      currency: String(r.currency),
      tickets: Number(r.tickets),
    })),
  };
}

function foundTicket(locale: string) {
  return (r: Record<string, unknown>) => ({
    ticketId: String(r.id),
    ticketType: pickLanguage(String(r.typeName), locale),
    orderCode: String(r.code),
    name: r.name === null ? null : String(r.name),
    status: String(r.status),
    admitted: r.admittedAt !== null,
    amountDueMinor: Number(r.amountDueMinor),
    donationDueMinor: Number(r.donationDue),
    currency: String(r.currency),
  });
}

// ---------------------------------------------------------------- organisers

/** Admissions per 10 minutes (UTC bins; shown in the festival's zone). */
export async function arrivalsPer10Minutes(festivalId: string) {
  const { rows } = await sqlClient().execute({
    sql: `SELECT admittedAt FROM Ticket WHERE festivalId = ? AND admittedAt IS NOT NULL ORDER BY admittedAt`,
    args: [festivalId],
  });
  const bins = new Map<number, number>();
  for (const r of rows) {
    const t = dateFromSql(r.admittedAt).getTime();
    const bin = Math.floor(t / 600_000) * 600_000;
    bins.set(bin, (bins.get(bin) ?? 0) + 1);
  }
  if (bins.size === 0) return [];
  const keys = [...bins.keys()];
  const first = Math.min(...keys);
  const last = Math.max(...keys);
  const out: { at: string; count: number }[] = [];
  // Fill empty bins so the chart's time axis is honest (at most two days of bins).
  for (let t = first; t <= last && out.length < 288; t += 600_000)
    out.push({ at: new Date(t).toISOString(), count: bins.get(t) ?? 0 });
  return out;
}

/** Recent check-ins with the buyer's name (organisers only), searchable; conflicts first. */
export async function listCheckIns(festivalId: string, query: string, limit = 200) {
  const q = query.trim().slice(0, 60);
  const like = likeContains(q);
  const { rows } = await sqlClient().execute({
    sql: `SELECT c.id, c.result, c.direction, c.offline, c.scannedAt, c.recordedAt, c.ticketId, d.name AS device, o.code, o.name AS buyer, tt.name AS typeName
          FROM CheckIn c
          LEFT JOIN DoorDevice d ON d.id = c.deviceId
          LEFT JOIN Ticket t ON t.id = c.ticketId AND t.festivalId = c.festivalId
          LEFT JOIN "Order" o ON o.id = t.orderId
          LEFT JOIN TicketType tt ON tt.id = t.ticketTypeId
          WHERE c.festivalId = ? ${q ? "AND (o.code LIKE ? ESCAPE '\\' OR o.name LIKE ? ESCAPE '\\' OR d.name LIKE ? ESCAPE '\\')" : ""}
          ORDER BY (c.result = 'conflict') DESC, c.id DESC LIMIT ?`,
    args: q ? [festivalId, like.toUpperCase(), like, like, limit] : [festivalId, limit],
  });
  return rows.map((r) => ({
    id: Number(r.id),
    result: String(r.result),
    direction: String(r.direction),
    offline: Boolean(Number(r.offline)),
    scannedAt: dateFromSql(r.scannedAt).toISOString(),
    recordedAt: dateFromSql(r.recordedAt).toISOString(),
    ticketId: r.ticketId === null ? null : String(r.ticketId),
    device: r.device === null ? null : String(r.device),
    orderCode: r.code === null ? null : String(r.code),
    buyer: r.buyer === null ? null : String(r.buyer),
    typeName: r.typeName === null ? null : String(r.typeName),
  }));
}

// ---------------------------------------------------------------- paid from the admin

/** What an organiser marking a door order paid says they received (the amount they were shown). */
export const markPaidInput = z
  .object({
    amountMinor: cashAmountMinor(1),
    donation: donationField,
  })
  .strict();

/** What a door order still owes, for the organiser's "mark paid" (null: it cannot be marked paid). */
export async function doorOrderDue(db: SqlExecutor, orderId: string) {
  const { rows } = await db.execute({
    sql: `SELECT o.paymentMethod, o.status, f.status AS festivalStatus,
                 (SELECT COALESCE(SUM(t.amountDueMinor), 0) FROM Ticket t
                  WHERE t.orderId = o.id AND t.status = 'valid') AS ticketsMinor,
                 (SELECT COUNT(*) FROM TattooBooking b WHERE b.orderId = o.id AND b.dueMinor > 0) AS tattoosDue
          FROM "Order" o JOIN Festival f ON f.id = o.festivalId WHERE o.id = ?`,
    args: [orderId],
  });
  const r = rows[0];
  if (!r || r.paymentMethod !== "door" || r.status !== "confirmed") return null;
  if (r.festivalStatus === "cancelled" || Number(r.tattoosDue) > 0) return null;
  const ticketsMinor = Number(r.ticketsMinor);
  const donationMinor = sumMinor(await donationDue(db, orderId));
  if (ticketsMinor + donationMinor === 0) return null;
  return { ticketsMinor, donationMinor };
}

/**
 * An organiser took the cash for a pay-at-the-door order away from the door
 * (the buyer paid at the desk, or by hand before the festival) and marks it
 * paid from the admin: the same statements as a door device's payment — each
 * ticket's price and the pledged donation (or the buyer declined it), Dr
 * door_cash[organiser] / Cr income, under the same source keys — with an audit
 * row, and the order paid, in one transaction. `amountMinor` is what they
 * received: not what is due now (a door took part of it meanwhile) is a 409.
 * A card or free order, one already paid or cancelled, one of a cancelled
 * festival, or one with a tattoo donation due (collected at the tattoo corner)
 * is refused (409); nothing is written.
 */
export async function markDoorOrderPaid(
  actor: CurrentUser,
  orderId: string,
  input: { amountMinor: number; donation?: DonationChoice },
  now = new Date(),
) {
  return writeTransaction(async (tx) => {
    const { rows } = await tx.execute({
      sql: `SELECT o.id, o.code, o.festivalId, o.currency, o.status, o.paymentMethod, f.status AS festivalStatus
            FROM "Order" o JOIN Festival f ON f.id = o.festivalId WHERE o.id = ?`,
      args: [orderId],
    });
    const r = rows[0];
    if (!r) throw DomainError.notFound("No such order.");
    if (r.paymentMethod !== "door")
      throw DomainError.conflict("invalid_state", "Only a pay-at-the-door order is marked paid.");
    if (r.status === "paid")
      throw DomainError.conflict("invalid_state", "This order is already paid.");
    if (r.status !== "confirmed")
      throw DomainError.conflict("invalid_state", `This order is ${String(r.status)}.`);
    if (r.festivalStatus === "cancelled")
      throw DomainError.conflict("festival_cancelled", "This festival was cancelled.");
    const tattoos = await tx.execute({
      sql: "SELECT 1 FROM TattooBooking WHERE orderId = ? AND dueMinor > 0 LIMIT 1",
      args: [orderId],
    });
    if (tattoos.rows.length > 0)
      throw DomainError.conflict(
        "invalid_state",
        "A tattoo donation of this order is still due: it is collected at the tattoo corner.",
      );
    const order = { id: String(r.id), currency: String(r.currency) };
    const festivalId = String(r.festivalId);
    const taker: CashTaker = {
      festivalId,
      holder: { type: "user", id: actor.id },
      actorUserId: actor.id,
    };
    const due = await tx.execute({
      sql: `SELECT id, amountDueMinor FROM Ticket WHERE orderId = ? AND status = 'valid' AND amountDueMinor > 0 ORDER BY id`,
      args: [order.id],
    });
    const tickets = due.rows.map((t) => ({ id: String(t.id), minor: Number(t.amountDueMinor) }));
    const pledged = await donationDue(tx, order.id);
    const choice = input.donation ?? "collect";
    const takenMinor =
      sumMinor(tickets.map((t) => ({ amountMinor: t.minor }))) +
      (choice === "collect" ? sumMinor(pledged) : 0);
    if (takenMinor === 0 && tickets.length === 0 && pledged.length === 0)
      throw DomainError.conflict("invalid_state", "Nothing is due on this order.");
    if (input.amountMinor !== takenMinor) throw amountChanged(takenMinor);
    const statements: InStatement[] = [
      ...tickets.flatMap((t) => ticketCashStatements(taker, t.id, order, t.minor, now)),
      ...donationStatements(taker, order, pledged, choice, now),
      auditStatement(
        {
          actorUserId: actor.id,
          action: "order.mark_paid",
          targetType: "order",
          targetId: order.id,
          festivalId,
          details: {
            amountMinor: takenMinor,
            currency: order.currency,
            tickets: tickets.length,
            donation: pledged.length === 0 ? "none" : choice,
          },
        },
        now,
      ),
      markPaidWhenSettled(order.id, now),
    ];
    for (const stmt of statements) await tx.execute(stmt);
    const after = await tx.execute({
      sql: `SELECT status FROM "Order" WHERE id = ?`,
      args: [order.id],
    });
    const status = String(after.rows[0]?.status ?? "");
    // Declining the whole of a donation-only order cancels it; anything else must now be paid.
    if (status !== "paid" && status !== "cancelled")
      throw new Error(`order ${order.id} is ${status} after being marked paid`);
    return { status, amountMinor: takenMinor, currency: order.currency, code: String(r.code) };
  });
}
