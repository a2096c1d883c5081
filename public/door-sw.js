// Service worker of the door scanner (scope /door): the scanner page and its
// JS/CSS open without a network. API responses are never cached — verdicts,
// manifests and uploads always go to the server (or fail, and the page decides
// offline from its own stored manifest).
const CACHE = "door-shell-v1";
const SHELL = ["/door", "/door.webmanifest", "/door-icon.svg", "/favicon.svg"];

/**
 * Assets the page loads: /build/… scripts, modulepreloads and stylesheets named in
 * its HTML, and its language's message catalog (/i18n/<lang>?v=…, preloaded).
 */
function assetsIn(html) {
  const found = new Set();
  for (const m of html.matchAll(/(?:href|src)="(\/build\/[^"]+)"/g)) found.add(m[1]);
  for (const m of html.matchAll(/href="(\/i18n\/[^"]+)"/g))
    found.add(m[1].replaceAll("&amp;", "&"));
  for (const m of html.matchAll(/import\s*\(?\s*"(\/build\/[^"]+)"/g)) found.add(m[1]);
  for (const m of html.matchAll(/"(\/build\/[^"]+\.(?:js|css))"/g)) found.add(m[1]);
  return [...found];
}

async function precache() {
  const cache = await caches.open(CACHE);
  const page = await fetch("/door", { credentials: "same-origin", cache: "no-store" });
  if (!page.ok) throw new Error(`/door answered ${page.status}`);
  const html = await page.clone().text();
  await cache.put("/door", page);
  const others = [...SHELL.slice(1), ...assetsIn(html)];
  await Promise.all(
    others.map((url) =>
      fetch(url, { credentials: "same-origin" })
        .then((res) => (res.ok ? cache.put(url, res) : undefined))
        .catch(() => undefined),
    ),
  );
}

self.addEventListener("install", (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys
            .filter((k) => k.startsWith("door-shell-") && k !== CACHE)
            .map((k) => caches.delete(k)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

function isApi(url) {
  return url.pathname.startsWith("/api/") || url.pathname.startsWith("/webhooks/");
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || isApi(url)) return; // straight to the network

  // The page itself: fresh from the network when there is one (new build, new
  // CSP nonce), the cached copy otherwise. The address may carry #device=…,
  // which never reaches the server or the cache key.
  if (request.mode === "navigate" && url.pathname === "/door") {
    event.respondWith(
      fetch(request)
        .then((res) => {
          if (res.ok) {
            const copy = res.clone();
            caches.open(CACHE).then((c) => c.put("/door", copy));
            // Assets of a new build are fetched (and cached) as the page loads them.
          }
          return res;
        })
        .catch(() => caches.match("/door").then((hit) => hit || Response.error())),
    );
    return;
  }

  // Build assets have content hashes in their names, catalogs in their ?v=: cache first, forever.
  if (url.pathname.startsWith("/build/") || url.pathname.startsWith("/i18n/")) {
    event.respondWith(
      caches.match(request).then(
        (hit) =>
          hit ||
          fetch(request).then((res) => {
            if (res.ok) {
              const copy = res.clone();
              caches.open(CACHE).then((c) => c.put(request, copy));
            }
            return res;
          }),
      ),
    );
    return;
  }

  // Remix's route manifest and the icons: network first, cache as fallback.
  if (url.pathname === "/__manifest" || SHELL.includes(url.pathname)) {
    event.respondWith(
      fetch(request)
        .then((res) => {
          if (res.ok) {
            const copy = res.clone();
            caches.open(CACHE).then((c) => c.put(request, copy));
          }
          return res;
        })
        .catch(() => caches.match(request).then((hit) => hit || Response.error())),
    );
  }
});
