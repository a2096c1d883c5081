// The HTTP server: Express in front of the Remix request handler. This file is
// bundled into build/index.js by the Remix compiler (remix.config.js `server`),
// so it shares one module graph with the app. Security middleware lives here:
// CSP with per-request nonces, cross-site request refusal, API write limits.
import { createRequestHandler } from "@remix-run/express";
import { createRequestHandler as createFetchHandler } from "@remix-run/node";
import * as build from "@remix-run/dev/server-build";
import compression from "compression";
import crypto from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import helmet from "helmet";
import { dataEncryptionKeys, getEnv, publicUrl, setListeningOrigin } from "~/utils/env.server";
import { disconnectDatabase, prepareDatabase } from "~/utils/db.server";
import { startEmailWorker, stopEmailWorker } from "~/utils/email.server";
import { closeEmailRenderer } from "~/utils/email-render.server";
import { startHoldExpiryWorker, stopHoldExpiryWorker } from "~/models/payment.server";
import { startPrivacyWorker, stopPrivacyWorker } from "~/models/privacy.server";
import {
  startTattooWaitlistWorker,
  stopTattooWaitlistWorker,
} from "~/models/tattoo-waitlist.server";
import { sha256 } from "~/utils/crypto.server";
import { tooManyRequests, withDomainErrors } from "~/utils/http.server";
import { storageFaultOf } from "~/utils/storage-faults.server";
import { carriesCredentials, decideCacheControl } from "~/utils/cache-policy.server";
import { pageCache, pageTarget, type RenderedPage } from "~/utils/page-cache.server";
import { festivalListVersion, festivalPageVersion } from "~/models/public-page-versions.server";
import { getLocale } from "~/utils/i18n.server";
import { isLocale } from "~/utils/i18n";
import { browserCatalog } from "~/i18n/catalogs.server";
import { EMAIL_PREVIEW_PATHS, PREVIEW_POLICY } from "~/utils/email-preview.server";
import { randomToken } from "~/utils/crypto.server";
import { rateLimits, RateLimitedError } from "~/utils/rate-limit.server";
import { runStartupTasks } from "~/utils/startup.server";
import { DRAIN_BYTES } from "~/utils/images.server";
import { armedFaultPoints } from "~/utils/fault-points.server";
import { logger, requestIdFrom, runWithRequestId } from "~/utils/logger.server";
import { truncateIp } from "~/utils/log-safety";
import { observeRequest, routeLabeler } from "~/utils/metrics.server";

// For `npm run ledger:check` (scripts/ledger-check.js): the app's own check, not a copy of its SQL.
export { checkLedger } from "~/models/ledger.server";
// For `npm run keys:rotate` (scripts/keys-rotate.js): the app's own list of sealed values.
export { rotateSealedValues } from "~/utils/sealed-values.server";

export type LoadContext = { cspNonce: string; clientAddress: string; responseToken: string };

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** Hard cap on declared request bodies; routes apply their own, smaller limits. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
/**
 * Where pictures are uploaded (tattoo artists' portfolio and flash): those
 * routes keep at most the upload's cap and answer a larger body with a 413
 * after reading (and dropping) it, up to DRAIN_BYTES (app/utils/images.server.ts),
 * so that a browser sees the answer rather than a reset connection. Declared
 * bodies above that are refused here at once.
 */
const UPLOAD_PATHS = [
  /^\/api\/v1\/artists\/[A-Za-z0-9_-]{1,64}\/(?:images|flash)$/,
  /^\/admin\/festivals\/[A-Za-z0-9_-]{1,64}\/tattoo\/[A-Za-z0-9_-]{1,64}$/,
  // Festival posters (issue 13): the API and the admin page's form (also as a single-fetch .data post).
  /^\/api\/v1\/festivals\/[A-Za-z0-9_-]{1,64}\/poster$/,
  /^\/admin\/festivals\/[A-Za-z0-9_-]{1,64}\/poster(?:\.data)?$/,
  // Festival costs with their receipts (the page's form, also as a single-fetch .data post).
  /^\/api\/v1\/festivals\/[A-Za-z0-9_-]{1,64}\/costs$/,
  /^\/admin\/festivals\/[A-Za-z0-9_-]{1,64}\/costs(?:\.data)?$/,
];
/**
 * Server-to-server endpoints that carry their own signature check, exempt from
 * the cross-site refusal. Matched against the request's path exactly as sent:
 * any other spelling of a path (dot segments, "//", %-escapes, another case, a
 * trailing slash) is not exempt, so nothing but the webhook itself can be
 * reached through the exemption ("/webhooks/../admin/users" is /admin/users to
 * the router).
 */
