// Message lookup shared by the server, the browser and the email templates.
// Catalogs live in app/i18n/*.ts; messages use ICU syntax (plurals, selects).
// Messages are formatted from their compiled form (app/i18n/catalogs.server.ts):
// on the server from every catalog, in the browser from the one catalog the page
// fetched for its reader before hydrating (app/entry.client.tsx, decision 0052),
// so the browser loads neither the ICU parser nor the other languages.
import { TYPE } from "@formatjs/icu-messageformat-parser";
// Empty in the browser build (a `.server` module): there `serverMessage` is undefined.
import { compiledMessage as serverMessage, type CompiledMessage } from "~/i18n/catalogs.server";
import type { MessageKey } from "~/i18n/en";
import { LANGUAGES } from "~/i18n/languages";
import { numberFormat, pluralRules } from "./intl";

/** A language of the interface: a key of the registry in app/i18n/languages.ts. */
export type Locale = keyof typeof LANGUAGES;
/** Every language of the interface, English first (the registry's order). */
export const LOCALES = Object.keys(LANGUAGES) as [Locale, ...Locale[]];
/** The language of last resort: every catalog's keys are English's, and stored texts fall back to it. */
export const DEFAULT_LOCALE: Locale = "en";

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && Object.hasOwn(LANGUAGES, value);
}

/** A language's name in itself ("Polski"), as the language switcher shows it. */
export function ownLanguageName(locale: Locale): string {
  return LANGUAGES[locale];
}

export type MessageValues = Record<string, string | number | Date>;
/** A message lookup in one language; `locale` says which (for formatting values such as money). */
export type Translate = ((key: MessageKey, values?: MessageValues) => string) & {
  readonly locale?: Locale;
};

/** A compiled catalog as the browser receives it (the emails' keys are not in it). */
export type BrowserCatalog = Partial<Record<MessageKey, CompiledMessage>>;

const browserCatalogs = new Map<Locale, BrowserCatalog>();

/** The browser: the catalog fetched for `locale` (before hydrating). */
export function provideCatalog(locale: Locale, catalog: BrowserCatalog) {
  browserCatalogs.set(locale, catalog);
}

/** Whether `locale`'s messages can be formatted here (always on the server). */
export function hasCatalog(locale: Locale): boolean {
  return Boolean(serverMessage) || browserCatalogs.has(locale);
}

function messageOf(locale: Locale, key: MessageKey): CompiledMessage {
  if (serverMessage) return serverMessage(locale, key);
  // The browser: the page's catalog. A language switched without a reload (the
  // root reloads the page then) reads the loaded one meanwhile; a key never.
  const catalog = browserCatalogs.get(locale) ?? browserCatalogs.values().next().value;
  return catalog?.[key] ?? key;
}

type Element = Exclude<CompiledMessage, string>[number];
type Values = Readonly<Record<string, unknown>>;

/** An option of a select or plural by its key (own keys only: "constructor" is no option). */
function optionOf(element: Element & { options: object }, key: string): Element[] | undefined {
  const options = element.options as Record<string, { value: Element[] }>;
  return Object.hasOwn(options, key) ? options[key]!.value : undefined;
}

/**
 * The text of compiled elements, as intl-messageformat's `format` gives it
 * (tests/unit/i18n.test.ts compares the two on every message of every
 * catalog): arguments as text, `select` by value else `other`, `plural` by an
 * exact `=n` else the language's category (`Intl.PluralRules`) else `other`,
 * and `#` as the plural's number in the language. Catalogs use nothing else
 * (compileMessage refuses number, date, time and tag elements).
 */
function formatElements(
  elements: readonly Element[],
  locale: Locale,
  values: Values,
  pluralValue?: number,
): string {
  let text = "";
  for (const element of elements) {
    if (element.type === TYPE.literal) {
      text += element.value;
      continue;
    }
    if (element.type === TYPE.pound) {
      if (pluralValue !== undefined) text += numberFormat(locale, {}).format(pluralValue);
      continue;
    }
    const name = element.value;
    if (!Object.hasOwn(values, name)) throw new Error(`A value for "${name}" is missing.`);
    const value = values[name];
    if (element.type === TYPE.argument) {
      text += value === undefined || value === null || value === false ? "" : String(value);
    } else if (element.type === TYPE.select) {
      const chosen = optionOf(element, String(value)) ?? optionOf(element, "other");
      if (!chosen) throw new Error(`No option of "${name}" for ${String(value)}.`);
      text += formatElements(chosen, locale, values);
    } else if (element.type === TYPE.plural) {
      const n = Number(value) - element.offset;
      const chosen =
        optionOf(element, `=${String(value)}`) ??
        optionOf(element, pluralRules(locale, { type: element.pluralType }).select(n)) ??
        optionOf(element, "other");
      if (!chosen) throw new Error(`No option of "${name}" for ${String(value)}.`);
      text += formatElements(chosen, locale, values, n);
    } else {
      throw new Error(`Messages use no ${TYPE[element.type]} element.`);
    }
  }
  return text;
}

/** Format a compiled message (what `translate` does once it has found it). */
export function formatMessage(
  message: CompiledMessage,
  locale: Locale,
  values?: MessageValues,
): string {
  return typeof message === "string" ? message : formatElements(message, locale, values ?? {});
}

/** Translate one message. Unknown keys cannot happen: keys are typed. */
export function translate(locale: Locale, key: MessageKey, values?: MessageValues): string {
  return formatMessage(messageOf(locale, key), locale, values);
}

export function translator(locale: Locale): Translate {
  return Object.assign(
    (key: MessageKey, values?: MessageValues) => translate(locale, key, values),
    { locale },
  );
}

export type { MessageKey };

/**
 * A per-language text (stored as JSON `{language: text}`, `"*"` for one text in
 * every language) in the reader's language, else the first of `preferred` that
 * has it (a festival's own languages), else the one for every language, else
 * English, else any. Says which language it is, so the page can mark it
 * (`lang`) when it is not the reader's.
 */
export function pickText(
  values: Readonly<Record<string, string>>,
  locale: string,
  preferred: readonly string[] = [],
): { text: string; language: string | null } | null {
  for (const language of [locale, ...preferred, "*", DEFAULT_LOCALE]) {
    const text = values[language];
    if (text) return { text, language: language === "*" ? null : language };
  }
  const first = Object.entries(values).find(([, text]) => Boolean(text));
  return first ? { text: first[1], language: first[0] === "*" ? null : first[0] } : null;
}
