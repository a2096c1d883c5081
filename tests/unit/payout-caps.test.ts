// Monthly caps and the tranche planner (app/models/payout-caps.ts): the month
// of a moment in the recipient's zone, cap use per month, and the planner's
// promises over random funds and caps — never over the cap in any month, and
// the fund drained to the last minor unit.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addMonths,
  capLeft,
  capUse,
  capUseByMonth,
  isMonth,
  monthOf,
  monthsBetween,
  planTranches,
  type CapPayout,
} from "~/models/payout-caps";

describe("monthOf", () => {
  it("is the calendar month in the recipient's zone", () => {
    // 21:30 UTC on 30 November is 00:30 on 1 December in Moscow (UTC+3).
    expect(monthOf(new Date("2026-11-30T21:30:00Z"), "Europe/Moscow")).toBe("2026-12");
    expect(monthOf(new Date("2026-11-30T21:30:00Z"), "UTC")).toBe("2026-11");
    expect(monthOf(new Date("2026-11-30T20:59:59Z"), "Europe/Moscow")).toBe("2026-11");
    expect(monthOf(new Date("2026-11-30T21:00:00Z"), "Europe/Moscow")).toBe("2026-12");
    // West of UTC the other way round: early on 1 January UTC is still December in New York.
    expect(monthOf(new Date("2027-01-01T03:00:00Z"), "America/New_York")).toBe("2026-12");
    // Year change in Vladivostok (UTC+10).
    expect(monthOf(new Date("2026-12-31T14:00:00Z"), "Asia/Vladivostok")).toBe("2027-01");
  });

  it("refuses an unknown zone", () => {
    expect(() => monthOf(new Date("2026-01-01T00:00:00Z"), "Mars/Olympus")).toThrow(RangeError);
  });
});

describe("months", () => {
  it("adds and counts months across years", () => {
    expect(addMonths("2026-12", 1)).toBe("2027-01");
    expect(addMonths("2026-01", -1)).toBe("2025-12");
    expect(addMonths("2026-05", 24)).toBe("2028-05");
    expect(monthsBetween("2026-11", "2027-02")).toBe(3);
    expect(isMonth("2026-13")).toBe(false);
    expect(isMonth("2026-00")).toBe(false);
    expect(isMonth("1999-12")).toBe(false);
    expect(isMonth("2026-1")).toBe(false);
    expect(isMonth("2026-09")).toBe(true);
  });
});

describe("capUse", () => {
  const payouts: CapPayout[] = [
    { id: "a", month: "2026-12", amountMinor: 3000, currency: "RUB", status: "proposed" },
    { id: "b", month: "2026-12", amountMinor: 2000, currency: "RUB", status: "approved" },
    { id: "c", month: "2026-12", amountMinor: 1000, currency: "RUB", status: "paid" },
    { id: "d", month: "2026-12", amountMinor: 9999, currency: "RUB", status: "rejected" },
    { id: "e", month: "2026-12", amountMinor: 9999, currency: "RUB", status: "cancelled" },
    { id: "f", month: "2026-12", amountMinor: 500, currency: "EUR", status: "paid" },
    { id: "g", month: "2027-01", amountMinor: 4000, currency: "RUB", status: "proposed" },
  ];

  it("counts proposed, approved and paid payouts of the month in the cap's currency", () => {
    expect(capUse(payouts, "2026-12", "RUB")).toBe(6000);
    expect(capUse(payouts, "2027-01", "RUB")).toBe(4000);
    expect(capUse(payouts, "2026-11", "RUB")).toBe(0);
    expect(capUse(payouts, "2026-12", "EUR")).toBe(500);
  });

  it("can leave out the payout being checked and count only some statuses", () => {
    expect(capUse(payouts, "2026-12", "RUB", { exceptId: "a" })).toBe(3000);
    expect(capUse(payouts, "2026-12", "RUB", { statuses: ["approved", "paid"] })).toBe(3000);
    expect(capUseByMonth(payouts, "RUB")).toEqual({ "2026-12": 6000, "2027-01": 4000 });
    expect(capLeft(10000, 6000)).toBe(4000);
    expect(capLeft(10000, 12000)).toBe(0);
  });
});

