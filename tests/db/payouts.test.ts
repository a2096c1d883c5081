// Recipients and payouts (app/models/recipients.server.ts, payouts.server.ts),
// called directly against a real SQLite file: recipients sealed at rest, caps
// over several proposals in a month and across the month boundary in the
// recipient's zone, the two-person rule (self-approval refused, twice counts
// once, PAYOUT_APPROVALS=2), reservation on approval, money leaving the fund
// only when paid, concurrent approvals that can never exceed a cap or a fund,
// the tranche planner, and audit rows without any decrypted detail.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshTestEnv } from "../helpers/env";
import { createFestivalRow, createPrisonerRow, createUserRow } from "../helpers/fixtures";
import { fundHeld, fundPrisoner } from "../helpers/funds";
import { assertLedgerBalanced } from "../helpers/ledger";
import { createMoneyUser, type MoneyUser } from "../helpers/treasury";
import { fundBalances } from "~/models/funds.server";
import { entryStatements } from "~/models/ledger.server";
import {
  acceptPayoutPlan,
  approvePayout,
  cancelPayout,
  getPayout,
  listPayouts,
  markPayoutPaid,
  payoutPlan,
  proposePayout,
  rejectPayout,
  type PayoutInput,
} from "~/models/payouts.server";
import {
  archiveRecipient,
  createRecipient,
  getRecipient,
  listRecipients,
  updateRecipient,
  type RecipientInput,
} from "~/models/recipients.server";
import type { CurrentUser } from "~/utils/auth.server";
import { disconnectDatabase, sqlClient } from "~/utils/db.server";
import { DomainError } from "~/utils/domain-error";
import { resetEnvCache } from "~/utils/env.server";

let env: ReturnType<typeof freshTestEnv>;
let A: MoneyUser; // proposes
let B: MoneyUser; // approves
let C: MoneyUser; // approves too
let festivalId: string;
let older: string;
let prisonerN = 0;

/** Everything sealed that a test wrote: none of it may appear in plain text anywhere it checks. */
const secrets: string[] = [];
const secret = (label: string) => {
  const s = `${label} ${Math.random().toString(36).slice(2, 10)}`;
  secrets.push(s);
  return s;
};

beforeAll(async () => {
  env = freshTestEnv({ PAYOUT_APPROVALS: "1" });
  [A, B, C] = [await createMoneyUser(), await createMoneyUser(), await createMoneyUser()];
  festivalId = (await createFestivalRow({ startsAt: new Date("2030-06-01T12:00:00Z") })).id;
  older = (await createFestivalRow({ startsAt: new Date("2029-06-01T12:00:00Z") })).id;
});
afterAll(async () => {
  await assertLedgerBalanced(env.databaseUrl);
  await disconnectDatabase();
});

// 15 November 2026, noon in Moscow.
const NOW = new Date("2026-11-15T09:00:00Z");

async function prisoner(fundMinor = 0, currency = "RUB") {
  const p = await createPrisonerRow(`payout-prisoner-${++prisonerN}`, {
    en: `Prisoner ${prisonerN}`,
  });
  if (fundMinor > 0)
    await fundPrisoner({ festivalId, prisonerId: p.id, amountMinor: fundMinor, currency });
  return p.id;
}

async function recipient(prisonerId: string, extra: Partial<RecipientInput> = {}) {
  return (
    await createRecipient(A.actor, {
      prisonerId,
      kind: "relative",
      displayName: secret("Marina Petrova"),
      details: secret("card 4276 3800"),
      notes: secret("call after six"),
      monthlyCap: { amountMinor: 1_000_000, currency: "RUB" },
      ...extra,
    })
  ).id;
}

function payout(
  prisonerId: string,
  recipientId: string,
  amountMinor: number,
  extra: Partial<PayoutInput> = {},
): PayoutInput {
  return {
    prisonerId,
    recipientId,
    category: "family_support",
    amountMinor,
    currency: "RUB",
    note: secret("for the rent"),
    ...extra,
  };
}

async function refused(promise: Promise<unknown>, status: number, code: string) {
  const error: unknown = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, `expected ${status} ${code}`).toBeInstanceOf(DomainError);
  expect({ status: (error as DomainError).status, code: (error as DomainError).code }).toEqual({
    status,
    code,
  });
  return error as DomainError;
}

