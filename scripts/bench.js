// `npm run bench`: start the production build in its own process on a fresh
// database and measure routes under concurrency. Every figure is printed next to
// a same-run floor (a raw SQLite query, and /healthz, the cheapest route), because
// these machines are noisy: judge by the ratio.
import { createClient } from "@libsql/client";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { benchEvening } from "./bench/evening.js";
import {
  festivalBody,
  keepAliveClient,
  processMemory,
  rowId,
  spawnListening,
  sqlDate,
  summary,
} from "./bench/measure.js";
import {
  build,
  buildIsStale,
  CHROMIUM_FLAGS,
  findChromium,
  migrate,
  root,
  startNodeEnv,
  startNodeFlags,
} from "./lib.js";

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 20);
/** `BENCH_ONLY=tattoo,orders`: the floors and only these sections (routes, pages, orders, tattoo, door, scans, evening, doors-after-burst). */
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(",")) : null;
const runs = (section) => !ONLY || ONLY.has(section);

const request = keepAliveClient();

/** Run `fn` from `concurrency` loops for `durationMs`; collect latencies (ms). */
async function load(fn, { concurrency = CONCURRENCY, durationMs = DURATION_MS } = {}) {
  const latencies = [];
  let failures = 0;
  const end = performance.now() + durationMs;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      let i = 0;
      while (performance.now() < end) {
        const t0 = performance.now();
        const ok = await fn(worker, i++).catch(() => false);
        latencies.push(performance.now() - t0);
        if (!ok) failures++;
      }
    }),
  );
  return { ...summary(latencies, performance.now() - start), failures };
}

async function rawSqliteFloor(file) {
  const client = createClient({ url: `file:${file}` });
  await client.execute("PRAGMA busy_timeout = 5000");
  const { rows } = await client.execute("SELECT id FROM Festival LIMIT 1");
  const id = rows[0]?.[0];
  const latencies = [];
  const start = performance.now();
  for (let i = 0; i < 20000; i++) {
    const t0 = performance.now();
    await client.execute({ sql: "SELECT id, name FROM Festival WHERE id = ?", args: [id] });
    latencies.push(performance.now() - t0);
  }
  const result = summary(latencies, performance.now() - start);
  client.close();
  return result;
}

/** The production build in a process of its own, with `npm start`'s flags (decision 0042). */
function startApp(env) {
  const entry = path.join(root, "build", "bench-entry.mjs");
  return spawnListening([...startNodeFlags(), entry], { ...startNodeEnv(), ...env });
}

function fmt(r) {
  return `${r.perSecond.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(2).padStart(7)} ms  p95 ${r.p95.toFixed(2).padStart(7)} ms  p99 ${r.p99.toFixed(2).padStart(7)} ms${r.failures ? `  FAILURES ${r.failures}` : ""}`;
}

const json = (res) => JSON.parse(res.body);

/**
 * The ceiling: the same writes as one order, straight into SQLite from this process.
 * With `ledger`, each order also writes the ledger entry its cash payment posts
 * (the app's own `entryStatements`, from the build), which prices the ledger alone.
 */
