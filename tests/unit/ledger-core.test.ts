// The ledger's pure core under random input (fast-check): the postings that
// money-in and money-out build always balance per currency, entryStatements
// writes only balanced entries (one posting per account), assertBalanced
// refuses every unbalanced or malformed entry, and accountId never gives two
// different accounts the same id.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ACCOUNT_CODES,
  LedgerError,
  accountId,
  assertBalanced,
  entryStatements,
  moneyInPostings,
  moneyOutPostings,
  type Account,
  type AccountCode,
  type Entry,
  type IncomePart,
  type Posting,
} from "~/models/ledger.server";

const MAX = 100_000_000;
/** Ids as the app makes them (cuid, randomToken: letters, digits, '-' and '_'). */
const id = fc.stringMatching(/^[A-Za-z0-9_-]{1,16}$/);
const currency = fc.constantFrom("EUR", "USD", "GBP", "JPY");
const code = fc.constantFrom(...(Object.keys(ACCOUNT_CODES) as AccountCode[]));
const category = fc.constantFrom("ticket", "donation", "tattoo", "test_kind");

const account: fc.Arbitrary<Account> = fc.record(
  {
    festivalId: id,
    currency,
    code,
    category: fc.option(category, { nil: null }),
    prisonerId: fc.option(id, { nil: null }),
    holder: fc.option(
      fc.record({ type: fc.constantFrom("device" as const, "user" as const), id }),
      {
        nil: null,
      },
    ),
  },
  { requiredKeys: ["festivalId", "currency", "code"] },
);

const part: fc.Arbitrary<IncomePart> = fc.record({
  category,
  prisonerId: fc.option(id, { nil: null }),
  amountMinor: fc.integer({ min: 0, max: MAX }),
});

const asset = fc.record({
  festivalId: id,
  currency,
  code: fc.constantFrom<AccountCode>("stripe_balance", "door_cash", "treasurer_cash"),
  holder: fc.option(fc.record({ type: fc.constant("device" as const), id }), { nil: null }),
});

function sums(postings: Posting[]) {
  const out: Record<string, number> = {};
  for (const p of postings)
    out[p.account.currency] = (out[p.account.currency] ?? 0) + p.amountMinor;
  return out;
}

/**
 * The postings an entry's statements write: [accountId, amount, currency] per
 * LedgerPosting insert (its one multi-row VALUES insert; the capped reversal of
 * earmarked money given back is computed in SQL and is not among them).
 */
function writtenPostings(entry: Entry) {
  return entryStatements(entry)
    .filter(
      (s) =>
        typeof s !== "string" &&
        s.sql.startsWith("INSERT INTO LedgerPosting") &&
        !s.sql.includes("SELECT"),
    )
    .flatMap((s) => {
      // One multi-row INSERT: four values per posting.
      const args = (s as { args: unknown[] }).args;
      return Array.from({ length: args.length / 4 }, (_, i) => ({
        accountId: String(args[4 * i + 1]),
        amountMinor: Number(args[4 * i + 2]),
        currency: String(args[4 * i + 3]),
      }));
    });
}

/**
 * What entryStatements adds for earmarked money (decision 0033): per festival,
 * currency and prisoner, money taken in net is mirrored into the prisoner's fund
 * (Dr allocated, Cr fund); money given back net is moved back in SQL (counted).
 */
function earmarks(postings: Posting[]) {
  const nets = new Map<string, { account: Account; net: number }>();
  for (const p of postings) {
    const { festivalId, currency, code, prisonerId } = p.account;
    if (!prisonerId || !["income", "refunds", "chargebacks"].includes(code)) continue;
    const key = `${festivalId}|${currency}|${prisonerId}`;
    const seen = nets.get(key) ?? {
      account: { festivalId, currency, code: "fund", prisonerId },
      net: 0,
    };
    seen.net -= p.amountMinor;
    nets.set(key, seen);
  }
  const mirrors: Posting[] = [];
  let reversals = 0;
  for (const { account, net } of nets.values()) {
    if (net > 0)
      mirrors.push(
        { account: { ...account, code: "allocated" }, amountMinor: net },
        { account, amountMinor: -net },
      );
    else if (net < 0) reversals++;
  }
  return { mirrors, reversals };
}

function entry(postings: Posting[], entryId = "test:entry"): Entry {
  return {
    id: entryId,
    festivalId: "f",
    kind: "payment",
    at: new Date("2030-01-01T00:00:00Z"),
    postings,
  };
}

