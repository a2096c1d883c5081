// Issue 3: checkout never oversells. Hundreds of buyers hit POST
// /api/v1/festivals/:id/orders at the same moment (real HTTP, one socket each)
// for the last places; exactly the places left are sold, everyone else gets a
// clean 409 sold_out, and every order is whole (order, items, tickets, email).
import { spawn } from "node:child_process";
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma, sqlClient } from "~/utils/db.server";
import { BUSY_SLICE_MS } from "~/utils/sqlite-connections.server";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { apiToken, createUserRow, festivalBody } from "../helpers/fixtures";

const BURST = 500;
/** No request may take longer than this (a timeout counts as a failure, not a 409). */
const REQUEST_TIMEOUT_MS = 30_000;

let app: TestApp;
let client: Client;
let token: string;
/** One socket per request, so all of them really are in flight at once. */
const agent = new http.Agent({
  keepAlive: true,
  maxSockets: BURST + 10,
  maxFreeSockets: BURST + 10,
});

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  client = new Client(app.url);
  const admin = await createUserRow({ role: "admin" });
  token = await apiToken(app.url, admin.email);
});
afterAll(async () => {
  agent.destroy();
  await app.close();
});

async function post<T>(path: string, body: unknown): Promise<T> {
  const res = await client.api("POST", path, body, token);
  if (res.status !== 201) throw new Error(`${path}: ${res.status} ${res.text}`);
  return res.json<T>();
}

async function doorFestival() {
  const { id } = await post<{ id: string }>(
    "/api/v1/festivals",
    festivalBody({ paymentMethods: ["door"] }),
  );
  const res = await client.api("POST", `/api/v1/festivals/${id}/publish`, undefined, token);
  expect(res.status, res.text).toBe(200);
  return id;
}

type Line = { ticketTypeId: string; quantity: number; priceMinor?: number };
type Outcome = { status: number; body: string; ms: number; error?: string };

/** One POST on its own socket of the shared agent; never rejects (errors and timeouts are outcomes). */
function rawOrder(festivalId: string, payload: unknown): Promise<Outcome> {
  const body = JSON.stringify(payload);
  const started = performance.now();
  return new Promise((resolve) => {
    const req = http.request(
      `${app.url}/api/v1/festivals/${festivalId}/orders`,
      {
        method: "POST",
        agent,
        timeout: REQUEST_TIMEOUT_MS,
        headers: {
          "Content-Type": "application/json",
          "Content-Length": Buffer.byteLength(body),
          Origin: app.url,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            ms: performance.now() - started,
          }),
        );
        res.on("error", (e) =>
          resolve({ status: 0, body: "", ms: performance.now() - started, error: e.message }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) =>
      resolve({ status: 0, body: "", ms: performance.now() - started, error: e.message }),
    );
    req.end(body);
  });
}

/** A small deterministic generator, so a failing run can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** 1–3 places over one or two of `typeIds` (pay-what-you-want lines carry a price). */
function randomOrder(
  next: () => number,
  typeIds: string[],
  priceFor: (id: string) => number | undefined,
): Line[] {
  const quantity = 1 + Math.floor(next() * 3);
  const first = typeIds[Math.floor(next() * typeIds.length)]!;
  const others = typeIds.filter((id) => id !== first);
  const split = quantity > 1 && others.length > 0 && next() < 0.4;
  const withPrice = (ticketTypeId: string, n: number): Line => {
    const price = priceFor(ticketTypeId);
    return { ticketTypeId, quantity: n, ...(price !== undefined ? { priceMinor: price } : {}) };
  };
  if (!split) return [withPrice(first, quantity)];
  const second = others[Math.floor(next() * others.length)]!;
  return [withPrice(first, 1), withPrice(second, quantity - 1)];
}

type BurstResult = {
  requests: { email: string; items: Line[] }[];
  outcomes: Outcome[];
  wallMs: number;
  created: { id: string; status: string; tickets: { id: string; qrToken: string }[] }[];
};

