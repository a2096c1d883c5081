// Door scanning API: devices, every verdict, nonce replay, concurrency across
// devices, offline batches with conflicts, pay at the door, the manifest.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { incomeOf, ledgerOf } from "../helpers/ledger";
import { apiToken, createUserRow, doorFestival, tokenValidFromTomorrow } from "../helpers/fixtures";

let app: TestApp;
let client: Client;
let token: string;
let festivalId: string;
let typeId: string;
let nonceCounter = 0;
const nonce = () => `nonce-${Date.now().toString(36)}-${++nonceCounter}`;

const newFestival = () => doorFestival(client, token);

async function buy(
  festival = festivalId,
  type = typeId,
  quantity = 1,
  paymentMethod: "door" | "free" = "door",
) {
  const res = await client.api("POST", `/api/v1/festivals/${festival}/orders`, {
    items: [{ ticketTypeId: type, quantity }],
    email: "door-buyer@example.test",
    paymentMethod,
  });
  expect(res.status).toBe(201);
  return res.json<{ id: string; tickets: { id: string; qrToken: string }[] }>();
}

/** A ticket whose door payment is already settled (so it can be admitted). */
async function paidTicket() {
  const order = await buy();
  await prisma.ticket.updateMany({ where: { orderId: order.id }, data: { amountDueMinor: 0 } });
  return order.tickets[0]!;
}

async function device(festival = festivalId, name = `Door ${++nonceCounter}`) {
  const res = await client.api(
    "POST",
    `/api/v1/festivals/${festival}/door-devices`,
    { name },
    token,
  );
  expect(res.status).toBe(201);
  return res.json<{ id: string; token: string; setupUrl: string }>();
}

const scan = (deviceToken: string, body: Record<string, unknown>) =>
  client.api("POST", "/api/v1/door/scans", body, deviceToken);

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  client = new Client(app.url);
  const admin = await createUserRow({ role: "admin" });
  token = await apiToken(app.url, admin.email);
  ({ id: festivalId, typeId } = await newFestival());
});
afterAll(() => app.close());

describe("door devices", () => {
  it("creates a device with a one-time setup link, lists it with last-seen time, and revoking stops it", async () => {
    const d = await device();
    expect(d.setupUrl).toMatch(/\/door#device=[A-Za-z0-9_-]{40,}$/);
    expect(await prisma.doorDevice.count({ where: { tokenHash: d.token } })).toBe(0);
    const ticket = await paidTicket();
    expect((await scan(d.token, { token: ticket.qrToken, nonce: nonce() })).json()).toMatchObject({
      result: "admitted",
    });
    const list = (
      await client.api("GET", `/api/v1/festivals/${festivalId}/door-devices`, undefined, token)
    ).json<{ devices: { id: string; lastSeenAt: string | null }[] }>();
    expect(list.devices.find((x) => x.id === d.id)?.lastSeenAt).toBeTruthy();
    expect(
      (await client.api("DELETE", `/api/v1/door-devices/${d.id}`, undefined, token)).status,
    ).toBe(204);
    const after = await scan(d.token, { token: ticket.qrToken, nonce: nonce() });
    expect(after.status).toBe(401);
    expect(after.json()).toMatchObject({ error: "unauthorized" });
  });

  it("expires device tokens two days after the festival ends, and refuses new devices then", async () => {
    const f = await newFestival();
    const d = await device(f.id);
    const order = await buy(f.id, f.typeId);
    await prisma.ticket.updateMany({ where: { orderId: order.id }, data: { amountDueMinor: 0 } });
    const ticket = order.tickets[0]!;
    // Ended a day ago: still within the grace period (late uploads, the clean-up).
    await prisma.festival.update({
      where: { id: f.id },
      data: { endsAt: new Date(Date.now() - 24 * 3600_000) },
    });
    const manifest = await client.api("GET", "/api/v1/door/manifest", undefined, d.token);
    expect(manifest.status).toBe(200);
    // Ended three days ago: the token no longer works, for any endpoint.
    const ended = new Date(Date.now() - 3 * 24 * 3600_000);
    await prisma.festival.update({ where: { id: f.id }, data: { endsAt: ended } });
    const before = await prisma.checkIn.count();
    const refused = await scan(d.token, { token: ticket.qrToken, nonce: nonce() });
    expect(refused.status).toBe(401);
    expect(refused.json()).toMatchObject({ error: "unauthorized", message: /expired/ });
    expect((await client.api("GET", "/api/v1/door/manifest", undefined, d.token)).status).toBe(401);
    expect(await prisma.checkIn.count()).toBe(before);
    expect(
      (await prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } })).admittedAt,
    ).toBeNull();
    // Organisers see it as expired, and cannot add devices to a festival that is over.
    const list = await client.api(
      "GET",
      `/api/v1/festivals/${f.id}/door-devices`,
      undefined,
      token,
    );
    expect(
      list.json<{ devices: { id: string; expired: boolean; expiresAt: string }[] }>().devices,
    ).toEqual([
      expect.objectContaining({
        id: d.id,
        expired: true,
        expiresAt: new Date(ended.getTime() + 2 * 24 * 3600_000).toISOString(),
      }),
    ]);
    const devicesBefore = await prisma.doorDevice.count();
    const late = await client.api(
      "POST",
      `/api/v1/festivals/${f.id}/door-devices`,
      { name: "Too late" },
      token,
    );
    expect(late.status).toBe(409);
    expect(late.json()).toMatchObject({ error: "invalid_state" });
    expect(await prisma.doorDevice.count()).toBe(devicesBefore);
    // Moving the festival's dates moves the expiry with them.
    await prisma.festival.update({
      where: { id: f.id },
      data: { endsAt: new Date(Date.now() + 3600_000) },
    });
    expect((await scan(d.token, { token: ticket.qrToken, nonce: nonce() })).json()).toMatchObject({
      result: "admitted",
    });
  });

  it("refuses unknown and malformed device tokens", async () => {
    expect((await scan("x".repeat(43), { token: "T1.a.b", nonce: nonce() })).status).toBe(401);
    expect(
      (await client.api("POST", "/api/v1/door/scans", { token: "T1.a.b", nonce: nonce() })).status,
    ).toBe(401);
  });
});

