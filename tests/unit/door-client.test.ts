// The door scanner's browser module (app/utils/door-client.ts) against the real app: the
// production build serves a fresh SQLite file over real HTTP, so ticket tokens are signed by
// the server and manifests come from GET /api/v1/door/manifest. The browser is stood in for
// by a Map-backed localStorage written here, fake-indexeddb's IndexedDB (one factory for the
// whole file: door-client caches its open database), a switchable `navigator.onLine`, and a
// `fetch` adapter that only resolves relative URLs against the test app's address.
import net from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  adoptDeviceTokenFromHash,
  DeviceRejectedError,
  type DoorManifest,
  type DoorVerdict,
  enqueueScan,
  fetchManifest,
  manifestCheckedAt,
  forgetDevice,
  isInside,
  loadDeviceToken,
  loadLocalState,
  loadManifest,
  NetworkError,
  type QueuedScan,
  RateLimitedError,
  queuedScan,
  queuedScans,
  queueLength,
  removeQueued,
  saveDeviceToken,
  saveManifest,
  scanFoundTicket,
  scanOffline,
  scanOnline,
  searchOnline,
  SearchTooShortError,
  syncQueue,
  undoAdmission,
} from "~/utils/door-client";
import { prisma } from "~/utils/db.server";
import { parseTicketToken } from "~/utils/ticket-token";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { MemoryStorage, phoneStandIn } from "../helpers/door-browser";
import {
  apiToken,
  buyDoorTicket,
  createUserRow,
  doorFestival,
  type DoorTicket,
  tokenValidFromTomorrow,
} from "../helpers/fixtures";

// ---------------------------------------------------------------- browser stand-ins

const { browser, nav } = phoneStandIn();
const realFetch = globalThis.fetch;
let fetchBase = "";
let fetchCalls = 0;
/** HTTP status of every response the phone received, in order. */
const fetchStatuses: number[] = [];

function online() {
  nav.onLine = true;
}
function offline() {
  nav.onLine = false;
}

// ---------------------------------------------------------------- app and data

let app: TestApp;
let client: Client;
let organiserToken: string;
let festivalId: string;
let typeId: string;
let otherFestival: { id: string; typeId: string };
let deviceCounter = 0;

const newFestival = (name: string) => doorFestival(client, organiserToken, { name });

type Bought = DoorTicket;

/** A pay-at-the-door order of one ticket; `paid` (default) settles it so it can be admitted. */
function buyTicket(
  options: { paid?: boolean; festival?: string; type?: string; name?: string; email?: string } = {},
): Promise<Bought> {
  return buyDoorTicket(client, options.festival ?? festivalId, options.type ?? typeId, {
    email: options.email ?? "door-client@example.test",
    name: options.name,
    paid: options.paid,
  });
}

type Device = { id: string; token: string; name: string };

async function newDevice(festival = festivalId): Promise<Device> {
  const name = `Door ${++deviceCounter}`;
  const res = await client.api(
    "POST",
    `/api/v1/festivals/${festival}/door-devices`,
    { name },
    organiserToken,
  );
  expect(res.status, res.text).toBe(201);
  return { ...res.json<{ id: string; token: string }>(), name };
}

/** A device set up on "this phone" (its token in localStorage, as /door/setup leaves it). */
async function setUpPhone(festival = festivalId) {
  const device = await newDevice(festival);
  saveDeviceToken(device.token);
  expect(loadDeviceToken()).toBe(device.token);
  return device;
}

const serverTicket = (id: string) => prisma.ticket.findUniqueOrThrow({ where: { id } });
const checkIns = (ticketId: string) =>
  prisma.checkIn.findMany({ where: { ticketId }, orderBy: { id: "asc" } });

let lastScanMs = 0;
/**
 * scanOffline as the door page calls it (with the stored manifest), one scan per
 * millisecond at least, so the queue's scan order is well defined.
 */
async function scanOff(token: string, direction: "in" | "out" = "in") {
  while (Date.now() <= lastScanMs) await new Promise((r) => setTimeout(r, 1));
  lastScanMs = Date.now();
  return scanOffline(token, direction, loadManifest());
}

/** One character of `text` at `at` replaced by another base64url character. */
function swapChar(text: string, at: number, replacement?: string) {
  const c = text[at]!;
  return text.slice(0, at) + (replacement ?? (c === "A" ? "B" : "A")) + text.slice(at + 1);
}

/** Everything this phone stores: localStorage values and the IndexedDB queue, as text. */
async function everythingStored() {
  return (
    JSON.stringify([...browser.localStorage.map.entries()]) + JSON.stringify(await queuedScans())
  );
}

beforeAll(async () => {
  vi.stubGlobal("window", browser);
  vi.stubGlobal("navigator", nav);
  globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    fetchCalls++;
    const res = await realFetch(
      typeof input === "string" && input.startsWith("/") ? fetchBase + input : input,
      init,
    );
    fetchStatuses.push(res.status);
    return res;
  };
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  fetchBase = app.url;
  client = new Client(app.url);
  const admin = await createUserRow({ role: "admin" });
  organiserToken = await apiToken(app.url, admin.email);
  ({ id: festivalId, typeId } = await newFestival("Door client festival"));
  otherFestival = await newFestival("Another city's festival");
});