async function burst(
  festivalId: string,
  requests: { email: string; items: Line[] }[],
): Promise<BurstResult> {
  // Open the sockets first, so the burst measures checkout, not 500 TCP handshakes.
  await Promise.all(Array.from({ length: requests.length }, () => rawGet("/healthz")));
  const started = performance.now();
  const outcomes = await Promise.all(
    requests.map((r) => rawOrder(festivalId, { ...r, paymentMethod: "door" })),
  );
  const wallMs = performance.now() - started;
  const created = outcomes
    .filter((o) => o.status === 201)
    .map((o) => JSON.parse(o.body) as BurstResult["created"][number]);
  return { requests, outcomes, wallMs, created };
}

function rawGet(path: string) {
  return new Promise<void>((resolve, reject) => {
    http
      .get(`${app.url}${path}`, { agent }, (res) => {
        res.resume();
        res.on("end", () => resolve());
      })
      .on("error", reject);
  });
}

function report(label: string, r: BurstResult) {
  const by = new Map<string, number>();
  for (const o of r.outcomes)
    by.set(
      o.error ? `error:${o.error}` : String(o.status),
      (by.get(o.error ? `error:${o.error}` : String(o.status)) ?? 0) + 1,
    );
  const ms = r.outcomes.map((o) => o.ms).sort((a, b) => a - b);
  const p = (q: number) => Math.round(ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]!);
  console.log(
    `[checkout burst] ${label}: ${r.outcomes.length} requests in ${Math.round(r.wallMs)} ms wall ` +
      `(${Math.round((r.outcomes.length / r.wallMs) * 1000)} req/s); ` +
      `${[...by.entries()].map(([k, v]) => `${k}×${v}`).join(", ")}; latency p50 ${p(0.5)} ms, p95 ${p(0.95)} ms, max ${p(1)} ms`,
  );
}

/** Every answer is a 201 or a clean 409 sold_out: no 5xx, no 4xx of another kind, no timeout or reset. */
function expectOnlyCreatedOrSoldOut(r: BurstResult) {
  const other = r.outcomes.filter((o) => o.status !== 201 && o.status !== 409);
  expect(other.map((o) => `${o.status} ${o.error ?? ""} ${o.body.slice(0, 200)}`)).toEqual([]);
  for (const o of r.outcomes.filter((x) => x.status === 409)) {
    expect(JSON.parse(o.body)).toMatchObject({ error: "sold_out", message: expect.any(String) });
  }
  // Each created order got exactly the tickets it asked for.
  r.outcomes.forEach((o, i) => {
    if (o.status !== 201) return;
    const body = JSON.parse(o.body) as BurstResult["created"][number];
    expect(body.status).toBe("confirmed");
    expect(body.tickets).toHaveLength(r.requests[i]!.items.reduce((n, l) => n + l.quantity, 0));
  });
}

/** The database agrees with itself: counters = tickets, and every order is whole. */
async function expectConsistent(festivalId: string) {
  const types = await prisma.ticketType.findMany({
    where: { festivalId },
    select: { id: true, reserved: true, capacity: true, quotaId: true },
  });
  for (const t of types) {
    const tickets = await prisma.ticket.count({ where: { ticketTypeId: t.id } });
    expect(t.reserved, `reserved of ticket type ${t.id}`).toBe(tickets);
    expect(t.reserved).toBeLessThanOrEqual(t.capacity);
  }
  const quotas = await prisma.quota.findMany({
    where: { festivalId },
    select: { id: true, reserved: true, capacity: true },
  });
  for (const q of quotas) {
    const tickets = await prisma.ticket.count({ where: { ticketType: { quotaId: q.id } } });
    expect(q.reserved, `reserved of quota ${q.id}`).toBe(tickets);
    expect(q.reserved).toBeLessThanOrEqual(q.capacity);
  }
  // No order without its tickets (ticket count = the quantities of its ticket lines), no ticket without its order or line.
  const wrong = await prisma.$queryRawUnsafe<{ id: string; want: number; got: number }[]>(
    `SELECT o.id,
            (SELECT coalesce(sum(i.quantity), 0) FROM OrderItem i WHERE i.orderId = o.id AND i.kind = 'ticket') AS want,
            (SELECT count(*) FROM Ticket t WHERE t.orderId = o.id) AS got
       FROM "Order" o WHERE o.festivalId = ? AND want <> got`,
    festivalId,
  );
  expect(wrong).toEqual([]);
  const orphans = await prisma.$queryRawUnsafe<{ n: bigint | number }[]>(
    `SELECT count(*) AS n FROM Ticket t
       LEFT JOIN "Order" o ON o.id = t.orderId
       LEFT JOIN OrderItem i ON i.id = t.orderItemId AND i.orderId = t.orderId AND i.ticketTypeId = t.ticketTypeId
      WHERE t.festivalId = ? AND (o.id IS NULL OR i.id IS NULL)`,
    festivalId,
  );
  expect(Number(orphans[0]!.n)).toBe(0);
  const emptyOrders = await prisma.order.count({ where: { festivalId, items: { none: {} } } });
  expect(emptyOrders).toBe(0);
}

