// The one email path: `enqueueEmail`/`writeChange` (app/utils/change.server.ts)
// write an outbox row inside the caller's transaction; after commit the caller
// kicks the worker, which renders and delivers it with retries
// and exponential backoff. Without SMTP_URL, mail is written as .eml files under
// data/mail/ (listed at /dev/mail in development).
import fs from "node:fs/promises";
import path from "node:path";
import nodemailer, { type Transporter } from "nodemailer";
import { templates, type TemplateData, type TemplateName } from "../../emails/index";
import { dateFromSql, sqlClient, sqlDate } from "./db.server";
import { messageInThread, renderInThread } from "./email-render.server";
import { getEnv } from "./env.server";
import { isLocale, type Locale } from "./i18n";
import { keepLease, type KeptLease } from "./lease.server";
import { logger } from "./logger.server";

/** Attempts before a permanent failure (a 5xx answer, a template that cannot render) is given up. */
export const MAX_ATTEMPTS = 8;
/**
 * A temporary failure (the SMTP server unreachable, a 4xx answer) is retried
 * until the email is this old — an outage of hours loses nothing (like an
 * MTA's queue lifetime) — and only then given up, after MAX_ATTEMPTS at least.
 */
export const GIVE_UP_AFTER_MS = 3 * 24 * 60 * 60_000;
const BASE_BACKOFF_MS = 30_000;
const MAX_BACKOFF_MS = 60 * 60_000;
const BATCH = 20;

export function mailFolder() {
  return path.join(getEnv().DATA_DIR, "mail");
}

/** A template's data, loaded from the database here (the render thread has no database). */
async function templateData<K extends TemplateName>(
  template: K,
  locale: Locale,
  payload: TemplateData[K],
): Promise<unknown> {
  const tpl = templates[template];
  return tpl.load ? await tpl.load(payload as never, locale) : payload;
}

/** An email's subject, HTML, text and attachments (built off the event loop: email-render.server.ts). */
export async function renderEmail<K extends TemplateName>(
  template: K,
  locale: Locale,
  payload: TemplateData[K],
) {
  return renderInThread(template, locale, await templateData(template, locale, payload));
}

let transporter: Transporter | undefined;
function transport(): Transporter {
  if (!transporter) {
    const url = getEnv().SMTP_URL;
    transporter = url
      ? nodemailer.createTransport(url)
      : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" });
  }
  return transporter;
}

/** Forget the transport (tests point SMTP_URL at a fresh server). */
export function resetEmailTransport() {
  transporter?.close();
  transporter = undefined;
}

export function backoffMs(attempts: number) {
  return Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** Math.max(0, attempts - 1));
}

/**
 * The Message-ID of an outbox row's email: derived from the row, so a resend
 * (after a crash between sending and recording it) is the same message, which
 * receivers can recognise; in the domain of MAIL_FROM.
 */
export function outboxMessageId(id: string) {
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(getEnv().MAIL_FROM)?.[1] ?? "localhost";
  return `<${id}@${domain}>`;
}

async function deliver(row: {
  id: string;
  to: string;
  template: string;
  locale: string;
  payload: string;
}) {
  if (!(row.template in templates)) throw new Error(`unknown template ${row.template}`);
  const locale = isLocale(row.locale) ? row.locale : "en";
  const template = row.template as TemplateName;
  const envelope = {
    from: getEnv().MAIL_FROM,
    to: row.to,
    // Stable: a resend after a crash is the same message (decision 0041).
    messageId: outboxMessageId(row.id),
    headers: { "X-Outbox-Id": row.id },
  };
  const data = await templateData(template, locale, JSON.parse(row.payload) as never);
  // The whole message is built in the render thread; here it is only handed over.
  const message = await messageInThread(template, locale, data, envelope);
  const info = (await transport().sendMail({
    envelope: message.envelope,
    raw: message.raw,
  })) as { message?: Buffer };
  let file: string | null = null;
  if (!getEnv().SMTP_URL && info.message) {
    await fs.mkdir(mailFolder(), { recursive: true });
    file = path.join(mailFolder(), `${Date.now()}-${row.id}.eml`);
    await fs.writeFile(file, info.message);
  }
  return { messageId: message.messageId, file };
}

type DueRow = {
  id: string;
  to: string;
  template: string;
  locale: string;
  payload: string;
  attempts: number;
  createdAt: Date;
};

/** A failure worth retrying later: no answer from the server, or a 4xx one. */
function isTemporary(error: unknown) {
  const code = (error as { responseCode?: unknown } | null)?.responseCode;
  if (typeof code === "number") return code >= 400 && code < 500;
  return !(error instanceof Error && /^unknown template /.test(error.message));
}

/** Whether a row that just failed its `attempts`-th attempt at `now` is given up. */
export function givesUp(error: unknown, attempts: number, createdAt: Date, now: Date) {
  if (attempts < MAX_ATTEMPTS) return false;
  return !isTemporary(error) || now.getTime() - createdAt.getTime() >= GIVE_UP_AFTER_MS;
}

/**
 * The rows that may go out at `now`: due, and each the first of its recipient's
 * waiting mail (in the order it was written: createdAt, then insertion order),
 * so a later email to a person never overtakes an earlier one that is still
 * pending (being retried). A mail scheduled for later (`sendAt`, never tried)
 * holds nothing back before its time; one given up on ("failed") neither.
 */
