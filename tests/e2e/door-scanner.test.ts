// The door scanner in a real Chromium whose camera is a fake device playing a
// Y4M video of a ticket's QR code (generated here from the token): the page
// reads the code and says "admitted"; seen again after the debounce it says
// "already admitted"; with the network cut it opens from its service worker,
// still admits another valid ticket (signature checked on the phone), shows
// the offline banner with one queued scan, and uploads it when the network
// returns.
//
// A second browser, phone-sized, whose fake camera shows Chromium's own test
// pattern (no QR code), drives the scans through manual code entry: a buyer
// without their phone found by name and admitted after paying cash; an
// admission undone online; offline, a ticket let out and back in on one phone,
// an offline admission undone before upload, an uploaded one that cannot be
// undone without the network, and search switched off; all of it uploaded
// when the network returns. Names and emails never reach the phone's storage.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { incomeOf } from "../helpers/ledger";
import { TMP } from "../setup/paths";
import { browserPerTest, PHONE } from "./browser";
import {
  admissibleTicket,
  doorOrder,
  fakeCameraArgs,
  newDevice,
  qrVideo,
  startDoorFestival,
  storedAdmitted,
  type DoorFestival,
} from "./door-fixtures";

let door: DoorFestival;
const browsers = browserPerTest();

beforeAll(async () => {
  door = await startDoorFestival("Door test festival");
});

afterAll(async () => {
  await door?.app.close();
});

