// The render cache of the public pages everyone reads when a festival is
// announced: the festival page and the festival list (decision 0045). It keeps
// the HTML the app rendered for a reader without a session, by page, query and
// language, and sends a copy to the next such reader while the page's database
// fingerprint (models/public-page-versions.server.ts) is unchanged and the copy
// is younger than its time to live. So a reader sees what a fresh render would
// show — availability included — without the loaders' dozen queries and the
// React render.
//
// What must differ between two readers is never reused: every page is rendered
// with a random stand-in CSP nonce and a random stand-in response token (the
// checkout form's idempotency key, `responseToken`), and each copy sent has
// them replaced by the request's own nonce (the one in its CSP header) and a
// new token. Both stand-ins are 128-bit random values chosen after the page's
// content was written, so nothing in the content can contain them.
//
// Never cached: a request with credentials (a session cookie, a bearer token:
// `carriesCredentials`), any method but GET/HEAD, a query it does not know, an
// answer that is not a 200 HTML page or that sets a cookie.
import { LRUCache } from "lru-cache";
import { randomToken } from "./crypto.server";

/** How long a copy may be sent (for what only the clock changes). */
export const PAGE_CACHE_TTL_MS = 5_000;
/** Memory for copies (HTML is counted as its UTF-16 length × 2). */
const MAX_CACHE_BYTES = 16 * 1024 * 1024;

/** A value unique to one response, for the page to put in a form (the page cache renews it per copy). */
export function responseToken(context: unknown): string {
  const value = (context as { responseToken?: unknown } | undefined)?.responseToken;
  return typeof value === "string" && value.length >= 16 ? value : randomToken(18);
}

export type PageTarget =
  | { page: "festival-list"; path: string; query: string }
  | { page: "festival"; path: string; slug: string; query: string };

/**
 * Which cached page a request asks for, or null when it is not one (then the
 * app answers it as usual). Only the queries a page reads are accepted, in
 * their canonical order, each value shaped as the page expects: other
 * addresses cannot fill the cache.
 */
export function pageTarget(
  method: string,
  path: string,
  search: URLSearchParams,
  credentials: boolean,
): PageTarget | null {
  if ((method !== "GET" && method !== "HEAD") || credentials) return null;
  const keys = [...search.keys()];
  if (path === "/") return keys.length === 0 ? { page: "festival-list", path, query: "" } : null;
  const m = /^\/festivals\/([A-Za-z0-9-]{1,100})$/.exec(path);
  if (!m) return null;
  // The tattoo day shown (?artist=…&day=…); an access code is not cached (it unlocks hidden types).
  if (keys.length === 0) return { page: "festival", path, slug: m[1]!, query: "" };
  const artist = search.get("artist") ?? "";
  const day = search.get("day") ?? "";
  if (
    keys.length === 2 &&
    keys.includes("artist") &&
    keys.includes("day") &&
    /^[A-Za-z0-9_-]{1,64}$/.test(artist) &&
    /^\d{4}-\d{2}-\d{2}$/.test(day)
  )
    return { page: "festival", path, slug: m[1]!, query: `artist=${artist}&day=${day}` };
  return null;
}

/** What a render gave: kept only when `cacheable`. */
export type RenderedPage = {
  status: number;
  headers: [string, string][];
  body: string;
  cacheable: boolean;
};

type Copy = RenderedPage & {
  nonce: string;
  token: string;
  version: string;
  expiresAt: number;
};

/** One response to send: the page with this request's nonce and a fresh token. */
export type PageResponse = {
  status: number;
  headers: [string, string][];
  body: string;
  hit: boolean;
};

export type PageCacheStats = { hits: number; renders: number; entries: number };

export class PageCache {
  private copies = new LRUCache<string, Copy>({
    maxSize: MAX_CACHE_BYTES,
    sizeCalculation: (c) => Math.max(1, c.body.length * 2),
  });
  /** Renders under way, by key and version: readers arriving meanwhile wait for the same one. */
  private inFlight = new Map<string, Promise<Copy>>();
  private counts = { hits: 0, renders: 0 };

  constructor(private readonly ttlMs = PAGE_CACHE_TTL_MS) {}

  /**
   * The page `key` (page, query and language) for a request whose CSP nonce is
   * `nonce`: the kept copy when `version` (the page's fingerprint now) matches
   * it and it is young enough, else a new render, shared with the readers that
   * ask for the same page and version while it runs.
   */
  async serve(
    key: string,
    version: string,
    nonce: string,
    render: (stand: { nonce: string; token: string }) => Promise<RenderedPage>,
  ): Promise<PageResponse> {
    const kept = this.copies.get(key);
    if (kept && kept.version === version && kept.expiresAt > Date.now()) {
      this.counts.hits++;
      return this.personalise(kept, nonce, true);
    }
    const flightKey = `${key}\n${version}`;
    let flight = this.inFlight.get(flightKey);
    if (!flight) {
      flight = this.render(key, version, render).finally(() => this.inFlight.delete(flightKey));
      this.inFlight.set(flightKey, flight);
    }
    return this.personalise(await flight, nonce, false);
  }

  private async render(
    key: string,
    version: string,
    render: (stand: { nonce: string; token: string }) => Promise<RenderedPage>,
  ): Promise<Copy> {
    const stand = { nonce: randomToken(16), token: randomToken(18) };
    this.counts.renders++;
    const page = await render(stand);
    const copy: Copy = { ...page, ...stand, version, expiresAt: Date.now() + this.ttlMs };
    if (page.cacheable) this.copies.set(key, copy);
    else this.copies.delete(key);
    return copy;
  }

  private personalise(copy: Copy, nonce: string, hit: boolean): PageResponse {
    const body = copy.body.replaceAll(copy.nonce, nonce).replaceAll(copy.token, randomToken(18));
    return { status: copy.status, headers: copy.headers, body, hit };
  }

  stats(): PageCacheStats {
    return { ...this.counts, entries: this.copies.size };
  }

  clear() {
    this.copies.clear();
  }
}

/** The app's one page cache. */
export const pageCache = new PageCache();
