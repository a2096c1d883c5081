// Building an email from its template and loaded data: the HTML (React), the
// plain text, the attachments (QR images) and the whole MIME message. Pure CPU
// work, no database: it runs in the email render thread
// (app/utils/email-render.worker.ts), never on the event loop that answers requests.
import MailComposer from "nodemailer/lib/mail-composer";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { translator, type Locale } from "~/utils/i18n";
import { templates, type Attachment, type TemplateName } from "./index";

export type RenderedEmail = {
  subject: string;
  html: string;
  text: string;
  attachments: Attachment[];
};

/** Who the message is from and to, and any extra headers (e.g. X-Outbox-Id). */
export type Envelope = {
  from: string;
  to: string;
  headers?: Record<string, string>;
  /** A fixed Message-ID (without it nodemailer generates one). */
  messageId?: string;
};

export async function renderTemplate(
  template: TemplateName,
  locale: Locale,
  data: unknown,
): Promise<RenderedEmail> {
  const t = translator(locale);
  const tpl = templates[template];
  const html =
    "<!doctype html>" + renderToStaticMarkup(createElement(tpl.Html, { t, lang: locale, data }));
  return {
    subject: tpl.subject(t, data),
    html,
    text: tpl.text(t, data),
    attachments: tpl.attachments ? await tpl.attachments(data) : [],
  };
}

/** A built message and its SMTP envelope (bare addresses). */
export type ComposedMessage = {
  raw: Buffer;
  messageId: string;
  envelope: { from: string | false; to: string[] };
};

/** The complete message (RFC 5322, attachments encoded), ready to hand to SMTP as is. */
export async function composeMessage(
  content: RenderedEmail,
  envelope: Envelope,
): Promise<ComposedMessage> {
  const node = new MailComposer({
    from: envelope.from,
    to: envelope.to,
    subject: content.subject,
    html: content.html,
    text: content.text,
    attachments: content.attachments,
    headers: envelope.headers,
    ...(envelope.messageId ? { messageId: envelope.messageId } : {}),
  }).compile();
  const { from, to } = node.getEnvelope();
  return { raw: await node.build(), messageId: node.messageId(), envelope: { from, to } };
}
