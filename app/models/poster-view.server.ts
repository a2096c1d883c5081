// How a stored festival poster is shown (models/festival-poster.server.ts stores it).
import { mediaUrl, posterFile } from "~/utils/images.server";

/** What a page needs to show a poster: the largest file, a srcset of all, its size. */
export type PosterView = { src: string; srcSet: string; width: number; height: number };

/** The poster of a festival row's columns (null when it has none). */
export function posterView(row: {
  posterImage?: string | null;
  posterSizes?: string | null;
  posterWidth?: number | null;
  posterHeight?: number | null;
}): PosterView | null {
  if (!row.posterImage || !row.posterWidth || !row.posterHeight) return null;
  let sizes: unknown;
  try {
    sizes = JSON.parse(row.posterSizes ?? "[]");
  } catch {
    sizes = [];
  }
  const widths = (Array.isArray(sizes) ? sizes : [])
    .map(Number)
    .filter((w) => Number.isInteger(w) && w > 0)
    .sort((a, b) => a - b);
  if (widths.length === 0) return null;
  const name = row.posterImage;
  return {
    src: mediaUrl(posterFile(name, widths[widths.length - 1]!)),
    srcSet: widths.map((w) => `${mediaUrl(posterFile(name, w))} ${w}w`).join(", "),
    width: row.posterWidth,
    height: row.posterHeight,
  };
}

/** The sharing tags' picture: the stored width nearest 1200 (what the sites show). */
export function posterForSharing(poster: PosterView | null) {
  if (!poster) return null;
  const files = poster.srcSet.split(", ").map((entry) => {
    const [path, w] = entry.split(" ");
    return { path: path!, width: Number.parseInt(w ?? "0", 10) };
  });
  const best = files.reduce((a, b) =>
    Math.abs(b.width - 1200) < Math.abs(a.width - 1200) ? b : a,
  );
  return {
    path: best.path,
    width: best.width,
    height: Math.round((best.width * poster.height) / poster.width),
  };
}