afterAll(async () => {
  await app?.close();
  globalThis.fetch = realFetch;
  vi.unstubAllGlobals();
});

beforeEach(async () => {
  online();
  fetchBase = app.url;
  await forgetDevice();
  browser.localStorage = new MemoryStorage();
  expect(await queueLength()).toBe(0);
});

// ---------------------------------------------------------------- 1. offline verdicts

describe("scanOffline: the phone's own verdicts against server-signed tokens", () => {
  it("admits once, refuses tampered, foreign, revoked, unpaid and not-yet-valid tickets", async () => {
    const device = await setUpPhone();
    const ticket = await buyTicket();
    const unpaid = await buyTicket({ paid: false });
    const refunded = await buyTicket();
    const refund = await client.api(
      "POST",
      `/api/v1/orders/${refunded.orderId}/refund`,
      undefined,
      organiserToken,
    );
    expect(refund.status, refund.text).toBe(200);
    const foreign = await buyTicket({ festival: otherFestival.id, type: otherFestival.typeId });

    const manifest = await fetchManifest(device.token);
    expect(loadManifest()).toEqual(manifest);
    expect(manifest.festival).toMatchObject({ id: festivalId, currency: "EUR" });
    expect(manifest.revoked).toContain(refunded.id);
    expect(manifest.paymentDue[unpaid.id]).toBe(1500);
    offline();

    // A real ticket: admitted and queued for upload.
    const first = await scanOff(ticket.qrToken);
    expect(first).toMatchObject({
      result: "admitted",
      offline: true,
      ticketId: ticket.id,
      ticketType: "Standard",
    });
    expect(await queuedScans()).toEqual([
      {
        token: ticket.qrToken,
        nonce: first.nonce,
        scannedAt: first.admittedAt,
        direction: "in",
        offlineResult: "admitted",
      },
    ]);
    expect(JSON.parse(browser.localStorage.getItem("door.local")!)).toEqual({
      [ticket.id]: { state: "in", at: first.admittedAt },
    });

    // The same phone never admits it twice.
    const second = await scanOff(ticket.qrToken);
    expect(second).toMatchObject({ result: "already_admitted", admittedAt: first.admittedAt });
    expect((await queuedScans()).map((q) => [q.nonce, q.offlineResult])).toEqual([
      [first.nonce, "admitted"],
      [second.nonce, "already_admitted"],
    ]);

    // One character changed in the signature: well-formed, but the signature fails.
    const [, payloadPart, signaturePart] = ticket.qrToken.split(".") as [string, string, string];
    const badSignature = `T1.${payloadPart}.${swapChar(signaturePart, 40)}`;
    expect(parseTicketToken(badSignature).ok).toBe(true);
    expect(await scanOff(badSignature)).toEqual({ result: "invalid", offline: true });

    // One character changed in the payload (the ticket id), still well-formed, same festival.
    let badPayload: string | undefined;
    for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") {
      const candidate = `T1.${swapChar(payloadPart, 20, c)}.${signaturePart}`;
      const parsed = parseTicketToken(candidate);
      if (
        candidate !== ticket.qrToken &&
        parsed.ok &&
        parsed.token.payload.f === festivalId &&
        parsed.token.payload.t !== ticket.id
      ) {
        badPayload = candidate;
        break;
      }
    }
    expect(badPayload, "a well-formed payload with another ticket id").toBeDefined();
    expect(await scanOff(badPayload!)).toEqual({ result: "invalid", offline: true });
    // And a payload character that breaks the structure.
    expect(await scanOff(`T1.${swapChar(payloadPart, 0, "*")}.${signaturePart}`)).toEqual({
      result: "invalid",
      offline: true,
    });
    expect(await queueLength()).toBe(2);

    // Another festival's genuine ticket.
    expect(await scanOff(foreign.qrToken)).toEqual({ result: "wrong_festival", offline: true });
    expect(await queueLength()).toBe(2);

    // A ticket of a refunded order: refused, and queued as "invalid" for the record.
    const revoked = await scanOff(refunded.qrToken);
    expect(revoked).toMatchObject({ result: "revoked", ticketId: refunded.id });
    expect(await queuedScan(revoked.nonce!)).toMatchObject({
      token: refunded.qrToken,
      offlineResult: "invalid",
    });
    expect(loadLocalState()[refunded.id]).toBeUndefined();

    // Pay at the door: the amount to take, nothing queued, nothing remembered.
    const due = await scanOff(unpaid.qrToken);
    expect(due).toMatchObject({
      result: "payment_due",
      ticketId: unpaid.id,
      amountDueMinor: 1500,
      currency: "EUR",
    });
    expect(await queuedScan(due.nonce!)).toBeUndefined();
    expect(await queueLength()).toBe(3);
    expect(loadLocalState()[unpaid.id]).toBeUndefined();

    // No manifest on the phone: nothing can be verified.
    expect(await scanOffline(ticket.qrToken, "in", null)).toEqual({
      result: "invalid",
      offline: true,
      noManifest: true,
    });

    // Validity starting later: a token the festival's key signed for tomorrow, and a real
    // token scanned by a phone whose clock is an hour behind (beyond the 5-minute leeway).
    const tomorrow = await tokenValidFromTomorrow(ticket.id);
    expect(await scanOff(tomorrow)).toEqual({ result: "not_yet_valid", offline: true });
    const fresh = await buyTicket();
    expect(
      await scanOffline(fresh.qrToken, "in", loadManifest(), new Date(Date.now() - 3_600_000)),
    ).toEqual({ result: "not_yet_valid", offline: true });
    expect(await queueLength()).toBe(3);

    // Offline means offline: the server has not heard of any of it.
    expect((await serverTicket(ticket.id)).admittedAt).toBeNull();
    expect(await prisma.checkIn.count({ where: { deviceId: device.id } })).toBe(0);

    // Back online, the queue goes up and the server agrees with what the phone said.
    online();
    expect(await syncQueue(device.token)).toBe(3);
    expect(await queueLength()).toBe(0);
    expect((await checkIns(ticket.id)).map((c) => [c.result, c.offline])).toEqual([
      ["admitted", true],
      ["already_admitted", true],
    ]);
    expect((await checkIns(refunded.id)).map((c) => c.result)).toEqual(["revoked"]);
    expect(await serverTicket(ticket.id)).toMatchObject({ inside: true, admittedBy: device.name });
  });
});

