// Prisoners' funds and the general fund (decision 0033). A fund's money lives in
// the ledger only: one `fund` account per festival and currency (prisonerId set:
// that prisoner's fund; null: the general fund), credit-normal, so its balance is
// −SUM(amountMinor). Money reaches a fund when earmarked money is paid (the
// mirror postings of `entryStatements`) or by allocation (allocation.server.ts).
//
// Spending from a fund (payouts, transfers, exchanges) is collective-level: it
// draws from the fund's accounts across festivals, the OLDEST festival first
// (startsAt, then id), one entry per festival: `<kind>:<subjectId>:<festivalId>`.
// Money that leaves the collective (a payout, an exchange's from-side) also
// leaves the festival's assets, in the order ASSET_ORDER; a festival's share is
// at most min(its fund balance, its positive assets). The ledger's trigger
// `LedgerEntry_fund_not_overdrawn` is the last guard: no fund below zero.
import type { InStatement } from "@libsql/client";
import type { CurrentUser } from "~/utils/auth.server";
import { auditStatement } from "~/utils/change.server";
import { randomToken } from "~/utils/crypto.server";
import {
  dateFromSql,
  sqlClient,
  sqlDate,
  writeTransaction,
  type SqlExecutor,
} from "~/utils/db.server";
import { DomainError, FieldRulesError } from "~/utils/domain-error";
import { isCurrency, minorUnitDigits } from "~/utils/money";
import { requirePermission } from "~/utils/permissions.server";
import { z } from "zod";
import { currency as currencyField, moneyMessage, text } from "~/utils/validation";
import { recordApproval } from "./approvals.server";
import {
  entryStatements,
  type Account,
  type AccountCode,
  type EntryKind,
  type Posting,
} from "./ledger.server";

/** The asset accounts money is paid out of, in this order (never money held in a dispute). */
export const ASSET_ORDER = [
  "stripe_balance",
  "treasurer_cash",
  "cash_in_transit",
  "door_cash",
] as const satisfies readonly AccountCode[];

export type FundBalance = {
  currency: string;
  /** What the fund holds in the ledger (Σ over festivals). */
  balanceMinor: number;
  /** Approved payouts not paid yet: promised, still in the fund. */
  reservedMinor: number;
  /** balance − reserved (never below zero in what is shown). */
  availableMinor: number;
};

/** More asked of a fund (or a festival's assets) than it has: 409 with what is available. */
export class InsufficientFundsError extends DomainError {
  constructor(
    readonly availableMinor: number,
    readonly currency: string,
    what = "The fund",
  ) {
    super(
      409,
      "insufficient_funds",
      `${what} has only ${availableMinor} (minor units of ${currency}) available.`,
      { fields: { amountMinor: moneyMessage("v.insufficientFunds", availableMinor, currency) } },
    );
  }
}

/** The largest amount a transfer or exchange takes (10^13 minor units: far above any fund). */
export const MAX_AMOUNT_MINOR = 10_000_000_000_000;

/** A rate as typed: digits, an optional point and up to 12 decimals; positive. */
export const RATE_PATTERN = /^(\d{1,12})(?:\.(\d{1,12}))?$/;

// ---------------------------------------------------------------- balances

/** A fund's balance per currency, across festivals (prisonerId null: the general fund). */
export async function fundLedgerBalances(
  db: SqlExecutor,
  prisonerId: string | null,
): Promise<Map<string, number>> {
  const { rows } = await db.execute({
    sql: `SELECT a.currency, -COALESCE(SUM(p.amountMinor), 0) AS held
          FROM LedgerAccount a LEFT JOIN LedgerPosting p ON p.accountId = a.id
          WHERE a.code = 'fund' AND a.prisonerId IS ?
          GROUP BY a.currency ORDER BY a.currency`,
    args: [prisonerId],
  });
  return new Map(rows.map((r) => [String(r.currency), Number(r.held)]));
}

