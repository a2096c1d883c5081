// A data table that scrolls sideways inside its own box when it is wider than
// the screen (a phone), so the page itself never does. The box is a labelled,
// focusable region: keyboard users can scroll it too.
import type { ReactNode } from "react";

export function Table({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-scroll" role="region" aria-label={label} tabIndex={0}>
      <table className="table">{children}</table>
    </div>
  );
}
