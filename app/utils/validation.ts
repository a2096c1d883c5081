// Input rules shared by forms and the JSON API (zod). Every text goes through
// `text()`: NFC-normalised, trimmed, length-limited, and free of control,
// bidirectional-override and invisible format characters, which have no place
// in these fields.
import countries from "i18n-iso-countries";
import { DateTime } from "luxon";
import { z } from "zod";
import { en, type MessageKey } from "~/i18n/en";
import { translator, type MessageValues, type Translate } from "./i18n";
import { formatMoney, isCurrency } from "./money";

// C0/C1 controls (tab and newlines allowed only where multiline), bidi overrides
// and isolates, and non-characters.
const FORBIDDEN_SINGLE_LINE =
  /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]/;
const FORBIDDEN_MULTILINE =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]/;
/**
 * Format characters (Unicode category Cf: U+200B zero-width space, U+2060 word
 * joiner, U+00AD soft hyphen, U+200E marks, tags …) are invisible: they let two
 * names look the same. Refused, except where a script or an emoji needs one:
 * a joiner inside an emoji sequence, the tags of a subdivision flag, and a
 * (non-)joiner between two letters of a script that shapes with it.
 */
const FORMAT_CHARACTER = /\p{Cf}/u;
const JOINING_SCRIPT = String.raw`\p{sc=Arabic}\p{sc=Syriac}\p{sc=Devanagari}\p{sc=Bengali}\p{sc=Gurmukhi}\p{sc=Gujarati}\p{sc=Oriya}\p{sc=Tamil}\p{sc=Telugu}\p{sc=Kannada}\p{sc=Malayalam}\p{sc=Sinhala}`;
const ALLOWED_FORMAT = new RegExp(
  [
    // Family and rainbow-flag emoji: a ZWJ between pictographs (after a variation selector or skin tone).
    String.raw`(?<=\p{Extended_Pictographic}(?:\u{FE0F}|[\u{1F3FB}-\u{1F3FF}])?)\u200D(?=\p{Extended_Pictographic})`,
    // Black flag + tag letters + cancel tag: the flags of Scotland, Wales, England.
    String.raw`(?<=\u{1F3F4})[\u{E0020}-\u{E007E}]+\u{E007F}`,
    // Persian, Hindi …: a (non-)joiner between two letters of a script that shapes with it.
    String.raw`(?<=[${JOINING_SCRIPT}]\p{M}*)[\u200C\u200D](?=[${JOINING_SCRIPT}])`,
  ].join("|"),
  "gu",
);

/** Whether `s` holds an invisible format character that no script or emoji needs there. */
export function hasInvisibleFormat(s: string) {
  return FORMAT_CHARACTER.test(s) && FORMAT_CHARACTER.test(s.replace(ALLOWED_FORMAT, ""));
}

/** A UTF-16 surrogate without its pair: not Unicode text (SQLite/Prisma cannot store it). */
export const LONE_SURROGATE =
  /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function text(options: { max: number; min?: number; multiline?: boolean }) {
  const { max, min = 1, multiline = false } = options;
  return z
    .string({ error: "v.text" })
    .max(max * 4, { error: `v.maxLength|${max}` })
    .transform((s) => s.normalize("NFC").replace(/\r\n?/g, "\n").trim())
    .pipe(
      z
        .string()
        .min(min, { error: min === 1 ? "v.required" : `v.minLength|${min}` })
        .max(max, { error: `v.maxLength|${max}` })
        .refine(
          (s) =>
            !(multiline ? FORBIDDEN_MULTILINE : FORBIDDEN_SINGLE_LINE).test(s) &&
            !LONE_SURROGATE.test(s),
          {
            error: "v.controlChars",
          },
        )
        .refine((s) => !hasInvisibleFormat(s), { error: "v.invisibleChars" }),
    );
}