const count = async (sql: string, args: (string | number)[] = []) =>
  Number((await sqlClient().execute({ sql, args })).rows[0]?.n ?? 0);

/** A fund balance moved out (a transfer to the general fund), straight through the ledger. */
async function drainFund(prisonerId: string, amountMinor: number, currency = "RUB") {
  await sqlClient().batch(
    entryStatements({
      id: `test-transfer:${prisonerId}:${amountMinor}:${Math.random()}`,
      festivalId,
      kind: "fund_transfer",
      at: new Date(),
      postings: [
        { account: { festivalId, currency, code: "fund", prisonerId }, amountMinor },
        {
          account: { festivalId, currency, code: "fund", prisonerId: null },
          amountMinor: -amountMinor,
        },
      ],
    }),
    "write",
  );
}

describe("recipients", () => {
  it("are sealed at rest: the row holds no name, detail or note", async () => {
    const p = await prisoner();
    const name = secret("Olga Sergeevna");
    const details = secret("IBAN RU00 1234");
    const id = (
      await createRecipient(A.actor, {
        prisonerId: p,
        kind: "lawyer",
        displayName: name,
        details,
        timezone: "Asia/Yekaterinburg",
      })
    ).id;
    const row = (
      await sqlClient().execute({ sql: "SELECT * FROM Recipient WHERE id = ?", args: [id] })
    ).rows[0]!;
    const raw = JSON.stringify(row);
    expect(raw).not.toContain(name);
    expect(raw).not.toContain(details);
    expect(String(row.sealed)).toMatch(/^v1\./);
    expect(row.timezone).toBe("Asia/Yekaterinburg");
    expect(row.capMinor).toBeNull();
    const seen = await getRecipient(B.actor, id);
    expect(seen).toMatchObject({
      displayName: name,
      details,
      notes: null,
      kind: "lawyer",
      monthlyCap: null,
    });
    const list = await listRecipients(B.actor, { prisonerId: p });
    expect(list.map((r) => r.displayName)).toEqual([name]);
    expect(JSON.stringify(list)).not.toContain(details);
  });

  it("re-seal on update, keep the untouched fields, and archive", async () => {
    const p = await prisoner();
    const id = await recipient(p);
    const before = String(
      (await sqlClient().execute({ sql: "SELECT sealed FROM Recipient WHERE id = ?", args: [id] }))
        .rows[0]!.sealed,
    );
    const details = secret("phone +7 900");
    const updated = await updateRecipient(A.actor, id, {
      details,
      monthlyCap: { amountMinor: 500_000, currency: "RUB" },
    });
    expect(updated.details).toBe(details);
    expect(updated.monthlyCap).toEqual({ amountMinor: 500_000, currency: "RUB" });
    const after = String(
      (await sqlClient().execute({ sql: "SELECT sealed FROM Recipient WHERE id = ?", args: [id] }))
        .rows[0]!.sealed,
    );
    expect(after).not.toBe(before);
    expect(after).not.toContain(details);
    const cleared = await updateRecipient(A.actor, id, { notes: null, monthlyCap: null });
    expect(cleared.notes).toBeNull();
    expect(cleared.monthlyCap).toBeNull();
    await archiveRecipient(A.actor, id);
    expect(await listRecipients(A.actor, { prisonerId: p })).toEqual([]);
    expect(
      (await listRecipients(A.actor, { prisonerId: p, includeArchived: true }))[0]!.archivedAt,
    ).not.toBeNull();
    await refused(updateRecipient(A.actor, id, { kind: "fund" }), 409, "recipient_archived");
  });

  it("are refused to anyone without the treasury permission, and to a treasurer without the second factor", async () => {
    const member = await createUserRow();
    const organiser: CurrentUser = {
      id: member.id,
      email: member.email,
      name: null,
      role: "member",
      locale: null,
      memberships: [{ festivalId, role: "organiser" }],
    };
    const p = await prisoner();
    const id = await recipient(p);
    await refused(listRecipients(organiser), 403, "forbidden");
    await refused(getRecipient(organiser, id), 403, "forbidden");
    const noFactor = { ...B.actor, secondFactor: false };
    await refused(getRecipient(noFactor, id), 403, "second_factor_required");
    await refused(proposePayout(noFactor, payout(p, id, 100)), 403, "second_factor_required");
  });

  it("cannot be archived while a payout to them is open", async () => {
    const p = await prisoner(100_000);
    const id = await recipient(p);
    const { id: payoutId } = await proposePayout(A.actor, payout(p, id, 10_000), NOW);
    await refused(archiveRecipient(A.actor, id), 409, "recipient_has_open_payouts");
    await cancelPayout(A.actor, payoutId);
    await archiveRecipient(A.actor, id);
  });
});

