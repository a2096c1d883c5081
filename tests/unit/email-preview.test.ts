// An email's HTML made safe to show in a page (app/utils/email-preview.server.ts):
// what /dev/mail does with a stored message and the admin previews with a
// rendered one — inline (cid:) images become data: URIs of their attachments,
// only images, and the document carries its own strict CSP first in <head>.
import { simpleParser } from "mailparser";
import { describe, expect, it } from "vitest";
import { composeMessage, renderTemplate } from "../../emails/render";
import { sampleData } from "../../emails/samples";
import { inlineCidImages, previewDocument } from "~/utils/email-preview.server";

const PNG = Buffer.from("89504e470d0a1a0a", "hex");

describe("inlineCidImages", () => {
  it("inlines image attachments by cid, never other types, and leaves unknown cids", () => {
    const html =
      '<img src="cid:a@x"><img src=\'cid:b@x\'><img src="cid:page@x"><img src="cid:missing@x">';
    const out = inlineCidImages(html, [
      { cid: "a@x", contentType: "image/png", content: PNG },
      { contentId: "<b@x>", contentType: "image/jpeg; name=b.jpg", content: PNG },
      { cid: "page@x", contentType: "text/html", content: Buffer.from("<script>x</script>") },
    ]);
    expect(out).toContain(`src="data:image/png;base64,${PNG.toString("base64")}"`);
    expect(out).toContain(`src='data:image/jpeg;base64,${PNG.toString("base64")}'`);
    expect(out).toContain('src="cid:page@x"');
    expect(out).toContain('src="cid:missing@x"');
    expect(out).not.toContain("script");
  });
});

describe("previewDocument", () => {
  it("shows a real ticket email (as /dev/mail reads it back) with its QR images and a strict CSP", async () => {
    const rendered = await renderTemplate(
      "order-confirmation",
      "en",
      sampleData("order-confirmation", "en", "https://festival.example"),
    );
    const message = await composeMessage(rendered, {
      from: "Festival <no-reply@festival.example>",
      to: "buyer@example.org",
    });
    const parsed = await simpleParser(message.raw);
    const doc = previewDocument(String(parsed.html), parsed.attachments);
    expect(doc).not.toContain("cid:");
    expect(doc.match(/src="data:image\/png;base64,/g)).toHaveLength(2);
    const head = /<head[^>]*>([\s\S]*?)<\/head>/i.exec(doc)![1]!;
    expect(head.startsWith('<meta http-equiv="Content-Security-Policy"')).toBe(true);
    expect(head).toContain("default-src 'none'; img-src data:");
    // The calendar file is an attachment, not an image: it is not inlined.
    expect(parsed.attachments.some((a) => a.contentType === "text/calendar")).toBe(true);
    expect(doc).not.toContain("data:text/calendar");
  });

  it("wraps a fragment without a <head> in a document with the policy", () => {
    const doc = previewDocument("<p>Hello</p>", []);
    expect(doc).toMatch(/^<!doctype html><html><head><meta http-equiv="Content-Security-Policy"/);
    expect(doc).toContain("<body><p>Hello</p></body>");
  });
});