const CROSS_SITE_ALLOWED = new Set(["/webhooks/stripe"]);

/** The request's path as sent, without the query. */
function rawPath(req: express.Request) {
  const url = req.originalUrl;
  const end = url.search(/[?#]/);
  return end < 0 ? url : url.slice(0, end);
}

/**
 * A path whose %-escapes do not decode (e.g. "/api/%zz") is bad client input:
 * a JSON 400 before anything else runs, never a stack trace in the log.
 */
function refuseMalformedUrl(
  req: express.Request,
  res: express.Response,
  next: express.NextFunction,
) {
  try {
    decodeURIComponent(rawPath(req));
  } catch {
    res.status(400).json({
      error: "invalid_url",
      message: "The address is malformed: a % must be followed by two hexadecimal digits.",
    });
    return;
  }
  next();
}

/** A host name (or IPv4 address) or a bracketed IPv6 address, with an optional port. */
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]{2,45}\])(?::(\d{1,5}))?$/;

function isHost(value: string) {
  const m = HOST.exec(value);
  return Boolean(m) && (m![1] === undefined || Number(m![1]) <= 65535);
}

/**
 * A `Host` or `X-Forwarded-Host` (a list, from proxies) that is not a host and
 * port is a client's mistake: a JSON 400 before the Remix adapter builds the
 * request's URL from it (it would throw, a 500). Links never come from these
 * headers (`PUBLIC_URL`); this only keeps hostile values from reaching the app.
 */
function refuseMalformedHost(
  req: express.Request,
  res: express.Response,
  next: express.NextFunction,
) {
  const host = req.get("host");
  const forwarded = req.get("x-forwarded-host");
  const valid =
    (host === undefined || isHost(host)) &&
    (forwarded === undefined || forwarded.split(",").every((h) => isHost(h.trim())));
  if (!valid) {
    res.status(400).json({
      error: "invalid_host",
      message: "The Host (or X-Forwarded-Host) header is not a host name and port.",
    });
    return;
  }
  next();
}

/**
 * Powerful browser features, all off; the door scanner's page may use the
 * camera of its own origin. Only features browsers know are named (an unknown
 * one is a console error).
 */
const POWERFUL_FEATURES = [
  "accelerometer",
  "bluetooth",
  "camera",
  "display-capture",
  "geolocation",
  "gyroscope",
  "hid",
  "magnetometer",
  "microphone",
  "midi",
  "payment",
  "publickey-credentials-get",
  "screen-wake-lock",
  "serial",
  "usb",
  "xr-spatial-tracking",
];
const CAMERA_PAGES = new Set(["/door"]);
const policyFor = (camera: boolean) =>
  POWERFUL_FEATURES.map((f) => `${f}=${f === "camera" && camera ? "(self)" : "()"}`).join(", ");
const PERMISSIONS_POLICY = policyFor(false);
const PERMISSIONS_POLICY_CAMERA = policyFor(true);

function permissionsPolicy(
  req: express.Request,
  res: express.Response,
  next: express.NextFunction,
) {
  res.setHeader(
    "Permissions-Policy",
    CAMERA_PAGES.has(rawPath(req)) ? PERMISSIONS_POLICY_CAMERA : PERMISSIONS_POLICY,
  );
  next();
}

/**
 * Errors that reach Express itself (not the app's own handlers): a client's
 * mistake (4xx) is answered in the JSON error shape without a log line; a
 * storage fault with its 503 and Retry-After; anything else is logged once and
 * answered without details.
 */
function answerErrors(
  error: unknown,
  _req: express.Request,
  res: express.Response,
  next: express.NextFunction,
) {
  if (res.headersSent) return next(error);
  const status = Number(
    (error as { status?: unknown; statusCode?: unknown })?.status ??
      (error as { statusCode?: unknown })?.statusCode,
  );
  if (status >= 400 && status < 500) {
    res.status(status).json({ error: "bad_request", message: "The request could not be read." });
    return;
  }
  // The database locked or the disk full (e.g. in a middleware's write): 503, Retry-After.
  const fault = storageFaultOf(error);
  if (fault) {
    logger.warn({ err: error, fault: fault.kind }, "storage fault");
    res.status(503).set(fault.headers).json({ error: fault.code, message: fault.message });
    return;
  }
  logger.error({ err: error }, "server error");
  res.status(500).json({ error: "internal_error", message: "Something went wrong on our side." });
}