/** The rows the burst wrote match its 201 answers exactly (nothing extra, nothing lost). */
async function expectRowsMatchAnswers(festivalId: string, r: BurstResult, outboxBefore: number) {
  const emails = r.requests.map((q) => q.email);
  const orders = await prisma.order.findMany({
    where: { festivalId, email: { in: emails } },
    select: { id: true, status: true },
  });
  expect(orders.map((o) => o.id).sort()).toEqual(r.created.map((c) => c.id).sort());
  expect(orders.every((o) => o.status === "confirmed")).toBe(true);
  const tickets = await prisma.ticket.findMany({
    where: { orderId: { in: orders.map((o) => o.id) } },
    select: { id: true, qrToken: true },
  });
  expect(tickets.map((t) => t.id).sort()).toEqual(
    r.created.flatMap((c) => c.tickets.map((t) => t.id)).sort(),
  );
  // One confirmation email per successful order, written with it (none for refused ones).
  expect((await prisma.outboxEmail.count()) - outboxBefore).toBe(r.created.length);
  // No order of a refused request slipped in.
  const refused = r.requests.filter((_q, i) => r.outcomes[i]!.status !== 201).map((q) => q.email);
  expect(await prisma.order.count({ where: { festivalId, email: { in: refused } } })).toBe(0);
}