/** What approved but unpaid payouts of a prisoner's fund hold back, per currency. */
export async function reservedByCurrency(
  db: SqlExecutor,
  prisonerId: string | null,
): Promise<Map<string, number>> {
  if (prisonerId === null) return new Map(); // payouts are always from a prisoner's fund
  const { rows } = await db.execute({
    sql: `SELECT currency, COALESCE(SUM(amountMinor), 0) AS reserved FROM Payout
          WHERE prisonerId = ? AND status = 'approved' GROUP BY currency`,
    args: [prisonerId],
  });
  return new Map(rows.map((r) => [String(r.currency), Number(r.reserved)]));
}

/** What approved but unpaid payouts of a prisoner's fund hold back in one currency. */
export async function reservedBy(
  db: SqlExecutor,
  prisonerId: string | null,
  currency: string,
): Promise<number> {
  return (await reservedByCurrency(db, prisonerId)).get(currency) ?? 0;
}

/** A fund's balance, reserved and available money per currency (prisonerId null: the general fund). */
export async function fundBalances(
  db: SqlExecutor,
  prisonerId: string | null,
): Promise<FundBalance[]> {
  const [held, reserved] = await Promise.all([
    fundLedgerBalances(db, prisonerId),
    reservedByCurrency(db, prisonerId),
  ]);
  const currencies = [...new Set([...held.keys(), ...reserved.keys()])].sort();
  return currencies
    .map((currency) => {
      const balanceMinor = held.get(currency) ?? 0;
      const reservedMinor = reserved.get(currency) ?? 0;
      return {
        currency,
        balanceMinor,
        reservedMinor,
        availableMinor: Math.max(0, balanceMinor - reservedMinor),
      };
    })
    .filter((b) => b.balanceMinor !== 0 || b.reservedMinor !== 0);
}

/** A fund's balance per festival (oldest festival first), in every currency it holds. */
export async function fundByFestival(
  db: SqlExecutor,
  prisonerId: string | null,
): Promise<{ festivalId: string; currency: string; balanceMinor: number }[]> {
  const { rows } = await db.execute({
    sql: `SELECT a.festivalId, a.currency, -COALESCE(SUM(p.amountMinor), 0) AS held
          FROM LedgerAccount a JOIN Festival f ON f.id = a.festivalId
          LEFT JOIN LedgerPosting p ON p.accountId = a.id
          WHERE a.code = 'fund' AND a.prisonerId IS ?
          GROUP BY a.id HAVING held <> 0 ORDER BY f.startsAt, f.id, a.currency`,
    args: [prisonerId],
  });
  return rows.map((r) => ({
    festivalId: String(r.festivalId),
    currency: String(r.currency),
    balanceMinor: Number(r.held),
  }));
}

// ---------------------------------------------------------------- drawing

/** The account of a fund at a festival. */
export function fundAccount(
  festivalId: string,
  currency: string,
  prisonerId: string | null,
): Account {
  return { festivalId, currency, code: "fund", prisonerId };
}

/** A festival's asset accounts that hold money in a currency, in ASSET_ORDER (holders by id). */
export async function festivalAssets(
  db: SqlExecutor,
  festivalId: string,
  currency: string,
): Promise<{ account: Account; amountMinor: number }[]> {
  const { rows } = await db.execute({
    sql: `SELECT a.code, a.holderType, a.holderId, COALESCE(SUM(p.amountMinor), 0) AS held
          FROM LedgerAccount a LEFT JOIN LedgerPosting p ON p.accountId = a.id
          WHERE a.festivalId = ? AND a.currency = ? AND a.code IN (${ASSET_ORDER.map(() => "?").join(", ")})
          GROUP BY a.id HAVING held > 0`,
    args: [festivalId, currency, ...ASSET_ORDER],
  });
  const rank = (code: string) => ASSET_ORDER.indexOf(code as (typeof ASSET_ORDER)[number]);
  return rows
    .map((r) => ({
      account: {
        festivalId,
        currency,
        code: String(r.code) as AccountCode,
        holder:
          r.holderType === null
            ? null
            : { type: String(r.holderType) as "device" | "user", id: String(r.holderId) },
      } satisfies Account,
      amountMinor: Number(r.held),
    }))
    .sort(
      (a, b) =>
        rank(a.account.code) - rank(b.account.code) ||
        (a.account.holder?.id ?? "").localeCompare(b.account.holder?.id ?? ""),
    );
}

