// The door scanner's native path: the browser's BarcodeDetector. Linux
// Chromium has none that reads QR codes, so before the page loads an init
// script installs one that follows the Shape Detection API
// (getSupportedFormats / constructor({ formats }) / detect(source) →
// DetectedBarcode[]) with jsQR, loaded into the page from node_modules, as its
// decoding engine. The camera is Chromium's fake device playing a Y4M video
// of a ticket's QR code.
//
// 1. A detector that reads "qr_code": the scanner constructs it with
//    formats ["qr_code"], calls detect() with its <video>, and the ticket is
//    admitted; the app's own jsQR fallback never reads a canvas pixel.
// 2. A detector without "qr_code" (["ean_13"]): never constructed, never
//    asked; the app falls back to jsQR on canvas frames and still admits.
// 3. A detector whose detect() rejects on every frame (a phone that claims QR
//    support, then fails): after 5 rejected calls in a row the scanner gives
//    the detector up (a console warning, not an error) and reads the frames
//    with its own jsQR on a canvas, so the ticket in view is still admitted.
//
// qrVideo, the festival, tickets and devices come from door-fixtures.ts.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { TMP } from "../setup/paths";
import { browserPerTest, type BrowserSession } from "./browser";
import {
  admissibleTicket,
  fakeCameraArgs,
  newDevice,
  qrVideo,
  startDoorFestival,
  type DoorFestival,
} from "./door-fixtures";

/** jsQR's browser build: a UMD bundle that defines `window.jsQR` when no module system is around. */
const JSQR_BROWSER_BUILD = createRequire(import.meta.url).resolve("jsqr/dist/jsQR.js");
const EMAIL = "door-detector-e2e@example.test";

let door: DoorFestival;
let dir: string;
/** Console warnings of the page opened by the last openDoor. */
let warnings: string[] = [];
const browsers = browserPerTest();

type DetectorMode = "qr" | "no-qr" | "reject";

/** What the installed detector saw, read back with `page.evaluate(() => window.__detector)`. */
type DetectorLog = {
  mode: DetectorMode;
  supportedFormatsCalls: number;
  /** The `formats` option of every `new BarcodeDetector(...)`. */
  constructed: unknown[];
  /** Every detect() call (the first 500 are kept in `detectCalls`). */
  detectCount: number;
  /** getImageData calls made inside detect() (the detector's own decoding). */
  insideGetImageData: number;
  /** getImageData calls made anywhere else: the app's jsQR fallback. */
  outsideGetImageData: number;
  /** How many detect() calls had been made when the app first read pixels itself. */
  detectCountAtFirstOutside: number | null;
  firstHit: { rawValue: string; at: number } | null;
  lastHit: {
    rawValue: string;
    format: string;
    boundingBox: { x: number; y: number; width: number; height: number };
    cornerPoints: { x: number; y: number }[];
  } | null;
};

type DetectCall = {
  /** The source is an HTMLVideoElement … */
  video: boolean;
  /** … and it is the scanner's own <video class="door-video">. */
  doorVideo: boolean;
  readyState: number | null;
  width: number;
  height: number;
  rawValue: string | null;
  rejected: boolean;
};

/**
 * Runs in the page before any of its scripts (serialised by Playwright: it
 * must not use anything from this module). Installs `window.BarcodeDetector`
 * decoding with `window.jsQR`, and wraps getImageData to tell the detector's
 * pixel reads from the app's.
 */
