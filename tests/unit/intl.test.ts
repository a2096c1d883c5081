import { describe, expect, it } from "vitest";
import { countryName, formatDate, formatDateTime, formatTime, zoneLabel } from "~/utils/format";
import { dateTimeFormat, displayNames, intlCacheSize, numberFormat } from "~/utils/intl";
import { formatMoney, minorUnitDigits } from "~/utils/money";
import { localDay } from "~/models/tattoo-schedule";

// The formatters behind every date, time and amount shown (the evening bench's
// top hot spot was building a new one per call): made once per locale and
// options, and answering exactly as a fresh Intl object would.
describe("cached Intl formatters", () => {
  it("gives the same formatter for the same locale and options, another for others", () => {
    const a = dateTimeFormat("en", { timeStyle: "short", timeZone: "Europe/Riga" });
    expect(dateTimeFormat("en", { timeStyle: "short", timeZone: "Europe/Riga" })).toBe(a);
    expect(dateTimeFormat("ru", { timeStyle: "short", timeZone: "Europe/Riga" })).not.toBe(a);
    expect(dateTimeFormat("en", { timeStyle: "short", timeZone: "America/Toronto" })).not.toBe(a);
    expect(dateTimeFormat("en", { dateStyle: "long", timeZone: "Europe/Riga" })).not.toBe(a);
    // The same value under another option's name is another formatter.
    expect(dateTimeFormat("en", { month: "short" }).format(new Date(0))).toBe("Jan");
    expect(dateTimeFormat("en", { weekday: "short", timeZone: "UTC" }).format(new Date(0))).toBe(
      "Thu",
    );
    const eur = numberFormat("en", { style: "currency", currency: "EUR" });
    expect(numberFormat("en", { style: "currency", currency: "EUR" })).toBe(eur);
    expect(numberFormat("en", { style: "currency", currency: "JPY" })).not.toBe(eur);
    expect(displayNames("en", { type: "region" })).toBe(displayNames("en", { type: "region" }));
  });

  it("formats exactly as a fresh Intl object, in each zone and language", () => {
    const instants = ["2026-03-29T00:30:00Z", "2026-10-25T01:15:00Z", "2030-01-26T15:00:00Z"];
    const spaces = (s: string) => s.replace(/[\u2009\u202f]/g, " ");
    for (const locale of ["en", "ru"] as const)
      for (const timeZone of ["Europe/Riga", "America/Sao_Paulo", "Asia/Tokyo", "UTC"])
        for (const at of instants) {
          const d = new Date(at);
          expect(formatTime(at, locale, timeZone)).toBe(
            spaces(new Intl.DateTimeFormat(locale, { timeStyle: "short", timeZone }).format(d)),
          );
          expect(formatDate(at, locale, timeZone)).toBe(
            spaces(new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone }).format(d)),
          );
          expect(formatDateTime(d, locale, timeZone)).toBe(
            spaces(
              new Intl.DateTimeFormat(locale, {
                dateStyle: "medium",
                timeStyle: "short",
                timeZone,
              }).format(d),
            ),
          );
          expect(zoneLabel(at, locale, timeZone)).toBe(
            new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: "shortOffset" })
              .formatToParts(d)
              .find((p) => p.type === "timeZoneName")!.value,
          );
        }
    // A day in the zone, not in UTC: 00:30 UTC is still the 28th in São Paulo.
    expect(localDay("2026-03-29T00:30:00Z", "America/Sao_Paulo")).toBe("2026-03-28");
    expect(localDay("2026-03-29T00:30:00Z", "Europe/Riga")).toBe("2026-03-29");
    expect(formatMoney(150050, "EUR", "en")).toBe("€1,500.50");
    expect(formatMoney(1500, "JPY", "en")).toBe("¥1,500");
    expect(minorUnitDigits("JPY")).toBe(0);
    expect(countryName("LV", "en")).toBe("Latvia");
  });

  it("caches nothing for an unknown zone or currency (the error still reaches the caller)", () => {
    const before = intlCacheSize();
    expect(() => dateTimeFormat("en", { timeZone: "Mars/Olympus_Mons" })).toThrow(RangeError);
    expect(() => numberFormat("en", { style: "currency", currency: "EURO" })).toThrow(RangeError);
    expect(intlCacheSize()).toEqual(before);
  });

  it("stays bounded however many different options it is asked for", () => {
    let distinct = 0;
    for (let integer = 1; integer <= 21; integer++)
      for (let significant = 1; significant <= 21; significant++)
        for (const useGrouping of [true, false]) {
          numberFormat("en", {
            minimumIntegerDigits: integer,
            maximumSignificantDigits: significant,
            useGrouping,
          });
          distinct++;
        }
    expect(distinct).toBeGreaterThan(500);
    expect(intlCacheSize().number).toBeGreaterThan(0);
    expect(intlCacheSize().number).toBeLessThanOrEqual(500);
  });
});