function takeFromAssets(
  assets: { account: Account; amountMinor: number }[],
  amountMinor: number,
): Posting[] {
  const postings: Posting[] = [];
  let left = amountMinor;
  for (const a of assets) {
    if (left <= 0) break;
    const take = Math.min(a.amountMinor, left);
    postings.push({ account: a.account, amountMinor: -take });
    left -= take;
  }
  return postings;
}

/**
 * The credits that take `amountMinor` out of a festival's assets in ASSET_ORDER
 * (for a cost paid from the festival's money: the caller adds the debit).
 * 409 insufficient_funds when its assets hold less.
 */
export async function assetDrawPostings(
  db: SqlExecutor,
  festivalId: string,
  currency: string,
  amountMinor: number,
): Promise<Posting[]> {
  const assets = await festivalAssets(db, festivalId, currency);
  const held = assets.reduce((s, a) => s + a.amountMinor, 0);
  if (held < amountMinor) throw new InsufficientFundsError(held, currency, "The festival");
  return takeFromAssets(assets, amountMinor);
}

export type DrawSlice = {
  festivalId: string;
  amountMinor: number;
  /** The festival's asset credits for this slice (empty when the money stays in the collective). */
  assets: Posting[];
};

/**
 * How `amountMinor` is drawn from a fund: festival by festival, oldest first,
 * each giving min(its fund balance, its positive assets when `withAssets`).
 * 409 insufficient_funds (with what could be drawn) when it is not enough.
 */
export async function planFundDraw(
  db: SqlExecutor,
  prisonerId: string | null,
  currency: string,
  amountMinor: number,
  withAssets: boolean,
): Promise<DrawSlice[]> {
  if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0)
    throw new DomainError(422, "validation_failed", "The amount must be a positive integer.", {
      fields: { amountMinor: "v.invalid" },
    });
  const festivals = (await fundByFestival(db, prisonerId)).filter(
    (f) => f.currency === currency && f.balanceMinor > 0,
  );
  const slices: DrawSlice[] = [];
  let left = amountMinor;
  let drawable = 0;
  for (const f of festivals) {
    let share = f.balanceMinor;
    let assets: { account: Account; amountMinor: number }[] = [];
    if (withAssets) {
      assets = await festivalAssets(db, f.festivalId, currency);
      share = Math.min(
        share,
        assets.reduce((s, a) => s + a.amountMinor, 0),
      );
    }
    if (share <= 0) continue;
    drawable += share;
    if (left <= 0) continue;
    const take = Math.min(share, left);
    slices.push({
      festivalId: f.festivalId,
      amountMinor: take,
      assets: withAssets ? takeFromAssets(assets, take) : [],
    });
    left -= take;
  }
  if (left > 0) throw new InsufficientFundsError(drawable, currency);
  return slices;
}

export type FundDraw = {
  prisonerId: string | null;
  currency: string;
  amountMinor: number;
  kind: Extract<EntryKind, "payout">;
  /** The payout's id: entries are `<kind>:<subjectId>:<festivalId>`. */
  subjectId: string;
  /** The payout's category (public). */
  purpose: string | null;
  actorUserId: string | null;
  at: Date;
  /** Non-personal note: never a recipient's name or details. */
  memo?: string | null;
};

/**
 * The ledger statements that pay `amountMinor` out of a fund: one entry per
 * festival, oldest first, each debiting the fund and crediting the festival's
 * assets (ASSET_ORDER). Run them in the write transaction that marks the
 * payout paid. 409 insufficient_funds when the fund (or its festivals' assets)
 * holds less.
 */
export async function fundDrawStatements(db: SqlExecutor, draw: FundDraw): Promise<InStatement[]> {
  const slices = await planFundDraw(db, draw.prisonerId, draw.currency, draw.amountMinor, true);
  return slices.flatMap((s) =>
    entryStatements({
      id: `${draw.kind}:${draw.subjectId}:${s.festivalId}`,
      festivalId: s.festivalId,
      kind: draw.kind,
      actorUserId: draw.actorUserId,
      memo: draw.memo ?? null,
      purpose: draw.purpose,
      at: draw.at,
      postings: [
        {
          account: fundAccount(s.festivalId, draw.currency, draw.prisonerId),
          amountMinor: s.amountMinor,
        },
        ...s.assets,
      ],
    }),
  );
}