async function rawOrderWriteCeiling(file, festivalId, typeId, quotaId, ledger) {
  const client = createClient({ url: `file:${file}` });
  await client.execute("PRAGMA busy_timeout = 5000");
  await client.execute("PRAGMA synchronous = NORMAL");
  const now = new Date().toISOString().replace("Z", "+00:00");
  const n = 2000;
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const id = `raw-${i}-${Math.random().toString(36).slice(2)}`;
    await client.batch(
      [
        { sql: "UPDATE TicketType SET reserved = reserved + 1 WHERE id = ?", args: [typeId] },
        { sql: "UPDATE Quota SET reserved = reserved + 1 WHERE id = ?", args: [quotaId] },
        {
          sql: `INSERT INTO "Order" (id, festivalId, code, accessToken, email, locale, status, paymentMethod, currency, totalMinor, createdAt) VALUES (?, ?, ?, ?, 'raw@example.test', 'en', 'confirmed', 'door', 'EUR', 1500, ?)`,
          args: [id, festivalId, id, id, now],
        },
        {
          sql: "INSERT INTO OrderItem (id, orderId, kind, ticketTypeId, quantity, unitPriceMinor, amountMinor) VALUES (?, ?, 'ticket', ?, 1, 1500, 1500)",
          args: [id, id, typeId],
        },
        {
          sql: "INSERT INTO Ticket (id, orderId, orderItemId, festivalId, ticketTypeId, qrToken, createdAt) VALUES (?, ?, ?, ?, ?, 'x', ?)",
          args: [id, id, id, festivalId, typeId, now],
        },
        ...(ledger
          ? ledger.entryStatements({
              id: `bench:${id}`,
              festivalId,
              orderId: id,
              kind: "payment",
              at: new Date(),
              postings: ledger.moneyInPostings(
                {
                  festivalId,
                  currency: "EUR",
                  code: "door_cash",
                  holder: { type: "device", id: "bench-device" },
                },
                [{ category: "ticket", amountMinor: 1500 }],
              ),
            })
          : []),
      ],
      "write",
    );
  }
  const perSecond = (n / (performance.now() - start)) * 1000;
  // Leave the counters as the app expects them (raw rows are not real orders).
  await client.batch(
    [
      { sql: "DELETE FROM Ticket WHERE id LIKE 'raw-%'", args: [] },
      { sql: "DELETE FROM OrderItem WHERE id LIKE 'raw-%'", args: [] },
      { sql: `DELETE FROM "Order" WHERE id LIKE 'raw-%'`, args: [] },
      // (the ledger refuses DELETE: its bench entries stay, on orders that are gone)
      { sql: "UPDATE TicketType SET reserved = reserved - ? WHERE id = ?", args: [n, typeId] },
      { sql: "UPDATE Quota SET reserved = reserved - ? WHERE id = ?", args: [n, quotaId] },
    ],
    "write",
  );
  client.close();
  return perSecond;
}

/** An authorised POST helper and a published pay-at-the-door festival to load. */
async function publishedFestival(url, token, name) {
  const auth = { "Content-Type": "application/json", Authorization: `Bearer ${token}` };
  const post = (path, body, headers = auth) =>
    request(url + path, { method: "POST", headers, body: JSON.stringify(body) });
  const festival = json(
    await post("/api/v1/festivals", festivalBody(name, { paymentMethods: ["door"] })),
  );
  await post(`/api/v1/festivals/${festival.id}/publish`, {});
  return { post, festival };
}

/** A quota and ticket types that all draw on it (each as large as the quota). */
async function sharedQuota(post, festivalId, { name, capacity, priceMinor, typeNames }) {
  const quota = json(await post(`/api/v1/festivals/${festivalId}/quotas`, { name, capacity }));
  const types = [];
  for (const typeName of typeNames)
    types.push(
      json(
        await post(`/api/v1/festivals/${festivalId}/ticket-types`, {
          name: typeName,
          priceMinor,
          capacity,
          quotaId: quota.id,
        }),
      ).id,
    );
  return { quota, types };
}

