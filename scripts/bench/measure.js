// Helpers shared by the bench sections (scripts/bench.js, scripts/bench/*.js):
// latency summaries, a keep-alive HTTP client, the app's row formats, a valid
// festival to create, a process's memory from /proc, and the processes a section
// starts (the app, a bare Node server as the floor) and stops.
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import { root } from "../lib.js";

/** The `p`th percentile of ascending `sorted` (NaN when empty). */
export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Count, rate per second over `elapsedMs`, and p50/p95/p99 of `latencies` (ms). */
export function summary(latencies, elapsedMs) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    n: sorted.length,
    perSecond: (sorted.length / elapsedMs) * 1000,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
  };
}

/**
 * A keep-alive HTTP client (lighter than fetch, so the client steals less CPU from the
 * server): `request(url, { method, headers, body })` → `{ status, headers, body }`.
 */
export function keepAliveClient(maxSockets = 256) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  return function request(url, { method = "GET", headers = {}, body } = {}) {
    return new Promise((resolve, reject) => {
      const req = http.request(
        url,
        {
          method,
          agent,
          headers: body ? { ...headers, "Content-Length": Buffer.byteLength(body) } : headers,
        },
        (res) => {
          const chunks = [];
          res.on("data", (c) => chunks.push(c));
          res.on("end", () =>
            resolve({
              status: res.statusCode,
              headers: res.headers,
              body: Buffer.concat(chunks).toString(),
            }),
          );
        },
      );
      req.on("error", reject);
      if (body) req.write(body);
      req.end();
    });
  };
}

/** A time column as the app writes it (`sqlDate()`: milliseconds and "+00:00"). */
export const sqlDate = (d) => d.toISOString().replace("Z", "+00:00");
/** An id like the app's (`randomToken`: no ':' or '='). */
export const rowId = () => crypto.randomBytes(12).toString("base64url");

/** A valid body for POST /api/v1/festivals; `overrides` adds or replaces fields. */
export function festivalBody(name, overrides = {}) {
  return {
    name,
    city: "Riga",
    country: "LV",
    venueName: "Hall",
    venueAddress: "Street 1",
    timezone: "Europe/Riga",
    currency: "EUR",
    startsAt: "2030-01-26T15:00",
    endsAt: "2030-01-26T23:00",
    languages: ["en"],
    ...overrides,
  };
}

/** A process's memory from /proc/<pid>/status: resident now (VmRSS) and its high-water mark (VmHWM), in MiB. */
export function processMemory(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rss: kib("VmRSS") / 1024, hwm: kib("VmHWM") / 1024 };
}

/**
 * `node ...args` in a process of its own (cwd: the project, `env` over this process's),
 * resolved once it prints "running at <url>" as the app's server does: `{ child, url }`.
 */
export function spawnListening(args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
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
    child.on("exit", (code) => reject(new Error(`process exited ${code}: ${out}`)));
  });
}

const BARE_SERVER = `
const http = require("node:http");
const body = JSON.stringify({ ok: true });
const server = http.createServer((req, res) => {
  res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 5000;
server.listen(0, "127.0.0.1", () => console.log("running at http://127.0.0.1:" + server.address().port + "/"));
`;

/**
 * A floor: Node's own `http` server answering a constant, in a process of its own. Its
 * latency in a window is the machine's noise then (nothing of the app's work slows it but the CPU).
 */
export const startBareServer = () => spawnListening(["-e", BARE_SERVER]);

/** SIGTERM `child` and wait for it to exit (at once if it already has). */
export function stopProcess(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.removeAllListeners("exit");
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}
