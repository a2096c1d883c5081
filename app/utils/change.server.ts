// The one write path for a change's side rows: its audit rows, its ledger
// entries and its outbox emails are rendered here as SQL statements and
// committed inside the transaction of the change itself, whichever client
// runs it — a libSQL write transaction or batch (`InStatement[]`), or a Prisma
// interactive transaction (`tx.$executeRawUnsafe`). A change and its records
// therefore commit together or not at all. This module holds the only
// INSERT INTO AuditEvent and INSERT INTO OutboxEmail of the code base (the
// ledger's own statements come from `entryStatements`). Callers kick the email
// worker (`kickEmailWorker`) after their commit: before it, the rows are not visible.
import type { InStatement, InValue } from "@libsql/client";
import type { TemplateData, TemplateName } from "../../emails/index";
import { entryStatements, type Entry } from "~/models/ledger.server";
import { randomToken } from "./crypto.server";
import { sqlClient, sqlDate, type SqlExecutor, type TransactionClient } from "./db.server";
import type { Locale } from "./i18n";

/**
 * One privileged action: who, what, when, on which record. Never pass secrets
 * (passwords, codes, tokens, recipients' details) in `details`. The table
 * refuses UPDATE and DELETE (triggers in the migration).
 */
export type AuditEntry = {
  actorUserId: string | null;
  action: string;
  targetType?: string;
  targetId?: string;
  festivalId?: string | null;
  details?: Record<string, string | number | boolean | null | string[]>;
};

/** One email to send, rendered and delivered later by the worker (app/utils/email.server.ts). */
export type OutboxMessage<K extends TemplateName = TemplateName> = {
  to: string;
  template: K;
  locale: Locale;
  data: TemplateData[K];
  /** The row's id, when the change must refer to it later (a reminder withdrawn with its booking). */
  id?: string;
  /** Not before then (a reminder for the day before a tattoo); default: at once. */
  sendAt?: Date;
};

/** The records a change writes with it (each part optional, one or many). */
export type Change = {
  audit?: AuditEntry | AuditEntry[];
  ledger?: Entry | Entry[];
  emails?: OutboxMessage | OutboxMessage[];
};

/** A transaction of either client (or a client itself, for a lone write). */
export type ChangeTx = SqlExecutor | Pick<TransactionClient, "$executeRawUnsafe">;

const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** The statement that writes one audit row. */
export function auditStatement(entry: AuditEntry, at: Date = new Date()): InStatement {
  return {
    sql: `INSERT INTO AuditEvent (at, actorUserId, action, targetType, targetId, festivalId, details)
          VALUES (?, ?, ?, ?, ?, ?, ?)`,
    args: [
      sqlDate(at),
      entry.actorUserId,
      entry.action,
      entry.targetType ?? null,
      entry.targetId ?? null,
      entry.festivalId ?? null,
      JSON.stringify(entry.details ?? {}),
    ],
  };
}

/** The statement that queues one email (due at once, or at its `sendAt`). */
export function outboxStatement(message: OutboxMessage, at: Date = new Date()): InStatement {
  return {
    sql: `INSERT INTO OutboxEmail (id, "to", template, locale, payload, status, attempts, nextAttemptAt, createdAt)
          VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)`,
    args: [
      message.id ?? randomToken(12),
      message.to,
      message.template,
      message.locale,
      JSON.stringify(message.data),
      sqlDate(message.sendAt ?? at),
      sqlDate(at),
    ],
  };
}

/** Every statement of a change's records: ledger entries, audit rows, emails. */
export function changeStatements(change: Change, at: Date = new Date()): InStatement[] {
  return [
    ...list(change.ledger).flatMap((entry) => entryStatements(entry)),
    ...list(change.audit).map((entry) => auditStatement(entry, at)),
    ...list(change.emails).map((message) => outboxStatement(message, at)),
  ];
}

function isPrisma(tx: ChangeTx): tx is Pick<TransactionClient, "$executeRawUnsafe"> {
  // Not `in`: the shared Prisma client is a Proxy whose target has no own keys.
  return typeof (tx as { $executeRawUnsafe?: unknown }).$executeRawUnsafe === "function";
}

/** Run statements inside `tx`, whichever client it belongs to. */
export async function executeIn(tx: ChangeTx, statements: InStatement[]) {
  for (const stmt of statements) {
    const sql = typeof stmt === "string" ? stmt : stmt.sql;
    const args: InValue[] =
      typeof stmt === "string" ? [] : Array.isArray(stmt.args) ? stmt.args : [];
    if (typeof stmt !== "string" && stmt.args && !Array.isArray(stmt.args))
      throw new Error("change statements take positional arguments only");
    if (isPrisma(tx)) await tx.$executeRawUnsafe(sql, ...args);
    else await tx.execute({ sql, args });
  }
}

/** Write a change's records inside the caller's transaction `tx` (either client). */
export async function writeChange(tx: ChangeTx, change: Change, at: Date = new Date()) {
  await executeIn(tx, changeStatements(change, at));
}

/** One audit row, inside the transaction of the change it records. */
export async function audit(entry: AuditEntry, tx: ChangeTx) {
  await writeChange(tx, { audit: entry });
}

/** One email, inside the transaction of the change it belongs to (kick the worker after commit). */
export async function enqueueEmail<K extends TemplateName>(
  message: OutboxMessage<K>,
  tx: ChangeTx,
) {
  await writeChange(tx, { emails: message as unknown as OutboxMessage });
}

/**
 * The audit row of an action that changes nothing (a CSV export, a personal
 * data export): a single write of its own, since there is no change to join.
 */
export async function auditRead(entry: AuditEntry) {
  await writeChange(sqlClient(), { audit: entry });
}
