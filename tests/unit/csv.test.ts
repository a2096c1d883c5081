// The one CSV writer (app/utils/csv.server.ts), called directly.
import { describe, expect, it } from "vitest";
import { csvAmount, neutraliseCell, toCsv } from "~/utils/csv.server";
import { toMajorDecimal } from "~/utils/money";
import { csvRecords, FORMULA_START, parseCsv } from "../helpers/csv";

describe("toCsv", () => {
  it.each(["=", "+", "-", "@", "\t", "\r"])("prefixes a text cell starting with %j", (c) => {
    const csv = toCsv(["name"], [{ name: `${c}1+1` }]);
    expect(csvRecords(csv)).toEqual([{ name: `'${c}1+1` }]);
    for (const row of parseCsv(csv))
      for (const cell of row) expect(cell).not.toMatch(FORMULA_START);
  });

  it("keeps system numbers numeric, negative ones too, but quotes a person's '-5'", () => {
    const csv = toCsv(["amount", "note"], [{ amount: -500, note: "-5" }]);
    expect(csv.split("\n")[1]).toBe(`-500,"'-5"`);
  });

  it("quotes every text cell, so a ';' or tab separated reading cannot split out a formula", () => {
    const csv = toCsv(["name"], [{ name: "Bob;=1+1" }, { name: 'Say "hi",\nthen go' }]);
    expect(csv).toBe(`"name"\n"Bob;=1+1"\n"Say ""hi"",\nthen go"\n`);
  });

  it("writes missing values as empty cells and leaves harmless text alone", () => {
    expect(csvRecords(toCsv(["a", "b"], [{ a: null, b: "Anna" }]))).toEqual([{ a: "", b: "Anna" }]);
    expect(neutraliseCell("1 × Standard")).toBe("1 × Standard");
  });

  it("refuses a non-finite number instead of writing NaN", () => {
    expect(() => toCsv(["n"], [{ n: Number.NaN }])).toThrow();
  });
});

describe("csvAmount", () => {
  it("writes minor units as an exact major-unit decimal, unquoted, negative ones too", () => {
    const csv = toCsv(
      ["amount", "refund", "yen", "note"],
      [
        {
          amount: csvAmount(1550, "EUR"),
          refund: csvAmount(-5, "EUR"),
          yen: csvAmount(-500, "JPY"),
          note: "-15.50",
        },
      ],
    );
    expect(csv.split("\n")[1]).toBe(`15.50,-0.05,-500,"'-15.50"`);
    expect(toMajorDecimal(123_456_789_012, "EUR")).toBe("1234567890.12");
  });

  it("refuses a decimal cell that is not a number", () => {
    expect(() => toCsv(["a"], [{ a: { decimal: "=1+1" } }])).toThrow();
    expect(() => csvAmount(1.5, "EUR")).toThrow();
  });
});