// ---------------------------------------------------------------- festival cancellation

describe("a cancelled festival, offline", () => {
  it("the manifest says it is cancelled and the phone refuses every ticket, queued for upload", async () => {
    const f = await doorFestival(client, organiserToken, { name: "Cancelled Door Fest" });
    const ticket = await buyTicket({ festival: f.id, type: f.typeId });
    const device = await setUpPhone(f.id);
    expect((await fetchManifest(device.token)).festival.cancelled).toBe(false);
    const cancelled = await client.api(
      "POST",
      `/api/v1/festivals/${f.id}/cancel`,
      undefined,
      organiserToken,
    );
    expect(cancelled.status, cancelled.text).toBe(200);
    // The manifest changed (a new ETag): the phone learns of the cancellation.
    expect((await fetchManifest(device.token)).festival.cancelled).toBe(true);
    offline();
    const verdict = await scanOff(ticket.qrToken);
    expect(verdict).toMatchObject({ result: "festival_cancelled", ticketId: ticket.id });
    expect(await queuedScan(verdict.nonce!)).toMatchObject({ offlineResult: "invalid" });
    expect(isInside(loadManifest()!, ticket.id)).toBe(false);
    await removeQueued([verdict.nonce!]);
  });
});

// ---------------------------------------------------------------- 2. exit and re-entry

describe("exit and re-entry on one phone", () => {
  it("lets a ticket out and back in offline, uploads it right, and reconciles with the manifest", async () => {
    const device = await setUpPhone();
    const ticket = await buyTicket();
    // Admitted online earlier; the next manifest lists it as admitted (and inside).
    const online1 = await scanOnline(device.token, ticket.qrToken, "in");
    expect(online1).toMatchObject({ result: "admitted", ticketId: ticket.id });
    const manifest = await fetchManifest(device.token);
    expect(manifest.admitted).toContain(ticket.id);
    expect(manifest.outside).not.toContain(ticket.id);
    expect(loadLocalState()).toEqual({});
    expect(isInside(manifest, ticket.id)).toBe(true);

    offline();
    const out = await scanOff(ticket.qrToken, "out");
    expect(out).toMatchObject({ result: "exited", ticketId: ticket.id });
    expect(loadLocalState()[ticket.id]?.state).toBe("out");
    const back = await scanOff(ticket.qrToken, "in");
    expect(back).toMatchObject({ result: "admitted", ticketId: ticket.id });
    expect(loadLocalState()[ticket.id]?.state).toBe("in");
    const again = await scanOff(ticket.qrToken, "in");
    expect(again).toMatchObject({ result: "already_admitted", admittedAt: back.admittedAt });
    expect((await queuedScans()).map((q) => [q.nonce, q.direction, q.offlineResult])).toEqual([
      [out.nonce, "out", undefined],
      [back.nonce, "in", "admitted"],
      [again.nonce, "in", "already_admitted"],
    ]);

    online();
    expect(await syncQueue(device.token)).toBe(3);
    expect(await queueLength()).toBe(0);
    expect(
      (await checkIns(ticket.id)).map((c) => [c.nonce, c.direction, c.result, c.offline]),
    ).toEqual([
      [`${device.id}:${online1.nonce}`, "in", "admitted", false],
      [`${device.id}:${out.nonce}`, "out", "exited", true],
      [`${device.id}:${back.nonce}`, "in", "admitted", true],
      [`${device.id}:${again.nonce}`, "in", "already_admitted", true],
    ]);
    expect(await serverTicket(ticket.id)).toMatchObject({ inside: true, admittedBy: device.name });

    // The next manifest covers the phone's own state, which is forgotten.
    const after = await fetchManifest(device.token);
    expect(after.admitted).toContain(ticket.id);
    expect(after.outside).not.toContain(ticket.id);
    expect(loadLocalState()[ticket.id]).toBeUndefined();
    expect(isInside(after, ticket.id)).toBe(true);

    // Let out online: the manifest lists it under `outside`, so offline it may come back in.
    expect(await scanOnline(device.token, ticket.qrToken, "out")).toMatchObject({
      result: "exited",
    });
    expect(loadLocalState()[ticket.id]?.state).toBe("out");
    const outsideNow = await fetchManifest(device.token);
    expect(outsideNow.admitted).toContain(ticket.id);
    expect(outsideNow.outside).toContain(ticket.id);
    expect(loadLocalState()[ticket.id]).toBeUndefined();
    expect(isInside(outsideNow, ticket.id)).toBe(false);
    offline();
    expect(await scanOff(ticket.qrToken, "in")).toMatchObject({ result: "admitted" });
    expect(await scanOff(ticket.qrToken, "in")).toMatchObject({ result: "already_admitted" });
  });
});

