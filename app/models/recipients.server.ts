// Payout recipients (decision 0034): relatives, lawyers, the prisoner's own
// account, a partner fund. Everything that could identify a person — the
// display name, the bank / card / phone details, the notes — is sealed in one
// ciphertext (`encrypt(JSON, "recipient:<id>")`, decision 0011); the row holds
// only the prisoner, the kind, the cap and the time zone the cap's months are
// counted in. Only the `treasury` permission (a money role with a proved second
// factor) reads or changes recipients; audit rows name ids and field names,
// never a decrypted value.
import type { InStatement } from "@libsql/client";
import { IANAZone } from "luxon";
import { z } from "zod";
import type { CurrentUser } from "~/utils/auth.server";
import { auditRead, auditStatement } from "~/utils/change.server";
import { randomToken } from "~/utils/crypto.server";
import {
  dateFromSql,
  sqlClient,
  sqlDate,
  writeTransaction,
  type SqlExecutor,
} from "~/utils/db.server";
import { DomainError, FieldRulesError } from "~/utils/domain-error";
import { DecryptionError, decryptString, encrypt } from "~/utils/encryption.server";
import { decide } from "~/utils/permissions.server";
import { currency, optionalText, text, timeZone } from "~/utils/validation";

export const RECIPIENT_KINDS = ["relative", "lawyer", "prisoner", "fund"] as const;
export type RecipientKind = (typeof RECIPIENT_KINDS)[number];

/** The time zone a recipient's cap months are counted in unless another is given. */
export const DEFAULT_RECIPIENT_ZONE = "Europe/Moscow";
/** The largest amount of money (minor units) any cap or payout may name. */
export const MAX_MONEY_MINOR = 100_000_000_000;

/** The refusal for anyone without the treasury permission (checked again here, below the routes). */
export function requireTreasury(actor: CurrentUser) {
  const decision = decide(actor, "treasury");
  if (decision === "allow") return;
  if (decision === "second_factor")
    throw new DomainError(
      403,
      "second_factor_required",
      "Prove your second factor (a one-time code) before you touch recipients or payouts.",
    );
  throw DomainError.forbidden("You do not have permission to do this.");
}

// ---------------------------------------------------------------- input

export const idField = z
  .string({ error: "v.invalid" })
  .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: "v.invalid" });

export const amountMinorField = z
  .number({ error: "v.amount" })
  .int({ error: "v.amount" })
  .min(1, { error: "v.amount" })
  .max(MAX_MONEY_MINOR, { error: "v.amount" });

/** An IANA zone luxon can count months in (not a fixed offset like "UTC+3"). */
export const recipientZone = timeZone.refine((z) => IANAZone.isValidZone(z), {
  error: "v.timezone",
});

const monthlyCap = z.object({ amountMinor: amountMinorField, currency }).strict();

const kindField = z.enum(RECIPIENT_KINDS, { error: "v.recipientKind" });
const displayName = text({ max: 200 });
const details = text({ max: 2000, multiline: true });
const notes = optionalText({ max: 4000, multiline: true });

export const recipientInput = z
  .object({
    prisonerId: idField,
    kind: kindField,
    displayName,
    details,
    notes,
    monthlyCap: monthlyCap.nullable().optional(),
    timezone: recipientZone.optional(),
  })
  .strict();
export type RecipientInput = z.output<typeof recipientInput>;

