// Allocation (decision 0033): how a festival's net proceeds are split between
// the prisoners it supports and the general fund. Rules are append-only
// versions (AllocationRule): the newest is in force, and a rule change applies
// to money allocated afterwards only. Earmarked money never waits here: it is
// in its prisoner's fund as soon as it is paid (ledger.server.ts).
//
// Unallocated (per festival and currency) is `summarize().unallocated`: income
// net of refunds and chargebacks, minus fees, differences, what went into funds
// and the costs paid. Allocatable is that minus approved costs not paid yet
// (never below zero). `allocate` posts one entry `allocation:<festivalId>:<n>`:
// debit `allocated:p=X`, credit `fund:p=X` per fund (general: no prisoner),
// read and written inside one write transaction, so two treasurers allocating
// at once allocate the money once.
import type { CurrentUser } from "~/utils/auth.server";
import { auditStatement } from "~/utils/change.server";
import { randomToken } from "~/utils/crypto.server";
import { sqlClient, sqlDate, writeTransaction, type SqlExecutor } from "~/utils/db.server";
import { DomainError, FieldRulesError } from "~/utils/domain-error";
import { requirePermission } from "~/utils/permissions.server";
import { z } from "zod";
import { entryStatements, festivalBalances, summarize, type Posting } from "./ledger.server";

export type AllocationShare = { prisonerId: string; percent: number };

/** What a treasurer or organiser sets: explicit shares, or equal shares after the general fund's percent. */
export type AllocationRuleInput =
  | { shares: AllocationShare[]; generalPercent: number; equal?: false }
  | { equal: true; generalPercent?: number };

export type AllocationRule = {
  version: number;
  equal: boolean;
  generalPercent: number;
  /** Explicit shares (empty for "equal"), sorted by prisoner id. */
  shares: AllocationShare[];
  createdById: string | null;
  createdAt: string;
};

/** At most this many shares in a rule (a festival supports a handful of prisoners). */
export const MAX_SHARES = 100;

const percentField = z
  .number({ error: "v.percent" })
  .int({ error: "v.percent" })
  .min(0, { error: "v.percent" })
  .max(100, { error: "v.percent" });

const equalRuleInput = z
  .object({
    equal: z.literal(true, { error: "v.invalid" }),
    generalPercent: percentField.optional(),
  })
  .strict();

const sharesRuleInput = z
  .object({
    equal: z.literal(false, { error: "v.invalid" }).optional(),
    shares: z
      .array(
        z
          .object({
            prisonerId: z
              .string({ error: "v.unknownPrisoner" })
              .max(64, { error: "v.unknownPrisoner" }),
            percent: percentField,
          })
          .strict(),
        { error: "v.required" },
      )
      .max(MAX_SHARES, { error: `v.tooManyShares|${MAX_SHARES}` }),
    generalPercent: percentField,
  })
  .strict();

/**
 * The schema for `PUT /api/v1/festivals/:id/allocation`'s body: `{equal: true,
 * generalPercent?}` when it says equal, else `{shares, generalPercent}` (one
 * schema at a time, so the errors name the fields).
 */
export function allocationRuleInput(body: Record<string, unknown>) {
  return body.equal === true ? equalRuleInput : sharesRuleInput;
}

const isPercent = (n: unknown): n is number =>
  typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 100;

/** The prisoners a festival supports, by id. */
export async function festivalPrisonerIds(db: SqlExecutor, festivalId: string): Promise<string[]> {
  const { rows } = await db.execute({
    sql: `SELECT prisonerId FROM FestivalPrisoner WHERE festivalId = ? ORDER BY prisonerId`,
    args: [festivalId],
  });
  return rows.map((r) => String(r.prisonerId));
}

async function festivalExists(db: SqlExecutor, festivalId: string) {
  if (!festivalId || festivalId.length > 64) return false;
  const { rows } = await db.execute({
    sql: `SELECT 1 FROM Festival WHERE id = ?`,
    args: [festivalId],
  });
  return rows.length > 0;
}

