// The one email path: `enqueueEmail`/`writeChange` (app/utils/change.server.ts)
// write an outbox row inside the caller's transaction; after commit the caller
// kicks the worker, which renders and delivers it with retries
// and exponential backoff. Without SMTP_URL, mail is written as .eml files under
// data/mail/ (listed at /dev/mail in development).
import fs from "node:fs/promises";
import path from "node:path";
import nodemailer, { type Transporter } from "nodemailer";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { templates, type TemplateData, type TemplateName } from "../../emails/index";
import { prisma } from "./db.server";
import { getEnv } from "./env.server";
import { isLocale, translator, type Locale } from "./i18n";

export const MAX_ATTEMPTS = 8;
const BASE_BACKOFF_MS = 30_000;
const MAX_BACKOFF_MS = 60 * 60_000;
const BATCH = 20;

export function mailFolder() {
  return path.join(getEnv().DATA_DIR, "mail");
}

export async function renderEmail<K extends TemplateName>(
  template: K,
  locale: Locale,
  payload: TemplateData[K],
) {
  const t = translator(locale);
  const tpl = templates[template];
  const data: unknown = tpl.load ? await tpl.load(payload as never, locale) : payload;
  const html =
    "<!doctype html>" + renderToStaticMarkup(createElement(tpl.Html, { t, lang: locale, data }));
  return {
    subject: tpl.subject(t, data),
    html,
    text: tpl.text(t, data),
    attachments: tpl.attachments ? await tpl.attachments(data) : [],
  };
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

async function deliver(row: {
  id: string;
  to: string;
  template: string;
  locale: string;
  payload: string;
}) {
  if (!(row.template in templates)) throw new Error(`unknown template ${row.template}`);
  const locale = isLocale(row.locale) ? row.locale : "en";
  const content = await renderEmail(
    row.template as TemplateName,
    locale,
    JSON.parse(row.payload) as never,
  );
  const info = (await transport().sendMail({
    from: getEnv().MAIL_FROM,
    to: row.to,
    subject: content.subject,
    html: content.html,
    text: content.text,
    attachments: content.attachments,
    headers: { "X-Outbox-Id": row.id },
  })) as { messageId?: string; message?: Buffer };
  let file: string | null = null;
  if (!getEnv().SMTP_URL && info.message) {
    await fs.mkdir(mailFolder(), { recursive: true });
    file = path.join(mailFolder(), `${Date.now()}-${row.id}.eml`);
    await fs.writeFile(file, info.message);
  }
  return { messageId: info.messageId ?? null, file };
}

/**
 * Deliver every due email once. Each row is claimed (attempts+1, next attempt
 * pushed back) before sending, so a crash mid-send retries later instead of losing it.
 */
export async function deliverDueEmails(
  now = new Date(),
): Promise<{ sent: number; failed: number }> {
  const due = await prisma.outboxEmail.findMany({
    where: { status: "pending", nextAttemptAt: { lte: now } },
    orderBy: { createdAt: "asc" },
    take: BATCH,
  });
  let sent = 0;
  let failed = 0;
  for (const row of due) {
    const attempts = row.attempts + 1;
    const claimed = await prisma.outboxEmail.updateMany({
      where: { id: row.id, status: "pending", attempts: row.attempts },
      data: { attempts, nextAttemptAt: new Date(now.getTime() + backoffMs(attempts)) },
    });
    if (claimed.count === 0) continue; // another worker took it
    try {
      const { messageId, file } = await deliver(row);
      const marked = await prisma.outboxEmail.updateMany({
        where: { id: row.id },
        data: { status: "sent", sentAt: new Date(), messageId, lastError: null },
      });
      // Erased while it was being sent (privacy.server.ts): its mail file goes too.
      if (marked.count === 0 && file) await fs.rm(file, { force: true });
      sent++;
    } catch (error) {
      failed++;
      const message = error instanceof Error ? error.message : String(error);
      await prisma.outboxEmail.updateMany({
        where: { id: row.id },
        data: {
          lastError: message.slice(0, 500),
          ...(attempts >= MAX_ATTEMPTS ? { status: "failed" } : {}),
        },
      });
    }
  }
  return { sent, failed };
}

// ---------------------------------------------------------------- worker

let timer: NodeJS.Timeout | undefined;
let running: Promise<unknown> | undefined;
let kicked: NodeJS.Timeout | undefined;
let lastRunEnded = 0;

/**
 * At most one delivery pass at a time, and kicks are coalesced to one pass per
 * KICK_SPACING_MS: during a ticket-sale burst the outbox fills quickly and is
 * drained in batches, leaving the CPU to the buyers (the mail goes out a few
 * seconds later, never lost).
 */
const KICK_SPACING_MS = 1_000;

function runOnce() {
  if (running) return running;
  running = deliverDueEmails()
    .catch((e: unknown) => console.error("email worker:", e instanceof Error ? e.message : e))
    .finally(() => {
      running = undefined;
      lastRunEnded = Date.now();
    });
  return running;
}

/** Ask the worker to look at the outbox soon (called after enqueueing). */
export function kickEmailWorker() {
  if (!timer || kicked) return;
  const wait = Math.max(0, lastRunEnded + KICK_SPACING_MS - Date.now());
  kicked = setTimeout(() => {
    kicked = undefined;
    void runOnce().then(() => {
      // A full batch means more is waiting: come back for it.
      void prisma.outboxEmail
        .count({ where: { status: "pending", nextAttemptAt: { lte: new Date() } } })
        .then((n) => (n > 0 ? kickEmailWorker() : undefined))
        .catch(() => undefined);
    });
  }, wait);
  kicked.unref();
}

export function startEmailWorker(intervalMs = 5_000) {
  if (timer) return;
  timer = setInterval(() => void runOnce(), intervalMs);
  timer.unref();
  void runOnce();
}

/** Stop polling and wait for a delivery in progress to finish. */
export async function stopEmailWorker() {
  if (timer) clearInterval(timer);
  if (kicked) clearTimeout(kicked);
  timer = undefined;
  kicked = undefined;
  await running;
}
