// Slot generation (app/models/tattoo-schedule.ts): buffers, breaks, windows that
// do not divide into slots, local times across the daylight-saving changes of
// Europe/Riga and America/Sao_Paulo, and properties over random windows.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  dayRange,
  localDay,
  localTime,
  localWindow,
  makeSlots,
  readMoment,
  withinNotice,
  type Interval,
} from "~/models/tattoo-schedule";

const at = (iso: string) => new Date(iso);
const MIN = 60_000;
const minutes = (s: Interval) => (s.endsAt.getTime() - s.startsAt.getTime()) / MIN;
const iso = (slots: Interval[]) =>
  slots.map((s) => [s.startsAt.toISOString(), s.endsAt.toISOString()]);
const local = (slots: Interval[], zone: string) =>
  slots.map((s) => `${localTime(s.startsAt, zone)}-${localTime(s.endsAt, zone)}`);

/** Read a window in a zone or fail the test. */
function windowIn(zone: string, input: Parameters<typeof localWindow>[0]) {
  const read = localWindow(input, zone);
  if (!read.ok) throw new Error(`window refused: ${JSON.stringify(read.fields)}`);
  return read.window;
}

describe("makeSlots", () => {
  it("puts the buffer after each slot and stops at the window's end", () => {
    const slots = makeSlots({
      startsAt: at("2026-06-13T09:00:00Z"),
      endsAt: at("2026-06-13T12:00:00Z"),
      slotMinutes: 45,
      bufferMinutes: 15,
    });
    expect(iso(slots)).toEqual([
      ["2026-06-13T09:00:00.000Z", "2026-06-13T09:45:00.000Z"],
      ["2026-06-13T10:00:00.000Z", "2026-06-13T10:45:00.000Z"],
      ["2026-06-13T11:00:00.000Z", "2026-06-13T11:45:00.000Z"],
    ]);
  });

  it("the issue's example: 12:00–20:00, 45-minute slots, 15-minute buffer, break 15:00–15:30", () => {
    const w = windowIn("Europe/Riga", {
      startsAt: "2026-06-13T12:00",
      endsAt: "2026-06-13T20:00",
      breaks: [{ startsAt: "2026-06-13T15:00", endsAt: "2026-06-13T15:30" }],
    });
    const slots = makeSlots({ ...w, slotMinutes: 45, bufferMinutes: 15 });
    expect(local(slots, "Europe/Riga")).toEqual([
      "12:00-12:45",
      "13:00-13:45",
      "14:00-14:45",
      // 15:00 would run into the break: the next slot starts when it ends.
      "15:30-16:15",
      "16:30-17:15",
      "17:30-18:15",
      "18:30-19:15",
      // 19:30–20:15 would pass the window's end.
    ]);
  });

  it("a slot touching a break's edges is fine; one that overlaps it by a minute is moved", () => {
    const base = {
      startsAt: at("2026-06-13T10:00:00Z"),
      endsAt: at("2026-06-13T13:00:00Z"),
      slotMinutes: 60,
      bufferMinutes: 0,
    };
    const touching = makeSlots({
      ...base,
      breaks: [{ startsAt: at("2026-06-13T11:00:00Z"), endsAt: at("2026-06-13T12:00:00Z") }],
    });
    expect(iso(touching)).toEqual([
      ["2026-06-13T10:00:00.000Z", "2026-06-13T11:00:00.000Z"],
      ["2026-06-13T12:00:00.000Z", "2026-06-13T13:00:00.000Z"],
    ]);
    const overlapping = makeSlots({
      ...base,
      breaks: [{ startsAt: at("2026-06-13T10:59:00Z"), endsAt: at("2026-06-13T11:30:00Z") }],
    });
    expect(iso(overlapping)).toEqual([["2026-06-13T11:30:00.000Z", "2026-06-13T12:30:00.000Z"]]);
  });

  it("a window that does not divide into slots leaves the rest unused", () => {
    const slots = makeSlots({
      startsAt: at("2026-06-13T10:00:00Z"),
      endsAt: at("2026-06-13T11:40:00Z"),
      slotMinutes: 30,
      bufferMinutes: 5,
    });
    // 10:00, 10:35, 11:10 (ends 11:40 exactly); a fourth would end at 12:15.
    expect(iso(slots).map(([s]) => s!.slice(11, 16))).toEqual(["10:00", "10:35", "11:10"]);
    expect(
      makeSlots({
        startsAt: at("2026-06-13T10:00:00Z"),
        endsAt: at("2026-06-13T10:40:00Z"),
        slotMinutes: 45,
        bufferMinutes: 0,
      }),
    ).toEqual([]);
  });

  it("breaks that overlap each other or cover the whole window", () => {
    const w = { startsAt: at("2026-06-13T10:00:00Z"), endsAt: at("2026-06-13T14:00:00Z") };
    const slots = makeSlots({
      ...w,
      slotMinutes: 60,
      bufferMinutes: 0,
      breaks: [
        { startsAt: at("2026-06-13T11:00:00Z"), endsAt: at("2026-06-13T12:00:00Z") },
        { startsAt: at("2026-06-13T11:30:00Z"), endsAt: at("2026-06-13T12:30:00Z") },
      ],
    });
    expect(iso(slots).map(([s]) => s!.slice(11, 16))).toEqual(["10:00", "12:30"]);
    expect(makeSlots({ ...w, slotMinutes: 30, bufferMinutes: 0, breaks: [w] })).toEqual([]);
  });
});