// ---------------------------------------------------------------- 3. upload

describe("syncQueue", () => {
  it("uploads in scan order, empties the queue, and a replayed upload counts once", async () => {
    const device = await setUpPhone();
    const [a, b, c] = [await buyTicket(), await buyTicket(), await buyTicket()];
    await fetchManifest(device.token);
    offline();
    const verdicts: DoorVerdict[] = [];
    verdicts.push(await scanOff(a.qrToken, "in"));
    verdicts.push(await scanOff(b.qrToken, "in"));
    verdicts.push(await scanOff(a.qrToken, "out"));
    verdicts.push(await scanOff(c.qrToken, "in"));
    verdicts.push(await scanOff(b.qrToken, "in"));
    expect(verdicts.map((v) => v.result)).toEqual([
      "admitted",
      "admitted",
      "exited",
      "admitted",
      "already_admitted",
    ]);
    const queued = await queuedScans();
    expect(queued.map((q) => q.nonce)).toEqual(verdicts.map((v) => v.nonce));
    await expect(syncQueue(device.token)).rejects.toBeInstanceOf(NetworkError);
    expect(await queueLength()).toBe(5);

    online();
    expect(await syncQueue(device.token)).toBe(5);
    expect(await queueLength()).toBe(0);
    const rows = await prisma.checkIn.findMany({
      where: { deviceId: device.id },
      orderBy: { id: "asc" },
    });
    expect(rows.map((r) => r.nonce)).toEqual(queued.map((q) => `${device.id}:${q.nonce}`));
    expect(rows.map((r) => r.result)).toEqual([
      "admitted",
      "admitted",
      "exited",
      "admitted",
      "already_admitted",
    ]);
    expect(rows.every((r) => r.offline)).toBe(true);
    // The server keeps the phone's scan times (they are in the past).
    expect(rows.map((r) => r.scannedAt.toISOString())).toEqual(queued.map((q) => q.scannedAt));
    const states = async () =>
      Promise.all([a, b, c].map(async (t) => (await serverTicket(t.id)).inside));
    expect(await states()).toEqual([false, true, true]);

    // The same scans again (same nonces), as after an upload whose answer was lost.
    for (const scan of queued) await enqueueScan(scan);
    expect(await queueLength()).toBe(5);
    expect(await syncQueue(device.token)).toBe(5);
    expect(await queueLength()).toBe(0);
    expect(await prisma.checkIn.count({ where: { deviceId: device.id } })).toBe(5);
    expect(await states()).toEqual([false, true, true]);
    expect(await prisma.checkIn.count({ where: { ticketId: a.id, result: "admitted" } })).toBe(1);
  });

  it("an online scan waits for the queue: a ticket admitted offline is not admitted again when the network returns", async () => {
    const device = await setUpPhone();
    const ticket = await buyTicket();
    await fetchManifest(device.token);
    offline();
    expect((await scanOff(ticket.qrToken)).result).toBe("admitted");
    // The network returns and the camera reads the same code before any sync ran.
    online();
    const again = await scanOnline(device.token, ticket.qrToken, "in");
    expect(again.result).toBe("already_admitted");
    expect(await queueLength()).toBe(0);
    const rows = await checkIns(ticket.id);
    expect(rows.map((r) => [r.result, r.offline])).toEqual([
      ["admitted", true],
      ["already_admitted", false],
    ]);
  });
});

// ---------------------------------------------------------------- 4. two phones

