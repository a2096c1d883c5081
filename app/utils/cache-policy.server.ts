// What may be cached, decided in one place (server/index.ts applies it to every
// response the app sends). `no-store` is the default: order and ticket pages,
// admin pages, API answers, tokens, exports — anything with personal data,
// tokens or money. A route may loosen it only by saying so (`publicPage` in
// utils/headers.ts), and only a public page answered to a request without a
// session or token keeps that looser value. Static files are served before
// this and keep their own long lifetimes.
import { languageCookie } from "./session.server";

export const NO_STORE = "no-store";

/** Cookies that identify nobody (the language choice); any other cookie may be a session. */
const ANONYMOUS_COOKIES = new Set([languageCookie.name]);

/** Whether a request may be someone's: a bearer token, or any cookie but the language. */
export function carriesCredentials(headers: {
  cookie?: string | undefined;
  authorization?: string | undefined;
}) {
  if (headers.authorization) return true;
  return (headers.cookie ?? "")
    .split(";")
    .map((c) => c.split("=")[0]!.trim())
    .some((name) => name !== "" && !ANONYMOUS_COOKIES.has(name));
}

export type CacheDecision = { cacheControl: string; shared: boolean };

/**
 * The Cache-Control a response leaves with. `routeValue` is what the route set
 * (if anything). A value that forbids storing is kept as it is; any looser value
 * is kept only for a successful GET/HEAD seen without credentials that sets no
 * cookie, and is otherwise replaced by `no-store`. `shared` tells the caller that
 * the answer may sit in a shared cache (and must name what it varies on).
 */
export function decideCacheControl(input: {
  method: string;
  status: number;
  routeValue: string | undefined;
  credentials: boolean;
  setsCookie: boolean;
}): CacheDecision {
  const route = input.routeValue?.trim();
  if (!route) return { cacheControl: NO_STORE, shared: false };
  if (/(?:^|,)\s*no-store\s*(?:,|$)/i.test(route)) return { cacheControl: route, shared: false };
  const mayLoosen =
    (input.method === "GET" || input.method === "HEAD") &&
    input.status === 200 &&
    !input.credentials &&
    !input.setsCookie;
  if (!mayLoosen) return { cacheControl: NO_STORE, shared: false };
  return { cacheControl: route, shared: /(?:^|,)\s*public\s*(?:,|$)/i.test(route) };
}
