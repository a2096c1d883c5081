// An email's HTML made safe to show inside a page (decision 0049): the
// organisers' preview of every template (admin.emails.tsx) and the development
// mailbox (/dev/mail). Inline images (`cid:`) become data: URIs of their
// attachments, and the document gets a strict Content-Security-Policy of its
// own (no scripts, no network: images from data: only) before it is shown in
// a sandboxed iframe's `srcdoc` (components/email-frame.tsx).

/** What an attachment needs to be inlined (Buffers from the renderer, or mailparser's). */
export type InlineAttachment = {
  cid?: string;
  contentId?: string;
  contentType: string;
  content: Buffer | Uint8Array;
};

const PREVIEW_CSP =
  "default-src 'none'; img-src data:; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'";

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

/** The document for the iframe's srcdoc: its own CSP first in <head>, images inlined. */
export function previewDocument(html: string, attachments: InlineAttachment[]) {
  const inlined = inlineCidImages(html, attachments);
  const meta = `<meta http-equiv="Content-Security-Policy" content="${PREVIEW_CSP}">`;
  if (/<head[^>]*>/i.test(inlined)) return inlined.replace(/<head[^>]*>/i, (h) => `${h}${meta}`);
  return `<!doctype html><html><head>${meta}</head><body>${inlined}</body></html>`;
}
