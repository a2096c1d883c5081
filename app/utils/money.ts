// Money is an integer number of minor units plus an ISO 4217 currency. Never floats.
import { numberFormat } from "./intl";

const digitsByCurrency = new Map<string, number>();

/** Digits after the decimal point for a currency (EUR 2, JPY 0, ...). */
export function minorUnitDigits(currency: string): number {
  let digits = digitsByCurrency.get(currency);
  if (digits === undefined) {
    const options = numberFormat("en", { style: "currency", currency }).resolvedOptions();
    digits = options.maximumFractionDigits ?? 2;
    // Bounded by the currencies Intl knows (an unknown code has thrown above).
    digitsByCurrency.set(currency, digits);
  }
  return digits;
}

export function formatMoney(amountMinor: number, currency: string, locale: string): string {
  if (!Number.isSafeInteger(amountMinor)) throw new RangeError("amount must be an integer");
  const digits = minorUnitDigits(currency);
  // Intl accepts a decimal string, which keeps large amounts exact.
  const negative = amountMinor < 0;
  const abs = String(Math.abs(amountMinor)).padStart(digits + 1, "0");
  const decimal =
    digits === 0 ? abs : `${abs.slice(0, abs.length - digits)}.${abs.slice(abs.length - digits)}`;
  const formatter = numberFormat(locale, { style: "currency", currency });
  return formatter.format(`${negative ? "-" : ""}${decimal}` as unknown as number); // Intl takes decimal strings (ES2023)
}

const CURRENCIES = new Set(Intl.supportedValuesOf("currency"));

export function isCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && CURRENCIES.has(code);
}

/**
 * Read an amount typed by a person ("15", "15.5", "15,50", "1 500,00") in major
 * units into integer minor units. Returns null for anything else (never a float).
 */
export function parseMoneyInput(value: string, currency: string): number | null {
  const digits = minorUnitDigits(currency);
  const cleaned = value.trim().replace(/[\s\u00a0\u202f']/g, "");
  const match = /^(\d{1,9})(?:[.,](\d+))?$/.exec(cleaned);
  if (!match) return null;
  const fraction = match[2] ?? "";
  if (fraction.length > digits) return null;
  return Number(match[1]) * 10 ** digits + Number(fraction.padEnd(digits, "0") || "0");
}

/** Minor units as a plain decimal string for form fields ("1550" EUR → "15.50"). */
export function toMajorInput(amountMinor: number, currency: string): string {
  const digits = minorUnitDigits(currency);
  if (digits === 0) return String(amountMinor);
  const s = String(amountMinor).padStart(digits + 1, "0");
  return `${s.slice(0, -digits)}.${s.slice(-digits)}`;
}

/** Minor units as an exact major-unit decimal, sign included ("-1550" EUR → "-15.50"; JPY "-500"). */
export function toMajorDecimal(amountMinor: number, currency: string): string {
  if (!Number.isSafeInteger(amountMinor)) throw new RangeError("amount must be an integer");
  const sign = amountMinor < 0 ? "-" : "";
  return sign + toMajorInput(Math.abs(amountMinor), currency);
}