describe("two phones offline", () => {
  type Phone = { storage: MemoryStorage; queue: QueuedScan[] };

  /** Put this phone's storage and queue away and take out the other's. */
  async function switchPhone(from: Phone, to: Phone) {
    from.storage = browser.localStorage;
    from.queue = await queuedScans();
    await removeQueued(from.queue.map((q) => q.nonce));
    browser.localStorage = to.storage;
    for (const scan of to.queue) await enqueueScan(scan);
  }

  it("both admit one ticket: after both uploads, one admission and one conflict", async () => {
    const ticket = await buyTicket();
    const phoneA: Phone = { storage: browser.localStorage, queue: [] };
    const phoneB: Phone = { storage: new MemoryStorage(), queue: [] };
    const deviceA = await setUpPhone();
    await fetchManifest(deviceA.token);
    await switchPhone(phoneA, phoneB);
    const deviceB = await setUpPhone();
    await fetchManifest(deviceB.token);
    expect(loadDeviceToken()).toBe(deviceB.token);

    // The venue's Wi-Fi goes; both doors let the same ticket in.
    offline();
    await switchPhone(phoneB, phoneA);
    expect(loadDeviceToken()).toBe(deviceA.token);
    expect(await scanOff(ticket.qrToken)).toMatchObject({ result: "admitted" });
    await switchPhone(phoneA, phoneB);
    expect(loadDeviceToken()).toBe(deviceB.token);
    expect(await scanOff(ticket.qrToken)).toMatchObject({ result: "admitted" });
    expect(phoneA.queue).toHaveLength(1);
    expect(await queueLength()).toBe(1);

    online();
    await switchPhone(phoneB, phoneA);
    expect(await syncQueue(deviceA.token)).toBe(1);
    await switchPhone(phoneA, phoneB);
    expect(await syncQueue(deviceB.token)).toBe(1);
    expect(await queueLength()).toBe(0);

    const rows = await checkIns(ticket.id);
    expect(rows.map((r) => [r.deviceId, r.result, r.offline])).toEqual([
      [deviceA.id, "admitted", true],
      [deviceB.id, "conflict", true],
    ]);
    expect(await serverTicket(ticket.id)).toMatchObject({ inside: true, admittedBy: deviceA.name });
  });
});

// ---------------------------------------------------------------- 5. undo

describe("undoAdmission", () => {
  it("drops a scan still in the queue, even offline; the ticket can be admitted again", async () => {
    const device = await setUpPhone();
    const ticket = await buyTicket();
    await fetchManifest(device.token);
    offline();
    const admitted = await scanOff(ticket.qrToken);
    expect(admitted.result).toBe("admitted");
    const fetchesBefore = fetchCalls;
    expect(await undoAdmission(device.token, { nonce: admitted.nonce!, ticketId: ticket.id })).toBe(
      "undone",
    );
    expect(fetchCalls).toBe(fetchesBefore);
    expect(await queuedScan(admitted.nonce!)).toBeUndefined();
    expect(await queueLength()).toBe(0);
    // Not inside, whatever an older manifest says.
    expect(loadLocalState()[ticket.id]).toMatchObject({ state: "out" });
    const again = await scanOff(ticket.qrToken);
    expect(again.result).toBe("admitted");
    expect((await queuedScans()).map((q) => q.nonce)).toEqual([again.nonce]);
  });

  it("undoes an online admission on the server", async () => {
    const device = await setUpPhone();
    const ticket = await buyTicket();
    const admitted = await scanOnline(device.token, ticket.qrToken, "in");
    expect(admitted.result).toBe("admitted");
    expect((await serverTicket(ticket.id)).admittedAt).not.toBeNull();
    expect(await undoAdmission(device.token, { nonce: admitted.nonce!, ticketId: ticket.id })).toBe(
      "undone",
    );
    expect(await serverTicket(ticket.id)).toMatchObject({
      admittedAt: null,
      admittedBy: null,
      inside: false,
    });
    expect((await checkIns(ticket.id)).map((c) => c.result)).toEqual(["admitted", "undone"]);
    expect(loadLocalState()[ticket.id]?.state).toBe("out");
    expect(await scanOnline(device.token, ticket.qrToken, "in")).toMatchObject({
      result: "admitted",
    });
  });

  it("needs the network for an uploaded admission, and is too late for a scan that admitted nothing", async () => {
    const device = await setUpPhone();
    const ticket = await buyTicket();
    await fetchManifest(device.token);
    offline();
    const admitted = await scanOff(ticket.qrToken);
    online();
    expect(await syncQueue(device.token)).toBe(1);
    offline();
    expect(await undoAdmission(device.token, { nonce: admitted.nonce!, ticketId: ticket.id })).toBe(
      "needs_network",
    );
    expect(await serverTicket(ticket.id)).toMatchObject({ inside: true });

    // Once online, the uploaded offline admission can be taken back.
    online();
    expect(await undoAdmission(device.token, { nonce: admitted.nonce!, ticketId: ticket.id })).toBe(
      "undone",
    );
    expect((await serverTicket(ticket.id)).admittedAt).toBeNull();

    // A scan that did not admit (already admitted) cannot be undone.
    expect((await scanOnline(device.token, ticket.qrToken, "in")).result).toBe("admitted");
    const repeat = await scanOnline(device.token, ticket.qrToken, "in");
    expect(repeat.result).toBe("already_admitted");
    expect(await undoAdmission(device.token, { nonce: repeat.nonce!, ticketId: ticket.id })).toBe(
      "too_late",
    );
    expect(await serverTicket(ticket.id)).toMatchObject({ inside: true });
    expect((await serverTicket(ticket.id)).admittedAt).not.toBeNull();
  });
});

