// Uploaded pictures, checked by content and stored re-encoded without metadata
// (app/utils/images.server.ts), with real files made by sharp here: a JPEG
// carrying GPS EXIF and a sideways orientation, a PNG with an ICC profile, a
// text file, an SVG, a GIF, a pixel bomb, a truncated JPEG, a polyglot, and an
// upload bigger than the cap read from a stream that never ends on its own.
import fs from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshTestEnv, type TestEnv } from "../helpers/env";
import { DomainError } from "~/utils/domain-error";
import {
  DRAIN_BYTES,
  MAX_IMAGE_BYTES,
  MAX_UPLOAD_BODY_BYTES,
  mediaDir,
  readMediaFile,
  readUploadForm,
  reencodeImage,
  removeImageFiles,
  sniffImage,
  storeImage,
} from "~/utils/images.server";

let env: TestEnv;
beforeAll(() => {
  env = freshTestEnv();
});
afterAll(() => fs.rmSync(env.dir, { recursive: true, force: true }));

/** A 1200×800 photo with GPS coordinates, a camera model and orientation 6 (shown rotated 90°). */
async function gpsJpeg() {
  return sharp({
    create: { width: 1200, height: 800, channels: 3, background: { r: 200, g: 40, b: 40 } },
  })
    .jpeg()
    .withExif({
      IFD0: { Make: "SpyCam", Model: "Model 7", Copyright: "Someone Real" },
      IFD3: {
        GPSLatitudeRef: "N",
        GPSLatitude: "56/1 57/1 0/1",
        GPSLongitudeRef: "E",
        GPSLongitude: "24/1 6/1 0/1",
      },
    })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

describe("what the file is, by its content", () => {
  it("the test JPEG really carries GPS EXIF and an orientation (so the strip test can fail)", async () => {
    const jpeg = await gpsJpeg();
    const meta = await sharp(jpeg).metadata();
    expect(meta.orientation).toBe(6);
    // The GPS IFD pointer (tag 0x8825, either byte order) and the camera's name are in the file.
    const exif = meta.exif!;
    expect(
      exif.includes(Buffer.from([0x88, 0x25])) || exif.includes(Buffer.from([0x25, 0x88])),
    ).toBe(true);
    expect(jpeg.includes(Buffer.from("SpyCam"))).toBe(true);
  });

  it("a JPEG with GPS EXIF is stored upright, resized, as WebP with no metadata at all", async () => {
    const stored = await storeImage(await gpsJpeg());
    const file = (await readMediaFile(stored.file))!;
    const thumb = (await readMediaFile(stored.thumbFile))!;
    for (const bytes of [file, thumb]) {
      const meta = await sharp(bytes).metadata();
      expect(meta.format).toBe("webp");
      expect(meta.exif).toBeUndefined();
      expect(meta.icc).toBeUndefined();
      expect(meta.xmp).toBeUndefined();
      expect(meta.orientation).toBeUndefined();
      expect(bytes.includes(Buffer.from("SpyCam"))).toBe(false);
      expect(bytes.includes(Buffer.from("Exif"))).toBe(false);
      expect(bytes.includes(Buffer.from("EXIF"))).toBe(false);
    }
    // Orientation 6 applied: the 1200×800 picture stands 800 wide, 1200 high.
    expect([stored.width, stored.height]).toEqual([800, 1200]);
    const thumbMeta = await sharp(thumb).metadata();
    expect(Math.max(thumbMeta.width!, thumbMeta.height!)).toBe(400);
    expect(stored.file).toMatch(/^[A-Za-z0-9_-]{22}\.webp$/);
    expect(stored.thumbFile).toBe(stored.file.replace(".webp", "-t.webp"));
    await removeImageFiles([stored.file, stored.thumbFile]);
    expect(fs.existsSync(path.join(mediaDir(), stored.file))).toBe(false);
    expect(fs.existsSync(path.join(mediaDir(), stored.thumbFile))).toBe(false);
  });

  it("a big PNG with an ICC profile is scaled to 1600 px and loses the profile", async () => {
    const png = await sharp({
      create: { width: 3000, height: 1000, channels: 4, background: "#33669988" },
    })
      .png()
      .withIccProfile("p3")
      .toBuffer();
    expect((await sharp(png).metadata()).icc).toBeDefined();
    const out = await reencodeImage(png);
    expect([out.width, out.height]).toEqual([1600, 533]);
    const meta = await sharp(out.main).metadata();
    expect(meta.format).toBe("webp");
    expect(meta.icc).toBeUndefined();
  });

  it("a WebP is accepted; a small picture is not enlarged", async () => {
    const webp = await sharp({
      create: { width: 300, height: 200, channels: 3, background: "#00ff00" },
    })
      .webp()
      .toBuffer();
    const out = await reencodeImage(webp);
    expect([out.width, out.height]).toEqual([300, 200]);
  });

  it("text named .jpg, an SVG, a GIF, a PDF and an empty file are refused as not an image (415)", async () => {
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>',
    );
    const gif = await sharp({
      create: { width: 10, height: 10, channels: 3, background: "#fff" },
    })
      .gif()
      .toBuffer();
    for (const bytes of [
      Buffer.from("just some text, named photo.jpg"),
      svg,
      gif,
      Buffer.from("%PDF-1.4\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n"),
      Buffer.alloc(0),
    ]) {
      const error = await refusal(reencodeImage(bytes));
      expect(error.status).toBe(415);
      expect(error.code).toBe("unsupported_image");
    }
  });

  it("a polyglot (JPEG magic bytes, then HTML) and a truncated JPEG are refused (422)", async () => {
    const polyglot = Buffer.concat([
      Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
      Buffer.from("<html><script>alert(1)</script></html>"),
    ]);
    const jpeg = await gpsJpeg();
    const truncated = jpeg.subarray(0, Math.floor(jpeg.length * 0.6));
    for (const bytes of [polyglot, truncated]) {
      const error = await refusal(reencodeImage(bytes));
      expect(error.status).toBe(422);
      expect(error.code).toBe("invalid_image");
    }
  });

  it("a PNG header claiming 100,000 × 100,000 pixels is refused before decoding (422)", async () => {
    const small = await sharp({
      create: { width: 1, height: 1, channels: 3, background: "#000" },
    })
      .png()
      .toBuffer();
    const bomb = Buffer.from(small);
    // IHDR width and height (bytes 16–23); the CRC no longer matches, which a bomb would fix.
    bomb.writeUInt32BE(100_000, 16);
    bomb.writeUInt32BE(100_000, 20);
    expect(sniffImage(bomb)).toBe("png");
    const error = await refusal(reencodeImage(bomb));
    expect(error.status).toBe(422);
    expect(["image_too_large", "invalid_image"]).toContain(error.code);
    // A real, valid bomb: a 9,000 × 9,000 PNG of one colour (81 MP, a few hundred kB).
    const real = await sharp({
      create: { width: 9000, height: 9000, channels: 3, background: "#000" },
      limitInputPixels: false,
    })
      .png({ compressionLevel: 9 })
      .toBuffer();
    expect(real.length).toBeLessThan(MAX_IMAGE_BYTES);
    const refused = await refusal(reencodeImage(real));
    expect(refused.status).toBe(422);
    expect(refused.code).toBe("image_too_large");
  });

  it("a file over 10 MB is refused (413) without decoding", async () => {
    const error = await refusal(reencodeImage(Buffer.alloc(MAX_IMAGE_BYTES + 1, 0xff)));
    expect(error.status).toBe(413);
  });

  it("a failed picture leaves no file in the media folder", async () => {
    fs.mkdirSync(mediaDir(), { recursive: true });
    const before = fs.readdirSync(mediaDir());
    await refusal(storeImage(Buffer.from("not an image")));
    expect(fs.readdirSync(mediaDir())).toEqual(before);
  });
});