/** A balanced set of postings: per currency, random amounts and one posting that balances them. */
const balancedPostings: fc.Arbitrary<Posting[]> = fc
  .array(
    fc.tuple(
      fc.array(fc.tuple(account, fc.integer({ min: -MAX, max: MAX })), {
        minLength: 1,
        maxLength: 6,
      }),
      account,
    ),
    { minLength: 1, maxLength: 3 },
  )
  .map((groups) =>
    groups.flatMap(([rows, balancing], i) => {
      // Each group in its own currency, so groups never mix.
      const cur = ["EUR", "USD", "GBP"][i]!;
      const postings = rows.map(([a, amountMinor]) => ({
        account: { ...a, currency: cur },
        amountMinor,
      }));
      const rest = -postings.reduce((s, p) => s + p.amountMinor, 0);
      postings.push({ account: { ...balancing, currency: cur }, amountMinor: rest });
      return postings;
    }),
  );

describe("moneyInPostings and moneyOutPostings", () => {
  it("balance per currency, put the whole amount in (or out of) the asset, and keep each part's earmark", () => {
    fc.assert(
      fc.property(asset, fc.array(part, { maxLength: 6 }), (a, parts) => {
        const total = parts.reduce((s, p) => s + p.amountMinor, 0);
        for (const [postings, sign] of [
          [moneyInPostings(a, parts), 1],
          [moneyOutPostings(a, parts), -1],
          [moneyOutPostings(a, parts, "chargebacks"), -1],
        ] as const) {
          expect(Object.values(sums(postings)).every((s) => s === 0)).toBe(true);
          const toAsset = postings
            .filter((p) => accountId(p.account) === accountId(a))
            .reduce((s, p) => s + p.amountMinor, 0);
          expect(toAsset).toBe(total === 0 ? 0 : sign * total);
          expect(postings.every((p) => p.amountMinor !== 0)).toBe(true);
          for (const p of parts.filter((x) => x.amountMinor > 0))
            expect(
              postings.some(
                (q) =>
                  q.account.code !== a.code &&
                  q.account.category === p.category &&
                  (q.account.prisonerId ?? null) === (p.prisonerId ?? null) &&
                  q.amountMinor === -sign * p.amountMinor,
              ),
            ).toBe(true);
          if (total > 0) expect(() => assertBalanced(entry(postings))).not.toThrow();
        }
      }),
    );
  });

  it("money in and then all of it out again leaves nothing to write", () => {
    fc.assert(
      fc.property(asset, fc.array(part, { maxLength: 6 }), (a, parts) => {
        const postings = [...moneyInPostings(a, parts), ...moneyOutPostings(a, parts)];
        // Income and refunds are different accounts: only the asset nets to zero.
        const written = postings.length ? writtenPostings(entry(postings)) : [];
        expect(written.some((p) => p.accountId === accountId(a))).toBe(false);
        expect(written.reduce((s, p) => s + p.amountMinor, 0)).toBe(0);
      }),
    );
  });
});

describe("entryStatements", () => {
  it("writes a balanced entry with one posting per account, in that account's currency, or nothing at all", () => {
    fc.assert(
      fc.property(balancedPostings, (postings) => {
        const written = writtenPostings(entry(postings));
        const ids = written.map((p) => p.accountId);
        expect(new Set(ids).size).toBe(ids.length);
        const perCurrency: Record<string, number> = {};
        for (const p of written) {
          expect(p.amountMinor).not.toBe(0);
          expect(p.accountId.split(":")[1]).toBe(p.currency);
          perCurrency[p.currency] = (perCurrency[p.currency] ?? 0) + p.amountMinor;
        }
        expect(Object.values(perCurrency).every((s) => s === 0)).toBe(true);
        // What each account gets is what the postings gave it, summed, with the earmarks'
        // mirrors when the entry writes anything at all.
        const { mirrors, reversals } = earmarks(postings);
        const own: Record<string, number> = {};
        for (const p of postings)
          own[accountId(p.account)] = (own[accountId(p.account)] ?? 0) + p.amountMinor;
        const writes = Object.values(own).some((v) => v !== 0);
        const expected: Record<string, number> = {};
        for (const p of writes ? [...postings, ...mirrors] : postings)
          expected[accountId(p.account)] = (expected[accountId(p.account)] ?? 0) + p.amountMinor;
        for (const [k, v] of Object.entries(expected)) if (v === 0) delete expected[k];
        expect(Object.fromEntries(written.map((p) => [p.accountId, p.amountMinor]))).toEqual(
          expected,
        );
        const statements = entryStatements(entry(postings));
        // The accounts, the postings, (earmarks given back: two statements,) then the entry
        // row last (its trigger checks the sum).
        expect(statements.length).toBe(written.length ? 3 + (reversals ? 2 : 0) : 0);
      }),
    );
  });

  it("refuses an entry that does not balance in some currency", () => {
    fc.assert(
      fc.property(
        balancedPostings,
        fc.nat(),
        fc.integer({ min: -MAX, max: MAX }).filter((n) => n !== 0),
        (postings, at, delta) => {
          const broken = postings.map((p) => ({ ...p }));
          broken[at % broken.length]!.amountMinor += delta;
          expect(() => assertBalanced(entry(broken))).toThrow(LedgerError);
          expect(() => entryStatements(entry(broken))).toThrow(LedgerError);
        },
      ),
    );
  });

  it("refuses amounts that are not safe integers, bad currencies and single postings", () => {
    fc.assert(
      fc.property(
        account,
        fc.oneof(
          fc.double({ noInteger: true, noDefaultInfinity: true, noNaN: true }),
          fc.constantFrom(Number.NaN, Infinity, 2 ** 53, 0.5),
        ),
        (a, bad) => {
          expect(() =>
            assertBalanced(
              entry([
                { account: a, amountMinor: bad },
                { account: a, amountMinor: -bad },
              ]),
            ),
          ).toThrow(LedgerError);
        },
      ),
    );
    fc.assert(
      fc.property(account, fc.integer({ min: 1, max: MAX }), (a, n) => {
        expect(() => assertBalanced(entry([{ account: a, amountMinor: n }]))).toThrow(LedgerError);
        const other = { ...a, currency: "eur" };
        expect(() =>
          assertBalanced(
            entry([
              { account: other, amountMinor: n },
              { account: other, amountMinor: -n },
            ]),
          ),
        ).toThrow(LedgerError);
      }),
    );
  });
});

