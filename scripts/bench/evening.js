// `BENCH_ONLY=evening npm run bench`: a festival evening on the production build.
//
// A festival of its own (fresh database, its own app process, so its memory
// high-water mark and an optional CPU profile belong to the evening alone) is
// set up over the API, then every kind of traffic of an evening runs at once
// for BENCH_EVENING_MS (default 2 minutes) at fixed rates (open loop: a request
// leaves on time whether or not the earlier ones have come back): browsing,
// checkouts (card through a local Stripe-compatible server and its webhook, pay
// at the door, free), tattoo bookings, door scans from 8 devices, door cash,
// the organiser's pages and the public reports. Per kind: throughput,
// p50/p95/p99 and errors (any unexpected answer; must be 0). Beside them, the
// same run's floors: a raw SQLite lookup, `/healthz` of the same app (alone,
// and sampled during the evening) and a bare Node `http` server in a process of
// its own; and the app's RSS high-water mark (VmHWM).
//
// BENCH_EVENING_SCALE multiplies every rate (default 1); BENCH_EVENING_PROFILE=DIR
// runs the app with `--cpu-prof` and writes its profile into DIR, whose top
// functions `node scripts/bench/profile-top.js DIR/*.cpuprofile` prints.
import { createClient } from "@libsql/client";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { migrate, root, startNodeEnv, startNodeFlags } from "../lib.js";
import * as measure from "./measure.js";

const { festivalBody, keepAliveClient, processMemory, rowId, sqlDate, summary } = measure;

const EVENING_MS = Number(process.env.BENCH_EVENING_MS ?? 120_000);
const SCALE = Number(process.env.BENCH_EVENING_SCALE ?? 1);
const PROFILE_DIR = process.env.BENCH_EVENING_PROFILE;
const FLOOR_MS = 3000;
const FLOOR_CONCURRENCY = 20;
/** How long each kind is first measured alone, one request at a time. */
const ALONE_MS = 1500;
/** …and at most this many times (they use up the tickets bought for the evening). */
const ALONE_MAX = 40;
/** Requests of one kind still waiting beyond this are not sent (counted as errors: the app fell behind). */
const MAX_IN_FLIGHT = 200;
const WEBHOOK_SECRET = "whsec_bench_evening_0123456789abcdef";

// ---------------------------------------------------------------------------
// Measuring

const ms = (v) => (Number.isFinite(v) ? v.toFixed(1) : "-").padStart(7);
function fmt(r) {
  return `${r.perSecond.toFixed(1).padStart(7)} /s  p50 ${ms(r.p50)} ms  p95 ${ms(r.p95)} ms  p99 ${ms(r.p99)} ms`;
}

const request = keepAliveClient();
const json = (res) => JSON.parse(res.body);

/** Closed loop: `concurrency` loops call `fn` for `durationMs` (the floors). */
async function closedLoop(fn, { concurrency = FLOOR_CONCURRENCY, durationMs = FLOOR_MS } = {}) {
  const latencies = [];
  let errors = 0;
  const start = performance.now();
  const end = start + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const ok = await fn().catch(() => false);
        latencies.push(performance.now() - t0);
        if (!ok) errors++;
      }
    }),
  );
  return { ...summary(latencies, performance.now() - start), errors };
}

// ---------------------------------------------------------------------------
// Processes

/** The test suite's Stripe-compatible server (TypeScript), bundled next to the build so `stripe` resolves. */
async function startStripe() {
  const esbuild = await import("esbuild");
  const out = path.join(root, "build", "bench-stripe-fake.mjs");
  await esbuild.build({
    entryPoints: [path.join(root, "tests", "helpers", "stripe-fake.ts")],
    bundle: true,
    packages: "external",
    platform: "node",
    format: "esm",
    outfile: out,
    logLevel: "error",
  });
  const mod = await import(pathToFileURL(out).href);
  return { fake: await mod.startStripeFake(), bundle: out };
}

// ---------------------------------------------------------------------------
// The festival

