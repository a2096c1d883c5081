// Issue 4, bad input at the door: every field of the door scanning API (scans,
// offline batches, payments, undo, search, manifest), device authorization, the
// door-device endpoints, the organisers' door form and /door/setup, with
// missing, wrong-typed, oversized, hostile and unicode-edge values. A refusal
// is a 4xx with a message and writes nothing — no check-in, no admission, no
// money, no device; a scan that is merely wrong (garbage code, another
// festival's ticket) is a verdict, and exactly that verdict is recorded.
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  expectApiError,
  expectEscaped,
  expectFormError,
  IMG,
  LONE_SURROGATE,
  MB,
  NUL,
  RTL,
  SCRIPT,
  snapshot,
  unchanged,
} from "../helpers/bad-input";
import { Client, startTestApp, type HttpResponse, type TestApp } from "../helpers/app";
import {
  addMember,
  apiToken,
  createUserRow,
  festivalBody,
  signedInClient,
} from "../helpers/fixtures";
import { prisma } from "~/utils/db.server";
import { translator } from "~/utils/i18n";

const t = translator("en");
const msg = {
  token: t("v.ticketToken"),
  nonce: t("v.nonce"),
  direction: t("v.direction"),
  invalid: t("v.invalid"),
  dateTime: t("v.dateTime"),
  unknown: t("v.unknownField"),
  control: t("v.controlChars"),
  wrongType: t("v.invalidType"),
  tooBig: t("v.tooBig"),
  text: t("v.text"),
  required: t("v.required"),
  max: (n: number) => t("v.maxLength", { n }),
};

/** A value meaning "leave the key out". */
const MISSING = undefined;
const SQL = "' OR 1=1 --";

type Ticket = { id: string; qrToken: string };
type Festival = { id: string; typeId: string };
type DeviceInfo = { id: string; token: string };

let app: TestApp;
let client: Client;
let adminToken: string;
let adminPage: Client;
let orgBToken: string;
let orgAPage: Client;
let orgBPage: Client;
let staffAPage: Client;
let festA: Festival;
let festB: Festival;
/** Festival A: a paid ticket (admissible), a pay-at-the-door ticket (1500 due). */
let paidA: Ticket;
let dueA: Ticket;
let paidACode: string;
/** Festival B: the same pair, bought under a name that also matches searches in A. */
let paidB: Ticket;
let dueB: Ticket;
let paidBCode: string;
let devA: DeviceInfo;
let devB: DeviceInfo;
let revokedDev: DeviceInfo;

let counter = 0;
/** A fresh, well-formed nonce. */
const fresh = () => `bad-${Date.now().toString(36)}-${++counter}`;

async function newFestival(): Promise<Festival> {
  const f = (
    await client.api(
      "POST",
      "/api/v1/festivals",
      festivalBody({ paymentMethods: ["door"] }),
      adminToken,
    )
  ).json<{ id: string }>();
  await client.api("POST", `/api/v1/festivals/${f.id}/publish`, undefined, adminToken);
  const type = (
    await client.api(
      "POST",
      `/api/v1/festivals/${f.id}/ticket-types`,
      { name: { en: "Standard", ru: "Стандарт" }, priceMinor: 1500, capacity: 1000 },
      adminToken,
    )
  ).json<{ id: string }>();
  return { id: f.id, typeId: type.id };
}

async function buy(festival: Festival, name: string, paid: boolean) {
  const res = await client.api("POST", `/api/v1/festivals/${festival.id}/orders`, {
    items: [{ ticketTypeId: festival.typeId, quantity: 1 }],
    email: "door-bad-input@example.test",
    name,
    paymentMethod: "door",
  });
  expect(res.status, res.text).toBe(201);
  const order = res.json<{ id: string; code: string; tickets: Ticket[] }>();
  if (paid)
    await prisma.ticket.updateMany({ where: { orderId: order.id }, data: { amountDueMinor: 0 } });
  return { ticket: order.tickets[0]!, code: order.code };
}

async function newDevice(festivalId: string, name = `Door ${++counter}`): Promise<DeviceInfo> {
  const res = await client.api(
    "POST",
    `/api/v1/festivals/${festivalId}/door-devices`,
    { name },
    adminToken,
  );
  expect(res.status, res.text).toBe(201);
  return res.json<DeviceInfo>();
}

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  client = new Client(app.url);
  const admin = await createUserRow({ role: "admin", name: "Admin" });
  adminToken = await apiToken(app.url, admin.email);
  adminPage = await signedInClient(app.url, admin.email);
  festA = await newFestival();
  festB = await newFestival();
  ({ ticket: paidA, code: paidACode } = await buy(festA, "Alma Findable", true));
  ({ ticket: dueA } = await buy(festA, "Dora Duepayer", false));
  ({ ticket: paidB, code: paidBCode } = await buy(festB, "Alma Otherfest", true));
  ({ ticket: dueB } = await buy(festB, "Berta Otherdue", false));
  devA = await newDevice(festA.id, "Door A");
  devB = await newDevice(festB.id, "Door B");
  revokedDev = await newDevice(festA.id, "Lost phone");
  expect(
    (await client.api("DELETE", `/api/v1/door-devices/${revokedDev.id}`, undefined, adminToken))
      .status,
  ).toBe(204);
  const orgA = await createUserRow({ name: "Organiser A" });
  await addMember(festA.id, orgA.id, "organiser");
  orgAPage = await signedInClient(app.url, orgA.email);
  const orgB = await createUserRow({ name: "Organiser B" });
  await addMember(festB.id, orgB.id, "organiser");
  orgBToken = await apiToken(app.url, orgB.email);
  orgBPage = await signedInClient(app.url, orgB.email);
  const staffA = await createUserRow({ name: "Door Staff A" });
  await addMember(festA.id, staffA.id, "door");
  staffAPage = await signedInClient(app.url, staffA.email);
});
afterAll(() => app.close());

// ---------------------------------------------------------------- database state

/**
 * Everything a door request could touch: the shared snapshot (row counts of
 * every table, DoorDevice and CheckIn included) plus the door-relevant columns
 * of tickets, orders, devices, money movements and check-ins. A device's
 * `lastSeenAt` is left out: it is the authenticated device's heartbeat.
 */
async function doorState() {
  const [snap, tickets, orders, devices, money, checkIns] = await Promise.all([
    snapshot(festA.id),
    prisma.ticket.findMany({
      orderBy: { id: "asc" },
      select: {
        id: true,
        status: true,
        amountDueMinor: true,
        admittedAt: true,
        admittedBy: true,
        inside: true,
        revokedAt: true,
      },
    }),
    prisma.order.findMany({
      orderBy: { id: "asc" },
      select: { id: true, status: true, paidAt: true, totalMinor: true },
    }),
    prisma.doorDevice.findMany({
      orderBy: { id: "asc" },
      select: { id: true, festivalId: true, name: true, tokenHash: true, revokedAt: true },
    }),
    prisma.ledgerPosting.findMany({ orderBy: { id: "asc" } }),
    prisma.checkIn.findMany({ orderBy: { id: "asc" } }),
  ]);
  return { snap, tickets, orders, devices, money, checkIns };
}

/** Run `act`; prove nothing at all was written (the shared snapshot and the door rows). */
function unchangedDoor<T>(act: () => Promise<T>): Promise<T> {
  return unchanged(async () => {
    const before = await doorState();
    const result = await act();
    expect(await doorState()).toEqual(before);
    return result;
  }, festA.id);
}

type CheckInRow = {
  festivalId: string;
  ticketId: string | null;
  deviceId: string;
  nonce: string;
  direction: string;
  result: string;
  offline: boolean;
};

/** Run `act`; prove it recorded exactly `expected` check-ins and wrote nothing else. */
async function recordsExactly<T>(act: () => Promise<T>, expected: CheckInRow[]): Promise<T> {
  const before = await doorState();
  const result = await act();
  const after = await doorState();
  expect(after.checkIns.slice(0, before.checkIns.length)).toEqual(before.checkIns);
  const added = after.checkIns.slice(before.checkIns.length);
  expect(added).toEqual(expected.map((e) => expect.objectContaining(e)));
  expect({
    ...after,
    checkIns: [],
    snap: { ...after.snap, counts: { ...after.snap.counts, CheckIn: before.snap.counts.CheckIn } },
  }).toEqual({ ...before, checkIns: [] });
  return result;
}

