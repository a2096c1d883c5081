import { describe, expect, it } from "vitest";
import { z } from "zod";
import { festivalInput } from "~/models/festival.server";
import { translator } from "~/utils/i18n";
import {
  countryCode,
  currency,
  email,
  fieldErrors,
  fieldPath,
  hasInvisibleFormat,
  MAX_FIELD_ERRORS,
  parseMoment,
  text,
  timeZone,
  toLocalInput,
} from "~/utils/validation";
import { INVISIBLE, JOINED_TEXT } from "../helpers/bad-input";
import { festivalBody } from "../helpers/fixtures";

describe("text()", () => {
  const name = text({ max: 10 });
  it("trims and NFC-normalises", () => {
    expect(name.parse("  e\u0301te  ")).toBe("\u00e9te");
  });
  it.each([
    ["empty", ""],
    ["only spaces", "   "],
    ["too long", "x".repeat(11)],
    ["NUL byte", "a\u0000b"],
    ["newline in a single-line field", "a\nb"],
    ["right-to-left override", "abc\u202Eexe"],
    ["byte order mark inside", "ab\ufeffc"],
  ])("refuses %s", (_label, value) => {
    expect(name.safeParse(value).success).toBe(false);
  });
  it("accepts emoji, Cyrillic and zero-width joiners inside emoji", () => {
    expect(name.parse("Рига 👩‍🎤")).toBe("Рига 👩‍🎤");
  });
  it("allows newlines in multiline text", () => {
    expect(text({ max: 100, multiline: true }).parse("a\r\nb")).toBe("a\nb");
  });
});

describe("codes", () => {
  it("upper-cases and checks ISO codes", () => {
    expect(countryCode.parse("lv")).toBe("LV");
    expect(countryCode.safeParse("XX").success).toBe(false);
    expect(countryCode.safeParse("LVA").success).toBe(false);
    expect(currency.parse("eur")).toBe("EUR");
    expect(currency.safeParse("EURO").success).toBe(false);
    expect(currency.safeParse("ABC").success).toBe(false);
  });
  it("accepts IANA zones only", () => {
    expect(timeZone.parse("Europe/Riga")).toBe("Europe/Riga");
    expect(timeZone.parse("America/Sao_Paulo")).toBe("America/Sao_Paulo");
    for (const bad of ["Mars/Olympus", "+02:00", "../../etc/passwd", "Europe/Riga\u0000", ""]) {
      expect(timeZone.safeParse(bad).success, bad).toBe(false);
    }
  });
  it("normalises email case", () => {
    expect(email.parse(" Ada@Example.TEST ")).toBe("ada@example.test");
    expect(email.safeParse("not-an-email").success).toBe(false);
  });
});

describe("parseMoment", () => {
  it("reads offsets as given and local times in the festival's zone", () => {
    expect(parseMoment("2030-01-26T15:00:00+02:00", "America/Toronto")?.toISOString()).toBe(
      "2030-01-26T13:00:00.000Z",
    );
    expect(parseMoment("2030-01-26T15:00", "Europe/Riga")?.toISOString()).toBe(
      "2030-01-26T13:00:00.000Z",
    );
    expect(parseMoment("2030-07-26T15:00", "Europe/Riga")?.toISOString()).toBe(
      "2030-07-26T12:00:00.000Z",
    );
    expect(parseMoment("2030-01-26T15:00", "America/Sao_Paulo")?.toISOString()).toBe(
      "2030-01-26T18:00:00.000Z",
    );
  });
  it("refuses impossible dates and far years", () => {
    expect(parseMoment("2030-02-30T10:00", "Europe/Riga")).toBeNull();
    expect(parseMoment("1999-01-01T10:00", "Europe/Riga")).toBeNull();
    expect(parseMoment("tomorrow", "Europe/Riga")).toBeNull();
  });
  it("round-trips through the form's local value", () => {
    expect(toLocalInput(new Date("2030-01-26T13:00:00Z"), "Europe/Riga")).toBe("2030-01-26T15:00");
  });
});