function ownOrigins(req: express.Request) {
  const origins = new Set([`${req.protocol}://${req.get("host") ?? ""}`]);
  const configured = getEnv().PUBLIC_URL;
  if (configured) origins.add(new URL(configured).origin);
  return origins;
}

/** Refuse state-changing requests that a browser marks as coming from another site. */
function refuseCrossSite(req: express.Request, res: express.Response, next: express.NextFunction) {
  if (SAFE_METHODS.has(req.method) || CROSS_SITE_ALLOWED.has(rawPath(req))) return next();
  const site = req.get("sec-fetch-site");
  const origin = req.get("origin");
  const crossSite = site ? site !== "same-origin" && site !== "none" : false;
  const foreignOrigin =
    origin !== undefined && origin !== "null" ? !ownOrigins(req).has(origin) : origin === "null";
  if (crossSite || foreignOrigin) {
    res.status(403).json({ error: "cross_site", message: "Cross-site requests are not accepted." });
    return;
  }
  next();
}

function limitBodySize(req: express.Request, res: express.Response, next: express.NextFunction) {
  const declared = Number(req.get("content-length") ?? "0");
  const path = rawPath(req);
  const cap = UPLOAD_PATHS.some((p) => p.test(path)) ? DRAIN_BYTES : MAX_BODY_BYTES;
  if (declared > cap) {
    res
      .status(413)
      .set("Connection", "close")
      .json({ error: "payload_too_large", message: "The request body is too large." });
    return;
  }
  next();
}

/** Run `fn` just before the status line and headers go out, whoever sends them. */
function beforeHeaders(res: express.Response, fn: (status: number) => void) {
  const writeHead = res.writeHead;
  res.writeHead = function (this: express.Response, ...args: Parameters<typeof writeHead>) {
    if (!this.headersSent) fn(typeof args[0] === "number" ? args[0] : this.statusCode);
    return writeHead.apply(this, args);
  } as typeof writeHead;
}

/**
 * A response sent before its request's body was read to the end (a refused,
 * oversized upload) closes the connection: the unread bytes would otherwise
 * stall the next request a keep-alive client sends on it.
 */
function closeIfBodyUnread(
  req: express.Request,
  res: express.Response,
  next: express.NextFunction,
) {
  beforeHeaders(res, () => {
    if (!req.complete) res.setHeader("Connection", "close");
  });
  next();
}

/**
 * Cache-Control for everything but static files, in one place: `no-store`
 * unless a public page loosened it for a visitor without a session (the rule is
 * in app/utils/cache-policy.server.ts; pages opt in with `publicPage`).
 */
function cachePolicy(req: express.Request, res: express.Response, next: express.NextFunction) {
  beforeHeaders(res, (status) => {
    const routeValue = res.getHeader("Cache-Control");
    const { cacheControl, shared } = decideCacheControl({
      method: req.method,
      status,
      routeValue: routeValue === undefined ? undefined : String(routeValue),
      credentials: carriesCredentials(req.headers),
      setsCookie: res.getHeader("Set-Cookie") !== undefined,
    });
    res.setHeader("Cache-Control", cacheControl);
    // A shared cache must not hand one language's page to another, nor a
    // visitor's page to someone signed in.
    if (shared) res.vary("Cookie").vary("Accept-Language");
  });
  next();
}

/** A Remix response's headers worth keeping with a cached page (the length changes with the nonce). */
const DROPPED_PAGE_HEADERS = new Set(["content-length", "set-cookie", "content-encoding"]);

/**
 * The festival page and the festival list for readers without a session, from
 * the page cache (app/utils/page-cache.server.ts, decision 0045); every other
 * request goes on to the app as usual.
 */
