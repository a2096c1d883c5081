// Reads the .eml files written when no SMTP_URL is set (for /dev/mail).
import fs from "node:fs/promises";
import path from "node:path";
import { simpleParser } from "mailparser";
import { previewDocument } from "./email-preview.server";
import { mailFolder } from "./email.server";

export async function listDevMail(selected: string | null, limit = 50) {
  const files = (await fs.readdir(mailFolder()).catch(() => [] as string[]))
    .filter((f) => f.endsWith(".eml"))
    .sort()
    .reverse()
    .slice(0, limit);
  const open = selected && files.includes(selected) ? selected : files[0];
  return Promise.all(
    files.map(async (file) => {
      const parsed = await simpleParser(await fs.readFile(path.join(mailFolder(), file)));
      const to = parsed.to
        ? Array.isArray(parsed.to)
          ? parsed.to.map((a) => a.text).join(", ")
          : parsed.to.text
        : "";
      return {
        file,
        to,
        subject: parsed.subject ?? "",
        date: parsed.date?.toISOString() ?? "",
        text: file === open ? (parsed.text ?? "") : null,
        // The HTML part is shown in a frame from /dev/mail/preview (devMailPreview).
        hasHtml: file === open && typeof parsed.html === "string",
      };
    }),
  );
}

/**
 * The HTML part of one file of the folder, with its inline images, as a preview
 * document (email-preview.server.ts); null for a file that is not there (only
 * names listed in the folder are read) or has no HTML part.
 */
export async function devMailPreview(file: string | null): Promise<string | null> {
  const files = await fs.readdir(mailFolder()).catch(() => [] as string[]);
  if (!file || !file.endsWith(".eml") || !files.includes(file)) return null;
  const parsed = await simpleParser(await fs.readFile(path.join(mailFolder(), file)));
  return typeof parsed.html === "string" ? previewDocument(parsed.html, parsed.attachments) : null;
}