export const recipientUpdateInput = z
  .object({
    kind: kindField.optional(),
    displayName: displayName.optional(),
    details: details.optional(),
    /** An empty string or null clears the notes. */
    notes: z
      .preprocess(
        (v) => (typeof v === "string" && v.trim() === "" ? null : v),
        z.union([z.null(), text({ max: 4000, multiline: true })]),
      )
      .optional(),
    /** null removes the cap. */
    monthlyCap: monthlyCap.nullable().optional(),
    timezone: recipientZone.optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, { error: "v.nothingToChange" });
export type RecipientUpdateInput = z.output<typeof recipientUpdateInput>;

// ---------------------------------------------------------------- sealing

/** What is sealed: everything that could identify the person. */
export type RecipientSecret = { displayName: string; details: string; notes: string | null };

export const recipientContext = (id: string) => `recipient:${id}`;

export function sealRecipient(id: string, secret: RecipientSecret): string {
  return encrypt(
    JSON.stringify({
      displayName: secret.displayName,
      details: secret.details,
      notes: secret.notes,
    }),
    recipientContext(id),
  );
}

export function openRecipient(id: string, sealed: string): RecipientSecret {
  let value: Partial<RecipientSecret>;
  try {
    value = JSON.parse(decryptString(sealed, recipientContext(id))) as Partial<RecipientSecret>;
  } catch (error) {
    // A decryption error names no plaintext; a JSON error would quote it (into a log): never.
    if (error instanceof DecryptionError) throw error;
    throw new Error(`recipient ${id}: the sealed details are not the JSON this module writes`);
  }
  return {
    displayName: String(value.displayName ?? ""),
    details: String(value.details ?? ""),
    notes: typeof value.notes === "string" ? value.notes : null,
  };
}

// ---------------------------------------------------------------- rows

/** A recipient's row as the payouts need it (nothing decrypted). */
export type RecipientRow = {
  id: string;
  prisonerId: string;
  kind: RecipientKind;
  sealed: string;
  capMinor: number | null;
  capCurrency: string | null;
  timezone: string;
  archivedAt: Date | null;
  createdById: string | null;
  createdAt: Date;
  updatedAt: Date;
};

const COLUMNS = `id, prisonerId, kind, sealed, capMinor, capCurrency, timezone, archivedAt, createdById, createdAt, updatedAt`;

function rowOf(r: Record<string, unknown>): RecipientRow {
  return {
    id: String(r.id),
    prisonerId: String(r.prisonerId),
    kind: String(r.kind) as RecipientKind,
    sealed: String(r.sealed),
    capMinor: r.capMinor === null ? null : Number(r.capMinor),
    capCurrency: r.capCurrency === null ? null : String(r.capCurrency),
    timezone: String(r.timezone),
    archivedAt: r.archivedAt === null ? null : dateFromSql(r.archivedAt),
    createdById: r.createdById === null ? null : String(r.createdById),
    createdAt: dateFromSql(r.createdAt),
    updatedAt: dateFromSql(r.updatedAt),
  };
}

/** One recipient's row (sealed), or null. */
export async function recipientRow(db: SqlExecutor, id: string): Promise<RecipientRow | null> {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) return null;
  const { rows } = await db.execute({
    sql: `SELECT ${COLUMNS} FROM Recipient WHERE id = ?`,
    args: [id],
  });
  return rows[0] ? rowOf(rows[0] as Record<string, unknown>) : null;
}

export type Cap = { amountMinor: number; currency: string } | null;

export const capOf = (r: Pick<RecipientRow, "capMinor" | "capCurrency">): Cap =>
  r.capMinor !== null && r.capCurrency !== null
    ? { amountMinor: r.capMinor, currency: r.capCurrency }
    : null;

/** A recipient as the treasury sees it in a list: the display name, never the details. */
export type RecipientSummary = {
  id: string;
  prisonerId: string;
  kind: RecipientKind;
  displayName: string;
  monthlyCap: Cap;
  timezone: string;
  archivedAt: string | null;
  createdAt: string;
};

/** One recipient with everything decrypted (the treasury's detail view). */
export type RecipientDetail = RecipientSummary & {
  details: string;
  notes: string | null;
  createdById: string | null;
  updatedAt: string;
};

