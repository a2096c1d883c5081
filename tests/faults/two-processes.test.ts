// Two app processes on one database file (issue 12, decision 0038): the
// production build twice, side by side, as an operator would run it behind a
// proxy. Buyers and door devices use both at once; the background workers and
// the festival refund-all run in one process at a time, by leases in the
// database; killing the process that holds them (kill -9: no shutdown code)
// hands its work to the other once the leases run out. Nothing is sold twice,
// no ticket is admitted twice, every email goes out once and the books balance.
import type { ParsedMail } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma, sqlClient } from "~/utils/db.server";
import { Client } from "../helpers/app";
import { spawnApp, type AppProcess } from "../helpers/app-process";
import { freshTestEnv } from "../helpers/env";
import { apiToken, createUserRow, festivalBody, uniqueEmail } from "../helpers/fixtures";
import { assertLedgerBalanced } from "../helpers/ledger";
import { startSmtpServer, type Mailbox } from "../helpers/smtp";
import { startStripeFake, stripeTestEnv, type StripeFake } from "../helpers/stripe-fake";

/** Short leases, so a takeover fits in the test: renewed every 2 s, gone 6 s after the last renewal. */
const LEASE_SECONDS = 6;
const WORKERS = ["email", "holds", "tattoo-waitlist", "retention"] as const;
/** Buyers at once, half on each process, for the last places of one ticket type. */
const BUYERS = 100;
const PLACES = 25;
/** Open orders of the cancelled festival that both processes are asked to refund at once. */
const REFUND_ORDERS = 20;

let mail: Mailbox;
let fake: StripeFake;
let databaseUrl: string;
let a: AppProcess;
let b: AppProcess;
let ca: Client;
let cb: Client;
let token: string;

type Sample = { at: number; rows: { name: string; holder: string; expiresAt: string }[] };
const samples: Sample[] = [];
let sampler: NodeJS.Timeout | undefined;

