// A ticket's short code typed at the door scanner, over HTTP against the real
// build (decision 0049): the same verdicts as a scan of its QR code (admitted,
// already admitted, payment due, revoked), normalised input, another
// festival's code unknown, bad codes a clear 4xx with nothing written, the
// device's code budget, offline uploads of typed codes, and a manifest that
// carries digests of the codes, never the codes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { DOOR_CODES_PER_MINUTE } from "~/utils/rate-limit.server";
import { ticketCodeDigestInput } from "~/utils/ticket-code";
import { sha256 } from "~/utils/crypto.server";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { expectApiError, MB, SCRIPT, unchanged } from "../helpers/bad-input";
import {
  apiToken,
  buyDoorTicket,
  createDoorDeviceViaApi,
  createUserRow,
  doorFestival,
} from "../helpers/fixtures";

let app: TestApp;
let client: Client;
let organiserToken: string;
let festivalId: string;
let typeId: string;
let other: { id: string; typeId: string };
let device: { id: string; token: string };
let n = 0;
const nonce = () => `code-${++n}-${Date.now().toString(36)}`;

const scan = (body: Record<string, unknown>, token = device.token) =>
  client.api("POST", "/api/v1/door/scans", { nonce: nonce(), ...body }, token);

async function ticketWithCode(options: { paid?: boolean; festival?: string; type?: string } = {}) {
  const bought = await buyDoorTicket(
    client,
    options.festival ?? festivalId,
    options.type ?? typeId,
    { paid: options.paid },
  );
  const row = await prisma.ticket.findUniqueOrThrow({ where: { id: bought.id } });
  return { ...bought, code: row.shortCode! };
}

/** "K7QM3RZPXA" as someone might type it: lower case, spaced, O for 0 and l for 1. */
function sloppy(code: string) {
  const typed = `${code.slice(0, 5)} - ${code.slice(5)}`.toLowerCase();
  return typed.replace(/0/g, "O").replace(/1/g, "l");
}

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  client = new Client(app.url);
  const admin = await createUserRow({ role: "admin" });
  organiserToken = await apiToken(app.url, admin.email);
  ({ id: festivalId, typeId } = await doorFestival(client, organiserToken, { name: "Codes" }));
  other = await doorFestival(client, organiserToken, { name: "Elsewhere" });
  device = await createDoorDeviceViaApi(client, organiserToken, festivalId);
});
afterAll(() => app.close());

describe("a typed short code at the scanner", () => {
  it("admits like a scan, once; typed sloppily it is the same code", async () => {
    const ticket = await ticketWithCode();
    const first = await scan({ code: sloppy(ticket.code) });
    expect(first.status, first.text).toBe(200);
    expect(first.json()).toMatchObject({
      result: "admitted",
      ticketId: ticket.id,
      ticketType: "Standard",
    });
    const second = await scan({ code: ticket.code });
    expect(second.json()).toMatchObject({ result: "already_admitted", ticketId: ticket.id });
    // The QR code of the same ticket agrees: one way to check a ticket.
    const byToken = await scan({ token: ticket.qrToken });
    expect(byToken.json()).toMatchObject({ result: "already_admitted", ticketId: ticket.id });
    const checkIns = await prisma.checkIn.findMany({ where: { ticketId: ticket.id } });
    expect(checkIns.map((c) => c.result)).toEqual([
      "admitted",
      "already_admitted",
      "already_admitted",
    ]);
  });

  it("answers a retried request (same nonce) the same, recording once", async () => {
    const ticket = await ticketWithCode();
    const body = { code: ticket.code, nonce: nonce() };
    const a = await client.api("POST", "/api/v1/door/scans", body, device.token);
    const b = await client.api("POST", "/api/v1/door/scans", body, device.token);
    expect(b.json()).toEqual(a.json());
    expect(await prisma.checkIn.count({ where: { ticketId: ticket.id } })).toBe(1);
  });

  it("says payment due and revoked like a scan, lets out in exit mode", async () => {
    const due = await ticketWithCode({ paid: false });
    expect((await scan({ code: due.code })).json()).toMatchObject({
      result: "payment_due",
      amountDueMinor: 1500,
      currency: "EUR",
    });
    // Paid by its id (what the scanner does after a typed code's verdict).
    const paid = await client.api(
      "POST",
      "/api/v1/door/payments",
      { ticketId: due.id, nonce: nonce(), amountMinor: 1500 },
      device.token,
    );
    expect(paid.json()).toMatchObject({ result: "admitted" });
    expect((await scan({ code: due.code, direction: "out" })).json()).toMatchObject({
      result: "exited",
    });
    const revoked = await ticketWithCode();
    await prisma.ticket.update({ where: { id: revoked.id }, data: { status: "revoked" } });
    expect((await scan({ code: revoked.code })).json()).toMatchObject({ result: "revoked" });
  });

  it("does not know another festival's code (404, nothing recorded)", async () => {
    const elsewhere = await ticketWithCode({ festival: other.id, type: other.typeId });
    const res = await unchanged(() => scan({ code: elsewhere.code }));
    expectApiError(res, 404);
    expect(
      (await prisma.ticket.findUniqueOrThrow({ where: { id: elsewhere.id } })).admittedAt,
    ).toBeNull();
  });

  it("refuses bad codes with a clear 422, nothing written", async () => {
    for (const code of [
      "",
      "ABC",
      "K7QM3RZPX", // 9 characters
      "K7QM3RZPXAB", // 11
      "UUUUUUUUUU", // U is not in the alphabet
      "K7QM3RZPX!",
      SCRIPT,
      "K7QM3RZPXA\u0000",
      "１２３４５６７８９０", // full-width digits
      "K".repeat(33),
      MB,
      12345678,
      null,
      ["K7QM3RZPXA"],
    ]) {
      const res = await unchanged(() => scan({ code }));
      if (code === MB) expect([413, 422]).toContain(res.status);
      else
        expectApiError(
          res,
          422,
          "code",
          "Type the ticket's code: 10 letters and digits, such as K7QM3-RZPXA.",
        );
    }
    // A code and a token at once, or an unknown field: refused too.
    const ticket = await ticketWithCode();
    expectApiError(await unchanged(() => scan({ code: ticket.code, token: ticket.qrToken })), 422);
    expectApiError(await unchanged(() => scan({ code: ticket.code, extra: 1 })), 422);
  });

  it("needs a door device", async () => {
    const ticket = await ticketWithCode();
    expectApiError(
      await unchanged(() => scan({ code: ticket.code }, "not-a-device-token-at-all")),
      401,
    );
  });

  it("limits how many codes one device may type per minute (429 with Retry-After)", async () => {
    const own = await createDoorDeviceViaApi(client, organiserToken, festivalId, "Guesser");
    for (let i = 0; i < DOOR_CODES_PER_MINUTE; i++) {
      const res = await scan({ code: `ZZZZZ${String(i).padStart(5, "0")}` }, own.token);
      expect(res.status).toBe(404);
    }
    const ticket = await ticketWithCode();
    const limited = await unchanged(() => scan({ code: ticket.code }, own.token));
    expectApiError(limited, 429);
    expect(Number(limited.headers.get("Retry-After"))).toBeGreaterThan(0);
    // Scanned QR codes are not held back by the typing budget.
    expect((await scan({ token: ticket.qrToken }, own.token)).json()).toMatchObject({
      result: "admitted",
    });
  });
});

