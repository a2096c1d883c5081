// Typed short codes in the door scanner's browser module (app/utils/door-client.ts),
// online and offline, against the real app (decision 0049): the production build
// serves a fresh SQLite file over real HTTP, and the manifest comes from GET
// /api/v1/door/manifest. The browser is stood in for as in door-client.test.ts: a
// Map-backed localStorage, fake-indexeddb, a switchable `navigator.onLine`, and a
// `fetch` that resolves relative URLs against the test app. Digests are computed
// with the platform's Web Crypto, as a phone does.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  fetchManifest,
  forgetDevice,
  loadManifest,
  queuedScans,
  queueLength,
  saveDeviceToken,
  scanCodeOffline,
  scanCodeOnline,
  scanOffline,
  syncQueue,
  UnknownCodeError,
} from "~/utils/door-client";
import { prisma } from "~/utils/db.server";
import { formatTicketCode, normalizeTicketCode } from "~/utils/ticket-code";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { MemoryStorage, phoneStandIn } from "../helpers/door-browser";
import { apiToken, buyDoorTicket, createUserRow, doorFestival } from "../helpers/fixtures";

const { browser, nav } = phoneStandIn();
const realFetch = globalThis.fetch;
let fetchBase = "";

let app: TestApp;
let client: Client;
let organiserToken: string;
let festivalId: string;
let typeId: string;
let other: { id: string; typeId: string };
let devices = 0;

async function setUpPhone() {
  const res = await client.api(
    "POST",
    `/api/v1/festivals/${festivalId}/door-devices`,
    { name: `Code door ${++devices}` },
    organiserToken,
  );
  expect(res.status, res.text).toBe(201);
  const device = res.json<{ id: string; token: string }>();
  saveDeviceToken(device.token);
  return device;
}

async function ticketWithCode(options: { paid?: boolean; festival?: string; type?: string } = {}) {
  const bought = await buyDoorTicket(
    client,
    options.festival ?? festivalId,
    options.type ?? typeId,
    {
      email: "door-codes@example.test",
      paid: options.paid,
    },
  );
  const row = await prisma.ticket.findUniqueOrThrow({ where: { id: bought.id } });
  return { ...bought, code: row.shortCode! };
}

beforeAll(async () => {
  vi.stubGlobal("window", browser);
  vi.stubGlobal("navigator", nav);
  globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) =>
    realFetch(typeof input === "string" && input.startsWith("/") ? fetchBase + input : input, init);
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  fetchBase = app.url;
  client = new Client(app.url);
  const admin = await createUserRow({ role: "admin" });
  organiserToken = await apiToken(app.url, admin.email);
  ({ id: festivalId, typeId } = await doorFestival(client, organiserToken, { name: "Typed" }));
  other = await doorFestival(client, organiserToken, { name: "Typed elsewhere" });
});

afterAll(async () => {
  await app?.close();
  globalThis.fetch = realFetch;
  vi.unstubAllGlobals();
});

beforeEach(async () => {
  nav.onLine = true;
  await forgetDevice();
  browser.localStorage = new MemoryStorage();
});

describe("normalizeTicketCode", () => {
  it("reads case, spaces, hyphens and O/I/L the Crockford way; refuses anything else", () => {
    expect(normalizeTicketCode("k7qm3-rzpxa")).toBe("K7QM3RZPXA");
    expect(normalizeTicketCode(" K7QM3 RZPXA ")).toBe("K7QM3RZPXA");
    expect(normalizeTicketCode("O0IL1-abcde")).toBe("00111ABCDE");
    expect(formatTicketCode("K7QM3RZPXA")).toBe("K7QM3-RZPXA");
    for (const bad of [
      "",
      "K7QM3RZPX",
      "K7QM3RZPXAB",
      "UUUUUUUUUU",
      "K7QM3RZP<>",
      "T1.abc.def",
      "K".repeat(40),
    ])
      expect(normalizeTicketCode(bad), bad).toBeNull();
  });
});

describe("a typed code online", () => {
  it("is decided by the server like a scan; an unknown one is UnknownCodeError", async () => {
    const device = await setUpPhone();
    const ticket = await ticketWithCode();
    const verdict = await scanCodeOnline(device.token, ticket.code, "in");
    expect(verdict).toMatchObject({ result: "admitted", ticketId: ticket.id });
    expect(verdict.nonce).toBeTruthy();
    expect((await scanCodeOnline(device.token, ticket.code, "in")).result).toBe("already_admitted");
    const elsewhere = await ticketWithCode({ festival: other.id, type: other.typeId });
    await expect(scanCodeOnline(device.token, elsewhere.code, "in")).rejects.toBeInstanceOf(
      UnknownCodeError,
    );
  });
});

describe("a typed code offline", () => {
  it("is checked against the manifest's digests, admitted once, queued and uploaded", async () => {
    const device = await setUpPhone();
    const ticket = await ticketWithCode();
    const unpaid = await ticketWithCode({ paid: false });
    const elsewhere = await ticketWithCode({ festival: other.id, type: other.typeId });
    await fetchManifest(device.token);
    nav.onLine = false;

    const typed = `${ticket.code.slice(0, 5)}-${ticket.code.slice(5)}`.toLowerCase();
    const first = await scanCodeOffline(typed, "in", loadManifest());
    expect(first).toMatchObject({
      result: "admitted",
      offline: true,
      ticketId: ticket.id,
      ticketType: "Standard",
    });
    const again = await scanCodeOffline(ticket.code, "in", loadManifest());
    expect(again.result).toBe("already_admitted");
    // Its QR code agrees with what the typed code did on this phone.
    expect((await scanOffline(ticket.qrToken, "in", loadManifest())).result).toBe(
      "already_admitted",
    );
    expect((await scanCodeOffline(unpaid.code, "in", loadManifest())).result).toBe("payment_due");
    // Unknown here, or not a code at all: invalid, and nothing to upload.
    for (const bad of [elsewhere.code, "ZZZZZZZZZZ", "not a code", "<script>", "K".repeat(500)])
      expect((await scanCodeOffline(bad, "in", loadManifest())).result, bad).toBe("invalid");
    expect(await scanCodeOffline(ticket.code, "in", null)).toMatchObject({
      result: "invalid",
      noManifest: true,
    });

    const queued = await queuedScans();
    expect(queued.map((q) => [q.code ?? null, q.token ?? null, q.offlineResult])).toEqual([
      [ticket.code, null, "admitted"],
      [ticket.code, null, "already_admitted"],
      [null, ticket.qrToken, "already_admitted"],
    ]);
    // The phone stores no short code but those staff typed: the manifest holds digests only.
    const stored = JSON.stringify([...browser.localStorage.map.entries()]);
    expect(stored).not.toContain(unpaid.code);
    expect(stored).not.toContain(ticket.code);

    nav.onLine = true;
    expect(await syncQueue(device.token)).toBe(3);
    expect(await queueLength()).toBe(0);
    const row = await prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } });
    expect(row.admittedAt).not.toBeNull();
    const checkIns = await prisma.checkIn.findMany({
      where: { ticketId: ticket.id },
      orderBy: { id: "asc" },
    });
    expect(checkIns.map((c) => [c.result, c.offline])).toEqual([
      ["admitted", true],
      ["already_admitted", true],
      ["already_admitted", true],
    ]);
  });
});