describe("accountId", () => {
  it("refuses a part that holds a separator, which would make two accounts one id", () => {
    const base = { festivalId: "f1", currency: "EUR", code: "income" as const };
    for (const bad of [
      { ...base, festivalId: "f1:EUR" },
      { ...base, category: "ticket:p=x" },
      { ...base, prisonerId: "p=1" },
      { ...base, code: "door_cash" as const, holder: { type: "device" as const, id: "d:1" } },
    ])
      expect(() => accountId(bad)).toThrow(LedgerError);
    expect(accountId({ ...base, category: "ticket" })).toBe("f1:EUR:income:ticket");
  });

  /** An account as what it is: absent and empty fields alike. */
  const normal = (a: Account) => ({
    festivalId: a.festivalId,
    currency: a.currency,
    code: a.code,
    category: a.category || null,
    prisonerId: a.prisonerId || null,
    holder: a.holder ?? null,
  });
  /** Accounts from tiny pools of values (the same words in every field), so that near-collisions are common. */
  const word = fc.constantFrom("p", "device", "user");
  const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null, freq: 2 });
  const nearby: fc.Arbitrary<Account> = fc.record({
    festivalId: word,
    currency: fc.constantFrom("EUR", "USD"),
    code: fc.constantFrom<AccountCode>("income", "door_cash"),
    category: maybe(word),
    prisonerId: maybe(word),
    holder: maybe(
      fc.record({ type: fc.constantFrom("device" as const, "user" as const), id: word }),
    ),
  });

  /** Another account that differs from `a` only in some fields (taken from `b`). */
  const CHANGES = [
    ["festivalId"],
    ["currency"],
    ["code"],
    ["category"],
    ["prisonerId"],
    ["holder"],
    ["holderType"],
    ["holderId"],
    ["category", "prisonerId"],
    ["prisonerId", "holder"],
    ["category", "holder"],
  ] as const;
  function changed(a: Account, b: Account, fields: readonly string[]): Account {
    const c: Account = { ...a, holder: a.holder ? { ...a.holder } : a.holder };
    for (const f of fields) {
      if (f === "holderType" || f === "holderId") {
        if (c.holder && b.holder)
          c.holder =
            f === "holderType"
              ? { ...c.holder, type: b.holder.type }
              : { ...c.holder, id: b.holder.id };
      } else Object.assign(c, { [f]: b[f as keyof Account] });
    }
    return c;
  }

  it("gives two accounts the same id only when they are the same account", () => {
    for (const arb of [account, nearby])
      fc.assert(
        fc.property(arb, arb, fc.constantFrom(...CHANGES), (a, b, fields) => {
          for (const [x, y] of [
            [a, b],
            [a, changed(a, b, fields)],
          ])
            expect(accountId(x!) === accountId(y!)).toBe(
              JSON.stringify(normal(x!)) === JSON.stringify(normal(y!)),
            );
        }),
        { numRuns: 1000 },
      );
  });
});
