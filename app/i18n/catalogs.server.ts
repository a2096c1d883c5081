// The languages of the interface, in the order the language switcher offers them.
// This is the one place a language is registered: add its catalog file beside
// this one (typed `Record<MessageKey, string>`, so a missing key fails the type
// check) and one line here. Everything else (the switcher, Accept-Language
// negotiation, `<html lang>`, emails, the per-language fields of prisoner
// profiles and ticket types) follows from this list. docs/i18n.md says more.
import { en, type MessageKey } from "./en";
import { pl } from "./pl";
import { ru } from "./ru";

export const catalogs = { en, ru, pl } as const satisfies Record<
  string,
  Readonly<Record<MessageKey, string>>
>;
