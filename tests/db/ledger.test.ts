// The ledger core (app/models/ledger.server.ts) and the database's own rules,
// called directly on a real SQLite file. The rules are tested with raw SQL that
// bypasses `entryStatements`, so they hold whatever code writes. Broken books for
// `checkLedger` are made in scratch copies of the file with the triggers dropped,
// never in the test's own database.
import { createClient, type Client, type InStatement } from "@libsql/client";
import fc from "fast-check";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as DbServer from "~/utils/db.server";
import type * as Ledger from "~/models/ledger.server";
import type { Account } from "~/models/ledger.server";
import { freshTestEnv, type TestEnv } from "../helpers/env";

let env: TestEnv;
let db: typeof DbServer;
let ledger: typeof Ledger;
let festivalId: string;
let raw: Client;
let n = 0;

beforeAll(async () => {
  env = freshTestEnv();
  db = await import("~/utils/db.server");
  ledger = await import("~/models/ledger.server");
  const { createFestivalRow } = await import("../helpers/fixtures");
  festivalId = (await createFestivalRow()).id;
  // The app's own client (foreign keys on, writers queued on one gate).
  raw = db.sqlClient();
});
afterAll(() => db.disconnectDatabase());

const at = new Date("2030-01-26T18:00:00Z");
const uid = (prefix: string) => `${prefix}-${++n}-${Date.now().toString(36)}`;

function acct(code: Ledger.AccountCode, extra: Partial<Account> = {}): Account {
  return { festivalId, currency: "EUR", code, ...extra };
}

async function post(entry: Omit<Ledger.Entry, "festivalId" | "at"> & { at?: Date }) {
  const statements = ledger.entryStatements({ festivalId, at, ...entry });
  await db.sqlClient().batch(statements, "write");
}

async function makeOrder(totalMinor: number, currency = "EUR") {
  const id = uid("order");
  await db.prisma.order.create({
    data: {
      id,
      festivalId,
      code: id.toUpperCase(),
      accessToken: `${id}-access-token-0123456789`,
      status: "paid",
      paymentMethod: "door",
      currency,
      totalMinor,
    },
  });
  return id;
}

const count = async (table: string, where = "1", args: (string | number)[] = []) =>
  Number(
    (await raw.execute({ sql: `SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`, args })).rows[0]
      ?.n,
  );

/** Raw statements for one account (made if missing), shaped as `accountId` spells it. */
function rawAccount(
  id: string,
  currency = "EUR",
  code = "door_cash",
  type = "asset",
  category: string | null = null,
): InStatement {
  return {
    sql: `INSERT OR IGNORE INTO LedgerAccount (id, festivalId, currency, type, code, category) VALUES (?, ?, ?, ?, ?, ?)`,
    args: [id, festivalId, currency, type, code, category],
  };
}
const rawPosting = (
  entryId: string,
  accountId: string,
  amount: number,
  currency = "EUR",
): InStatement => ({
  sql: "INSERT INTO LedgerPosting (entryId, accountId, amountMinor, currency) VALUES (?, ?, ?, ?)",
  args: [entryId, accountId, amount, currency],
});
const rawEntry = (entryId: string, orderId: string | null = null): InStatement => ({
  sql: `INSERT INTO LedgerEntry (id, festivalId, orderId, kind, createdAt) VALUES (?, ?, ?, 'payment', ?)
        ON CONFLICT(id) DO NOTHING`,
  args: [entryId, festivalId, orderId, db.sqlDate(at)],
});

/** A client on a fresh copy of the test's database (closed by the caller). */
async function copyOfDatabase(): Promise<Client> {
  const file = path.join(env.dir, `${uid("copy")}.db`);
  await raw.execute({ sql: "VACUUM INTO ?", args: [file] });
  return createClient({ url: `file:${file}` });
}

const cashId = () => `${festivalId}:EUR:door_cash`;
const ticketIncomeId = () => `${festivalId}:EUR:income:ticket`;
const rawAccounts = () => [
  rawAccount(cashId()),
  rawAccount(ticketIncomeId(), "EUR", "income", "income", "ticket"),
];

/** A statement batch the database must refuse, leaving no trace of the entry. */
async function refused(entryId: string, statements: InStatement[], message: RegExp) {
  await expect(raw.batch(statements, "write")).rejects.toThrow(message);
  expect(await count("LedgerEntry", "id = ?", [entryId])).toBe(0);
  expect(await count("LedgerPosting", "entryId = ?", [entryId])).toBe(0);
}

