// Moving a festival's times to another festival's dates (cloning, issue 13).
// Pure: no server imports, so property tests run it directly.
//
// A time keeps its place relative to the festival's start in local wall-clock
// terms: "day 2, three hours after the doors open" in Riga becomes "day 2,
// three hours after the doors open" in Warsaw, whatever the zones and their
// daylight-saving changes. A wall time the new zone skips (spring forward)
// moves on to the first time that exists. What would fall outside the new
// festival's dates is cut to them, or left out when nothing remains.
import { DateTime } from "luxon";

export type FestivalDates = { startsAt: Date; endsAt: Date; timezone: string };
export type Shift = { from: FestivalDates; to: FestivalDates };
export type Interval = { startsAt: Date; endsAt: Date };

/** A moment's wall-clock reading in `zone`, as milliseconds of a UTC calendar (no offsets). */
function wallClock(instant: Date, zone: string): number {
  const dt = DateTime.fromJSDate(instant, { zone });
  return Date.UTC(dt.year, dt.month - 1, dt.day, dt.hour, dt.minute, dt.second, dt.millisecond);
}

/** The instant `instant` moves to: the same wall-clock distance from the new festival's start. */
export function shiftMoment(instant: Date, shift: Shift): Date {
  const offset =
    wallClock(instant, shift.from.timezone) - wallClock(shift.from.startsAt, shift.from.timezone);
  const wall = new Date(wallClock(shift.to.startsAt, shift.to.timezone) + offset);
  return DateTime.fromObject(
    {
      year: wall.getUTCFullYear(),
      month: wall.getUTCMonth() + 1,
      day: wall.getUTCDate(),
      hour: wall.getUTCHours(),
      minute: wall.getUTCMinutes(),
      second: wall.getUTCSeconds(),
      millisecond: wall.getUTCMilliseconds(),
    },
    { zone: shift.to.timezone },
  ).toJSDate();
}

/**
 * An interval moved and cut to the new festival's dates; null when nothing of
 * it is left inside them.
 */
export function shiftInterval(interval: Interval, shift: Shift): Interval | null {
  const from = shift.to.startsAt.getTime();
  const to = shift.to.endsAt.getTime();
  const startsAt = Math.max(shiftMoment(interval.startsAt, shift).getTime(), from);
  const endsAt = Math.min(shiftMoment(interval.endsAt, shift).getTime(), to);
  return endsAt > startsAt ? { startsAt: new Date(startsAt), endsAt: new Date(endsAt) } : null;
}

/**
 * A programme item moved: one with an end is cut to the new dates (null when
 * nothing is left); one without an end is kept only if its start lies within them.
 */
export function shiftProgrammeItem(
  item: { startsAt: Date; endsAt: Date | null },
  shift: Shift,
): { startsAt: Date; endsAt: Date | null } | null {
  if (item.endsAt) return shiftInterval({ startsAt: item.startsAt, endsAt: item.endsAt }, shift);
  const startsAt = shiftMoment(item.startsAt, shift);
  const inside =
    startsAt.getTime() >= shift.to.startsAt.getTime() &&
    startsAt.getTime() <= shift.to.endsAt.getTime();
  return inside ? { startsAt, endsAt: null } : null;
}