/** Issue 3 target: ≥100 completed door orders/s for one festival, p95 < 250 ms at 50 buyers, zero oversell. */
async function benchOrders({ url, token, file, health }) {
  const { post, festival } = await publishedFestival(url, token, "Bench festival");
  const { quota, types } = await sharedQuota(post, festival.id, {
    name: "Venue",
    capacity: 1_000_000,
    priceMinor: 1500,
    typeNames: ["Standard", "Solidarity", "Supporter"],
  });

  const ceiling = await rawOrderWriteCeiling(file, festival.id, types[0], quota.id);
  // The app's ledger code, from the build (the same statements every posting site runs).
  const ledger = await import(pathToFileURL(path.join(root, "build", "index.js")).href);
  const withLedger = await rawOrderWriteCeiling(file, festival.id, types[0], quota.id, ledger);
  console.log(`\nOrders (pay at the door, 1 ticket each, one festival, 50 concurrent buyers)`);
  console.log(
    `ceiling raw SQLite: the same 5 writes per order in one transaction, in-process: ${ceiling.toFixed(0).padStart(6)} orders/s`,
  );
  console.log(
    `ledger  the same + its cash payment's ledger entry (2 postings):                ${withLedger.toFixed(0).padStart(6)} orders/s → the ledger's own cost ${((1000 / withLedger - 1000 / ceiling) * 1000).toFixed(0)} µs per order (${((1 - withLedger / ceiling) * 100).toFixed(0)}% of the raw write)`,
  );

  const buyer = { "Content-Type": "application/json" };
  let n = 0;
  const orders = await load(
    () =>
      post(
        `/api/v1/festivals/${festival.id}/orders`,
        {
          items: [{ ticketTypeId: types[n++ % 3], quantity: 1 }],
          email: `b${n}@example.test`,
          paymentMethod: "door",
        },
        buyer,
      ).then((r) => r.status === 201),
    { concurrency: 50, durationMs: Math.max(DURATION_MS, 5000) },
  );
  console.log(
    `       POST /api/v1/festivals/:id/orders        ${fmt(orders)}   (${((orders.perSecond / ceiling) * 100).toFixed(0)}% of the raw ceiling; ${((orders.perSecond / health.perSecond) * 100).toFixed(0)}% of /healthz ${health.perSecond.toFixed(0)} req/s, target ≥ 50%)`,
  );

  // Zero oversell under contention: 1,000 requests for the last 300 places.
  const { quota: q2, types: small } = await sharedQuota(post, festival.id, {
    name: "Small",
    capacity: 300,
    priceMinor: 1000,
    typeNames: ["A", "B", "C"],
  });
  const statuses = await Promise.all(
    Array.from({ length: 1000 }, (_, i) =>
      post(
        `/api/v1/festivals/${festival.id}/orders`,
        {
          items: [{ ticketTypeId: small[i % 3], quantity: 1 }],
          email: `c${i}@example.test`,
          paymentMethod: "door",
        },
        buyer,
      ).then((r) => r.status),
    ),
  );
  const db = createClient({ url: `file:${file}` });
  const sold = Number(
    (
      await db.execute({
        sql: `SELECT COUNT(*) AS n FROM Ticket WHERE ticketTypeId IN (?, ?, ?)`,
        args: small,
      })
    ).rows[0].n,
  );
  const reserved = Number(
    (await db.execute({ sql: "SELECT reserved FROM Quota WHERE id = ?", args: [q2.id] })).rows[0]
      .reserved,
  );
  db.close();
  const count = (s) => statuses.filter((x) => x === s).length;
  console.log(
    `       contention: 1,000 simultaneous orders for 300 places → ${count(201)} × 201, ${count(409)} × 409, ${statuses.length - count(201) - count(409)} other; tickets ${sold}, quota reserved ${reserved} → ${sold === 300 && reserved === 300 ? "zero oversell" : "OVERSOLD OR LOST"}`,
  );
}

/**
 * Issue 10: donation tattoo slots booked through the same checkout, under the
 * load of the ticket orders above (50 concurrent buyers, the same duration),
 * pay-at-the-corner (no Stripe). Many artists, one slot per request; every
 * seventh request also takes the artist's flash design (limited to 5 uses),
 * and every tenth aims at a slot an earlier request booked (a clean 409, counted
 * apart). Then a burst of 400 simultaneous bookings for 40 slots. After
 * the run the database is checked: no slot held twice, every slot's `reserved`
 * is its holders, no design over its limit, no artist booked twice at once.
 */
