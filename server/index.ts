// The HTTP server: Express in front of the Remix request handler. This file is
// bundled into build/index.js by the Remix compiler (remix.config.js `server`),
// so it shares one module graph with the app. Security middleware lives here:
// CSP with per-request nonces, cross-site request refusal, API write limits.
import { createRequestHandler } from "@remix-run/express";
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
import { startHoldExpiryWorker, stopHoldExpiryWorker } from "~/models/payment.server";
import { startPrivacyWorker, stopPrivacyWorker } from "~/models/privacy.server";
import {
  startTattooWaitlistWorker,
  stopTattooWaitlistWorker,
} from "~/models/tattoo-waitlist.server";
import { sha256 } from "~/utils/crypto.server";
import { tooManyRequests, withDomainErrors } from "~/utils/http.server";
import { carriesCredentials, decideCacheControl } from "~/utils/cache-policy.server";
import { rateLimits, RateLimitedError } from "~/utils/rate-limit.server";
import { runStartupTasks } from "~/utils/startup.server";
import { DRAIN_BYTES } from "~/utils/images.server";

// For `npm run ledger:check` (scripts/ledger-check.js): the app's own check, not a copy of its SQL.
export { checkLedger } from "~/models/ledger.server";

export type LoadContext = { cspNonce: string; clientAddress: string };

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
 * mistake (4xx) is answered in the JSON error shape without a log line; anything
 * else is logged once and answered without details.
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
  console.error("Server error:", error instanceof Error ? error.stack : error);
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

export function createApp() {
  const env = getEnv();
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", "loopback");
  app.use(permissionsPolicy);
  app.use(compression());

  app.use((_req, res, next) => {
    res.locals.cspNonce = crypto.randomBytes(16).toString("base64");
    next();
  });
  const secure = Boolean(env.PUBLIC_URL?.startsWith("https://"));
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
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
          ...(secure ? { upgradeInsecureRequests: [] } : {}),
        },
      },
      strictTransportSecurity: secure ? { maxAge: 31536000 } : false,
      crossOriginEmbedderPolicy: false,
      referrerPolicy: { policy: "same-origin" },
    }),
  );

  app.use("/build", express.static("public/build", { immutable: true, maxAge: "1y" }));
  app.use(express.static("public", { maxAge: "1h" }));

  app.use(cachePolicy);
  app.use(refuseMalformedUrl);
  app.use(closeIfBodyUnread);
  app.use(limitBodySize);
  app.use(refuseCrossSite);
  app.use(limitApiWrites);

  app.all(
    "*",
    createRequestHandler({
      // Domain errors a route lets through answer as their response (http.server.ts).
      build: withDomainErrors(build),
      mode: build.mode,
      getLoadContext: (req, res): LoadContext => ({
        cspNonce: res.locals.cspNonce as string,
        clientAddress: req.ip ?? "unknown",
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
  if (!options.quiet)
    console.log(
      `Solidarity festivals is running at ${url} (NODE_ENV=${env.NODE_ENV}). ` +
        "Sign in at /login; organisers and admins work under /admin.",
    );
  const close = async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 5_000).unref();
    });
    stopHoldExpiryWorker();
    await stopTattooWaitlistWorker();
    await stopPrivacyWorker();
    await stopEmailWorker();
    await disconnectDatabase();
  };
  return { url, port, close };
}

// For scripts that run the app's own code on a database (npm run bench).
export { entryStatements, moneyInPostings } from "~/models/ledger.server";
