// Components read the request's language from the root loader.
import { useRouteLoaderData } from "@remix-run/react";
import { useMemo } from "react";
import { DEFAULT_LOCALE, isLocale, translator, type Locale } from "./i18n";

export function useLocale(): Locale {
  const data = useRouteLoaderData<{ locale?: string }>("root");
  return isLocale(data?.locale) ? data.locale : DEFAULT_LOCALE;
}

export function useT() {
  const locale = useLocale();
  return useMemo(() => translator(locale), [locale]);
}
