// The door scanner in a real Chromium whose camera is a fake device playing a
// Y4M video of a ticket's QR code (generated here from the token): the page
// reads the code and says "admitted"; seen again after the debounce it says
// "already admitted"; with the network cut it opens from its service worker,
// still admits another valid ticket (signature checked on the phone), shows
// the offline banner with one queued scan, and uploads it when the network
// returns.
import fs from "node:fs";
import path from "node:path";
import QRCode from "qrcode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { apiToken, createUserRow, festivalBody } from "../helpers/fixtures";
import { TMP } from "../setup/paths";
import { launchBrowser, type BrowserSession } from "./browser";

let app: TestApp;
let client: Client;
let organiserToken: string;
let festivalId: string;
let typeId: string;
let session: BrowserSession | undefined;

/**
 * A YUV4MPEG2 video (4:2:0) that shows one QR code, still, for a second at 10 fps;
 * Chromium's fake camera loops it. Black modules luma 16, white 235, no colour.
 */
function qrVideo(text: string, file: string, size = 480) {
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

/** A ticket whose door payment is settled, so it can be admitted. */
async function admissibleTicket() {
  const res = await client.api("POST", `/api/v1/festivals/${festivalId}/orders`, {
    items: [{ ticketTypeId: typeId, quantity: 1 }],
    email: "door-e2e@example.test",
    paymentMethod: "door",
  });
  expect(res.status, res.text).toBe(201);
  const order = res.json<{ id: string; tickets: { id: string; qrToken: string }[] }>();
  await prisma.ticket.updateMany({ where: { orderId: order.id }, data: { amountDueMinor: 0 } });
  return order.tickets[0]!;
}

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  client = new Client(app.url);
  const admin = await createUserRow({ role: "admin" });
  organiserToken = await apiToken(app.url, admin.email);
  const f = await client.api(
    "POST",
    "/api/v1/festivals",
    festivalBody({ name: "Door test festival", paymentMethods: ["door"] }),
    organiserToken,
  );
  expect(f.status, f.text).toBe(201);
  festivalId = f.json<{ id: string }>().id;
  await client.api("POST", `/api/v1/festivals/${festivalId}/publish`, undefined, organiserToken);
  const t = await client.api(
    "POST",
    `/api/v1/festivals/${festivalId}/ticket-types`,
    { name: { en: "Evening ticket", ru: "Вечерний билет" }, priceMinor: 1500, capacity: 100 },
    organiserToken,
  );
  expect(t.status, t.text).toBe(201);
  typeId = t.json<{ id: string }>().id;
});

afterAll(async () => {
  await session?.close();
  await app?.close();
});