describe("planTranches", () => {
  it("45,000 with a 10,000 cap: 10,000 × 4 and 5,000, starting this month", () => {
    expect(
      planTranches({
        availableMinor: 45_000,
        capMinor: 10_000,
        usedThisMonthMinor: 0,
        startMonth: "2026-12",
      }),
    ).toEqual([
      { month: "2026-12", amountMinor: 10_000 },
      { month: "2027-01", amountMinor: 10_000 },
      { month: "2027-02", amountMinor: 10_000 },
      { month: "2027-03", amountMinor: 10_000 },
      { month: "2027-04", amountMinor: 5_000 },
    ]);
  });

  it("starts next month when this month's cap is used up", () => {
    const plan = planTranches({
      availableMinor: 15_000,
      capMinor: 10_000,
      usedThisMonthMinor: 10_000,
      startMonth: "2026-12",
    });
    expect(plan).toEqual([
      { month: "2027-01", amountMinor: 10_000 },
      { month: "2027-02", amountMinor: 5_000 },
    ]);
  });

  it("takes what is left of this month's cap first when it is partly used", () => {
    const plan = planTranches({
      availableMinor: 25_000,
      capMinor: 10_000,
      usedThisMonthMinor: 7_500,
      startMonth: "2026-12",
    });
    expect(plan).toEqual([
      { month: "2026-12", amountMinor: 2_500 },
      { month: "2027-01", amountMinor: 10_000 },
      { month: "2027-02", amountMinor: 10_000 },
      { month: "2027-03", amountMinor: 2_500 },
    ]);
  });

  it("skips later months already used by earlier proposals", () => {
    const plan = planTranches({
      availableMinor: 20_000,
      capMinor: 10_000,
      usedThisMonthMinor: 0,
      startMonth: "2026-12",
      usedByMonth: { "2027-01": 10_000, "2027-02": 4_000 },
    });
    expect(plan).toEqual([
      { month: "2026-12", amountMinor: 10_000 },
      { month: "2027-02", amountMinor: 6_000 },
      { month: "2027-03", amountMinor: 4_000 },
    ]);
  });

  it("plans nothing for an empty fund, and at most maxTranches", () => {
    const base = { capMinor: 10_000, usedThisMonthMinor: 0, startMonth: "2026-12" };
    expect(planTranches({ ...base, availableMinor: 0 })).toEqual([]);
    expect(planTranches({ ...base, availableMinor: -5 })).toEqual([]);
    expect(planTranches({ ...base, availableMinor: 1_000_000, maxTranches: 3 })).toHaveLength(3);
  });

  it("refuses a cap that is not a positive whole number, and a bad month", () => {
    const base = { availableMinor: 100, usedThisMonthMinor: 0, startMonth: "2026-12" };
    expect(() => planTranches({ ...base, capMinor: 0 })).toThrow(RangeError);
    expect(() => planTranches({ ...base, capMinor: 1.5 })).toThrow(RangeError);
    expect(() => planTranches({ ...base, capMinor: 10, startMonth: "2026-13" })).toThrow(
      RangeError,
    );
  });

  it("never exceeds the cap in any month and drains exactly the fund (property)", () => {
    const month = fc
      .record({ y: fc.integer({ min: 2024, max: 2040 }), m: fc.integer({ min: 1, max: 12 }) })
      .map(({ y, m }) => `${y}-${String(m).padStart(2, "0")}`);
    fc.assert(
      fc.property(
        // A cap of at least a fiftieth of the fund: plans of up to ~60 months.
        fc
          .integer({ min: 0, max: 5_000_000 })
          .chain((fund) =>
            fc.tuple(
              fc.constant(fund),
              fc.integer({ min: Math.max(1, Math.ceil(fund / 50)), max: 2_000_000 }),
            ),
          ),
        fc.integer({ min: 0, max: 3_000_000 }),
        month,
        fc.array(
          fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 3_000_000 })),
          {
            maxLength: 6,
          },
        ),
        ([available, cap], usedNow, start, later) => {
          const usedByMonth: Record<string, number> = {};
          for (const [offset, amount] of later) usedByMonth[addMonths(start, offset + 1)] = amount;
          const plan = planTranches({
            availableMinor: available,
            capMinor: cap,
            usedThisMonthMinor: usedNow,
            startMonth: start,
            usedByMonth,
          });
          // Drains the fund exactly.
          expect(plan.reduce((s, t) => s + t.amountMinor, 0)).toBe(available);
          // Months strictly increase from the start, each tranche positive and whole.
          let previous = "";
          for (const t of plan) {
            expect(t.month >= start).toBe(true);
            expect(t.month > previous).toBe(true);
            previous = t.month;
            expect(Number.isSafeInteger(t.amountMinor) && t.amountMinor > 0).toBe(true);
            const already = t.month === start ? usedNow : (usedByMonth[t.month] ?? 0);
            // Never over the cap, counting what the month had used already.
            expect(already + t.amountMinor).toBeLessThanOrEqual(cap);
          }
          // Starts this month exactly when this month's cap is not used up.
          if (available > 0) expect(plan[0]!.month === start).toBe(usedNow < cap);
          // Every tranche but the last fills its month's cap (no slower than needed).
          for (const t of plan.slice(0, -1)) {
            const already = t.month === start ? usedNow : (usedByMonth[t.month] ?? 0);
            expect(already + t.amountMinor).toBe(cap);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("month of a random moment in a zone is that zone's calendar month (property)", () => {
    const zones = ["Europe/Moscow", "UTC", "America/New_York", "Asia/Vladivostok", "Europe/Riga"];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2040, 0, 1) }),
        fc.constantFrom(...zones),
        (ms, zone) => {
          const date = new Date(ms);
          const parts = new Intl.DateTimeFormat("en-CA", {
            timeZone: zone,
            year: "numeric",
            month: "2-digit",
          }).formatToParts(date);
          const y = parts.find((p) => p.type === "year")!.value;
          const m = parts.find((p) => p.type === "month")!.value;
          expect(monthOf(date, zone)).toBe(`${y}-${m}`);
        },
      ),
      { numRuns: 300 },
    );
  });
});