async function benchTattoo({ url, token, file, health }) {
  const { post, festival } = await publishedFestival(url, token, "Tattoo bench festival");
  const ARTISTS = 60;
  const SLOTS_PER_ARTIST = 120; // 7,200 slots: more than a run this long books
  const DESIGN_USES = 5;
  const db = createClient({ url: `file:${file}` });
  await db.execute("PRAGMA busy_timeout = 5000");
  const now = sqlDate(new Date());
  const artists = [];
  const statements = [];
  for (let a = 0; a < ARTISTS; a++) {
    const id = rowId();
    const design = rowId();
    artists.push({ id, design, slots: [] });
    statements.push(
      {
        sql: `INSERT INTO TattooArtist (id, festivalId, name, bio, createdAt, updatedAt) VALUES (?, ?, ?, '{}', ?, ?)`,
        args: [id, festival.id, `Bench artist ${a + 1}`, now, now],
      },
      {
        sql: `INSERT INTO FlashDesign (id, festivalId, artistId, title, minDonationMinor, maxUses, createdAt) VALUES (?, ?, ?, 'Swallow', 3000, ?, ?)`,
        args: [design, festival.id, id, DESIGN_USES, now],
      },
    );
  }
  // Back-to-back 45-minute slots each hour from the festival's day on (the overlap trigger checks each).
  const from = Date.parse("2030-01-26T10:00:00Z");
  const slots = [];
  for (let k = 0; k < SLOTS_PER_ARTIST; k++)
    for (const artist of artists) {
      const id = rowId();
      const startsAt = new Date(from + k * 3_600_000);
      statements.push({
        sql: `INSERT INTO TattooSlot (id, festivalId, artistId, startsAt, endsAt, minDonationMinor, minNoticeMinutes, createdAt) VALUES (?, ?, ?, ?, ?, 2000, 0, ?)`,
        args: [
          id,
          festival.id,
          artist.id,
          sqlDate(startsAt),
          sqlDate(new Date(startsAt.getTime() + 45 * 60_000)),
          now,
        ],
      });
      slots.push({ id, artist });
    }
  await db.batch(statements, "write");

  const buyer = { "Content-Type": "application/json" };
  const book = (slot, email, design) =>
    post(
      `/api/v1/festivals/${festival.id}/orders`,
      {
        items: [
          {
            kind: "tattoo_slot",
            tattooSlotId: slot.id,
            donationMinor: design ? 3000 : 2500,
            ...(design ? { flashDesignId: slot.artist.design } : {}),
          },
        ],
        email,
        paymentMethod: "door",
      },
      buyer,
    );
  const counts = { fresh: {}, design: {}, taken: {} };
  const count = (kind, r) => {
    const code = r.status === 201 ? "201" : `${r.status} ${json(r).error}`;
    counts[kind][code] = (counts[kind][code] ?? 0) + 1;
    return code;
  };
  let n = 0;
  let ranOut = false;
  const booked = [];
  const bookings = await load(
    async () => {
      const i = n++;
      // Every tenth request aims at a slot an earlier request has booked (201 received).
      const taken = i % 10 === 9 && booked.length > 0;
      const slot = taken ? booked[(i * 7919) % booked.length] : slots[i];
      if (!slot) {
        ranOut = true;
        return false;
      }
      const kind = taken ? "taken" : i % 7 === 3 ? "design" : "fresh";
      const code = count(kind, await book(slot, `t${i}@example.test`, kind === "design"));
      if (code === "201" && !taken) booked.push(slot);
      // A taken slot's 409 is the right answer; so is a design's once its uses are gone.
      return code === "201" || (kind !== "fresh" && code === "409 sold_out");
    },
    { concurrency: 50, durationMs: Math.max(DURATION_MS, 5000) },
  );
  const placed = Object.values(counts).reduce((sum, c) => sum + (c["201"] ?? 0), 0);
  console.log(
    `\nTattoo slot bookings (pay at the corner, 1 slot each, ${ARTISTS} artists × ${SLOTS_PER_ARTIST} slots, 50 concurrent bookers)`,
  );
  console.log(
    `       POST /api/v1/festivals/:id/orders (slot)  ${fmt(bookings)}   (${((bookings.perSecond / health.perSecond) * 100).toFixed(0)}% of /healthz ${health.perSecond.toFixed(0)} req/s, target ≥ 50%)`,
  );
  console.log(
    `       answers: free slot ${JSON.stringify(counts.fresh)}, with a 5-use design ${JSON.stringify(counts.design)}, a slot already booked ${JSON.stringify(counts.taken)}${ranOut ? "  RAN OUT OF SLOTS" : ""}`,
  );

  // Contention: 400 simultaneous bookings (10 per slot) for the next 40 free slots.
  const burst = slots.slice(n, n + 40);
  const statuses = await Promise.all(
    Array.from({ length: 400 }, (_, i) =>
      book(burst[i % 40], `burst${i}@example.test`, false).then((r) => r.status),
    ),
  );
  const won = statuses.filter((s) => s === 201).length;
  const lost = statuses.filter((s) => s === 409).length;

  const one = async (sql) => Number((await db.execute({ sql, args: [festival.id] })).rows[0].n);
  const check = {
    doubles: await one(
      `SELECT count(*) AS n FROM (SELECT slotId FROM TattooBooking WHERE festivalId = ? AND holdsSlot = 1 GROUP BY slotId HAVING count(*) > 1)`,
    ),
    reservedWrong: await one(
      `SELECT count(*) AS n FROM TattooSlot s WHERE s.festivalId = ? AND (s.reserved > 1 OR s.reserved <>
         (SELECT count(*) FROM TattooBooking b WHERE b.slotId = s.id AND b.holdsSlot = 1)
         + (SELECT count(*) FROM TattooOffer f WHERE f.slotId = s.id AND f.status = 'open'))`,
    ),
    designsOver: await one(
      `SELECT count(*) AS n FROM FlashDesign d WHERE d.festivalId = ? AND (d.reserved > d.maxUses OR d.reserved <>
         (SELECT count(*) FROM TattooBooking b WHERE b.flashDesignId = d.id AND b.holdsSlot = 1))`,
    ),
    overlapping: await one(
      `SELECT count(*) AS n FROM TattooBooking a JOIN TattooSlot sa ON sa.id = a.slotId
         JOIN TattooBooking b ON b.artistId = a.artistId AND b.orderItemId > a.orderItemId AND b.holdsSlot = 1
         JOIN TattooSlot sb ON sb.id = b.slotId
       WHERE a.festivalId = ? AND a.holdsSlot = 1 AND sa.startsAt < sb.endsAt AND sb.startsAt < sa.endsAt`,
    ),
    bookings: await one(
      `SELECT count(*) AS n FROM TattooBooking WHERE festivalId = ? AND holdsSlot = 1 AND status = 'booked'`,
    ),
  };
  db.close();
  const ok =
    check.doubles === 0 &&
    check.reservedWrong === 0 &&
    check.designsOver === 0 &&
    check.overlapping === 0 &&
    check.bookings === placed + won &&
    won === 40 &&
    lost === 360 &&
    !ranOut;
  console.log(
    `       contention: 400 simultaneous bookings for 40 slots → ${won} × 201, ${lost} × 409, ${400 - won - lost} other`,
  );
  console.log(
    `       after the run: ${check.bookings} bookings for ${placed + won} × 201; slots held twice ${check.doubles}, slots whose reserved ≠ holders ${check.reservedWrong}, designs over their limit ${check.designsOver}, an artist booked twice at once ${check.overlapping} → ${ok ? "zero double bookings" : "FAIL: DOUBLE BOOKED OR LOST"}`,
  );
  if (!ok) process.exitCode = 1;
}

