// Money is an integer number of minor units plus an ISO 4217 currency. Never floats.

/** Digits after the decimal point for a currency (EUR 2, JPY 0, ...). */
export function minorUnitDigits(currency: string): number {
  return (
    new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions()
      .maximumFractionDigits ?? 2
  );
}

export function formatMoney(amountMinor: number, currency: string, locale: string): string {
  if (!Number.isSafeInteger(amountMinor)) throw new RangeError("amount must be an integer");
  const digits = minorUnitDigits(currency);
  // Intl accepts a decimal string, which keeps large amounts exact.
  const negative = amountMinor < 0;
  const abs = String(Math.abs(amountMinor)).padStart(digits + 1, "0");
  const decimal =
    digits === 0 ? abs : `${abs.slice(0, abs.length - digits)}.${abs.slice(abs.length - digits)}`;
  const formatter = new Intl.NumberFormat(locale, { style: "currency", currency });
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