// ---------------------------------------------------------------- fund views

/** `GET /api/v1/prisoners/:id/fund` and `/api/v1/funds/general`: balances and where they are. */
export async function fundView(prisonerId: string | null, db: SqlExecutor = sqlClient()) {
  if (prisonerId !== null && !(await prisonerExists(db, prisonerId))) throw DomainError.notFound();
  const [balances, byFestival] = await Promise.all([
    fundBalances(db, prisonerId),
    fundByFestival(db, prisonerId),
  ]);
  return { prisonerId, balances, byFestival };
}

async function prisonerExists(db: SqlExecutor, prisonerId: string) {
  if (!prisonerId || prisonerId.length > 64) return false;
  const { rows } = await db.execute({
    sql: `SELECT 1 FROM Prisoner WHERE id = ?`,
    args: [prisonerId],
  });
  return rows.length > 0;
}

function checkPositiveAmount(amountMinor: number, fields: Record<string, string>) {
  if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0 || amountMinor > MAX_AMOUNT_MINOR)
    fields.amountMinor = "v.invalid";
}

function checkCurrency(field: string, value: string, fields: Record<string, string>) {
  if (typeof value !== "string" || !isCurrency(value)) fields[field] = "v.currency";
}

// ---------------------------------------------------------------- input (API)

const fundIdField = z
  .string({ error: "v.invalid" })
  .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: "v.invalid" })
  .nullable();
const positiveAmount = z
  .number({ error: "v.amount" })
  .int({ error: "v.amount" })
  .min(1, { error: "v.amount" })
  .max(MAX_AMOUNT_MINOR, { error: "v.amount" });

/** `POST /api/v1/transfers`: null (or a missing id) is the general fund. */
export const transferInput = z
  .object({
    fromPrisonerId: fundIdField.optional().default(null),
    toPrisonerId: fundIdField.optional().default(null),
    currency: currencyField,
    amountMinor: positiveAmount,
    reason: text({ max: 500 }),
  })
  .strict();

/** `POST /api/v1/exchanges`. */
export const exchangeInput = z
  .object({
    prisonerId: fundIdField.optional().default(null),
    fromCurrency: currencyField,
    toCurrency: currencyField,
    amountMinor: positiveAmount,
    rate: z
      .string({ error: "v.rate" })
      .max(25, { error: "v.rate" })
      .regex(RATE_PATTERN, { error: "v.rate" }),
    ratedOn: z.string({ error: "v.date" }).regex(/^\d{4}-\d{2}-\d{2}$/, { error: "v.date" }),
  })
  .strict();

// ---------------------------------------------------------------- transfers

export type TransferInput = {
  fromPrisonerId: string | null;
  toPrisonerId: string | null;
  currency: string;
  amountMinor: number;
  /** Why (a prisoner was released, a fund closed): for treasurers only, never in the ledger or the audit log. */
  reason: string;
};

export type TransferStatus = "proposed" | "done" | "rejected" | "cancelled";

export type Transfer = {
  id: string;
  fromPrisonerId: string | null;
  toPrisonerId: string | null;
  currency: string;
  amountMinor: number;
  reason: string;
  status: TransferStatus;
  proposedById: string;
  decidedById: string | null;
  doneAt: string | null;
  createdAt: string;
};

function transferOf(r: Record<string, unknown>): Transfer {
  const text = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    id: String(r.id),
    fromPrisonerId: text(r.fromPrisonerId),
    toPrisonerId: text(r.toPrisonerId),
    currency: String(r.currency),
    amountMinor: Number(r.amountMinor),
    reason: String(r.reason),
    status: String(r.status) as TransferStatus,
    proposedById: String(r.proposedById),
    decidedById: text(r.decidedById),
    doneAt: r.doneAt === null ? null : dateFromSql(r.doneAt).toISOString(),
    createdAt: dateFromSql(r.createdAt).toISOString(),
  };
}

const TRANSFER_COLUMNS = `id, fromPrisonerId, toPrisonerId, currency, amountMinor, reason, status, proposedById, decidedById, doneAt, createdAt`;