function summaryOf(row: RecipientRow): RecipientSummary {
  return {
    id: row.id,
    prisonerId: row.prisonerId,
    kind: row.kind,
    displayName: openRecipient(row.id, row.sealed).displayName,
    monthlyCap: capOf(row),
    timezone: row.timezone,
    archivedAt: row.archivedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

// ---------------------------------------------------------------- reads

/** Recipients (newest first), with their decrypted display names: treasury only. */
export async function listRecipients(
  actor: CurrentUser,
  filter: { prisonerId?: string; includeArchived?: boolean } = {},
): Promise<RecipientSummary[]> {
  requireTreasury(actor);
  const where: string[] = [];
  const args: string[] = [];
  if (filter.prisonerId !== undefined) {
    where.push("prisonerId = ?");
    args.push(filter.prisonerId);
  }
  if (!filter.includeArchived) where.push("archivedAt IS NULL");
  const { rows } = await sqlClient().execute({
    sql: `SELECT ${COLUMNS} FROM Recipient ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
          ORDER BY createdAt DESC, id`,
    args,
  });
  return rows.map((r) => summaryOf(rowOf(r as Record<string, unknown>)));
}

/**
 * One recipient, decrypted: treasury only. Reading the details is itself
 * recorded (`recipient.view`, ids only) unless `audit` is false (a page that
 * shows the name only).
 */
export async function getRecipient(
  actor: CurrentUser,
  id: string,
  options: { audit?: boolean } = {},
): Promise<RecipientDetail> {
  requireTreasury(actor);
  const row = await recipientRow(sqlClient(), id);
  if (!row) throw DomainError.notFound("No such recipient.");
  const secret = openRecipient(row.id, row.sealed);
  if (options.audit !== false)
    await auditRead({
      actorUserId: actor.id,
      action: "recipient.view",
      targetType: "recipient",
      targetId: row.id,
      details: { prisonerId: row.prisonerId },
    });
  return {
    ...summaryOf(row),
    details: secret.details,
    notes: secret.notes,
    createdById: row.createdById,
    updatedAt: row.updatedAt.toISOString(),
  };
}

// ---------------------------------------------------------------- writes

async function prisonerExists(db: SqlExecutor, prisonerId: string) {
  const { rows } = await db.execute({
    sql: "SELECT 1 FROM Prisoner WHERE id = ?",
    args: [prisonerId],
  });
  return rows.length > 0;
}

/** Create a recipient → its id. The row never holds plaintext. */
export async function createRecipient(
  actor: CurrentUser,
  input: RecipientInput,
  now: Date = new Date(),
): Promise<{ id: string }> {
  requireTreasury(actor);
  if (!(await prisonerExists(sqlClient(), input.prisonerId)))
    throw new FieldRulesError({ prisonerId: "v.noSuchPrisoner" });
  const id = randomToken(12);
  const sealed = sealRecipient(id, {
    displayName: input.displayName,
    details: input.details,
    notes: input.notes ?? null,
  });
  const cap = input.monthlyCap ?? null;
  await writeTransaction(async (tx) => {
    const statements: InStatement[] = [
      {
        sql: `INSERT INTO Recipient (id, prisonerId, kind, sealed, capMinor, capCurrency, timezone, createdById, createdAt, updatedAt)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        args: [
          id,
          input.prisonerId,
          input.kind,
          sealed,
          cap?.amountMinor ?? null,
          cap?.currency ?? null,
          input.timezone ?? DEFAULT_RECIPIENT_ZONE,
          actor.id,
          sqlDate(now),
          sqlDate(now),
        ],
      },
      auditStatement(
        {
          actorUserId: actor.id,
          action: "recipient.create",
          targetType: "recipient",
          targetId: id,
          details: { prisonerId: input.prisonerId, kind: input.kind, capped: cap !== null },
        },
        now,
      ),
    ];
    for (const stmt of statements) await tx.execute(stmt);
  });
  return { id };
}

/** Change a recipient's kind, sealed details, cap or zone (re-sealed as a whole). */
export async function updateRecipient(
  actor: CurrentUser,
  id: string,
  input: RecipientUpdateInput,
  now: Date = new Date(),
): Promise<RecipientDetail> {
  requireTreasury(actor);
  await writeTransaction(async (tx) => {
    const row = await recipientRow(tx, id);
    if (!row) throw DomainError.notFound("No such recipient.");
    if (row.archivedAt)
      throw DomainError.conflict("recipient_archived", "This recipient is archived.");
    const changed = Object.keys(input).sort();
    const secretChanged =
      input.displayName !== undefined || input.details !== undefined || input.notes !== undefined;
    let sealed = row.sealed;
    if (secretChanged) {
      const old = openRecipient(row.id, row.sealed);
      sealed = sealRecipient(row.id, {
        displayName: input.displayName ?? old.displayName,
        details: input.details ?? old.details,
        notes: input.notes === undefined ? old.notes : (input.notes ?? null),
      });
    }
    const cap = input.monthlyCap === undefined ? capOf(row) : input.monthlyCap;
    await tx.execute({
      sql: `UPDATE Recipient SET kind = ?, sealed = ?, capMinor = ?, capCurrency = ?, timezone = ?, updatedAt = ?
            WHERE id = ?`,
      args: [
        input.kind ?? row.kind,
        sealed,
        cap?.amountMinor ?? null,
        cap?.currency ?? null,
        input.timezone ?? row.timezone,
        sqlDate(now),
        row.id,
      ],
    });
    await tx.execute(
      auditStatement(
        {
          actorUserId: actor.id,
          action: "recipient.update",
          targetType: "recipient",
          targetId: row.id,
          // The names of the fields changed, never their values.
          details: { prisonerId: row.prisonerId, fields: changed },
        },
        now,
      ),
    );
  });
  return getRecipient(actor, id, { audit: false });
}

/**
 * Archive a recipient: no new payouts to them. Refused (409) while a payout to
 * them is proposed or approved (cancel, reject or pay it first).
 */
export async function archiveRecipient(
  actor: CurrentUser,
  id: string,
  now: Date = new Date(),
): Promise<{ id: string; archivedAt: string }> {
  requireTreasury(actor);
  return writeTransaction(async (tx) => {
    const row = await recipientRow(tx, id);
    if (!row) throw DomainError.notFound("No such recipient.");
    if (row.archivedAt) return { id: row.id, archivedAt: row.archivedAt.toISOString() };
    const open = await tx.execute({
      sql: `SELECT COUNT(*) AS n FROM Payout WHERE recipientId = ? AND status IN ('proposed', 'approved')`,
      args: [row.id],
    });
    if (Number(open.rows[0]?.n ?? 0) > 0)
      throw DomainError.conflict(
        "recipient_has_open_payouts",
        "Payouts to this recipient are still proposed or approved: cancel, reject or pay them first.",
      );
    await tx.execute({
      sql: `UPDATE Recipient SET archivedAt = ?, updatedAt = ? WHERE id = ?`,
      args: [sqlDate(now), sqlDate(now), row.id],
    });
    await tx.execute(
      auditStatement(
        {
          actorUserId: actor.id,
          action: "recipient.archive",
          targetType: "recipient",
          targetId: row.id,
          details: { prisonerId: row.prisonerId },
        },
        now,
      ),
    );
    return { id: row.id, archivedAt: now.toISOString() };
  });
}

/** For the payouts: the decrypted display names of some recipients (treasury callers only). */
export async function recipientNames(
  db: SqlExecutor,
  ids: string[],
): Promise<Map<string, { kind: RecipientKind; displayName: string }>> {
  const unique = [...new Set(ids)];
  const out = new Map<string, { kind: RecipientKind; displayName: string }>();
  if (unique.length === 0) return out;
  const { rows } = await db.execute({
    sql: `SELECT ${COLUMNS} FROM Recipient WHERE id IN (${unique.map(() => "?").join(", ")})`,
    args: unique,
  });
  for (const r of rows) {
    const row = rowOf(r as Record<string, unknown>);
    out.set(row.id, { kind: row.kind, displayName: openRecipient(row.id, row.sealed).displayName });
  }
  return out;
}
