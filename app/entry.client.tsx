// The browser's start: fetch the reader's message catalog (the root's
// `<link data-catalog>`, preloaded beside the scripts and cached for good),
// then hydrate. Without it the page stays as the server rendered it: every
// form still works as a plain one (decision 0052).
import { RemixBrowser } from "@remix-run/react";
import { startTransition, StrictMode } from "react";
import { hydrateRoot } from "react-dom/client";
import { isLocale, provideCatalog, type BrowserCatalog } from "~/utils/i18n";

async function loadCatalog(): Promise<boolean> {
  const link = document.querySelector<HTMLLinkElement>("link[data-catalog]");
  const locale = link?.dataset.catalog;
  if (!link || !isLocale(locale)) return false;
  try {
    const response = await fetch(link.href, { credentials: "same-origin" });
    if (!response.ok) return false;
    provideCatalog(locale, (await response.json()) as BrowserCatalog);
    return true;
  } catch {
    return false;
  }
}

void loadCatalog().then((loaded) => {
  if (!loaded) return;
  startTransition(() => {
    hydrateRoot(
      document,
      <StrictMode>
        <RemixBrowser />
      </StrictMode>,
    );
  });
});
