// Allocation (app/models/allocation.server.ts, decision 0033) against a real
// SQLite file: rules as append-only versions, what is allocatable, the split by
// largest remainder, a rule change applying only afterwards, and concurrent
// allocations allocating the money once.
import type { InStatement } from "@libsql/client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type * as DbServer from "~/utils/db.server";
import type * as Ledger from "~/models/ledger.server";
import type * as Allocation from "~/models/allocation.server";
import type { IncomePart } from "~/models/ledger.server";
import type { CurrentUser } from "~/utils/auth.server";
import type { MoneyUser } from "../helpers/treasury";
import type * as Fixtures from "../helpers/fixtures";
import { freshTestEnv } from "../helpers/env";

let db: typeof DbServer;
let ledger: typeof Ledger;
let allocation: typeof Allocation;
let fixtures: typeof Fixtures;
let alice: MoneyUser;
let bob: MoneyUser;
let n = 0;

beforeAll(async () => {
  freshTestEnv();
  db = await import("~/utils/db.server");
  ledger = await import("~/models/ledger.server");
  allocation = await import("~/models/allocation.server");
  fixtures = await import("../helpers/fixtures");
  const { createMoneyUser } = await import("../helpers/treasury");
  alice = await createMoneyUser();
  bob = await createMoneyUser();
});
afterEach(async () => {
  expect((await ledger.checkLedger()).problems).toEqual([]);
});
afterAll(() => db.disconnectDatabase());

const at = new Date("2030-02-01T12:00:00Z");
const uid = (prefix: string) => `${prefix}-${++n}-${Date.now().toString(36)}`;

async function festivalWith(prisoners: number) {
  const f = (await fixtures.createFestivalRow()).id;
  const ids: string[] = [];
  for (let i = 0; i < prisoners; i++)
    ids.push((await fixtures.createPrisonerRow(uid("p"), { en: "P" }, [f])).id);
  return { f, prisoners: ids.sort() };
}

async function paid(festivalId: string, parts: IncomePart[], currency = "EUR") {
  const statements: InStatement[] = ledger.entryStatements({
    id: uid("pay"),
    festivalId,
    kind: "payment",
    at,
    postings: ledger.moneyInPostings({ festivalId, currency, code: "stripe_balance" }, parts),
  });
  await db.sqlClient().batch(statements, "write");
}

async function fundOf(festivalId: string, prisonerId: string | null, currency = "EUR") {
  const { rows } = await db.sqlClient().execute({
    sql: `SELECT -COALESCE(SUM(amountMinor), 0) AS b FROM LedgerPosting WHERE accountId = ?`,
    args: [ledger.accountId({ festivalId, currency, code: "fund", prisonerId })],
  });
  return Number(rows[0]?.b ?? 0);
}

async function refused(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return error as { status?: number; code?: string; fields?: Record<string, string> };
  }
  throw new Error("expected a refusal");
}

/** An organiser of the festival as the permission check sees one (festival:allocation, no money role). */
async function organiserOf(festivalId: string): Promise<CurrentUser> {
  const user = await fixtures.createUserRow({ role: "member", email: fixtures.uniqueEmail("org") });
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: "member",
    locale: null,
    memberships: [{ festivalId, role: "organiser" }],
    totpEnrolled: false,
    secondFactor: false,
  };
}

