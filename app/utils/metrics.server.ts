// Prometheus metrics (prom-client), served by GET /metrics to a scraper that
// presents METRICS_TOKEN as a Bearer token (app/routes/metrics.ts). Decision 0043.
//
// Two kinds: what this process saw (HTTP requests by route pattern, Stripe
// webhook lag, the process's own memory and event loop), and what the database
// holds, read at each scrape so every process answers the same (outbox depth and
// the age of its oldest pending email, door scans in the last minute, active
// holds). Labels are route patterns and fixed words, never a raw URL, id or
// address, so the number of series stays bounded.
import { matchRoutes, type AgnosticRouteObject } from "@remix-run/router";
import crypto from "node:crypto";
import client from "prom-client";
import { dateFromSql, sqlClient, sqlDate } from "./db.server";
import { getEnv } from "./env.server";
import { errorResponse } from "./http.server";

const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry });

const httpDuration = new client.Histogram({
  name: "http_request_duration_seconds",
  help: "HTTP requests by method, route pattern and status: latency until the response ended (its _count is the number of requests).",
  labelNames: ["method", "route", "status"] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

const webhookLag = new client.Histogram({
  name: "stripe_webhook_lag_seconds",
  help: "Time from a Stripe event's creation to its processing here (events applied, not duplicates).",
  buckets: [1, 5, 15, 60, 300, 900, 3600, 6 * 3600, 24 * 3600, 3 * 24 * 3600],
  registers: [registry],
});

/** At most this many recent door scans are counted (a bounded read however large the table). */
const SCAN_WINDOW_ROWS = 100_000;

new client.Gauge({
  name: "outbox_emails_pending",
  help: "Emails waiting in the outbox (not yet sent, not given up).",
  registers: [registry],
  async collect() {
    this.set(await outboxFigures().then((f) => f.pending));
  },
});

new client.Gauge({
  name: "outbox_oldest_pending_age_seconds",
  help: "Age of the oldest email still pending in the outbox (0 when none).",
  registers: [registry],
  async collect() {
    this.set(await outboxFigures().then((f) => f.oldestAgeSeconds));
  },
});

new client.Gauge({
  name: "outbox_emails_failed",
  help: "Emails the outbox gave up on after its retries.",
  registers: [registry],
  async collect() {
    this.set(await outboxFigures().then((f) => f.failed));
  },
});

new client.Gauge({
  name: "door_scans_last_minute",
  help: "Door scans recorded in the last 60 seconds, by verdict.",
  labelNames: ["result"] as const,
  registers: [registry],
  async collect() {
    this.reset();
    const since = sqlDate(new Date(Date.now() - 60_000));
    const rows = await sqlClient().execute({
      sql: `SELECT result, count(*) AS n FROM CheckIn
            WHERE id > (SELECT coalesce(max(id), 0) - ? FROM CheckIn) AND recordedAt >= ?
            GROUP BY result`,
      args: [SCAN_WINDOW_ROWS, since],
    });
    for (const row of rows.rows) this.set({ result: String(row.result) }, Number(row.n));
  },
});

new client.Gauge({
  name: "holds_active",
  help: "Pending orders holding places (tickets, tattoo slots) until their hold expires.",
  registers: [registry],
  async collect() {
    const rows = await sqlClient().execute({
      sql: `SELECT count(*) AS n FROM "Order" WHERE status = 'pending' AND holdExpiresAt > ?`,
      args: [sqlDate(new Date())],
    });
    this.set(Number(rows.rows[0]?.n ?? 0));
  },
});

type OutboxFigures = { pending: number; failed: number; oldestAgeSeconds: number };
let outboxRead: Promise<OutboxFigures> | undefined;

/** One read of the outbox per scrape, shared by its three gauges (collected together). */
function outboxFigures(): Promise<OutboxFigures> {
  if (outboxRead) return outboxRead;
  const now = Date.now();
  outboxRead = sqlClient()
    .execute(
      `SELECT
         (SELECT count(*) FROM OutboxEmail WHERE status = 'pending') AS pending,
         (SELECT min(createdAt) FROM OutboxEmail WHERE status = 'pending') AS oldest,
         (SELECT count(*) FROM OutboxEmail WHERE status = 'failed') AS failed`,
    )
    .then(({ rows }) => {
      const row = rows[0]!;
      const oldest = row.oldest == null ? undefined : dateFromSql(row.oldest).getTime();
      return {
        pending: Number(row.pending),
        failed: Number(row.failed),
        oldestAgeSeconds: oldest === undefined ? 0 : Math.max(0, (now - oldest) / 1000),
      };
    })
    .finally(() => (outboxRead = undefined));
  return outboxRead;
}

/** A Stripe event (its `created`, seconds since the epoch) was applied now. */
export function observeWebhookLag(createdSeconds: number, now = Date.now()) {
  webhookLag.observe(Math.max(0, now / 1000 - createdSeconds));
}

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** Record one finished request; `route` is a pattern from routeLabeler, never a raw path. */
export function observeRequest(method: string, route: string, status: number, seconds: number) {
  httpDuration.observe(
    { method: METHODS.has(method) ? method : "OTHER", route, status: String(status) },
    seconds,
  );
}

type ManifestRoute = {
  id: string;
  parentId?: string;
  path?: string;
  index?: boolean;
  caseSensitive?: boolean;
};
type LabelledRoute = AgnosticRouteObject & { id: string };

/**
 * The route pattern a path is answered by (e.g. "/orders/:token"), from the
 * app's route manifest, the way Remix matches it. Single-fetch data requests
 * ("/x.data", "/_root.data") keep a ".data" suffix; static files are "/build/*"
 * or "static". Results are cached per path, in a bounded map.
 */
export function routeLabeler(manifest: Record<string, ManifestRoute | undefined>) {
  const all = Object.values(manifest).filter((r): r is ManifestRoute => r !== undefined);
  const tree = (parentId: string | undefined): LabelledRoute[] =>
    all
      .filter((r) => r.parentId === parentId)
      .map((r) =>
        r.index
          ? { id: r.id, index: true, path: r.path, caseSensitive: r.caseSensitive }
          : { id: r.id, path: r.path, caseSensitive: r.caseSensitive, children: tree(r.id) },
      );
  const routes = tree(undefined);
  const cache = new Map<string, string>();

  const pattern = (pathname: string) => {
    // A path whose %-escapes do not decode is answered 400 before any route
    // (server/index.ts); the router would warn about it on the console.
    try {
      decodeURIComponent(pathname);
    } catch {
      return "malformed";
    }
    const matches = matchRoutes(routes, pathname);
    if (!matches) return "unmatched";
    const parts = matches.map((m) => m.route.path).filter((p): p is string => Boolean(p));
    return `/${parts.join("/")}`.replace(/\/{2,}/g, "/");
  };

  return (pathname: string): string => {
    const hit = cache.get(pathname);
    if (hit) return hit;
    let label: string;
    if (pathname.startsWith("/build/")) label = "/build/*";
    else if (pathname === "/_root.data") label = "/.data";
    else if (pathname.endsWith(".data")) label = `${pattern(pathname.slice(0, -5))}.data`;
    else label = pattern(pathname);
    if (cache.size >= 2_000) cache.clear();
    cache.set(pathname, label);
    return label;
  };
}

/** GET /metrics: 404 unless METRICS_TOKEN is set; 401 without that Bearer token. */
export async function metricsResponse(request: Request): Promise<Response> {
  const token = getEnv().METRICS_TOKEN;
  if (!token) return errorResponse(404, "not_found", "Not found.");
  const presented = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization")?.trim() ?? "");
  if (!presented || !sameSecret(presented[1]!, token))
    return errorResponse(401, "unauthorized", "A valid metrics token is required.", {
      headers: { "WWW-Authenticate": 'Bearer realm="metrics"' },
    });
  return new Response(await registry.metrics(), {
    headers: { "Content-Type": registry.contentType, "Cache-Control": "no-store" },
  });
}

function sameSecret(a: string, b: string) {
  const ha = crypto.createHash("sha256").update(a).digest();
  const hb = crypto.createHash("sha256").update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}
