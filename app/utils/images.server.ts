// Uploaded pictures (tattoo artists' portfolios and flash designs): read with a
// size cap, checked by their content (not their name or declared type), and
// stored re-encoded as WebP with no metadata at all — no EXIF (GPS, camera,
// dates), no XMP, no ICC — under DATA_DIR/media with random names. The route
// app/routes/media.$file.ts serves them. Decoding is done by sharp (libvips,
// shipped prebuilt inside its npm package).
import fs from "node:fs/promises";
import path from "node:path";
import type SharpModule from "sharp";
import type { Metadata, Sharp } from "sharp";
import { randomToken } from "./crypto.server";
import { DomainError } from "./domain-error";
import { getEnv } from "./env.server";
import { errorResponse } from "./http.server";
import { logger } from "./logger.server";

/** The largest picture accepted, in bytes (a phone photo is 2–8 MB). */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
/** An upload's whole body: the picture plus its form fields and multipart framing. */
export const MAX_UPLOAD_BODY_BYTES = MAX_IMAGE_BYTES + 256 * 1024;
/** The most pixels decoded (a 50-megapixel camera); a "pixel bomb" header claims far more. */
export const MAX_INPUT_PIXELS = 50_000_000;
/** The stored picture's longest side, and its thumbnail's. */
export const IMAGE_LONG_SIDE = 1600;
export const THUMB_LONG_SIDE = 400;
/** More fields than any upload form has. */
const MAX_UPLOAD_FIELDS = 30;

/** A stored file's name: random, WebP, nothing else (the media route accepts only this). */
export const MEDIA_FILE = /^[A-Za-z0-9_-]{22}(?:-t|-w\d{3,4})?\.webp$/;

/** The widths a festival poster is stored at (a srcset); none wider than the upload. */
export const POSTER_WIDTHS = [480, 960, 1600] as const;

/** A stored poster: files `<name>-w<width>.webp` for each of `widths`; the largest's size. */
export type StoredPoster = { name: string; widths: number[]; width: number; height: number };

/** A poster's file of one width. */
export const posterFile = (name: string, width: number) => `${name}-w${width}.webp`;

export type StoredImage = {
  file: string;
  thumbFile: string;
  width: number;
  height: number;
  bytes: number;
};

/** A picture refused: not an image of an accepted kind, unreadable, or too large. */
export class ImageRejectedError extends DomainError {
  constructor(status: 413 | 415 | 422, code: string, message: string) {
    super(status, code, message, { fields: { image: `v.image.${code}` } });
  }
}

const notAnImage = () =>
  new ImageRejectedError(
    415,
    "unsupported_image",
    "The file is not a JPEG, PNG or WebP picture (checked by its content, not its name).",
  );
const unreadable = () =>
  new ImageRejectedError(422, "invalid_image", "The picture is damaged or cannot be read.");
const tooManyPixels = () =>
  new ImageRejectedError(
    422,
    "image_too_large",
    `The picture has too many pixels: at most ${MAX_INPUT_PIXELS / 1_000_000} megapixels.`,
  );
export const imageTooBig = () =>
  new ImageRejectedError(
    413,
    "payload_too_large",
    `The picture may be at most ${MAX_IMAGE_BYTES / 1024 / 1024} MB.`,
  );

export function mediaDir() {
  return path.join(getEnv().DATA_DIR, "media");
}

/** What the first bytes say the file is (magic numbers), or null for anything else. */
export function sniffImage(bytes: Uint8Array): "jpeg" | "png" | "webp" | null {
  const at = (i: number, ...values: number[]) => values.every((v, k) => bytes[i + k] === v);
  if (bytes.length >= 3 && at(0, 0xff, 0xd8, 0xff)) return "jpeg";
  if (bytes.length >= 8 && at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "png";
  // "RIFF" <size> "WEBP"
  if (bytes.length >= 12 && at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50))
    return "webp";
  return null;
}

let sharpModule: Promise<{ default: typeof SharpModule }> | undefined;

/**
 * sharp (libvips, some 20 MiB resident) is loaded on the first upload, not at start
 * (decision 0042, the memory budget), with libvips' operation cache off (each picture
 * is decoded once) and one libvips thread per pipeline.
 */
function loadSharp() {
  sharpModule ??= import("sharp").then((module) => {
    module.default.cache(false);
    module.default.concurrency(1);
    return module;
  });
  return sharpModule;
}

async function decoder(bytes: Buffer): Promise<Sharp> {
  const { default: sharp } = await loadSharp();
  // failOn "warning": a truncated or corrupt file is refused rather than half-decoded.
  return sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, failOn: "warning", pages: 1 });
}

function sharpFailure(error: unknown): ImageRejectedError {
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) return tooManyPixels();
  return unreadable();
}