describe("allocation rules", () => {
  it("are append-only versions; the newest is in force; each is audited", async () => {
    const {
      f,
      prisoners: [p1, p2],
    } = await festivalWith(2);
    expect(await allocation.currentRule(f)).toBeNull();
    const v1 = await allocation.setAllocationRule(alice.actor, f, {
      shares: [
        { prisonerId: p2!, percent: 30 },
        { prisonerId: p1!, percent: 50 },
      ],
      generalPercent: 20,
    });
    expect(v1).toMatchObject({
      version: 1,
      equal: false,
      generalPercent: 20,
      shares: [
        { prisonerId: p1, percent: 50 },
        { prisonerId: p2, percent: 30 },
      ],
    });
    const organiser = await organiserOf(f);
    const v2 = await allocation.setAllocationRule(organiser, f, {
      equal: true,
      generalPercent: 10,
    });
    expect(v2).toMatchObject({ version: 2, equal: true, generalPercent: 10, shares: [] });
    expect(await allocation.currentRule(f)).toMatchObject({ version: 2, equal: true });
    const { rows } = await db.sqlClient().execute({
      sql: `SELECT COUNT(*) AS n FROM AuditEvent WHERE action = 'allocation.rule' AND festivalId = ?`,
      args: [f],
    });
    expect(Number(rows[0]?.n)).toBe(2);
    await expect(
      db.sqlClient().execute({ sql: `DELETE FROM AllocationRule WHERE festivalId = ?`, args: [f] }),
    ).rejects.toThrow(/append-only/);
  });

  it("refuses percents that are not whole numbers 0..100 summing to 100, unknown and duplicate prisoners (422 with the fields)", async () => {
    const {
      f,
      prisoners: [p1, p2],
    } = await festivalWith(2);
    const {
      prisoners: [elsewhere],
    } = await festivalWith(1);
    const cases: [Allocation.AllocationRuleInput, string][] = [
      [{ shares: [{ prisonerId: p1!, percent: 50 }], generalPercent: 40 }, "_form"],
      [{ shares: [{ prisonerId: p1!, percent: 60 }], generalPercent: 60 }, "_form"],
      [{ shares: [{ prisonerId: p1!, percent: 50.5 }], generalPercent: 49.5 }, "shares.0.percent"],
      [{ shares: [{ prisonerId: p1!, percent: 101 }], generalPercent: 0 }, "shares.0.percent"],
      [{ shares: [{ prisonerId: p1!, percent: -1 }], generalPercent: 101 }, "generalPercent"],
      [
        { shares: [{ prisonerId: elsewhere!, percent: 100 }], generalPercent: 0 },
        "shares.0.prisonerId",
      ],
      [
        { shares: [{ prisonerId: "nobody", percent: 100 }], generalPercent: 0 },
        "shares.0.prisonerId",
      ],
      [
        {
          shares: [
            { prisonerId: p1!, percent: 50 },
            { prisonerId: p1!, percent: 50 },
          ],
          generalPercent: 0,
        },
        "shares.1.prisonerId",
      ],
      [{ equal: true, generalPercent: 120 }, "generalPercent"],
    ];
    for (const [input, field] of cases)
      expect(
        await refused(allocation.setAllocationRule(alice.actor, f, input)),
        JSON.stringify(input),
      ).toMatchObject({
        status: 422,
        fields: { [field]: expect.any(String) },
      });
    expect(await allocation.currentRule(f)).toBeNull();
    // 0 % shares and all to the general fund are fine.
    await allocation.setAllocationRule(alice.actor, f, {
      shares: [
        { prisonerId: p1!, percent: 0 },
        { prisonerId: p2!, percent: 0 },
      ],
      generalPercent: 100,
    });
    expect(
      await refused(allocation.setAllocationRule(alice.actor, "no-such-festival", { equal: true })),
    ).toMatchObject({
      status: 404,
    });
  });
});