const holderOf = (p: AppProcess) => new RegExp(`:${p.pid}:[0-9a-f]{8}$`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function leaseRows() {
  const { rows } = await sqlClient().execute(
    "SELECT name, holder, expiresAt FROM WorkerLease ORDER BY name",
  );
  return rows.map((r) => ({
    name: String(r.name),
    holder: String(r.holder),
    expiresAt: String(r.expiresAt),
  }));
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Wait until the outbox has nothing pending (what is still pending is in the error). */
const outboxDrained = () =>
  until("the outbox to drain", async () =>
    (await prisma.outboxEmail.count({ where: { status: "pending" } })) === 0 ? true : undefined,
  ).catch(async (error: unknown) => {
    const left = await prisma.outboxEmail.findMany({
      where: { status: "pending" },
      select: { template: true, attempts: true, nextAttemptAt: true, lastError: true },
    });
    throw new Error(
      `${String(error)}: ${JSON.stringify(left.slice(0, 5))} (${left.length}); leases ${JSON.stringify(await leaseRows())}\nA:\n${a.output().slice(-3000)}\nB:\n${b.output().slice(-3000)}`,
    );
  });

const outboxIdOf = (m: ParsedMail) => String(m.headers.get("x-outbox-id") ?? "");

async function post<T>(client: Client, path: string, body?: unknown): Promise<T> {
  const res = await client.api("POST", path, body, token);
  if (res.status >= 300)
    throw new Error(
      `${path}: ${res.status} ${res.text}\n${(client === ca ? a : b).output().slice(-2000)}`,
    );
  return res.json<T>();
}

/** A published festival (door, and card when `card`) with one ticket type of `capacity` places. */
async function festival(capacity: number, card = false) {
  const { id } = await post<{ id: string }>(
    ca,
    "/api/v1/festivals",
    festivalBody({ paymentMethods: card ? ["door", "stripe"] : ["door"] }),
  );
  await post(ca, `/api/v1/festivals/${id}/publish`);
  const type = await post<{ id: string }>(cb, `/api/v1/festivals/${id}/ticket-types`, {
    name: { en: "Standard", ru: "Стандарт" },
    priceMinor: 1500,
    capacity,
  });
  return { id, typeId: type.id };
}

const order = (client: Client, festivalId: string, typeId: string, paymentMethod = "door") =>
  client.api("POST", `/api/v1/festivals/${festivalId}/orders`, {
    items: [{ ticketTypeId: typeId, quantity: 1 }],
    email: uniqueEmail("two-proc"),
    paymentMethod,
  });

beforeAll(async () => {
  mail = await startSmtpServer();
  fake = await startStripeFake();
  ({ databaseUrl } = freshTestEnv({
    RATE_LIMIT_PER_MINUTE: "0",
    WORKER_LEASE_SECONDS: String(LEASE_SECONDS),
    SMTP_URL: mail.url,
    ...stripeTestEnv(fake, "whsec_two_processes"),
  }));
  // A first: it starts with nobody holding a lease, so it takes all of them.
  a = await spawnApp();
  await until("A to hold every worker's lease", async () =>
    (await leaseRows()).filter((r) => holderOf(a).test(r.holder)).length === WORKERS.length
      ? true
      : undefined,
  );
  b = await spawnApp();
  ca = new Client(a.url);
  cb = new Client(b.url);
  const admin = await createUserRow({ role: "admin" });
  token = await apiToken(a.url, admin.email);
  sampler = setInterval(() => {
    const at = Date.now();
    void leaseRows()
      .then((rows) => samples.push({ at, rows }))
      .catch(() => undefined);
  }, 500);
});

afterAll(async () => {
  if (sampler) clearInterval(sampler);
  await a?.kill();
  await b?.kill();
  await mail?.close();
  await fake?.close();
});

describe("two app processes on one database", () => {
  let soldTickets: { id: string; qrToken: string }[] = [];
  let doorFestivalId = "";

  it("sell the last places of a ticket type exactly once between them", async () => {
    const { id, typeId } = await festival(PLACES);
    const results = await Promise.all(
      Array.from({ length: BUYERS }, (_, i) => order(i % 2 ? cb : ca, id, typeId)),
    );
    const created = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 409);
    expect(created).toHaveLength(PLACES);
    expect(refused).toHaveLength(BUYERS - PLACES);
    for (const r of refused) expect(r.json<{ error: string }>().error).toBe("sold_out");
    const [type] = (
      await sqlClient().execute({
        sql: "SELECT reserved FROM TicketType WHERE id = ?",
        args: [typeId],
      })
    ).rows;
    expect(Number(type!.reserved)).toBe(PLACES);
    expect(await prisma.ticket.count({ where: { ticketTypeId: typeId } })).toBe(PLACES);
    expect(await prisma.order.count({ where: { festivalId: id } })).toBe(PLACES);
    soldTickets = created.flatMap(
      (r) => r.json<{ tickets: { id: string; qrToken: string }[] }>().tickets,
    );
    expect(soldTickets).toHaveLength(PLACES);
    // Paid at the door already, so the scans below admit.
    await prisma.ticket.updateMany({
      where: { ticketTypeId: typeId },
      data: { amountDueMinor: 0 },
    });
    doorFestivalId = id;
  });

  it("admit each ticket once when two doors scan it at the same moment, one on each process", async () => {
    const devices = await Promise.all([
      post<{ token: string }>(ca, `/api/v1/festivals/${doorFestivalId}/door-devices`, {
        name: "Door A",
      }),
      post<{ token: string }>(cb, `/api/v1/festivals/${doorFestivalId}/door-devices`, {
        name: "Door B",
      }),
    ]);
    const deviceTokens = devices.map((d) => d.token);
    let n = 0;
    const scan = (client: Client, device: string, qr: string) =>
      client.api(
        "POST",
        "/api/v1/door/scans",
        { token: qr, nonce: `two-${++n}-${Date.now()}` },
        device,
      );
    const results = await Promise.all(
      soldTickets.flatMap((t) => [
        scan(ca, deviceTokens[0]!, t.qrToken),
        scan(cb, deviceTokens[1]!, t.qrToken),
      ]),
    );
    for (const r of results) expect(r.status, r.text).toBe(200);
    const verdicts = results.map((r) => r.json<{ result: string }>().result);
    expect(verdicts.filter((v) => v === "admitted")).toHaveLength(soldTickets.length);
    expect(verdicts.filter((v) => v === "already_admitted")).toHaveLength(soldTickets.length);
    for (let i = 0; i < soldTickets.length; i++)
      expect([verdicts[2 * i], verdicts[2 * i + 1]].sort()).toEqual([
        "admitted",
        "already_admitted",
      ]);
    const ids = soldTickets.map((t) => t.id);
    expect(
      await prisma.ticket.count({ where: { id: { in: ids }, admittedAt: { not: null } } }),
    ).toBe(ids.length);
    expect(
      await prisma.checkIn.count({ where: { ticketId: { in: ids }, result: "admitted" } }),
    ).toBe(ids.length);
  });

  it("send every email once, from the process holding the outbox lease", async () => {
    await outboxDrained();
    const sent = await prisma.outboxEmail.findMany({ select: { id: true, status: true } });
    // The ticket emails of the sale above.
    expect(sent.length).toBe(PLACES);
    for (const row of sent) expect(row.status).toBe("sent");
    const received = mail.messages.map(outboxIdOf);
    expect(new Set(received).size).toBe(received.length);
    expect(new Set(received)).toEqual(new Set(sent.map((r) => r.id)));
  });

  it("run each festival's refund-all in one process at a time", async () => {
    const { id, typeId } = await festival(100);
    const placed: string[] = [];
    for (let i = 0; i < REFUND_ORDERS; i++) {
      const res = await order(i % 2 ? cb : ca, id, typeId);
      expect(res.status, res.text).toBe(201);
      placed.push(res.json<{ id: string }>().id);
    }
    await post(ca, `/api/v1/festivals/${id}/cancel`);
    const both = await Promise.all([
      ca.api("POST", `/api/v1/festivals/${id}/refund-all`, undefined, token),
      cb.api("POST", `/api/v1/festivals/${id}/refund-all`, undefined, token),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    const refused = both.find((r) => r.status === 409)!;
    expect(refused.json<{ error: string }>().error).toBe("refund_all_running");
    expect(both.find((r) => r.status === 200)!.json()).toMatchObject({
      cancelled: REFUND_ORDERS,
      refunded: 0,
      failed: [],
    });
    expect(await prisma.order.count({ where: { id: { in: placed }, status: "cancelled" } })).toBe(
      REFUND_ORDERS,
    );
    const cancels = await prisma.auditEvent.groupBy({
      by: ["targetId"],
      where: { action: "order.cancel", targetId: { in: placed } },
      _count: true,
    });
    expect(cancels).toHaveLength(REFUND_ORDERS);
    for (const c of cancels) expect(c._count).toBe(1);
    expect(
      await prisma.auditEvent.count({ where: { action: "festival.refund_all", targetId: id } }),
    ).toBe(1);
    // Its lease was given back.
    expect((await leaseRows()).map((r) => r.name)).not.toContain(`refund-all:${id}`);
    // The cancellation emails go out (once each: checked at the end).
    await outboxDrained();
  });

  it("hand a killed holder's work to the other process once its leases run out", async () => {
    // A card order whose hold is running out: the hold-expiry worker's work.
    const { id, typeId } = await festival(10, true);
    const pending = await order(cb, id, typeId, "stripe");
    expect(pending.status, pending.text).toBe(201);
    const pendingId = pending.json<{ id: string }>().id;
    // While both lived, A held every worker's lease and B took none.
    expect(samples.length).toBeGreaterThan(10);
    for (const sample of samples)
      for (const name of WORKERS)
        expect(sample.rows.find((r) => r.name === name)?.holder).toMatch(holderOf(a));
    expect(b.output()).not.toMatch(/lease \S+: taken over/);
    const before = await leaseRows();
    const killedAt = Date.now();
    expect(await a.kill()).toBe("SIGKILL");
    await sqlClient().execute({
      sql: `UPDATE "Order" SET holdExpiresAt = ? WHERE id = ?`,
      args: [new Date(Date.now() - 1_000).toISOString().replace("Z", "+00:00"), pendingId],
    });
    // Mail enqueued on B while nobody delivers (A is dead, B holds no lease yet).
    const orders: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await order(cb, id, typeId);
      expect(res.status, res.text).toBe(201);
      orders.push(res.json<{ id: string }>().id);
    }
    const outboxIds = (
      await prisma.outboxEmail.findMany({
        where: { status: "pending" },
        select: { id: true },
      })
    ).map((r) => r.id);
    expect(outboxIds.length).toBeGreaterThanOrEqual(5);

    const after = await until(
      "B to take over every worker's lease",
      async () => {
        const rows = await leaseRows();
        return WORKERS.every((w) => holderOf(b).test(rows.find((r) => r.name === w)?.holder ?? ""))
          ? rows
          : undefined;
      },
      (LEASE_SECONDS + 6) * 1000,
    );
    const tookOverAt = Date.now();
    // Not before A's leases ran out: each was A's until its expiry.
    for (const name of WORKERS) {
      const old = before.find((r) => r.name === name)!;
      expect(old.holder).toMatch(holderOf(a));
      const taken = (
        await sqlClient().execute({
          sql: "SELECT acquiredAt FROM WorkerLease WHERE name = ?",
          args: [name],
        })
      ).rows[0]!;
      expect(Date.parse(String(taken.acquiredAt))).toBeGreaterThanOrEqual(
        Date.parse(old.expiresAt),
      );
      expect(after.find((r) => r.name === name)?.holder).toMatch(holderOf(b));
      expect(b.output()).toMatch(new RegExp(`lease ${name}: taken over by this process`));
    }
    expect(tookOverAt - killedAt).toBeLessThan((LEASE_SECONDS + 6) * 1000);

    // B now does A's work: the expired hold is released, the waiting mail goes out, once.
    await until("the hold to be released", async () =>
      (await prisma.order.findUniqueOrThrow({ where: { id: pendingId } })).status === "expired"
        ? true
        : undefined,
    );
    await outboxDrained();
    for (const outboxId of outboxIds)
      expect(mail.messages.filter((m) => outboxIdOf(m) === outboxId)).toHaveLength(1);
    // Over the whole test: every outbox row sent, each received exactly once.
    const rows = await prisma.outboxEmail.findMany({ select: { id: true, status: true } });
    for (const row of rows) expect(row.status).toBe("sent");
    const received = mail.messages.map(outboxIdOf);
    expect(new Set(received).size).toBe(received.length);
    expect(new Set(received)).toEqual(new Set(rows.map((r) => r.id)));

    // A graceful stop gives B's leases back at once.
    expect(await b.stop()).toBe(0);
    expect((await leaseRows()).filter((r) => WORKERS.includes(r.name as never))).toEqual([]);
    await assertLedgerBalanced(databaseUrl);
  });
});
