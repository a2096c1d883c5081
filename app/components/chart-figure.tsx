// A dashboard chart (SVG rendered on the server, app/utils/dashboard-chart.server.tsx)
// with its caption and a table of the same figures for screen readers: the
// drawing is hidden from them, the table is hidden from sight.
import type { ReactNode } from "react";

export function ChartFigure({
  id,
  title,
  svg,
  children,
}: {
  id: string;
  title: string;
  /** Markup made on the server from the app's own figures (React escaped every text in it). */
  svg: string;
  /** The table's head and body (its caption is the title). */
  children: ReactNode;
}) {
  return (
    <figure className="dash-chart" aria-labelledby={`${id}-title`}>
      <figcaption id={`${id}-title`}>{title}</figcaption>
      <div
        className="dash-chart-svg"
        aria-hidden="true"
        dangerouslySetInnerHTML={{ __html: svg }}
      />
      {/* A table keeps the width of its content whatever its own width: the box around it is what hides it. */}
      <div className="sr-only">
        <table>
          <caption>{title}</caption>
          {children}
        </table>
      </div>
    </figure>
  );
}