describe("proposals", () => {
  it("several in one month fit the cap until it is used up; the next month has its own", async () => {
    const p = await prisoner(10_000_000);
    const r = await recipient(p); // cap 10,000 ₽ (1,000,000 kopecks)
    await proposePayout(A.actor, payout(p, r, 400_000), NOW);
    await proposePayout(A.actor, payout(p, r, 400_000), NOW);
    const over = await refused(
      proposePayout(A.actor, payout(p, r, 400_000), NOW),
      409,
      "cap_exceeded",
    );
    expect(over.message).toContain("2026-11");
    expect(over.message).toContain("200000");
    expect(over.fields?.amountMinor).toBe("v.capLeft|200000|RUB");
    await proposePayout(A.actor, payout(p, r, 200_000), NOW);
    await refused(proposePayout(A.actor, payout(p, r, 1), NOW), 409, "cap_exceeded");
    // December is another month.
    const dec = await proposePayout(A.actor, payout(p, r, 1_000_000, { month: "2026-12" }), NOW);
    expect((await getPayout(A.actor, dec.id)).month).toBe("2026-12");
    // A rejected or cancelled payout gives its share of the cap back.
    const [first] = await listPayouts(A.actor, { recipientId: r, status: "proposed" });
    await rejectPayout(B.actor, first!.id, { reason: "duplicate" });
    await proposePayout(A.actor, payout(p, r, first!.amountMinor), NOW);
  });

  it("count this month in the recipient's zone: 21:30 UTC on 30 November is December in Moscow", async () => {
    const p = await prisoner(10_000_000);
    const moscow = await recipient(p);
    const utc = await recipient(p, { timezone: "UTC" });
    const late = new Date("2026-11-30T21:30:00Z");
    const a = await proposePayout(A.actor, payout(p, moscow, 100_000), late);
    const b = await proposePayout(A.actor, payout(p, utc, 100_000), late);
    expect((await getPayout(A.actor, a.id)).month).toBe("2026-12");
    expect((await getPayout(A.actor, b.id)).month).toBe("2026-11");
    // November is over in Moscow: no payout may be planned for it there.
    const past = await refused(
      proposePayout(A.actor, payout(p, moscow, 100_000, { month: "2026-11" }), late),
      422,
      "validation_failed",
    );
    expect(past.fields).toEqual({ month: "v.payoutMonth" });
  });

  it("count proposed and approved payouts as reserved: the fund's available money is the limit", async () => {
    const p = await prisoner(1_000_000);
    const r = await recipient(p, { monthlyCap: null });
    const tooMuch = await refused(
      proposePayout(A.actor, payout(p, r, 1_000_001), NOW),
      409,
      "insufficient_funds",
    );
    expect(tooMuch.message).toContain("1000000");
    const first = await proposePayout(A.actor, payout(p, r, 600_000), NOW);
    const second = await refused(
      proposePayout(A.actor, payout(p, r, 600_000), NOW),
      409,
      "insufficient_funds",
    );
    expect(second.fields?.amountMinor).toBe("v.insufficientFunds|400000|RUB");
    await cancelPayout(A.actor, first.id, { reason: "wrong amount" });
    await proposePayout(A.actor, payout(p, r, 600_000), NOW);
  });

  it("refuse another prisoner's recipient, an archived one, an unknown one, and a currency other than the cap's", async () => {
    const p = await prisoner(1_000_000);
    const q = await prisoner(1_000_000);
    const theirs = await recipient(q);
    const e1 = await refused(
      proposePayout(A.actor, payout(p, theirs, 100), NOW),
      422,
      "validation_failed",
    );
    expect(e1.fields).toEqual({ recipientId: "v.recipientOfOtherPrisoner" });
    const archived = await recipient(p);
    await archiveRecipient(A.actor, archived);
    const e2 = await refused(
      proposePayout(A.actor, payout(p, archived, 100), NOW),
      422,
      "validation_failed",
    );
    expect(e2.fields).toEqual({ recipientId: "v.recipientArchived" });
    const e3 = await refused(
      proposePayout(A.actor, payout(p, "nope", 100), NOW),
      422,
      "validation_failed",
    );
    expect(e3.fields).toEqual({ recipientId: "v.unknownRecipient" });
    const e4 = await refused(
      proposePayout(A.actor, payout("no-such-prisoner", theirs, 100), NOW),
      422,
      "validation_failed",
    );
    expect(e4.fields?.prisonerId).toBe("v.noSuchPrisoner");
    const mine = await recipient(p);
    await refused(
      proposePayout(A.actor, payout(p, mine, 100, { currency: "EUR" }), NOW),
      422,
      "cap_currency_mismatch",
    );
    expect(await count("SELECT COUNT(*) AS n FROM Payout WHERE prisonerId = ?", [p])).toBe(0);
  });
});