describe("verdicts", () => {
  let d: { id: string; token: string };
  beforeAll(async () => {
    d = await device();
  });

  it("admits once, then says already admitted with when and by whom", async () => {
    const ticket = await paidTicket();
    const first = (await scan(d.token, { token: ticket.qrToken, nonce: nonce() })).json<{
      result: string;
      ticketType: string;
    }>();
    expect(first).toMatchObject({ result: "admitted", ticketType: "Standard" });
    const second = (await scan(d.token, { token: ticket.qrToken, nonce: nonce() })).json();
    expect(second).toMatchObject({
      result: "already_admitted",
      admittedBy: expect.any(String),
      admittedAt: expect.any(String),
    });
  });

  it("replays the same verdict for a repeated nonce and counts once", async () => {
    const ticket = await paidTicket();
    const n = nonce();
    const a = (await scan(d.token, { token: ticket.qrToken, nonce: n })).json();
    const b = (await scan(d.token, { token: ticket.qrToken, nonce: n })).json();
    expect(a).toMatchObject({ result: "admitted" });
    expect(b).toEqual(a);
    expect(await prisma.checkIn.count({ where: { nonce: { endsWith: `:${n}` } } })).toBe(1);
  });

  it("says payment due for a pay-at-the-door ticket, and admits after staff take the cash", async () => {
    const order = await buy();
    const ticket = order.tickets[0]!;
    expect((await scan(d.token, { token: ticket.qrToken, nonce: nonce() })).json()).toMatchObject({
      result: "payment_due",
      amountDueMinor: 1500,
      currency: "EUR",
    });
    const paid = await client.api(
      "POST",
      "/api/v1/door/payments",
      { token: ticket.qrToken, nonce: nonce() },
      d.token,
    );
    expect(paid.json()).toMatchObject({ result: "admitted" });
    const o = await prisma.order.findUniqueOrThrow({ where: { id: order.id } });
    expect(o.status).toBe("paid");
    expect(await incomeOf(order.id)).toEqual({ ticket: 1500 });
    expect((await ledgerOf(order.id)).filter((l) => l.account === "door_cash")).toEqual([
      expect.objectContaining({ kind: "payment", amountMinor: 1500, holder: `device:${d.id}` }),
    ]);
  });

  it("says revoked for a ticket of a cancelled order", async () => {
    const order = await buy(festivalId, typeId, 1, "door");
    expect(
      (await client.api("POST", `/api/v1/orders/${order.id}/refund`, undefined, token)).status,
    ).toBe(200);
    expect(
      (await scan(d.token, { token: order.tickets[0]!.qrToken, nonce: nonce() })).json(),
    ).toMatchObject({ result: "revoked" });
  });

  it("says invalid for a tampered token (one character changed) and for garbage", async () => {
    const ticket = await paidTicket();
    const at = ticket.qrToken.length - 5;
    const tampered =
      ticket.qrToken.slice(0, at) +
      (ticket.qrToken[at] === "A" ? "B" : "A") +
      ticket.qrToken.slice(at + 1);
    expect((await scan(d.token, { token: tampered, nonce: nonce() })).json()).toMatchObject({
      result: "invalid",
    });
    expect((await scan(d.token, { token: "not a ticket", nonce: nonce() })).json()).toMatchObject({
      result: "invalid",
    });
    expect(
      (await prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } })).admittedAt,
    ).toBeNull();
  });

  it("says wrong festival for another festival's ticket", async () => {
    const other = await newFestival();
    const order = await buy(other.id, other.typeId);
    expect(
      (await scan(d.token, { token: order.tickets[0]!.qrToken, nonce: nonce() })).json(),
    ).toMatchObject({ result: "wrong_festival" });
  });

  it("says not yet valid for a token whose validity starts later", async () => {
    const ticket = await paidTicket();
    const future = await tokenValidFromTomorrow(ticket.id);
    expect((await scan(d.token, { token: future, nonce: nonce() })).json()).toMatchObject({
      result: "not_yet_valid",
    });
  });

  it("lets people out and back in (exit mode), counting who is inside", async () => {
    const ticket = await paidTicket();
    await scan(d.token, { token: ticket.qrToken, nonce: nonce() });
    expect(
      (await scan(d.token, { token: ticket.qrToken, nonce: nonce(), direction: "out" })).json(),
    ).toMatchObject({ result: "exited" });
    expect((await prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } })).inside).toBe(
      false,
    );
    // The manifest tells offline phones that this ticket is out and may come back in.
    const outside = (await client.api("GET", "/api/v1/door/manifest", undefined, d.token)).json<{
      admitted: string[];
      outside: string[];
    }>();
    expect(outside.admitted).toContain(ticket.id);
    expect(outside.outside).toContain(ticket.id);
    expect((await scan(d.token, { token: ticket.qrToken, nonce: nonce() })).json()).toMatchObject({
      result: "admitted",
    });
    const inside = (await client.api("GET", "/api/v1/door/manifest", undefined, d.token)).json<{
      admitted: string[];
      outside: string[];
    }>();
    expect(inside.admitted).toContain(ticket.id);
    expect(inside.outside).not.toContain(ticket.id);
  });

  it("refuses bad bodies with 4xx and records nothing", async () => {
    const before = await prisma.checkIn.count();
    for (const body of [
      {},
      { token: "x" },
      { token: "x", nonce: "short" },
      { token: "x".repeat(2000), nonce: nonce() },
      { token: "x", nonce: nonce(), direction: "sideways" },
      { token: "x", nonce: nonce(), extra: 1 },
    ]) {
      const res = await scan(d.token, body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(422);
    }
    expect(await prisma.checkIn.count()).toBe(before);
  });
});