describe("500 simultaneous door orders for the last 100 places of a shared quota", () => {
  it(
    "sells exactly 100 places; every other buyer gets a clean 409 sold_out",
    { timeout: 90_000 },
    async () => {
      const festivalId = await doorFestival();
      const quota = await post<{ id: string }>(`/api/v1/festivals/${festivalId}/quotas`, {
        name: "Venue",
        capacity: 250,
      });
      const standard = await post<{ id: string }>(`/api/v1/festivals/${festivalId}/ticket-types`, {
        name: "Standard",
        priceMinor: 1500,
        capacity: 1000,
        quotaId: quota.id,
        maxPerOrder: 10,
      });
      const solidarity = await post<{ id: string }>(
        `/api/v1/festivals/${festivalId}/ticket-types`,
        {
          name: "Solidarity",
          priceMinor: 1000,
          payWhatYouWant: true,
          minPriceMinor: 500,
          suggestedPriceMinor: 2000,
          capacity: 1000,
          quotaId: quota.id,
          maxPerOrder: 10,
        },
      );
      const reduced = await post<{ id: string }>(`/api/v1/festivals/${festivalId}/ticket-types`, {
        name: "Reduced",
        priceMinor: 500,
        capacity: 1000,
        quotaId: quota.id,
        maxPerOrder: 10,
      });
      const typeIds = [standard.id, solidarity.id, reduced.id];
      const priceFor = (id: string) => (id === solidarity.id ? 2500 : undefined);

      // Sell the first 150 places normally (30 orders of 5, all three types).
      for (let i = 0; i < 30; i++) {
        const items: Line[] = [
          {
            ticketTypeId: typeIds[i % 3]!,
            quantity: 3,
            ...(priceFor(typeIds[i % 3]!) ? { priceMinor: 2500 } : {}),
          },
          {
            ticketTypeId: typeIds[(i + 1) % 3]!,
            quantity: 2,
            ...(priceFor(typeIds[(i + 1) % 3]!) ? { priceMinor: 2500 } : {}),
          },
        ];
        await post(`/api/v1/festivals/${festivalId}/orders`, {
          items,
          email: `early-${i}@example.test`,
          paymentMethod: "door",
        });
      }
      expect((await prisma.quota.findUniqueOrThrow({ where: { id: quota.id } })).reserved).toBe(
        150,
      );
      const ticketsBefore = await prisma.ticket.count({ where: { festivalId } });
      const outboxBefore = await prisma.outboxEmail.count();

      const next = rng(20261124);
      const requests = Array.from({ length: BURST }, (_v, i) => ({
        email: `burst-${i}@example.test`,
        items: randomOrder(next, typeIds, priceFor),
      }));
      // The burst really contests the last places: demand is many times the supply, in mixed sizes and types.
      const demand = requests.reduce((n, r) => n + r.items.reduce((m, l) => m + l.quantity, 0), 0);
      expect(demand).toBeGreaterThan(800);
      expect(new Set(requests.map((r) => r.items.length)).size).toBe(2);

      const r = await burst(festivalId, requests);
      report("quota limit", r);
      expectOnlyCreatedOrSoldOut(r);

      const sold = r.created.reduce((n, c) => n + c.tickets.length, 0);
      expect(sold).toBe(100);
      expect((await prisma.ticket.count({ where: { festivalId } })) - ticketsBefore).toBe(100);
      expect((await prisma.quota.findUniqueOrThrow({ where: { id: quota.id } })).reserved).toBe(
        250,
      );
      expect(r.outcomes.filter((o) => o.status === 409)).toHaveLength(BURST - r.created.length);
      await expectRowsMatchAnswers(festivalId, r, outboxBefore);
      await expectConsistent(festivalId);
      // Still sold out afterwards.
      const late = await rawOrder(festivalId, {
        items: [{ ticketTypeId: reduced.id, quantity: 1 }],
        email: "late@example.test",
        paymentMethod: "door",
      });
      expect(late.status).toBe(409);
    },
  );
});

