// Properties of payouts over random sequences of proposals, approvals (one at
// a time and in concurrent bursts), payments, rejections and cancellations,
// against a real SQLite file: whatever the order, the fund never goes below
// zero and holds exactly what came in minus what was paid; what is proposed or
// approved never exceeds what the fund holds; no recipient's approved and paid
// payouts exceed the cap in any month of the recipient's zone; and every
// refusal is a domain error (a 4xx), never a crash.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshTestEnv } from "../helpers/env";
import { createFestivalRow, createPrisonerRow } from "../helpers/fixtures";
import { fundHeld, fundPrisoner } from "../helpers/funds";
import { assertLedgerBalanced } from "../helpers/ledger";
import { createMoneyUser, type MoneyUser } from "../helpers/treasury";
import { monthOf } from "~/models/payout-caps";
import {
  approvePayout,
  cancelPayout,
  markPayoutPaid,
  proposePayout,
  rejectPayout,
} from "~/models/payouts.server";
import { createRecipient } from "~/models/recipients.server";
import { disconnectDatabase, sqlClient } from "~/utils/db.server";
import { DomainError } from "~/utils/domain-error";

let env: ReturnType<typeof freshTestEnv>;
let people: MoneyUser[];
let festivalId: string;
let run = 0;

beforeAll(async () => {
  env = freshTestEnv({ PAYOUT_APPROVALS: "1" });
  people = [await createMoneyUser(), await createMoneyUser(), await createMoneyUser()];
  festivalId = (await createFestivalRow()).id;
});
afterAll(async () => {
  await assertLedgerBalanced(env.databaseUrl);
  await disconnectDatabase();
});

type Command =
  | { type: "propose"; by: number; amount: number; monthsAhead: number }
  | { type: "approve"; by: number; pick: number }
  | { type: "burst"; by: number[] }
  | { type: "paid"; by: number; pick: number; hoursAgo: number }
  | { type: "reject" | "cancel"; by: number; pick: number }
  | { type: "wait"; hours: number };

const who = fc.integer({ min: 0, max: 2 });
const pick = fc.nat(50);
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      type: fc.constant("propose" as const),
      by: who,
      amount: fc.integer({ min: 1, max: 300_000 }),
      monthsAhead: fc.integer({ min: 0, max: 2 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ type: fc.constant("approve" as const), by: who, pick }) },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant("burst" as const),
      by: fc.array(who, { minLength: 2, maxLength: 6 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant("paid" as const),
      by: who,
      pick,
      hoursAgo: fc.integer({ min: 0, max: 6 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constantFrom("reject" as const, "cancel" as const),
      by: who,
      pick,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant("wait" as const),
      hours: fc.integer({ min: 1, max: 24 * 20 }),
    }),
  },
);