/** The check-in row a verdict of device `d` under `nonce` must leave. */
function row(
  d: DeviceInfo,
  festivalId: string,
  nonce: string,
  result: string,
  ticketId: string | null,
  direction = "in",
): CheckInRow {
  return {
    festivalId,
    ticketId,
    deviceId: d.id,
    nonce: `${d.id}:${nonce}`,
    direction,
    result,
    offline: false,
  };
}

// ---------------------------------------------------------------- helpers

/** `base` with each key of `patch` replaced, added, or (MISSING) removed. */
function withPatch(base: Record<string, unknown>, patch: Record<string, unknown>) {
  const body = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === MISSING) delete body[k];
    else body[k] = v;
  }
  return body;
}

type Case = [label: string, patch: Record<string, unknown>, field: string, message: string];

/** Each field's standard wrong types, reported with `message`. */
function wrongTypes(field: string, message: string, sample: string): Case[] {
  return [
    [`${field}: missing`, { [field]: MISSING }, field, message],
    [`${field}: null`, { [field]: null }, field, message],
    [`${field}: a number`, { [field]: 12345678 }, field, message],
    [`${field}: a boolean`, { [field]: true }, field, message],
    [`${field}: an array`, { [field]: [sample] }, field, message],
    [`${field}: an object`, { [field]: { value: sample } }, field, message],
    [`${field}: empty`, { [field]: "" }, field, message],
  ];
}

const nonceCases: Case[] = [
  ...wrongTypes("nonce", msg.nonce, "nonce-12345"),
  ["nonce: 7 characters", { nonce: "abcdefg" }, "nonce", msg.nonce],
  ["nonce: 65 characters", { nonce: "n".repeat(65) }, "nonce", msg.nonce],
  ["nonce: 1000 characters", { nonce: "n".repeat(1000) }, "nonce", msg.nonce],
  ["nonce: a space", { nonce: "nonce 12345" }, "nonce", msg.nonce],
  ["nonce: a slash and dots", { nonce: "nonce/../../x" }, "nonce", msg.nonce],
  ["nonce: a dot", { nonce: "nonce.12345" }, "nonce", msg.nonce],
  ["nonce: a colon (the device:nonce separator)", { nonce: "other:12345" }, "nonce", msg.nonce],
  ["nonce: SQL", { nonce: `n-12345${SQL}` }, "nonce", msg.nonce],
  ["nonce: a percent sign", { nonce: "nonce%12345" }, "nonce", msg.nonce],
  ["nonce: a non-ASCII letter", { nonce: "n\u00f6nce-12345" }, "nonce", msg.nonce],
  ["nonce: a trailing newline", { nonce: "nonce-12345\n" }, "nonce", msg.nonce],
  ["nonce: script", { nonce: SCRIPT }, "nonce", msg.nonce],
  ["nonce: img", { nonce: IMG }, "nonce", msg.nonce],
  ["nonce: NUL", { nonce: "nonce-1234\u0000" }, "nonce", msg.nonce],
  ["nonce: RTL override", { nonce: "nonce-1234\u202e" }, "nonce", msg.nonce],
  ["nonce: lone surrogate", { nonce: "nonce-1234\ud800" }, "nonce", msg.control],
];

const directionCases: Case[] = [
  ["direction: upper case IN", { direction: "IN" }, "direction", msg.direction],
  ["direction: empty", { direction: "" }, "direction", msg.direction],
  ["direction: a number", { direction: 1 }, "direction", msg.direction],
  ["direction: null", { direction: null }, "direction", msg.direction],
  ["direction: a boolean", { direction: true }, "direction", msg.direction],
  ["direction: an array", { direction: ["in"] }, "direction", msg.direction],
  ["direction: an object", { direction: { in: true } }, "direction", msg.direction],
  ["direction: sideways", { direction: "sideways" }, "direction", msg.direction],
  ["direction: a trailing space", { direction: "in " }, "direction", msg.direction],
  ["direction: script", { direction: SCRIPT }, "direction", msg.direction],
  ["direction: NUL", { direction: "in\u0000" }, "direction", msg.direction],
  ["direction: RTL override", { direction: "\u202ein" }, "direction", msg.direction],
  ["direction: lone surrogate", { direction: "in\udc00" }, "direction", msg.control],
];

function tokenCases(): Case[] {
  return [
    ...wrongTypes("token", msg.token, "T1.a.b"),
    ["token: 1025 characters", { token: "t".repeat(1025) }, "token", msg.token],
    ["token: lone surrogate", { token: LONE_SURROGATE }, "token", msg.control],
    [
      "token: an array nested 1000 deep",
      { token: JSON.parse("[".repeat(1000) + "]".repeat(1000)) as unknown },
      "token",
      msg.token,
    ],
  ];
}

/** Bad values of `ticketId` (a body with `ticketId` is a search-found ticket, no token). */
const ticketIdCases: Case[] = [
  ["ticketId: null", { ticketId: null }, "ticketId", msg.invalid],
  ["ticketId: a number", { ticketId: 42 }, "ticketId", msg.invalid],
  ["ticketId: a boolean", { ticketId: false }, "ticketId", msg.invalid],
  ["ticketId: an array", { ticketId: ["x"] }, "ticketId", msg.invalid],
  ["ticketId: an object", { ticketId: { id: "x" } }, "ticketId", msg.invalid],
  ["ticketId: empty", { ticketId: "" }, "ticketId", msg.invalid],
  ["ticketId: 7 characters", { ticketId: "abcdefg" }, "ticketId", msg.invalid],
  ["ticketId: 65 characters", { ticketId: "a".repeat(65) }, "ticketId", msg.invalid],
  ["ticketId: SQL", { ticketId: SQL }, "ticketId", msg.invalid],
  ["ticketId: script", { ticketId: SCRIPT }, "ticketId", msg.invalid],
  ["ticketId: path traversal", { ticketId: "../../etc/passwd" }, "ticketId", msg.invalid],
  ["ticketId: NUL", { ticketId: "ticket-id\u0000" }, "ticketId", msg.invalid],
  ["ticketId: RTL override", { ticketId: "ticket-id\u202e" }, "ticketId", msg.invalid],
  ["ticketId: lone surrogate", { ticketId: "ticket-id\ud800" }, "ticketId", msg.control],
];

/** Hostile but well-typed scanned codes: garbage to the scanner, a recorded `invalid` verdict. */
const garbageTokens: [string, string][] = [
  ["script", SCRIPT],
  ["img", IMG],
  ["SQL", SQL],
  ["NUL", `T1.${NUL}.x`],
  ["RTL override", RTL],
  ["a newline", "T1.a\nb.c"],
  ["a wrong-shaped token", "T1.a.b"],
  ["1024 characters (the limit)", "t".repeat(1024)],
  ["an emoji", "\u{1F3AB}\u{1F3AB}"],
  ["a `__proto__` string", "__proto__"],
];

/** Raw JSON bodies with prototype keys; `rest` is the rest of a valid body. */
function protoBodies(rest: Record<string, unknown>): [string, string, string][] {
  const tail = JSON.stringify(rest).slice(1);
  return [
    ["`__proto__`", `{"__proto__":{"ticketId":"x","polluted":true},${tail}`, "__proto__"],
    ["`constructor`", `{"constructor":{"prototype":{"polluted":true}},${tail}`, "constructor"],
  ];
}

/** A raw HTTP request (a huge header or body, chunked): answers, or says the connection was cut. */
function rawRequest(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer | (() => AsyncGenerator<Buffer>),
) {
  return new Promise<{ status: number; text: string; contentType: string }>((resolve) => {
    let answered = false;
    const req = http.request(
      app.url + path,
      { method, headers: { Origin: app.url, ...headers } },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString(),
            contentType: res.headers["content-type"] ?? "",
          }),
        );
      },
    );
    // A cut connection without any answer is reported as status 0 (a failure below).
    req.on("error", () => {
      setTimeout(
        () => (answered ? undefined : resolve({ status: 0, text: "", contentType: "" })),
        500,
      );
    });
    if (!body) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else
      void (async () => {
        for await (const chunk of body())
          if (!req.write(chunk)) await new Promise((r) => req.once("drain", r));
        req.end();
      })().catch(() => undefined);
  });
}

/** A 1 MB JSON body sent chunked (no Content-Length), in 64 KB pieces. */
function chunkedMB(prefix: string, suffix: string) {
  return async function* () {
    yield Buffer.from(prefix);
    for (let i = 0; i < 16; i++) yield Buffer.alloc(64 * 1024, "x");
    yield Buffer.from(suffix);
  };
}