/** The checks of `reencodeImage`: size, content (magic bytes and decoder agree), pixels. */
async function checkImage(bytes: Buffer): Promise<{ width: number; height: number }> {
  if (bytes.length > MAX_IMAGE_BYTES) throw imageTooBig();
  const sniffed = sniffImage(bytes);
  if (!sniffed) throw notAnImage();
  let meta: Metadata;
  try {
    meta = await (await decoder(bytes)).metadata();
  } catch (error) {
    throw sharpFailure(error);
  }
  if (meta.format !== sniffed) throw notAnImage();
  if (!meta.width || !meta.height) throw unreadable();
  if (meta.width * meta.height > MAX_INPUT_PIXELS) throw tooManyPixels();
  return { width: meta.width, height: meta.height };
}

/**
 * Check and re-encode a picture: its content must be JPEG, PNG or WebP (the
 * magic bytes and the decoder agree), within the pixel limit, and decode
 * without error. The result is turned upright by its EXIF orientation, scaled
 * down to `longSide` (default IMAGE_LONG_SIDE; and a THUMB_LONG_SIDE thumbnail) and written as WebP
 * with no metadata (sharp keeps none unless asked; converted to sRGB).
 */
export async function reencodeImage(bytes: Buffer, longSide = IMAGE_LONG_SIDE) {
  await checkImage(bytes);
  try {
    const upright = (await decoder(bytes)).rotate();
    const [main, thumb] = await Promise.all([
      upright
        .clone()
        .resize(longSide, longSide, { fit: "inside", withoutEnlargement: true })
        .webp({ quality: 82 })
        .toBuffer({ resolveWithObject: true }),
      upright
        .clone()
        .resize(THUMB_LONG_SIDE, THUMB_LONG_SIDE, { fit: "inside", withoutEnlargement: true })
        .webp({ quality: 75 })
        .toBuffer(),
    ]);
    return { main: main.data, thumb, width: main.info.width, height: main.info.height };
  } catch (error) {
    throw sharpFailure(error);
  }
}

/** Write a file whole or not at all (a temporary name, then a rename). */
export async function writeAtomically(file: string, data: Buffer) {
  const temp = `${file}.${randomToken(6)}.tmp`;
  await fs.writeFile(temp, data, { mode: 0o644 });
  await fs.rename(temp, file);
}

/**
 * Re-encode a picture and store it (and its thumbnail) under random names. The
 * caller records it in the database and calls `removeImageFiles` if that fails.
 */
export async function storeImage(bytes: Buffer): Promise<StoredImage> {
  const image = await reencodeImage(bytes);
  const dir = mediaDir();
  await fs.mkdir(dir, { recursive: true });
  const name = randomToken(16); // 22 characters of base64url
  const file = `${name}.webp`;
  const thumbFile = `${name}-t.webp`;
  try {
    await writeAtomically(path.join(dir, file), image.main);
    await writeAtomically(path.join(dir, thumbFile), image.thumb);
  } catch (error) {
    await removeImageFiles([file, thumbFile]);
    throw error;
  }
  return {
    file,
    thumbFile,
    width: image.width,
    height: image.height,
    bytes: image.main.length,
  };
}

/**
 * Check and re-encode a poster like any picture (WebP, no metadata, upright) at
 * each of POSTER_WIDTHS up to its own width (and at its own width when it is
 * narrower than all), and store the files under one random name.
 */
export async function storePoster(bytes: Buffer): Promise<StoredPoster> {
  const { width } = await checkImage(bytes);
  const widths: number[] = POSTER_WIDTHS.filter((w) => w <= width);
  if (widths.length === 0) widths.push(width);
  let encoded: { width: number; data: Buffer; height: number }[];
  try {
    const upright = (await decoder(bytes)).rotate();
    encoded = await Promise.all(
      widths.map(async (w) => {
        const out = await upright
          .clone()
          .resize({ width: w, withoutEnlargement: true })
          .webp({ quality: 80 })
          .toBuffer({ resolveWithObject: true });
        // Its real width (an EXIF-rotated picture may be narrower than asked).
        return { width: out.info.width, data: out.data, height: out.info.height };
      }),
    );
    encoded = encoded.filter((e, i) => encoded.findIndex((x) => x.width === e.width) === i);
  } catch (error) {
    throw sharpFailure(error);
  }
  const dir = mediaDir();
  await fs.mkdir(dir, { recursive: true });
  const name = randomToken(16);
  const files = encoded.map((e) => posterFile(name, e.width));
  try {
    for (const e of encoded)
      await writeAtomically(path.join(dir, posterFile(name, e.width)), e.data);
  } catch (error) {
    await removeImageFiles(files);
    throw error;
  }
  const largest = encoded[encoded.length - 1]!;
  return {
    name,
    widths: encoded.map((e) => e.width),
    width: largest.width,
    height: largest.height,
  };
}

