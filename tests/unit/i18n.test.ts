import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { IntlMessageFormat } from "intl-messageformat";
import { describe, expect, it } from "vitest";
import { browserCatalog, catalogs, compileMessage } from "~/i18n/catalogs.server";
import { en, type MessageKey } from "~/i18n/en";
import { LANGUAGES } from "~/i18n/languages";
import {
  DEFAULT_LOCALE,
  formatMessage,
  isLocale,
  LOCALES,
  ownLanguageName,
  pickText,
  translate,
  type BrowserCatalog,
} from "~/utils/i18n";
import { formatMoney, minorUnitDigits } from "~/utils/money";
import { formatDateTime } from "~/utils/format";

type Element = ReturnType<IntlMessageFormat["getAst"]>[number];

/**
 * What a message needs from its caller: every argument ("{name}", "{n, plural, …}",
 * also inside plural and select branches) and tag, and every plural with the
 * categories it offers (exact "=0" branches left out).
 */
function shapeOf(message: string, locale: string) {
  const args = new Set<string>();
  const plurals: string[][] = [];
  const walk = (elements: Element[]) => {
    for (const e of elements) {
      if ("value" in e && typeof e.value === "string" && e.type !== 0) args.add(e.value);
      if (e.type === 8) args.add(`<${e.value}>`);
      if ("options" in e) {
        if (e.type === 6) plurals.push(Object.keys(e.options).filter((k) => !k.startsWith("=")));
        for (const option of Object.values(e.options)) walk(option.value);
      }
      if ("children" in e) walk(e.children);
    }
  };
  walk(new IntlMessageFormat(message, locale).getAst());
  return { args, plurals };
}

/** The plural categories whole numbers take in a language (Polish: one, few, many), and `other`. */
function integerCategories(locale: string): string[] {
  const rules = new Intl.PluralRules(locale);
  const found = new Set<string>(["other"]);
  for (let n = 0; n <= 1000; n++) found.add(rules.select(n));
  return [...found].sort();
}

const languages = Object.entries(catalogs) as [keyof typeof catalogs, Record<MessageKey, string>][];
const keys = Object.keys(en).sort();

describe("message catalogs", () => {
  it("are all registered, English first: a catalog file is a language", () => {
    const dir = fileURLToPath(new URL("../../app/i18n/", import.meta.url));
    const files = readdirSync(dir)
      .filter((f) => f.endsWith(".ts") && !["catalogs.server.ts", "languages.ts"].includes(f))
      .map((f) => f.slice(0, -3));
    expect([...LOCALES].sort()).toEqual(files.sort());
    expect(Object.keys(catalogs).sort()).toEqual(files.sort());
    expect(LOCALES[0]).toBe(DEFAULT_LOCALE);
    expect(LOCALES).toContain("pl");
    for (const l of LOCALES) expect(isLocale(l)).toBe(true);
    expect(isLocale("de")).toBe(false);
    expect(isLocale("toString")).toBe(false);
  });

  for (const [locale, catalog] of languages) {
    describe(locale, () => {
      it("has exactly the keys of en.ts", () => {
        expect(Object.keys(catalog).sort()).toEqual(keys);
      });
      it("parses every message, with the arguments English has", () => {
        for (const key of keys as MessageKey[]) {
          const english = shapeOf(en[key], "en").args;
          expect(() => shapeOf(catalog[key], locale), key).not.toThrow();
          expect(shapeOf(catalog[key], locale).args, key).toEqual(english);
        }
      });
      it("gives every plural each category whole numbers take in this language", () => {
        const wanted = integerCategories(locale);
        const allowed = new Set(new Intl.PluralRules(locale).resolvedOptions().pluralCategories);
        for (const key of keys as MessageKey[]) {
          for (const offered of shapeOf(catalog[key], locale).plurals) {
            expect(
              offered.filter((c) => !allowed.has(c as Intl.LDMLPluralRule)),
              `${key}: not a category of ${locale}`,
            ).toEqual([]);
            expect(
              wanted.filter((c) => !offered.includes(c)),
              `${key}: missing`,
            ).toEqual([]);
          }
        }
      });
      it("names itself in its own language, and says something in it", () => {
        const others = languages.filter(([l]) => l !== locale);
        expect(ownLanguageName(locale)).toBe(LANGUAGES[locale]);
        expect(new Set(Object.values(LANGUAGES)).size).toBe(LOCALES.length);
        for (const [, other] of others) {
          // A catalog copied from another and left untranslated is not a language.
          const same = keys.filter((k) => catalog[k as MessageKey] === other[k as MessageKey]);
          expect(same.length, same.slice(0, 20).join(", ")).toBeLessThan(keys.length / 20);
        }
      });
    });
  }

  it("uses Russian plural forms", () => {
    expect(translate("ru", "login.rateLimited", { seconds: 1 })).toContain("1 секунду");
    expect(translate("ru", "login.rateLimited", { seconds: 3 })).toContain("3 секунды");
    expect(translate("ru", "login.rateLimited", { seconds: 5 })).toContain("5 секунд");
    expect(translate("en", "login.rateLimited", { seconds: 1 })).toContain("1 second.");
  });

  it("uses Polish plural forms: one, few (2–4, 22–24), many (5–21, 25–31, 112)", () => {
    const seconds = (n: number) => translate("pl", "login.rateLimited", { seconds: n });
    expect(seconds(1)).toContain("za 1 sekundę.");
    for (const n of [2, 3, 4, 22, 34, 102]) expect(seconds(n)).toContain(`za ${n} sekundy.`);
    for (const n of [0, 5, 11, 12, 14, 21, 25, 112])
      expect(seconds(n)).toContain(`za ${n} sekund.`);
    const orders = (count: number) => translate("pl", "privacy.orders", { count });
    expect(orders(0)).toBe("Brak zamówień");
    expect(orders(1)).toBe("1 zamówienie");
    expect(orders(3)).toBe("3 zamówienia");
    expect(orders(13)).toBe("13 zamówień");
    expect(translate("pl", "v.maxLength", { n: 120 })).toBe("Użyj najwyżej 120 znaków.");
  });
});