/** A thrown 4xx on a page: the HTML error page with a title and a message. */
function expectErrorPage(res: HttpResponse, statuses: number[]) {
  expect(statuses, `${res.status}: ${res.text.slice(0, 300)}`).toContain(res.status);
  if (res.headers.get("content-type")?.includes("application/json")) {
    expect(res.json()).toMatchObject({
      error: expect.any(String),
      message: expect.stringMatching(/./),
    });
    return;
  }
  expect(res.headers.get("content-type")).toContain("text/html");
  expect(res.text).toMatch(/<section class="error-page"><h([12])>[^<]+<\/h\1><p>[^<]+<\/p>/);
}

const post = (path: string, body: unknown, token: string) => client.api("POST", path, body, token);

// ---------------------------------------------------------------- scans

describe("POST /api/v1/door/scans", () => {
  const base = () => ({ token: paidA.qrToken, nonce: fresh() });
  const cases: Case[] = [
    ...tokenCases(),
    ...nonceCases,
    ...directionCases,
    ["unknown key", { extra: 1 }, "extra", msg.unknown],
    ["unknown key `festivalId`", { festivalId: "other" }, "festivalId", msg.unknown],
    ["unknown key `deviceId`", { deviceId: "other" }, "deviceId", msg.unknown],
    ["unknown key `offline`", { offline: true }, "offline", msg.unknown],
    [
      "unknown key `scannedAt` (batch only)",
      { scannedAt: "2030-01-26T15:00:00Z" },
      "scannedAt",
      msg.unknown,
    ],
    ["unknown key `result`", { result: "admitted" }, "result", msg.unknown],
  ];

  it.each(cases)("%s → 422 with the field's message", async (_label, patch, field, message) => {
    const res = await unchangedDoor(() =>
      post("/api/v1/door/scans", withPatch(base(), patch), devA.token),
    );
    expect(expectApiError(res, 422, field, message).error).toBe("validation_failed");
  });

  it.each(ticketIdCases)(
    "by ticket id, %s → 422 with the field's message",
    async (_label, patch, field, message) => {
      const res = await unchangedDoor(() =>
        post("/api/v1/door/scans", withPatch({ nonce: fresh() }, patch), devA.token),
      );
      expectApiError(res, 422, field, message);
    },
  );

  it.each([
    ["token and ticketId", { token: "T1.a.b", ticketId: "ticket-id-123" }, "token"],
    ["ticketId with a real token", { ticketId: "ticket-id-123" }, "token"],
  ])("both %s → 422: one way of naming the ticket", async (_label, patch, field) => {
    const res = await unchangedDoor(() =>
      post("/api/v1/door/scans", withPatch(base(), patch), devA.token),
    );
    expectApiError(res, 422, field, msg.unknown);
  });

  it("by ticket id, with nonce and direction bad too → 422 naming each", async () => {
    const res = await unchangedDoor(() =>
      post("/api/v1/door/scans", { ticketId: 1, nonce: 2, direction: 3, x: 4 }, devA.token),
    );
    const body = expectApiError(res, 422);
    expect(body.fields).toEqual({
      ticketId: msg.invalid,
      nonce: msg.nonce,
      direction: msg.direction,
      x: msg.unknown,
    });
  });

  it.each(protoBodies({ token: "T1.a.b", nonce: "proto-nonce-1" }))(
    "a %s key → 422, pollutes nothing",
    async (_label, raw, field) => {
      const res = await unchangedDoor(() => post("/api/v1/door/scans", raw, devA.token));
      expectApiError(res, 422, field, msg.unknown);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(({} as Record<string, unknown>).ticketId).toBeUndefined();
    },
  );

  it.each([
    ["a token just over the 4 KB body limit", { token: "t".repeat(4100) }],
    ["a 1 MB token", { token: MB }],
    ["a 1 MB nonce", { nonce: MB }],
    ["a 1 MB direction", { direction: MB }],
    ["a 1 MB ticketId", { ticketId: MB, token: MISSING }],
    ["a 1 MB unknown key", { extra: MB }],
  ])("%s → 413", async (_label, patch) => {
    const res = await unchangedDoor(() =>
      post("/api/v1/door/scans", withPatch(base(), patch), devA.token),
    );
    expect(expectApiError(res, 413).error).toBe("payload_too_large");
  });

  it.each(garbageTokens)(
    "a %s token is scanned as garbage: 200 invalid, one check-in recorded, nothing admitted",
    async (_label, token) => {
      const nonce = fresh();
      const res = await recordsExactly(
        () => post("/api/v1/door/scans", { token, nonce }, devA.token),
        [row(devA, festA.id, nonce, "invalid", null)],
      );
      expect(res.status, res.text).toBe(200);
      expect(res.json()).toEqual({ result: "invalid" });
      expect(res.text).not.toContain("<script");
    },
  );

  it("a garbage token in exit mode: invalid, recorded with direction out", async () => {
    const nonce = fresh();
    const res = await recordsExactly(
      () => post("/api/v1/door/scans", { token: SCRIPT, nonce, direction: "out" }, devA.token),
      [row(devA, festA.id, nonce, "invalid", null, "out")],
    );
    expect(res.json()).toEqual({ result: "invalid" });
  });

  it("another festival's ticket by id → 200 invalid, recorded, that ticket untouched", async () => {
    const nonce = fresh();
    const res = await recordsExactly(
      () => post("/api/v1/door/scans", { ticketId: paidB.id, nonce }, devA.token),
      [row(devA, festA.id, nonce, "invalid", null)],
    );
    expect(res.status, res.text).toBe(200);
    expect(res.json()).toEqual({ result: "invalid" });
  });

  it("another festival's ticket by id in exit mode → 200 invalid, recorded", async () => {
    const nonce = fresh();
    const res = await recordsExactly(
      () => post("/api/v1/door/scans", { ticketId: paidB.id, nonce, direction: "out" }, devA.token),
      [row(devA, festA.id, nonce, "invalid", null, "out")],
    );
    expect(res.json()).toEqual({ result: "invalid" });
  });

  it("another festival's QR code → 200 wrong_festival, recorded, that ticket untouched", async () => {
    const nonce = fresh();
    const res = await recordsExactly(
      () => post("/api/v1/door/scans", { token: paidB.qrToken, nonce }, devA.token),
      [row(devA, festA.id, nonce, "wrong_festival", null)],
    );
    expect(res.json()).toEqual({ result: "wrong_festival" });
  });

  it("an unknown but well-formed ticket id → 200 invalid, recorded", async () => {
    const nonce = fresh();
    const res = await recordsExactly(
      () =>
        post("/api/v1/door/scans", { ticketId: "cunknownticketid000000000", nonce }, devA.token),
      [row(devA, festA.id, nonce, "invalid", null)],
    );
    expect(res.json()).toEqual({ result: "invalid" });
  });

  it("organisers of a festival never see buyers of another festival's tickets scanned at their door", async () => {
    // Scans of festival B's ticket at festival A's door (by code and by id) are
    // recorded under A with B's ticket id; A's check-in list and CSV must not
    // join them to B's order (buyer name, order code).
    await post("/api/v1/door/scans", { token: paidB.qrToken, nonce: fresh() }, devA.token);
    await post("/api/v1/door/scans", { ticketId: paidB.id, nonce: fresh() }, devA.token);
    const page = await orgAPage.get(`/admin/festivals/${festA.id}/door`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("Door A");
    expect(page.text, "B's buyer on A's door page").not.toContain("Alma Otherfest");
    expect(page.text, "B's order code on A's door page").not.toContain(paidBCode);
    const search = await orgAPage.postForm(`/admin/festivals/${festA.id}/door`, {
      intent: "search",
      q: "Otherfest",
    });
    expect(search.status).toBe(200);
    expect(search.text, "B's buyer found by A's check-in search").not.toContain("Alma Otherfest");
    const csv = await orgAPage.get(`/admin/festivals/${festA.id}/check-ins.csv`);
    expect(csv.status).toBe(200);
    expect(csv.text, "B's order code in A's CSV").not.toContain(paidBCode);
  });
});

// ---------------------------------------------------------------- batch

describe("POST /api/v1/door/scans/batch", () => {
  const item = (over: Record<string, unknown> = {}) =>
    withPatch(
      {
        token: paidA.qrToken,
        nonce: fresh(),
        scannedAt: new Date(Date.now() - 60_000).toISOString(),
        offlineResult: "admitted",
      },
      over,
    );

  const topCases: [string, unknown, string, string][] = [
    ["scans: missing", MISSING, "scans", msg.invalid],
    ["scans: null", null, "scans", msg.invalid],
    ["scans: an object", { 0: {} }, "scans", msg.invalid],
    ["scans: a string", "scans", "scans", msg.invalid],
    ["scans: a number", 1, "scans", msg.invalid],
    ["scans: a boolean", true, "scans", msg.invalid],
    ["scans: empty", [], "scans", msg.invalid],
  ];

  it.each(topCases)("%s → 422", async (_label, scans, field, message) => {
    const res = await unchangedDoor(() =>
      post("/api/v1/door/scans/batch", scans === MISSING ? {} : { scans }, devA.token),
    );
    expectApiError(res, 422, field, message);
  });

  it("501 scans → 422 too large, none of the 500 valid-looking ones recorded", async () => {
    const scans = Array.from({ length: 501 }, () => item());
    const res = await unchangedDoor(() => post("/api/v1/door/scans/batch", { scans }, devA.token));
    expectApiError(res, 422, "scans", msg.tooBig);
  });

  it("an unknown top-level key → 422", async () => {
    const res = await unchangedDoor(() =>
      post("/api/v1/door/scans/batch", { scans: [item()], deviceId: devB.id }, devA.token),
    );
    expectApiError(res, 422, "deviceId", msg.unknown);
  });

  it.each(
    protoBodies({
      scans: [{ token: "T1.a.b", nonce: "proto-nonce-1", scannedAt: "2030-01-26T15:00:00Z" }],
    }),
  )("a %s key → 422, pollutes nothing", async (_label, raw, field) => {
    const res = await unchangedDoor(() => post("/api/v1/door/scans/batch", raw, devA.token));
    expectApiError(res, 422, field, msg.unknown);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  const itemCases: Case[] = [
    ...tokenCases().filter(([l]) => !l.includes("nested")),
    ...nonceCases,
    ...directionCases,
    ["scannedAt: missing", { scannedAt: MISSING }, "scannedAt", msg.dateTime],
    ["scannedAt: null", { scannedAt: null }, "scannedAt", msg.dateTime],
    ["scannedAt: a number", { scannedAt: Date.now() }, "scannedAt", msg.dateTime],
    ["scannedAt: an object", { scannedAt: { at: "now" } }, "scannedAt", msg.dateTime],
    [
      "scannedAt: 41 characters",
      { scannedAt: `2030-01-26T15:00:00.${"0".repeat(20)}Z` },
      "scannedAt",
      msg.dateTime,
    ],
    ["scannedAt: 10 KB", { scannedAt: "2".repeat(10_000) }, "scannedAt", msg.dateTime],
    ["scannedAt: lone surrogate", { scannedAt: "2030\ud800" }, "scannedAt", msg.control],
    ["offlineResult: not in the list", { offlineResult: "maybe" }, "offlineResult", msg.invalid],
    ["offlineResult: upper case", { offlineResult: "ADMITTED" }, "offlineResult", msg.invalid],
    [
      "offlineResult: a server-only verdict",
      { offlineResult: "conflict" },
      "offlineResult",
      msg.invalid,
    ],
    ["offlineResult: empty", { offlineResult: "" }, "offlineResult", msg.invalid],
    ["offlineResult: null", { offlineResult: null }, "offlineResult", msg.invalid],
    ["offlineResult: a number", { offlineResult: 1 }, "offlineResult", msg.invalid],
    ["offlineResult: script", { offlineResult: SCRIPT }, "offlineResult", msg.invalid],
    [
      "unknown key `ticketId` (online only)",
      { ticketId: "ticket-id-1234" },
      "ticketId",
      msg.unknown,
    ],
    ["unknown key `offline`", { offline: false }, "offline", msg.unknown],
    ["unknown key `result`", { result: "admitted" }, "result", msg.unknown],
  ];

  it.each(itemCases)(
    "the second scan's %s → 422 for the whole batch; the valid first scan is not recorded",
    async (_label, patch, field, message) => {
      const res = await unchangedDoor(() =>
        post("/api/v1/door/scans/batch", { scans: [item(), item(patch)] }, devA.token),
      );
      expectApiError(res, 422, `scans.1.${field}`, message);
    },
  );

  it.each([
    ["a string", "scan"],
    ["null", null],
    ["an array", [{ token: "T1.a.b", nonce: "nonce-12345" }]],
    ["a number", 7],
  ])("a scan that is %s → 422, nothing recorded", async (_label, bad) => {
    const res = await unchangedDoor(() =>
      post("/api/v1/door/scans/batch", { scans: [item(), bad] }, devA.token),
    );
    expectApiError(res, 422, "scans.1", msg.wrongType);
  });

  it("the bad scan last of 500 → 422, none of the 499 recorded", async () => {
    const scans = [...Array.from({ length: 499 }, () => item()), item({ nonce: "bad nonce" })];
    const res = await unchangedDoor(() => post("/api/v1/door/scans/batch", { scans }, devA.token));
    expectApiError(res, 422, "scans.499.nonce", msg.nonce);
  });

  // Documented as ISO 8601: a value that is not a moment is refused like any
  // other bad field, not silently replaced by the upload time.
  it.each([
    ["words", "yesterday"],
    ["empty", ""],
    ["script", SCRIPT],
    ["30 February", "2030-02-30T10:00:00Z"],
    ["month 13", "2030-13-01T10:00:00Z"],
  ])(
    "scannedAt not a date (%s) → 422 for the whole batch, nothing recorded",
    async (_label, scannedAt) => {
      const res = await unchangedDoor(() =>
        post("/api/v1/door/scans/batch", { scans: [item(), item({ scannedAt })] }, devA.token),
      );
      expectApiError(res, 422, "scans.1.scannedAt", msg.dateTime);
    },
  );

  it.each([
    ["a body just over the 512 KB limit", { token: "t".repeat(530 * 1024) }],
    ["a 1 MB token", { token: MB }],
    ["a 1 MB scannedAt", { scannedAt: MB }],
  ])("%s → 413", async (_label, patch) => {
    const res = await unchangedDoor(() =>
      post("/api/v1/door/scans/batch", { scans: [item(), item(patch)] }, devA.token),
    );
    expect(expectApiError(res, 413).error).toBe("payload_too_large");
  });

  it("another festival's code in a batch → wrong_festival, exactly one offline check-in", async () => {
    const nonce = fresh();
    const res = await recordsExactly(
      () =>
        post(
          "/api/v1/door/scans/batch",
          { scans: [{ token: paidB.qrToken, nonce, scannedAt: new Date().toISOString() }] },
          devA.token,
        ),
      [{ ...row(devA, festA.id, nonce, "wrong_festival", null), offline: true }],
    );
    expect(res.json()).toEqual({ results: [{ nonce, result: "wrong_festival" }] });
  });
});

// ---------------------------------------------------------------- payments

describe("POST /api/v1/door/payments", () => {
  const base = () => ({ token: dueA.qrToken, nonce: fresh() });
  const cases: Case[] = [
    ...tokenCases(),
    ...nonceCases,
    ["direction (not taken here): in", { direction: "in" }, "direction", msg.unknown],
    ["direction (not taken here): out", { direction: "out" }, "direction", msg.unknown],
    ["direction (not taken here): script", { direction: SCRIPT }, "direction", msg.unknown],
    // What staff took (issue 9): a whole number of minor units, checked against what is due.
    ["amountMinor: negative", { amountMinor: -1 }, "amountMinor", t("v.amount")],
    ["amountMinor: a fraction", { amountMinor: 15.5 }, "amountMinor", t("v.amount")],
    ["amountMinor: a string", { amountMinor: "1500" }, "amountMinor", t("v.amount")],
    ["amountMinor: huge", { amountMinor: 1e20 }, "amountMinor", t("v.amount")],
    ["donation: unknown choice", { donation: "maybe" }, "donation", msg.invalid],
    ["donation: script", { donation: SCRIPT }, "donation", msg.invalid],
    ["unknown key `paymentMethod`", { paymentMethod: "stripe" }, "paymentMethod", msg.unknown],
    ["unknown key `currency`", { currency: "USD" }, "currency", msg.unknown],
  ];

  it.each(cases)("%s → 422, no money recorded", async (_label, patch, field, message) => {
    const res = await unchangedDoor(() =>
      post("/api/v1/door/payments", withPatch(base(), patch), devA.token),
    );
    expectApiError(res, 422, field, message);
  });

  it.each([
    ...ticketIdCases,
    [
      "direction with a ticket id",
      { ticketId: "ticket-id-1234", direction: "in" },
      "direction",
      msg.unknown,
    ],
    [
      "negative amountMinor with a ticket id",
      { ticketId: "ticket-id-1234", amountMinor: -1 },
      "amountMinor",
      t("v.amount"),
    ],
  ] as Case[])(
    "by ticket id, %s → 422, no money recorded",
    async (_label, patch, field, message) => {
      const res = await unchangedDoor(() =>
        post("/api/v1/door/payments", withPatch({ nonce: fresh() }, patch), devA.token),
      );
      expectApiError(res, 422, field, message);
    },
  );

  it("both token and ticketId → 422", async () => {
    const res = await unchangedDoor(() =>
      post("/api/v1/door/payments", { ...base(), ticketId: dueA.id }, devA.token),
    );
    expectApiError(res, 422, "token", msg.unknown);
  });

  it.each(protoBodies({ token: "T1.a.b", nonce: "proto-nonce-2" }))(
    "a %s key → 422, pollutes nothing",
    async (_label, raw, field) => {
      const res = await unchangedDoor(() => post("/api/v1/door/payments", raw, devA.token));
      expectApiError(res, 422, field, msg.unknown);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  );

  it.each([
    ["a token just over the 4 KB body limit", { token: "t".repeat(4100) }],
    ["a 1 MB token", { token: MB }],
    ["a 1 MB nonce", { nonce: MB }],
  ])("%s → 413", async (_label, patch) => {
    const res = await unchangedDoor(() =>
      post("/api/v1/door/payments", withPatch(base(), patch), devA.token),
    );
    expectApiError(res, 413);
  });

  it.each(garbageTokens.slice(0, 5))(
    "a %s token: 200 invalid, one check-in, no money",
    async (_label, token) => {
      const nonce = fresh();
      const res = await recordsExactly(
        () => post("/api/v1/door/payments", { token, nonce }, devA.token),
        [row(devA, festA.id, nonce, "invalid", null)],
      );
      expect(res.json()).toEqual({ result: "invalid" });
    },
  );

  it("another festival's due ticket by id → 200 invalid, no money, its order still unpaid", async () => {
    const nonce = fresh();
    const res = await recordsExactly(
      () => post("/api/v1/door/payments", { ticketId: dueB.id, nonce }, devA.token),
      [row(devA, festA.id, nonce, "invalid", null)],
    );
    expect(res.status, res.text).toBe(200);
    expect(res.json()).toEqual({ result: "invalid" });
  });

  it("another festival's due ticket by code → 200 wrong_festival, no money", async () => {
    const nonce = fresh();
    const res = await recordsExactly(
      () => post("/api/v1/door/payments", { token: dueB.qrToken, nonce }, devA.token),
      [row(devA, festA.id, nonce, "wrong_festival", null)],
    );
    expect(res.json()).toEqual({ result: "wrong_festival" });
  });
});

// ---------------------------------------------------------------- undo

describe("POST /api/v1/door/undo", () => {
  const cases: Case[] = [
    ...nonceCases,
    ["unknown key `ticketId`", { ticketId: "ticket-id-1234" }, "ticketId", msg.unknown],
    ["unknown key `deviceId`", { deviceId: "x" }, "deviceId", msg.unknown],
  ];

  it.each(cases)("%s → 422", async (_label, patch, field, message) => {
    const res = await unchangedDoor(() =>
      post("/api/v1/door/undo", withPatch({ nonce: fresh() }, patch), devA.token),
    );
    expectApiError(res, 422, field, message);
  });

  it.each(protoBodies({ nonce: "proto-nonce-3" }))(
    "a %s key → 422, pollutes nothing",
    async (_label, raw, field) => {
      const res = await unchangedDoor(() => post("/api/v1/door/undo", raw, devA.token));
      expectApiError(res, 422, field, msg.unknown);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  );

  it.each([
    ["a nonce just over the 1 KB body limit", "n".repeat(1100)],
    ["a 1 MB nonce", MB],
  ])("%s → 413", async (_label, nonce) => {
    const res = await unchangedDoor(() => post("/api/v1/door/undo", { nonce }, devA.token));
    expectApiError(res, 413);
  });

  it("a well-formed nonce that belongs to nothing → 200 invalid, recorded as such (and once when retried)", async () => {
    const nonce = fresh();
    const expected = [row(devA, festA.id, `undo:${nonce}`, "invalid", null)];
    const res = await recordsExactly(
      () => post("/api/v1/door/undo", { nonce }, devA.token),
      expected,
    );
    expect(res.status, res.text).toBe(200);
    expect(res.json()).toEqual({ result: "invalid" });
    const stored = await prisma.checkIn.findUniqueOrThrow({
      where: { nonce: `${devA.id}:undo:${nonce}` },
    });
    expect(JSON.parse(stored.response)).toEqual({ result: "invalid" });
    const again = await unchangedDoor(() => post("/api/v1/door/undo", { nonce }, devA.token));
    expect(again.json()).toEqual({ result: "invalid" });
  });

  it("the nonce of a refused (invalid) scan cannot be undone: 200 invalid, tickets untouched", async () => {
    const nonce = fresh();
    await post("/api/v1/door/scans", { ticketId: paidB.id, nonce }, devA.token);
    const res = await recordsExactly(
      () => post("/api/v1/door/undo", { nonce }, devA.token),
      [row(devA, festA.id, `undo:${nonce}`, "invalid", null)],
    );
    expect(res.json()).toEqual({ result: "invalid" });
  });
  it("a scan nonce shaped like an undo's (`undo-<nonce>`) does not shadow the real undo", async () => {
    const { ticket } = await buy(festA, "Una Undo", true);
    const nonce = fresh();
    const admitted = await post("/api/v1/door/scans", { token: ticket.qrToken, nonce }, devA.token);
    expect(admitted.json()).toMatchObject({ result: "admitted" });
    // Either refused (a reserved prefix) or scanned as the garbage it is…
    const shadow = await post(
      "/api/v1/door/scans",
      { token: SCRIPT, nonce: `undo:${nonce}` },
      devA.token,
    );
    expect([200, 422]).toContain(shadow.status);
    // …but the undo of the admission must still undo it.
    const undo = await post("/api/v1/door/undo", { nonce }, devA.token);
    expect(undo.json()).toEqual({ result: "undone", ticketId: ticket.id });
    expect(
      (await prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } })).admittedAt,
    ).toBeNull();
  });
});

// ---------------------------------------------------------------- search and manifest

describe("POST /api/v1/door/search", () => {
  type Results = { results: { ticketId: string; orderCode: string; name: string | null }[] };
  const foreign = () => [paidB.id, dueB.id];
  const search = (body: unknown, token = devA.token) =>
    unchangedDoor(() => client.api("POST", "/api/v1/door/search", body, token));

  function expectResults(res: HttpResponse): Results["results"] {
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    const { results } = res.json<Results>();
    expect(Array.isArray(results)).toBe(true);
    for (const r of results) expect(foreign()).not.toContain(r.ticketId);
    return results;
  }

  it("finds this festival's ticket by name, never the other festival's namesake", async () => {
    const results = expectResults(await search({ q: "Alma" }));
    expect(results.map((r) => r.ticketId)).toEqual([paidA.id]);
  });

  it("the other festival's order code and buyer are not found", async () => {
    expect(expectResults(await search({ q: paidBCode }))).toEqual([]);
    expect(expectResults(await search({ q: "Otherfest" }))).toEqual([]);
    expect(expectResults(await search({ q: "Berta" }))).toEqual([]);
  });

  // Fewer than 3 characters (after trimming) is a 422 naming `q`; anything
  // longer is searched literally: this festival's tickets only, no writes.
  it.each([
    ["q missing", {}, 422],
    ["q empty", { q: "" }, 422],
    ["q one character", { q: "A" }, 422],
    ["q two characters", { q: "Al" }, 422],
    ["q only spaces", { q: "   " }, 422],
    ["q 10 KB", { q: "a".repeat(10_000) }, 200],
    ["q %", { q: "%" }, 422],
    ["q %%%", { q: "%%%" }, 200],
    ["q _", { q: "_" }, 422],
    ["q ___", { q: "___" }, 200],
    ["q \\", { q: "\\" }, 422],
    ["q \\%_", { q: "\\%_" }, 200],
    ["q SQL", { q: SQL }, 200],
    ["q SQL union", { q: "x' UNION SELECT id, status FROM Ticket --" }, 200],
    ["q script", { q: SCRIPT }, 200],
    ["q NUL", { q: "\u0000" }, 422],
    ["q NUL inside", { q: "Al\u0000ma" }, 200],
    ["q RTL override", { q: RTL }, 200],
    ["q a number", { q: 12345 }, 422],
    ["q an array", { q: ["Alma"] }, 422],
    ["q an object", { q: { $ne: null } }, 422],
    ["q null", { q: null }, 422],
  ])("%s, nothing of another festival, no writes", async (_label, body, status) => {
    const res = await search(body);
    if (status === 200) expectResults(res);
    else {
      expect(res.status, res.text.slice(0, 300)).toBe(422);
      expect(res.json()).toMatchObject({
        error: "validation_failed",
        fields: { q: expect.stringContaining("3") },
      });
    }
  });

  it("a lone surrogate in q is refused as an invisible character, with nothing written", async () => {
    const res = await search({ q: "\ud800abc" });
    expect(res.status).toBe(422);
    expect(res.json()).toMatchObject({ fields: { q: expect.any(String) } });
  });

  it("a query in the URL is not read: GET is 405, and POST reads the body only", async () => {
    const get = await client.api("GET", "/api/v1/door/search?q=Alma", undefined, devA.token);
    expect(get.status).toBe(405);
    const res = await client.api(
      "POST",
      "/api/v1/door/search?q=Otherfest",
      { q: "Alma" },
      devA.token,
    );
    expect(expectResults(res).map((r) => r.ticketId)).toEqual([paidA.id]);
  });

  it("the other festival's device finds only its own festival's tickets", async () => {
    const res = await unchangedDoor(() =>
      client.api("POST", "/api/v1/door/search", { q: "Alma" }, devB.token),
    );
    expect(res.status).toBe(200);
    expect(res.json<Results>().results.map((r) => r.ticketId)).toEqual([paidB.id]);
  });

  it("answers JSON, never HTML, for a script query", async () => {
    const res = await search({ q: SCRIPT });
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(res.text).not.toContain("<script");
  });
});

describe("GET /api/v1/door/manifest", () => {
  type Manifest = {
    festival: { id: string };
    admitted: string[];
    revoked: string[];
    outside: string[];
    paymentDue: Record<string, number>;
    generatedAt: string;
  };
  const strip = (m: Manifest) => ({ ...m, generatedAt: "" });

  it.each([
    ["another festival's id", "?festivalId=FESTB"],
    ["since and version", "?since=0&version=999999"],
    ["a script", `?q=${encodeURIComponent(SCRIPT)}`],
    ["`__proto__`", "?__proto__[polluted]=1&constructor[prototype][polluted]=1"],
    ["10 KB of parameters", `?x=${"y".repeat(10_000)}`],
    ["a lone surrogate", "?x=%ED%A0%80"],
  ])("extra query params (%s) are harmless", async (_label, query) => {
    const plain = await client.api("GET", "/api/v1/door/manifest", undefined, devA.token);
    expect(plain.status).toBe(200);
    const res = await unchangedDoor(() =>
      client.api(
        "GET",
        `/api/v1/door/manifest${query.replace("FESTB", festB.id)}`,
        undefined,
        devA.token,
      ),
    );
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    const m = res.json<Manifest>();
    expect(strip(m)).toEqual(strip(plain.json<Manifest>()));
    expect(m.festival.id).toBe(festA.id);
    expect(res.text).not.toContain(paidB.id);
    expect(res.text).not.toContain(dueB.id);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

// ---------------------------------------------------------------- bodies and authorization

describe("door request bodies that are not a JSON object", () => {
  const endpoints: [string, string, () => string][] = [
    ["scans", "/api/v1/door/scans", () => devA.token],
    ["batch", "/api/v1/door/scans/batch", () => devA.token],
    ["payments", "/api/v1/door/payments", () => devA.token],
    ["undo", "/api/v1/door/undo", () => devA.token],
    ["door-devices", "/api/v1/festivals/FESTA/door-devices", () => adminToken],
  ];
  const json = { "Content-Type": "application/json" };
  const bodies: [string, string, Record<string, string>, number][] = [
    ["invalid JSON", '{"token": "T1.a.b",', json, 400],
    ["single-quoted JSON-ish", "{'token': 'T1.a.b'}", json, 400],
    ["an empty body", "", json, 400],
    ["a JSON array", `[{"token":"T1.a.b","nonce":"nonce-12345"}]`, json, 400],
    ["JSON null", "null", json, 400],
    ["a JSON number", "42", json, 400],
    ["a JSON string", '"T1.a.b"', json, 400],
    ["JSON true", "true", json, 400],
    ["a truncated NUL", '{"token":"\u0000"', json, 400],
    ["text/plain", '{"nonce":"nonce-12345"}', { "Content-Type": "text/plain" }, 415],
    [
      "form-urlencoded",
      "nonce=nonce-12345",
      { "Content-Type": "application/x-www-form-urlencoded" },
      415,
    ],
    ["multipart", "--x--", { "Content-Type": "multipart/form-data; boundary=x" }, 415],
    ["JSON with a wrong type prefix", "{}", { "Content-Type": "text/json" }, 415],
    ["no Content-Type", "{}", {}, 415],
  ];
  const table = endpoints.flatMap(([name, path, auth]) =>
    bodies.map(
      ([label, body, headers, status]) =>
        [`${name}: ${label} → ${status}`, path, auth, body, headers, status] as const,
    ),
  );

  it.each(table)("%s", async (_label, path, auth, body, headers, status) => {
    const res = await unchangedDoor(() =>
      client.request("POST", path.replace("FESTA", festA.id), {
        // A Uint8Array body carries no default Content-Type.
        body: "Content-Type" in headers ? body : new TextEncoder().encode(body),
        headers: { ...headers, Authorization: `Bearer ${auth()}` },
      }),
    );
    expectApiError(res, status);
  });

  it.each(endpoints)(
    "%s: 1 MB sent chunked (no Content-Length) → 413, no hang",
    async (_name, path, auth) => {
      const res = await unchangedDoor(() =>
        rawRequest(
          "POST",
          path.replace("FESTA", festA.id),
          { "Content-Type": "application/json", Authorization: `Bearer ${auth()}` },
          chunkedMB('{"token":"', '","nonce":"nonce-12345"}'),
        ),
      );
      expect(res.status).toBe(413);
      expect(res.contentType).toContain("application/json");
      expect(JSON.parse(res.text)).toMatchObject({
        error: "payload_too_large",
        message: expect.any(String),
      });
    },
  );

  it.each(endpoints)("%s: a declared 10 MB body → 413, no hang", async (_name, path, auth) => {
    const body = Buffer.from(JSON.stringify({ token: "x".repeat(10 * 1024 * 1024) }));
    const res = await unchangedDoor(() =>
      rawRequest(
        "POST",
        path.replace("FESTA", festA.id),
        {
          "Content-Type": "application/json",
          "Content-Length": String(body.length),
          Authorization: `Bearer ${auth()}`,
        },
        body,
      ),
    );
    expect(res.status).toBe(413);
    expect(JSON.parse(res.text)).toMatchObject({ error: "payload_too_large" });
  });
});

describe("device authorization", () => {
  const endpoints: [string, string, string, () => unknown][] = [
    ["scans", "POST", "/api/v1/door/scans", () => ({ token: paidA.qrToken, nonce: fresh() })],
    [
      "batch",
      "POST",
      "/api/v1/door/scans/batch",
      () => ({
        scans: [{ token: paidA.qrToken, nonce: fresh(), scannedAt: new Date().toISOString() }],
      }),
    ],
    ["payments", "POST", "/api/v1/door/payments", () => ({ token: dueA.qrToken, nonce: fresh() })],
    ["undo", "POST", "/api/v1/door/undo", () => ({ nonce: fresh() })],
    ["search", "POST", "/api/v1/door/search", () => ({ q: "Alma" })],
    ["manifest", "GET", "/api/v1/door/manifest", () => undefined],
  ];
  const headers: [string, () => string | undefined][] = [
    ["missing", () => undefined],
    ["`Bearer` alone", () => "Bearer"],
    ["`Bearer ` with nothing after it", () => "Bearer "],
    ["`Bearer` and only spaces", () => "Bearer      "],
    ["spaces inside the token", () => `Bearer ${devA.token.slice(0, 20)} ${devA.token.slice(20)}`],
    ["two tokens", () => `Bearer ${devA.token}, Bearer ${devB.token}`],
    ["a user API token", () => `Bearer ${adminToken}`],
    [
      "lower-case `bearer` (the scheme the API documents is `Bearer`)",
      () => `bearer ${devA.token}`,
    ],
    ["no scheme", () => devA.token],
    ["Basic", () => `Basic ${Buffer.from(`door:${devA.token}`).toString("base64")}`],
    ["one character more", () => `Bearer ${devA.token}x`],
    ["one character less", () => `Bearer ${devA.token.slice(0, -1)}`],
    ["19 characters", () => `Bearer ${"a".repeat(19)}`],
    ["5000 characters", () => `Bearer ${"a".repeat(5000)}`],
    ["script", () => `Bearer ${SCRIPT}`],
    ["SQL", () => `Bearer ${SQL}`],
    ["a revoked device's token", () => `Bearer ${revokedDev.token}`],
  ];
  const table = endpoints.flatMap(([name, method, path, body]) =>
    headers.map(
      ([label, header]) => [`${name}: ${label} → 401`, method, path, body, header] as const,
    ),
  );

  it.each(table)("%s", async (_label, method, path, body, header) => {
    const value = header();
    const payload = body();
    const res = await unchangedDoor(() =>
      client.request(method, path, {
        body: payload === undefined ? undefined : JSON.stringify(payload),
        headers: {
          ...(payload === undefined ? {} : { "Content-Type": "application/json" }),
          ...(value === undefined ? {} : { Authorization: value }),
        },
      }),
    );
    expect(expectApiError(res, 401).error).toBe("unauthorized");
  });

  it.each(endpoints)(
    "%s: a 1 MB Authorization header → 4xx (431), not 500, no hang",
    async (_name, method, path, body) => {
      const payload = body();
      const res = await unchangedDoor(() =>
        rawRequest(
          method,
          path,
          {
            Authorization: `Bearer ${"a".repeat(1024 * 1024)}`,
            ...(payload === undefined ? {} : { "Content-Type": "application/json" }),
          },
          payload === undefined ? undefined : Buffer.from(JSON.stringify(payload)),
        ),
      );
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    },
  );

  describe("a device of another festival works only on its own festival's tickets", () => {
    it("festival A's code at B's door → wrong_festival, recorded under B, A's ticket untouched", async () => {
      const nonce = fresh();
      const res = await recordsExactly(
        () => post("/api/v1/door/scans", { token: paidA.qrToken, nonce }, devB.token),
        [row(devB, festB.id, nonce, "wrong_festival", null)],
      );
      expect(res.json()).toEqual({ result: "wrong_festival" });
    });

    it("festival A's ticket by id at B's door → invalid", async () => {
      const nonce = fresh();
      const res = await recordsExactly(
        () => post("/api/v1/door/scans", { ticketId: paidA.id, nonce }, devB.token),
        [row(devB, festB.id, nonce, "invalid", null)],
      );
      expect(res.json()).toEqual({ result: "invalid" });
    });

    it("festival A's due ticket paid at B's door, by id or code → no money, A's order still due", async () => {
      const byId = fresh();
      const byCode = fresh();
      const res = await recordsExactly(
        async () => [
          await post("/api/v1/door/payments", { ticketId: dueA.id, nonce: byId }, devB.token),
          await post("/api/v1/door/payments", { token: dueA.qrToken, nonce: byCode }, devB.token),
        ],
        [
          row(devB, festB.id, byId, "invalid", null),
          row(devB, festB.id, byCode, "wrong_festival", null),
        ],
      );
      expect(res.map((r) => r.json())).toEqual([
        { result: "invalid" },
        { result: "wrong_festival" },
      ]);
    });

    it("B's manifest lists none of A's tickets", async () => {
      const res = await unchangedDoor(() =>
        client.api("GET", "/api/v1/door/manifest", undefined, devB.token),
      );
      expect(res.json<{ festival: { id: string } }>().festival.id).toBe(festB.id);
      expect(res.text).not.toContain(paidA.id);
      expect(res.text).not.toContain(dueA.id);
    });
  });
});

// ---------------------------------------------------------------- door devices (organisers' API)

describe("POST /api/v1/festivals/:id/door-devices", () => {
  const nameCases: [string, Record<string, unknown>, string, string][] = [
    ["name: missing", {}, "name", msg.text],
    ["name: null", { name: null }, "name", msg.text],
    ["name: a number", { name: 1 }, "name", msg.text],
    ["name: a boolean", { name: true }, "name", msg.text],
    ["name: an array", { name: ["Door 1"] }, "name", msg.text],
    ["name: an object", { name: { en: "Door 1" } }, "name", msg.text],
    ["name: empty", { name: "" }, "name", msg.required],
    ["name: only spaces", { name: "    " }, "name", msg.required],
    ["name: 61 characters", { name: "d".repeat(61) }, "name", msg.max(60)],
    ["name: 1000 characters", { name: "d".repeat(1000) }, "name", msg.max(60)],
    ["name: NUL", { name: NUL }, "name", msg.control],
    ["name: RTL override", { name: RTL }, "name", msg.control],
    ["name: a newline", { name: "Door\n1" }, "name", msg.control],
    ["name: lone surrogate", { name: LONE_SURROGATE }, "name", msg.control],
    ["unknown key `festivalId`", { name: "Door", festivalId: "x" }, "festivalId", msg.unknown],
    ["unknown key `tokenHash`", { name: "Door", tokenHash: "x" }, "tokenHash", msg.unknown],
    ["unknown key `token`", { name: "Door", token: "a".repeat(43) }, "token", msg.unknown],
  ];

  it.each(nameCases)("%s → 422, no device", async (_label, body, field, message) => {
    const res = await unchangedDoor(() =>
      post(`/api/v1/festivals/${festA.id}/door-devices`, body, adminToken),
    );
    expectApiError(res, 422, field, message);
  });

  it.each(protoBodies({ name: "Door proto" }))("a %s key → 422", async (_label, raw, field) => {
    const res = await unchangedDoor(() =>
      post(`/api/v1/festivals/${festA.id}/door-devices`, raw, adminToken),
    );
    expectApiError(res, 422, field, msg.unknown);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ["a name just over the 4 KB body limit", "d".repeat(4100)],
    ["a 1 MB name", MB],
  ])("%s → 413, no device", async (_label, name) => {
    const res = await unchangedDoor(() =>
      post(`/api/v1/festivals/${festA.id}/door-devices`, { name }, adminToken),
    );
    expectApiError(res, 413);
  });

  it.each([
    ["an unknown festival", "cunknownfestival000000000"],
    ["a 10 KB festival id", "f".repeat(10_000)],
    ["a script festival id", encodeURIComponent(SCRIPT)],
  ])("%s → 404, no device", async (_label, id) => {
    const res = await unchangedDoor(() =>
      post(`/api/v1/festivals/${id}/door-devices`, { name: "Door" }, adminToken),
    );
    expectApiError(res, 404);
  });

  it("an organiser of another festival → 404, no device", async () => {
    const res = await unchangedDoor(() =>
      post(`/api/v1/festivals/${festA.id}/door-devices`, { name: "Door" }, orgBToken),
    );
    expectApiError(res, 404);
  });

  it("a device token instead of a user token → 401, no device", async () => {
    const res = await unchangedDoor(() =>
      post(`/api/v1/festivals/${festA.id}/door-devices`, { name: "Door" }, devA.token),
    );
    expectApiError(res, 401);
  });

  it("a script name is kept as text and shown escaped on the organisers' door page", async () => {
    const name = `${SCRIPT}${IMG}`;
    const res = await post(`/api/v1/festivals/${festA.id}/door-devices`, { name }, adminToken);
    expect(res.status, res.text).toBe(201);
    const { id } = res.json<{ id: string }>();
    expect((await prisma.doorDevice.findUniqueOrThrow({ where: { id } })).name).toBe(name);
    const page = await adminPage.get(`/admin/festivals/${festA.id}/door`);
    expect(page.status).toBe(200);
    expectEscaped(page.text, [name]);
  });
});

describe("DELETE /api/v1/door-devices/:id", () => {
  it.each([
    ["an unknown id", "cunknowndevice00000000000"],
    ["a 10 KB id", "d".repeat(10_000)],
    ["a script id", encodeURIComponent(SCRIPT)],
    ["a SQL id", encodeURIComponent(SQL)],
    ["an encoded NUL", "abc%00def"],
    ["an encoded slash", "x%2F..%2Fy"],
  ])("%s → 404, nothing revoked", async (_label, id) => {
    const res = await unchangedDoor(() =>
      client.api("DELETE", `/api/v1/door-devices/${id}`, undefined, adminToken),
    );
    expectApiError(res, 404);
  });

  it("an organiser of another festival → 404, the device keeps working", async () => {
    const res = await unchangedDoor(() =>
      client.api("DELETE", `/api/v1/door-devices/${devA.id}`, undefined, orgBToken),
    );
    expectApiError(res, 404);
    expect((await client.api("GET", "/api/v1/door/manifest", undefined, devA.token)).status).toBe(
      200,
    );
  });

  it("a device token (even the device's own) → 401, nothing revoked", async () => {
    const res = await unchangedDoor(() =>
      client.api("DELETE", `/api/v1/door-devices/${devA.id}`, undefined, devA.token),
    );
    expectApiError(res, 401);
  });

  it("no token → 401, nothing revoked", async () => {
    const res = await unchangedDoor(() => client.api("DELETE", `/api/v1/door-devices/${devA.id}`));
    expectApiError(res, 401);
  });
});

// ---------------------------------------------------------------- organisers' door page

describe("POST /admin/festivals/:id/door", () => {
  const path = () => `/admin/festivals/${festA.id}/door`;

  it.each([
    ["intent missing", { name: "Door" }],
    ["intent unknown", { intent: "delete-festival", name: "Door" }],
    ["intent upper case", { intent: "ADD-DEVICE", name: "Door" }],
    ["intent script", { intent: SCRIPT, name: "Door" }],
    ["intent 1 MB", { intent: MB, name: "Door" }],
    ["intent NUL", { intent: "add-device\u0000", name: "Door" }],
  ] as [string, Record<string, string>][])(
    "%s → 400 error page, nothing written",
    async (_label, fields) => {
      const res = await unchangedDoor(() => adminPage.postForm(path(), fields));
      expectErrorPage(res, [400]);
      expectEscaped(res.text, []);
    },
  );

  it.each([
    ["name missing", undefined, msg.text],
    ["name empty", "", msg.required],
    ["name only spaces", "   ", msg.required],
    ["name 61 characters", "d".repeat(61), msg.max(60)],
    ["name 1 MB", MB, msg.max(60)],
    ["name NUL", NUL, msg.control],
    ["name RTL override", RTL, msg.control],
    ["name a newline", "Door\r\n1", msg.control],
  ])(
    "add-device, %s → 400 with the message next to the name, no device",
    async (_label, name, message) => {
      const fields: Record<string, string> = { intent: "add-device" };
      if (name !== undefined) fields.name = name;
      const res = await unchangedDoor(() => adminPage.postForm(path(), fields));
      expectFormError(res, 400, "name", message);
      expectEscaped(res.text, []);
    },
  );

  it("add-device with a script name: created, shown escaped (and the setup link once)", async () => {
    const name = `${IMG}${SCRIPT}`.slice(0, 60);
    const res = await adminPage.postForm(path(), { intent: "add-device", name });
    expect(res.status).toBe(200);
    expectEscaped(res.text, [name]);
    expect(await prisma.doorDevice.count({ where: { name } })).toBe(1);
  });

  it("add-device by an organiser of another festival → 404, no device", async () => {
    const res = await unchangedDoor(() =>
      orgBPage.postForm(path(), { intent: "add-device", name: "Sneaky door" }),
    );
    expectErrorPage(res, [404]);
  });

  it("add-device by door staff of this festival → 403, no device", async () => {
    const res = await unchangedDoor(() =>
      staffAPage.postForm(path(), { intent: "add-device", name: "Staff door" }),
    );
    expectErrorPage(res, [403]);
  });

  it.each([
    ["deviceId missing", () => ({ intent: "revoke-device" })],
    ["deviceId empty", () => ({ intent: "revoke-device", deviceId: "" })],
    [
      "deviceId unknown",
      () => ({ intent: "revoke-device", deviceId: "cunknowndevice00000000000" }),
    ],
    ["deviceId 10 KB", () => ({ intent: "revoke-device", deviceId: "d".repeat(10_000) })],
    [
      "deviceId 10 KB starting with a real id",
      () => ({ intent: "revoke-device", deviceId: devA.id + "d".repeat(10_000) }),
    ],
    ["deviceId SQL", () => ({ intent: "revoke-device", deviceId: `${devA.id}${SQL}` })],
    [
      "deviceId of another festival's device",
      () => ({ intent: "revoke-device", deviceId: devB.id }),
    ],
  ] as [string, () => Record<string, string>][])(
    "revoke-device, %s → nothing revoked",
    async (_label, fields) => {
      const res = await unchangedDoor(() =>
        adminPage.postForm(path(), { confirm: "yes", ...fields() }),
      );
      expect(res.status, res.text.slice(0, 300)).toBeLessThan(500);
      expect([200, 400, 404]).toContain(res.status);
    },
  );

  it("revoke-device of A's device posted to B's page by B's organiser → nothing revoked", async () => {
    const res = await unchangedDoor(() =>
      orgBPage.postForm(`/admin/festivals/${festB.id}/door`, {
        intent: "revoke-device",
        deviceId: devA.id,
        confirm: "yes",
      }),
    );
    expect(res.status).toBeLessThan(500);
    expect((await client.api("GET", "/api/v1/door/manifest", undefined, devA.token)).status).toBe(
      200,
    );
  });
});

describe("POST /admin/festivals/:id/door (check-in search)", () => {
  const searchDoor = (q: string) =>
    adminPage.postForm(`/admin/festivals/${festA.id}/door`, { intent: "search", q });
  it.each([
    ["10 KB", "a".repeat(10_000)],
    ["%", "%"],
    ["_", "_"],
    ["\\", "\\"],
    ["SQL", SQL],
    ["NUL", "Al\u0000ma"],
    ["RTL override", RTL],
  ])("q %s → 200, no writes", async (_label, q) => {
    const res = await unchangedDoor(() => searchDoor(q));
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    expectEscaped(res.text, []);
  });

  it("q lone surrogate → 200", async () => {
    const res = await unchangedDoor(() => searchDoor("\ud800"));
    expect(res.status).toBe(200);
  });

  it.each([
    ["script", SCRIPT],
    ["img", IMG],
    ["both", `${SCRIPT}${IMG}`],
  ])("q %s → 200, shown back escaped in the search box", async (_label, q) => {
    const res = await unchangedDoor(() => searchDoor(q));
    expect(res.status).toBe(200);
    expectEscaped(res.text, [q]);
  });

  it("q `%` does not list every check-in", async () => {
    await post("/api/v1/door/scans", { token: paidA.qrToken, nonce: fresh() }, devA.token);
    const all = await adminPage.get(`/admin/festivals/${festA.id}/door`);
    expect(all.text).toContain(paidACode);
    const res = await searchDoor("%");
    expect(res.status).toBe(200);
    // What the page shows (its data for hydration holds the unfiltered list).
    expect(res.text.split("<script")[0]).not.toContain(paidACode);
  });
});

// ---------------------------------------------------------------- /door/setup

describe("POST /door/setup", () => {
  it.each([
    ["festivalId missing", () => ({}), [403, 404]],
    ["festivalId empty", () => ({ festivalId: "" }), [403, 404]],
    ["festivalId 10 KB", () => ({ festivalId: "f".repeat(10_000) }), [404]],
    [
      "festivalId: A's id followed by 10 KB",
      () => ({ festivalId: festA.id + "f".repeat(10_000) }),
      [404],
    ],
    ["festivalId unknown", () => ({ festivalId: "cunknownfestival000000000" }), [404]],
    ["festivalId script", () => ({ festivalId: SCRIPT }), [404]],
    ["festivalId SQL", () => ({ festivalId: SQL }), [404]],
    ["festivalId NUL", () => ({ festivalId: `${festA.id}\u0000` }), [404]],
    ["another festival's id", () => ({ festivalId: festB.id }), [403, 404]],
    [
      "another festival's id first, then A's",
      () =>
        [
          ["festivalId", festB.id],
          ["festivalId", festA.id],
        ] as [string, string][],
      [403, 404],
    ],
  ] as [string, () => Record<string, string> | [string, string][], number[]][])(
    "door staff of festival A, %s → refused, no device",
    async (_label, fields, statuses) => {
      const res = await unchangedDoor(() => staffAPage.postForm("/door/setup", fields()));
      expectErrorPage(res, statuses);
      expect(res.location).toBeNull();
      expectEscaped(res.text, []);
    },
  );

  it("1 MB festivalId → refused, no device", async () => {
    const res = await unchangedDoor(() => staffAPage.postForm("/door/setup", { festivalId: MB }));
    expectErrorPage(res, [404, 413]);
  });

  it("not signed in → no device", async () => {
    const res = await unchangedDoor(() =>
      new Client(app.url).postForm("/door/setup", { festivalId: festA.id }),
    );
    expect(res.status).toBeLessThan(500);
    expect(res.location ?? "").not.toContain("#device=");
  });
});