describe("door scanner with a camera", () => {
  it("admits, refuses the second time, admits offline and syncs later", async () => {
    const first = await admissibleTicket();
    const second = await admissibleTicket();
    const dir = fs.mkdtempSync(path.join(TMP, "door-video-"));
    const video = path.join(dir, "camera.y4m");
    qrVideo(first.qrToken, video);

    const dev = await client.api(
      "POST",
      `/api/v1/festivals/${festivalId}/door-devices`,
      { name: "Door 1" },
      organiserToken,
    );
    expect(dev.status, dev.text).toBe(201);
    const device = dev.json<{ token: string; setupUrl: string }>();
    expect(device.setupUrl).toContain(`/door#device=${device.token}`);

    session = await launchBrowser(app.url, {
      extraArgs: [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        `--use-file-for-fake-video-capture=${video}`,
      ],
    });
    const { page, context, problems } = session;
    await session.open(`/door#device=${device.token}`);

    // The token left the address bar and lives in the device's storage.
    await expect.poll(() => page.url()).toBe(`${app.url}/door`);
    expect(await page.evaluate(() => localStorage.getItem("door.device"))).toBe(device.token);

    // 1. The camera reads the first ticket: admitted, on screen and in the database.
    const verdict = page.locator(".door-verdict");
    await expect
      .poll(() => verdict.getAttribute("data-result").catch(() => null), { timeout: 20_000 })
      .toBe("admitted");
    expect(await verdict.textContent()).toContain("Admitted");
    expect(await verdict.textContent()).toContain("Evening ticket");
    await session.screenshot("door-admitted");
    const admitted = await prisma.ticket.findUniqueOrThrow({ where: { id: first.id } });
    expect(admitted.admittedAt).not.toBeNull();
    expect(admitted.admittedBy).toBe("Door 1");

    // 2. Staff tap the verdict away; the same code, still in view, is read again
    //    after the debounce and refused.
    await verdict.click();
    await expect
      .poll(() => verdict.getAttribute("data-result").catch(() => null), { timeout: 20_000 })
      .toBe("already_admitted");
    expect(await verdict.textContent()).toContain("Already admitted");
    expect(await verdict.textContent()).toContain("Door 1");
    expect(
      await prisma.checkIn.count({ where: { ticketId: first.id, result: "already_admitted" } }),
    ).toBeGreaterThanOrEqual(1);
    await verdict.click();

    // The manifest is stored for offline use and the service worker has the page.
    await expect
      .poll(() =>
        page.evaluate(() => {
          const m = JSON.parse(localStorage.getItem("door.manifest") ?? "null") as {
            admitted: string[];
          } | null;
          return m?.admitted ?? [];
        }),
      )
      .toContain(first.id);
    await expect.poll(() => page.locator('[data-counter="checkedIn"]').textContent()).toBe("1");
    await expect
      .poll(
        () =>
          page.evaluate(async () => {
            await navigator.serviceWorker.ready;
            return Boolean(await caches.match("/door"));
          }),
        { timeout: 20_000 },
      )
      .toBe(true);

    // 3. The network goes; the camera now sees another valid ticket. The page
    //    reopens from the service worker and decides on the phone.
    const next = path.join(dir, "next.y4m");
    qrVideo(second.qrToken, next);
    fs.renameSync(next, video); // a new camera stream opens the new file
    await context.setOffline(true);
    await page.reload();
    await session.hydrated();
    await page.getByTestId("door-offline").waitFor({ state: "visible" });
    await expect
      .poll(() => verdict.getAttribute("data-result").catch(() => null), { timeout: 20_000 })
      .toBe("admitted");
    expect(await verdict.textContent()).toContain("Decided offline");
    await verdict.click();
    await session.screenshot("door-offline");
    expect(await page.getByTestId("door-queue").textContent()).toBe("1 scan waiting to upload");
    expect(
      (await prisma.ticket.findUniqueOrThrow({ where: { id: second.id } })).admittedAt,
      "not on the server yet",
    ).toBeNull();

    // 4. The network returns: the queued scan is uploaded and recorded as offline.
    await context.setOffline(false);
    await expect
      .poll(() => prisma.checkIn.findFirst({ where: { ticketId: second.id } }), { timeout: 20_000 })
      .toMatchObject({ offline: true, result: "admitted" });
    expect((await prisma.ticket.findUniqueOrThrow({ where: { id: second.id } })).admittedBy).toBe(
      "Door 1",
    );
    await page.getByTestId("door-offline").waitFor({ state: "detached" });
    await page.getByTestId("door-queue").waitFor({ state: "detached" });

    // In Russian (the header's language switch): the same ticket seen again is refused.
    await page.getByRole("button", { name: "Русский" }).click();
    await expect.poll(() => page.locator("html").getAttribute("lang")).toBe("ru");
    await session.hydrated();
    await expect
      .poll(() => verdict.getAttribute("data-result").catch(() => null), { timeout: 20_000 })
      .toBe("already_admitted");
    expect(await verdict.textContent()).toContain("Уже прошёл");
    expect(await page.getByRole("button", { name: /Вход/ }).count()).toBe(1);

    // No personal data on the device: no email or name in its storage.
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }));
    expect(stored).not.toContain("door-e2e@example.test");

    expect(problems).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
