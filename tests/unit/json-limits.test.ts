// The count of keys and values done on JSON text before it is parsed (app/utils/api.server.ts).
import { describe, expect, it } from "vitest";
import { MAX_JSON_KEYS_PER_OBJECT, MAX_JSON_VALUES, tooManyFields } from "~/utils/api.server";
import { festivalBody } from "../helpers/fixtures";

const objectWith = (n: number) =>
  JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])));

describe("tooManyFields", () => {
  it("lets ordinary bodies through", () => {
    expect(tooManyFields(JSON.stringify(festivalBody()))).toBe(false);
    expect(tooManyFields(objectWith(MAX_JSON_KEYS_PER_OBJECT))).toBe(false);
    const batch = {
      scans: Array.from({ length: 500 }, (_, i) => ({
        token: "t".repeat(100),
        nonce: `n${i}`,
        direction: "in",
        scannedAt: "2030-01-26T15:00:00Z",
        offlineResult: "admitted",
      })),
    };
    expect(tooManyFields(JSON.stringify(batch))).toBe(false);
  });

  it("refuses an object with too many keys, at any depth", () => {
    expect(tooManyFields(objectWith(MAX_JSON_KEYS_PER_OBJECT + 1))).toBe(true);
    expect(tooManyFields(`{"a":{"b":${objectWith(MAX_JSON_KEYS_PER_OBJECT + 1)}}}`)).toBe(true);
  });

  it("refuses too many values in arrays, and deep nesting", () => {
    expect(tooManyFields(JSON.stringify({ a: new Array(MAX_JSON_VALUES).fill(1) }))).toBe(true);
    expect(tooManyFields("[".repeat(MAX_JSON_VALUES + 1))).toBe(true);
  });

  it("does not count separators inside strings, escaped quotes included", () => {
    const text = JSON.stringify({ a: `x\\",:`.repeat(50_000) + '"{[,:' });
    expect(tooManyFields(text)).toBe(false);
  });
});
