// Bench section "pages" (issue 13, decision 0045): the public pages read when a festival
// is announced. The festival page (a festival with 10 artists × 120 tattoo slots, 1,200
// in all) and the festival list at 50 concurrent readers without a session, beside
// /healthz and a bare Node server in the same run; then the same while checkouts of that
// festival are posted at a steady rate (each one changes the page: tickets left). Target:
// each page ≥ 50% of the same window's /healthz req/s, p95 ≤ 2× /healthz's p95. Also the
// JavaScript each public page loads (its modulepreload and script assets), gzipped:
// target < 100 KB. Called by scripts/bench.js (`BENCH_ONLY=pages npm run bench`).
import { createClient } from "@libsql/client";
import fs from "node:fs";
import { performance } from "node:perf_hooks";
import zlib from "node:zlib";
import {
  festivalBody,
  keepAliveClient,
  rowId,
  sqlDate,
  startBareServer,
  stopProcess,
  summary,
} from "./measure.js";

const READERS = 50;
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3000);
/** Checkouts per second posted while the pages are read (open loop). */
const CHECKOUT_RATE = Number(process.env.BENCH_PAGES_CHECKOUT_RATE ?? 20);
const ARTISTS = 10;
const SLOTS_PER_ARTIST = 120;

const request = keepAliveClient(128);
const json = (res) => JSON.parse(res.body);

/** CPU time (user + system, ms) the process `pid` has used so far, from /proc (NaN elsewhere). */
function cpuMs(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) * (1000 / CLOCK_TICKS);
  } catch {
    return NaN;
  }
}
const CLOCK_TICKS = 100;

/**
 * `READERS` loops GETting `url` for `durationMs`: req/s, latency percentiles and,
 * with `pid`, the app process's CPU time per request (a figure the other tenants of
 * a shared machine do not move as much as they move req/s).
 */
async function readers(url, durationMs = DURATION_MS, pid = null) {
  const cpu0 = pid ? cpuMs(pid) : NaN;
  const latencies = [];
  let failures = 0;
  const end = performance.now() + durationMs;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: READERS }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const res = await request(url).catch(() => null);
        latencies.push(performance.now() - t0);
        if (res?.status !== 200) failures++;
      }
    }),
  );
  const cpu = pid ? (cpuMs(pid) - cpu0) / latencies.length : NaN;
  return { ...summary(latencies, performance.now() - start), failures, cpu };
}