describe("the database's rules (raw SQL, bypassing entryStatements)", () => {
  it("refuses an unbalanced entry", async () => {
    const id = uid("raw-unbalanced");
    await refused(
      id,
      [
        ...rawAccounts(),
        rawPosting(id, cashId(), 1200),
        rawPosting(id, ticketIncomeId(), -1100),
        rawEntry(id),
      ],
      /ledger_unbalanced/,
    );
  });

  it("refuses an entry balanced in total but not per currency", async () => {
    const id = uid("raw-mixed");
    const usdCash = `${festivalId}:USD:door_cash`;
    const usdIncome = `${festivalId}:USD:income:ticket`;
    await refused(
      id,
      [
        ...rawAccounts(),
        rawAccount(usdCash, "USD"),
        rawAccount(usdIncome, "USD", "income", "income", "ticket"),
        rawPosting(id, cashId(), 1200),
        rawPosting(id, usdIncome, -1200, "USD"),
        rawEntry(id),
      ],
      /ledger_unbalanced/,
    );
  });

  it("refuses a single-posting entry and an entry without postings", async () => {
    const one = uid("raw-single");
    await refused(
      one,
      [...rawAccounts(), rawPosting(one, cashId(), 1200), rawEntry(one)],
      /ledger_unbalanced/,
    );
    const none = uid("raw-empty");
    await refused(none, [rawEntry(none)], /ledger_unbalanced/);
  });

  it("refuses postings whose entry never comes (deferred foreign key)", async () => {
    // In a copy: @libsql/client does not recover from a COMMIT refused this way (the
    // connection keeps the write lock; ROLLBACK says no transaction is active), so it
    // must never happen on the real file: entryStatements always writes the entry.
    const client = await copyOfDatabase();
    try {
      await client.execute("PRAGMA foreign_keys = ON");
      const id = uid("raw-orphan");
      await expect(
        client.batch(
          [
            ...rawAccounts(),
            rawPosting(id, cashId(), 1200),
            rawPosting(id, ticketIncomeId(), -1200),
          ],
          "write",
        ),
      ).rejects.toThrow(/FOREIGN KEY/i);
    } finally {
      client.close();
    }
  });

  it("refuses a posting in another currency than its account", async () => {
    const id = uid("raw-currency");
    await refused(
      id,
      [
        ...rawAccounts(),
        rawPosting(id, cashId(), 1200, "USD"),
        rawPosting(id, ticketIncomeId(), -1200, "USD"),
        rawEntry(id),
      ],
      /ledger_currency_mismatch/,
    );
  });

  it("refuses a posting of a float, of zero and of a number as text", async () => {
    for (const amount of [12.5, 0, -0.01]) {
      const id = uid("raw-amount");
      await refused(
        id,
        [
          ...rawAccounts(),
          rawPosting(id, cashId(), amount),
          rawPosting(id, ticketIncomeId(), -amount),
          rawEntry(id),
        ],
        /CHECK constraint/i,
      );
    }
    const id = uid("raw-text");
    await refused(
      id,
      [
        ...rawAccounts(),
        {
          sql: "INSERT INTO LedgerPosting (entryId, accountId, amountMinor, currency) VALUES (?, ?, '12.50', 'EUR')",
          args: [id, cashId()],
        },
        rawPosting(id, ticketIncomeId(), -1250),
        rawEntry(id),
      ],
      /CHECK constraint|ledger_unbalanced/i,
    );
  });

  it("accepts the same entry written correctly, and refuses UPDATE and DELETE on accounts, entries and postings", async () => {
    const id = uid("raw-good");
    await raw.batch(
      [
        ...rawAccounts(),
        rawPosting(id, cashId(), 1200),
        rawPosting(id, ticketIncomeId(), -1200),
        rawEntry(id),
      ],
      "write",
    );
    expect(await count("LedgerPosting", "entryId = ?", [id])).toBe(2);
    const attempts: [string, (string | number)[]][] = [
      ["UPDATE LedgerAccount SET currency = 'USD' WHERE id = ?", [cashId()]],
      ["DELETE FROM LedgerAccount WHERE id = ?", [cashId()]],
      ["UPDATE LedgerEntry SET memo = 'changed' WHERE id = ?", [id]],
      ["DELETE FROM LedgerEntry WHERE id = ?", [id]],
      ["UPDATE LedgerPosting SET amountMinor = amountMinor * 2 WHERE entryId = ?", [id]],
      ["DELETE FROM LedgerPosting WHERE entryId = ?", [id]],
    ];
    for (const [sql, args] of attempts)
      await expect(raw.execute({ sql, args }), sql).rejects.toThrow(/append-only/);
    const postings = await raw.execute({
      sql: "SELECT amountMinor FROM LedgerPosting WHERE entryId = ? ORDER BY id",
      args: [id],
    });
    expect(postings.rows.map((r) => Number(r.amountMinor))).toEqual([1200, -1200]);
    expect(await count("LedgerEntry", "id = ? AND memo IS NULL", [id])).toBe(1);
    expect(await count("LedgerAccount", "id = ? AND currency = 'EUR'", [cashId()])).toBe(1);
  });

  it("posts a replayed entry (same id) once, even with other postings, without failing", async () => {
    const id = uid("raw-replay");
    const write = (amount: number) =>
      raw.batch(
        [
          ...rawAccounts(),
          rawPosting(id, cashId(), amount),
          rawPosting(id, ticketIncomeId(), -amount),
          rawEntry(id),
        ],
        "write",
      );
    await write(1200);
    await write(1200);
    await write(9900);
    const postings = await raw.execute({
      sql: "SELECT amountMinor FROM LedgerPosting WHERE entryId = ? ORDER BY id",
      args: [id],
    });
    expect(postings.rows.map((r) => Number(r.amountMinor))).toEqual([1200, -1200]);
    expect(await count("LedgerEntry", "id = ?", [id])).toBe(1);
  });
});

