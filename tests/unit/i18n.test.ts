import { IntlMessageFormat } from "intl-messageformat";
import { describe, expect, it } from "vitest";
import { en } from "~/i18n/en";
import { ru } from "~/i18n/ru";
import { translate } from "~/utils/i18n";
import { formatMoney, minorUnitDigits } from "~/utils/money";
import { formatDateTime } from "~/utils/format";

describe("message catalogs", () => {
  it("have the same keys in English and Russian", () => {
    expect(Object.keys(ru).sort()).toEqual(Object.keys(en).sort());
  });
  it("parse as ICU messages with the same placeholders", () => {
    // Arguments are "{name}" or "{name, plural, …}"; plural branches ("=0 {Text …}") are not.
    const placeholders = (s: string) =>
      [...s.matchAll(/\{\s*(\w+)\s*[,}]/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(() => new IntlMessageFormat(en[key], "en"), key).not.toThrow();
      expect(() => new IntlMessageFormat(ru[key], "ru"), key).not.toThrow();
      expect(new Set(placeholders(ru[key])), key).toEqual(new Set(placeholders(en[key])));
    }
  });
  it("uses Russian plural forms", () => {
    expect(translate("ru", "login.rateLimited", { seconds: 1 })).toContain("1 секунду");
    expect(translate("ru", "login.rateLimited", { seconds: 3 })).toContain("3 секунды");
    expect(translate("ru", "login.rateLimited", { seconds: 5 })).toContain("5 секунд");
    expect(translate("en", "login.rateLimited", { seconds: 1 })).toContain("1 second.");
  });
});

describe("formatting", () => {
  it("formats money from integer minor units, exactly", () => {
    expect(formatMoney(123456, "EUR", "en")).toBe("€1,234.56");
    expect(formatMoney(21311900, "RUB", "ru")).toMatch(/^213\s119,00\s₽$/);
    expect(formatMoney(500, "JPY", "en")).toBe("¥500");
    expect(formatMoney(-5, "EUR", "en")).toBe("-€0.05");
    expect(formatMoney(9007199254740991, "EUR", "en")).toBe("€90,071,992,547,409.91");
    expect(minorUnitDigits("EUR")).toBe(2);
    expect(() => formatMoney(1.5, "EUR", "en")).toThrow();
  });
  it("formats times in the festival's zone, not the server's", () => {
    expect(formatDateTime("2030-01-26T13:00:00Z", "en", "Europe/Riga")).toContain("3:00");
    expect(formatDateTime("2030-01-26T13:00:00Z", "ru", "America/Toronto")).toContain("08:00");
  });
});
