// Cash: what the door took and where it is now (issue 9, cash custody).
//
// Cash taken at the door sits in `door_cash` held by the device that took it
// (door.server.ts posts it); cash taken at the tattoo corner sits in `door_cash`
// held by the person who took it (tattoo-corner.server.ts), handed over the same way. At the end of a night an organiser records that a
// device's cash was handed to a treasurer: the whole balance leaves the device
// (what the ledger expects), what was counted goes to `cash_in_transit` held by
// that treasurer, and the difference goes to `cash_difference` — recorded and
// shown, never hidden. The named treasurer then confirms receipt: the counted
// cash moves to `treasurer_cash` held by them. Each step is one transaction with
// its ledger entry and its audit row.
//
// Also here: what a cancelled door order does with the cash already taken — the
// organiser's explicit choice between returning it and keeping it as a donation.
import type { InStatement } from "@libsql/client";
import { z } from "zod";
import { auditStatement } from "~/utils/change.server";
import type { CurrentUser } from "~/utils/auth.server";
import { randomToken } from "~/utils/crypto.server";
import {
  dateFromSql,
  sqlClient,
  sqlDate,
  writeTransaction,
  type SqlExecutor,
} from "~/utils/db.server";
import { DomainError, FieldRulesError } from "~/utils/domain-error";
import { cashAmountMinor } from "~/utils/validation";
import {
  entryStatements,
  festivalBalances,
  orderAssets,
  orderNetIncome,
  summarize,
  type Posting,
} from "./ledger.server";
import { pickLanguage } from "./ticket-type.server";
import { artistOfCategory } from "./tattoo-money";

// ---------------------------------------------------------------- cancelling a door order

/** What happens to door cash already taken when its order is cancelled. */
export const CASH_CHOICES = ["return", "keep_as_donation"] as const;
export type CashChoice = (typeof CASH_CHOICES)[number];

/** The door cash an order's entries put in the devices' hands (minor units, its currency). */
export async function doorCashTaken(db: SqlExecutor, orderId: string): Promise<number> {
  return (await orderAssets(db, orderId))
    .filter((a) => a.account.code === "door_cash")
    .reduce((sum, a) => sum + a.amountMinor, 0);
}

/**
 * Before an order is cancelled: when door cash was taken for it, the organiser
 * must say what happens to it (`cash`), else a 422; for an order that took no
 * door cash a choice is refused too (422: there is nothing to choose about).
 * Returns the choice to pass on (undefined when no cash was taken).
 */
export async function requireCashChoice(
  db: SqlExecutor,
  orderId: string,
  choice: CashChoice | undefined,
): Promise<CashChoice | undefined> {
  const taken = await doorCashTaken(db, orderId);
  if (taken > 0 && !choice)
    throw new DomainError(
      422,
      "cash_choice_required",
      "Cash was already taken at the door for this order: say whether it is returned to the buyer or kept as a donation.",
      { fields: { cash: "v.cashChoice" } },
    );
  if (taken <= 0 && choice)
    throw new DomainError(
      422,
      "validation_failed",
      "No cash was taken at the door for this order: there is nothing to return or keep.",
      { fields: { cash: "v.cashChoiceNotApplicable" } },
    );
  return taken > 0 ? choice : undefined;
}

/**
 * The choice when an erasure of personal data cancels a door order that took
 * cash: the cash stays (software cannot hand it back, and nobody at the desk
 * decided to); an erasure is allowed before the festival only while no ticket
 * was used, so such cash is the order's pledged donation. Undefined when no
 * cash was taken.
 */
export async function erasureCashChoice(db: SqlExecutor, orderId: string) {
  return (await doorCashTaken(db, orderId)) > 0 ? ("keep_as_donation" as const) : undefined;
}

/**
 * Door cash kept as a donation when its order is cancelled: the cash stays with
 * the devices holding it, and what came in as anything but a donation (the
 * tickets) becomes donation income — unearmarked, unless it was earmarked. One
 * reclassification entry; null when the choice is not "keep_as_donation" (then
 * the cancellation's refund entry gives the cash back).
 */