/** Delete stored files (after the rows naming them are gone); missing files are fine. */
export async function removeImageFiles(files: string[]) {
  const dir = mediaDir();
  await Promise.all(
    files
      .filter((f) => MEDIA_FILE.test(f))
      .map((f) =>
        fs.rm(path.join(dir, f), { force: true }).catch((error: unknown) => {
          logger.error({ err: error, file: f }, "could not remove a media file");
        }),
      ),
  );
}

/** A stored file's bytes, or null when the name is not one of ours or the file is gone. */
export async function readMediaFile(name: string): Promise<Buffer | null> {
  if (!MEDIA_FILE.test(name)) return null;
  try {
    return await fs.readFile(path.join(mediaDir(), name));
  } catch {
    return null;
  }
}

/** The public address of a stored file. */
export function mediaUrl(file: string) {
  return `/media/${file}`;
}

const uploadTooLarge = () =>
  errorResponse(
    413,
    "payload_too_large",
    `The upload may be at most ${MAX_IMAGE_BYTES / 1024 / 1024} MB.`,
  );

/**
 * How much of a too-large upload is still read (and dropped) before the 413 is
 * sent, and for how long: a server that answers and closes while the client is
 * still sending makes the kernel reset the connection, and the browser then
 * shows "connection reset" instead of the answer. Past either bound the answer
 * goes out anyway. server/index.ts refuses declared bodies above DRAIN_BYTES at once.
 */
export const DRAIN_BYTES = 64 * 1024 * 1024;
const DRAIN_MS = 5_000;

/**
 * Read a body, keeping at most `maxBytes` of it: past that nothing more is
 * kept, the rest is read and dropped (within DRAIN_BYTES and DRAIN_MS), and the
 * answer is a 413 — for declared lengths and chunked bodies alike.
 */
async function readCapped(request: Request, maxBytes: number): Promise<Buffer> {
  if (!request.body) return Buffer.alloc(0);
  const declared = Number(request.headers.get("Content-Length") ?? "0");
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let over = declared > maxBytes;
  let deadline = over ? Date.now() + DRAIN_MS : Infinity;
  const giveUp = () => {
    reader.releaseLock();
    return uploadTooLarge();
  };
  for (;;) {
    if (over && (size > DRAIN_BYTES || Date.now() > deadline)) throw giveUp();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const next = over
      ? await Promise.race([
          reader.read(),
          new Promise<"late">((resolve) => {
            timer = setTimeout(() => resolve("late"), Math.max(0, deadline - Date.now()));
          }),
        ])
      : await reader.read();
    clearTimeout(timer);
    if (next === "late") throw giveUp();
    if (next.done) break;
    size += next.value.byteLength;
    if (!over && size > maxBytes) {
      over = true;
      chunks.length = 0;
      deadline = Date.now() + DRAIN_MS;
    }
    if (!over) chunks.push(next.value);
  }
  if (over) throw uploadTooLarge();
  return Buffer.concat(chunks);
}

/**
 * Read a form that may carry a picture (multipart, or a plain urlencoded form),
 * keeping at most MAX_UPLOAD_BODY_BYTES of the body (413 past it, also for
 * bodies that declare no Content-Length: never buffered whole).
 */
export async function readUploadForm(request: Request): Promise<FormData> {
  const type = request.headers.get("Content-Type") ?? "";
  if (!/^(multipart\/form-data|application\/x-www-form-urlencoded)\b/i.test(type))
    throw errorResponse(
      415,
      "unsupported_media_type",
      "Send the picture as multipart/form-data (field `image`).",
    );
  const body = await readCapped(request, MAX_UPLOAD_BODY_BYTES);
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(body), {
      headers: { "Content-Type": type },
    }).formData();
  } catch {
    throw errorResponse(400, "bad_form", "The form could not be read.");
  }
  let count = 0;
  for (const _ of form.keys())
    if (++count > MAX_UPLOAD_FIELDS)
      throw errorResponse(
        400,
        "too_many_fields",
        `The form has more than ${MAX_UPLOAD_FIELDS} fields.`,
      );
  return form;
}

/** The bytes of the form's file field `name`, or null when none was sent (an empty file input). */
export async function formFile(form: FormData, name = "image"): Promise<Buffer | null> {
  const value = form.get(name);
  if (value === null || typeof value === "string") return null;
  if (value.size === 0 && !value.name) return null;
  if (value.size > MAX_IMAGE_BYTES) throw imageTooBig();
  return Buffer.from(await value.arrayBuffer());
}
