// Availability windows turned into bookable slots (issue 10). Pure: no server
// imports, so the unit tests (and the browser, if it ever needs to preview a
// grid) run it as is.
//
// Time model: every slot is a pair of UTC instants. Lengths are real elapsed
// minutes — a 45-minute slot lasts 45 minutes also on the night the clocks
// change, so its local end may read 45 minutes ± 1 hour later. Local wall times
// ("2026-06-13T12:00", as a form's datetime-local field sends them) are read in
// the festival's IANA zone: a wall time the clocks skip (spring forward) is
// refused; one they show twice (fall back) is the earlier of the two instants.
// Strings with an offset or Z are instants as given. Days are the festival's
// local dates.
import { DateTime } from "luxon";
import { dateTimeFormat } from "~/utils/intl";

export type Interval = { startsAt: Date; endsAt: Date };

export type SlotRules = Interval & {
  slotMinutes: number;
  bufferMinutes: number;
  breaks?: Interval[];
};

const MINUTE = 60_000;
/** A window is one working session: at most a day long (so at most 288 slots of 5 minutes). */
export const MAX_WINDOW_MINUTES = 24 * 60;
export const MAX_BREAKS = 20;

/**
 * The slots of a window, in order: each exactly `slotMinutes` of elapsed time,
 * followed by `bufferMinutes` before the next; a slot never overlaps a break
 * (the next one starts when the break ends) and never runs past the window's end.
 */
export function makeSlots(rules: SlotRules): Interval[] {
  const start = rules.startsAt.getTime();
  const end = rules.endsAt.getTime();
  const length = rules.slotMinutes * MINUTE;
  const buffer = rules.bufferMinutes * MINUTE;
  if (!(length > 0) || !(buffer >= 0) || !(end > start)) return [];
  const breaks = (rules.breaks ?? [])
    .map((b) => [b.startsAt.getTime(), b.endsAt.getTime()] as const)
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0]);
  const slots: Interval[] = [];
  let cursor = start;
  while (cursor + length <= end) {
    const slotEnd = cursor + length;
    // The latest end of the breaks this slot would touch: start again after it.
    let resume = -Infinity;
    for (const [s, e] of breaks) if (s < slotEnd && e > cursor) resume = Math.max(resume, e);
    if (resume > cursor) {
      cursor = resume;
      continue;
    }
    slots.push({ startsAt: new Date(cursor), endsAt: new Date(slotEnd) });
    cursor = slotEnd + buffer;
  }
  return slots;
}

/**
 * Whether a slot can still be booked online at `now`: its minimum notice has not
 * begun (so it has not started either). The tattoo corner (walk-ins) skips this rule.
 */
export function withinNotice(
  slot: { startsAt: Date | string; minNoticeMinutes: number },
  now: Date = new Date(),
) {
  return now.getTime() < new Date(slot.startsAt).getTime() - slot.minNoticeMinutes * MINUTE;
}

/** Whether two intervals share any time (touching ends do not). */
export function overlaps(a: Interval, b: Interval) {
  return a.startsAt.getTime() < b.endsAt.getTime() && a.endsAt.getTime() > b.startsAt.getTime();
}

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;
const WITH_OFFSET = /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

export type MomentReading =
  | { ok: true; instant: Date; ambiguous: boolean }
  | { ok: false; error: "v.dateTime" | "v.localTimeGap" };

/**
 * Read a moment: ISO 8601 with an offset (or Z) is that instant; a local wall
 * time is read in `zone`. A wall time that does not exist there (the hour the
 * clocks skip) is refused ("v.localTimeGap"); one that exists twice (the hour
 * the clocks repeat) is the earlier instant, with `ambiguous: true`.
 */