export async function getTransfer(db: SqlExecutor, id: string): Promise<Transfer> {
  if (!id || id.length > 64) throw DomainError.notFound();
  const { rows } = await db.execute({
    sql: `SELECT ${TRANSFER_COLUMNS} FROM FundTransfer WHERE id = ?`,
    args: [id],
  });
  if (!rows[0]) throw DomainError.notFound();
  return transferOf(rows[0] as Record<string, unknown>);
}

/** Transfers, newest first (optionally of one status). */
export async function listTransfers(
  options: { status?: TransferStatus; limit?: number } = {},
  db: SqlExecutor = sqlClient(),
): Promise<Transfer[]> {
  const { rows } = await db.execute({
    sql: `SELECT ${TRANSFER_COLUMNS} FROM FundTransfer WHERE (? IS NULL OR status = ?)
          ORDER BY createdAt DESC, id LIMIT ?`,
    args: [options.status ?? null, options.status ?? null, options.limit ?? 200],
  });
  return rows.map((r) => transferOf(r as Record<string, unknown>));
}

/** What proposed transfers out of a fund hold back at proposal time, in one currency. */
async function proposedTransfersOut(
  db: SqlExecutor,
  prisonerId: string | null,
  currency: string,
  exceptId: string | null,
) {
  const { rows } = await db.execute({
    sql: `SELECT COALESCE(SUM(amountMinor), 0) AS held FROM FundTransfer
          WHERE fromPrisonerId IS ? AND currency = ? AND status = 'proposed' AND id IS NOT ?`,
    args: [prisonerId, currency, exceptId],
  });
  return Number(rows[0]?.held ?? 0);
}

/** A fund's available money in one currency: balance − approved unpaid payouts. */
export async function availableIn(db: SqlExecutor, prisonerId: string | null, currency: string) {
  const [held, reserved] = await Promise.all([
    fundLedgerBalances(db, prisonerId),
    reservedBy(db, prisonerId, currency),
  ]);
  return (held.get(currency) ?? 0) - reserved;
}

const audited = (
  actor: CurrentUser,
  action: string,
  targetType: string,
  targetId: string,
  details: Record<string, string | number | boolean | null>,
  at: Date,
) => auditStatement({ actorUserId: actor.id, action, targetType, targetId, details }, at);

/**
 * Propose moving money from one fund to another (null: the general fund). It
 * needs PAYOUT_APPROVALS other treasurers' approval before it moves. 422 for
 * bad input, 409 insufficient_funds when the fund's available money (less
 * other proposed transfers out of it) is short.
 */
export async function proposeTransfer(
  actor: CurrentUser,
  input: TransferInput,
  now = new Date(),
): Promise<Transfer> {
  requirePermission(actor, "treasury");
  const fields: Record<string, string> = {};
  checkCurrency("currency", input.currency, fields);
  checkPositiveAmount(input.amountMinor, fields);
  if (input.fromPrisonerId === input.toPrisonerId) fields.toPrisonerId = "v.sameFund";
  for (const key of ["fromPrisonerId", "toPrisonerId"] as const) {
    const id = input[key];
    if (id !== null && (typeof id !== "string" || !(await prisonerExists(sqlClient(), id))))
      fields[key] = "v.noSuchPrisoner";
  }
  if (typeof input.reason !== "string" || !input.reason.trim()) fields.reason = "v.required";
  if (Object.keys(fields).length) throw new FieldRulesError(fields);
  const id = randomToken(12);
  return writeTransaction(async (tx) => {
    const available =
      (await availableIn(tx, input.fromPrisonerId, input.currency)) -
      (await proposedTransfersOut(tx, input.fromPrisonerId, input.currency, null));
    if (available < input.amountMinor)
      throw new InsufficientFundsError(Math.max(0, available), input.currency);
    await tx.batch([
      {
        sql: `INSERT INTO FundTransfer (id, fromPrisonerId, toPrisonerId, amountMinor, currency, reason, status, proposedById, createdAt, updatedAt)
              VALUES (?, ?, ?, ?, ?, ?, 'proposed', ?, ?, ?)`,
        args: [
          id,
          input.fromPrisonerId,
          input.toPrisonerId,
          input.amountMinor,
          input.currency,
          input.reason.trim(),
          actor.id,
          sqlDate(now),
          sqlDate(now),
        ],
      },
      audited(
        actor,
        "transfer.propose",
        "fundTransfer",
        id,
        {
          from: input.fromPrisonerId ?? "general",
          to: input.toPrisonerId ?? "general",
          currency: input.currency,
          amountMinor: input.amountMinor,
        },
        now,
      ),
    ]);
    return getTransfer(tx, id);
  });
}

