// The tags a page is shared with (Open Graph, Twitter cards) and its description,
// for public pages. Absolute addresses come from the configured PUBLIC_URL (the
// root loader's `origin`), never from the request's Host header.
import type { MetaDescriptor } from "@remix-run/node";

export type ShareInput = {
  title: string;
  description?: string | null;
  /** A path on this site (/media/…) or null. */
  image?: { path: string; width?: number; height?: number; alt?: string } | null;
  /** The page's path, for og:url. */
  path?: string;
};

type RootData = { origin?: string; description?: string; siteName?: string } | undefined;

/** The root route's data among a meta function's matches. */
export function rootShareData(matches: readonly { id: string; data?: unknown }[]): RootData {
  return matches.find((m) => m.id === "root")?.data as RootData;
}

/** One page's title, description and sharing tags (a page's meta replaces the root's, so all of it). */
export function shareMeta(root: RootData, page: ShareInput): MetaDescriptor[] {
  const origin = root?.origin ?? "";
  const description = (page.description ?? root?.description ?? "").replace(/\s+/g, " ").trim();
  const short = description.length > 300 ? `${description.slice(0, 297)}…` : description;
  const tags: MetaDescriptor[] = [
    { title: page.title },
    { name: "description", content: short },
    { property: "og:type", content: "website" },
    { property: "og:title", content: page.title },
    { property: "og:description", content: short },
    { name: "twitter:card", content: page.image ? "summary_large_image" : "summary" },
  ];
  if (root?.siteName) tags.push({ property: "og:site_name", content: root.siteName });
  if (page.path && origin) tags.push({ property: "og:url", content: origin + page.path });
  if (page.image && origin) {
    tags.push({ property: "og:image", content: origin + page.image.path });
    if (page.image.width)
      tags.push({ property: "og:image:width", content: String(page.image.width) });
    if (page.image.height)
      tags.push({ property: "og:image:height", content: String(page.image.height) });
    if (page.image.alt) tags.push({ property: "og:image:alt", content: page.image.alt });
  }
  return tags;
}