/** Eight door devices of a festival: their bearer tokens. */
async function doorDevices(post, festivalId, name) {
  const tokens = [];
  for (let i = 0; i < 8; i++)
    tokens.push(
      json(await post(`/api/v1/festivals/${festivalId}/door-devices`, { name: `${name} ${i + 1}` }))
        .token,
    );
  return tokens;
}

/** At least `n` tickets of one type, bought 50 at a time: their QR tokens. */
async function ticketTokens(post, festivalId, typeId, paymentMethod, n) {
  const tokens = [];
  while (tokens.length < n) {
    const order = json(
      await post(
        `/api/v1/festivals/${festivalId}/orders`,
        {
          items: [{ ticketTypeId: typeId, quantity: 50 }],
          email: `${paymentMethod}@example.test`,
          paymentMethod,
        },
        { "Content-Type": "application/json" },
      ),
    );
    tokens.push(...order.tickets.map((t) => t.qrToken));
  }
  return tokens;
}

/**
 * Issue 9: staff take the cash for a pay-at-the-door ticket — the payment, its ledger
 * entry (the device's cash) and the admission in one transaction — from 8 devices at once.
 */
async function benchDoorPayments({ url, token, health }) {
  const { post, festival } = await publishedFestival(url, token, "Cash bench festival");
  const type = json(
    await post(`/api/v1/festivals/${festival.id}/ticket-types`, {
      name: "At the door",
      priceMinor: 1500,
      capacity: 100_000,
      maxPerOrder: 50,
    }),
  ).id;
  const devices = await doorDevices(post, festival.id, "Till");
  const tickets = await ticketTokens(post, festival.id, type, "door", 3000);
  let next = 0;
  const paid = await load(
    (worker) => {
      const ticket = tickets[next++];
      if (!ticket) return Promise.resolve(false);
      return post(
        "/api/v1/door/payments",
        { token: ticket, nonce: `cash-${next}-${worker}`, amountMinor: 1500 },
        { "Content-Type": "application/json", Authorization: `Bearer ${devices[worker % 8]}` },
      ).then((r) => r.status === 200 && JSON.parse(r.body).result === "admitted");
    },
    { concurrency: 8 },
  );
  console.log(
    `\nDoor cash (8 devices at once, one ticket each: payment + ledger entry + admission)`,
  );
  console.log(
    `       POST /api/v1/door/payments                   ${fmt(paid)}   (${((paid.perSecond / health.perSecond) * 100).toFixed(0)}% of /healthz ${health.perSecond.toFixed(0)} req/s)`,
  );
}