describe("500 simultaneous door orders when a ticket type's own capacity is the limit", () => {
  it(
    "sells exactly the type's last 60 places; orders mixing it with other types are all-or-nothing",
    { timeout: 90_000 },
    async () => {
      const festivalId = await doorFestival();
      // The quota is roomy: the limit is the "Early bird" type's own capacity.
      const quota = await post<{ id: string }>(`/api/v1/festivals/${festivalId}/quotas`, {
        name: "Venue",
        capacity: 5000,
      });
      const early = await post<{ id: string }>(`/api/v1/festivals/${festivalId}/ticket-types`, {
        name: "Early bird",
        priceMinor: 800,
        capacity: 80,
        quotaId: quota.id,
      });
      const standard = await post<{ id: string }>(`/api/v1/festivals/${festivalId}/ticket-types`, {
        name: "Standard",
        priceMinor: 1500,
        capacity: 5000,
        quotaId: quota.id,
      });
      // Sell the first 20 early-bird places.
      for (let i = 0; i < 10; i++) {
        await post(`/api/v1/festivals/${festivalId}/orders`, {
          items: [{ ticketTypeId: early.id, quantity: 2 }],
          email: `early-${i}@example.test`,
          paymentMethod: "door",
        });
      }
      const ticketsBefore = await prisma.ticket.count({ where: { festivalId } });
      const outboxBefore = await prisma.outboxEmail.count();

      // Everyone wants early-bird places (1–3); a third also take 1–2 standard tickets in the same order.
      const next = rng(42);
      const requests = Array.from({ length: BURST }, (_v, i) => {
        const items: Line[] = [{ ticketTypeId: early.id, quantity: 1 + Math.floor(next() * 3) }];
        if (next() < 1 / 3)
          items.push({ ticketTypeId: standard.id, quantity: 1 + Math.floor(next() * 2) });
        return { email: `burst-${i}@example.test`, items };
      });

      const r = await burst(festivalId, requests);
      report("ticket type limit", r);
      expectOnlyCreatedOrSoldOut(r);

      const earlyRow = await prisma.ticketType.findUniqueOrThrow({ where: { id: early.id } });
      expect(earlyRow.reserved).toBe(80);
      const soldEarly = await prisma.ticket.count({ where: { ticketTypeId: early.id } });
      expect(soldEarly).toBe(80);
      // The standard tickets sold are exactly those of the successful mixed orders.
      const wantedStandard = r.requests.reduce(
        (n, q, i) =>
          n +
          (r.outcomes[i]!.status === 201
            ? q.items
                .filter((l) => l.ticketTypeId === standard.id)
                .reduce((m, l) => m + l.quantity, 0)
            : 0),
        0,
      );
      expect(await prisma.ticket.count({ where: { ticketTypeId: standard.id } })).toBe(
        wantedStandard,
      );
      expect((await prisma.ticket.count({ where: { festivalId } })) - ticketsBefore).toBe(
        60 + wantedStandard,
      );
      expect((await prisma.quota.findUniqueOrThrow({ where: { id: quota.id } })).reserved).toBe(
        80 + wantedStandard,
      );
      await expectRowsMatchAnswers(festivalId, r, outboxBefore);
      await expectConsistent(festivalId);
    },
  );
});

describe("another process holding the write lock", () => {
  it(
    "makes checkouts wait (asynchronously, in short busy_timeout tries), not fail",
    { timeout: 60_000 },
    async () => {
      const festivalId = await doorFestival();
      const type = await post<{ id: string }>(`/api/v1/festivals/${festivalId}/ticket-types`, {
        name: "Standard",
        priceMinor: 1500,
        capacity: 1000,
      });
      // An interactive transaction hands its connection away; the next one must get the pragmas again.
      const tx = await sqlClient().transaction("write");
      await tx.rollback();
      tx.close();
      expect((await sqlClient().execute("PRAGMA busy_timeout")).rows[0]).toMatchObject({
        timeout: BUSY_SLICE_MS,
      });

      // A backup, a migration or a second server process: it holds the write lock for a second.
      const holder = spawn(
        process.execPath,
        [
          "-e",
          `const Database = require("libsql");
         const db = new Database(process.argv[1]);
         db.exec("BEGIN IMMEDIATE");
         db.exec("UPDATE Quota SET reserved = reserved");
         process.stdout.write("locked\\n");
         setTimeout(() => { db.exec("COMMIT"); db.close(); }, 1000);`,
          app.databaseFile,
        ],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      const exited = new Promise((resolve) => holder.on("exit", resolve));
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on("data", (d: Buffer) => String(d).includes("locked") && resolve());
        holder.on("exit", (code) => reject(new Error(`lock holder exited early (${code})`)));
      });
      const started = performance.now();
      const outcomes = await Promise.all(
        Array.from({ length: 100 }, (_v, i) =>
          rawOrder(festivalId, {
            items: [{ ticketTypeId: type.id, quantity: 1 }],
            email: `wait-${i}@example.test`,
            paymentMethod: "door",
          }),
        ),
      );
      const wallMs = performance.now() - started;
      await exited;
      expect(
        outcomes
          .filter((o) => o.status !== 201)
          .map((o) => `${o.status} ${o.error ?? ""} ${o.body.slice(0, 200)}`),
      ).toEqual([]);
      // They really waited for the lock (and did not get it by luck after it was released).
      expect(wallMs).toBeGreaterThan(500);
      expect((await prisma.ticketType.findUniqueOrThrow({ where: { id: type.id } })).reserved).toBe(
        100,
      );
      await expectConsistent(festivalId);
    },
  );
});