export async function keptCashStatements(
  db: SqlExecutor,
  order: { id: string; festivalId: string },
  choice: CashChoice | undefined,
  actor: { id: string } | null,
  now: Date,
): Promise<InStatement[] | null> {
  if (choice !== "keep_as_donation") return null;
  const postings: Posting[] = [];
  for (const part of await orderNetIncome(db, order.id)) {
    if (part.category === "donation" || part.amountMinor <= 0) continue;
    const income = {
      festivalId: order.festivalId,
      currency: part.currency,
      code: "income" as const,
    };
    postings.push(
      {
        account: { ...income, category: part.category, prisonerId: part.prisonerId },
        amountMinor: part.amountMinor,
      },
      {
        account: { ...income, category: "donation", prisonerId: part.prisonerId },
        amountMinor: -part.amountMinor,
      },
    );
  }
  return entryStatements({
    id: `order:${order.id}:cash-kept`,
    festivalId: order.festivalId,
    orderId: order.id,
    kind: "reclassification",
    actorUserId: actor?.id ?? null,
    memo: "door order cancelled: cash taken kept as a donation",
    at: now,
    postings,
  });
}

// ---------------------------------------------------------------- custody

const idField = z
  .string({ error: "v.invalid" })
  .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: "v.invalid" });
const amountField = cashAmountMinor(0);

/**
 * "Handed €X to treasurer Y": from which device (or person), what the ledger
 * expects, what was counted.
 */
export const handoverInput = z
  .object({
    /** The device whose cash is handed over; null: door cash held by no device (older records). */
    deviceId: idField.nullable().optional(),
    /** Instead of a device: the person whose cash is handed over (taken at the tattoo corner). */
    userId: idField.optional(),
    treasurerId: idField,
    /** What the page showed the device holding: a different balance now is a 409 (more cash came in). */
    expectedMinor: amountField,
    countedMinor: amountField,
    currency: z
      .string({ error: "v.currency" })
      .regex(/^[A-Z]{3}$/, { error: "v.currency" })
      .optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    // One holder: a device (or none, older records), or a person.
    if (v.userId !== undefined && v.deviceId !== undefined && v.deviceId !== null)
      ctx.addIssue({ code: "custom", path: ["userId"], message: "v.oneCashHolder" });
    if (v.userId === undefined && v.deviceId === undefined)
      ctx.addIssue({ code: "custom", path: ["deviceId"], message: "v.invalid" });
  });
export type HandoverInput = z.output<typeof handoverInput>;

/** Whose door cash: a device's, a person's (the tattoo corner), or nobody's (older records). */
type CashHolderRef = { type: "device" | "user"; id: string } | null;

function holderOf(input: Pick<HandoverInput, "deviceId" | "userId">): CashHolderRef {
  if (input.userId) return { type: "user", id: input.userId };
  return input.deviceId ? { type: "device", id: input.deviceId } : null;
}

function doorCashAccount(festivalId: string, currency: string, holder: CashHolderRef) {
  return { festivalId, currency, code: "door_cash" as const, holder };
}

function userAccount(
  festivalId: string,
  currency: string,
  code: "cash_in_transit" | "treasurer_cash",
  userId: string,
) {
  return { festivalId, currency, code, holder: { type: "user" as const, id: userId } };
}

async function doorCashBalance(
  db: SqlExecutor,
  festivalId: string,
  currency: string,
  holder: CashHolderRef,
) {
  const { rows } = await db.execute({
    sql: `SELECT COALESCE(SUM(p.amountMinor), 0) AS n FROM LedgerAccount a JOIN LedgerPosting p ON p.accountId = a.id
          WHERE a.festivalId = ? AND a.currency = ? AND a.code = 'door_cash'
            AND ${holder ? "a.holderType = ? AND a.holderId = ?" : "a.holderType IS NULL"}`,
    args: holder ? [festivalId, currency, holder.type, holder.id] : [festivalId, currency],
  });
  return Number(rows[0]?.n ?? 0);
}

