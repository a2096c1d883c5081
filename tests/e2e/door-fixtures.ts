// Shared by the door scanner's browser tests (door-scanner.test.ts,
// door-barcode-detector.test.ts): a fake camera video of a QR code, the app
// with a published festival selling a pay-at-the-door ticket type, orders and
// door devices made through the public API, and what the phone has stored.
import fs from "node:fs";
import QRCode from "qrcode";
import type { Page } from "playwright-core";
import { expect } from "vitest";
import { prisma } from "~/utils/db.server";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import {
  apiToken,
  buyDoorTicket,
  createUserRow,
  doorFestival,
  type DoorTicket,
} from "../helpers/fixtures";

/** Ticket ids the phone's stored manifest lists as admitted (poll it to wait for a refresh). */
export function storedAdmitted(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const m = JSON.parse(localStorage.getItem("door.manifest") ?? "null") as {
      admitted: string[];
    } | null;
    return m?.admitted ?? [];
  });
}

/**
 * A YUV4MPEG2 video (4:2:0) that shows one QR code, still, for a second at 10 fps;
 * Chromium's fake camera loops it. Black modules luma 16, white 235, no colour.
 */
export function qrVideo(text: string, file: string, size = 480) {
  const qr = QRCode.create(text, { errorCorrectionLevel: "M" });
  const n = qr.modules.size;
  const quiet = 4;
  const px = Math.floor(size / (n + 2 * quiet));
  expect(px, "QR modules of at least 3 pixels").toBeGreaterThanOrEqual(3);
  const offset = Math.floor((size - n * px) / 2);
  const y = Buffer.alloc(size * size, 235);
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      if (!qr.modules.get(row, col)) continue;
      for (let dy = 0; dy < px; dy++) {
        const start = (offset + row * px + dy) * size + offset + col * px;
        y.fill(16, start, start + px);
      }
    }
  }
  const chroma = Buffer.alloc((size / 2) * (size / 2), 128);
  const frame = Buffer.concat([Buffer.from("FRAME\n"), y, chroma, chroma]);
  const header = Buffer.from(`YUV4MPEG2 W${size} H${size} F10:1 Ip A1:1 C420jpeg\n`);
  fs.writeFileSync(file, Buffer.concat([header, ...Array.from({ length: 10 }, () => frame)]));
  return file;
}

/**
 * Chromium flags for a camera that needs no permission prompt: playing `video`
 * (a Y4M file), or without one Chromium's own moving test pattern (no QR code in it).
 */
export function fakeCameraArgs(video?: string) {
  return [
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    ...(video ? [`--use-file-for-fake-video-capture=${video}`] : []),
  ];
}

export type DoorFestival = {
  app: TestApp;
  /** An API client (no cookies needed: the organiser's calls carry a bearer token). */
  client: Client;
  organiserToken: string;
  festivalId: string;
  /** The pay-at-the-door ticket type. */
  typeId: string;
  /** Its English name, as verdicts show it. */
  typeName: string;
  /** Its price, in cents (EUR). */
  priceMinor: number;
};

/**
 * Start the app (rate limit off) and create, as an admin, a published festival
 * that takes payment at the door, with one ticket type "Evening ticket" at €15.00.
 */
export async function startDoorFestival(name: string): Promise<DoorFestival> {
  const app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  const client = new Client(app.url);
  const admin = await createUserRow({ role: "admin" });
  const organiserToken = await apiToken(app.url, admin.email);
  const typeName = "Evening ticket";
  const priceMinor = 1500;
  const { id: festivalId, typeId } = await doorFestival(client, organiserToken, {
    name,
    typeName: { en: typeName, ru: "Вечерний билет" },
    priceMinor,
  });
  return { app, client, organiserToken, festivalId, typeId, typeName, priceMinor };
}

export type { DoorTicket };

/**
 * One pay-at-the-door ticket of the festival (see buyDoorTicket); with
 * `paid: false` this also checks that the whole price is still due.
 */
export async function doorOrder(
  door: DoorFestival,
  options: { email: string; name?: string; paid?: boolean },
): Promise<DoorTicket> {
  const ticket = await buyDoorTicket(door.client, door.festivalId, door.typeId, options);
  if (options.paid === false)
    expect(
      (await prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } })).amountDueMinor,
    ).toBe(door.priceMinor);
  return ticket;
}

/** A ticket whose door payment is settled, so it can be admitted. */
export function admissibleTicket(door: DoorFestival, email: string) {
  return doorOrder(door, { email });
}

/** A door device of the festival, as the organiser adds it: its token and setup link. */
export async function newDevice(door: DoorFestival, name: string) {
  const dev = await door.client.api(
    "POST",
    `/api/v1/festivals/${door.festivalId}/door-devices`,
    { name },
    door.organiserToken,
  );
  expect(dev.status, dev.text).toBe(201);
  return dev.json<{ id: string; token: string; setupUrl: string }>();
}