/** Issue 4 target: server verdict p95 < 20 ms at 50 scans/s sustained from 8 devices. */
async function benchScans({ url, token, raw, file }) {
  const { post, festival } = await publishedFestival(url, token, "Scan bench festival");
  const type = json(
    await post(`/api/v1/festivals/${festival.id}/ticket-types`, {
      name: "Free",
      priceMinor: 0,
      capacity: 100_000,
      maxPerOrder: 50,
    }),
  ).id;
  const devices = await doorDevices(post, festival.id, "Door");
  const RATE = 50;
  const SECONDS = Math.max(10, Math.round(DURATION_MS / 1000) * 3);
  const tickets = await ticketTokens(post, festival.id, type, "free", RATE * SECONDS);
  // Doors open after the sales: let the confirmation emails of the order sections go out first
  // (those due now: a tattoo booking's reminder waits for the day before its slot).
  const db = createClient({ url: `file:${file}` });
  for (let i = 0; i < 600; i++) {
    const pending = Number(
      (
        await db.execute({
          sql: "SELECT COUNT(*) AS n FROM OutboxEmail WHERE status = 'pending' AND nextAttemptAt <= ?",
          args: [sqlDate(new Date())],
        })
      ).rows[0].n,
    );
    if (pending === 0) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  db.close();
  // Open-loop load: one scan every 20 ms (50/s), round-robin over 8 devices, for SECONDS.
  const latencies = [];
  const results = {};
  const started = performance.now();
  const inflight = [];
  for (let i = 0; i < RATE * SECONDS; i++) {
    const due = started + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const t0 = performance.now();
    inflight.push(
      post(
        "/api/v1/door/scans",
        { token: tickets[i], nonce: `bench-${i}-${Math.random().toString(36).slice(2, 10)}` },
        { "Content-Type": "application/json", Authorization: `Bearer ${devices[i % 8]}` },
      ).then((r) => {
        latencies.push(performance.now() - t0);
        const result = r.status === 200 ? JSON.parse(r.body).result : `http ${r.status}`;
        results[result] = (results[result] ?? 0) + 1;
      }),
    );
  }
  await Promise.all(inflight);
  const s = summary(latencies, performance.now() - started);
  console.log(
    `\nDoor scans (${RATE}/s sustained for ${SECONDS} s from 8 devices, each a different ticket)`,
  );
  console.log(
    `floor  raw SQLite PK lookup (same run)               p50 ${raw.p50.toFixed(2)} ms  p95 ${raw.p95.toFixed(2)} ms`,
  );
  console.log(
    `       POST /api/v1/door/scans                      ${fmt({ ...s, failures: 0 })}   results ${JSON.stringify(results)}`,
  );
  const manifest = json(
    await request(`${url}/api/v1/door/manifest`, {
      headers: { Authorization: `Bearer ${devices[0]}` },
    }),
  );
  await benchBrowserVerify(tickets.slice(0, 200), manifest.publicKey, festival.id);
}

/**
 * Issue 4 target: offline signature verification under 5 ms per ticket in the
 * browser. The scanner's own verifier (app/utils/ticket-token.ts) is bundled and
 * run in Debian's Chromium on real tokens; the floor is the same code in Node.
 */
async function benchBrowserVerify(tokens, publicKey, festivalId) {
  const chromium = findChromium();
  if (!chromium) {
    console.log("\nBrowser verification: skipped (no chromium; apt-get install -y chromium)");
    return;
  }
  const esbuild = await import("esbuild");
  const bundle = await esbuild.build({
    entryPoints: [path.join(root, "app", "utils", "ticket-token.ts")],
    bundle: true,
    format: "iife",
    globalName: "TicketToken",
    platform: "browser",
    write: false,
  });
  const code = bundle.outputFiles[0].text;
  const measure = async (verify, engine) => {
    await verify(tokens[0], publicKey, { festivalId, engine }); // key import, warm-up
    const t0 = performance.now();
    let ok = 0;
    for (let round = 0; round < 5; round++)
      for (const token of tokens)
        if ((await verify(token, publicKey, { festivalId, engine })).ok) ok++;
    return { perTicket: (performance.now() - t0) / (tokens.length * 5), ok };
  };
  const { chromium: pw } = await import("playwright-core");
  const browser = await pw.launch({
    executablePath: chromium,
    args: CHROMIUM_FLAGS,
  });
  try {
    const page = await browser.newPage();
    await page.addScriptTag({ content: code });
    const inBrowser = {};
    for (const engine of ["auto", "js"]) {
      inBrowser[engine] = await page.evaluate(
        async ({ tokens, publicKey, festivalId, engine }) => {
          const verify = globalThis.TicketToken.verifyTicketToken;
          await verify(tokens[0], publicKey, { festivalId, engine });
          const t0 = performance.now();
          let ok = 0;
          for (let round = 0; round < 5; round++)
            for (const token of tokens)
              if ((await verify(token, publicKey, { festivalId, engine })).ok) ok++;
          return { perTicket: (performance.now() - t0) / (tokens.length * 5), ok };
        },
        { tokens, publicKey, festivalId, engine },
      );
    }
    const mod = await import(
      `data:text/javascript;base64,${Buffer.from(code + "\nexport default TicketToken;").toString("base64")}`
    );
    const node = await measure(mod.default.verifyTicketToken, "auto");
    console.log(
      `\nOffline signature verification (${tokens.length} real tickets × 5, the scanner's own code)`,
    );
    console.log(
      `floor  Node, same code                              ${node.perTicket.toFixed(3)} ms per ticket`,
    );
    console.log(
      `       Chromium, Web Crypto (auto)                  ${inBrowser.auto.perTicket.toFixed(3)} ms per ticket  (${inBrowser.auto.ok} verified)`,
    );
    console.log(
      `       Chromium, pure-JS fallback                   ${inBrowser.js.perTicket.toFixed(3)} ms per ticket  (${inBrowser.js.ok} verified)`,
    );
  } finally {
    await browser.close();
  }
}

async function main() {
  if (buildIsStale()) build();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "festival-bench-"));
  const file = path.join(dir, "bench.db");
  migrate(`file:${file}`);
  fs.writeFileSync(
    path.join(root, "build", "bench-entry.mjs"),
    `import { startServer } from "./index.js";\nawait startServer({ port: 0, host: "127.0.0.1" });\n`,
  );
  const { child, url } = await startApp({
    NODE_ENV: "production",
    DATABASE_URL: `file:${file}`,
    DATA_DIR: dir,
    SESSION_SECRET: "bench-secret-0123456789abcdef",
    PUBLIC_URL: "http://127.0.0.1",
    DATA_ENCRYPTION_KEY: `k1:${crypto.randomBytes(32).toString("base64")}`,
    RATE_LIMIT_PER_MINUTE: "0",
    ADMIN_EMAIL: "bench@example.test",
    ADMIN_PASSWORD: "bench password 123",
    SEED_DEMO: "1",
  });
  try {
    const { token } = JSON.parse(
      (
        await request(`${url}/api/v1/tokens`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ email: "bench@example.test", password: "bench password 123" }),
        })
      ).body,
    );
    const get = (p) => () => request(url + p).then((r) => r.status === 200);
    // Warm up.
    await load(get("/"), { durationMs: 500 });

    console.log(
      `Benchmarks — ${os.cpus().length} cores, Node ${process.version}, concurrency ${CONCURRENCY}, ${DURATION_MS} ms per route\n`,
    );
    const raw = await rawSqliteFloor(file);
    // (kept for the scan section's floor line)
    console.log(
      `floor  raw SQLite PK lookup (libSQL, in-process)   ${fmt({ ...raw, failures: 0 })}`,
    );
    const health = await load(get("/healthz"));
    console.log(`floor  GET /healthz                                ${fmt(health)}`);
    const rows = [
      ["GET /api/v1/festivals (public JSON)", get("/api/v1/festivals")],
      // The festival page and the list: section "pages" (50 readers, beside /healthz and a
      // bare server, also while checkouts run; and the JavaScript per public page).
      // The public money trail (issue 11): computed from the ledger on every request.
      [
        "GET /transparency/:month (month report, SSR)",
        get(`/transparency/${new Date().toISOString().slice(0, 7)}`),
      ],
      [
        "GET /api/v1/reports/months/:month (JSON)",
        get(`/api/v1/reports/months/${new Date().toISOString().slice(0, 7)}`),
      ],
      [
        "POST /api/v1/festivals (create, audited)",
        () =>
          request(`${url}/api/v1/festivals`, {
            method: "POST",
            headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
            body: JSON.stringify(festivalBody("Bench festival")),
          }).then((r) => r.status === 201),
      ],
    ];
    for (const [label, fn] of runs("routes") ? rows : []) {
      const r = await load(fn);
      console.log(
        `       ${label.padEnd(45)}${fmt(r)}   (${(health.perSecond / r.perSecond).toFixed(1)}x /healthz cost)`,
      );
    }
    if (runs("pages")) {
      const { benchPages } = await import("./bench/pages.js");
      await benchPages({ url, token, file, pid: child.pid });
    }
    if (runs("orders")) await benchOrders({ url, token, file, health });
    if (runs("tattoo")) await benchTattoo({ url, token, file, health });
    if (runs("door")) await benchDoorPayments({ url, token, health });
    if (runs("scans")) await benchScans({ url, token, raw, file });
    if (runs("evening")) await benchEvening();
    if (runs("doors-after-burst")) {
      const { benchDoorsAfterBurst } = await import("./bench/doors-after-burst.js");
      await benchDoorsAfterBurst({ url, token, file, pid: child.pid, raw });
    }
    const { rss } = processMemory(child.pid);
    if (Number.isFinite(rss)) console.log(`\napp process RSS after the run: ${rss.toFixed(0)} MiB`);
  } finally {
    child.kill("SIGTERM");
    fs.rmSync(path.join(root, "build", "bench-entry.mjs"), { force: true });
  }
}

await main();