/** An optional text: empty string or missing becomes undefined. */
export function optionalText(options: { max: number; multiline?: boolean }) {
  return z.preprocess(
    (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
    text(options).optional(),
  );
}

export const email = z
  .string({ error: "v.email" })
  .max(254, { error: "v.maxLength|254" })
  .transform((s) => s.trim().toLowerCase())
  .pipe(z.email({ error: "v.email" }).max(254));

export const countryCode = z
  .string({ error: "v.country" })
  .max(2, { error: "v.country" })
  .transform((s) => s.trim().toUpperCase())
  .refine((s) => /^[A-Z]{2}$/.test(s) && countries.isValid(s), { error: "v.country" });

export function isTimeZone(value: string) {
  if (!/^[A-Za-z]+(?:[/_-][A-Za-z0-9+_-]+)*$/.test(value) || value.length > 64) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export const timeZone = z
  .string({ error: "v.timezone" })
  .max(64, { error: "v.timezone" })
  .transform((s) => s.trim())
  .refine(isTimeZone, { error: "v.timezone" });

/** Cash as staff count it, in minor units: a whole number from `min` up to 1,000,000.00. */
export function cashAmountMinor(min: 0 | 1) {
  return z
    .number({ error: "v.amount" })
    .int({ error: "v.amount" })
    .min(min, { error: "v.amount" })
    .max(100_000_000, { error: "v.amount" });
}

export const currency = z
  .string({ error: "v.currency" })
  .max(3, { error: "v.currency" })
  .transform((s) => s.trim().toUpperCase())
  .refine(isCurrency, { error: "v.currency" });

export const httpUrl = z
  .string({ error: "v.url" })
  .max(500, { error: "v.maxLength|500" })
  .transform((s) => s.trim())
  .refine(
    (s) => {
      try {
        const u = new URL(s);
        return (u.protocol === "https:" || u.protocol === "http:") && Boolean(u.hostname);
      } catch {
        return false;
      }
    },
    { error: "v.url" },
  );

/**
 * A moment in time. ISO 8601 with an offset is taken as is; a local date-time
 * without an offset (from a form's datetime-local field) is read in `zone`.
 */
export function parseMoment(value: string, zone: string): Date | null {
  if (value.length > 40) return null;
  const hasOffset = /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i.test(value.trim());
  const dt = hasOffset
    ? DateTime.fromISO(value.trim(), { setZone: true })
    : DateTime.fromISO(value.trim(), { zone });
  if (!dt.isValid) return null;
  if (dt.year < 2000 || dt.year > 2100) return null;
  return dt.toUTC().toJSDate();
}

/** Format a UTC moment as a datetime-local value in `zone` (for form defaults). */
export function toLocalInput(date: Date | string, zone: string) {
  return DateTime.fromJSDate(new Date(date)).setZone(zone).toFormat("yyyy-MM-dd'T'HH:mm");
}

/**
 * Validation messages are catalog keys ("v.maxLength|120" carries a number;
 * "v.belowMinimum|500|EUR" an amount of money, shown as "€5.00" in the reader's
 * locale); this turns one into text in the reader's language.
 */
export function localizeMessage(message: string, t: Translate): string {
  const [key, n, currency] = message.split("|");
  if (!key || !isMessageKey(key)) return t("v.invalid");
  if (n === undefined) return t(key);
  const values: MessageValues = { n: Number(n) };
  if (currency && isCurrency(currency) && Number.isSafeInteger(Number(n)))
    values.amount = formatMoney(Number(n), currency, t.locale ?? "en");
  return t(key, values);
}

/** A money message with its amount: `moneyMessage("v.belowMinimum", 500, "EUR")` → "v.belowMinimum|500|EUR". */
export function moneyMessage(key: MessageKey, amountMinor: number, currency: string) {
  return `${key}|${amountMinor}|${currency}`;
}

/**
 * A date and time as typed (a datetime-local value, or ISO 8601 with an offset
 * from the API): checked on its own here, so a bad one is reported together with
 * every other field; it is read in the festival's zone later (parseMoment).
 */
export const dateTimeText = z
  .string({ error: "v.dateTime" })
  .max(40, { error: "v.dateTime" })
  .refine((s) => parseMoment(s, "UTC") !== null, { error: "v.dateTime" });

/**
 * For a rule across fields (`.superRefine(rule, { when: fieldsValid("a", "b") })`):
 * run it whenever the fields it reads are valid, even if other fields are not,
 * so every broken rule is reported at once.
 */
export function fieldsValid(...names: string[]) {
  return (payload: z.core.ParsePayload) =>
    !payload.issues.some((i) => !i.path?.length || names.includes(String(i.path[0])));
}

function isMessageKey(key: string): key is MessageKey {
  return key.startsWith("v.") && key in en;
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.message.startsWith("v.")) return issue.message;
  if (issue.code === "unrecognized_keys") return "v.unknownField";
  if (issue.code === "invalid_type") return "v.invalidType";
  if (issue.code === "too_big") return "v.tooBig";
  if (issue.code === "too_small") return "v.tooSmall";
  return "v.invalid";
}

/**
 * A union that matched no option (a text or a per-language record, say) reports
 * the issues of the one option whose type fitted, at their own paths, so the
 * field gets its specific message; otherwise the union's own issue.
 */
function unionBranch(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== "invalid_union" || !issue.errors.length) return [issue];
  const fitting = issue.errors.filter(
    (branch) => !branch.some((i) => i.code === "invalid_type" && i.path.length === 0),
  );
  if (fitting.length !== 1) return [issue];
  return fitting[0]!.map((i) => ({ ...i, path: [...issue.path, ...i.path] })).flatMap(unionBranch);
}

/** At most this many fields are reported at once; the rest wait for the next try. */
export const MAX_FIELD_ERRORS = 20;
/** A key that may be named back to the client: short, plain (a schema's own names are). */
const PLAIN_KEY = /^[A-Za-z0-9_$-]{1,64}$/;

/**
 * A field's name in an error answer: its path, cut before the first key that is
 * not a plain short name (never an echo of arbitrary input), "_form" for the
 * whole body.
 */
export function fieldPath(path: readonly PropertyKey[]): string {
  const kept: string[] = [];
  for (const segment of path) {
    if (typeof segment === "number") kept.push(String(segment));
    else if (typeof segment === "string" && PLAIN_KEY.test(segment)) kept.push(segment);
    else break;
  }
  return kept.join(".") || "_form";
}

/**
 * Turn zod issues into {field: message} (first message per field), in the
 * reader's language: at most MAX_FIELD_ERRORS fields, and `_form` says when
 * there were more.
 */
export function fieldErrors(
  error: z.ZodError,
  t: Translate = translator("en"),
): Record<string, string> {
  // No prototype: keys such as "__proto__" or "constructor" (unknown fields a
  // client sent) must become own keys, not hit Object.prototype.
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  let count = 0;
  let more = false;
  const add = (key: string, message: string) => {
    if (key in out) return;
    if (count >= MAX_FIELD_ERRORS) {
      more = true;
      return;
    }
    out[key] = localizeMessage(message, t);
    count++;
  };
  for (const issue of error.issues.flatMap(unionBranch)) {
    if (more) break;
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) add(fieldPath([...issue.path, key]), "v.unknownField");
      continue;
    }
    add(fieldPath(issue.path), issueMessage(issue));
  }
  if (more && !("_form" in out)) out._form = localizeMessage("v.moreErrors", t);
  return out;
}