describe("approval", () => {
  it("refuses the proposer, counts the same person once, and reserves the money when complete", async () => {
    const p = await prisoner(1_000_000);
    const r = await recipient(p);
    const { id } = await proposePayout(A.actor, payout(p, r, 300_000), NOW);
    const self = await refused(approvePayout(A.actor, id), 403, "self_approval");
    expect(self.message).toMatch(/someone else/);
    expect(await count("SELECT COUNT(*) AS n FROM Approval WHERE subjectId = ?", [id])).toBe(0);
    const approved = await approvePayout(B.actor, id, NOW);
    expect(approved.status).toBe("approved");
    expect(approved.approvals).toEqual({ count: 1, needed: 1, userIds: [B.id] });
    // Again: nothing changes.
    const again = await approvePayout(B.actor, id, NOW);
    expect(again.approvals.count).toBe(1);
    expect(await count("SELECT COUNT(*) AS n FROM Approval WHERE subjectId = ?", [id])).toBe(1);
    // Someone else, now that it is approved: refused by its state.
    await refused(approvePayout(C.actor, id), 409, "payout_state");
    // Reserved, still in the fund.
    const [rub] = await fundBalances(sqlClient(), p);
    expect(rub).toMatchObject({
      currency: "RUB",
      balanceMinor: 1_000_000,
      reservedMinor: 300_000,
      availableMinor: 700_000,
    });
    expect(await fundHeld(p, "RUB")).toBe(1_000_000);
    expect(
      await count("SELECT COUNT(*) AS n FROM LedgerEntry WHERE id LIKE ?", [`payout:${id}:%`]),
    ).toBe(0);
  });

  it("with PAYOUT_APPROVALS=2 needs two people other than the proposer", async () => {
    process.env.PAYOUT_APPROVALS = "2";
    resetEnvCache();
    try {
      const p = await prisoner(1_000_000);
      const r = await recipient(p);
      const { id } = await proposePayout(A.actor, payout(p, r, 100_000), NOW);
      const one = await approvePayout(B.actor, id, NOW);
      expect(one).toMatchObject({ status: "proposed", approvals: { count: 1, needed: 2 } });
      const twice = await approvePayout(B.actor, id, NOW);
      expect(twice).toMatchObject({ status: "proposed", approvals: { count: 1, needed: 2 } });
      await refused(approvePayout(A.actor, id), 403, "self_approval");
      const two = await approvePayout(C.actor, id, NOW);
      expect(two).toMatchObject({ status: "approved", approvals: { count: 2, needed: 2 } });
      expect(two.approvals.userIds.sort()).toEqual([B.id, C.id].sort());
    } finally {
      process.env.PAYOUT_APPROVALS = "1";
      resetEnvCache();
    }
  });

  it("concurrent approvals never exceed a cap: the cap was lowered under five proposals", async () => {
    const p = await prisoner(10_000_000);
    const r = await recipient(p, { monthlyCap: { amountMinor: 5_000_000, currency: "RUB" } });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await proposePayout(A.actor, payout(p, r, 400_000), NOW)).id);
    await updateRecipient(A.actor, r, { monthlyCap: { amountMinor: 1_000_000, currency: "RUB" } });
    const results = await Promise.allSettled(
      ids.map((id, i) => approvePayout(i % 2 ? B.actor : C.actor, id, NOW)),
    );
    const ok = results.filter((x) => x.status === "fulfilled");
    const no = results.filter((x): x is PromiseRejectedResult => x.status === "rejected");
    expect(ok).toHaveLength(2); // 2 × 4,000 ≤ 10,000 < 3 × 4,000
    for (const x of no) expect((x.reason as DomainError).code).toBe("cap_exceeded");
    const approved = await count(
      "SELECT COALESCE(SUM(amountMinor), 0) AS n FROM Payout WHERE recipientId = ? AND status = 'approved'",
      [r],
    );
    expect(approved).toBe(800_000);
    // A refused approval is not recorded either.
    expect(
      await count(
        `SELECT COUNT(*) AS n FROM Approval WHERE subjectType = 'payout' AND subjectId IN (${ids.map(() => "?").join(",")})`,
        ids,
      ),
    ).toBe(2);
  });

  it("concurrent approvals never exceed a fund: money moved out under five proposals", async () => {
    const p = await prisoner(2_000_000);
    const r = await recipient(p, { monthlyCap: null });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await proposePayout(A.actor, payout(p, r, 400_000), NOW)).id);
    await drainFund(p, 1_000_000); // 10,000 ₽ left: two approvals' worth
    const results = await Promise.allSettled(ids.map((id) => approvePayout(B.actor, id, NOW)));
    expect(results.filter((x) => x.status === "fulfilled")).toHaveLength(2);
    for (const x of results)
      if (x.status === "rejected")
        expect((x.reason as DomainError).code).toBe("insufficient_funds");
    const [rub] = await fundBalances(sqlClient(), p);
    expect(rub).toMatchObject({ balanceMinor: 1_000_000, reservedMinor: 800_000 });
  });

  it("two people approving the same payout at once: one approves it, the other is told its state", async () => {
    const p = await prisoner(1_000_000);
    const r = await recipient(p);
    const { id } = await proposePayout(A.actor, payout(p, r, 100_000), NOW);
    const results = await Promise.allSettled([
      approvePayout(B.actor, id, NOW),
      approvePayout(C.actor, id, NOW),
    ]);
    expect(results.filter((x) => x.status === "fulfilled")).toHaveLength(1);
    const rejected = results.find((x): x is PromiseRejectedResult => x.status === "rejected")!;
    expect((rejected.reason as DomainError).code).toBe("payout_state");
    expect(await count("SELECT COUNT(*) AS n FROM Approval WHERE subjectId = ?", [id])).toBe(1);
  });
});