describe("several doors at once", () => {
  it("admits a ticket exactly once when 4 devices scan it 200 times at the same moment", async () => {
    const devices = await Promise.all([1, 2, 3, 4].map(() => device()));
    const ticket = await paidTicket();
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        scan(devices[i % 4]!.token, { token: ticket.qrToken, nonce: nonce() }).then(
          (r) => r.json<{ result: string }>().result,
        ),
      ),
    );
    expect(results.filter((r) => r === "admitted")).toHaveLength(1);
    expect(results.filter((r) => r === "already_admitted")).toHaveLength(199);
    expect(await prisma.checkIn.count({ where: { ticketId: ticket.id, result: "admitted" } })).toBe(
      1,
    );
  });
});

describe("offline uploads", () => {
  it("counts a replayed batch once", async () => {
    const d = await device();
    const ticket = await paidTicket();
    const scans = [
      {
        token: ticket.qrToken,
        nonce: nonce(),
        scannedAt: new Date(Date.now() - 60_000).toISOString(),
        offlineResult: "admitted",
      },
    ];
    const a = (await client.api("POST", "/api/v1/door/scans/batch", { scans }, d.token)).json<{
      results: { result: string }[];
    }>();
    const b = (await client.api("POST", "/api/v1/door/scans/batch", { scans }, d.token)).json<{
      results: { result: string }[];
    }>();
    expect(a.results[0]).toMatchObject({ result: "admitted" });
    expect(b).toEqual(a);
    expect(await prisma.checkIn.count({ where: { ticketId: ticket.id } })).toBe(1);
    const checkIn = await prisma.checkIn.findFirstOrThrow({ where: { ticketId: ticket.id } });
    expect(checkIn.offline).toBe(true);
  });

  it("reports a ticket admitted by two devices while offline as one admission and one conflict", async () => {
    const [d1, d2] = [await device(), await device()];
    const ticket = await paidTicket();
    const at = new Date(Date.now() - 120_000).toISOString();
    const r1 = (
      await client.api(
        "POST",
        "/api/v1/door/scans/batch",
        {
          scans: [
            { token: ticket.qrToken, nonce: nonce(), scannedAt: at, offlineResult: "admitted" },
          ],
        },
        d1.token,
      )
    ).json<{ results: { result: string }[] }>();
    const r2 = (
      await client.api(
        "POST",
        "/api/v1/door/scans/batch",
        {
          scans: [
            { token: ticket.qrToken, nonce: nonce(), scannedAt: at, offlineResult: "admitted" },
          ],
        },
        d2.token,
      )
    ).json<{ results: { result: string }[] }>();
    expect(r1.results[0]!.result).toBe("admitted");
    expect(r2.results[0]!.result).toBe("conflict");
    const rows = await prisma.checkIn.findMany({
      where: { ticketId: ticket.id },
      orderBy: { id: "asc" },
    });
    expect(rows.map((r) => r.result)).toEqual(["admitted", "conflict"]);
  });
});