// ---------------------------------------------------------------- 6. search

describe("searchOnline and scanFoundTicket", () => {
  it("finds by order code and buyer name, admits by id, and keeps no names on the phone", async () => {
    const device = await setUpPhone();
    const name = "Marta Searchable-Doorclient";
    const email = "marta.doorclient@example.test";
    const ticket = await buyTicket({ name, email });
    await fetchManifest(device.token);

    const byCode = (await searchOnline(device.token, ticket.orderCode)).results;
    expect(byCode).toEqual([
      expect.objectContaining({
        ticketId: ticket.id,
        orderCode: ticket.orderCode,
        name,
        ticketType: "Standard",
        status: "valid",
        admitted: false,
        amountDueMinor: 0,
        currency: "EUR",
      }),
    ]);
    const byName = (await searchOnline(device.token, "  searchable-doorCLIENT ")).results;
    expect(byName.map((r) => [r.ticketId, r.name])).toEqual([[ticket.id, name]]);

    const admitted = await scanFoundTicket(device.token, ticket.id, "in");
    expect(admitted).toMatchObject({ result: "admitted", ticketId: ticket.id });
    expect(await serverTicket(ticket.id)).toMatchObject({ inside: true, admittedBy: device.name });
    expect((await checkIns(ticket.id)).map((c) => [c.result, c.offline])).toEqual([
      ["admitted", false],
    ]);
    expect(loadLocalState()[ticket.id]?.state).toBe("in");
    expect((await searchOnline(device.token, ticket.orderCode)).results[0]?.admitted).toBe(true);

    // Something queued offline too, then look at everything the phone keeps.
    offline();
    await scanOff(ticket.qrToken);
    expect(await queueLength()).toBe(1);
    const stored = await everythingStored();
    expect(stored).toContain(ticket.id);
    for (const secret of [name, "Searchable", email, "marta.doorclient"])
      expect(stored.toLowerCase()).not.toContain(secret.toLowerCase());

    await expect(searchOnline(device.token, ticket.orderCode)).rejects.toBeInstanceOf(NetworkError);
  });
});

