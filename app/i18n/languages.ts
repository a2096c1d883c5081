// The languages of the interface, in the order the language switcher offers them,
// each with its name in itself (what the switcher shows). This list and the
// catalog files (app/i18n/<code>.ts, registered in catalogs.server.ts) are all a
// language is: `Locale`, `LOCALES`, Accept-Language negotiation, `<html lang>`,
// emails and the per-language fields of the admin forms follow from it. Safe for
// the browser: it holds no messages (a page fetches only its reader's catalog,
// decision 0052). docs/i18n.md says more.
export const LANGUAGES = {
  en: "English",
  ru: "Русский",
  pl: "Polski",
} as const;