describe("festivalInput", () => {
  it("accepts a complete festival and converts times to UTC", () => {
    const parsed = festivalInput.parse(festivalBody());
    expect(parsed.startsAt.toISOString()).toBe("2030-01-26T13:00:00.000Z");
    expect(parsed.paymentMethods).toEqual(["door"]);
  });
  it("reports every problem by field, in the reader's language", () => {
    const result = festivalInput.safeParse(
      festivalBody({ country: "ZZ", endsAt: "2030-01-25T10:00:00Z", description: { de: "Hallo" } }),
    );
    expect(result.success).toBe(false);
    const en = fieldErrors(result.error!);
    expect(en.country).toContain("ISO 3166-1");
    const ru = fieldErrors(result.error!, translator("ru"));
    expect(ru.country).toContain("код страны");
  });
  it("refuses a description in a language the festival does not offer", () => {
    const result = festivalInput.safeParse(
      festivalBody({ languages: ["en"], description: { ru: "Привет" } }),
    );
    expect(fieldErrors(result.error!)["description.ru"]).toBeDefined();
  });
});

describe("fieldErrors: bounded, and no echo of input", () => {
  const strict = z.object({ name: z.string() }).strict();

  it("names at most MAX_FIELD_ERRORS fields, and says there were more", () => {
    const body = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, 1]));
    const fields = fieldErrors(strict.safeParse(body).error!);
    expect(Object.keys(fields)).toHaveLength(MAX_FIELD_ERRORS + 1);
    expect(fields._form).toBe(translator("en")("v.moreErrors"));
    expect(fieldErrors(strict.safeParse(body).error!, translator("ru"))._form).toBe(
      translator("ru")("v.moreErrors"),
    );
  });

  it("never names a key that is long or not a plain name", () => {
    const long = "k".repeat(65);
    const fields = fieldErrors(
      strict.safeParse({ name: "x", [long]: 1, "<img src=x>": 1, ok_key: 1 }).error!,
    );
    expect(Object.keys(fields).sort()).toEqual(["_form", "ok_key"]);
  });

  it("cuts a path before its first strange segment", () => {
    expect(fieldPath(["description", "en"])).toBe("description.en");
    expect(fieldPath(["items", 3, "quantity"])).toBe("items.3.quantity");
    expect(fieldPath(["description", "a b", "x"])).toBe("description");
    expect(fieldPath(["\u202e"])).toBe("_form");
  });
});

describe("text(): invisible format characters (Unicode Cf)", () => {
  const name = text({ max: 120 });
  const messageOf = (value: string) => {
    const r = name.safeParse(value);
    return r.success ? null : fieldErrors(r.error)._form;
  };

  it.each(INVISIBLE)("refuses %s with its own message", (_label, value) => {
    expect(messageOf(value)).toBe(translator("en")("v.invisibleChars"));
    expect(hasInvisibleFormat(value)).toBe(true);
  });

  it("refuses every other format character too (the whole category)", () => {
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const c = String.fromCodePoint(cp);
      if (!/\p{Cf}/u.test(c)) continue;
      expect(name.safeParse(`Ri${c}ga`).success, `U+${cp.toString(16).toUpperCase()}`).toBe(false);
    }
  });

  it("keeps bidi controls and the byte order mark under their existing message", () => {
    expect(messageOf("Riga \u202egnp.exe")).toBe(translator("en")("v.controlChars"));
    expect(messageOf("Ri\ufeffga")).toBe(translator("en")("v.controlChars"));
  });

  it.each(JOINED_TEXT)("keeps %s", (_label, value) => {
    expect(name.parse(value)).toBe(value.normalize("NFC"));
  });

  it("a joiner at the edge of an emoji or between a letter and an emoji is refused", () => {
    expect(hasInvisibleFormat("\u{1f469}\u200d")).toBe(true);
    expect(hasInvisibleFormat("a\u200d\u{1f469}")).toBe(true);
    expect(hasInvisibleFormat("\u{e0067}\u{e0062}\u{e007f}")).toBe(true);
  });
});

describe("fieldErrors: unions", () => {
  it("reports the specific message of the option whose type fitted", () => {
    const localizedName = z.union([text({ max: 10 }), z.record(z.string(), text({ max: 10 }))]);
    const schema = z.object({ name: localizedName });
    const asText = fieldErrors(schema.safeParse({ name: "Ri\u200bga" }).error!);
    expect(asText).toEqual({ name: translator("en")("v.invisibleChars") });
    const asRecord = fieldErrors(schema.safeParse({ name: { en: "Ri\u200bga" } }).error!);
    expect(asRecord).toEqual({ "name.en": translator("en")("v.invisibleChars") });
    // Neither option's type fits: the union's own message.
    expect(fieldErrors(schema.safeParse({ name: 42 }).error!)).toEqual({
      name: translator("en")("v.invalid"),
    });
  });
});
