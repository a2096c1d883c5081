// An email's HTML made safe to show inside a page (decision 0049): the
// organisers' preview of every template (admin.emails.tsx) and the development
// mailbox (/dev/mail). Inline images (`cid:`) become data: URIs of their
// attachments, and the document gets a strict Content-Security-Policy of its
// own (no scripts, no network: images from data: only). It is served as a
// document of its own (admin.emails.preview.ts, dev.mail.preview.ts) under that
// policy, framed only by this site, in a sandboxed iframe
// (components/email-frame.tsx): a `srcdoc` frame would inherit the page's
// policy, which refuses the inline styles every email is made of.

/** What an attachment needs to be inlined (Buffers from the renderer, or mailparser's). */
export type InlineAttachment = {
  cid?: string;
  contentId?: string;
  contentType: string;
  content: Buffer | Uint8Array;
};

const PREVIEW_CSP =
  "default-src 'none'; img-src data:; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'";

/** Paths that serve an email preview document (server/index.ts gives them PREVIEW_POLICY). */
export const EMAIL_PREVIEW_PATHS = new Set(["/admin/emails/preview", "/dev/mail/preview"]);

/** The preview documents' own policy, as helmet directives: the strict one, framed by this site only. */
export const PREVIEW_POLICY = {
  defaultSrc: ["'none'"],
  imgSrc: ["data:"],
  styleSrc: ["'unsafe-inline'"],
  formAction: ["'none'"],
  baseUri: ["'none'"],
  frameAncestors: ["'self'"],
};

/** An email preview as the answer of its own route: HTML, never cached, never sniffed. */
export function previewResponse(document: string): Response {
  return new Response(document, {
    headers: { "Content-Type": "text/html; charset=utf-8", "X-Robots-Tag": "noindex" },
  });
}

/** Only images are inlined; the attachment's content type is checked, never trusted as markup. */
const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

export function inlineCidImages(html: string, attachments: InlineAttachment[]) {
  const byCid = new Map<string, string>();
  for (const a of attachments) {
    const id = (a.cid ?? a.contentId ?? "").replace(/^<|>$/g, "");
    const type = a.contentType.split(";")[0]!.trim().toLowerCase();
    if (!id || !IMAGE_TYPES.has(type)) continue;
    byCid.set(id, `data:${type};base64,${Buffer.from(a.content).toString("base64")}`);
  }
  return html.replace(/(["'])cid:([^"']+)\1/g, (whole, quote: string, id: string) => {
    const uri = byCid.get(id);
    return uri ? `${quote}${uri}${quote}` : whole;
  });
}

/** The preview document: its own CSP first in <head> (as well as in its headers), images inlined. */
export function previewDocument(html: string, attachments: InlineAttachment[]) {
  const inlined = inlineCidImages(html, attachments);
  const meta = `<meta http-equiv="Content-Security-Policy" content="${PREVIEW_CSP}">`;
  if (/<head[^>]*>/i.test(inlined)) return inlined.replace(/<head[^>]*>/i, (h) => `${h}${meta}`);
  return `<!doctype html><html><head>${meta}</head><body>${inlined}</body></html>`;
}
