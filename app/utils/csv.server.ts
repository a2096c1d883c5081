// The one CSV writer for every export (orders, check-ins, …). Spreadsheets run
// a cell that starts with = + - @ (or a tab or carriage return before one) as a
// formula, so every text cell that starts like that is prefixed with a single
// quote (OWASP's "CSV injection" advice) and every text cell is quoted, so a
// spreadsheet that splits on ";" or tabs cannot cut a formula out of a cell.
// Numbers are written by the system (amounts in minor units, counts) and stay
// numbers, negative ones included: a cell is neutralised by its type, never by
// guessing from its text, so a string "-5" from a person still gets its quote.
import { stringify } from "csv-stringify/sync";

/** A number is the system's own value; a string is treated as someone's input. */
export type CsvCell = string | number | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;

/** A text cell as a spreadsheet will read it: formulas become text. */
export function neutraliseCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** A CSV document with a header row; `columns` fixes the order and the names. */
export function toCsv<C extends string>(
  columns: readonly C[],
  rows: readonly Record<C, CsvCell>[],
): string {
  const cells = rows.map((row) =>
    Object.fromEntries(
      columns.map((column) => {
        const value = row[column];
        if (value === null || value === undefined) return [column, ""];
        if (typeof value === "number") {
          if (!Number.isFinite(value)) throw new Error(`CSV column ${column}: not a finite number`);
          return [column, value];
        }
        return [column, neutraliseCell(value)];
      }),
    ),
  );
  return stringify(cells, { header: true, columns: [...columns], quoted_string: true });
}

/** An export as a download (not stored: the server's no-store default holds). */
export function csvResponse(filename: string, csv: string): Response {
  return new Response(csv, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]/g, "_")}"`,
    },
  });
}
