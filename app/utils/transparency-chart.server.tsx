// The month report's chart: collected against paid out by category, drawn with
// recharts' SVG primitives and rendered on the server to a fixed-size SVG.
// Recharts' chart containers (BarChart …) render an empty box on the server
// since 3.0 (they measure and lay out in effects: recharts issue #5997), so the
// bars are laid out here and drawn with <Surface>, <Layer> and <Rectangle>,
// which render the same on the server as in a browser. The page shows the SVG
// as an image (it scales down on a phone, and no chart code reaches the
// browser); the table next to it carries the same numbers for screen readers.
import { renderToStaticMarkup } from "react-dom/server";
import { Layer, Rectangle, Surface } from "recharts";

export type ChartBar = { label: string; amountMinor: number; value: string };
export type ChartGroup = { title: string; color: string; bars: ChartBar[] };

export const CHART_WIDTH = 400;
const PAD = 12;
const VALUE_SPACE = 108;
const ROW = 40;
const HEADER = 28;
const TEXT = "#1b1b1f";
/** An image does not inherit the page's fonts: the same system stack. */
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif";

export const COLLECTED_COLOR = "#2e7d4f";
export const PAID_OUT_COLOR = "#b3261e";

/** The chart's height for these groups (fixed by its content). */
export function chartHeight(groups: ChartGroup[]): number {
  return PAD * 2 + groups.reduce((h, g) => h + HEADER + Math.max(1, g.bars.length) * ROW, 0);
}

/** The SVG document (with its namespace, to be shown as an image). */
export function chartSvg(
  title: string,
  groups: ChartGroup[],
): { svg: string; width: number; height: number } {
  const width = CHART_WIDTH;
  const height = chartHeight(groups);
  const max = Math.max(1, ...groups.flatMap((g) => g.bars.map((b) => Math.abs(b.amountMinor))));
  const barSpace = width - PAD * 2 - VALUE_SPACE;
  let y = PAD;
  const parts = groups.map((g, gi) => {
    const top = y;
    y += HEADER;
    const rows = g.bars.map((b, bi) => {
      const rowTop = y;
      y += ROW;
      const barWidth =
        b.amountMinor > 0 ? Math.max(2, Math.round((b.amountMinor / max) * barSpace * 10) / 10) : 0;
      return (
        <Layer key={bi} className="bar-row">
          <text x={PAD} y={rowTop + 13} fontSize={13} fontFamily={FONT} fill={TEXT}>
            {b.label}
          </text>
          {barWidth > 0 ? (
            <Rectangle x={PAD} y={rowTop + 18} width={barWidth} height={14} fill={g.color} />
          ) : null}
          <text x={PAD + barWidth + 6} y={rowTop + 30} fontSize={13} fontFamily={FONT} fill={TEXT}>
            {b.value}
          </text>
        </Layer>
      );
    });
    if (g.bars.length === 0) y += ROW;
    return (
      <Layer key={gi} className="bar-group">
        <text x={PAD} y={top + 18} fontSize={15} fontFamily={FONT} fontWeight={700} fill={g.color}>
          {g.title}
        </text>
        {rows}
      </Layer>
    );
  });
  let svg = renderToStaticMarkup(
    <Surface width={width} height={height} title={title}>
      <Rectangle x={0} y={0} width={width} height={height} fill="#ffffff" />
      {parts}
    </Surface>,
  );
  // Shown as an image, the document needs its namespace (React leaves it out).
  if (!svg.includes("xmlns="))
    svg = svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ');
  return { svg, width, height };
}

/** A data: URL of the SVG for an <img> (the CSP allows data: images). */
export function svgDataUrl(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}