function servePublicPages(handle: ReturnType<typeof createFetchHandler>) {
  return async (req: express.Request, res: express.Response, next: express.NextFunction) => {
    const url = new URL(req.originalUrl, "http://internal");
    const target = pageTarget(
      req.method,
      rawPath(req),
      url.searchParams,
      carriesCredentials(req.headers),
    );
    if (!target) return next();
    try {
      const origin = `${req.protocol}://${req.get("host") ?? "localhost"}`;
      const headers = new Headers();
      for (const name of ["accept-language", "cookie", "user-agent", "accept"]) {
        const value = req.get(name);
        if (value) headers.set(name, value);
      }
      const request = new Request(
        `${origin}${target.path}${target.query ? `?${target.query}` : ""}`,
        {
          headers,
        },
      );
      const locale = await getLocale(request);
      const version =
        target.page === "festival"
          ? await festivalPageVersion(target.slug)
          : await festivalListVersion();
      const key = `${target.path}?${target.query}\n${locale}`;
      const page = await pageCache.serve(
        key,
        version,
        res.locals.cspNonce as string,
        async (stand): Promise<RenderedPage> => {
          const response = await handle(request, {
            cspNonce: stand.nonce,
            responseToken: stand.token,
            clientAddress: req.ip ?? "unknown",
          });
          const kept = [...response.headers.entries()].filter(
            ([name]) => !DROPPED_PAGE_HEADERS.has(name.toLowerCase()),
          );
          return {
            status: response.status,
            headers: kept,
            body: await response.text(),
            cacheable:
              response.status === 200 &&
              !response.headers.has("set-cookie") &&
              /^text\/html\b/.test(response.headers.get("content-type") ?? ""),
          };
        },
      );
      res.status(page.status);
      for (const [name, value] of page.headers) res.setHeader(name, value);
      res.setHeader("X-Page-Cache", page.hit ? "hit" : "miss");
      res.send(page.body);
    } catch (error) {
      next(error);
    }
  };
}

const DEVICE_BEARER = /^Bearer\s+([A-Za-z0-9_-]{20,200})$/;

/** A door device's write spends the device's budget (see rateLimits.doorWrite), others the address's. */
function limitWrite(req: express.Request) {
  const address = req.ip ?? "unknown";
  const bearer = DEVICE_BEARER.exec((req.get("authorization") ?? "").trim())?.[1];
  if (bearer && req.path.startsWith("/api/v1/door/"))
    return rateLimits.doorWrite(sha256(bearer), address);
  return rateLimits.apiWrite(address);
}

async function limitApiWrites(
  req: express.Request,
  res: express.Response,
  next: express.NextFunction,
) {
  if (SAFE_METHODS.has(req.method) || !req.path.startsWith("/api/")) return next();
  try {
    await limitWrite(req);
    next();
  } catch (e) {
    if (!(e instanceof RateLimitedError)) return next(e);
    const response = tooManyRequests(e.retryAfterSeconds);
    res
      .status(429)
      .set("Retry-After", String(e.retryAfterSeconds))
      .json(await response.json());
  }
}

const routeOf = routeLabeler(build.routes);

/**
 * First of all: the request's id (a proxy's X-Request-Id if it is a plain id,
 * else a new one), sent back and put on every log line of the request; when the
 * response has ended (or the client went away: 499), one access line and one
 * observation of the request's latency by route pattern. The line holds the
 * method, the route pattern (never the path: paths carry tokens), the status,
 * the duration and the client's network (/24 or /48), nothing else.
 */
function observeRequests(req: express.Request, res: express.Response, next: express.NextFunction) {
  const started = process.hrtime.bigint();
  const requestId = requestIdFrom(req.get("x-request-id"));
  res.setHeader("X-Request-Id", requestId);
  res.once("close", () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const status = res.writableFinished ? res.statusCode : 499;
    const route = routeOf(rawPath(req));
    observeRequest(req.method, route, status, seconds);
    runWithRequestId(requestId, () =>
      logger.info(
        {
          method: req.method,
          route,
          status,
          ms: Math.round(seconds * 10_000) / 10,
          clientNet: truncateIp(req.ip),
        },
        "request",
      ),
    );
  });
  runWithRequestId(requestId, next);
}

/**
 * A language's compiled messages, which a page fetches before it hydrates
 * (app/i18n/catalogs.server.ts, decision 0052). The same for everyone and named
 * by its content (`?v=`), so kept for a year like /build/; another `v` (a page
 * from before a deploy) gets today's catalog, revalidated each time.
 */
function serveBrowserCatalog(req: express.Request, res: express.Response) {
  const locale = req.params.locale;
  if (!isLocale(locale)) {
    res.status(404).json({ error: "not_found", message: "No such language." });
    return;
  }
  const { json, version } = browserCatalog(locale);
  res.set("Content-Type", "application/json; charset=utf-8");
  res.set(
    "Cache-Control",
    req.query.v === version ? "public, max-age=31536000, immutable" : "no-cache",
  );
  res.send(json);
}