async function setUp(url, file) {
  const { token } = json(
    await request(`${url}/api/v1/tokens`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: ADMIN.email, password: ADMIN.password }),
    }),
  );
  const auth = { "Content-Type": "application/json", Authorization: `Bearer ${token}` };
  const post = async (p, body, headers = auth) => {
    const res = await request(url + p, { method: "POST", headers, body: JSON.stringify(body) });
    if (res.status >= 300) throw new Error(`setup: POST ${p} → ${res.status} ${res.body}`);
    return json(res);
  };
  const festival = await post(
    "/api/v1/festivals",
    festivalBody("Evening festival", { paymentMethods: ["stripe", "door"] }),
  );
  await post(`/api/v1/festivals/${festival.id}/publish`, {});
  const quota = await post(`/api/v1/festivals/${festival.id}/quotas`, {
    name: "Hall",
    capacity: 1_000_000,
  });
  const type = (name, priceMinor) =>
    post(`/api/v1/festivals/${festival.id}/ticket-types`, {
      name,
      priceMinor,
      capacity: 1_000_000,
      quotaId: quota.id,
      maxPerOrder: 50,
    }).then((t) => t.id);
  const types = {
    standard: await type("Standard", 1500),
    solidarity: await type("Solidarity", 3000),
    free: await type("Free entry", 0),
  };
  const devices = [];
  for (let i = 0; i < 8; i++)
    devices.push(
      (await post(`/api/v1/festivals/${festival.id}/door-devices`, { name: `Door ${i + 1}` }))
        .token,
    );

  // Tattoo artists and their slots, as the tattoo section makes them (SQL).
  const db = createClient({ url: `file:${file}` });
  await db.execute("PRAGMA busy_timeout = 5000");
  const now = sqlDate(new Date());
  const statements = [];
  const slots = [];
  const from = Date.parse("2030-01-26T10:00:00Z");
  for (let a = 0; a < 20; a++) {
    const artist = rowId();
    statements.push({
      sql: `INSERT INTO TattooArtist (id, festivalId, name, bio, createdAt, updatedAt) VALUES (?, ?, ?, '{}', ?, ?)`,
      args: [artist, festival.id, `Evening artist ${a + 1}`, now, now],
    });
    for (let k = 0; k < 60; k++) {
      const id = rowId();
      const startsAt = new Date(from + k * 3_600_000);
      statements.push({
        sql: `INSERT INTO TattooSlot (id, festivalId, artistId, startsAt, endsAt, minDonationMinor, minNoticeMinutes, createdAt) VALUES (?, ?, ?, ?, ?, 2000, 0, ?)`,
        args: [
          id,
          festival.id,
          artist,
          sqlDate(startsAt),
          sqlDate(new Date(startsAt.getTime() + 45 * 60_000)),
          now,
        ],
      });
      slots.push(id);
    }
  }
  await db.batch(statements, "write");
  // Interleave artists, so consecutive bookings go to different artists.
  slots.sort(() => Math.random() - 0.5);

  // Tickets bought before the doors open: free ones to scan, pay-at-the-door ones for the till.
  const buy = async (typeId, paymentMethod, n) => {
    const tokens = [];
    while (tokens.length < n) {
      const order = await post(
        `/api/v1/festivals/${festival.id}/orders`,
        {
          items: [{ ticketTypeId: typeId, quantity: 50 }],
          email: `early-${paymentMethod}@example.test`,
          paymentMethod,
        },
        { "Content-Type": "application/json" },
      );
      tokens.push(...order.tickets.map((t) => t.qrToken));
    }
    return tokens;
  };
  const seconds = EVENING_MS / 1000;
  const scanTickets = await buy(types.free, "free", Math.ceil(RATES.scan * SCALE * seconds) + 400);
  const cashTickets = await buy(
    types.standard,
    "door",
    Math.ceil(RATES.cash * SCALE * seconds) + ALONE_MAX + 100,
  );
  // Those early orders' confirmation emails went out long before the evening: mark them
  // sent, so the outbox starts empty and renders only the evening's own emails.
  const early = await db.execute(
    "UPDATE OutboxEmail SET status = 'sent', sentAt = ? WHERE status = 'pending'",
    [now],
  );
  db.close();

  // The organiser, signed in in a browser (session cookie).
  const login = await request(`${url}/login`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: url },
    body: new URLSearchParams({
      email: ADMIN.email,
      password: ADMIN.password,
      redirectTo: "/admin",
    }).toString(),
  });
  const cookie = (login.headers["set-cookie"] ?? []).map((c) => c.split(";")[0]).join("; ");
  if (!cookie) throw new Error(`setup: sign-in gave no cookie (${login.status})`);

  return {
    festival,
    types,
    devices,
    slots,
    scanTickets,
    cashTickets,
    cookie,
    earlyEmails: early.rowsAffected,
  };
}