/** The ledger statements that move a transfer's money, festival by festival (oldest first), fund to fund. */
async function transferStatements(
  db: SqlExecutor,
  transfer: Transfer,
  actor: CurrentUser,
  at: Date,
): Promise<InStatement[]> {
  const slices = await planFundDraw(
    db,
    transfer.fromPrisonerId,
    transfer.currency,
    transfer.amountMinor,
    false,
  );
  return slices.flatMap((s) =>
    entryStatements({
      id: `fund_transfer:${transfer.id}:${s.festivalId}`,
      festivalId: s.festivalId,
      kind: "fund_transfer",
      actorUserId: actor.id,
      memo: `transfer ${transfer.id}`,
      at,
      postings: [
        {
          account: fundAccount(s.festivalId, transfer.currency, transfer.fromPrisonerId),
          amountMinor: s.amountMinor,
        },
        {
          account: fundAccount(s.festivalId, transfer.currency, transfer.toPrisonerId),
          amountMinor: -s.amountMinor,
        },
      ],
    }),
  );
}

function refuseUnlessProposed(transfer: Transfer) {
  if (transfer.status !== "proposed")
    throw DomainError.conflict(
      "transfer_not_proposed",
      `This transfer is ${transfer.status}: only a proposed transfer can be approved, rejected or cancelled.`,
    );
}

/**
 * Approve a transfer (never the proposer's own: 403 self_approval). With the
 * approvals it needs, its money moves in the same transaction (status done);
 * 409 insufficient_funds if the fund no longer has it available.
 */
export async function approveTransfer(actor: CurrentUser, id: string, now = new Date()) {
  requirePermission(actor, "treasury");
  return writeTransaction(async (tx) => {
    const transfer = await getTransfer(tx, id);
    refuseUnlessProposed(transfer);
    const approval = await recordApproval(
      tx,
      { type: "transfer", id, proposedById: transfer.proposedById },
      actor.id,
      now,
    );
    const statements: InStatement[] = [];
    if (approval.added)
      statements.push(
        audited(actor, "transfer.approve", "fundTransfer", id, { count: approval.count }, now),
      );
    if (approval.complete) {
      const available = await availableIn(tx, transfer.fromPrisonerId, transfer.currency);
      if (available < transfer.amountMinor)
        throw new InsufficientFundsError(Math.max(0, available), transfer.currency);
      statements.push(
        ...(await transferStatements(tx, transfer, actor, now)),
        {
          sql: `UPDATE FundTransfer SET status = 'done', decidedById = ?, doneAt = ?, updatedAt = ? WHERE id = ? AND status = 'proposed'`,
          args: [actor.id, sqlDate(now), sqlDate(now), id],
        },
        audited(
          actor,
          "transfer.done",
          "fundTransfer",
          id,
          { currency: transfer.currency, amountMinor: transfer.amountMinor },
          now,
        ),
      );
    }
    if (statements.length) await tx.batch(statements);
    return {
      ...(await getTransfer(tx, id)),
      approvals: approval.count,
      needed: approval.needed,
    };
  });
}

/** Reject (any treasurer) or cancel (the proposer, or an admin) a proposed transfer. */
export async function closeTransfer(
  actor: CurrentUser,
  id: string,
  outcome: "rejected" | "cancelled",
  now = new Date(),
): Promise<Transfer> {
  requirePermission(actor, "treasury");
  return writeTransaction(async (tx) => {
    const transfer = await getTransfer(tx, id);
    refuseUnlessProposed(transfer);
    if (outcome === "cancelled" && transfer.proposedById !== actor.id && actor.role !== "admin")
      throw DomainError.forbidden("Only whoever proposed a transfer (or an admin) cancels it.");
    await tx.batch([
      {
        sql: `UPDATE FundTransfer SET status = ?, decidedById = ?, updatedAt = ? WHERE id = ? AND status = 'proposed'`,
        args: [outcome, actor.id, sqlDate(now), id],
      },
      audited(
        actor,
        outcome === "rejected" ? "transfer.reject" : "transfer.cancel",
        "fundTransfer",
        id,
        {},
        now,
      ),
    ]);
    return getTransfer(tx, id);
  });
}