describe("entryStatements", () => {
  const cash = () => acct("door_cash", { holder: { type: "device", id: "dev-1" } });
  const income = () => acct("income", { category: "ticket" });

  it("rejects unbalanced input, a single posting, floats, unsafe integers and bad currencies in JS", () => {
    const cases: Ledger.Posting[][] = [
      [
        { account: cash(), amountMinor: 1200 },
        { account: income(), amountMinor: -1100 },
      ],
      [{ account: cash(), amountMinor: 1200 }],
      [
        { account: cash(), amountMinor: 12.5 },
        { account: income(), amountMinor: -12.5 },
      ],
      [
        { account: cash(), amountMinor: Number.NaN },
        { account: income(), amountMinor: 0 },
      ],
      [
        { account: cash(), amountMinor: 2 ** 53 },
        { account: income(), amountMinor: -(2 ** 53) },
      ],
      [
        { account: { ...cash(), currency: "eur" }, amountMinor: 100 },
        { account: { ...income(), currency: "eur" }, amountMinor: -100 },
      ],
      [
        { account: cash(), amountMinor: 100 },
        { account: { ...income(), currency: "USD" }, amountMinor: -100 },
      ],
    ];
    for (const postings of cases)
      expect(
        () => ledger.entryStatements({ id: uid("js"), festivalId, kind: "payment", at, postings }),
        JSON.stringify(postings.map((p) => [p.account.currency, p.amountMinor])),
      ).toThrow(ledger.LedgerError);
  });

  it("rejects any random unbalanced entry and writes any balanced one exactly", async () => {
    const codes = ["door_cash", "stripe_balance", "income", "refunds", "processing_fees"] as const;
    const postingArb = fc.record({
      code: fc.constantFrom(...codes),
      currency: fc.constantFrom("EUR", "RUB"),
      amountMinor: fc.integer({ min: -100_000, max: 100_000 }).filter((x) => x !== 0),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(postingArb, { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        async (parts, balance) => {
          const postings: Ledger.Posting[] = parts.map((p) => ({
            account: acct(p.code, {
              currency: p.currency,
              category: p.code === "income" || p.code === "refunds" ? "ticket" : null,
            }),
            amountMinor: p.amountMinor,
          }));
          // Half the cases are made to balance: the rest of each currency goes to donations.
          const sums = () => {
            const m = new Map<string, number>();
            for (const p of postings)
              m.set(p.account.currency, (m.get(p.account.currency) ?? 0) + p.amountMinor);
            return m;
          };
          if (balance)
            for (const [currency, sum] of sums())
              if (sum !== 0)
                postings.push({
                  account: acct("income", { currency, category: "donation" }),
                  amountMinor: -sum,
                });
          const id = uid("prop");
          const entry = { id, festivalId, kind: "payment" as const, at, postings };
          // What the ledger should hold: the sum per account, zero sums left out.
          const expected = new Map<string, number>();
          for (const p of postings) {
            const key = ledger.accountId(p.account);
            expected.set(key, (expected.get(key) ?? 0) + p.amountMinor);
          }
          for (const [k, v] of expected) if (v === 0) expected.delete(k);
          const balanced = [...sums().values()].every((s) => s === 0);
          if (expected.size === 0) {
            expect(ledger.entryStatements(entry)).toEqual([]);
            return;
          }
          if (!balanced) {
            expect(() => ledger.entryStatements(entry)).toThrow(ledger.LedgerError);
            return;
          }
          await db.sqlClient().batch(ledger.entryStatements(entry), "write");
          const { rows } = await raw.execute({
            sql: "SELECT accountId, amountMinor FROM LedgerPosting WHERE entryId = ?",
            args: [id],
          });
          expect(new Map(rows.map((r) => [String(r.accountId), Number(r.amountMinor)]))).toEqual(
            expected,
          );
        },
      ),
      { numRuns: 80 },
    );
    expect((await ledger.checkLedger()).problems).toEqual([]);
  });

  it("merges postings of one account and writes nothing for an entry that cancels out", () => {
    const id = uid("cancel");
    expect(
      ledger.entryStatements({
        id,
        festivalId,
        kind: "reclassification",
        at,
        postings: [
          { account: cash(), amountMinor: 500 },
          { account: cash(), amountMinor: -500 },
        ],
      }),
    ).toEqual([]);
    const statements = ledger.entryStatements({
      id,
      festivalId,
      kind: "payment",
      at,
      postings: [
        { account: cash(), amountMinor: 500 },
        { account: cash(), amountMinor: 700 },
        { account: income(), amountMinor: -1200 },
      ],
    });
    const postings = statements.filter(
      (s) => typeof s !== "string" && s.sql.includes("INTO LedgerPosting"),
    );
    // One multi-row INSERT (entryId, accountId, amountMinor, currency per posting).
    expect(postings).toHaveLength(1);
    const args = (postings[0] as { args: unknown[] }).args;
    expect(args.filter((_, i) => i % 4 === 2)).toEqual([1200, -1200]);
  });

  it("replays: the same entry id twice posts once and does not fail", async () => {
    const id = uid("replay");
    const entry = (amount: number): Ledger.Entry => ({
      id,
      festivalId,
      kind: "payment",
      at,
      postings: [
        { account: cash(), amountMinor: amount },
        { account: income(), amountMinor: -amount },
      ],
    });
    await post(entry(1200));
    await post(entry(1200));
    await post(entry(4400));
    const { rows } = await raw.execute({
      sql: "SELECT amountMinor FROM LedgerPosting WHERE entryId = ? ORDER BY id",
      args: [id],
    });
    expect(rows.map((r) => Number(r.amountMinor))).toEqual([1200, -1200]);
  });
});

describe("orderReversalPostings", () => {
  it("reverses exactly per category and earmark across several asset accounts", async () => {
    const orderId = await makeOrder(6400);
    const deviceA = acct("door_cash", { holder: { type: "device", id: "door-a" } });
    const deviceB = acct("door_cash", { holder: { type: "device", id: "door-b" } });
    const stripe = acct("stripe_balance");
    // Two tickets' cash at two devices, a €20 donation for prisoner P1 in cash at device B,
    // a €20 unearmarked donation by card, a card fee (not the order's money), and an earlier
    // partial refund of €5 of the unearmarked donation from Stripe.
    await post({
      id: `order:${orderId}:ticket-a`,
      orderId,
      kind: "payment",
      postings: ledger.moneyInPostings(deviceA, [{ category: "ticket", amountMinor: 1200 }]),
    });
    await post({
      id: `order:${orderId}:ticket-b`,
      orderId,
      kind: "payment",
      postings: ledger.moneyInPostings(deviceB, [
        { category: "ticket", amountMinor: 1200 },
        { category: "donation", prisonerId: "P1", amountMinor: 2000 },
      ]),
    });
    await post({
      id: `order:${orderId}:card`,
      orderId,
      kind: "payment",
      postings: ledger.moneyInPostings(stripe, [{ category: "donation", amountMinor: 2000 }]),
    });
    await post({
      id: `order:${orderId}:fee`,
      orderId,
      kind: "processing_fee",
      postings: [
        { account: acct("processing_fees"), amountMinor: 90 },
        { account: stripe, amountMinor: -90 },
      ],
    });
    await post({
      id: `order:${orderId}:partial`,
      orderId,
      kind: "refund",
      postings: ledger.moneyOutPostings(stripe, [{ category: "donation", amountMinor: 500 }]),
    });

    expect(await ledger.orderNetIncome(db.sqlClient(), orderId)).toEqual([
      { category: "donation", prisonerId: null, currency: "EUR", amountMinor: 1500 },
      { category: "donation", prisonerId: "P1", currency: "EUR", amountMinor: 2000 },
      { category: "ticket", prisonerId: null, currency: "EUR", amountMinor: 2400 },
    ]);
    const reversal = await ledger.orderReversalPostings(db.sqlClient(), orderId);
    const shape = reversal.map((p) => [ledger.accountId(p.account), p.amountMinor]);
    expect(shape).toEqual(
      expect.arrayContaining([
        [`${festivalId}:EUR:refunds:donation`, 1500],
        [`${festivalId}:EUR:refunds:donation:p=P1`, 2000],
        [`${festivalId}:EUR:refunds:ticket`, 2400],
        [`${festivalId}:EUR:door_cash:device=door-a`, -1200],
        [`${festivalId}:EUR:door_cash:device=door-b`, -3200],
        [`${festivalId}:EUR:stripe_balance`, -1500],
      ]),
    );
    expect(shape).toHaveLength(6);
    await post({ id: `order:${orderId}:refund`, orderId, kind: "refund", postings: reversal });
    expect(await ledger.orderNetIncome(db.sqlClient(), orderId)).toEqual([]);
    expect(await ledger.orderAssets(db.sqlClient(), orderId)).toEqual([]);
    expect(await ledger.orderReversalPostings(db.sqlClient(), orderId)).toEqual([]);
    // The fee stays the festival's cost; the books hold.
    expect((await ledger.orderEntries(orderId)).map((e) => e.kind)).toContain("processing_fee");
    expect((await ledger.checkLedger()).problems).toEqual([]);
  });

  it("gives chargebacks the same shape", async () => {
    const orderId = await makeOrder(1000);
    const stripe = acct("stripe_balance");
    await post({
      id: `order:${orderId}:payment`,
      orderId,
      kind: "payment",
      postings: ledger.moneyInPostings(stripe, [
        { category: "ticket", amountMinor: 700 },
        { category: "donation", prisonerId: "P2", amountMinor: 300 },
      ]),
    });
    const reversal = await ledger.orderReversalPostings(db.sqlClient(), orderId, "chargebacks");
    expect(reversal.map((p) => [ledger.accountId(p.account), p.amountMinor])).toEqual([
      [`${festivalId}:EUR:chargebacks:donation:p=P2`, 300],
      [`${festivalId}:EUR:chargebacks:ticket`, 700],
      [`${festivalId}:EUR:stripe_balance`, -1000],
    ]);
  });
});

describe("orderEntries, festivalBalances and summarize", () => {
  it("shows an order's entries with postings and the festival's figures per currency", async () => {
    const orderId = await makeOrder(3200);
    await post({
      id: `order:${orderId}:payment`,
      orderId,
      kind: "payment",
      postings: ledger.moneyInPostings(acct("stripe_balance"), [
        { category: "ticket", amountMinor: 1200 },
        { category: "donation", prisonerId: "P3", amountMinor: 2000 },
      ]),
    });
    await post({
      id: `order:${orderId}:fee`,
      orderId,
      kind: "processing_fee",
      postings: [
        { account: acct("processing_fees", { currency: "USD" }), amountMinor: 110 },
        { account: acct("stripe_balance", { currency: "USD" }), amountMinor: -110 },
      ],
    });
    const entries = await ledger.orderEntries(orderId);
    expect(entries.map((e) => [e.id, e.kind, e.postings.length])).toEqual([
      // asset, two income parts, and the earmark's mirror: allocated:p=P3 / fund:p=P3
      [`order:${orderId}:payment`, "payment", 5],
      [`order:${orderId}:fee`, "processing_fee", 2],
    ]);
    expect(entries[1]?.postings.every((p) => p.currency === "USD")).toBe(true);
    const summary = ledger.summarize(await ledger.festivalBalances(festivalId));
    expect(summary.USD?.processingFees).toBeGreaterThanOrEqual(110);
    expect(summary.USD?.net).toEqual({});
    expect(summary.EUR?.earmarked.P3).toBe(2000);
    // Earmarked money is in P3's fund as soon as it is paid, so it is not unallocated.
    expect(summary.EUR?.allocatedTo.P3).toBe(2000);
    expect(summary.EUR?.funds.P3).toBe(2000);
  });
});

describe("checkLedger", () => {
  it("finds nothing wrong in books written by entryStatements", async () => {
    const check = await ledger.checkLedger();
    expect(check.problems).toEqual([]);
    expect(check.balanced).toBe(true);
    expect(check.entries).toBeGreaterThan(0);
  });

  /** A copy of the test's database with the ledger's triggers dropped, to break on purpose. */
  async function scratch(): Promise<Client> {
    const client = await copyOfDatabase();
    await client.execute("PRAGMA foreign_keys = OFF");
    const { rows } = await client.execute(
      "SELECT name FROM sqlite_master WHERE type = 'trigger' AND (name LIKE 'LedgerEntry_%' OR name LIKE 'LedgerPosting_%')",
    );
    for (const r of rows) await client.execute(`DROP TRIGGER "${String(r.name)}"`);
    return client;
  }

  async function problemsAfter(statements: InStatement[]) {
    const client = await scratch();
    try {
      await client.batch(statements, "write");
      const check = await ledger.checkLedger(client);
      expect(check.balanced).toBe(false);
      return check.problems;
    } finally {
      client.close();
    }
  }

  it("finds an unbalanced entry", async () => {
    const id = uid("broken-sum");
    const problems = await problemsAfter([
      ...rawAccounts(),
      rawPosting(id, cashId(), 1200),
      rawPosting(id, ticketIncomeId(), -1000),
      rawEntry(id),
    ]);
    expect(problems).toEqual([`entry ${id}: EUR postings sum to 200`]);
  });

  it("finds an entry with one posting and one with none", async () => {
    const none = uid("broken-none");
    expect(await problemsAfter([rawEntry(none)])).toEqual([
      `entry ${none}: 0 posting(s), at least two are needed`,
    ]);
    const single = uid("broken-single");
    const more = await problemsAfter([
      ...rawAccounts(),
      rawPosting(single, cashId(), 1200),
      rawEntry(single),
    ]);
    expect(more).toContain(`entry ${single}: 1 posting(s), at least two are needed`);
  });

  it("finds a posting not in its account's currency", async () => {
    const id = uid("broken-currency");
    const problems = await problemsAfter([
      ...rawAccounts(),
      rawPosting(id, cashId(), 1200, "USD"),
      rawPosting(id, ticketIncomeId(), -1200, "USD"),
      rawEntry(id),
    ]);
    expect(problems).toHaveLength(2);
    expect(problems.every((p) => p.includes(`of entry ${id}: not in its account's currency`))).toBe(
      true,
    );
  });

  it("finds postings whose entry does not exist", async () => {
    const id = uid("broken-orphan");
    const problems = await problemsAfter([
      ...rawAccounts(),
      rawPosting(id, cashId(), 1200),
      rawPosting(id, ticketIncomeId(), -1200),
    ]);
    expect(problems).toHaveLength(2);
    expect(problems.every((p) => p.endsWith(`its entry ${id} does not exist`))).toBe(true);
  });

  it("finds an order holding more than its total, less than nothing, or another currency", async () => {
    const over = await makeOrder(1000);
    const under = await makeOrder(1000);
    const foreign = await makeOrder(1000, "RUB");
    const [a, b, c] = [uid("over"), uid("under"), uid("foreign")];
    const problems = await problemsAfter([
      ...rawAccounts(),
      rawPosting(a, cashId(), 1500),
      rawPosting(a, ticketIncomeId(), -1500),
      rawEntry(a, over),
      rawPosting(b, ticketIncomeId(), 300),
      rawPosting(b, cashId(), -300),
      rawEntry(b, under),
      rawPosting(c, cashId(), 500),
      rawPosting(c, ticketIncomeId(), -500),
      rawEntry(c, foreign),
    ]);
    expect(problems.sort()).toEqual(
      [
        `order ${over}: holds 1500 of income, outside 0..1000 EUR`,
        `order ${under}: holds -300 of income, outside 0..1000 EUR`,
        `order ${foreign}: holds 500 of income, outside 0..1000 RUB`,
      ].sort(),
    );
  });

  it("leaves the real database alone", async () => {
    expect((await ledger.checkLedger()).problems).toEqual([]);
    const { rows } = await raw.execute(
      "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'Ledger%'",
    );
    expect(Number(rows[0]?.n)).toBe(10);
  });
});