const ADMIN = { email: "bench@example.test", password: "bench password 123" };

// ---------------------------------------------------------------------------
// The evening's traffic: requests per second of each kind (× BENCH_EVENING_SCALE).

const RATES = {
  home: 1,
  festivalPage: 2,
  festivalsJson: 1,
  prisoners: 0.5,
  demoPage: 0.5,
  door: 1,
  free: 0.5,
  card: 0.5,
  tattoo: 0.5,
  scan: 8, // 8 devices, one scan a second each: the doors' rush
  cash: 0.5,
  adminOrders: 0.25,
  adminDoor: 0.25,
  stats: 0.5,
  monthReport: 0.5,
  festivalReport: 0.5,
  reportJson: 0.25,
  healthz: 1,
};

/** The kinds: label, group, rate and one request (resolves to true, or a string saying what went wrong). */
function kinds({ url, s, fake, month, webhookTimes }) {
  const get =
    (p, headers = {}) =>
    async () => {
      const r = await request(url + p, { headers });
      if (r.status !== 200) return `${r.status}`;
      // A page whose render was cut short (the server's stream timeout) still said 200.
      const html = String(r.headers["content-type"]).startsWith("text/html");
      return !html || r.body.includes("</html>") || "page cut short";
    };
  const buyer = { "Content-Type": "application/json" };
  const order = (body) =>
    request(`${url}/api/v1/festivals/${s.festival.id}/orders`, {
      method: "POST",
      headers: buyer,
      body: JSON.stringify(body),
    });
  let n = 0;
  const email = () => `guest${n++}@example.test`;
  const typeOf = () => (n % 4 === 0 ? s.types.solidarity : s.types.standard);
  const organiser = { Cookie: s.cookie };
  const scanned = [];
  let nextScan = 0;
  let nextCash = 0;
  let nextSlot = 0;
  return [
    ["browse", "GET / (upcoming festivals)", RATES.home, get("/")],
    [
      "browse",
      "GET /festivals/:slug (festival page)",
      RATES.festivalPage,
      get(`/festivals/${s.festival.slug}`),
    ],
    ["browse", "GET /api/v1/festivals (JSON)", RATES.festivalsJson, get("/api/v1/festivals")],
    ["browse", "GET /prisoners", RATES.prisoners, get("/prisoners")],
    [
      "browse",
      "GET /festivals/:slug (the demo festival)",
      RATES.demoPage,
      get("/festivals/demo-solidarity-festival-riga"),
    ],
    [
      "checkout",
      "POST orders, pay at the door",
      RATES.door,
      async () => {
        const r = await order({
          items: [{ ticketTypeId: typeOf(), quantity: 1 + (n % 3) }],
          email: email(),
          paymentMethod: "door",
        });
        return r.status === 201 || `${r.status} ${r.body.slice(0, 80)}`;
      },
    ],
    [
      "checkout",
      "POST orders, free",
      RATES.free,
      async () => {
        const r = await order({
          items: [{ ticketTypeId: s.types.free, quantity: 1 }],
          email: email(),
          paymentMethod: "free",
        });
        return r.status === 201 || `${r.status} ${r.body.slice(0, 80)}`;
      },
    ],
    [
      "checkout",
      "POST orders, card (→ Stripe session)",
      RATES.card,
      async () => {
        const r = await order({
          items: [{ ticketTypeId: typeOf(), quantity: 1 }],
          email: email(),
          paymentMethod: "stripe",
        });
        if (r.status !== 201) return `${r.status} ${r.body.slice(0, 80)}`;
        const { checkoutUrl } = json(r);
        if (!checkoutUrl) return "no checkoutUrl";
        // The buyer pays on Stripe's page; Stripe then calls the webhook (timed as its own kind).
        const session = fake.completeSession(decodeURIComponent(checkoutUrl.split("/pay/")[1]));
        const t0 = performance.now();
        const delivered = await fake.deliverWebhook(
          `${url}/webhooks/stripe`,
          fake.event("checkout.session.completed", session),
          WEBHOOK_SECRET,
        );
        webhookTimes.push({ ms: performance.now() - t0, status: delivered.status });
        return true;
      },
    ],
    [
      "checkout",
      "POST orders, tattoo slot",
      RATES.tattoo,
      async () => {
        const slot = s.slots[nextSlot++];
        if (!slot) return "ran out of slots";
        const r = await order({
          items: [{ kind: "tattoo_slot", tattooSlotId: slot, donationMinor: 2500 }],
          email: email(),
          paymentMethod: "door",
        });
        return r.status === 201 || `${r.status} ${r.body.slice(0, 80)}`;
      },
    ],
    [
      "door",
      "POST /api/v1/door/scans (8 devices)",
      RATES.scan,
      async () => {
        const i = nextScan++;
        // One scan in twenty shows a ticket already admitted (someone coming back).
        const again = i % 20 === 19 && scanned.length > 0;
        const ticket = again ? scanned[(i * 7919) % scanned.length] : s.scanTickets[i];
        if (!ticket) return "ran out of tickets";
        const r = await request(`${url}/api/v1/door/scans`, {
          method: "POST",
          headers: { ...buyer, Authorization: `Bearer ${s.devices[i % 8]}` },
          body: JSON.stringify({ token: ticket, nonce: `evening-${i}-${rowId()}` }),
        });
        if (r.status !== 200) return `${r.status} ${r.body.slice(0, 80)}`;
        const { result } = json(r);
        const expected = again ? "already_admitted" : "admitted";
        if (result !== expected) return `verdict ${result}, expected ${expected}`;
        if (!again) scanned.push(ticket);
        return true;
      },
    ],
    [
      "door",
      "POST /api/v1/door/payments (cash)",
      RATES.cash,
      async () => {
        const i = nextCash++;
        const ticket = s.cashTickets[i];
        if (!ticket) return "ran out of tickets";
        const r = await request(`${url}/api/v1/door/payments`, {
          method: "POST",
          headers: { ...buyer, Authorization: `Bearer ${s.devices[i % 8]}` },
          body: JSON.stringify({ token: ticket, nonce: `cash-${i}-${rowId()}`, amountMinor: 1500 }),
        });
        if (r.status !== 200) return `${r.status} ${r.body.slice(0, 80)}`;
        const { result } = json(r);
        return result === "admitted" || `verdict ${result}`;
      },
    ],
    [
      "organiser",
      "GET /admin/festivals/:id/orders",
      RATES.adminOrders,
      get(`/admin/festivals/${s.festival.id}/orders`, organiser),
    ],
    [
      "organiser",
      "GET /admin/festivals/:id/door (check-ins)",
      RATES.adminDoor,
      get(`/admin/festivals/${s.festival.id}/door`, organiser),
    ],
    [
      "organiser",
      "GET /api/v1/festivals/:id/stats",
      RATES.stats,
      get(`/api/v1/festivals/${s.festival.id}/stats`, { Authorization: `Bearer ${s.apiToken}` }),
    ],
    ["reports", "GET /transparency/:month", RATES.monthReport, get(`/transparency/${month}`)],
    [
      "reports",
      "GET /transparency/festivals/:slug",
      RATES.festivalReport,
      get(`/transparency/festivals/${s.festival.slug}`),
    ],
    [
      "reports",
      "GET /api/v1/reports/festivals/:id",
      RATES.reportJson,
      get(`/api/v1/reports/festivals/${s.festival.id}`),
    ],
    ["floor", "GET /healthz (sampled during the evening)", RATES.healthz, get("/healthz")],
  ];
}