describe("searchOnline: the minimum length and the device's search budget", () => {
  it("refuses fewer than 3 characters without asking, and reports the server's wait once the budget is spent", async () => {
    const device = await setUpPhone();
    const adapter = globalThis.fetch;
    let asked = 0;
    globalThis.fetch = (...args: Parameters<typeof fetch>) => {
      asked++;
      return adapter(...args);
    };
    try {
      await expect(searchOnline(device.token, "  ab ")).rejects.toBeInstanceOf(SearchTooShortError);
      expect(asked).toBe(0);
    } finally {
      globalThis.fetch = adapter;
    }
    let refusal: unknown;
    for (let i = 0; i < 30 && !refusal; i++)
      await searchOnline(device.token, "Nobody Here").catch((e: unknown) => (refusal = e));
    expect(refusal).toBeInstanceOf(RateLimitedError);
    // Still a NetworkError for the code paths that fall back to offline mode.
    expect(refusal).toBeInstanceOf(NetworkError);
    expect((refusal as RateLimitedError).retryAfterSeconds).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------- 7. manifest reconciliation

describe("saveManifest and fetchManifest: what the phone remembers of its own scans", () => {
  it("asks with the stored ETag: an unchanged manifest is not downloaded again (304)", async () => {
    const device = await setUpPhone();
    const ticket = await buyTicket();
    const first = await fetchManifest(device.token);
    expect(first.etag).toMatch(/^"[0-9a-f]{32}"$/);
    const checked = manifestCheckedAt();
    expect(checked).not.toBeNull();
    const again = await fetchManifest(device.token);
    expect(fetchStatuses.at(-1)).toBe(304);
    expect(again).toEqual(first);
    expect(loadManifest()).toEqual(first);
    expect(manifestCheckedAt()).toBeGreaterThanOrEqual(checked!);
    // Something changed at the door: the next request downloads it.
    expect((await scanOnline(device.token, ticket.qrToken, "in")).result).toBe("admitted");
    const changed = await fetchManifest(device.token);
    expect(fetchStatuses.at(-1)).toBe(200);
    expect(changed.admitted).toContain(ticket.id);
    expect(changed.etag).not.toBe(first.etag);
    expect(loadManifest()?.etag).toBe(changed.etag);
  });

  it("forgets an admission the manifest shows, keeps one an older manifest does not", async () => {
    const device = await setUpPhone();
    const ticket = await buyTicket();
    const before = await fetchManifest(device.token);
    offline();
    const admitted = await scanOff(ticket.qrToken);
    expect(loadLocalState()[ticket.id]).toEqual({ state: "in", at: admitted.admittedAt });

    // A manifest fetched before the upload does not list it: the phone keeps its own record.
    online();
    const stale = await fetchManifest(device.token);
    expect(stale.admitted).not.toContain(ticket.id);
    expect(loadLocalState()[ticket.id]?.state).toBe("in");
    saveManifest(before);
    expect(loadLocalState()[ticket.id]?.state).toBe("in");
    expect(isInside(loadManifest()!, ticket.id)).toBe(true);
    offline();
    expect((await scanOff(ticket.qrToken)).result).toBe("already_admitted");

    // Uploaded; a manifest that agrees (saved without any upload bookkeeping) drops it.
    online();
    expect(await syncQueue(device.token)).toBe(2);
    const res = await client.api("GET", "/api/v1/door/manifest", undefined, device.token);
    const agreeing = res.json<DoorManifest>();
    expect(agreeing.admitted).toContain(ticket.id);
    saveManifest(before);
    expect(loadLocalState()[ticket.id]?.state).toBe("in");
    saveManifest(agreeing);
    expect(loadLocalState()[ticket.id]).toBeUndefined();
    expect(isInside(loadManifest()!, ticket.id)).toBe(true);
  });

  it("forgets a scan covered by a full upload when the newer manifest disagrees, and keeps later scans", async () => {
    const phone = await setUpPhone();
    const otherDoor = await newDevice();
    const ticket = await buyTicket();
    const later = await buyTicket();
    await fetchManifest(phone.token);
    offline();
    expect((await scanOff(ticket.qrToken)).result).toBe("admitted");
    online();
    const syncStart = Date.now();
    expect(await syncQueue(phone.token)).toBe(1);
    const syncedAt = JSON.parse(browser.localStorage.getItem("door.syncedAt")!) as number;
    expect(syncedAt).toBeGreaterThanOrEqual(syncStart);
    expect(syncedAt).toBeLessThanOrEqual(Date.now());

    // Another door lets the ticket out after the upload; then this phone admits `later`
    // offline, after the upload (a scan the server has not seen yet).
    const exit = await client.api(
      "POST",
      "/api/v1/door/scans",
      { token: ticket.qrToken, nonce: `other-door-exit-${Date.now()}`, direction: "out" },
      otherDoor.token,
    );
    expect(exit.json()).toMatchObject({ result: "exited" });
    expect(loadLocalState()[ticket.id]?.state).toBe("in");
    offline();
    while (Date.now() <= syncedAt) await new Promise((r) => setTimeout(r, 1));
    expect((await scanOff(later.qrToken)).result).toBe("admitted");

    // A manifest requested before the upload would not let the phone forget its own scan.
    const current = (
      await client.api("GET", "/api/v1/door/manifest", undefined, phone.token)
    ).json<DoorManifest>();
    expect(current.outside).toContain(ticket.id);
    saveManifest(current, syncedAt - 1);
    expect(loadLocalState()[ticket.id]?.state).toBe("in");

    // fetchManifest after the full upload: the server's view wins for the uploaded scan
    // (the ticket is outside now, so the phone lets it in again) …
    online();
    const manifest = await fetchManifest(phone.token);
    expect(manifest.outside).toContain(ticket.id);
    expect(loadLocalState()[ticket.id]).toBeUndefined();
    expect(isInside(manifest, ticket.id)).toBe(false);
    // … while the scan made after the upload stays remembered (still queued).
    expect(loadLocalState()[later.id]?.state).toBe("in");
    expect(manifest.admitted).not.toContain(later.id);
    expect(await queueLength()).toBe(1);
    offline();
    expect((await scanOff(later.qrToken)).result).toBe("already_admitted");
    expect((await scanOff(ticket.qrToken)).result).toBe("admitted");

    // Everything up: the server and a fresh manifest agree, and the phone forgets it all.
    online();
    expect(await syncQueue(phone.token)).toBe(3);
    await fetchManifest(phone.token);
    expect(loadLocalState()).toEqual({});
    expect(await serverTicket(ticket.id)).toMatchObject({ inside: true });
    expect(await serverTicket(later.id)).toMatchObject({ inside: true, admittedBy: phone.name });
  });
});

// ---------------------------------------------------------------- 8. errors

describe("errors: a revoked device, no network", () => {
  it("raises DeviceRejectedError once the organiser revokes the device, and keeps the queue", async () => {
    const device = await setUpPhone();
    const ticket = await buyTicket();
    await fetchManifest(device.token);
    offline();
    await scanOff(ticket.qrToken);
    online();
    const revoke = await client.api(
      "DELETE",
      `/api/v1/door-devices/${device.id}`,
      undefined,
      organiserToken,
    );
    expect(revoke.status, revoke.text).toBe(204);
    await expect(fetchManifest(device.token)).rejects.toBeInstanceOf(DeviceRejectedError);
    await expect(syncQueue(device.token)).rejects.toBeInstanceOf(DeviceRejectedError);
    await expect(scanOnline(device.token, ticket.qrToken, "in")).rejects.toBeInstanceOf(
      DeviceRejectedError,
    );
    expect(await queueLength()).toBe(1);
    expect((await serverTicket(ticket.id)).admittedAt).toBeNull();
    expect(await prisma.checkIn.count({ where: { deviceId: device.id } })).toBe(0);
  });

  it("raises NetworkError without a request when offline, and when the server is unreachable", async () => {
    const device = await setUpPhone();
    const ticket = await buyTicket();
    offline();
    const fetchesBefore = fetchCalls;
    await expect(fetchManifest(device.token)).rejects.toBeInstanceOf(NetworkError);
    await expect(scanOnline(device.token, ticket.qrToken, "in")).rejects.toBeInstanceOf(
      NetworkError,
    );
    await expect(scanFoundTicket(device.token, ticket.id, "in")).rejects.toBeInstanceOf(
      NetworkError,
    );
    expect(fetchCalls).toBe(fetchesBefore);
    expect(loadManifest()).toBeNull();

    // "Online" as far as the phone knows, but nothing listens at the address.
    online();
    const closedPort = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    fetchBase = `http://127.0.0.1:${closedPort}`;
    await expect(fetchManifest(device.token)).rejects.toBeInstanceOf(NetworkError);
    await expect(scanOnline(device.token, ticket.qrToken, "in")).rejects.toBeInstanceOf(
      NetworkError,
    );
    expect(loadManifest()).toBeNull();
    expect((await serverTicket(ticket.id)).admittedAt).toBeNull();

    fetchBase = app.url;
    expect((await fetchManifest(device.token)).festival.id).toBe(festivalId);
  });
});

describe("adoptDeviceTokenFromHash", () => {
  it("stores the token from the setup link and takes it out of the address", async () => {
    const device = await newDevice();
    browser.location.hash = `#device=${device.token}`;
    browser.location.search = "?lang=en";
    expect(adoptDeviceTokenFromHash()).toBe(device.token);
    expect(loadDeviceToken()).toBe(device.token);
    expect(browser.history.replaced.at(-1)).toBe("/door?lang=en");
    expect((await fetchManifest(loadDeviceToken()!)).festival.id).toBe(festivalId);
    browser.location.hash = "#device=short";
    expect(adoptDeviceTokenFromHash()).toBeNull();
  });
});

// ---------------------------------------------------------------- undo regressions
// Each test below failed before its fix (found while writing this file).

describe("undoAdmission: edge cases", () => {
  // A dropped queued re-entry leaves the phone's own "out": the queued exit still counts.
  it("after undoing a queued re-entry, the ticket can be admitted again", async () => {
    const device = await setUpPhone();
    const ticket = await buyTicket();
    expect((await scanOnline(device.token, ticket.qrToken, "in")).result).toBe("admitted");
    const manifest = await fetchManifest(device.token);
    expect(isInside(manifest, ticket.id)).toBe(true);
    offline();
    expect((await scanOff(ticket.qrToken, "out")).result).toBe("exited");
    const back = await scanOff(ticket.qrToken, "in");
    expect(back.result).toBe("admitted");
    expect(await undoAdmission(device.token, { nonce: back.nonce!, ticketId: ticket.id })).toBe(
      "undone",
    );
    expect((await queuedScans()).map((q) => q.direction)).toEqual(["out"]);
    expect((await scanOff(ticket.qrToken, "in")).result).toBe("admitted");
  });

  // Only a queued admission can be dropped; a queued refusal stays (and the ticket stays inside).
  it("a queued scan that admitted nothing cannot be undone", async () => {
    const device = await setUpPhone();
    const ticket = await buyTicket();
    await fetchManifest(device.token);
    offline();
    expect((await scanOff(ticket.qrToken)).result).toBe("admitted");
    const repeat = await scanOff(ticket.qrToken);
    expect(repeat.result).toBe("already_admitted");
    expect(await undoAdmission(device.token, { nonce: repeat.nonce!, ticketId: ticket.id })).toBe(
      "too_late",
    );
    expect(await queueLength()).toBe(2);
    expect((await scanOff(ticket.qrToken)).result).toBe("already_admitted");
  });

  // The server lets the ticket out even when another door made the first admission.
  it("undoing a re-entry admitted by another door lets the ticket out on the server", async () => {
    const firstDoor = await newDevice();
    const device = await setUpPhone();
    const ticket = await buyTicket();
    for (const direction of ["in", "out"])
      expect(
        (
          await client.api(
            "POST",
            "/api/v1/door/scans",
            { token: ticket.qrToken, nonce: `first-door-${direction}-${Date.now()}`, direction },
            firstDoor.token,
          )
        ).status,
      ).toBe(200);
    const reentry = await scanOnline(device.token, ticket.qrToken, "in");
    expect(reentry.result).toBe("admitted");
    expect(await serverTicket(ticket.id)).toMatchObject({ inside: true });
    expect(await undoAdmission(device.token, { nonce: reentry.nonce!, ticketId: ticket.id })).toBe(
      "undone",
    );
    expect(loadLocalState()[ticket.id]?.state).toBe("out");
    expect(await serverTicket(ticket.id)).toMatchObject({ inside: false });
  });
});