// The browser formats from the compiled catalog it fetched as JSON (decision
// 0052): the same text as the server's for every message, with arguments.
describe("the catalog a page fetches", () => {
  /** Values for every argument a message takes: plurals get a number, the rest a word. */
  function sampleValues(key: MessageKey, n: number) {
    const values: Record<string, string | number> = {};
    const source = en[key];
    for (const m of source.matchAll(/\{\s*([a-zA-Z0-9_]+)\s*(,\s*(plural|selectordinal|select))?/g))
      values[m[1]!] =
        m[3] === "plural" || m[3] === "selectordinal" ? n : m[3] ? "other" : `«${m[1]}»`;
    return values;
  }

  for (const locale of LOCALES) {
    it(`${locale}: formats every message as intl-messageformat does, after a trip through JSON`, () => {
      const { json, version } = browserCatalog(locale);
      expect(version).toMatch(/^[0-9a-f]{16}$/);
      const fetched = JSON.parse(json) as BrowserCatalog;
      for (const key of Object.keys(en) as MessageKey[]) {
        if (key.startsWith("email.")) {
          expect(fetched[key], `${key}: emails' messages stay on the server`).toBeUndefined();
          continue;
        }
        for (const n of [0, 1, 2, 5, 22, 1.5]) {
          const values = sampleValues(key, n);
          const expected = String(
            new IntlMessageFormat(catalogs[locale][key], locale).format(values),
          );
          expect(translate(locale, key, values), key).toBe(expected);
          expect(formatMessage(fetched[key]!, locale, values), key).toBe(expected);
        }
      }
    });
  }

  it("changes its version with its content, and not otherwise", () => {
    expect(browserCatalog("ru").version).toBe(browserCatalog("ru").version);
    expect(browserCatalog("ru").version).not.toBe(browserCatalog("pl").version);
  });

  it("compiles a message without arguments to its text, ICU escapes applied", () => {
    expect(compileMessage("It''s '{'literal'}'", "en")).toBe("It's {literal}");
    expect(compileMessage("Hi {name}", "en")).not.toBeTypeOf("string");
    expect(formatMessage(compileMessage("Hi {name}", "en"), "en", { name: "Ana" })).toBe("Hi Ana");
  });

  it("refuses what the formatter does not format: number, date, time and tag elements", () => {
    expect(() => compileMessage("{n, number}", "en")).toThrow(/number element/);
    expect(() => compileMessage("{n, plural, other {{d, date, short}}}", "en")).toThrow(
      /date element/,
    );
    expect(() => compileMessage("{t, time}", "en")).toThrow(/time element/);
    expect(() => formatMessage(compileMessage("Hi {name}", "en"), "en", {})).toThrow(/"name"/);
  });
});

describe("per-language stored texts", () => {
  const text = { en: "Hello", ru: "Привет", pl: "Cześć" };
  it("are read in the reader's language", () => {
    expect(pickText(text, "pl")).toEqual({ text: "Cześć", language: "pl" });
  });
  it("fall back to the festival's languages in order, then one text for all, then English", () => {
    expect(pickText({ ru: "Привет", en: "Hello" }, "pl", ["ru", "en"])).toEqual({
      text: "Привет",
      language: "ru",
    });
    expect(pickText({ ru: "Привет", en: "Hello" }, "pl")).toEqual({
      text: "Hello",
      language: "en",
    });
    expect(pickText({ "*": "Tak", en: "Hello" }, "pl")).toEqual({ text: "Tak", language: null });
    expect(pickText({ lv: "Sveiki" }, "pl")).toEqual({ text: "Sveiki", language: "lv" });
    expect(pickText({ pl: "", en: "Hello" }, "pl")).toEqual({ text: "Hello", language: "en" });
    expect(pickText({}, "pl")).toBeNull();
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