/** Open loop: each kind sends at its own rate for `durationMs`, whatever the answers' pace. */
async function evening(list, durationMs) {
  const start = performance.now();
  const results = await Promise.all(
    list.map(async ([group, label, baseRate, fn]) => {
      const rate = baseRate * SCALE;
      const latencies = [];
      const errors = {};
      let inFlight = 0;
      const pending = [];
      const count = Math.floor((rate * durationMs) / 1000);
      // Spread the kinds' first requests over the first interval.
      const offset = Math.random() * (1000 / rate);
      for (let i = 0; i < count; i++) {
        const due = start + offset + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (inFlight >= MAX_IN_FLIGHT) {
          errors["not sent: too many waiting"] = (errors["not sent: too many waiting"] ?? 0) + 1;
          continue;
        }
        inFlight++;
        const t0 = performance.now();
        pending.push(
          fn()
            .catch((e) => `${e.code ?? e.message}`)
            .then((ok) => {
              inFlight--;
              latencies.push(performance.now() - t0);
              if (ok !== true) errors[ok] = (errors[ok] ?? 0) + 1;
            }),
        );
      }
      await Promise.all(pending);
      return { group, label, rate, latencies, errors };
    }),
  );
  const elapsed = performance.now() - start;
  return results.map((r) => ({ ...r, ...summary(r.latencies, elapsed) }));
}

