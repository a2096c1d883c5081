// Receipts of festival costs (decision 0036): a PDF, or a photo or scan (JPEG,
// PNG, WebP), checked by its content — never its name or declared type — and
// at most 10 MB. Pictures go through the same checks and re-encoding as
// uploaded pictures (app/utils/images.server.ts: sharp decodes them, they are
// stored as WebP with no EXIF, GPS, XMP or ICC data), kept larger so the text
// stays legible; a PDF is stored as uploaded once it looks like one (header,
// trailer, no HTML where browsers sniff, no active content in the clear).
// Files live under DATA_DIR/receipts with random names and have no public
// address: app/routes/admin.festivals.$id.costs.$costId.receipt.ts serves them
// as downloads to festival:costs and treasury only.
import fs from "node:fs/promises";
import path from "node:path";
import { randomToken } from "./crypto.server";
import { DomainError } from "./domain-error";
import { getEnv } from "./env.server";
import { errorResponse } from "./http.server";
import {
  formFile,
  ImageRejectedError,
  MAX_IMAGE_BYTES,
  readUploadForm,
  reencodeImage,
  sniffImage,
  writeAtomically,
} from "./images.server";
import { logger } from "./logger.server";

/** The largest receipt accepted, in bytes (the same cap as pictures). */
export const MAX_RECEIPT_BYTES = MAX_IMAGE_BYTES;
/** A receipt photo's longest side once stored: larger than a portfolio picture, to keep small print legible. */
export const RECEIPT_LONG_SIDE = 2400;
/** A stored receipt's name: random, PDF or WebP, nothing else (the route accepts only this). */
export const RECEIPT_FILE = /^[A-Za-z0-9_-]{22}\.(?:pdf|webp)$/;

export type ReceiptType = "application/pdf" | "image/webp";
export type StoredReceipt = { file: string; type: ReceiptType; bytes: number };

/** A receipt refused: not a PDF or picture, damaged, empty or too large. */
export class ReceiptRejectedError extends DomainError {
  constructor(status: 413 | 415 | 422, code: string, message: string) {
    super(status, code, message, { fields: { receipt: `v.receipt.${code}` } });
  }
}

const notAReceipt = () =>
  new ReceiptRejectedError(
    415,
    "unsupported_receipt",
    "The receipt must be a PDF, JPEG, PNG or WebP file (checked by its content, not its name).",
  );
const damaged = () =>
  new ReceiptRejectedError(422, "invalid_receipt", "The receipt is damaged or cannot be read.");
const empty = () => new ReceiptRejectedError(422, "empty_receipt", "The receipt file is empty.");
const tooBig = () =>
  new ReceiptRejectedError(
    413,
    "payload_too_large",
    `The receipt may be at most ${MAX_RECEIPT_BYTES / 1024 / 1024} MB.`,
  );
const activePdf = () =>
  new ReceiptRejectedError(
    422,
    "active_pdf",
    "The PDF carries scripts, launch actions or attached files: print it to a plain PDF, or upload a photo.",
  );

export function receiptsDir() {
  return path.join(getEnv().DATA_DIR, "receipts");
}

/** What the first bytes say the file is, or null for anything else. */
export function sniffReceipt(bytes: Uint8Array): "pdf" | "jpeg" | "png" | "webp" | null {
  const image = sniffImage(bytes);
  if (image) return image;
  // "%PDF-" and a version digit: the header PDF readers look for.
  if (
    bytes.length >= 8 &&
    Buffer.from(bytes.subarray(0, 6))
      .toString("latin1")
      .match(/^%PDF-\d/)
  )
    return "pdf";
  return null;
}

/** Where browsers sniff for markup: a PDF showing any of this there is a polyglot. */
const MARKUP = /<(?:!doctype|html|head|body|script|iframe|svg|img|object|embed|meta|a\s)/i;
/**
 * PDF names of active content: JavaScript, launching programs, embedded files,
 * rich media. Only what is visible in the clear (objects outside streams; not
 * inside compressed object streams): the file is never rendered by the app, and a downloaded receipt
 * with such names is refused rather than trusted.
 */