describe("local times in the festival's zone", () => {
  it("reads a wall time in the zone; an offset or Z is an instant as given", () => {
    expect(readMoment("2026-06-13T12:00", "Europe/Riga")).toEqual({
      ok: true,
      instant: at("2026-06-13T09:00:00Z"),
      ambiguous: false,
    });
    expect(readMoment("2026-06-13T12:00:00+01:00", "Europe/Riga")).toMatchObject({
      ok: true,
      instant: at("2026-06-13T11:00:00Z"),
    });
    expect(readMoment("2026-06-13T12:00:00Z", "America/Sao_Paulo")).toMatchObject({
      instant: at("2026-06-13T12:00:00Z"),
    });
    for (const bad of ["", "tomorrow", "2026-02-30T12:00", "2026-06-13T25:00", "1999-01-01T10:00"])
      expect(readMoment(bad, "Europe/Riga"), bad).toEqual({ ok: false, error: "v.dateTime" });
  });

  it("Riga, last Sunday of March (03:00 → 04:00): a skipped time is refused; slots keep their elapsed length", () => {
    expect(readMoment("2026-03-29T03:30", "Europe/Riga")).toEqual({
      ok: false,
      error: "v.localTimeGap",
    });
    expect(readMoment("2026-03-29T03:00", "Europe/Riga")).toMatchObject({ ok: false });
    const refused = localWindow(
      { startsAt: "2026-03-29T03:15", endsAt: "2026-03-29T08:00" },
      "Europe/Riga",
    );
    expect(refused).toEqual({ ok: false, fields: { startsAt: "v.localTimeGap" } });

    const w = windowIn("Europe/Riga", { startsAt: "2026-03-29T02:00", endsAt: "2026-03-29T06:00" });
    // Four hours on the clock, three elapsed.
    expect((w.endsAt.getTime() - w.startsAt.getTime()) / MIN).toBe(180);
    const slots = makeSlots({ ...w, slotMinutes: 45, bufferMinutes: 15 });
    expect(slots.map(minutes)).toEqual([45, 45, 45]);
    expect(local(slots, "Europe/Riga")).toEqual(["02:00-02:45", "04:00-04:45", "05:00-05:45"]);
    // A slot across the jump: 02:30 + 45 minutes reads 04:15.
    const across = makeSlots({
      ...windowIn("Europe/Riga", { startsAt: "2026-03-29T02:30", endsAt: "2026-03-29T05:00" }),
      slotMinutes: 45,
      bufferMinutes: 0,
    });
    expect(local(across, "Europe/Riga")[0]).toBe("02:30-04:15");
    expect(minutes(across[0]!)).toBe(45);
  });

  it("Riga, last Sunday of October (04:00 → 03:00): a repeated time is the earlier instant; the extra hour holds slots", () => {
    const first = readMoment("2026-10-25T03:30", "Europe/Riga");
    expect(first).toEqual({ ok: true, instant: at("2026-10-25T00:30:00Z"), ambiguous: true });
    const w = windowIn("Europe/Riga", { startsAt: "2026-10-25T02:00", endsAt: "2026-10-25T06:00" });
    expect((w.endsAt.getTime() - w.startsAt.getTime()) / MIN).toBe(300);
    const slots = makeSlots({ ...w, slotMinutes: 45, bufferMinutes: 15 });
    expect(slots.map(minutes)).toEqual([45, 45, 45, 45, 45]);
    // 03:00 happens twice: both get a slot.
    expect(local(slots, "Europe/Riga")).toEqual([
      "02:00-02:45",
      "03:00-03:45",
      "03:00-03:45",
      "04:00-04:45",
      "05:00-05:45",
    ]);
    expect(new Set(iso(slots).map(([s]) => s)).size).toBe(5);
    expect(
      windowIn("Europe/Riga", { startsAt: "2026-10-25T03:30", endsAt: "2026-10-25T06:00" })
        .ambiguous,
    ).toEqual(["startsAt"]);
  });

  it("São Paulo has no DST since 2019: a November 2026 window has 24 regular hours", () => {
    const w = windowIn("America/Sao_Paulo", {
      startsAt: "2026-11-01T00:00",
      endsAt: "2026-11-01T04:00",
    });
    expect(w.startsAt.toISOString()).toBe("2026-11-01T03:00:00.000Z");
    expect((w.endsAt.getTime() - w.startsAt.getTime()) / MIN).toBe(240);
    const slots = makeSlots({ ...w, slotMinutes: 60, bufferMinutes: 0 });
    expect(local(slots, "America/Sao_Paulo")).toEqual([
      "00:00-01:00",
      "01:00-02:00",
      "02:00-03:00",
      "03:00-04:00",
    ]);
    const day = dayRange("2026-11-01", "America/Sao_Paulo")!;
    expect((day.endsAt.getTime() - day.startsAt.getTime()) / MIN).toBe(24 * 60);
  });

  it("São Paulo, 2018-11-04 (00:00 → 01:00): the skipped hour is refused; elapsed minutes hold", () => {
    expect(readMoment("2018-11-04T00:30", "America/Sao_Paulo")).toEqual({
      ok: false,
      error: "v.localTimeGap",
    });
    const w = windowIn("America/Sao_Paulo", {
      startsAt: "2018-11-03T22:00",
      endsAt: "2018-11-04T02:00",
    });
    expect((w.endsAt.getTime() - w.startsAt.getTime()) / MIN).toBe(180);
    const slots = makeSlots({ ...w, slotMinutes: 60, bufferMinutes: 0 });
    expect(slots.map(minutes)).toEqual([60, 60, 60]);
    expect(local(slots, "America/Sao_Paulo")).toEqual([
      "22:00-23:00",
      "23:00-01:00",
      "01:00-02:00",
    ]);
    expect(slots.map((s) => localDay(s.startsAt, "America/Sao_Paulo"))).toEqual([
      "2018-11-03",
      "2018-11-03",
      "2018-11-04",
    ]);
    // That local day had 23 hours.
    const day = dayRange("2018-11-04", "America/Sao_Paulo")!;
    expect((day.endsAt.getTime() - day.startsAt.getTime()) / MIN).toBe(23 * 60);
  });

  it("refuses an end before the start, a window over a day, and a break outside the window", () => {
    const zone = "Europe/Riga";
    expect(localWindow({ startsAt: "2026-06-13T12:00", endsAt: "2026-06-13T12:00" }, zone)).toEqual(
      { ok: false, fields: { endsAt: "v.endBeforeStart" } },
    );
    expect(localWindow({ startsAt: "2026-06-13T12:00", endsAt: "2026-06-14T12:01" }, zone)).toEqual(
      { ok: false, fields: { endsAt: "v.windowTooLong" } },
    );
    expect(
      localWindow(
        {
          startsAt: "2026-06-13T12:00",
          endsAt: "2026-06-13T20:00",
          breaks: [
            { startsAt: "2026-06-13T11:00", endsAt: "2026-06-13T12:30" },
            { startsAt: "2026-06-13T15:00", endsAt: "2026-06-13T14:00" },
            { startsAt: "2026-03-29T03:30", endsAt: "2026-06-13T16:00" },
          ],
        },
        zone,
      ),
    ).toEqual({
      ok: false,
      fields: {
        "breaks.0.startsAt": "v.breakOutsideWindow",
        "breaks.1.endsAt": "v.endBeforeStart",
        "breaks.2.startsAt": "v.localTimeGap",
      },
    });
  });
});