describe("typed codes in an offline upload", () => {
  it("admits by code, answers an unknown code invalid, and refuses a scan with neither or both", async () => {
    const ticket = await ticketWithCode();
    const at = new Date(Date.now() - 60_000).toISOString();
    const res = await client.api(
      "POST",
      "/api/v1/door/scans/batch",
      {
        scans: [
          { code: ticket.code, nonce: nonce(), scannedAt: at, offlineResult: "admitted" },
          { code: "ZZZZZZZZZZ", nonce: nonce(), scannedAt: at, offlineResult: "invalid" },
        ],
      },
      device.token,
    );
    expect(res.status, res.text).toBe(200);
    const { results } = res.json<{ results: { result: string }[] }>();
    expect(results.map((r) => r.result)).toEqual(["admitted", "invalid"]);
    const checkIn = await prisma.checkIn.findFirstOrThrow({ where: { ticketId: ticket.id } });
    expect(checkIn.offline).toBe(true);

    for (const scanBody of [
      { nonce: nonce(), scannedAt: at },
      { code: ticket.code, token: ticket.qrToken, nonce: nonce(), scannedAt: at },
      { code: SCRIPT, nonce: nonce(), scannedAt: at },
    ])
      expectApiError(
        await unchanged(() =>
          client.api("POST", "/api/v1/door/scans/batch", { scans: [scanBody] }, device.token),
        ),
        422,
      );
  });
});

describe("the manifest", () => {
  it("keys tickets by a salted digest of their code, never the code", async () => {
    const ticket = await ticketWithCode();
    const res = await client.get("/api/v1/door/manifest", {
      Authorization: `Bearer ${device.token}`,
    });
    expect(res.status).toBe(200);
    const manifest = res.json<{ codes: Record<string, [string, string]> }>();
    const digest = sha256(ticketCodeDigestInput(festivalId, ticket.code)).slice(0, 16);
    expect(manifest.codes[digest]).toEqual([ticket.id, typeId]);
    expect(res.text).not.toContain(ticket.code);
    // Another festival's digests differ for the same code (the festival salts them).
    expect(sha256(ticketCodeDigestInput(other.id, ticket.code)).slice(0, 16)).not.toBe(digest);
    // Unchanged content, unchanged ETag: phones still get 304s.
    const again = await client.get("/api/v1/door/manifest", {
      Authorization: `Bearer ${device.token}`,
      "If-None-Match": res.headers.get("ETag")!,
    });
    expect(again.status).toBe(304);
  });
});