describe("reading an upload with a cap", () => {
  /** A body streamed in 64 KiB chunks, `total` bytes (or endless), counting what was pulled. */
  function streamed(total: number) {
    const counter = { sent: 0 };
    const chunk = new Uint8Array(64 * 1024);
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (counter.sent >= total) return controller.close();
        counter.sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const request = new Request("http://app.test/api/v1/artists/x/images", {
      method: "POST",
      headers: { "Content-Type": "multipart/form-data; boundary=xyz" },
      body,
      duplex: "half",
    } as RequestInit);
    return { request, counter };
  }

  it("a 50 MB chunked body is refused with 413 (read to its end and dropped, never kept)", async () => {
    const { request, counter } = streamed(50 * 1024 * 1024);
    const thrown: unknown = await readUploadForm(request).then(
      () => null,
      (e: unknown) => e,
    );
    expect(thrown).toBeInstanceOf(Response);
    expect((thrown as Response).status).toBe(413);
    expect(await (thrown as Response).json()).toMatchObject({ error: "payload_too_large" });
    expect(counter.sent).toBe(50 * 1024 * 1024);
  });

  it("an endless body is refused once DRAIN_BYTES were read: the server stops reading", async () => {
    const { request, counter } = streamed(Number.POSITIVE_INFINITY);
    const thrown = await readUploadForm(request).catch((e: unknown) => e);
    expect((thrown as Response).status).toBe(413);
    expect(counter.sent).toBeGreaterThan(DRAIN_BYTES);
    expect(counter.sent).toBeLessThan(DRAIN_BYTES + MAX_UPLOAD_BODY_BYTES);
  });

  it("a declared Content-Length over the cap is a 413 whatever the body", async () => {
    const request = new Request("http://app.test/x", {
      method: "POST",
      headers: {
        "Content-Type": "multipart/form-data; boundary=xyz",
        "Content-Length": String(50 * 1024 * 1024),
      },
      body: "--xyz--",
    });
    const thrown = await readUploadForm(request).catch((e: unknown) => e);
    expect((thrown as Response).status).toBe(413);
  });

  it("a JSON body is not an upload (415)", async () => {
    const request = new Request("http://app.test/x", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{}",
    });
    const thrown = await readUploadForm(request).catch((e: unknown) => e);
    expect((thrown as Response).status).toBe(415);
  });
});

describe("stored names", () => {
  it("only our own names are read: traversal and other names are not", async () => {
    for (const name of ["../test.db", "..%2Ftest.db", "x.webp", "test.db", "a".repeat(22) + ".png"])
      expect(await readMediaFile(name)).toBeNull();
  });
});