/** Post checkouts at `rate` per second until `stop()`; counts what came back. */
function checkoutsAt(rate, post) {
  let running = true;
  let sent = 0;
  let ok = 0;
  const inflight = new Set();
  const loop = (async () => {
    const started = performance.now();
    while (running) {
      const due = Math.floor(((performance.now() - started) / 1000) * rate);
      while (sent < due) {
        const p = post(sent++)
          .then((r) => {
            if (r.status === 201) ok++;
          })
          .catch(() => {})
          .finally(() => inflight.delete(p));
        inflight.add(p);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return async () => {
    running = false;
    await loop;
    await Promise.all(inflight);
    return { sent, ok };
  };
}

function fmt(r) {
  const cpu = Number.isFinite(r.cpu) ? `  app CPU ${r.cpu.toFixed(2).padStart(5)} ms/req` : "";
  return `${r.perSecond.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(2).padStart(7)} ms  p95 ${r.p95.toFixed(2).padStart(7)} ms${cpu}${r.failures ? `  FAILURES ${r.failures}` : ""}`;
}

const verdict = (page, health) => {
  const share = page.perSecond / health.perSecond;
  const p95 = page.p95 / health.p95;
  const ok = share >= 0.5 && p95 <= 2;
  return `(${(share * 100).toFixed(0)}% of /healthz req/s, target ≥ 50%; p95 ${p95.toFixed(2)}× /healthz's, target ≤ 2×) ${ok ? "OK" : "MISSED"}`;
};

/** A published festival with ticket types, 10 artists with a flash design each and 1,200 slots. */
async function festivalWithSlots(url, token, file) {
  const auth = { "Content-Type": "application/json", Authorization: `Bearer ${token}` };
  const post = (path, body) =>
    request(url + path, { method: "POST", headers: auth, body: JSON.stringify(body) });
  const festival = json(
    await post(
      "/api/v1/festivals",
      festivalBody("Pages bench festival", {
        paymentMethods: ["door"],
        languages: ["en", "ru"],
        description: { en: "Talks, music and donation tattoos.", ru: "Лекции, музыка и тату." },
        startsAt: "2030-01-26T10:00",
        endsAt: "2030-01-31T23:00",
      }),
    ),
  );
  const types = [];
  for (const name of ["Day ticket", "Solidarity ticket", "Supporter ticket"])
    types.push(
      json(
        await post(`/api/v1/festivals/${festival.id}/ticket-types`, {
          name,
          priceMinor: 1500,
          capacity: 1_000_000,
        }),
      ).id,
    );
  const db = createClient({ url: `file:${file}` });
  await db.execute("PRAGMA busy_timeout = 5000");
  const now = sqlDate(new Date());
  const statements = [];
  const artists = [];
  for (let a = 0; a < ARTISTS; a++) {
    const id = rowId();
    artists.push(id);
    statements.push(
      {
        sql: `INSERT INTO TattooArtist (id, festivalId, name, bio, position, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?)`,
        args: [
          id,
          festival.id,
          `Pages artist ${a + 1}`,
          JSON.stringify({ en: "Fine lines and lettering.", ru: "Тонкие линии и шрифты." }),
          a,
          now,
          now,
        ],
      },
      {
        sql: `INSERT INTO FlashDesign (id, festivalId, artistId, title, minDonationMinor, maxUses, createdAt) VALUES (?, ?, ?, 'Swallow', 3000, 50, ?)`,
        args: [rowId(), festival.id, id, now],
      },
    );
  }
  // 24 slots a day over 5 days for each artist (back to back, 45 minutes each hour).
  const from = Date.parse("2030-01-26T00:00:00Z");
  for (const artist of artists)
    for (let k = 0; k < SLOTS_PER_ARTIST; k++) {
      const startsAt = new Date(from + k * 3_600_000);
      statements.push({
        sql: `INSERT INTO TattooSlot (id, festivalId, artistId, startsAt, endsAt, minDonationMinor, minNoticeMinutes, createdAt) VALUES (?, ?, ?, ?, ?, 2000, 0, ?)`,
        args: [
          rowId(),
          festival.id,
          artist,
          sqlDate(startsAt),
          sqlDate(new Date(startsAt.getTime() + 45 * 60_000)),
          now,
        ],
      });
    }
  await db.batch(statements, "write");
  db.close();
  await post(`/api/v1/festivals/${festival.id}/publish`, {});
  return { festival, types };
}

/** The JavaScript a page loads: its modulepreload links, script sources and inline imports, gzipped. */
async function pageScripts(url, path) {
  const html = (await request(url + path)).body;
  const assets = new Set();
  for (const m of html.matchAll(/<link[^>]+rel="modulepreload"[^>]*href="([^"]+)"/g))
    assets.add(m[1]);
  for (const m of html.matchAll(/<script[^>]+src="([^"]+)"/g)) assets.add(m[1]);
  for (const m of html.matchAll(/import\s*(?:[^"']*from\s*)?["'](\/build\/[^"']+)["']/g))
    assets.add(m[1]);
  let raw = 0;
  let gzipped = 0;
  for (const asset of assets) {
    const body = await fetch(new URL(asset, url)).then((r) => r.arrayBuffer());
    raw += body.byteLength;
    gzipped += zlib.gzipSync(Buffer.from(body)).length;
  }
  return { files: assets.size, raw, gzipped };
}

export async function benchPages({ url, token, file, pid }) {
  const { festival, types } = await festivalWithSlots(url, token, file);
  const festivalUrl = `${url}/festivals/${festival.slug}`;
  const firstHtml = (await request(festivalUrl)).body;
  const bare = await startBareServer();
  const post = (i) =>
    request(`${url}/api/v1/festivals/${festival.id}/orders`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        items: [{ ticketTypeId: types[i % types.length], quantity: 1 }],
        email: `pages-${i}@example.test`,
        paymentMethod: "door",
      }),
    });
  try {
    // Warm up (the JIT, the page cache, the connections).
    await readers(festivalUrl, 500);
    await readers(`${url}/`, 500);
    console.log(
      `\nPublic pages at ${READERS} concurrent readers without a session (${ARTISTS * SLOTS_PER_ARTIST} tattoo slots on the festival; its page is ${(Buffer.byteLength(firstHtml) / 1024).toFixed(0)} KiB of HTML)`,
    );
    const windows = [
      ["quiet", null],
      [`while ${CHECKOUT_RATE} checkouts/s of that festival are posted`, CHECKOUT_RATE],
    ];
    for (const [label, rate] of windows) {
      console.log(`  ${label}:`);
      const stop = rate ? checkoutsAt(rate, post) : null;
      const floor = await readers(bare.url);
      const health = await readers(`${url}/healthz`, DURATION_MS, pid);
      const list = await readers(`${url}/`, DURATION_MS, pid);
      const page = await readers(festivalUrl, DURATION_MS, pid);
      const health2 = await readers(`${url}/healthz`, DURATION_MS, pid);
      const checkouts = stop ? await stop() : null;
      // The floor of the window: /healthz measured before and after the pages, averaged.
      const h = {
        perSecond: (health.perSecond + health2.perSecond) / 2,
        p95: (health.p95 + health2.p95) / 2,
      };
      console.log(`floor    bare Node http server                       ${fmt(floor)}`);
      console.log(`floor    GET /healthz (before, after)                ${fmt(health)}`);
      console.log(`                                                     ${fmt(health2)}`);
      console.log(
        `         GET / (festival list)                       ${fmt(list)}   ${verdict(list, h)}`,
      );
      console.log(
        `         GET /festivals/:slug (festival page)        ${fmt(page)}   ${verdict(page, h)}`,
      );
      if (checkouts)
        console.log(
          `         checkouts posted meanwhile: ${checkouts.sent} (${checkouts.ok} placed)`,
        );
    }
  } finally {
    await stopProcess(bare.child);
  }

  console.log(
    `\nJavaScript per public page (modulepreload + script assets; gzip level 6), target < 100 KB gzipped`,
  );
  const month = new Date().toISOString().slice(0, 7);
  const prisoners = json(await request(`${url}/api/v1/prisoners`));
  const pages = [
    ["/", "/"],
    ["/festivals/:slug", `/festivals/${festival.slug}`],
    ["/prisoners", "/prisoners"],
    ...(prisoners[0] ? [["/prisoners/:slug", `/prisoners/${prisoners[0].slug}`]] : []),
    ["/transparency", "/transparency"],
    ["/transparency/:month", `/transparency/${month}`],
    ["/transparency/festivals/:slug", `/transparency/festivals/${festival.slug}`],
    ["/login", "/login"],
  ];
  for (const [label, path] of pages) {
    const js = await pageScripts(url, path);
    console.log(
      `         ${label.padEnd(32)} ${String(js.files).padStart(3)} files  ${(js.raw / 1000).toFixed(1).padStart(7)} KB raw  ${(js.gzipped / 1000).toFixed(1).padStart(6)} KB gzipped  ${js.gzipped < 100_000 ? "OK" : "OVER"}`,
    );
  }
}
