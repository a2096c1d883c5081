// Monthly caps on payouts and the tranche planner (decision 0034). Pure: no
// database, no clock unless given one. A recipient's cap is counted per
// calendar month in the recipient's own time zone (default Europe/Moscow): a
// payout paid at 2026-11-30T21:30Z counts in December for a recipient in
// Moscow. Months are "YYYY-MM" strings, which sort as they follow each other.
import { DateTime } from "luxon";

/** Statuses whose payouts use up a recipient's cap in their month. */
export const CAP_STATUSES = ["proposed", "approved", "paid"] as const;
export type PayoutStatus = "proposed" | "approved" | "paid" | "rejected" | "cancelled";

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** Whether `value` is a month "YYYY-MM" (years 2000–2100). */
export function isMonth(value: string): boolean {
  const m = MONTH.exec(value);
  return m !== null && Number(m[1]) >= 2000 && Number(m[1]) <= 2100;
}

/** The calendar month "YYYY-MM" that moment `date` falls in, in time zone `zone` (IANA). */
export function monthOf(date: Date, zone: string): string {
  const dt = DateTime.fromJSDate(date, { zone });
  if (!dt.isValid) throw new RangeError(`monthOf: bad date or time zone (${dt.invalidReason})`);
  return dt.toFormat("yyyy-MM");
}

/** The month `n` months after `month` (n may be negative). */
export function addMonths(month: string, n: number): string {
  const m = MONTH.exec(month);
  if (!m) throw new RangeError(`addMonths: not a month: ${month}`);
  const index = Number(m[1]) * 12 + (Number(m[2]) - 1) + n;
  const year = Math.floor(index / 12);
  const mon = (index % 12) + 1;
  return `${String(year).padStart(4, "0")}-${String(mon).padStart(2, "0")}`;
}

/** Months from `a` to `b` (b − a; negative when b is earlier). */
export function monthsBetween(a: string, b: string): number {
  const ma = MONTH.exec(a);
  const mb = MONTH.exec(b);
  if (!ma || !mb) throw new RangeError(`monthsBetween: not a month: ${a} / ${b}`);
  return Number(mb[1]) * 12 + Number(mb[2]) - (Number(ma[1]) * 12 + Number(ma[2]));
}

/** A payout as the cap sees it. */
export type CapPayout = {
  id?: string;
  month: string;
  amountMinor: number;
  currency: string;
  status: PayoutStatus | string;
};

/**
 * How much of a cap the payouts use in `month`: those in the cap's currency
 * whose status is one of `statuses` (default proposed, approved and paid),
 * leaving out the payout `exceptId` (the one being checked).
 */
export function capUse(
  payouts: readonly CapPayout[],
  month: string,
  currency: string,
  options: { statuses?: readonly string[]; exceptId?: string } = {},
): number {
  const statuses = options.statuses ?? CAP_STATUSES;
  let used = 0;
  for (const p of payouts)
    if (
      p.month === month &&
      p.currency === currency &&
      statuses.includes(p.status) &&
      (options.exceptId === undefined || p.id !== options.exceptId)
    )
      used += p.amountMinor;
  return used;
}

/** Cap use per month, for the planner (same rules as capUse). */
export function capUseByMonth(
  payouts: readonly CapPayout[],
  currency: string,
  options: { statuses?: readonly string[] } = {},
): Record<string, number> {
  const statuses = options.statuses ?? CAP_STATUSES;
  const out: Record<string, number> = {};
  for (const p of payouts)
    if (p.currency === currency && statuses.includes(p.status))
      out[p.month] = (out[p.month] ?? 0) + p.amountMinor;
  return out;
}

/** What is left of a cap in a month (never below zero). */
export function capLeft(capMinor: number, usedMinor: number): number {
  return Math.max(0, capMinor - usedMinor);
}

export type Tranche = { month: string; amountMinor: number };

export type PlanInput = {
  /** What the fund can pay out now (available: balance − reserved), minor units. */
  availableMinor: number;
  /** The recipient's monthly cap, minor units (> 0). */
  capMinor: number;
  /** What this month's (startMonth's) cap is already used by. */
  usedThisMonthMinor: number;
  /** The month to start in ("YYYY-MM"): this month in the recipient's zone. */
  startMonth: string;
  /** Cap already used in later months (proposals made earlier), by month. */
  usedByMonth?: Readonly<Record<string, number>>;
  /** Plan at most this many tranches (the rest stays in the fund); default no limit. */
  maxTranches?: number;
};

/**
 * Monthly tranches that drain `availableMinor` without exceeding the cap in
 * any month: each month takes what is left of its cap (or what is left of the
 * fund), starting this month when its cap is not used up, else next month.
 * 45,000 with a 10,000 cap and nothing used: 10,000 × 4 then 5,000, five
 * months from startMonth. Months whose cap is used up are skipped.
 */
export function planTranches(input: PlanInput): Tranche[] {
  const { capMinor, startMonth } = input;
  if (!Number.isSafeInteger(capMinor) || capMinor <= 0)
    throw new RangeError("planTranches: the cap must be a positive whole number");
  if (!Number.isSafeInteger(input.availableMinor))
    throw new RangeError("planTranches: available must be a whole number");
  if (!isMonth(startMonth)) throw new RangeError(`planTranches: not a month: ${startMonth}`);
  const max = input.maxTranches ?? Number.POSITIVE_INFINITY;
  const used = (month: string) =>
    month === startMonth
      ? Math.max(input.usedThisMonthMinor, input.usedByMonth?.[startMonth] ?? 0)
      : (input.usedByMonth?.[month] ?? 0);
  // Beyond the last month with earlier use every month has its whole cap.
  const lastUsed = Object.keys(input.usedByMonth ?? {})
    .filter(isMonth)
    .reduce((a, b) => (b > a ? b : a), startMonth);
  const tranches: Tranche[] = [];
  let left = Math.max(0, input.availableMinor);
  let month = startMonth;
  while (left > 0 && tranches.length < max) {
    const room = month <= lastUsed ? capLeft(capMinor, used(month)) : capMinor;
    if (room > 0) {
      const amountMinor = Math.min(room, left);
      tranches.push({ month, amountMinor });
      left -= amountMinor;
    }
    month = addMonths(month, 1);
  }
  return tranches;
}
