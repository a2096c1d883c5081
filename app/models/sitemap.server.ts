// /sitemap.xml and /robots.txt: the public pages a search engine may list, with
// absolute addresses from the configured PUBLIC_URL (never the request's Host).
import { sqlClient } from "~/utils/db.server";
import { reportFestivals, reportMonths } from "./transparency.server";

export type SitemapEntry = { path: string; lastModified?: string };

/** The public pages: the list, every public festival, every prisoner, the transparency reports. */
export async function sitemapEntries(): Promise<SitemapEntry[]> {
  const db = sqlClient();
  const [festivals, prisoners, reported, months] = await Promise.all([
    db.execute(
      `SELECT slug, updatedAt FROM Festival
       WHERE status IN ('published', 'cancelled') AND publishedAt IS NOT NULL ORDER BY startsAt, id`,
    ),
    db.execute("SELECT slug, updatedAt FROM Prisoner ORDER BY slug"),
    reportFestivals(db),
    reportMonths(db),
  ]);
  const day = (value: unknown) =>
    typeof value === "string" && /^\d{4}-\d{2}-\d{2}/.test(value) ? value.slice(0, 10) : undefined;
  return [
    { path: "/" },
    ...festivals.rows.map((r) => ({
      path: `/festivals/${encodeURIComponent(String(r.slug))}`,
      lastModified: day(r.updatedAt),
    })),
    { path: "/prisoners" },
    ...prisoners.rows.map((r) => ({
      path: `/prisoners/${encodeURIComponent(String(r.slug))}`,
      lastModified: day(r.updatedAt),
    })),
    { path: "/transparency" },
    ...months.map((m) => ({ path: `/transparency/${m.month}` })),
    ...reported.map((f) => ({ path: `/transparency/festivals/${encodeURIComponent(f.slug)}` })),
  ];
}

const escapeXml = (value: string) => value.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The sitemap protocol's XML (sitemaps.org 0.9) for `entries` under `origin`. */
export function sitemapXml(origin: string, entries: SitemapEntry[]) {
  const urls = entries
    .map(
      (e) =>
        `  <url><loc>${escapeXml(origin + e.path)}</loc>${
          e.lastModified ? `<lastmod>${e.lastModified}</lastmod>` : ""
        }</url>`,
    )
    .join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${urls}\n</urlset>\n`;
}

/** Private areas crawlers are asked to keep out of (they need a session or a token anyway). */
export const ROBOTS_DISALLOWED = [
  "/admin",
  "/api",
  "/door",
  "/orders",
  "/account",
  "/tattoo-corner",
  "/tattoo/",
  "/invite/",
  "/reset-password/",
  "/dev/",
];

export function robotsTxt(origin: string) {
  return [
    "User-agent: *",
    ...ROBOTS_DISALLOWED.map((p) => `Disallow: ${p}`),
    "",
    `Sitemap: ${origin}/sitemap.xml`,
    "",
  ].join("\n");
}
