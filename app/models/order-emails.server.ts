// Emails organisers send on demand (decision 0049): an order's tickets again
// (the buyer lost the email), and a template's test to themselves. Both go
// through the outbox (app/utils/change.server.ts) with their audit row in the
// same write, and both are rate-limited (app/utils/rate-limit.server.ts).
import { PREVIEWED_TEMPLATES, type TemplateName } from "../../emails/index";
import { sampleData } from "../../emails/samples";
import type { CurrentUser } from "~/utils/auth.server";
import { changeStatements } from "~/utils/change.server";
import { sqlClient } from "~/utils/db.server";
import { DomainError, FieldRulesError } from "~/utils/domain-error";
import { kickEmailWorker } from "~/utils/email.server";
import { previewDocument } from "~/utils/email-preview.server";
import { renderInThread } from "~/utils/email-render.server";
import { publicUrl } from "~/utils/env.server";
import { isLocale, type Locale } from "~/utils/i18n";
import { rateLimits } from "~/utils/rate-limit.server";

/**
 * Send an order's tickets again — the same ticket email (QR codes, short codes,
 * calendar file) to the order's own address, never another. Refused (409,
 * nothing written) for an order with no address any more (erased) or no
 * tickets to send (pending, cancelled, refunded); 429 past the limits.
 */
export async function resendOrderTickets(actor: CurrentUser, orderId: string, now = new Date()) {
  const { rows } = await sqlClient().execute({
    sql: `SELECT o.id, o.festivalId, o.email, o.locale, o.status,
                 (SELECT COUNT(*) FROM Ticket t WHERE t.orderId = o.id AND t.status = 'valid') AS tickets
          FROM "Order" o WHERE o.id = ?`,
    args: [orderId],
  });
  const r = rows[0];
  if (!r) throw DomainError.notFound("No such order.");
  if (r.email === null || String(r.email) === "")
    throw DomainError.conflict("no_email", "This order has no email address any more.");
  if ((r.status !== "confirmed" && r.status !== "paid") || Number(r.tickets) === 0)
    throw DomainError.conflict("invalid_state", "This order has no valid tickets to send.");
  await rateLimits.orderResend(actor.id, orderId);
  const locale: Locale = isLocale(r.locale) ? r.locale : "en";
  await sqlClient().batch(
    changeStatements(
      {
        emails: {
          to: String(r.email),
          template: "order-confirmation",
          locale,
          data: { orderId },
        },
        audit: {
          actorUserId: actor.id,
          action: "order.tickets.resend",
          targetType: "order",
          targetId: orderId,
          festivalId: String(r.festivalId),
          details: { tickets: Number(r.tickets) },
        },
      },
      now,
    ),
    "write",
  );
  kickEmailWorker();
  return { sentTo: String(r.email) };
}

export function isPreviewedTemplate(name: string): name is TemplateName {
  return (PREVIEWED_TEMPLATES as string[]).includes(name);
}

/**
 * A template rendered with its sample data (emails/samples.ts: nobody's real
 * order) in a language, for the organisers' previews: its subject, text part,
 * attachments, and its HTML as a preview document (images inlined, its own
 * strict policy). An unknown template or language is a 404, not a guess.
 */
export async function emailPreview(template: string, lang: string) {
  if (!isPreviewedTemplate(template) || !isLocale(lang))
    throw new DomainError(404, "not_found", "No such email template or language.");
  const email = await renderInThread(template, lang, sampleData(template, lang, publicUrl()));
  return {
    template,
    lang,
    subject: email.subject,
    text: email.text,
    attachments: email.attachments.map((a) => ({ filename: a.filename, type: a.contentType })),
    document: previewDocument(email.html, email.attachments),
  };
}

/**
 * A template's test with its sample data, to the organiser's own address (no
 * other can be given), in a language of the catalog. 422 for an unknown
 * template or language, 429 past the limit.
 */
export async function sendTestEmail(
  actor: CurrentUser,
  template: string,
  locale: string,
  now = new Date(),
) {
  if (!isPreviewedTemplate(template)) throw new FieldRulesError({ template: "v.invalid" });
  if (!isLocale(locale)) throw new FieldRulesError({ lang: "v.invalid" });
  await rateLimits.testEmail(actor.id);
  await sqlClient().batch(
    changeStatements(
      {
        emails: { to: actor.email, template: "test-email", locale, data: { template } },
        audit: {
          actorUserId: actor.id,
          action: "email.test",
          targetType: "emailTemplate",
          targetId: template,
          details: { locale },
        },
      },
      now,
    ),
    "write",
  );
  kickEmailWorker();
  return { sentTo: actor.email };
}
