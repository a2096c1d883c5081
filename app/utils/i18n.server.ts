// Which language a request is answered in: the person's choice (cookie), else
// the browser's Accept-Language, else English.
import { match } from "@formatjs/intl-localematcher";
import Negotiator from "negotiator";
import { DEFAULT_LOCALE, isLocale, LOCALES, translator, type Locale } from "./i18n";
import { languageCookie } from "./session.server";

export async function getLocale(request: Request): Promise<Locale> {
  const chosen: unknown = await languageCookie.parse(request.headers.get("Cookie"));
  if (isLocale(chosen)) return chosen;
  const header = request.headers.get("Accept-Language");
  if (!header) return DEFAULT_LOCALE;
  const requested = new Negotiator({
    headers: { "accept-language": header.slice(0, 500) },
  }).languages();
  try {
    const best = match(
      requested.filter((l) => l !== "*"),
      [...LOCALES],
      DEFAULT_LOCALE,
    );
    return isLocale(best) ? best : DEFAULT_LOCALE;
  } catch {
    return DEFAULT_LOCALE;
  }
}

export async function getTranslator(request: Request) {
  const locale = await getLocale(request);
  return { locale, t: translator(locale) };
}