describe("slot generation properties", () => {
  const BASE = Date.UTC(2026, 2, 28, 0, 0);
  const window = fc
    .record({
      startMinute: fc.integer({ min: 0, max: 3 * 24 * 60 }),
      lengthMinutes: fc.integer({ min: 1, max: 24 * 60 }),
      slotMinutes: fc.integer({ min: 5, max: 720 }),
      bufferMinutes: fc.integer({ min: 0, max: 240 }),
      breaks: fc.array(
        fc.record({
          from: fc.double({ min: 0, max: 1, noNaN: true }),
          minutes: fc.integer({ min: 1, max: 300 }),
        }),
        { maxLength: 6 },
      ),
    })
    .map((r) => {
      const startsAt = new Date(BASE + r.startMinute * MIN);
      const endsAt = new Date(startsAt.getTime() + r.lengthMinutes * MIN);
      const breaks = r.breaks.map((b) => {
        const s = startsAt.getTime() + Math.floor(b.from * r.lengthMinutes) * MIN;
        return {
          startsAt: new Date(s),
          endsAt: new Date(Math.min(s + b.minutes * MIN, endsAt.getTime())),
        };
      });
      return { ...r, startsAt, endsAt, breaks };
    });

  it("no two slots overlap, none overlaps a break, all lie in the window, each is exactly slotMinutes long, buffers kept", () => {
    fc.assert(
      fc.property(window, (w) => {
        const slots = makeSlots(w);
        for (const [i, s] of slots.entries()) {
          expect(minutes(s)).toBe(w.slotMinutes);
          expect(s.startsAt.getTime()).toBeGreaterThanOrEqual(w.startsAt.getTime());
          expect(s.endsAt.getTime()).toBeLessThanOrEqual(w.endsAt.getTime());
          for (const b of w.breaks)
            if (b.endsAt > b.startsAt)
              expect(s.startsAt < b.endsAt && s.endsAt > b.startsAt, "overlaps a break").toBe(
                false,
              );
          const next = slots[i + 1];
          if (next)
            expect(next.startsAt.getTime() - s.endsAt.getTime()).toBeGreaterThanOrEqual(
              w.bufferMinutes * MIN,
            );
        }
      }),
      { numRuns: 500 },
    );
  });

  it("without breaks the grid is as full as the window allows", () => {
    fc.assert(
      fc.property(window, (w) => {
        const slots = makeSlots({ ...w, breaks: [] });
        const step = (w.slotMinutes + w.bufferMinutes) * MIN;
        const span = w.endsAt.getTime() - w.startsAt.getTime();
        const expected =
          span < w.slotMinutes * MIN ? 0 : Math.floor((span - w.slotMinutes * MIN) / step) + 1;
        expect(slots.length).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe("withinNotice", () => {
  it("closes online booking minNoticeMinutes before the start (and after it)", () => {
    const slot = { startsAt: "2026-06-13T12:00:00Z", minNoticeMinutes: 60 };
    expect(withinNotice(slot, at("2026-06-13T10:59:59Z"))).toBe(true);
    expect(withinNotice(slot, at("2026-06-13T11:00:00Z"))).toBe(false);
    expect(withinNotice(slot, at("2026-06-13T12:30:00Z"))).toBe(false);
    expect(withinNotice({ ...slot, minNoticeMinutes: 0 }, at("2026-06-13T11:59:59Z"))).toBe(true);
    expect(withinNotice({ ...slot, minNoticeMinutes: 0 }, at("2026-06-13T12:00:00Z"))).toBe(false);
  });
});