/** People who may receive cash: accounts with the global role treasurer (not disabled). */
export async function listTreasurers() {
  const { rows } = await sqlClient().execute(
    `SELECT id, name, email FROM User WHERE role = 'treasurer' AND disabledAt IS NULL ORDER BY COALESCE(name, email)`,
  );
  return rows.map((r) => ({
    id: String(r.id),
    name: r.name === null ? null : String(r.name),
    email: String(r.email),
  }));
}

/**
 * Record that a device's cash was handed to a treasurer (organisers). All of
 * the device's cash leaves it: Dr cash_in_transit[treasurer] counted, Cr
 * door_cash[device] expected, the difference (a shortfall is a debit) to
 * cash_difference. Refused (nothing written) for an unknown device or person,
 * someone who is not a treasurer, a device holding nothing, or a balance that
 * is no longer the one the organiser saw.
 */
export async function recordHandover(
  actor: CurrentUser,
  festival: { id: string; currency: string },
  input: HandoverInput,
  now = new Date(),
) {
  const currency = input.currency ?? festival.currency;
  const db = sqlClient();
  const holder = holderOf(input);
  const deviceId = holder?.type === "device" ? holder.id : null;
  const holderUserId = holder?.type === "user" ? holder.id : null;
  const [treasurer, device, person] = await Promise.all([
    db.execute({
      sql: "SELECT id, role, disabledAt FROM User WHERE id = ?",
      args: [input.treasurerId],
    }),
    deviceId
      ? db.execute({
          sql: "SELECT id FROM DoorDevice WHERE id = ? AND festivalId = ?",
          args: [deviceId, festival.id],
        })
      : null,
    holderUserId
      ? db.execute({ sql: "SELECT id FROM User WHERE id = ?", args: [holderUserId] })
      : null,
  ]);
  const t = treasurer.rows[0];
  const fields: Record<string, string> = {};
  if (!t || t.role !== "treasurer" || t.disabledAt !== null) fields.treasurerId = "v.notTreasurer";
  if (device && device.rows.length === 0) fields.deviceId = "v.unknownDevice";
  if (person && person.rows.length === 0) fields.userId = "v.unknownCashHolder";
  if (Object.keys(fields).length) throw new FieldRulesError(fields);
  const id = randomToken(12);
  await writeTransaction(async (tx) => {
    const balance = await doorCashBalance(tx, festival.id, currency, holder);
    if (balance <= 0)
      throw new DomainError(
        409,
        "no_cash",
        holderUserId
          ? "This person holds no cash to hand over."
          : "This device holds no cash to hand over.",
      );
    if (balance !== input.expectedMinor)
      throw new DomainError(
        409,
        "cash_changed",
        `The device holds ${balance} (minor units, ${currency}) now, not ${input.expectedMinor}: reload, count again and record that.`,
      );
    const from = doorCashAccount(festival.id, currency, holder);
    const statements: InStatement[] = [
      {
        sql: `INSERT INTO CashHandover (id, festivalId, currency, deviceId, holderUserId, expectedMinor, countedMinor, treasurerId, recordedById, recordedAt)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        args: [
          id,
          festival.id,
          currency,
          deviceId,
          holderUserId,
          balance,
          input.countedMinor,
          input.treasurerId,
          actor.id,
          sqlDate(now),
        ],
      },
      ...entryStatements({
        id: `cash:handover:${id}`,
        festivalId: festival.id,
        kind: "cash_handover",
        actorUserId: actor.id,
        memo: "door cash handed to a treasurer",
        at: now,
        postings: [
          { account: from, amountMinor: -balance },
          {
            account: userAccount(festival.id, currency, "cash_in_transit", input.treasurerId),
            amountMinor: input.countedMinor,
          },
          {
            account: { festivalId: festival.id, currency, code: "cash_difference" },
            amountMinor: balance - input.countedMinor,
          },
        ],
      }),
      auditStatement(
        {
          actorUserId: actor.id,
          action: "cash.handover.record",
          targetType: "cashHandover",
          targetId: id,
          festivalId: festival.id,
          details: {
            deviceId,
            holderUserId,
            treasurerId: input.treasurerId,
            currency,
            expectedMinor: balance,
            countedMinor: input.countedMinor,
            differenceMinor: input.countedMinor - balance,
          },
        },
        now,
      ),
    ];
    for (const stmt of statements) await tx.execute(stmt);
  });
  return (await listHandovers(festival.id, { id }))[0]!;
}

/** A handover's festival, to check the reader's permission before anything else. */
export async function findHandover(id: string) {
  if (id.length > 64) return null;
  const { rows } = await sqlClient().execute({
    sql: "SELECT id, festivalId FROM CashHandover WHERE id = ?",
    args: [id],
  });
  const r = rows[0];
  return r ? { id: String(r.id), festivalId: String(r.festivalId) } : null;
}

/**
 * The named treasurer confirms they received the counted cash: Dr
 * treasurer_cash[treasurer] / Cr cash_in_transit[treasurer]. Anyone else gets
 * a 403 (an admin too: receipt is the treasurer's own word). Confirming again
 * changes nothing and answers the handover as it is.
 */
export async function confirmHandover(actor: CurrentUser, id: string, now = new Date()) {
  const found = await findHandover(id);
  if (!found) throw DomainError.notFound("No such handover.");
  await writeTransaction(async (tx) => {
    const { rows } = await tx.execute({
      sql: "SELECT festivalId, currency, countedMinor, treasurerId, confirmedAt FROM CashHandover WHERE id = ?",
      args: [id],
    });
    const h = rows[0]!;
    if (String(h.treasurerId) !== actor.id || actor.role !== "treasurer")
      throw DomainError.forbidden(
        "Only the treasurer named in this handover can confirm receiving it.",
      );
    if (h.confirmedAt !== null) return;
    const festivalId = String(h.festivalId);
    const currency = String(h.currency);
    const counted = Number(h.countedMinor);
    const statements: InStatement[] = [
      {
        sql: "UPDATE CashHandover SET confirmedById = ?, confirmedAt = ? WHERE id = ? AND confirmedAt IS NULL",
        args: [actor.id, sqlDate(now), id],
      },
      ...entryStatements({
        id: `cash:handover:${id}:received`,
        festivalId,
        kind: "cash_received",
        actorUserId: actor.id,
        memo: "treasurer confirmed receiving door cash",
        at: now,
        postings: [
          {
            account: userAccount(festivalId, currency, "treasurer_cash", actor.id),
            amountMinor: counted,
          },
          {
            account: userAccount(festivalId, currency, "cash_in_transit", actor.id),
            amountMinor: -counted,
          },
        ],
      }),
      auditStatement(
        {
          actorUserId: actor.id,
          action: "cash.handover.confirm",
          targetType: "cashHandover",
          targetId: id,
          festivalId,
          details: { currency, countedMinor: counted },
        },
        now,
      ),
    ];
    for (const stmt of statements) await tx.execute(stmt);
  });
  return (await listHandovers(found.festivalId, { id }))[0]!;
}

function person(id: unknown, name: unknown, email: unknown) {
  if (id === null || id === undefined) return null;
  return {
    id: String(id),
    name: name === null ? null : String(name),
    email: email === null ? null : String(email),
  };
}

/** A festival's handovers, newest first (or one of them). */
export async function listHandovers(festivalId: string, only: { id?: string } = {}) {
  const { rows } = await sqlClient().execute({
    sql: `SELECT h.*, d.name AS deviceName,
                 t.name AS tName, t.email AS tEmail, r.name AS rName, r.email AS rEmail,
                 c.name AS cName, c.email AS cEmail, hu.name AS huName, hu.email AS huEmail
          FROM CashHandover h LEFT JOIN DoorDevice d ON d.id = h.deviceId
          LEFT JOIN User hu ON hu.id = h.holderUserId
          LEFT JOIN User t ON t.id = h.treasurerId LEFT JOIN User r ON r.id = h.recordedById
          LEFT JOIN User c ON c.id = h.confirmedById
          WHERE h.festivalId = ? ${only.id ? "AND h.id = ?" : ""}
          ORDER BY h.recordedAt DESC, h.rowid DESC`,
    args: only.id ? [festivalId, only.id] : [festivalId],
  });
  return rows.map((r) => ({
    id: String(r.id),
    currency: String(r.currency),
    device:
      r.deviceId === null
        ? null
        : { id: String(r.deviceId), name: r.deviceName === null ? null : String(r.deviceName) },
    /** The person whose cash was handed over (taken at the tattoo corner), instead of a device. */
    holder: person(r.holderUserId, r.huName, r.huEmail),
    expectedMinor: Number(r.expectedMinor),
    countedMinor: Number(r.countedMinor),
    /** Counted minus expected: negative is a shortfall. */
    differenceMinor: Number(r.countedMinor) - Number(r.expectedMinor),
    treasurer: person(r.treasurerId, r.tName, r.tEmail)!,
    recordedBy: person(r.recordedById, r.rName, r.rEmail),
    recordedAt: dateFromSql(r.recordedAt).toISOString(),
    status: r.confirmedAt === null ? ("in_transit" as const) : ("confirmed" as const),
    confirmedBy: person(r.confirmedById, r.cName, r.cEmail),
    confirmedAt: r.confirmedAt === null ? null : dateFromSql(r.confirmedAt).toISOString(),
  }));
}

export type Handover = Awaited<ReturnType<typeof listHandovers>>[number];

/**
 * Who holds the festival's cash now, from the ledger: each device's door cash
 * (with who set the device up), each person's (cash taken at the tattoo corner:
 * door_cash with `user` set), cash in transit and confirmed per treasurer.
 */
export async function cashHolders(festivalId: string) {
  const { rows } = await sqlClient().execute({
    sql: `SELECT a.code, a.currency, a.holderType, a.holderId,
                 COALESCE((SELECT SUM(p.amountMinor) FROM LedgerPosting p WHERE p.accountId = a.id), 0) AS balance,
                 d.name AS deviceName, d.revokedAt, du.id AS setUpById, du.name AS setUpByName, du.email AS setUpByEmail,
                 u.name AS userName, u.email AS userEmail
          FROM LedgerAccount a
          LEFT JOIN DoorDevice d ON a.holderType = 'device' AND d.id = a.holderId
          LEFT JOIN User du ON du.id = d.createdById
          LEFT JOIN User u ON a.holderType = 'user' AND u.id = a.holderId
          WHERE a.festivalId = ? AND a.code IN ('door_cash', 'cash_in_transit', 'treasurer_cash')
          ORDER BY a.currency, a.code, COALESCE(d.name, u.name, u.email, ''), a.id`,
    args: [festivalId],
  });
  return rows.map((r) => ({
    code: String(r.code) as "door_cash" | "cash_in_transit" | "treasurer_cash",
    currency: String(r.currency),
    balanceMinor: Number(r.balance),
    device:
      r.holderType === "device"
        ? {
            id: String(r.holderId),
            name: r.deviceName === null ? null : String(r.deviceName),
            revoked: r.revokedAt !== null,
            setUpBy: person(r.setUpById, r.setUpByName, r.setUpByEmail),
          }
        : null,
    user: r.holderType === "user" ? person(r.holderId, r.userName, r.userEmail) : null,
  }));
}

export type CashHolder = Awaited<ReturnType<typeof cashHolders>>[number];

// ---------------------------------------------------------------- the money page

/** One income line: what came in under a category (and earmark), what went back, what stays. */
export type IncomeLine = {
  category: string;
  prisonerId: string | null;
  prisonerName: string | null;
  /** For a tattoo category (`tattoo.<artistId>`): the artist's name. */
  artistName: string | null;
  inMinor: number;
  refundedMinor: number;
  chargedBackMinor: number;
  netMinor: number;
};

/**
 * The festival's money per currency, from the ledger (summarize) and the cash
 * custody records: income by category and earmark, fees, refunds, chargebacks,
 * net, the cash at the door per device, in transit and confirmed per treasurer,
 * differences, unallocated; and the handovers.
 */
export async function festivalMoney(festivalId: string, locale: string) {
  const [balances, holders, handovers] = await Promise.all([
    festivalBalances(festivalId),
    cashHolders(festivalId),
    listHandovers(festivalId),
  ]);
  const prisonerIds = [...new Set(balances.map((b) => b.prisonerId).filter(Boolean))] as string[];
  const names = new Map<string, string>();
  if (prisonerIds.length) {
    const { rows } = await sqlClient().execute({
      sql: `SELECT id, name FROM Prisoner WHERE id IN (${prisonerIds.map(() => "?").join(", ")})`,
      args: prisonerIds,
    });
    for (const r of rows) names.set(String(r.id), pickLanguage(String(r.name), locale));
  }
  const artistIds = [
    ...new Set(balances.map((b) => artistOfCategory(b.category)).filter(Boolean)),
  ] as string[];
  const artists = new Map<string, string>();
  if (artistIds.length) {
    const { rows } = await sqlClient().execute({
      sql: `SELECT id, name FROM TattooArtist WHERE id IN (${artistIds.map(() => "?").join(", ")})`,
      args: artistIds,
    });
    for (const r of rows) artists.set(String(r.id), String(r.name));
  }
  const lines = new Map<string, IncomeLine & { currency: string }>();
  for (const b of balances) {
    if (b.code !== "income" && b.code !== "refunds" && b.code !== "chargebacks") continue;
    const key = `${b.currency}|${b.category ?? ""}|${b.prisonerId ?? ""}`;
    const line =
      lines.get(key) ??
      lines
        .set(key, {
          currency: b.currency,
          category: b.category ?? "other",
          prisonerId: b.prisonerId,
          prisonerName: b.prisonerId ? (names.get(b.prisonerId) ?? null) : null,
          artistName: artists.get(artistOfCategory(b.category) ?? "") ?? null,
          inMinor: 0,
          refundedMinor: 0,
          chargedBackMinor: 0,
          netMinor: 0,
        })
        .get(key)!;
    if (b.code === "income") line.inMinor -= b.balanceMinor;
    else if (b.code === "refunds") line.refundedMinor += b.balanceMinor;
    else line.chargedBackMinor += b.balanceMinor;
    line.netMinor -= b.balanceMinor;
  }
  const summary = summarize(balances);
  const currencies = [
    ...new Set([...Object.keys(summary), ...handovers.map((h) => h.currency)]),
  ].sort();
  return {
    currencies: currencies.map((currency) => ({
      currency,
      summary: summary[currency] ?? null,
      income: [...lines.values()]
        .filter((l) => l.currency === currency)
        .sort(
          (a, b) =>
            a.category.localeCompare(b.category) ||
            (a.prisonerName ?? "").localeCompare(b.prisonerName ?? ""),
        ),
      doorCash: holders.filter((h) => h.currency === currency && h.code === "door_cash"),
      treasurers: treasurerLines(holders.filter((h) => h.currency === currency)),
      handovers: handovers.filter((h) => h.currency === currency),
    })),
  };
}

/** Per treasurer: cash in transit to them and cash they confirmed. */
function treasurerLines(holders: CashHolder[]) {
  const out = new Map<
    string,
    { user: NonNullable<CashHolder["user"]>; inTransitMinor: number; confirmedMinor: number }
  >();
  for (const h of holders) {
    // A person's door cash (the tattoo corner) is listed with the door cash, not here.
    if (!h.user || h.code === "door_cash") continue;
    const line = out.get(h.user.id) ?? { user: h.user, inTransitMinor: 0, confirmedMinor: 0 };
    if (h.code === "cash_in_transit") line.inTransitMinor += h.balanceMinor;
    if (h.code === "treasurer_cash") line.confirmedMinor += h.balanceMinor;
    out.set(h.user.id, line);
  }
  return [...out.values()];
}