const addMonth = (month: string, n: number) => {
  const [y, m] = month.split("-").map(Number) as [number, number];
  const i = y * 12 + (m - 1) + n;
  return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, "0")}`;
};

/** A refusal the rules allow: a domain error with a 4xx status. */
function expectRefusal(reason: unknown) {
  expect(reason).toBeInstanceOf(DomainError);
  const status = (reason as DomainError).status;
  expect(status >= 400 && status < 500, String(reason)).toBe(true);
}

const refusals = new Map<string, number>();
async function attempt(fn: () => Promise<unknown>) {
  try {
    await fn();
  } catch (error) {
    expectRefusal(error);
    const code = (error as DomainError).code;
    refusals.set(code, (refusals.get(code) ?? 0) + 1);
  }
}

async function payoutsOf(recipientId: string) {
  const { rows } = await sqlClient().execute({
    sql: "SELECT id, status, month, amountMinor, proposedById FROM Payout WHERE recipientId = ? ORDER BY createdAt, id",
    args: [recipientId],
  });
  return rows.map((r) => ({
    id: String(r.id),
    status: String(r.status),
    month: String(r.month),
    amountMinor: Number(r.amountMinor),
    proposedById: String(r.proposedById),
  }));
}

describe("payouts over random sequences", () => {
  it("never overdraw a fund, over-promise it, or exceed a cap in any month", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 200_000, max: 3_000_000 }),
        fc.integer({ min: 100_000, max: 1_500_000 }),
        fc.constantFrom("Europe/Moscow", "UTC", "America/New_York", "Asia/Vladivostok"),
        fc.array(command, { minLength: 10, maxLength: 30 }),
        async (fundMinor, capMinor, timezone, commands) => {
          const n = ++run;
          const prisonerId = (
            await createPrisonerRow(`prop-prisoner-${n}-${Date.now()}`, { en: `P ${n}` })
          ).id;
          if (fundMinor > 0)
            await fundPrisoner({ festivalId, prisonerId, amountMinor: fundMinor, currency: "RUB" });
          const { id: recipientId } = await createRecipient(people[0]!.actor, {
            prisonerId,
            kind: "relative",
            displayName: `Recipient ${n}`,
            details: "card",
            monthlyCap: { amountMinor: capMinor, currency: "RUB" },
            timezone,
          });
          // Late in a month, so that waits and payment dates cross month boundaries.
          let now = new Date("2026-11-27T18:00:00Z");
          for (const c of commands) {
            const list = await payoutsOf(recipientId);
            const chosen = (status: string, p: number) => {
              const some = list.filter((x) => x.status === status);
              return some.length ? some[p % some.length]! : null;
            };
            switch (c.type) {
              case "propose":
                await attempt(() =>
                  proposePayout(
                    people[c.by]!.actor,
                    {
                      prisonerId,
                      recipientId,
                      category: "family_support",
                      amountMinor: c.amount,
                      currency: "RUB",
                      month: addMonth(monthOf(now, timezone), c.monthsAhead),
                    },
                    now,
                  ),
                );
                break;
              case "approve": {
                const p = chosen("proposed", c.pick);
                if (p) await attempt(() => approvePayout(people[c.by]!.actor, p.id, now));
                break;
              }
              case "burst": {
                // Everyone at once, on every proposed payout: the write lock serialises them.
                const proposed = list.filter((x) => x.status === "proposed");
                const results = await Promise.allSettled(
                  proposed.flatMap((p) =>
                    c.by.map((b) => approvePayout(people[b]!.actor, p.id, now)),
                  ),
                );
                for (const r of results) if (r.status === "rejected") expectRefusal(r.reason);
                break;
              }
              case "paid": {
                const p = chosen("approved", c.pick);
                const paidAt = new Date(now.getTime() - c.hoursAgo * 3_600_000).toISOString();
                if (p)
                  await attempt(() =>
                    markPayoutPaid(people[c.by]!.actor, p.id, { reference: "ref", paidAt }, now),
                  );
                break;
              }
              case "reject":
              case "cancel": {
                const p = chosen(c.pick % 2 ? "approved" : "proposed", c.pick);
                if (!p) break;
                await attempt(() =>
                  c.type === "reject"
                    ? rejectPayout(people[c.by]!.actor, p.id, { reason: "no" }, now)
                    : cancelPayout(people[c.by]!.actor, p.id, {}, now),
                );
                break;
              }
              case "wait":
                now = new Date(now.getTime() + c.hours * 3_600_000);
                break;
            }
            // The invariants, after every step.
            const after = await payoutsOf(recipientId);
            const sum = (statuses: string[]) =>
              after
                .filter((x) => statuses.includes(x.status))
                .reduce((s, x) => s + x.amountMinor, 0);
            const held = await fundHeld(prisonerId, "RUB");
            expect(held).toBeGreaterThanOrEqual(0);
            expect(held).toBe(fundMinor - sum(["paid"]));
            expect(sum(["proposed", "approved"])).toBeLessThanOrEqual(held);
            const byMonth = new Map<string, number>();
            for (const x of after)
              if (x.status === "approved" || x.status === "paid")
                byMonth.set(x.month, (byMonth.get(x.month) ?? 0) + x.amountMinor);
            for (const [month, used] of byMonth) expect(used, month).toBeLessThanOrEqual(capMinor);
            // The proposer never approved their own payout.
            const { rows: own } = await sqlClient().execute({
              sql: `SELECT COUNT(*) AS n FROM Approval a JOIN Payout p ON p.id = a.subjectId
                    WHERE a.subjectType = 'payout' AND p.recipientId = ? AND a.userId = p.proposedById`,
              args: [recipientId],
            });
            expect(Number(own[0]!.n)).toBe(0);
          }
          // Every paid payout's ledger entries sum to its amount and name its category.
          const { rows } = await sqlClient().execute({
            sql: `SELECT p.id, p.amountMinor, COALESCE((SELECT SUM(q.amountMinor) FROM LedgerEntry e
                    JOIN LedgerPosting q ON q.entryId = e.id JOIN LedgerAccount a ON a.id = q.accountId
                    WHERE e.id LIKE 'payout:' || p.id || ':%' AND a.code = 'fund' AND e.purpose = p.category), 0) AS drawn
                  FROM Payout p WHERE p.recipientId = ?`,
            args: [recipientId],
          });
          for (const r of rows) {
            const paid =
              (await payoutsOf(recipientId)).find((x) => x.id === String(r.id))!.status === "paid";
            expect(Number(r.drawn)).toBe(paid ? Number(r.amountMinor) : 0);
          }
        },
      ),
      { numRuns: 25 },
    );
    // The sequences reached every state (so the invariants were tested where they bite).
    const { rows } = await sqlClient().execute(
      "SELECT status, COUNT(*) AS n FROM Payout GROUP BY status",
    );
    const states = new Map(rows.map((r) => [String(r.status), Number(r.n)]));
    for (const status of ["proposed", "approved", "paid"])
      expect(states.get(status) ?? 0, status).toBeGreaterThan(0);
    for (const code of ["cap_exceeded", "insufficient_funds", "self_approval"])
      expect(refusals.get(code) ?? 0, code).toBeGreaterThan(0);
  });
});