describe("paid", () => {
  it("money leaves the fund only when paid, oldest festival first, with the category as purpose", async () => {
    const p = await prisoner();
    await fundPrisoner({ festivalId: older, prisonerId: p, amountMinor: 200_000, currency: "RUB" });
    await fundPrisoner({ festivalId, prisonerId: p, amountMinor: 800_000, currency: "RUB" });
    const r = await recipient(p);
    const { id } = await proposePayout(A.actor, payout(p, r, 500_000, { category: "lawyer" }), NOW);
    await refused(
      markPayoutPaid(B.actor, id, { reference: "x", paidAt: "2026-11-16T10:00:00Z" }, NOW),
      409,
      "payout_state",
    );
    expect(await fundHeld(p, "RUB")).toBe(1_000_000);
    await approvePayout(B.actor, id, NOW);
    expect(await fundHeld(p, "RUB")).toBe(1_000_000);
    const reference = secret("SBP transfer 77");
    const paid = await markPayoutPaid(
      C.actor,
      id,
      { reference, paidAt: "2026-11-16T10:00:00Z" },
      new Date("2026-11-16T12:00:00Z"),
    );
    expect(paid).toMatchObject({ status: "paid", month: "2026-11", reference, paidById: C.id });
    expect(await fundHeld(p, "RUB")).toBe(500_000);
    const { rows } = await sqlClient().execute({
      sql: `SELECT e.id, e.kind, e.purpose, e.memo, e.festivalId, p.amountMinor, a.code FROM LedgerEntry e
            JOIN LedgerPosting p ON p.entryId = e.id JOIN LedgerAccount a ON a.id = p.accountId
            WHERE e.id LIKE ? ORDER BY e.id, a.code`,
      args: [`payout:${id}:%`],
    });
    const entries = new Map<string, number>();
    for (const row of rows) {
      expect(row.kind).toBe("payout");
      expect(row.purpose).toBe("lawyer");
      if (row.code === "fund") entries.set(String(row.festivalId), Number(row.amountMinor));
    }
    expect(Object.fromEntries(entries)).toEqual({ [older]: 200_000, [festivalId]: 300_000 });
    // The sealed reference is not in the row.
    const raw = JSON.stringify(
      (await sqlClient().execute({ sql: "SELECT * FROM Payout WHERE id = ?", args: [id] })).rows[0],
    );
    expect(raw).not.toContain(reference);
    // Once paid: no cancel, no second payment.
    await refused(cancelPayout(A.actor, id), 409, "payout_state");
    await refused(
      markPayoutPaid(C.actor, id, { reference: "again", paidAt: "2026-11-16T10:00:00Z" }, NOW),
      409,
      "payout_state",
    );
    // The same request again (its answer was lost) answers the payout and changes nothing;
    // someone else repeating it is still refused.
    const repeat = { reference, paidAt: "2026-11-16T10:00:00Z" };
    expect(await markPayoutPaid(C.actor, id, repeat, NOW)).toEqual(paid);
    await refused(markPayoutPaid(B.actor, id, repeat, NOW), 409, "payout_state");
    expect(await fundHeld(p, "RUB")).toBe(500_000);
    const [rub] = await fundBalances(sqlClient(), p);
    expect(rub).toMatchObject({ balanceMinor: 500_000, reservedMinor: 0 });
  });

  it("counts in the month of the payment in the recipient's zone, and re-checks the cap there", async () => {
    const p = await prisoner(10_000_000);
    const r = await recipient(p); // Moscow, cap 10,000 ₽
    // November's cap filled and paid.
    const nov = await proposePayout(A.actor, payout(p, r, 1_000_000), NOW);
    await approvePayout(B.actor, nov.id, NOW);
    await markPayoutPaid(
      B.actor,
      nov.id,
      { reference: "n", paidAt: "2026-11-20T10:00:00Z" },
      NOW_LATER,
    );
    // A December payout paid early, in November (Moscow): no room left there.
    const dec = await proposePayout(A.actor, payout(p, r, 500_000, { month: "2026-12" }), NOW);
    await approvePayout(B.actor, dec.id, NOW);
    const over = await refused(
      markPayoutPaid(
        B.actor,
        dec.id,
        { reference: "d", paidAt: "2026-11-30T20:00:00Z" },
        NOW_LATER,
      ),
      409,
      "cap_exceeded",
    );
    expect(over.message).toContain("2026-11");
    expect((await getPayout(A.actor, dec.id)).status).toBe("approved");
    // 21:30 UTC on 30 November is December in Moscow: that fits.
    const paid = await markPayoutPaid(
      B.actor,
      dec.id,
      { reference: "d", paidAt: "2026-11-30T21:30:00Z" },
      new Date("2026-12-01T09:00:00Z"),
    );
    expect(paid.month).toBe("2026-12");
    // A payment date in the future is refused.
    const next = await proposePayout(A.actor, payout(p, r, 100_000, { month: "2026-12" }), NOW);
    await approvePayout(B.actor, next.id, NOW);
    const future = await refused(
      markPayoutPaid(
        B.actor,
        next.id,
        { reference: "f", paidAt: "2026-12-24T10:00:00Z" },
        new Date("2026-12-02T09:00:00Z"),
      ),
      422,
      "validation_failed",
    );
    expect(future.fields).toEqual({ paidAt: "v.paidInFuture" });
    // Nor a date before the day it was approved (that would move it to another cap month).
    const early = await refused(
      markPayoutPaid(
        B.actor,
        next.id,
        { reference: "e", paidAt: "2026-11-14T10:00:00Z" },
        new Date("2026-12-02T09:00:00Z"),
      ),
      422,
      "validation_failed",
    );
    expect(early.fields).toEqual({ paidAt: "v.paidBeforeApproved" });
    // The day of the approval itself, as a date alone (midnight in the recipient's zone), is fine.
    const q = await prisoner(1_000_000);
    const other = await recipient(q);
    const today = await proposePayout(A.actor, payout(q, other, 100_000), NOW);
    await approvePayout(B.actor, today.id, NOW);
    const sameDay = await markPayoutPaid(
      B.actor,
      today.id,
      { reference: "e", paidAt: "2026-11-15" },
      new Date("2026-11-16T09:00:00Z"),
    );
    expect(sameDay).toMatchObject({ status: "paid", month: "2026-11" });
    expect(sameDay.paidAt).toBe("2026-11-14T21:00:00.000Z");
  });
});

