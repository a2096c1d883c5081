// Intl formatters, made once and reused. Building an Intl.DateTimeFormat or
// NumberFormat costs tens of microseconds (ICU loads the locale's patterns and
// the zone's rules) while using one costs about one; a festival page lists
// every tattoo slot with its times and donation, so building one per call was
// the app's top CPU cost under load (docs/benchmarks.md, "Trust under load").
// Formatters are immutable, so sharing them is safe; the caches are bounded
// (cleared when full) in case callers pass many different options.
const MAX_ENTRIES = 500;

function memo<T>(cache: Map<string, T>, key: string, make: () => T): T {
  let value = cache.get(key);
  if (value === undefined) {
    value = make(); // throws (RangeError) on an unknown zone or currency: nothing cached
    if (cache.size >= MAX_ENTRIES) cache.clear();
    cache.set(key, value);
  }
  return value;
}

/** The cache key of a locale and flat Intl options (cheaper than JSON.stringify: this runs per call). */
function keyOf(locale: string, options: object): string {
  let key = locale;
  for (const name in options)
    key += `\u0000${name}=${String((options as Record<string, unknown>)[name])}`;
  return key;
}

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();
const numberFormats = new Map<string, Intl.NumberFormat>();

/** `new Intl.DateTimeFormat(locale, options)`, one per distinct locale and options. */
export function dateTimeFormat(
  locale: string,
  options: Intl.DateTimeFormatOptions,
): Intl.DateTimeFormat {
  return memo(
    dateTimeFormats,
    keyOf(locale, options),
    () => new Intl.DateTimeFormat(locale, options),
  );
}

/** `new Intl.NumberFormat(locale, options)`, one per distinct locale and options. */
export function numberFormat(locale: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  return memo(numberFormats, keyOf(locale, options), () => new Intl.NumberFormat(locale, options));
}

const pluralRuleSets = new Map<string, Intl.PluralRules>();

/** `new Intl.PluralRules(locale, options)` (the messages' plurals), one per locale and options. */
export function pluralRules(locale: string, options: Intl.PluralRulesOptions): Intl.PluralRules {
  return memo(pluralRuleSets, keyOf(locale, options), () => new Intl.PluralRules(locale, options));
}

const displayNameSets = new Map<string, Intl.DisplayNames>();

/** `new Intl.DisplayNames([locale], options)` (country and language names), one per locale and type. */
export function displayNames(locale: string, options: Intl.DisplayNamesOptions): Intl.DisplayNames {
  return memo(
    displayNameSets,
    keyOf(locale, options),
    () => new Intl.DisplayNames([locale], options),
  );
}

/** How many formatters are kept (for tests). */
export function intlCacheSize(): {
  dateTime: number;
  number: number;
  pluralRules: number;
  displayNames: number;
} {
  return {
    dateTime: dateTimeFormats.size,
    number: numberFormats.size,
    pluralRules: pluralRuleSets.size,
    displayNames: displayNameSets.size,
  };
}