describe("manifest", () => {
  it("gives the public key, revoked, admitted and payment-due tickets — and no personal data", async () => {
    const d = await device();
    const ticket = await paidTicket();
    await scan(d.token, { token: ticket.qrToken, nonce: nonce() });
    const res = await client.api("GET", "/api/v1/door/manifest", undefined, d.token);
    expect(res.status).toBe(200);
    const m = res.json<{
      publicKey: string;
      admitted: string[];
      revoked: string[];
      paymentDue: Record<string, number>;
      ticketTypes: { name: string }[];
      counters: { checkedIn: number };
    }>();
    const key = await prisma.festivalKey.findUniqueOrThrow({ where: { festivalId } });
    expect(m.publicKey).toBe(key.publicKey);
    expect(m.admitted).toContain(ticket.id);
    expect(m.ticketTypes.map((t) => t.name)).toContain("Standard");
    expect(m.counters.checkedIn).toBeGreaterThan(0);
    expect(res.text).not.toContain("door-buyer@example.test");
    // Asked again with its ETag: 304 without a body while nothing changed, then the new one.
    const etag = res.headers.get("etag")!;
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    const same = await fetch(`${app.url}/api/v1/door/manifest`, {
      headers: { Authorization: `Bearer ${d.token}`, "If-None-Match": etag },
    });
    expect(same.status).toBe(304);
    expect(await same.text()).toBe("");
    expect(same.headers.get("etag")).toBe(etag);
    await scan(d.token, { token: (await paidTicket()).qrToken, nonce: nonce() });
    const changed = await fetch(`${app.url}/api/v1/door/manifest`, {
      headers: { Authorization: `Bearer ${d.token}`, "If-None-Match": etag },
    });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(etag);
  });
});