const NOW_LATER = new Date("2026-11-30T21:00:00Z");

describe("one write transaction per step", () => {
  /** Run `act` while the audit row of `action` is refused by a trigger. */
  async function withAuditRefused(action: string, act: () => Promise<unknown>) {
    await sqlClient().execute(
      `CREATE TRIGGER test_refuse_audit BEFORE INSERT ON AuditEvent WHEN NEW.action = '${action}'
       BEGIN SELECT RAISE(ABORT, 'audit refused by the test'); END`,
    );
    try {
      await expect(act()).rejects.toThrow(/audit refused/);
    } finally {
      await sqlClient().execute("DROP TRIGGER test_refuse_audit");
    }
  }

  it("a refused audit row leaves no approval, no status change, no ledger entry and no payment", async () => {
    const p = await prisoner(1_000_000);
    const r = await recipient(p);
    const { id } = await proposePayout(A.actor, payout(p, r, 200_000), NOW);
    await withAuditRefused("payout.approve", () => approvePayout(B.actor, id, NOW));
    expect((await getPayout(A.actor, id)).status).toBe("proposed");
    expect(await count("SELECT COUNT(*) AS n FROM Approval WHERE subjectId = ?", [id])).toBe(0);
    await approvePayout(B.actor, id, NOW);
    const paidAt = "2026-11-16T10:00:00Z";
    const later = new Date("2026-11-16T12:00:00Z");
    await withAuditRefused("payout.paid", () =>
      markPayoutPaid(B.actor, id, { reference: "r", paidAt }, later),
    );
    expect((await getPayout(A.actor, id)).status).toBe("approved");
    expect(await fundHeld(p, "RUB")).toBe(1_000_000);
    expect(
      await count("SELECT COUNT(*) AS n FROM LedgerEntry WHERE id LIKE ?", [`payout:${id}:%`]),
    ).toBe(0);
    // Retried once the audit log takes it: paid, once.
    await markPayoutPaid(B.actor, id, { reference: "r", paidAt }, later);
    expect(await fundHeld(p, "RUB")).toBe(800_000);
    await withAuditRefused("payout.propose", () => proposePayout(A.actor, payout(p, r, 1), NOW));
    expect(await count("SELECT COUNT(*) AS n FROM Payout WHERE prisonerId = ?", [p])).toBe(1);
    await withAuditRefused("recipient.create", () => recipient(p));
    expect(await count("SELECT COUNT(*) AS n FROM Recipient WHERE prisonerId = ?", [p])).toBe(1);
  });
});

