import { robotsTxt } from "~/models/sitemap.server";
import { publicUrl } from "~/utils/env.server";
import { PUBLIC_PAGE_CACHE } from "~/utils/headers";

/** Crawlers: the public pages are open, the private areas are not (models/sitemap.server.ts). */
export function loader() {
  return new Response(robotsTxt(publicUrl()), {
    headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": PUBLIC_PAGE_CACHE },
  });
}