const ACTIVE_PDF = /\/(?:JavaScript|JS|Launch|EmbeddedFile|EmbeddedFiles|RichMedia)(?![A-Za-z0-9])/;
/** A PDF name written with #xx escapes ("/J#61vaScript") is read as its plain spelling. */
const unescapeNames = (text: string) =>
  text.replace(/#([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));

function checkPdf(bytes: Buffer) {
  // A complete file ends with %%EOF (allowing trailing whitespace or junk a few
  // bytes long); one cut off in transfer does not.
  const tail = bytes.subarray(Math.max(0, bytes.length - 1024)).toString("latin1");
  if (!tail.includes("%%EOF")) throw damaged();
  const head = bytes.subarray(0, 1024).toString("latin1");
  if (MARKUP.test(head) || MARKUP.test(tail)) throw notAReceipt();
  // Outside stream data (binary, where any three bytes may spell "/JS").
  const objects = bytes.toString("latin1").replace(/\bstream\r?\n[\s\S]*?\bendstream\b/g, " ");
  if (ACTIVE_PDF.test(unescapeNames(objects))) throw activePdf();
}

/** A picture refusal (images.server.ts) as a receipt's, on the receipt field. */
function asReceiptError(error: unknown): unknown {
  if (!(error instanceof ImageRejectedError)) return error;
  if (error.code === "payload_too_large") return tooBig();
  if (error.code === "unsupported_image") return notAReceipt();
  if (error.code === "image_too_large")
    return new ReceiptRejectedError(422, "image_too_large", error.message);
  return damaged();
}

/**
 * Check a receipt by its content and give what is stored: a picture
 * re-encoded without metadata (WebP), or the PDF as it came.
 */
export async function prepareReceipt(bytes: Buffer): Promise<{ data: Buffer; type: ReceiptType }> {
  if (bytes.length === 0) throw empty();
  if (bytes.length > MAX_RECEIPT_BYTES) throw tooBig();
  const kind = sniffReceipt(bytes);
  if (!kind) throw notAReceipt();
  if (kind === "pdf") {
    checkPdf(bytes);
    return { data: bytes, type: "application/pdf" };
  }
  try {
    const image = await reencodeImage(bytes, RECEIPT_LONG_SIDE);
    return { data: image.main, type: "image/webp" };
  } catch (error) {
    throw asReceiptError(error);
  }
}

/**
 * Check a receipt and store it under a random name. The caller records it in
 * the database and calls `removeReceiptFile` if that fails.
 */
export async function storeReceipt(bytes: Buffer): Promise<StoredReceipt> {
  const receipt = await prepareReceipt(bytes);
  const dir = receiptsDir();
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const file = `${randomToken(16)}.${receipt.type === "application/pdf" ? "pdf" : "webp"}`;
  await writeAtomically(path.join(dir, file), receipt.data);
  return { file, type: receipt.type, bytes: receipt.data.length };
}

/** Delete a stored receipt (after the row naming it is gone, or was never written). */
export async function removeReceiptFile(file: string | null | undefined) {
  if (!file || !RECEIPT_FILE.test(file)) return;
  await fs.rm(path.join(receiptsDir(), file), { force: true }).catch((error: unknown) => {
    logger.error({ err: error, file }, "could not remove a receipt file");
  });
}

/** A stored receipt's bytes, or null when the name is not one of ours or the file is gone. */
export async function readReceiptFile(file: string): Promise<Buffer | null> {
  if (!RECEIPT_FILE.test(file)) return null;
  try {
    return await fs.readFile(path.join(receiptsDir(), file));
  } catch {
    return null;
  }
}

/**
 * Read a form that may carry a receipt (multipart, or urlencoded without one),
 * with the upload's size cap (413 past it, also for bodies with no length).
 */
export async function readReceiptForm(request: Request): Promise<FormData> {
  const type = request.headers.get("Content-Type") ?? "";
  if (!/^(multipart\/form-data|application\/x-www-form-urlencoded)\b/i.test(type))
    throw errorResponse(
      415,
      "unsupported_media_type",
      "Send the cost as JSON, or as multipart/form-data with the file in the field `receipt`.",
    );
  try {
    return await readUploadForm(request);
  } catch (error) {
    // The upload's 413 speaks of a picture: say receipt.
    if (error instanceof Response && error.status === 413)
      throw errorResponse(413, "payload_too_large", tooBig().message);
    throw error;
  }
}

/** The bytes of the form's `receipt` file, or null when none was chosen. */
export async function receiptFromForm(form: FormData): Promise<Buffer | null> {
  const value = form.get("receipt");
  // A file input left empty sends a part with no name and no bytes.
  if (value instanceof File && value.size === 0 && value.name) throw empty();
  try {
    return await formFile(form, "receipt");
  } catch (error) {
    throw asReceiptError(error);
  }
}

/** What a download of a stored receipt is called (never the uploader's file name). */
export function receiptDownloadName(costId: string, type: string) {
  return `receipt-${costId}.${type === "application/pdf" ? "pdf" : "webp"}`;
}