/** Check a rule against the festival: 422 with the fields that break it. */
function checkRule(input: AllocationRuleInput, supported: string[]) {
  const fields: Record<string, string> = {};
  const general = input.generalPercent ?? 0;
  if (!isPercent(general)) fields.generalPercent = "v.percent";
  if (input.equal === true) {
    if (Object.keys(fields).length) throw new FieldRulesError(fields);
    return { equal: true, generalPercent: general, shares: [] as AllocationShare[] };
  }
  const shares = Array.isArray(input.shares) ? input.shares : null;
  if (!shares) fields.shares = "v.required";
  else if (shares.length > MAX_SHARES) fields.shares = `v.tooManyShares|${MAX_SHARES}`;
  else {
    const seen = new Set<string>();
    const known = new Set(supported);
    shares.forEach((s, i) => {
      if (!isPercent(s.percent)) fields[`shares.${i}.percent`] = "v.percent";
      if (typeof s.prisonerId !== "string" || !known.has(s.prisonerId))
        fields[`shares.${i}.prisonerId`] = "v.unknownPrisoner";
      else if (seen.has(s.prisonerId)) fields[`shares.${i}.prisonerId`] = "v.duplicate";
      else seen.add(s.prisonerId);
    });
  }
  if (Object.keys(fields).length === 0) {
    const sum = (shares ?? []).reduce((n, s) => n + s.percent, general);
    if (sum !== 100) fields._form = "v.percentsSum";
  }
  if (Object.keys(fields).length) throw new FieldRulesError(fields);
  return {
    equal: false,
    generalPercent: general,
    shares: [...(shares ?? [])]
      .map((s) => ({ prisonerId: s.prisonerId, percent: s.percent }))
      .sort((a, b) => (a.prisonerId < b.prisonerId ? -1 : a.prisonerId > b.prisonerId ? 1 : 0)),
  };
}

function ruleOf(r: Record<string, unknown>): AllocationRule {
  const shares = JSON.parse(String(r.shares)) as AllocationShare[];
  return {
    version: Number(r.version),
    equal: Boolean(Number(r.equal)),
    generalPercent: Number(r.generalPercent),
    shares,
    createdById: r.createdById === null ? null : String(r.createdById),
    createdAt: new Date(String(r.createdAt)).toISOString(),
  };
}

/** The rule in force for a festival (its newest version), or null: then everything goes to the general fund. */
export async function currentRule(
  festivalId: string,
  db: SqlExecutor = sqlClient(),
): Promise<AllocationRule | null> {
  const { rows } = await db.execute({
    sql: `SELECT version, equal, generalPercent, shares, createdById, createdAt FROM AllocationRule
          WHERE festivalId = ? ORDER BY version DESC LIMIT 1`,
    args: [festivalId],
  });
  return rows[0] ? ruleOf(rows[0] as Record<string, unknown>) : null;
}

/**
 * A new version of the festival's allocation rule (it applies to money allocated
 * from now on). Percents are whole numbers 0..100 summing to exactly 100; the
 * prisoners must be ones the festival supports, each once. 422 with the fields otherwise.
 */