describe("the tranche planner", () => {
  it("45,000 ₽ with a 10,000 ₽ cap: 10,000 × 4 and 5,000, accepted as five proposals of one plan", async () => {
    const p = await prisoner(4_500_000);
    const r = await recipient(p);
    const plan = await payoutPlan(A.actor, { prisonerId: p, recipientId: r }, NOW);
    expect(plan).toMatchObject({
      currency: "RUB",
      capMinor: 1_000_000,
      startMonth: "2026-11",
      availableMinor: 4_500_000,
      leftOverMinor: 0,
    });
    expect(plan.tranches).toEqual([
      { month: "2026-11", amountMinor: 1_000_000 },
      { month: "2026-12", amountMinor: 1_000_000 },
      { month: "2027-01", amountMinor: 1_000_000 },
      { month: "2027-02", amountMinor: 1_000_000 },
      { month: "2027-03", amountMinor: 500_000 },
    ]);
    // A plan that no longer is the one seen: refused, nothing written.
    await refused(
      acceptPayoutPlan(
        A.actor,
        {
          prisonerId: p,
          recipientId: r,
          category: "family_support",
          tranches: plan.tranches.slice(1),
        },
        NOW,
      ),
      409,
      "plan_changed",
    );
    const accepted = await acceptPayoutPlan(
      A.actor,
      {
        prisonerId: p,
        recipientId: r,
        category: "family_support",
        note: secret("monthly"),
        tranches: plan.tranches,
      },
      NOW,
    );
    expect(accepted.payouts.map((x) => [x.month, x.amountMinor])).toEqual(
      plan.tranches.map((t) => [t.month, t.amountMinor]),
    );
    const listed = await listPayouts(A.actor, { planId: accepted.planId });
    expect(listed).toHaveLength(5);
    expect(new Set(listed.map((x) => x.status))).toEqual(new Set(["proposed"]));
    // The fund is all promised now.
    await refused(
      acceptPayoutPlan(A.actor, { prisonerId: p, recipientId: r, category: "other" }, NOW),
      409,
      "insufficient_funds",
    );
    expect((await payoutPlan(A.actor, { prisonerId: p, recipientId: r }, NOW)).tranches).toEqual(
      [],
    );
  });

  it("starts next month when this month's cap is used, and after what is left of it when partly used", async () => {
    const p = await prisoner(3_000_000);
    const r = await recipient(p);
    await proposePayout(A.actor, payout(p, r, 250_000), NOW);
    const plan = await payoutPlan(A.actor, { prisonerId: p, recipientId: r }, NOW);
    expect(plan.tranches[0]).toEqual({ month: "2026-11", amountMinor: 750_000 });
    await proposePayout(A.actor, payout(p, r, 750_000), NOW);
    const next = await payoutPlan(A.actor, { prisonerId: p, recipientId: r }, NOW);
    expect(next.tranches).toEqual([
      { month: "2026-12", amountMinor: 1_000_000 },
      { month: "2027-01", amountMinor: 1_000_000 },
    ]);
  });

  it("needs a capped recipient", async () => {
    const p = await prisoner(100_000);
    const r = await recipient(p, { monthlyCap: null });
    const e = await refused(
      payoutPlan(A.actor, { prisonerId: p, recipientId: r }, NOW),
      422,
      "validation_failed",
    );
    expect(e.fields).toEqual({ recipientId: "v.recipientNoCap" });
  });
});

