import type { HeadersFunction } from "@remix-run/node";

/** Pass an action's headers (e.g. Retry-After on 429) on to the document response. */
export const passActionHeaders: HeadersFunction = ({ actionHeaders, loaderHeaders }) => {
  const headers = new Headers(loaderHeaders);
  const retryAfter = actionHeaders.get("Retry-After");
  if (retryAfter) headers.set("Retry-After", retryAfter);
  return headers;
};

/** How long a public page may be kept by browsers and shared caches. */
export const PUBLIC_PAGE_CACHE = "public, max-age=60";

/**
 * The one way a page loosens the `no-store` default (utils/cache-policy.server.ts):
 * for pages that show the same thing to every visitor. The server keeps it only
 * for visitors without a session, and never on a POST, an error or a Set-Cookie.
 * Not for a page that renders anything per visitor (a token, a key in a form).
 */
export const publicPage: HeadersFunction = () => ({ "Cache-Control": PUBLIC_PAGE_CACHE });