// ---------------------------------------------------------------- exchanges

export type ExchangeInput = {
  prisonerId: string | null;
  fromCurrency: string;
  toCurrency: string;
  amountMinor: number;
  /** Units of toCurrency per unit of fromCurrency, as a decimal string ("95.25"). */
  rate: string;
  /** The day the rate is from (YYYY-MM-DD). */
  ratedOn: string;
};

function parseRate(rate: string): { units: bigint; scale: number } | null {
  const match = typeof rate === "string" ? RATE_PATTERN.exec(rate) : null;
  if (!match) return null;
  const fraction = match[2] ?? "";
  const units = BigInt(match[1]! + fraction);
  if (units === 0n) return null;
  return { units, scale: fraction.length };
}

/**
 * `amountMinor` of `fromCurrency` in minor units of `toCurrency` at `rate`,
 * rounded half up, in integers only (BigInt): each currency's minor-unit
 * digits come from Intl (RUB 2, JPY 0, KWD 3). Null for a bad rate or a result
 * beyond a safe integer.
 */
export function convertMinor(
  amountMinor: number,
  fromCurrency: string,
  toCurrency: string,
  rate: string,
): number | null {
  const r = parseRate(rate);
  if (!r || !Number.isSafeInteger(amountMinor) || amountMinor < 0) return null;
  const num = BigInt(amountMinor) * r.units * 10n ** BigInt(minorUnitDigits(toCurrency));
  const den = 10n ** BigInt(r.scale + minorUnitDigits(fromCurrency));
  const result = (2n * num + den) / (2n * den);
  return result <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(result) : null;
}

export type Exchange = ExchangeInput & {
  id: string;
  toAmountMinor: number;
  createdById: string;
  createdAt: string;
};

function exchangeOf(r: Record<string, unknown>): Exchange {
  return {
    id: String(r.id),
    prisonerId: r.prisonerId === null ? null : String(r.prisonerId),
    fromCurrency: String(r.fromCurrency),
    toCurrency: String(r.toCurrency),
    amountMinor: Number(r.fromAmountMinor),
    toAmountMinor: Number(r.toAmountMinor),
    rate: String(r.rate),
    ratedOn: String(r.ratedOn),
    createdById: String(r.createdById),
    createdAt: dateFromSql(r.createdAt).toISOString(),
  };
}

/** Exchanges, newest first (optionally of one fund: pass `prisonerId`, null for the general fund). */
export async function listExchanges(
  options: { prisonerId?: string | null; limit?: number } = {},
  db: SqlExecutor = sqlClient(),
): Promise<Exchange[]> {
  const all = options.prisonerId === undefined;
  const { rows } = await db.execute({
    sql: `SELECT id, prisonerId, fromCurrency, fromAmountMinor, toCurrency, toAmountMinor, rate, ratedOn, createdById, createdAt
          FROM FundExchange WHERE (? OR prisonerId IS ?) ORDER BY createdAt DESC, id LIMIT ?`,
    args: [all ? 1 : 0, options.prisonerId ?? null, options.limit ?? 200],
  });
  return rows.map((r) => exchangeOf(r as Record<string, unknown>));
}

function validDay(day: string, now: Date) {
  if (typeof day !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return false;
  const date = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== day) return false;
  // Not before 2000, not after tomorrow (UTC: a treasurer east of Greenwich may be a day ahead).
  return day >= "2000-01-01" && date.getTime() <= now.getTime() + 24 * 3600 * 1000;
}

/**
 * Convert a fund's money at the treasurer's rate (no internet rates): one
 * entry per festival it is drawn from (oldest first), `fund_exchange:<id>:<festivalId>`,
 * taking `amountMinor` out of the fund and the festival's assets in
 * fromCurrency and putting the converted amount into the same fund and the
 * same asset accounts in toCurrency (balanced per currency). The FundExchange
 * row, its entries and the audit row commit together. 409 insufficient_funds
 * when the fund's available money is short.
 */