export function createApp() {
  const env = getEnv();
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", "loopback");
  app.use(observeRequests);
  app.use(permissionsPolicy);
  app.use(compression());

  app.use((_req, res, next) => {
    res.locals.cspNonce = crypto.randomBytes(16).toString("base64");
    next();
  });
  const secure = Boolean(env.PUBLIC_URL?.startsWith("https://"));
  const headersFor = (
    directives: Record<string, Iterable<string | ((req: unknown, res: unknown) => string)>>,
    framing: "deny" | "sameorigin",
  ) =>
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: { ...directives, ...(secure ? { upgradeInsecureRequests: [] } : {}) },
      },
      xFrameOptions: { action: framing },
      strictTransportSecurity: secure ? { maxAge: 31536000 } : false,
      crossOriginEmbedderPolicy: false,
      referrerPolicy: { policy: "same-origin" },
    });
  const pageHeaders = headersFor(
    {
      defaultSrc: ["'self'"],
      scriptSrc: [
        "'self'",
        (_req, res) => `'nonce-${(res as express.Response).locals.cspNonce as string}'`,
      ],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", "data:", "blob:"],
      mediaSrc: ["'self'", "blob:"],
      connectSrc: ["'self'"],
      fontSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'self'"],
      objectSrc: ["'none'"],
      workerSrc: ["'self'"],
      manifestSrc: ["'self'"],
    },
    "deny",
  );
  // An email preview is a document of its own, shown in a frame of this site:
  // inline styles (every email's), images from data: only, nothing else.
  const previewHeaders = headersFor(PREVIEW_POLICY, "sameorigin");
  app.use((req, res, next) =>
    (EMAIL_PREVIEW_PATHS.has(req.path) ? previewHeaders : pageHeaders)(req, res, next),
  );

  app.use("/build", express.static("public/build", { immutable: true, maxAge: "1y" }));
  app.use(express.static("public", { maxAge: "1h" }));
  app.get("/i18n/:locale", serveBrowserCatalog);

  app.use(cachePolicy);
  app.use(refuseMalformedUrl);
  app.use(refuseMalformedHost);
  app.use(closeIfBodyUnread);
  app.use(limitBodySize);
  app.use(refuseCrossSite);
  app.use(limitApiWrites);

  // Domain errors a route lets through answer as their response (http.server.ts).
  const appBuild = withDomainErrors(build);
  app.use(servePublicPages(createFetchHandler(appBuild, build.mode)));
  app.all(
    "*",
    createRequestHandler({
      build: appBuild,
      mode: build.mode,
      getLoadContext: (req, res): LoadContext => ({
        cspNonce: res.locals.cspNonce as string,
        clientAddress: req.ip ?? "unknown",
        responseToken: randomToken(18),
      }),
    }),
  );
  app.use(answerErrors);
  return app;
}

export type RunningServer = { url: string; port: number; close: () => Promise<void> };

/**
 * Prepare the database (WAL, admin, demo seed), start the email, hold-expiry,
 * tattoo waitlist and personal-data retention workers, and listen. Migrations are applied before this by scripts/start.js.
 */
export async function startServer(
  options: { port?: number; host?: string; quiet?: boolean } = {},
): Promise<RunningServer> {
  const env = getEnv();
  armedFaultPoints(); // the fault tests' hook: a wrong FAULT_POINTS fails here, at start
  // Fail at start, not at the first sale or email, when production lacks its
  // encryption key or its public address.
  if (env.NODE_ENV === "production") {
    dataEncryptionKeys();
    publicUrl();
  }
  await prepareDatabase();
  await runStartupTasks();
  startEmailWorker();
  startHoldExpiryWorker();
  startTattooWaitlistWorker();
  startPrivacyWorker();
  const app = createApp();
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(options.port ?? env.PORT, options.host ?? "0.0.0.0", () => resolve(s));
    s.once("error", reject);
  });
  server.keepAliveTimeout = 65_000;
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? "0.0.0.0";
  const url = `http://${host === "0.0.0.0" || host === "::" ? "localhost" : host}:${port}`;
  setListeningOrigin(url);
  // "running at <url> " is what scripts and tests wait for (tests/helpers/app-process.ts).
  if (!options.quiet)
    logger.info(
      `Solidarity festivals is running at ${url} (NODE_ENV=${env.NODE_ENV}). ` +
        "Sign in at /login; organisers and admins work under /admin.",
    );
  const close = async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 5_000).unref();
    });
    await stopHoldExpiryWorker();
    await stopTattooWaitlistWorker();
    await stopPrivacyWorker();
    await stopEmailWorker();
    await closeEmailRenderer();
    await disconnectDatabase();
  };
  return { url, port, close };
}

// For scripts that run the app's own code on a database (npm run bench).
export { entryStatements, moneyInPostings } from "~/models/ledger.server";
