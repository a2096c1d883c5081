// The dashboard's charts (decision 0047): drawn with recharts' SVG primitives
// and rendered on the server, as the transparency report's chart is
// (app/utils/transparency-chart.server.tsx says why: recharts' chart
// containers render an empty box on the server). The page puts the SVG inline
// (it scales with its box on a phone; no chart code reaches the browser, and
// the SVG carries no style attributes, so the CSP holds); each chart is
// hidden from screen readers and followed by a table with the same figures.
// Every text in a chart is formatted by the caller, in the reader's language.
import { renderToStaticMarkup } from "react-dom/server";
import { Layer, Rectangle, Surface } from "recharts";
import { chartSvg, type ChartGroup } from "./transparency-chart.server";

/** Colours with at least 4.5:1 contrast on white (they are used for text and for bars). */
export const PALETTE = {
  blue: "#1f5fa8",
  green: "#2e7d4f",
  red: "#b3261e",
  purple: "#6a3d9a",
  brown: "#8a5a00",
} as const;

const WIDTH = 400;
const PAD = 12;
const TEXT = "#1b1b1f";
/** The unfilled part of a capacity bar: 4.9:1 against white. */
const TRACK = "#6b6b75";
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif";

/** A rendered chart: SVG markup for the page to put inline. */
export type Chart = { svg: string; width: number; height: number };

function render(title: string, width: number, height: number, body: JSX.Element): Chart {
  const svg = renderToStaticMarkup(
    <Surface width={width} height={height} title={title}>
      <Rectangle x={0} y={0} width={width} height={height} fill="#ffffff" />
      {body}
    </Surface>,
  );
  return { svg, width, height };
}

/** Horizontal bars in groups (money by category, per artist, per prisoner): the report chart's layout. */
export function barChart(title: string, groups: ChartGroup[]): Chart {
  const { svg, width, height } = chartSvg(title, groups);
  return { svg, width, height };
}

export type CapacityRow = { label: string; sold: number; capacity: number; value: string };

/**
 * Sold against capacity: each row's outline is its capacity, its filled part
 * what is sold, both on one scale (the largest capacity fills the width).
 */
export function capacityChart(title: string, rows: CapacityRow[], color: string = PALETTE.blue) {
  const ROW = 42;
  const VALUE_SPACE = 96;
  const height = PAD * 2 + Math.max(1, rows.length) * ROW;
  const max = Math.max(1, ...rows.map((r) => Math.max(r.capacity, r.sold)));
  const space = WIDTH - PAD * 2 - VALUE_SPACE;
  const scale = (n: number) => Math.round((n / max) * space * 10) / 10;
  const body = (
    <>
      {rows.map((r, i) => {
        const top = PAD + i * ROW;
        const track = Math.max(2, scale(r.capacity));
        const filled = r.sold > 0 ? Math.max(2, scale(r.sold)) : 0;
        return (
          <Layer key={i} className="capacity-row">
            <text x={PAD} y={top + 13} fontSize={13} fontFamily={FONT} fill={TEXT}>
              {r.label}
            </text>
            <Rectangle
              x={PAD + 0.5}
              y={top + 18.5}
              width={track - 1}
              height={15}
              fill="#ffffff"
              stroke={TRACK}
              strokeWidth={1}
            />
            {filled > 0 ? (
              <Rectangle x={PAD} y={top + 18} width={filled} height={16} fill={color} />
            ) : null}
            <text
              x={PAD + Math.max(track, filled) + 6}
              y={top + 31}
              fontSize={13}
              fontFamily={FONT}
              fill={TEXT}
            >
              {r.value}
            </text>
          </Layer>
        );
      })}
    </>
  );
  return render(title, WIDTH, height, body);
}

export type ColumnPoint = { label: string; value: number };

/**
 * A time series as columns (sales per day, check-ins per 10 minutes): a
 * baseline, the largest value marked on the left, and at most five time labels
 * under the columns (the table lists every point).
 */
export function columnChart(
  title: string,
  points: ColumnPoint[],
  options: { color?: string; maxLabel: (max: number) => string },
): Chart {
  const height = 200;
  const left = PAD + 40;
  const right = WIDTH - PAD;
  const top = PAD + 8;
  const base = height - 34;
  const max = Math.max(1, ...points.map((p) => p.value));
  const slot = points.length ? (right - left) / points.length : 0;
  // Thin columns for long series, at most 28 px wide for short ones.
  const barWidth = Math.min(28, Math.max(1, Math.round(slot * 0.8 * 10) / 10));
  const color = options.color ?? PALETTE.blue;
  const ticks = new Set<number>();
  if (points.length) {
    const count = Math.min(5, points.length);
    for (let k = 0; k < count; k++)
      ticks.add(count === 1 ? 0 : Math.round((k * (points.length - 1)) / (count - 1)));
  }
  const body = (
    <>
      <text x={PAD} y={top + 4} fontSize={12} fontFamily={FONT} fill={TEXT}>
        {options.maxLabel(max)}
      </text>
      <Rectangle x={left} y={top} width={right - left} height={1} fill={TRACK} />
      <Rectangle x={left} y={base} width={right - left} height={1} fill={TEXT} />
      {points.map((p, i) => {
        const h =
          p.value > 0 ? Math.max(2, Math.round((p.value / max) * (base - top) * 10) / 10) : 0;
        return h > 0 ? (
          <Rectangle
            key={i}
            className="column"
            x={Math.round((left + i * slot + (slot - barWidth) / 2) * 10) / 10}
            y={base - h}
            width={barWidth}
            height={h}
            fill={color}
          />
        ) : null;
      })}
      {[...ticks].map((i) => {
        const x = left + i * slot + slot / 2;
        const anchor =
          i === 0 && points.length > 1
            ? "start"
            : i === points.length - 1 && points.length > 1
              ? "end"
              : "middle";
        return (
          <text
            key={`t${i}`}
            x={anchor === "start" ? left : anchor === "end" ? right : x}
            y={base + 18}
            fontSize={12}
            fontFamily={FONT}
            fill={TEXT}
            textAnchor={anchor}
          >
            {points[i]!.label}
          </text>
        );
      })}
    </>
  );
  return render(title, WIDTH, height, body);
}
