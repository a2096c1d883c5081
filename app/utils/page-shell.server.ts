// What every page's shell (app/root.tsx) needs from the server: the reader's
// language and its catalog's address, the signed-in person, the sharing tags'
// origin. In a module of its own so the browser bundle of the root carries one
// stub for server code, not one per server module (decision 0052).
import { browserCatalogHref } from "~/i18n/catalogs.server";
import { getSessionUser } from "./auth.server";
import { publicUrl } from "./env.server";
import { translator } from "./i18n";
import { getLocale } from "./i18n.server";

/**
 * Pages a phone keeps for offline use (the door scanner's service worker caches
 * /door): their HTML must not carry whoever happened to be signed in, so the
 * root leaves the user out and the header shows no account links there.
 */
const DEVICE_SHELL_PATHS = new Set(["/door"]);

export async function pageShellData(request: Request) {
  const shell = DEVICE_SHELL_PATHS.has(new URL(request.url).pathname);
  const [locale, user] = await Promise.all([
    getLocale(request),
    shell ? null : getSessionUser(request),
  ]);
  const t = translator(locale);
  return {
    locale,
    // The reader's compiled messages, fetched by the browser before it hydrates (entry.client.tsx).
    catalogHref: browserCatalogHref(locale),
    // For the pages' sharing tags (utils/share-meta.ts): the configured address, never the Host header.
    origin: publicUrl(),
    siteName: t("site.name"),
    description: t("site.description"),
    user: user ? { name: user.name ?? user.email, role: user.role } : null,
    isDevelopment: process.env.NODE_ENV !== "production" && process.env.NODE_ENV !== "test",
  };
}