export async function createExchange(
  actor: CurrentUser,
  input: ExchangeInput,
  now = new Date(),
): Promise<Exchange> {
  requirePermission(actor, "treasury");
  const fields: Record<string, string> = {};
  checkCurrency("fromCurrency", input.fromCurrency, fields);
  checkCurrency("toCurrency", input.toCurrency, fields);
  if (!fields.toCurrency && !fields.fromCurrency && input.fromCurrency === input.toCurrency)
    fields.toCurrency = "v.sameCurrency";
  checkPositiveAmount(input.amountMinor, fields);
  if (!parseRate(input.rate)) fields.rate = "v.rate";
  if (!validDay(input.ratedOn, now)) fields.ratedOn = "v.date";
  if (
    input.prisonerId !== null &&
    (typeof input.prisonerId !== "string" || !(await prisonerExists(sqlClient(), input.prisonerId)))
  )
    fields.prisonerId = "v.noSuchPrisoner";
  if (Object.keys(fields).length) throw new FieldRulesError(fields);
  const toAmountMinor = convertMinor(
    input.amountMinor,
    input.fromCurrency,
    input.toCurrency,
    input.rate,
  );
  if (toAmountMinor === null) throw new FieldRulesError({ rate: "v.rate" });
  if (toAmountMinor <= 0) throw new FieldRulesError({ amountMinor: "v.exchangeTooSmall" });
  const id = randomToken(12);
  return writeTransaction(async (tx) => {
    const available = await availableIn(tx, input.prisonerId, input.fromCurrency);
    if (available < input.amountMinor)
      throw new InsufficientFundsError(Math.max(0, available), input.fromCurrency);
    const slices = await planFundDraw(
      tx,
      input.prisonerId,
      input.fromCurrency,
      input.amountMinor,
      true,
    );
    // Converted cumulatively over every asset posting, so the parts add up to
    // the converted total exactly (each rounded half up at its running sum).
    let taken = 0;
    let converted = 0;
    const statements: InStatement[] = [];
    for (const s of slices) {
      const postings: Posting[] = [
        {
          account: fundAccount(s.festivalId, input.fromCurrency, input.prisonerId),
          amountMinor: s.amountMinor,
        },
        ...s.assets,
      ];
      let into = 0;
      for (const a of s.assets) {
        taken += -a.amountMinor;
        const running = convertMinor(taken, input.fromCurrency, input.toCurrency, input.rate)!;
        const part = running - converted;
        converted = running;
        into += part;
        postings.push({
          account: { ...a.account, currency: input.toCurrency },
          amountMinor: part,
        });
      }
      postings.push({
        account: fundAccount(s.festivalId, input.toCurrency, input.prisonerId),
        amountMinor: -into,
      });
      statements.push(
        ...entryStatements({
          id: `fund_exchange:${id}:${s.festivalId}`,
          festivalId: s.festivalId,
          kind: "fund_exchange",
          actorUserId: actor.id,
          memo: `${input.fromCurrency}→${input.toCurrency} at ${input.rate} (${input.ratedOn})`,
          at: now,
          postings,
        }),
      );
    }
    await tx.batch([
      {
        sql: `INSERT INTO FundExchange (id, prisonerId, fromCurrency, fromAmountMinor, toCurrency, toAmountMinor, rate, ratedOn, createdById, createdAt)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        args: [
          id,
          input.prisonerId,
          input.fromCurrency,
          input.amountMinor,
          input.toCurrency,
          toAmountMinor,
          input.rate,
          input.ratedOn,
          actor.id,
          sqlDate(now),
        ],
      },
      ...statements,
      audited(
        actor,
        "exchange.create",
        "fundExchange",
        id,
        {
          fund: input.prisonerId ?? "general",
          fromCurrency: input.fromCurrency,
          fromAmountMinor: input.amountMinor,
          toCurrency: input.toCurrency,
          toAmountMinor,
          rate: input.rate,
          ratedOn: input.ratedOn,
        },
        now,
      ),
    ]);
    return {
      id,
      ...input,
      toAmountMinor,
      createdById: actor.id,
      createdAt: now.toISOString(),
    };
  });
}
