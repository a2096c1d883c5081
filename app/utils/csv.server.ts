// The one CSV writer for every export (orders, check-ins, …). Spreadsheets run
// a cell that starts with = + - @ (or a tab or carriage return before one) as a
// formula, so every text cell that starts like that is prefixed with a single
// quote (OWASP's "CSV injection" advice) and every text cell is quoted, so a
// spreadsheet that splits on ";" or tabs cannot cut a formula out of a cell.
// Numbers are written by the system (amounts in minor units, counts) and stay
// numbers, negative ones included: a cell is neutralised by its type, never by
// guessing from its text, so a string "-5" from a person still gets its quote.
// Amounts are written in major units as exact decimals (`csvAmount`: "-12.50",
// never a float), unquoted like numbers. Every download starts with a UTF-8
// byte order mark so spreadsheets open Cyrillic as Cyrillic (`csvResponse`).
// The exports themselves are in app/models/exports.server.ts.
import { stringify } from "csv-stringify/sync";
import { toMajorDecimal } from "./money";

/** An exact decimal written by the system (an amount in major units). */
export type CsvDecimal = { readonly decimal: string };

/** A number is the system's own value; a string is treated as someone's input. */
export type CsvCell = string | number | CsvDecimal | null | undefined;

const DECIMAL = /^-?\d+(\.\d+)?$/;

/** An amount in minor units as a major-unit cell ("1550" EUR → 15.50, "-500" JPY → -500). */
export function csvAmount(amountMinor: number, currency: string): CsvDecimal {
  return { decimal: toMajorDecimal(amountMinor, currency) };
}

/** The byte order mark every CSV download starts with (Excel reads UTF-8 only after it). */
export const UTF8_BOM = "\uFEFF";

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
        if (typeof value === "object") {
          if (!DECIMAL.test(value.decimal)) throw new Error(`CSV column ${column}: not a decimal`);
          return [column, value];
        }
        return [column, neutraliseCell(value)];
      }),
    ),
  );
  return stringify(cells, {
    header: true,
    columns: [...columns],
    quoted_string: true,
    // A decimal is not a string cell: written as it is, unquoted, like a number.
    cast: { object: (value) => (value as CsvDecimal).decimal },
  });
}

/**
 * An export as a download (not stored: the server's no-store default holds),
 * with the BOM. `X-Export-Bytes` is the body's size before compression (which
 * drops Content-Length), so a page can show how much of it has arrived.
 */
export function csvResponse(filename: string, csv: string, rows?: number): Response {
  const body = new TextEncoder().encode(UTF8_BOM + csv);
  return new Response(body, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]/g, "_")}"`,
      "X-Export-Bytes": String(body.byteLength),
      ...(rows === undefined ? {} : { "X-Export-Rows": String(rows) }),
    },
  });
}