export async function setAllocationRule(
  actor: CurrentUser,
  festivalId: string,
  input: AllocationRuleInput,
  now = new Date(),
): Promise<AllocationRule> {
  requirePermission(actor, "festival:allocation", festivalId);
  if (!(await festivalExists(sqlClient(), festivalId))) throw DomainError.notFound();
  return writeTransaction(async (tx) => {
    const rule = checkRule(input, await festivalPrisonerIds(tx, festivalId));
    const { rows } = await tx.execute({
      sql: `SELECT COALESCE(MAX(version), 0) + 1 AS next FROM AllocationRule WHERE festivalId = ?`,
      args: [festivalId],
    });
    const version = Number(rows[0]?.next ?? 1);
    const id = randomToken(16);
    await tx.batch([
      {
        sql: `INSERT INTO AllocationRule (id, festivalId, version, equal, generalPercent, shares, createdById, createdAt)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        args: [
          id,
          festivalId,
          version,
          rule.equal ? 1 : 0,
          rule.generalPercent,
          JSON.stringify(rule.shares),
          actor.id,
          sqlDate(now),
        ],
      },
      auditStatement(
        {
          actorUserId: actor.id,
          action: "allocation.rule",
          targetType: "allocationRule",
          targetId: id,
          festivalId,
          details: {
            version,
            equal: rule.equal,
            generalPercent: rule.generalPercent,
            shares: rule.shares.map((s) => `${s.prisonerId}:${s.percent}`),
          },
        },
        now,
      ),
    ]);
    return {
      version,
      equal: rule.equal,
      generalPercent: rule.generalPercent,
      shares: rule.shares,
      createdById: actor.id,
      createdAt: now.toISOString(),
    };
  });
}

export type Allocatable = {
  currency: string;
  /** Income net of refunds and chargebacks, minus fees, differences, allocations and costs paid. */
  unallocatedMinor: number;
  /** Approved costs not paid yet: kept back for them. */
  approvedCostsMinor: number;
  /** What an allocation would split now: unallocated − approved costs, never below zero. */
  allocatableMinor: number;
};

/** What a festival could allocate now, per currency. */
export async function allocatable(
  festivalId: string,
  db: SqlExecutor = sqlClient(),
): Promise<Allocatable[]> {
  const [balances, costs] = await Promise.all([
    festivalBalances(festivalId, db),
    db.execute({
      sql: `SELECT currency, SUM(amountMinor) AS owed FROM FestivalCost
            WHERE festivalId = ? AND status = 'approved' GROUP BY currency`,
      args: [festivalId],
    }),
  ]);
  const summary = summarize(balances);
  const owed = new Map(costs.rows.map((r) => [String(r.currency), Number(r.owed)]));
  const currencies = [...new Set([...Object.keys(summary), ...owed.keys()])].sort();
  return currencies.map((currency) => {
    const unallocatedMinor = summary[currency]?.unallocated ?? 0;
    const approvedCostsMinor = owed.get(currency) ?? 0;
    return {
      currency,
      unallocatedMinor,
      approvedCostsMinor,
      allocatableMinor: Math.max(0, unallocatedMinor - approvedCostsMinor),
    };
  });
}

/** One fund's part of an allocation (fund: the prisoner, null for the general fund). */
export type AllocatedPart = { fund: string | null; currency: string; amountMinor: number };

/**
 * The funds a rule splits money between, in fund order (prisoners by id, the
 * general fund last), with integer weights over a common denominator.
 */
export function ruleWeights(
  rule: Pick<AllocationRule, "equal" | "generalPercent" | "shares"> | null,
  prisonerIds: string[],
): { funds: { fund: string | null; weight: bigint }[]; denominator: bigint } {
  if (!rule) return { funds: [{ fund: null, weight: 1n }], denominator: 1n };
  if (rule.equal) {
    const prisoners = [...new Set(prisonerIds)].sort();
    if (prisoners.length === 0) return { funds: [{ fund: null, weight: 1n }], denominator: 1n };
    const k = BigInt(prisoners.length);
    const each = BigInt(100 - rule.generalPercent);
    return {
      funds: [
        ...prisoners.map((fund) => ({ fund: fund as string | null, weight: each })),
        { fund: null, weight: BigInt(rule.generalPercent) * k },
      ].filter((f) => f.weight > 0n),
      denominator: 100n * k,
    };
  }
  return {
    funds: [
      ...[...rule.shares]
        .sort((a, b) => (a.prisonerId < b.prisonerId ? -1 : 1))
        .map((s) => ({ fund: s.prisonerId as string | null, weight: BigInt(s.percent) })),
      { fund: null, weight: BigInt(rule.generalPercent) },
    ].filter((f) => f.weight > 0n),
    denominator: 100n,
  };
}

/**
 * Split `amountMinor` by weights: largest remainder, so the parts add up to the
 * amount exactly; ties go to the earlier fund (prisoners by id, general last).
 */
export function splitLargestRemainder(
  amountMinor: number,
  funds: { fund: string | null; weight: bigint }[],
  denominator: bigint,
): { fund: string | null; amountMinor: number }[] {
  const amount = BigInt(amountMinor);
  const parts = funds.map((f, i) => ({
    i,
    fund: f.fund,
    floor: (amount * f.weight) / denominator,
    rest: (amount * f.weight) % denominator,
  }));
  let left = amount - parts.reduce((s, p) => s + p.floor, 0n);
  const order = [...parts].sort((a, b) => (b.rest > a.rest ? 1 : b.rest < a.rest ? -1 : a.i - b.i));
  for (const p of order) {
    if (left <= 0n) break;
    p.floor += 1n;
    left -= 1n;
  }
  return parts.map((p) => ({ fund: p.fund, amountMinor: Number(p.floor) }));
}

export type AllocationResult = {
  /** The entry's id, or null when there was nothing to allocate. */
  entryId: string | null;
  allocated: AllocatedPart[];
  /** The rule version followed (null: no rule, all to the general fund). */
  rule: number | null;
};

/**
 * Allocate everything a festival can allocate now, in every currency, by the
 * rule in force now. Nothing to allocate: 200 with an empty list (a no-op,
 * so retrying is harmless). Read and written in one write transaction.
 */
export async function allocate(
  actor: CurrentUser,
  festivalId: string,
  now = new Date(),
): Promise<AllocationResult> {
  requirePermission(actor, "treasury");
  if (!(await festivalExists(sqlClient(), festivalId))) throw DomainError.notFound();
  return writeTransaction(async (tx) => {
    const [rule, prisoners, amounts] = await Promise.all([
      currentRule(festivalId, tx),
      festivalPrisonerIds(tx, festivalId),
      allocatable(festivalId, tx),
    ]);
    const { funds, denominator } = ruleWeights(rule, prisoners);
    const allocated: AllocatedPart[] = [];
    for (const a of amounts) {
      if (a.allocatableMinor <= 0) continue;
      for (const part of splitLargestRemainder(a.allocatableMinor, funds, denominator))
        if (part.amountMinor > 0)
          allocated.push({ fund: part.fund, currency: a.currency, amountMinor: part.amountMinor });
    }
    if (allocated.length === 0) return { entryId: null, allocated, rule: rule?.version ?? null };
    const { rows } = await tx.execute({
      sql: `SELECT COUNT(*) AS n FROM LedgerEntry WHERE festivalId = ? AND kind = 'allocation'`,
      args: [festivalId],
    });
    const entryId = `allocation:${festivalId}:${Number(rows[0]?.n ?? 0) + 1}`;
    const postings: Posting[] = allocated.flatMap((p) => {
      const base = { festivalId, currency: p.currency, prisonerId: p.fund };
      return [
        { account: { ...base, code: "allocated" as const }, amountMinor: p.amountMinor },
        { account: { ...base, code: "fund" as const }, amountMinor: -p.amountMinor },
      ];
    });
    await tx.batch([
      ...entryStatements({
        id: entryId,
        festivalId,
        kind: "allocation",
        actorUserId: actor.id,
        memo: rule ? `allocation rule v${rule.version}` : "no allocation rule: general fund",
        at: now,
        postings,
      }),
      auditStatement(
        {
          actorUserId: actor.id,
          action: "allocation.allocate",
          targetType: "ledgerEntry",
          targetId: entryId,
          festivalId,
          details: {
            rule: rule?.version ?? null,
            parts: allocated.map((p) => `${p.fund ?? "general"}:${p.currency}:${p.amountMinor}`),
          },
        },
        now,
      ),
    ]);
    return { entryId, allocated, rule: rule?.version ?? null };
  });
}