describe("the audit log", () => {
  it("records every step with ids, never a decrypted name, detail, note or reference", async () => {
    const { rows } = await sqlClient().execute(
      "SELECT action, targetType, targetId, details FROM AuditEvent WHERE targetType IN ('recipient', 'payout') ORDER BY id",
    );
    const actions = new Set(rows.map((r) => String(r.action)));
    for (const a of [
      "recipient.create",
      "recipient.update",
      "recipient.archive",
      "recipient.view",
      "payout.propose",
      "payout.approve",
      "payout.reject",
      "payout.cancel",
      "payout.paid",
    ])
      expect(actions, a).toContain(a);
    const all = JSON.stringify(rows);
    expect(secrets.length).toBeGreaterThan(20);
    for (const s of secrets) expect(all, s).not.toContain(s);
    // Nor anywhere else in the database but the sealed columns (ledger memos, payouts, approvals).
    for (const table of [
      "LedgerEntry",
      "LedgerAccount",
      "Payout",
      "Recipient",
      "Approval",
      "OutboxEmail",
    ]) {
      const dump = JSON.stringify((await sqlClient().execute(`SELECT * FROM ${table}`)).rows);
      for (const s of secrets) expect(dump, `${table}: ${s}`).not.toContain(s);
    }
  });
});