export function readMoment(value: string, zone: string): MomentReading {
  const text = value.trim();
  if (text.length > 40) return { ok: false, error: "v.dateTime" };
  let dt: DateTime;
  let ambiguous = false;
  if (WITH_OFFSET.test(text)) {
    dt = DateTime.fromISO(text, { setZone: true });
    if (!dt.isValid) return { ok: false, error: "v.dateTime" };
  } else {
    const m = LOCAL.exec(text);
    if (!m) return { ok: false, error: "v.dateTime" };
    const wall = {
      year: Number(m[1]),
      month: Number(m[2]),
      day: Number(m[3]),
      hour: Number(m[4]),
      minute: Number(m[5]),
      second: Number(m[6] ?? 0),
      millisecond: Number((m[7] ?? "0").padEnd(3, "0")),
    };
    dt = DateTime.fromObject(wall, { zone });
    if (!dt.isValid) return { ok: false, error: "v.dateTime" };
    // Luxon moves a skipped wall time forward: the clock reading then differs.
    if (
      dt.year !== wall.year ||
      dt.month !== wall.month ||
      dt.day !== wall.day ||
      dt.hour !== wall.hour ||
      dt.minute !== wall.minute
    )
      return { ok: false, error: "v.localTimeGap" };
    // A repeated wall time has two offsets; Luxon picks one, we take the earlier instant.
    const candidates = dt.getPossibleOffsets();
    if (candidates.length > 1) {
      ambiguous = true;
      dt = candidates.reduce((a, b) => (b.toMillis() < a.toMillis() ? b : a));
    }
  }
  if (dt.year < 2000 || dt.year > 2100) return { ok: false, error: "v.dateTime" };
  return { ok: true, instant: dt.toUTC().toJSDate(), ambiguous };
}

export type WindowText = {
  startsAt: string;
  endsAt: string;
  breaks?: { startsAt: string; endsAt: string }[];
};

export type LocalWindow = Interval & { breaks: Interval[]; ambiguous: string[] };

/**
 * A window as entered, read in the festival's zone: its instants, or the broken
 * rules by field (catalog keys) — unreadable or skipped times, an end not after
 * the start, a window longer than a day, a break outside the window or ending
 * before it starts. `ambiguous` names the fields read as the earlier of two instants.
 */
export function localWindow(
  input: WindowText,
  zone: string,
): { ok: true; window: LocalWindow } | { ok: false; fields: Record<string, string> } {
  const fields: Record<string, string> = {};
  const ambiguous: string[] = [];
  const read = (value: string, field: string) => {
    const r = readMoment(value, zone);
    if (!r.ok) {
      fields[field] = r.error;
      return null;
    }
    if (r.ambiguous) ambiguous.push(field);
    return r.instant;
  };
  const startsAt = read(input.startsAt, "startsAt");
  const endsAt = read(input.endsAt, "endsAt");
  if (startsAt && endsAt) {
    if (endsAt <= startsAt) fields.endsAt = "v.endBeforeStart";
    else if (endsAt.getTime() - startsAt.getTime() > MAX_WINDOW_MINUTES * MINUTE)
      fields.endsAt = "v.windowTooLong";
  }
  const breaks: Interval[] = [];
  (input.breaks ?? []).forEach((b, i) => {
    const s = read(b.startsAt, `breaks.${i}.startsAt`);
    const e = read(b.endsAt, `breaks.${i}.endsAt`);
    if (!s || !e) return;
    if (e <= s) fields[`breaks.${i}.endsAt`] = "v.endBeforeStart";
    else if (startsAt && endsAt && (s < startsAt || e > endsAt))
      fields[`breaks.${i}.startsAt`] = "v.breakOutsideWindow";
    else breaks.push({ startsAt: s, endsAt: e });
  });
  if (Object.keys(fields).length || !startsAt || !endsAt) return { ok: false, fields };
  return { ok: true, window: { startsAt, endsAt, breaks, ambiguous } };
}

/** The festival's local date ("2026-06-13") of an instant (the Intl formatter is cached: lists call it per slot). */
export function localDay(instant: Date | string, zone: string): string {
  const format = dateTimeFormat("en-CA", {
    timeZone: zone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  });
  const parts = Object.fromEntries(
    format.formatToParts(new Date(instant)).map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/** The instants a local date spans in `zone` (23 or 25 hours on the nights the clocks change). */
export function dayRange(day: string, zone: string): Interval | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return null;
  const start = DateTime.fromISO(day, { zone }).startOf("day");
  if (!start.isValid || start.toISODate() !== day) return null;
  // Not start + 24 h: the day may have 23 or 25 (or begin at 01:00, when midnight is skipped).
  const end = DateTime.fromISO(start.plus({ days: 1 }).toISODate()!, { zone }).startOf("day");
  return { startsAt: start.toJSDate(), endsAt: end.toJSDate() };
}

/** A local clock reading of an instant ("12:45"), for messages and pages. */
export function localTime(instant: Date | string, zone: string): string {
  return DateTime.fromJSDate(new Date(instant)).setZone(zone).toFormat("HH:mm");
}

/** "2026-06-13 12:00–12:45" in `zone`: how a slot is named in messages. */
export function slotLabel(slot: { startsAt: Date | string; endsAt: Date | string }, zone: string) {
  return `${localDay(slot.startsAt, zone)} ${localTime(slot.startsAt, zone)}–${localTime(slot.endsAt, zone)}`;
}
