// Every language's message catalog, on the server only. A catalog file is
// registered here with one line (and its code and name in languages.ts); the
// type check refuses a language listed there without a catalog here, and a
// catalog whose keys are not English's. docs/i18n.md says more.
//
// Messages are compiled once (ICU source → the message's syntax tree, or its
// text when it has no argument) and formatted from that by app/utils/i18n.ts,
// here and in the browser: the browser fetches its reader's compiled catalog
// as JSON (app/routes/i18n.$locale.ts) and never loads the ICU parser or the
// other languages (decision 0052).
import { parse, TYPE, type MessageFormatElement } from "@formatjs/icu-messageformat-parser";
import { sha256 } from "~/utils/crypto.server";
import type { LANGUAGES } from "./languages";
import { en, type MessageKey } from "./en";
import { pl } from "./pl";
import { ru } from "./ru";

export const catalogs = { en, ru, pl } as const satisfies Record<
  keyof typeof LANGUAGES,
  Readonly<Record<MessageKey, string>>
>;
type Locale = keyof typeof catalogs;

/** A message ready to format: its text when it has no argument, else its ICU syntax tree. */
export type CompiledMessage = string | MessageFormatElement[];

/** Element kinds a message may use: what app/utils/i18n.ts formats, here and in the browser. */
const FORMATTED = new Set([TYPE.literal, TYPE.argument, TYPE.select, TYPE.plural, TYPE.pound]);

function checkElements(elements: MessageFormatElement[], source: string) {
  for (const e of elements) {
    if (!FORMATTED.has(e.type))
      throw new Error(
        `"${source}": a ${TYPE[e.type]} element; messages use arguments, plurals and selects (format numbers and dates before passing them)`,
      );
    if ("options" in e)
      for (const option of Object.values(e.options)) checkElements(option.value, source);
  }
}

/**
 * Parse one ICU message; a message that is only text (after `''` escapes)
 * becomes that text. Throws on a message the formatter cannot format.
 */
export function compileMessage(source: string, locale: string): CompiledMessage {
  const elements = parse(source, { locale: new Intl.Locale(locale), ignoreTag: true });
  checkElements(elements, source);
  if (elements.every((e) => e.type === TYPE.literal))
    return elements.map((e) => (e.type === TYPE.literal ? e.value : "")).join("");
  return elements;
}

const compiled = new Map<string, CompiledMessage>();

/** The compiled message `key` of `locale` (compiled on first use, then kept). */
export function compiledMessage(locale: Locale, key: MessageKey): CompiledMessage {
  const cacheKey = `${locale}\u0000${key}`;
  let message = compiled.get(cacheKey);
  if (message === undefined) {
    message = compileMessage(catalogs[locale][key], locale);
    compiled.set(cacheKey, message);
  }
  return message;
}

/**
 * Keys the browser never formats: the emails' (rendered on the server only).
 * Kept out of the catalog a page fetches.
 */
const SERVER_ONLY_KEY = /^email\./;

type BrowserCatalog = { json: string; version: string };
const browserCatalogs = new Map<Locale, BrowserCatalog>();

/**
 * What a page fetches to speak `locale`: its compiled messages as JSON (without
 * the emails'), and a version that changes with their content (the address
 * carries it, so the file can be cached for good).
 */
export function browserCatalog(locale: Locale): BrowserCatalog {
  let catalog = browserCatalogs.get(locale);
  if (!catalog) {
    const messages: Partial<Record<MessageKey, CompiledMessage>> = {};
    for (const key of Object.keys(catalogs[locale]) as MessageKey[])
      if (!SERVER_ONLY_KEY.test(key)) messages[key] = compiledMessage(locale, key);
    const json = JSON.stringify(messages);
    const version = sha256(json).slice(0, 16);
    catalog = { json, version };
    browserCatalogs.set(locale, catalog);
  }
  return catalog;
}

/** The address of `locale`'s browser catalog, with its version. */
export function browserCatalogHref(locale: Locale): string {
  return `/i18n/${locale}?v=${browserCatalog(locale).version}`;
}