// ---------------------------------------------------------------------------

export async function benchEvening() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "festival-evening-"));
  const file = path.join(dir, "evening.db");
  migrate(`file:${file}`);
  const { fake, bundle } = await startStripe();
  const entry = path.join(root, "build", "bench-evening-entry.mjs");
  fs.writeFileSync(
    entry,
    // Exit on SIGTERM, so that a --cpu-prof profile gets written.
    `import { startServer } from "./index.js";\nprocess.on("SIGTERM", () => process.exit(0));\nawait startServer({ port: 0, host: "127.0.0.1" });\n`,
  );
  const profile = PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(PROFILE_DIR)}`] : [];
  // The V8 flags of `npm start` (decision 0042), so memory is measured as it runs in production.
  const app = await measure.spawnListening([...startNodeFlags(), ...profile, entry], {
    ...startNodeEnv(),
    NODE_ENV: "production",
    DATABASE_URL: `file:${file}`,
    DATA_DIR: dir,
    SESSION_SECRET: "bench-secret-0123456789abcdef",
    PUBLIC_URL: "http://127.0.0.1",
    DATA_ENCRYPTION_KEY: `k1:${crypto.randomBytes(32).toString("base64")}`,
    RATE_LIMIT_PER_MINUTE: "0",
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    SEED_DEMO: "1",
    STRIPE_SECRET_KEY: fake.secretKey,
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    STRIPE_API_URL: fake.url,
  });
  const bare = await measure.startBareServer();
  const { url } = app;
  try {
    const setupStarted = performance.now();
    const s = await setUp(url, file);
    s.apiToken = json(
      await request(`${url}/api/v1/tokens`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(ADMIN),
      }),
    ).token;
    const month = new Date().toISOString().slice(0, 7);
    const webhookTimes = [];
    const list = kinds({ url, s, fake, month, webhookTimes });
    // Warm up every route once (the first render of each compiles its templates).
    for (const [, label, , fn] of list)
      if (!label.startsWith("POST")) {
        const ok = await fn();
        if (ok !== true) throw new Error(`warm-up: ${label} → ${ok}`);
      }
    const setupSeconds = (performance.now() - setupStarted) / 1000;
    const page = await request(`${url}/festivals/${s.festival.slug}`);

    // Floors, same run, before the evening (the machine is shared: judge by ratios).
    const db = createClient({ url: `file:${file}` });
    const rawLatencies = [];
    const rawStart = performance.now();
    for (let i = 0; i < 10_000; i++) {
      const t0 = performance.now();
      await db.execute({
        sql: "SELECT id, name FROM Festival WHERE id = ?",
        args: [s.festival.id],
      });
      rawLatencies.push(performance.now() - t0);
    }
    const raw = summary(rawLatencies, performance.now() - rawStart);
    const healthz = await closedLoop(() => request(`${url}/healthz`).then((r) => r.status === 200));
    const bareRequest = keepAliveClient();
    const bareNode = await closedLoop(() => bareRequest(bare.url).then((r) => r.status === 200));
    // Each kind alone, one request at a time: its service time on this machine now (what
    // the evening's figures are made of, before any queueing).
    const alone = new Map();
    for (const [, label, , fn] of list) {
      const latencies = [];
      const end = performance.now() + ALONE_MS;
      while (latencies.length < 3 || (performance.now() < end && latencies.length < ALONE_MAX)) {
        const t0 = performance.now();
        const ok = await fn();
        if (ok !== true) throw new Error(`alone: ${label} → ${ok}`);
        latencies.push(performance.now() - t0);
      }
      alone.set(label, summary(latencies, 1).p50);
    }
    const webhookAlone = summary(
      webhookTimes.map((w) => w.ms),
      1,
    ).p50;
    webhookTimes.length = 0;
    const before = processMemory(app.child.pid);

    // The evening.
    const rssSamples = [];
    const sampler = setInterval(() => rssSamples.push(processMemory(app.child.pid).rss), 1000);
    // This process's own event-loop delay: a slow client would inflate every figure.
    const clientDelay = monitorEventLoopDelay({ resolution: 10 });
    clientDelay.enable();
    const results = await evening(list, EVENING_MS);
    clientDelay.disable();
    clearInterval(sampler);
    const after = processMemory(app.child.pid);
    const outbox = (
      await db.execute(
        "SELECT status, COUNT(*) AS n FROM OutboxEmail GROUP BY status ORDER BY status",
      )
    ).rows.map((r) => `${r.status} ${r.n}`);
    db.close();

    const total = results.reduce((sum, r) => sum + r.n, 0);
    const errors = results.reduce(
      (sum, r) => sum + Object.values(r.errors).reduce((a, b) => a + b, 0),
      0,
    );
    const webhooks = summary(
      webhookTimes.map((w) => w.ms),
      EVENING_MS,
    );
    const webhookErrors = webhookTimes.filter((w) => w.status !== 200).length;
    const inLoadHealthz = results.find((r) => r.group === "floor");

    console.log(
      `\nFestival evening (${(EVENING_MS / 1000).toFixed(0)} s, all kinds at once at fixed rates ×${SCALE}, production build, own process and database; setup ${setupSeconds.toFixed(0)} s: ${s.scanTickets.length + s.cashTickets.length} tickets sold before, their ${s.earlyEmails} emails marked sent)`,
    );
    console.log(`floor  raw SQLite PK lookup (libSQL, in-process)         ${fmt(raw)}`);
    console.log(
      `floor  bare Node http server (own process, ${FLOOR_CONCURRENCY} conc.)     ${fmt(bareNode)}${bareNode.errors ? `  ERRORS ${bareNode.errors}` : ""}`,
    );
    console.log(
      `floor  GET /healthz, app alone (${FLOOR_CONCURRENCY} concurrent)           ${fmt(healthz)}${healthz.errors ? `  ERRORS ${healthz.errors}` : ""}   (${(bareNode.perSecond / healthz.perSecond).toFixed(1)}x the bare server's cost)`,
    );
    let group = "";
    for (const r of results) {
      if (r.group !== group) {
        group = r.group;
        console.log(`  ${group}`);
      }
      const errs = Object.entries(r.errors);
      console.log(
        `       ${r.label.padEnd(46)}${fmt(r)}  alone p50 ${ms(alone.get(r.label))} ms  errors ${errs.length ? JSON.stringify(r.errors) : 0}`,
      );
      if (r.label.includes("card"))
        console.log(
          `       ${"POST /webhooks/stripe (card fulfilment)".padEnd(46)}${fmt(webhooks)}  alone p50 ${ms(webhookAlone)} ms  errors ${webhookErrors}`,
        );
    }
    const rate = (total + webhookTimes.length) / (EVENING_MS / 1000);
    console.log(
      `       all kinds: ${total + webhookTimes.length} requests, ${rate.toFixed(1)}/s (${((rate / healthz.perSecond) * 100).toFixed(0)}% of the app's /healthz rate alone); errors ${errors + webhookErrors} → ${errors + webhookErrors === 0 ? "zero errors" : "FAIL: ERRORS"}`,
    );
    console.log(
      `       /healthz during the evening p95 ${inLoadHealthz.p95.toFixed(1)} ms vs alone ${healthz.p95.toFixed(1)} ms; outbox after: ${outbox.join(", ")}`,
    );
    console.log(
      `       the festival page is ${(Buffer.byteLength(page.body) / 1024).toFixed(0)} KiB of HTML (it lists the ${s.slots.length} tattoo slots); this process's event-loop delay during the evening p99 ${(clientDelay.percentile(99) / 1e6).toFixed(0)} ms, max ${(clientDelay.max / 1e6).toFixed(0)} ms`,
    );
    console.log(
      `memory app RSS before ${before.rss.toFixed(0)} MiB, peak sampled ${Math.max(...rssSamples).toFixed(0)} MiB, after ${after.rss.toFixed(0)} MiB; high-water mark (VmHWM, whole life of the process) ${after.hwm.toFixed(0)} MiB${after.hwm < 256 ? " (< 256 MiB)" : " (OVER the 256 MiB budget)"}`,
    );
    if (errors + webhookErrors > 0) process.exitCode = 1;
  } finally {
    await measure.stopProcess(bare.child);
    await measure.stopProcess(app.child); // SIGTERM: a --cpu-prof profile is written on the way out
    await fake.close();
    fs.rmSync(entry, { force: true });
    fs.rmSync(bundle, { force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
