// `npm run bench`: start the production build in its own process on a fresh
// database and measure routes under concurrency. Every figure is printed next to
// a same-run floor (a raw SQLite query, and /healthz, the cheapest route), because
// these machines are noisy: judge by the ratio.
import { createClient } from "@libsql/client";
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { build, buildIsStale, migrate, root } from "./lib.js";

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 20);

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summary(latencies, elapsedMs) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    n: sorted.length,
    perSecond: (sorted.length / elapsedMs) * 1000,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
  };
}

// A keep-alive HTTP client (lighter than fetch, so the client steals less CPU from the server).
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
function request(url, { method = "GET", headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: body ? { ...headers, "Content-Length": Buffer.byteLength(body) } : headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    if (body) req.write(body);
    req.end();
  });
}

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

function startApp(env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, "build", "bench-entry.mjs")], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = /running at (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1].replace("localhost", "127.0.0.1") });
    });
    child.on("exit", (code) => reject(new Error(`app exited ${code}: ${out}`)));
  });
}

function fmt(r) {
  return `${r.perSecond.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(2).padStart(7)} ms  p95 ${r.p95.toFixed(2).padStart(7)} ms  p99 ${r.p99.toFixed(2).padStart(7)} ms${r.failures ? `  FAILURES ${r.failures}` : ""}`;
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

    console.log(`Benchmarks — ${os.cpus().length} cores, Node ${process.version}, concurrency ${CONCURRENCY}, ${DURATION_MS} ms per route\n`);
    const raw = await rawSqliteFloor(file);
    console.log(`floor  raw SQLite PK lookup (libSQL, in-process)   ${fmt({ ...raw, failures: 0 })}`);
    const health = await load(get("/healthz"));
    console.log(`floor  GET /healthz                                ${fmt(health)}`);
    const rows = [
      ["GET /api/v1/festivals (public JSON)", get("/api/v1/festivals")],
      ["GET / (public list, SSR)", get("/")],
      ["GET /festivals/:slug (festival page, SSR)", get("/festivals/demo-solidarity-festival-riga")],
      [
        "POST /api/v1/festivals (create, audited)",
        () =>
          request(`${url}/api/v1/festivals`, {
            method: "POST",
            headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
            body: JSON.stringify({
              name: "Bench festival",
              city: "Riga",
              country: "LV",
              venueName: "Hall",
              venueAddress: "Street 1",
              timezone: "Europe/Riga",
              currency: "EUR",
              startsAt: "2030-01-26T15:00",
              endsAt: "2030-01-26T23:00",
              languages: ["en"],
            }),
          }).then((r) => r.status === 201),
      ],
    ];
    for (const [label, fn] of rows) {
      const r = await load(fn);
      console.log(`       ${label.padEnd(45)}${fmt(r)}   (${(health.perSecond / r.perSecond).toFixed(1)}x /healthz cost)`);
    }
    const rss = fs.readFileSync(`/proc/${child.pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)?.[1];
    if (rss) console.log(`\napp process RSS after the run: ${(Number(rss) / 1024).toFixed(0)} MiB`);
  } finally {
    child.kill("SIGTERM");
    fs.rmSync(path.join(root, "build", "bench-entry.mjs"), { force: true });
  }
}

await main();
