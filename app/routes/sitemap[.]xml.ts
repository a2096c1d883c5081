import { sitemapEntries, sitemapXml } from "~/models/sitemap.server";
import { publicUrl } from "~/utils/env.server";
import { PUBLIC_PAGE_CACHE } from "~/utils/headers";

/** The public pages for search engines (sitemaps.org), absolute from PUBLIC_URL. */
export async function loader() {
  return new Response(sitemapXml(publicUrl(), await sitemapEntries()), {
    headers: {
      "Content-Type": "application/xml; charset=utf-8",
      "Cache-Control": PUBLIC_PAGE_CACHE,
    },
  });
}