describe("allocate", () => {
  it("with no rule: everything unallocated to the general fund; earmarks are already in their funds", async () => {
    const {
      f,
      prisoners: [p1],
    } = await festivalWith(1);
    await paid(f, [
      { category: "ticket", amountMinor: 5000 },
      { category: "donation", prisonerId: p1!, amountMinor: 700 },
    ]);
    expect(await allocation.allocatable(f)).toEqual([
      { currency: "EUR", unallocatedMinor: 5000, approvedCostsMinor: 0, allocatableMinor: 5000 },
    ]);
    const result = await allocation.allocate(alice.actor, f);
    expect(result).toEqual({
      entryId: `allocation:${f}:1`,
      allocated: [{ fund: null, currency: "EUR", amountMinor: 5000 }],
      rule: null,
    });
    expect(await fundOf(f, null)).toBe(5000);
    expect(await fundOf(f, p1!)).toBe(700);
    // Nothing left: 200 with an empty list, no entry.
    expect(await allocation.allocate(alice.actor, f)).toEqual({
      entryId: null,
      allocated: [],
      rule: null,
    });
    const summary = ledger.summarize(await ledger.festivalBalances(f)).EUR!;
    expect(summary).toMatchObject({
      unallocated: 0,
      allocated: 5700,
      allocatedGeneral: 5000,
      generalFund: 5000,
    });
  });

  it("splits by largest remainder, deterministically (ties: prisoners by id, general last), to the cent", async () => {
    const { f, prisoners } = await festivalWith(3);
    const [p1, p2, p3] = prisoners as [string, string, string];
    await allocation.setAllocationRule(alice.actor, f, {
      shares: [
        { prisonerId: p1, percent: 33 },
        { prisonerId: p2, percent: 33 },
        { prisonerId: p3, percent: 33 },
      ],
      generalPercent: 1,
    });
    await paid(f, [{ category: "ticket", amountMinor: 101 }]);
    const { allocated } = await allocation.allocate(bob.actor, f);
    // 33.33 each and 1.01: the floors are 33, 33, 33, 1 (100); the largest remainders are tied
    // (.33 each): the first prisoner by id gets the cent left.
    expect(allocated).toEqual([
      { fund: p1, currency: "EUR", amountMinor: 34 },
      { fund: p2, currency: "EUR", amountMinor: 33 },
      { fund: p3, currency: "EUR", amountMinor: 33 },
      { fund: null, currency: "EUR", amountMinor: 1 },
    ]);
  });

  it("equal: the general fund's percent, the rest equally between the festival's prisoners", async () => {
    const { f, prisoners } = await festivalWith(3);
    await allocation.setAllocationRule(alice.actor, f, { equal: true, generalPercent: 10 });
    await paid(f, [{ category: "ticket", amountMinor: 1001 }]);
    await paid(f, [{ category: "ticket", amountMinor: 500 }], "JPY");
    const { allocated, rule } = await allocation.allocate(alice.actor, f);
    expect(rule).toBe(1);
    // EUR 1001: 300.3 each, 100.1 general → 300 ×3 + 100 = 1000, one cent to the first prisoner.
    // JPY 500: 150 each, 50 general.
    expect(allocated).toEqual([
      { fund: prisoners[0], currency: "EUR", amountMinor: 301 },
      { fund: prisoners[1], currency: "EUR", amountMinor: 300 },
      { fund: prisoners[2], currency: "EUR", amountMinor: 300 },
      { fund: null, currency: "EUR", amountMinor: 100 },
      { fund: prisoners[0], currency: "JPY", amountMinor: 150 },
      { fund: prisoners[1], currency: "JPY", amountMinor: 150 },
      { fund: prisoners[2], currency: "JPY", amountMinor: 150 },
      { fund: null, currency: "JPY", amountMinor: 50 },
    ]);
    const sums = new Map<string, number>();
    for (const a of allocated) sums.set(a.currency, (sums.get(a.currency) ?? 0) + a.amountMinor);
    expect(Object.fromEntries(sums)).toEqual({ EUR: 1001, JPY: 500 });
  });

  it("a rule change applies to money allocated afterwards only", async () => {
    const {
      f,
      prisoners: [p1, p2],
    } = await festivalWith(2);
    await allocation.setAllocationRule(alice.actor, f, {
      shares: [
        { prisonerId: p1!, percent: 50 },
        { prisonerId: p2!, percent: 50 },
      ],
      generalPercent: 0,
    });
    await paid(f, [{ category: "ticket", amountMinor: 1000 }]);
    expect((await allocation.allocate(alice.actor, f)).rule).toBe(1);
    await allocation.setAllocationRule(alice.actor, f, {
      shares: [{ prisonerId: p2!, percent: 100 }],
      generalPercent: 0,
    });
    expect(await fundOf(f, p1!)).toBe(500);
    await paid(f, [{ category: "ticket", amountMinor: 600 }]);
    const second = await allocation.allocate(alice.actor, f);
    expect(second).toMatchObject({
      entryId: `allocation:${f}:2`,
      rule: 2,
      allocated: [{ fund: p2, currency: "EUR", amountMinor: 600 }],
    });
    expect([await fundOf(f, p1!), await fundOf(f, p2!)]).toEqual([500, 1100]);
  });

  it("keeps back approved costs not paid yet, net of fees; never allocates below zero", async () => {
    const { f } = await festivalWith(0);
    await paid(f, [{ category: "ticket", amountMinor: 3000 }]);
    await db.sqlClient().batch(
      ledger.entryStatements({
        id: uid("fee"),
        festivalId: f,
        kind: "processing_fee",
        at,
        postings: [
          {
            account: { festivalId: f, currency: "EUR", code: "processing_fees" },
            amountMinor: 100,
          },
          {
            account: { festivalId: f, currency: "EUR", code: "stripe_balance" },
            amountMinor: -100,
          },
        ],
      }),
      "write",
    );
    for (const [status, amountMinor] of [
      ["approved", 1200],
      ["submitted", 500],
      ["approved", 5000],
    ] as const)
      await db.prisma.festivalCost.create({
        data: {
          id: uid("cost"),
          festivalId: f,
          category: "venue",
          description: "Hall",
          amountMinor,
          currency: "EUR",
          status,
        },
      });
    expect(await allocation.allocatable(f)).toEqual([
      { currency: "EUR", unallocatedMinor: 2900, approvedCostsMinor: 6200, allocatableMinor: 0 },
    ]);
    expect((await allocation.allocate(alice.actor, f)).allocated).toEqual([]);
  });

  it("two treasurers allocating at once allocate the money once", async () => {
    const {
      f,
      prisoners: [p1],
    } = await festivalWith(1);
    await allocation.setAllocationRule(alice.actor, f, {
      shares: [{ prisonerId: p1!, percent: 75 }],
      generalPercent: 25,
    });
    await paid(f, [{ category: "ticket", amountMinor: 4000 }]);
    const results = await Promise.all([
      allocation.allocate(alice.actor, f),
      allocation.allocate(bob.actor, f),
      allocation.allocate(alice.actor, f),
    ]);
    expect(results.filter((r) => r.allocated.length > 0)).toHaveLength(1);
    expect([await fundOf(f, p1!), await fundOf(f, null)]).toEqual([3000, 1000]);
    const { rows } = await db.sqlClient().execute({
      sql: `SELECT COUNT(*) AS n FROM LedgerEntry WHERE festivalId = ? AND kind = 'allocation'`,
      args: [f],
    });
    expect(Number(rows[0]?.n)).toBe(1);
  });

  it("needs the treasury permission (an organiser may set the rule, not allocate)", async () => {
    const { f } = await festivalWith(0);
    const organiser = await organiserOf(f);
    await expect(allocation.allocate(organiser, f)).rejects.toMatchObject({ status: 403 });
    await expect(
      allocation.allocate({ ...alice.actor, secondFactor: false }, f),
    ).rejects.toMatchObject({ status: 403 });
  });
});

describe("splitLargestRemainder", () => {
  it("always adds up to the amount, and follows the weights within one unit", () => {
    const funds = [
      { fund: "a", weight: 7n },
      { fund: "b", weight: 3n },
      { fund: null, weight: 1n },
    ];
    for (const amount of [0, 1, 2, 10, 11, 999, 123_457, 9_007_199_254_740_991]) {
      const parts = allocation.splitLargestRemainder(amount, funds, 11n);
      expect(parts.reduce((s, p) => s + BigInt(p.amountMinor), 0n)).toBe(BigInt(amount));
      for (const [i, p] of parts.entries()) {
        const exact = (BigInt(amount) * funds[i]!.weight) / 11n;
        expect(BigInt(p.amountMinor) - exact >= 0n && BigInt(p.amountMinor) - exact <= 1n).toBe(
          true,
        );
      }
    }
  });
});