export function sendableSql(now: Date, limit: number) {
  const at = sqlDate(now);
  return {
    sql: `SELECT r.id, r."to", r.template, r.locale, r.payload, r.attempts, r.createdAt
          FROM OutboxEmail r
          WHERE r.status = 'pending' AND r.nextAttemptAt <= ?
            AND NOT EXISTS (
              SELECT 1 FROM OutboxEmail p
              WHERE p.status = 'pending' AND p."to" = r."to"
                AND (p.createdAt < r.createdAt OR (p.createdAt = r.createdAt AND p.rowid < r.rowid))
                AND NOT (p.attempts = 0 AND p.nextAttemptAt > ?))
          ORDER BY r.createdAt, r.rowid
          LIMIT ?`,
    args: [at, at, limit],
  };
}

async function sendableRows(now: Date, limit: number): Promise<DueRow[]> {
  const rs = await sqlClient().execute(sendableSql(now, limit));
  return rs.rows.map((r) => ({
    id: String(r.id),
    to: String(r.to),
    template: String(r.template),
    locale: String(r.locale),
    payload: String(r.payload),
    attempts: Number(r.attempts),
    createdAt: dateFromSql(r.createdAt),
  }));
}

/** Whether a delivery pass at `now` would find something to send. */
export async function hasSendableEmails(now = new Date()) {
  return (await sendableRows(now, 1)).length > 0;
}

/**
 * Deliver every due email once (up to BATCH), each recipient's in order: the
 * first of their waiting mail, then the next once it is sent. Each row is
 * claimed (attempts+1, next attempt pushed back) before sending, so a crash
 * mid-send retries later — with the same Message-ID — instead of losing it.
 */
export async function deliverDueEmails(
  now = new Date(),
): Promise<{ sent: number; failed: number }> {
  let sent = 0;
  let failed = 0;
  let taken = 0;
  // In rounds: a person's next email becomes sendable once the one before it is sent.
  while (taken < BATCH) {
    const due = await sendableRows(now, BATCH - taken);
    if (due.length === 0) break;
    taken += due.length;
    const sentBefore = sent;
    for (const row of due) {
      const attempts = row.attempts + 1;
      // Raw SQL, not Prisma: this runs for every email of a sales burst, on the event
      // loop that also answers the door (Prisma costs several times more CPU per query).
      const claimed = await sqlClient().execute({
        sql: `UPDATE OutboxEmail SET attempts = ?, nextAttemptAt = ?
              WHERE id = ? AND status = 'pending' AND attempts = ?`,
        args: [
          attempts,
          sqlDate(new Date(now.getTime() + backoffMs(attempts))),
          row.id,
          row.attempts,
        ],
      });
      if (claimed.rowsAffected === 0) continue; // another worker took it
      try {
        const { messageId, file } = await deliver(row);
        const marked = await sqlClient().execute({
          sql: `UPDATE OutboxEmail SET status = 'sent', sentAt = ?, messageId = ?, lastError = NULL
                WHERE id = ?`,
          args: [sqlDate(new Date()), messageId, row.id],
        });
        // Erased while it was being sent (privacy.server.ts): its mail file goes too.
        if (marked.rowsAffected === 0 && file) await fs.rm(file, { force: true });
        sent++;
      } catch (error) {
        failed++;
        const message = error instanceof Error ? error.message : String(error);
        await sqlClient().execute({
          sql: `UPDATE OutboxEmail SET lastError = ?, status = CASE WHEN ? THEN 'failed' ELSE status END
                WHERE id = ?`,
          args: [
            message.slice(0, 500),
            givesUp(error, attempts, row.createdAt, now) ? 1 : 0,
            row.id,
          ],
        });
      }
    }
    if (sent === sentBefore) break;
  }
  return { sent, failed };
}

// ---------------------------------------------------------------- worker

let timer: NodeJS.Timeout | undefined;
let running: Promise<unknown> | undefined;
let kicked: NodeJS.Timeout | undefined;
let lastRunEnded = 0;
/** Only the process holding this lease delivers (decision 0038); the others' kicks wait for it. */
let lease: KeptLease | undefined;

/**
 * At most one delivery pass at a time, and kicks are coalesced to one pass per
 * KICK_SPACING_MS: during a ticket-sale burst the outbox fills quickly and is
 * drained in batches, leaving the CPU to the buyers (the mail goes out a few
 * seconds later, never lost).
 */
const KICK_SPACING_MS = 1_000;

function runOnce() {
  if (running) return running;
  // Another process holds the outbox lease: its worker delivers what this one enqueued.
  if (!lease?.held()) return Promise.resolve();
  running = deliverDueEmails()
    .catch((e: unknown) => logger.error({ err: e, worker: "email" }, "email worker failed"))
    .finally(() => {
      running = undefined;
      lastRunEnded = Date.now();
    });
  return running;
}

/** Ask the worker to look at the outbox soon (called after enqueueing). */
export function kickEmailWorker() {
  if (!timer || kicked || !lease?.held()) return;
  const wait = Math.max(0, lastRunEnded + KICK_SPACING_MS - Date.now());
  kicked = setTimeout(() => {
    kicked = undefined;
    void runOnce().then(() => {
      // A full batch means more is waiting: come back for it.
      void hasSendableEmails()
        .then((more) => (more ? kickEmailWorker() : undefined))
        .catch(() => undefined);
    });
  }, wait);
  kicked.unref();
}

export function startEmailWorker(intervalMs = 5_000) {
  if (timer) return;
  timer = setInterval(() => void runOnce(), intervalMs);
  timer.unref();
  // A pass as soon as this process holds the lease (at start, or on taking over).
  lease = keepLease("email", { onAcquired: () => void runOnce() });
}

/** Stop polling, wait for a delivery in progress to finish, and give the lease back. */
export async function stopEmailWorker() {
  if (timer) clearInterval(timer);
  if (kicked) clearTimeout(kicked);
  timer = undefined;
  kicked = undefined;
  await running;
  await lease?.stop();
  lease = undefined;
}