describe("door scanner with a camera", () => {
  it("admits, refuses the second time, admits offline and syncs later", async () => {
    const first = await admissibleTicket(door, "door-e2e@example.test");
    const second = await admissibleTicket(door, "door-e2e@example.test");
    const dir = fs.mkdtempSync(path.join(TMP, "door-video-"));
    const video = path.join(dir, "camera.y4m");
    qrVideo(first.qrToken, video);

    const device = await newDevice(door, "Door 1");
    expect(device.setupUrl).toContain(`/door#device=${device.token}`);

    const session = await browsers.launch(door.app.url, { extraArgs: fakeCameraArgs(video) });
    const { page, context, problems } = session;
    await session.open(`/door#device=${device.token}`);

    // The token left the address bar and lives in the device's storage.
    await expect.poll(() => page.url()).toBe(`${door.app.url}/door`);
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
    await expect.poll(() => storedAdmitted(page)).toContain(first.id);
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
    // Staff see how old the phone's ticket list is (the last time the server confirmed it).
    expect(await page.getByTestId("door-list-age").textContent()).toMatch(
      /^Ticket list from \d{1,2}:\d{2}/,
    );
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
    // The camera still sees the code, so a verdict may cover the screen: staff tap it
    // away and reach for the switch before the next read.
    const russian = page.getByRole("button", { name: "Русский" });
    await expect
      .poll(
        async () => {
          if (await verdict.isVisible().catch(() => false))
            await verdict.click({ timeout: 1_000 }).catch(() => undefined);
          await russian.click({ timeout: 1_000 }).catch(() => undefined);
          return page.locator("html").getAttribute("lang");
        },
        { timeout: 20_000 },
      )
      .toBe("ru");
    await session.hydrated();
    await expect
      .poll(() => verdict.getAttribute("data-result").catch(() => null), { timeout: 20_000 })
      .toBe("already_admitted");
    expect(await verdict.textContent()).toContain("Уже прошёл");
    expect(await page.getByRole("button", { name: /Вход/ }).count()).toBe(1);

    // No personal data on the device: no email or name in its storage.
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }));
    expect(stored).not.toContain("door-e2e@example.test");

    // A request already on its way when the network went fails, and Chromium logs it;
    // the scanner answers it offline. Anything else is a problem.
    const cutOff = (p: { text: string }) => p.text.includes("net::ERR_INTERNET_DISCONNECTED");
    expect(problems.filter((p) => !cutOff(p))).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("on a phone without a QR in view: search and cash, undo, offline exit and re-entry", async () => {
    const buyerName = "Olga Doorsearchova";
    const buyerEmail = "door-search-buyer@example.test";
    // Due at the door, found by the buyer's name.
    const unpaid = await doorOrder(door, { email: buyerEmail, name: buyerName, paid: false });
    // Admitted by mistake, then undone online.
    const undoOnline = await admissibleTicket(door, "door-undo@example.test");
    // Admitted online, then goes out and comes back while the phone is offline.
    const reentry = await admissibleTicket(door, "door-reentry@example.test");
    // Admitted offline by mistake and undone before it is uploaded.
    const undoOffline = await admissibleTicket(door, "door-undo-offline@example.test");
    const device = await newDevice(door, "Door 2");

    // Chromium's own test pattern in the camera: it runs, but never shows a QR code.
    const session = await browsers.launch(door.app.url, {
      viewport: PHONE,
      extraArgs: fakeCameraArgs(),
    });
    const { page, context, problems } = session;
    await session.open(`/door#device=${device.token}`);
    await expect.poll(() => page.url()).toBe(`${door.app.url}/door`);
    await expect
      .poll(() => page.evaluate(() => localStorage.getItem("door.manifest") !== null))
      .toBe(true);
    const hint = page.locator(".door-camera-hint");
    await expect.poll(() => hint.textContent()).toBe("Point the camera at the ticket's QR code");

    const verdict = page.locator(".door-verdict");
    const result = () => verdict.getAttribute("data-result", { timeout: 200 }).catch(() => null);
    const dismiss = async () => {
      await page.getByRole("button", { name: "Tap to scan the next ticket" }).click();
      await verdict.waitFor({ state: "detached" });
    };
    /** Type a ticket's code by hand: the same path as a camera read. */
    const enterCode = async (code: string) => {
      await page.getByRole("textbox", { name: "Ticket code" }).fill(code);
      await page.getByRole("button", { name: "Check", exact: true }).click();
    };
    const queueText = () => page.getByTestId("door-queue").textContent();
    const undoButton = page.getByTestId("door-undo");
    const searchOpen = page.locator(".door-search-open");
    const ticketRow = (id: string) => prisma.ticket.findUniqueOrThrow({ where: { id } });
    /** localStorage and every IndexedDB store of the page, as one string. */
    const deviceStorage = () =>
      page.evaluate(async () => {
        const dump: Record<string, unknown> = { localStorage: { ...localStorage } };
        for (const info of await indexedDB.databases()) {
          if (!info.name) continue;
          const name = info.name;
          const db = await new Promise<IDBDatabase>((resolve, reject) => {
            const open = indexedDB.open(name);
            open.onsuccess = () => resolve(open.result);
            open.onerror = () => reject(open.error ?? new Error("open failed"));
          });
          for (const store of Array.from(db.objectStoreNames)) {
            dump[`indexedDB:${name}/${store}`] = await new Promise((resolve, reject) => {
              const all = db.transaction(store).objectStore(store).getAll();
              all.onsuccess = () => resolve(all.result);
              all.onerror = () => reject(all.error ?? new Error("getAll failed"));
            });
          }
          db.close();
        }
        return JSON.stringify(dump);
      });

    // a. Someone without their phone: found by name, pays cash, admitted.
    expect(await searchOpen.textContent()).toBe("Find by name or order code");
    await searchOpen.click();
    const searchSection = page.getByRole("region", { name: "Someone without their phone" });
    await searchSection.waitFor({ state: "visible" });
    // The minimum is said up front, and again when a search is too short (no request made).
    expect(await searchSection.textContent()).toContain(
      "At least 3 characters of a name or an order code.",
    );
    await page.getByRole("searchbox", { name: "Name or order code" }).fill("do");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await searchSection.getByText("Type at least 3 characters.").waitFor({ state: "visible" });
    await page.getByRole("searchbox", { name: "Name or order code" }).fill("doorsearch");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    const results = page.getByRole("list", { name: "Tickets found" });
    await results.waitFor({ state: "visible" });
    const found = results.getByRole("listitem");
    expect(await found.count()).toBe(1);
    const foundText = await found.textContent();
    expect(foundText).toContain(buyerName);
    expect(foundText).toContain(unpaid.orderCode);
    expect(foundText).toContain("Evening ticket");
    expect(foundText).toContain("Payment due: €15.00");
    await session.screenshot("door-search-results");
    await found.getByRole("button", { name: "Admit" }).click();
    await expect.poll(result).toBe("payment_due");
    expect(await verdict.textContent()).toContain("Payment due: €15.00");
    // The search closed with the verdict: the name is gone from the screen.
    expect(await searchSection.count()).toBe(0);
    expect(await page.locator("body").textContent()).not.toContain(buyerName);
    expect((await ticketRow(unpaid.id)).admittedAt, "not admitted before paying").toBeNull();
    await page.getByRole("button", { name: "Cash received" }).click();
    await expect.poll(result).toBe("admitted");
    expect(await verdict.textContent()).toContain("Evening ticket");
    const paid = await ticketRow(unpaid.id);
    expect(paid.amountDueMinor).toBe(0);
    expect(paid.admittedAt).not.toBeNull();
    expect(paid.admittedBy).toBe("Door 2");
    expect(await incomeOf(unpaid.orderId)).toEqual({ ticket: 1500 });
    await dismiss();
    expect(await page.locator("body").textContent()).not.toContain(buyerName);
    const storedAfterSearch = await deviceStorage();
    expect(storedAfterSearch).toContain("door.manifest");
    expect(storedAfterSearch).not.toContain(buyerName);
    expect(storedAfterSearch).not.toContain(buyerEmail);

    // b. A mistaken admission, undone online; the ticket can then be admitted again.
    await enterCode(undoOnline.qrToken);
    await expect.poll(result).toBe("admitted");
    await dismiss();
    expect(await undoButton.textContent()).toMatch(/^↶ Undo last check-in: Evening ticket, \S/);
    await undoButton.click();
    await expect.poll(result).toBe("undone");
    expect(await verdict.textContent()).toContain("Undone");
    expect(await verdict.textContent()).toContain("Evening ticket");
    await session.screenshot("door-undo");
    expect(await ticketRow(undoOnline.id)).toMatchObject({
      admittedAt: null,
      admittedBy: null,
      inside: false,
    });
    await dismiss();
    expect(await undoButton.count(), "nothing left to undo").toBe(0);
    await enterCode(undoOnline.qrToken);
    await expect.poll(result).toBe("admitted");
    await dismiss();
    expect((await ticketRow(undoOnline.id)).admittedAt).not.toBeNull();

    // c. Offline exit and re-entry on one phone. First the ticket is admitted
    //    online, and the phone's stored manifest lists it.
    await enterCode(reentry.qrToken);
    await expect.poll(result).toBe("admitted");
    await dismiss();
    await expect.poll(() => storedAdmitted(page)).toContain(reentry.id);

    await context.setOffline(true);
    await page.getByTestId("door-offline").waitFor({ state: "visible" });
    expect(await queueText()).toBe("No scans waiting to upload");
    // d. Offline, search is off: names are never on the phone.
    expect(await searchOpen.textContent()).toBe("Search needs the network");
    expect(await searchOpen.isDisabled()).toBe(true);

    // The last admission is already on the server: undoing it needs the network.
    await undoButton.click();
    await expect.poll(result).toBe("undo_failed");
    expect(await verdict.textContent()).toContain("Not undone");
    expect(await verdict.textContent()).toContain(
      "This check-in is already uploaded: undoing it needs the network.",
    );
    await dismiss();
    expect((await ticketRow(reentry.id)).inside).toBe(true);

    const exitMode = page.getByRole("button", { name: "⬆ Exit", exact: true });
    const entryMode = page.getByRole("button", { name: "⬇ Entry", exact: true });
    await exitMode.click();
    expect(await exitMode.getAttribute("aria-pressed")).toBe("true");
    await enterCode(reentry.qrToken);
    await expect.poll(result).toBe("exited");
    expect(await verdict.textContent()).toContain("Left the venue");
    expect(await verdict.textContent()).toContain("Decided offline");
    await dismiss();
    await entryMode.click();
    expect(await entryMode.getAttribute("aria-pressed")).toBe("true");
    await enterCode(reentry.qrToken);
    await expect.poll(result).toBe("admitted");
    expect(await verdict.textContent()).toContain("Decided offline");
    await dismiss();
    await enterCode(reentry.qrToken);
    await expect.poll(result).toBe("already_admitted");
    await dismiss();
    await expect.poll(queueText).toBe("3 scans waiting to upload");

    // A mistaken offline admission of another ticket, undone before it is uploaded.
    await enterCode(undoOffline.qrToken);
    await expect.poll(result).toBe("admitted");
    await dismiss();
    await expect.poll(queueText).toBe("4 scans waiting to upload");
    await undoButton.click();
    await expect.poll(result).toBe("undone");
    await session.screenshot("door-undo-offline");
    await dismiss();
    await expect.poll(queueText).toBe("3 scans waiting to upload");
    expect(await undoButton.count()).toBe(0);

    // The queue holds ticket codes, still no name or email.
    const storedOffline = await deviceStorage();
    expect(storedOffline).toContain(reentry.qrToken);
    expect(storedOffline).not.toContain(undoOffline.qrToken);
    expect(storedOffline).not.toContain(buyerName);
    expect(storedOffline).not.toContain(buyerEmail);
    // Nothing reached the server while offline.
    expect(await prisma.checkIn.count({ where: { ticketId: reentry.id, offline: true } })).toBe(0);

    // The network returns: the queue uploads, in the order the scans were made.
    await context.setOffline(false);
    await expect
      .poll(
        () =>
          prisma.checkIn.findMany({
            where: { ticketId: reentry.id, offline: true },
            orderBy: { scannedAt: "asc" },
            select: { direction: true, result: true },
          }),
        { timeout: 20_000 },
      )
      .toEqual([
        { direction: "out", result: "exited" },
        { direction: "in", result: "admitted" },
        { direction: "in", result: "already_admitted" },
      ]);
    expect(await ticketRow(reentry.id)).toMatchObject({ inside: true, admittedBy: "Door 2" });
    await page.getByTestId("door-offline").waitFor({ state: "detached" });
    await page.getByTestId("door-queue").waitFor({ state: "detached" });
    // The undone offline admission never reached the server.
    expect(await ticketRow(undoOffline.id)).toMatchObject({ admittedAt: null, inside: false });
    expect(await prisma.checkIn.count({ where: { ticketId: undoOffline.id } })).toBe(0);
    expect(await searchOpen.textContent()).toBe("Find by name or order code");
    expect(await searchOpen.isEnabled()).toBe(true);

    expect(problems).toEqual([]);
  });
});
