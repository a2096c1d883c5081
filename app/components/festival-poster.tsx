// A festival's poster at the sizes it was stored in (models/poster-view.server.ts):
// the browser picks one by `sizes`, the layout's width of the picture.
import { useT } from "~/utils/use-t";

type Poster = { src: string; srcSet: string; width: number; height: number };

export function FestivalPoster({
  poster,
  festivalName,
  className,
  sizes,
  lazy = false,
}: {
  poster: Poster;
  festivalName: string;
  className: string;
  sizes: string;
  lazy?: boolean;
}) {
  const t = useT();
  return (
    <img
      className={className}
      src={poster.src}
      srcSet={poster.srcSet}
      sizes={sizes}
      width={poster.width}
      height={poster.height}
      alt={t("festival.posterAlt", { name: festivalName })}
      loading={lazy ? "lazy" : undefined}
    />
  );
}