describe("search, manual admission and undo", () => {
  it("finds a ticket by order code or name, admits it by id, and undoes a mistaken admission", async () => {
    const d = await device();
    const res = await client.api("POST", `/api/v1/festivals/${festivalId}/orders`, {
      items: [{ ticketTypeId: typeId, quantity: 1 }],
      email: "search@example.test",
      name: "Marta Searchable",
      paymentMethod: "door",
    });
    const order = res.json<{ id: string; code: string; tickets: { id: string }[] }>();
    await prisma.ticket.updateMany({ where: { orderId: order.id }, data: { amountDueMinor: 0 } });
    const byName = (
      await client.api("POST", "/api/v1/door/search", { q: "searchable" }, d.token)
    ).json<{ results: { ticketId: string; orderCode: string; name: string }[] }>();
    expect(byName.results.map((r) => r.ticketId)).toEqual([order.tickets[0]!.id]);
    const byCode = (
      await client.api(
        "POST",
        "/api/v1/door/search",
        { q: order.code.slice(0, 4).toLowerCase() },
        d.token,
      )
    ).json<{ results: { ticketId: string }[] }>();
    expect(byCode.results.map((r) => r.ticketId)).toContain(order.tickets[0]!.id);
    // LIKE wildcards are taken literally.
    expect((await client.api("POST", "/api/v1/door/search", { q: "%%%" }, d.token)).json()).toEqual(
      { results: [], truncated: false, donations: [] },
    );

    const n = nonce();
    expect(
      (await scan(d.token, { ticketId: order.tickets[0]!.id, nonce: n })).json(),
    ).toMatchObject({ result: "admitted" });
    const undo = await client.api("POST", "/api/v1/door/undo", { nonce: n }, d.token);
    expect(undo.json()).toMatchObject({ result: "undone" });
    expect(
      (await prisma.ticket.findUniqueOrThrow({ where: { id: order.tickets[0]!.id } })).admittedAt,
    ).toBeNull();
    expect(
      (await scan(d.token, { ticketId: order.tickets[0]!.id, nonce: nonce() })).json(),
    ).toMatchObject({ result: "admitted" });
    // Another device cannot undo it.
    const other = await device();
    expect(
      (await client.api("POST", "/api/v1/door/undo", { nonce: n }, other.token)).json(),
    ).toMatchObject({ result: "invalid" });
    // Once something happened to the ticket since (it went out), that admission stays.
    const n2 = nonce();
    const second = await paidTicket();
    await scan(d.token, { token: second.qrToken, nonce: n2 });
    await scan(d.token, { token: second.qrToken, nonce: nonce(), direction: "out" });
    expect(
      (await client.api("POST", "/api/v1/door/undo", { nonce: n2 }, d.token)).json(),
    ).toMatchObject({ result: "invalid" });
    expect(
      (await prisma.ticket.findUniqueOrThrow({ where: { id: second.id } })).admittedAt,
    ).not.toBeNull();
  });

  it("takes the cash for a pay-at-the-door ticket found by search (no phone, no QR code)", async () => {
    const d = await device();
    const order = await buy();
    const ticketId = order.tickets[0]!.id;
    const due = await scan(d.token, { ticketId, nonce: nonce() });
    expect(due.json()).toMatchObject({ result: "payment_due", amountDueMinor: 1500 });
    const n = nonce();
    const paid = await client.api("POST", "/api/v1/door/payments", { ticketId, nonce: n }, d.token);
    expect(paid.status, paid.text).toBe(200);
    expect(paid.json()).toMatchObject({ result: "admitted", ticketId });
    // Retried (lost response): the same answer, and the cash is recorded once.
    const again = await client.api(
      "POST",
      "/api/v1/door/payments",
      { ticketId, nonce: n },
      d.token,
    );
    expect(again.json()).toMatchObject({ result: "admitted", ticketId });
    expect((await ledgerOf(order.id)).map((l) => [l.kind, l.account, l.amountMinor])).toEqual([
      ["payment", "door_cash", 1500],
      ["payment", "income", -1500],
    ]);
    expect((await prisma.order.findUniqueOrThrow({ where: { id: order.id } })).status).toBe("paid");
    // Hostile or unknown ids change nothing.
    const countBefore = await prisma.ledgerPosting.count();
    for (const body of [
      { ticketId: "x", nonce: nonce() },
      { ticketId: "'; DROP TABLE Ticket; --", nonce: nonce() },
      { ticketId: "a".repeat(65), nonce: nonce() },
      { ticketId, nonce: nonce(), token: "T1.a.b" },
      { ticketId: 42, nonce: nonce() },
    ]) {
      const res = await client.api("POST", "/api/v1/door/payments", body, d.token);
      expect(res.status, JSON.stringify(body)).toBe(422);
    }
    const unknown = await client.api(
      "POST",
      "/api/v1/door/payments",
      { ticketId: "cunknownticketid000000000", nonce: nonce() },
      d.token,
    );
    expect(unknown.json()).toMatchObject({ result: "invalid" });
    expect(await prisma.ledgerPosting.count()).toBe(countBefore);
  });
});