function installBarcodeDetector(mode: DetectorMode) {
  type Point = { x: number; y: number };
  type JsQR = (
    data: Uint8ClampedArray,
    width: number,
    height: number,
    options?: { inversionAttempts?: string },
  ) => {
    data: string;
    location: {
      topLeftCorner: Point;
      topRightCorner: Point;
      bottomRightCorner: Point;
      bottomLeftCorner: Point;
    };
  } | null;
  type DetectedBarcode = {
    rawValue: string;
    format: string;
    boundingBox: DOMRectReadOnly;
    cornerPoints: Point[];
  };
  const w = window as unknown as {
    jsQR?: JsQR;
    __detector: DetectorLog;
    __detectCalls: DetectCall[];
    BarcodeDetector: unknown;
  };
  const log: DetectorLog = {
    mode,
    supportedFormatsCalls: 0,
    constructed: [],
    detectCount: 0,
    insideGetImageData: 0,
    outsideGetImageData: 0,
    detectCountAtFirstOutside: null,
    firstHit: null,
    lastHit: null,
  };
  w.__detector = log;
  w.__detectCalls = [];

  let inside = 0;
  const getImageData = CanvasRenderingContext2D.prototype.getImageData;
  CanvasRenderingContext2D.prototype.getImageData = function (
    this: CanvasRenderingContext2D,
    ...args: Parameters<CanvasRenderingContext2D["getImageData"]>
  ) {
    if (inside > 0) log.insideGetImageData++;
    else {
      log.outsideGetImageData++;
      log.detectCountAtFirstOutside ??= log.detectCount;
    }
    return getImageData.apply(this, args);
  } as CanvasRenderingContext2D["getImageData"];

  const supported = mode === "no-qr" ? ["ean_13"] : ["qr_code", "ean_13", "code_128"];
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d", { willReadFrequently: true });

  /** Draw the source and decode it, all synchronously: nothing else runs while `inside` is set. */
  function decodeNow(source: unknown): DetectedBarcode[] {
    let width: number;
    let height: number;
    if (source instanceof HTMLVideoElement) {
      // Shape Detection API: a video without a current frame has no barcodes.
      if (source.readyState < HTMLMediaElement.HAVE_CURRENT_DATA) return [];
      width = source.videoWidth;
      height = source.videoHeight;
    } else if (source instanceof HTMLImageElement) {
      width = source.naturalWidth;
      height = source.naturalHeight;
    } else if (
      source instanceof HTMLCanvasElement ||
      source instanceof ImageBitmap ||
      source instanceof OffscreenCanvas
    ) {
      width = source.width;
      height = source.height;
    } else if (source instanceof ImageData) {
      width = source.width;
      height = source.height;
    } else {
      throw new TypeError("BarcodeDetector.detect: not an ImageBitmapSource");
    }
    if (!width || !height || !ctx) return [];
    const jsQR = w.jsQR;
    if (!jsQR) throw new Error("jsQR is not loaded into the page");
    let data: Uint8ClampedArray;
    inside++;
    try {
      if (source instanceof ImageData) {
        data = source.data;
      } else {
        if (canvas.width !== width) canvas.width = width;
        if (canvas.height !== height) canvas.height = height;
        ctx.drawImage(source as CanvasImageSource, 0, 0, width, height);
        data = ctx.getImageData(0, 0, width, height).data;
      }
    } finally {
      inside--;
    }
    const code = jsQR(data, width, height, { inversionAttempts: "attemptBoth" });
    if (!code) return [];
    const l = code.location;
    const cornerPoints = [
      l.topLeftCorner,
      l.topRightCorner,
      l.bottomRightCorner,
      l.bottomLeftCorner,
    ].map((p) => ({ x: p.x, y: p.y }));
    const xs = cornerPoints.map((p) => p.x);
    const ys = cornerPoints.map((p) => p.y);
    const x = Math.min(...xs);
    const y = Math.min(...ys);
    const boundingBox = new DOMRectReadOnly(x, y, Math.max(...xs) - x, Math.max(...ys) - y);
    return [{ rawValue: code.data, format: "qr_code", boundingBox, cornerPoints }];
  }

  class BarcodeDetector {
    // Not a #private field: the function is serialised as it was compiled.
    readonly formats: string[];

    static getSupportedFormats(): Promise<string[]> {
      log.supportedFormatsCalls++;
      return Promise.resolve([...supported]);
    }

    constructor(options?: { formats?: string[] }) {
      log.constructed.push(options?.formats === undefined ? null : [...options.formats]);
      const formats = options?.formats;
      if (formats !== undefined && formats.length === 0)
        throw new TypeError("BarcodeDetector: formats must not be empty");
      if (formats?.includes("unknown"))
        throw new TypeError("BarcodeDetector: 'unknown' is not a barcode format");
      this.formats = formats ?? [...supported];
    }

    detect(source: unknown): Promise<DetectedBarcode[]> {
      log.detectCount++;
      const call: DetectCall = {
        video: source instanceof HTMLVideoElement,
        doorVideo: source instanceof HTMLVideoElement && source.classList.contains("door-video"),
        readyState: source instanceof HTMLVideoElement ? source.readyState : null,
        width: source instanceof HTMLVideoElement ? source.videoWidth : 0,
        height: source instanceof HTMLVideoElement ? source.videoHeight : 0,
        rawValue: null,
        rejected: false,
      };
      if (w.__detectCalls.length < 500) w.__detectCalls.push(call);
      if (mode === "reject") {
        call.rejected = true;
        return Promise.reject(
          new DOMException("Barcode detection service unavailable.", "NotSupportedError"),
        );
      }
      try {
        const barcodes = decodeNow(source);
        const found = this.formats.includes("qr_code") ? barcodes : [];
        call.rawValue = found[0]?.rawValue ?? null;
        if (found[0]) {
          const b = found[0];
          log.firstHit ??= { rawValue: b.rawValue, at: Date.now() };
          log.lastHit = {
            rawValue: b.rawValue,
            format: b.format,
            boundingBox: {
              x: b.boundingBox.x,
              y: b.boundingBox.y,
              width: b.boundingBox.width,
              height: b.boundingBox.height,
            },
            cornerPoints: b.cornerPoints,
          };
        }
        return Promise.resolve(found);
      } catch (e) {
        call.rejected = true;
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    }
  }

  Object.defineProperty(window, "BarcodeDetector", {
    value: BarcodeDetector,
    writable: true,
    configurable: true,
  });
}

/** A fresh Chromium whose camera shows `token`, with the given detector installed, on /door. */
async function openDoor(name: string, token: string, mode: DetectorMode) {
  const video = qrVideo(token, path.join(dir, `${name}.y4m`));
  const device = await newDevice(door, name);
  const session = await browsers.launch(door.app.url, { extraArgs: fakeCameraArgs(video) });
  const seen: string[] = (warnings = []);
  session.page.on("console", (msg) => {
    if (msg.type() === "warning") seen.push(msg.text());
  });
  // Order matters: jsQR first (the detector looks it up at detect() time anyway).
  await session.context.addInitScript({ path: JSQR_BROWSER_BUILD });
  await session.context.addInitScript(installBarcodeDetector, mode);
  await session.open(`/door#device=${device.token}`);
  await expect.poll(() => session.page.url()).toBe(`${door.app.url}/door`);
  return session;
}

function detectorLog(s: BrowserSession) {
  return s.page.evaluate(() => (window as unknown as { __detector: DetectorLog }).__detector);
}

function detectCalls(s: BrowserSession) {
  return s.page.evaluate(
    () => (window as unknown as { __detectCalls: DetectCall[] }).__detectCalls,
  );
}

function verdictOf(s: BrowserSession) {
  return s.page
    .locator(".door-verdict")
    .getAttribute("data-result", { timeout: 200 })
    .catch(() => null);
}

beforeAll(async () => {
  door = await startDoorFestival("Door detector festival");
  fs.mkdirSync(TMP, { recursive: true });
  dir = fs.mkdtempSync(path.join(TMP, "door-detector-"));
});

afterAll(async () => {
  await door?.app.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("door scanner with the browser's BarcodeDetector", () => {
  it("reads the ticket through BarcodeDetector.detect() on the video, without the jsQR fallback", async () => {
    const ticket = await admissibleTicket(door, EMAIL);
    const s = await openDoor("Door native", ticket.qrToken, "qr");

    await expect.poll(() => verdictOf(s), { timeout: 20_000 }).toBe("admitted");
    const verdictSeenAt = Date.now();
    const verdict = s.page.locator(".door-verdict");
    expect(await verdict.textContent()).toContain("Admitted");
    expect(await verdict.textContent()).toContain("Evening ticket");

    const log = await detectorLog(s);
    // The scanner asked which formats are supported and built a QR-only detector, once.
    expect(log.supportedFormatsCalls).toBeGreaterThanOrEqual(1);
    expect(log.constructed).toEqual([["qr_code"]]);
    // It handed detect() the scanner's own <video>, with a frame in it.
    const calls = await detectCalls(s);
    expect(calls.length).toBeGreaterThanOrEqual(1);
    for (const call of calls) {
      expect(call).toMatchObject({ video: true, doorVideo: true, rejected: false });
      expect(call.readyState).toBeGreaterThanOrEqual(2);
      expect(call.width).toBe(480);
    }
    // The detector decoded the ticket's token, before the verdict showed.
    expect(calls.map((c) => c.rawValue)).toContain(ticket.qrToken);
    expect(log.firstHit?.rawValue).toBe(ticket.qrToken);
    expect(log.firstHit!.at).toBeLessThanOrEqual(verdictSeenAt);
    expect(log.lastHit).toMatchObject({ rawValue: ticket.qrToken, format: "qr_code" });
    expect(log.lastHit!.cornerPoints).toHaveLength(4);
    expect(log.lastHit!.boundingBox.width).toBeGreaterThan(100);
    expect(log.lastHit!.boundingBox.height).toBeGreaterThan(100);
    // Pixels were read only inside detect(): the app's jsQR fallback never ran.
    expect(log.insideGetImageData).toBeGreaterThanOrEqual(1);
    expect(log.outsideGetImageData).toBe(0);

    const admitted = await prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } });
    expect(admitted.admittedAt).not.toBeNull();
    expect(admitted.admittedBy).toBe("Door native");
    expect(s.problems).toEqual([]);
  });

  it("falls back to jsQR on canvas frames when the detector cannot read QR codes", async () => {
    const ticket = await admissibleTicket(door, EMAIL);
    const s = await openDoor("Door fallback", ticket.qrToken, "no-qr");

    await expect.poll(() => verdictOf(s), { timeout: 20_000 }).toBe("admitted");
    expect(await s.page.locator(".door-verdict").textContent()).toContain("Admitted");

    const log = await detectorLog(s);
    expect(log.supportedFormatsCalls).toBeGreaterThanOrEqual(1);
    expect(log.constructed).toEqual([]);
    expect(log.detectCount).toBe(0);
    expect(log.insideGetImageData).toBe(0);
    // The app read the frames itself.
    expect(log.outsideGetImageData).toBeGreaterThanOrEqual(1);

    const admitted = await prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } });
    expect(admitted.admittedBy).toBe("Door fallback");
    expect(s.problems).toEqual([]);
  });

  it("gives up a detector whose detect() rejects on every frame and admits with jsQR", async () => {
    const ticket = await admissibleTicket(door, EMAIL);
    const s = await openDoor("Door failing", ticket.qrToken, "reject");
    await expect.poll(() => verdictOf(s), { timeout: 20_000 }).toBe("admitted");
    expect(await s.page.locator(".door-verdict").textContent()).toContain("Admitted");

    const log = await detectorLog(s);
    expect(log.constructed).toEqual([["qr_code"]]);
    // First the native detector, on the scanner's video, rejected every time…
    const calls = await detectCalls(s);
    expect(calls.length).toBeGreaterThanOrEqual(5);
    expect(calls.every((c) => c.rejected && c.doorVideo)).toBe(true);
    expect(log.insideGetImageData).toBe(0);
    // …then, only after at least 5 of them, the app read the frames itself,
    // and it did not go back to the detector.
    expect(log.detectCountAtFirstOutside).toBeGreaterThanOrEqual(5);
    expect(log.outsideGetImageData).toBeGreaterThanOrEqual(1);
    expect(log.detectCount).toBe(log.detectCountAtFirstOutside);
    // It says why it switched: a warning, not an error.
    await expect
      .poll(() => warnings.filter((w) => w.includes("BarcodeDetector keeps failing")).length)
      .toBe(1);

    const admitted = await prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } });
    expect(admitted.admittedAt).not.toBeNull();
    expect(admitted.admittedBy).toBe("Door failing");
    expect(
      await prisma.checkIn.findMany({ where: { ticketId: ticket.id }, select: { result: true } }),
    ).toEqual([{ result: "admitted" }]);
    expect(s.problems).toEqual([]);
  });
});
