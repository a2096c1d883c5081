// The choices of the festival form: countries (ISO 3166-1, named in the
// reader's language by i18n-iso-countries), IANA time zones (the runtime's
// own list) and currencies (ISO 4217), with a country's usual currency as the
// suggestion (country-to-currency).
import countries from "i18n-iso-countries";
import countryToCurrency from "country-to-currency";
import { isCurrency } from "./money";
import { stripeAvailable } from "./stripe.server";

export type CountryOption = { code: string; name: string };

const cache = new Map<string, CountryOption[]>();

/** Every country, named in `locale` (English where the library has no such language), in its alphabetical order. */
export function countryOptions(locale: string): CountryOption[] {
  const lang = countries.langs().includes(locale) ? locale : "en";
  const cached = cache.get(lang);
  if (cached) return cached;
  const names = countries.getNames(lang, { select: "official" });
  const collator = new Intl.Collator(lang);
  const list = Object.keys(countries.getAlpha2Codes())
    .map((code) => ({ code, name: names[code] ?? code }))
    .sort((a, b) => collator.compare(a.name, b.name));
  cache.set(lang, list);
  return list;
}

/** A country's usual currency, if the app can take payments in it (else undefined). */
export function suggestedCurrency(country: string | undefined): string | undefined {
  if (!country) return undefined;
  const code = (countryToCurrency as Record<string, string | undefined>)[
    country.trim().toUpperCase()
  ];
  return code && isCurrency(code) ? code : undefined;
}

/** Every country's usual currency (for the form's script: the suggestion follows the country chosen). */
export function currencySuggestions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const code of Object.keys(countries.getAlpha2Codes())) {
    const currency = suggestedCurrency(code);
    if (currency) out[code] = currency;
  }
  return out;
}

/**
 * The currencies a festival may use, with their names in `locale` ("EUR — Euro"),
 * named here on the server: the browser's own names may differ, and the page must
 * read the same before and after it hydrates.
 */
export function currencyOptions(locale: string): { code: string; label: string }[] {
  let names: Intl.DisplayNames | null = null;
  try {
    names = new Intl.DisplayNames([locale, "en"], { type: "currency" });
  } catch {
    names = null;
  }
  return Intl.supportedValuesOf("currency").map((code) => {
    const name = names?.of(code);
    return { code, label: name && name !== code ? `${code} — ${name}` : code };
  });
}

/** IANA time zones (as the runtime knows them), the festival's own first if it is an alias. */
export function timeZoneOptions(current?: string): string[] {
  const zones = Intl.supportedValuesOf("timeZone");
  return current && !zones.includes(current) ? [current, ...zones] : zones;
}

/** Everything the festival form's pickers offer, in the reader's language. */
export function festivalFormChoices(locale: string, currentZone?: string) {
  return {
    timeZones: timeZoneOptions(currentZone),
    countries: countryOptions(locale),
    currencies: currencyOptions(locale),
    currencyByCountry: currencySuggestions(),
    cardPayments: stripeAvailable(),
  };
}
