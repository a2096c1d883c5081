// The funds API over HTTP (decision 0033): the allocation rule, allocate, fund
// balances, exchanges and transfers. Treasury calls need a money role with a
// proved second factor; the allocation rule is the festival's (organisers and
// treasurers). Bad input — wrong, missing, oversized, hostile — is a clear 4xx
// and writes nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { entryStatements, moneyInPostings, type IncomePart } from "~/models/ledger.server";
import { prisma, sqlClient } from "~/utils/db.server";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { expectApiError, IMG, MB, SCRIPT, snapshot } from "../helpers/bad-input";
import {
  addMember,
  apiToken,
  createFestivalRow,
  createPrisonerRow,
  createUserRow,
} from "../helpers/fixtures";
import { createMoneyUser, moneyTokenDirect, type MoneyUser } from "../helpers/treasury";

let app: TestApp;
let client: Client;
let alice: MoneyUser;
let bob: MoneyUser;
let aliceToken: string;
let bobToken: string;
/** A treasurer whose token proved no second factor. */
let plainTreasurerToken: string;
let organiserToken: string;
let doorToken: string;
let festivalId: string;
let p1: string;
let p2: string;
let elsewhere: string;
let n = 0;

/** Money in, written as the app writes it (earmarked parts land in their fund). */
async function paid(festival: string, parts: IncomePart[], currency = "EUR") {
  await sqlClient().batch(
    entryStatements({
      id: `funds-api:${++n}:${Date.now().toString(36)}`,
      festivalId: festival,
      kind: "payment",
      at: new Date(),
      postings: moneyInPostings({ festivalId: festival, currency, code: "stripe_balance" }, parts),
    }),
    "write",
  );
}

/** Rows of every table these endpoints write, and the rest of the database's counts. */
async function fundsSnapshot() {
  const { rows } = await sqlClient().execute(
    `SELECT (SELECT COUNT(*) FROM AllocationRule) AS rules, (SELECT COUNT(*) FROM FundTransfer) AS transfers,
            (SELECT COUNT(*) FROM FundExchange) AS exchanges, (SELECT COUNT(*) FROM Approval) AS approvals,
            (SELECT group_concat(id || '=' || status) FROM FundTransfer) AS statuses`,
  );
  return { funds: { ...rows[0] }, rest: await snapshot(festivalId) };
}

async function unchanged(act: () => Promise<void>) {
  const before = await fundsSnapshot();
  await act();
  expect(await fundsSnapshot()).toEqual(before);
}

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  client = new Client(app.url);
  alice = await createMoneyUser({ name: "Alice" });
  bob = await createMoneyUser({ name: "Bob" });
  aliceToken = await moneyTokenDirect(alice.id);
  bobToken = await moneyTokenDirect(bob.id);
  const plain = await createUserRow({ role: "treasurer" });
  plainTreasurerToken = await apiToken(app.url, plain.email);
  festivalId = (await createFestivalRow({ status: "published", publishedAt: new Date() })).id;
  p1 = (await createPrisonerRow(`funds-api-p1-${Date.now()}`, { en: "P One" }, [festivalId])).id;
  p2 = (await createPrisonerRow(`funds-api-p2-${Date.now()}`, { en: "P Two" }, [festivalId])).id;
  elsewhere = (await createPrisonerRow(`funds-api-p3-${Date.now()}`, { en: "P Three" })).id;
  const organiser = await createUserRow();
  await addMember(festivalId, organiser.id, "organiser");
  organiserToken = await apiToken(app.url, organiser.email);
  const door = await createUserRow();
  await addMember(festivalId, door.id, "door");
  doorToken = await apiToken(app.url, door.email);
  await paid(festivalId, [
    { category: "ticket", amountMinor: 10_000 },
    { category: "donation", prisonerId: p1, amountMinor: 2_000 },
  ]);
});
afterAll(() => app?.close());

describe("the flow", () => {
  it("rule, allocate, balances, exchange, transfer with a second treasurer", async () => {
    const put = await client.api(
      "PUT",
      `/api/v1/festivals/${festivalId}/allocation`,
      {
        shares: [
          { prisonerId: p1, percent: 60 },
          { prisonerId: p2, percent: 30 },
        ],
        generalPercent: 10,
      },
      organiserToken,
    );
    expect(put.status, put.text).toBe(200);
    expect(put.json()).toMatchObject({ version: 1, equal: false, generalPercent: 10 });

    const get = await client.api(
      "GET",
      `/api/v1/festivals/${festivalId}/allocation`,
      undefined,
      aliceToken,
    );
    expect(get.status).toBe(200);
    expect(get.json()).toMatchObject({
      festival: { id: festivalId, currency: "EUR" },
      rule: { version: 1 },
      allocatable: [{ currency: "EUR", unallocatedMinor: 10_000, allocatableMinor: 10_000 }],
    });

    const allocated = await client.api(
      "POST",
      `/api/v1/festivals/${festivalId}/allocate`,
      undefined,
      aliceToken,
    );
    expect(allocated.status, allocated.text).toBe(200);
    expect(allocated.json()).toEqual({
      entryId: `allocation:${festivalId}:1`,
      rule: 1,
      allocated: [
        { fund: p1, currency: "EUR", amountMinor: 6_000 },
        { fund: p2, currency: "EUR", amountMinor: 3_000 },
        { fund: null, currency: "EUR", amountMinor: 1_000 },
      ].sort((a, b) => (a.fund === null ? 1 : b.fund === null ? -1 : a.fund < b.fund ? -1 : 1)),
    });
    const again = await client.api(
      "POST",
      `/api/v1/festivals/${festivalId}/allocate`,
      undefined,
      bobToken,
    );
    expect(again.json()).toEqual({ entryId: null, allocated: [], rule: 1 });

    const fund = await client.api("GET", `/api/v1/prisoners/${p1}/fund`, undefined, aliceToken);
    expect(fund.status).toBe(200);
    expect(fund.json()).toEqual({
      prisonerId: p1,
      balances: [{ currency: "EUR", balanceMinor: 8_000, reservedMinor: 0, availableMinor: 8_000 }],
      byFestival: [{ festivalId, currency: "EUR", balanceMinor: 8_000 }],
    });
    const general = await client.api("GET", "/api/v1/funds/general", undefined, bobToken);
    expect(general.json()).toMatchObject({
      prisonerId: null,
      balances: [{ currency: "EUR", balanceMinor: 1_000 }],
    });

    const exchange = await client.api(
      "POST",
      "/api/v1/exchanges",
      {
        prisonerId: p1,
        fromCurrency: "EUR",
        toCurrency: "RUB",
        amountMinor: 1_000,
        rate: "95.25",
        ratedOn: new Date().toISOString().slice(0, 10),
      },
      aliceToken,
    );
    expect(exchange.status, exchange.text).toBe(201);
    expect(exchange.json()).toMatchObject({ toAmountMinor: 95_250, rate: "95.25" });
    const rub = await client.api("GET", `/api/v1/prisoners/${p1}/fund`, undefined, aliceToken);
    expect(rub.json<{ balances: unknown[] }>().balances).toEqual([
      { currency: "EUR", balanceMinor: 7_000, reservedMinor: 0, availableMinor: 7_000 },
      { currency: "RUB", balanceMinor: 95_250, reservedMinor: 0, availableMinor: 95_250 },
    ]);

    const proposed = await client.api(
      "POST",
      "/api/v1/transfers",
      {
        fromPrisonerId: p1,
        toPrisonerId: p2,
        currency: "EUR",
        amountMinor: 2_500,
        reason: "released",
      },
      aliceToken,
    );
    expect(proposed.status, proposed.text).toBe(201);
    const { id } = proposed.json<{ id: string; status: string }>();
    expect(proposed.json()).toMatchObject({ status: "proposed" });
    const self = await client.api("POST", `/api/v1/transfers/${id}/approve`, undefined, aliceToken);
    expect(expectApiError(self, 403).error).toBe("self_approval");
    const listed = await client.api(
      "GET",
      "/api/v1/transfers?status=proposed",
      undefined,
      bobToken,
    );
    expect(listed.json<{ transfers: { id: string }[] }>().transfers.map((t) => t.id)).toContain(id);
    const approved = await client.api(
      "POST",
      `/api/v1/transfers/${id}/approve`,
      undefined,
      bobToken,
    );
    expect(approved.status, approved.text).toBe(200);
    expect(approved.json()).toMatchObject({ id, status: "done", approvals: 1, needed: 1 });
    const late = await client.api("POST", `/api/v1/transfers/${id}/reject`, undefined, bobToken);
    expect(expectApiError(late, 409).error).toBe("transfer_not_proposed");
    const p2fund = await client.api("GET", `/api/v1/prisoners/${p2}/fund`, undefined, bobToken);
    expect(p2fund.json<{ balances: { balanceMinor: number }[] }>().balances[0]?.balanceMinor).toBe(
      5_500,
    );
    const exchanges = await client.api("GET", "/api/v1/exchanges", undefined, bobToken);
    expect(exchanges.json<{ exchanges: unknown[] }>().exchanges).toHaveLength(1);
  });

  it("cancel by the proposer, reject by another; unknown transfers and actions are 404", async () => {
    const body = {
      fromPrisonerId: null,
      toPrisonerId: p2,
      currency: "EUR",
      amountMinor: 10,
      reason: "r",
    };
    const a = (await client.api("POST", "/api/v1/transfers", body, aliceToken)).json<{
      id: string;
    }>();
    expectApiError(
      await client.api("POST", `/api/v1/transfers/${a.id}/cancel`, undefined, bobToken),
      403,
    );
    const cancelled = await client.api(
      "POST",
      `/api/v1/transfers/${a.id}/cancel`,
      undefined,
      aliceToken,
    );
    expect(cancelled.json()).toMatchObject({ status: "cancelled" });
    const b = (await client.api("POST", "/api/v1/transfers", body, aliceToken)).json<{
      id: string;
    }>();
    const rejected = await client.api(
      "POST",
      `/api/v1/transfers/${b.id}/reject`,
      undefined,
      bobToken,
    );
    expect(rejected.json()).toMatchObject({ status: "rejected" });
    await unchanged(async () => {
      expectApiError(
        await client.api("POST", "/api/v1/transfers/nope/approve", undefined, bobToken),
        404,
      );
      expectApiError(
        await client.api("POST", `/api/v1/transfers/${b.id}/explode`, undefined, bobToken),
        404,
      );
      expectApiError(
        await client.api(
          "POST",
          `/api/v1/transfers/${"x".repeat(300)}/approve`,
          undefined,
          bobToken,
        ),
        404,
      );
    });
  });
});

describe("who may", () => {
  it("organisers and door staff get 403 on treasury endpoints; a treasurer without a second factor 403 second_factor_required", async () => {
    const calls: [string, string, unknown?][] = [
      ["POST", `/api/v1/festivals/${festivalId}/allocate`],
      ["GET", `/api/v1/prisoners/${p1}/fund`],
      ["GET", "/api/v1/funds/general"],
      ["GET", "/api/v1/exchanges"],
      [
        "POST",
        "/api/v1/exchanges",
        {
          prisonerId: null,
          fromCurrency: "EUR",
          toCurrency: "RUB",
          amountMinor: 1,
          rate: "1",
          ratedOn: "2026-11-30",
        },
      ],
      ["GET", "/api/v1/transfers"],
      [
        "POST",
        "/api/v1/transfers",
        { fromPrisonerId: null, toPrisonerId: p1, currency: "EUR", amountMinor: 1, reason: "r" },
      ],
      ["POST", "/api/v1/transfers/nope/approve"],
    ];
    const stranger = await apiToken(app.url, (await createUserRow()).email);
    await unchanged(async () => {
      for (const [method, path, body] of calls) {
        for (const token of [organiserToken, doorToken])
          expect(
            expectApiError(await client.api(method, path, body, token), 403).error,
            `${method} ${path}`,
          ).toBe("forbidden");
        expect(
          expectApiError(await client.api(method, path, body, plainTreasurerToken), 403).error,
          `${method} ${path}`,
        ).toBe("second_factor_required");
        expect((await client.api(method, path, body)).status, `${method} ${path} anonymous`).toBe(
          401,
        );
      }
      // The rule is the festival's: door staff may not set it, nor someone with no tie to it.
      const rule = { shares: [], generalPercent: 100 };
      expectApiError(
        await client.api("PUT", `/api/v1/festivals/${festivalId}/allocation`, rule, doorToken),
        403,
      );
      expectApiError(
        await client.api("PUT", `/api/v1/festivals/${festivalId}/allocation`, rule, stranger),
        404,
      );
    });
  });
});

describe("bad input writes nothing", () => {
  const url = () => `/api/v1/festivals/${festivalId}/allocation`;

  it("the allocation rule: wrong, missing, oversized and hostile", async () => {
    const bodies: [unknown, number, string?][] = [
      [{ shares: [{ prisonerId: p1, percent: 50 }], generalPercent: 49 }, 422, "_form"],
      [
        { shares: [{ prisonerId: p1, percent: "50" }], generalPercent: 50 },
        422,
        "shares.0.percent",
      ],
      [
        { shares: [{ prisonerId: p1, percent: 50.5 }], generalPercent: 49.5 },
        422,
        "shares.0.percent",
      ],
      [
        { shares: [{ prisonerId: p1, percent: -10 }], generalPercent: 110 },
        422,
        "shares.0.percent",
      ],
      [
        { shares: [{ prisonerId: p1, percent: 1e308 }], generalPercent: 0 },
        422,
        "shares.0.percent",
      ],
      [
        { shares: [{ prisonerId: elsewhere, percent: 100 }], generalPercent: 0 },
        422,
        "shares.0.prisonerId",
      ],
      [
        { shares: [{ prisonerId: SCRIPT, percent: 100 }], generalPercent: 0 },
        422,
        "shares.0.prisonerId",
      ],
      [
        { shares: [{ prisonerId: "x".repeat(65), percent: 100 }], generalPercent: 0 },
        422,
        "shares.0.prisonerId",
      ],
      [
        {
          shares: [
            { prisonerId: p1, percent: 50 },
            { prisonerId: p1, percent: 50 },
          ],
          generalPercent: 0,
        },
        422,
        "shares.1.prisonerId",
      ],
      [{ shares: [{ prisonerId: p1, percent: 100 }] }, 422, "generalPercent"],
      [{ generalPercent: 100 }, 422, "shares"],
      [{ shares: "all", generalPercent: 100 }, 422, "shares"],
      [{ shares: [], generalPercent: 100, extra: IMG }, 422],
      [{ equal: true, generalPercent: 101 }, 422, "generalPercent"],
      [{ equal: "yes" }, 422],
      [
        {
          shares: Array.from({ length: 101 }, () => ({ prisonerId: p1, percent: 0 })),
          generalPercent: 100,
        },
        422,
        "shares",
      ],
      [{ shares: [{ prisonerId: "\ud800", percent: 100 }], generalPercent: 0 }, 422],
      [[{ prisonerId: p1, percent: 100 }], 400],
      ["not json", 400],
      [{ shares: [{ prisonerId: MB, percent: 100 }], generalPercent: 0 }, 413],
    ];
    await unchanged(async () => {
      for (const [body, status, field] of bodies) {
        const res = await client.api("PUT", url(), body, aliceToken);
        expectApiError(res, status, field);
      }
      const wrongType = await client.request("PUT", url(), {
        body: "shares=1",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Authorization: `Bearer ${aliceToken}`,
        },
      });
      expectApiError(wrongType, 415);
      expectApiError(
        await client.api("PUT", "/api/v1/festivals/nope/allocation", { equal: true }, aliceToken),
        404,
      );
      expectApiError(
        await client.api("POST", "/api/v1/festivals/nope/allocate", undefined, aliceToken),
        404,
      );
      expectApiError(await client.api("DELETE", url(), undefined, aliceToken), 405);
    });
  });

  it("exchanges: wrong, missing, oversized and hostile; more than the fund holds is a 409", async () => {
    const today = new Date().toISOString().slice(0, 10);
    const ok = {
      prisonerId: p2,
      fromCurrency: "EUR",
      toCurrency: "RUB",
      amountMinor: 100,
      rate: "95.25",
      ratedOn: today,
    };
    const bodies: [unknown, number, string?][] = [
      [{ ...ok, rate: "95,25" }, 422, "rate"],
      [{ ...ok, rate: "1e5" }, 422, "rate"],
      [{ ...ok, rate: "-1" }, 422, "rate"],
      [{ ...ok, rate: "0" }, 422, "rate"],
      [{ ...ok, rate: 95.25 }, 422, "rate"],
      [{ ...ok, rate: "9".repeat(30) }, 422, "rate"],
      [{ ...ok, rate: SCRIPT }, 422, "rate"],
      [{ ...ok, amountMinor: "100" }, 422, "amountMinor"],
      [{ ...ok, amountMinor: 1.5 }, 422, "amountMinor"],
      [{ ...ok, amountMinor: 0 }, 422, "amountMinor"],
      [{ ...ok, amountMinor: 1e20 }, 422, "amountMinor"],
      [{ ...ok, fromCurrency: "EURO" }, 422, "fromCurrency"],
      [{ ...ok, toCurrency: "EUR" }, 422, "toCurrency"],
      [{ ...ok, toCurrency: "XYZ" }, 422, "toCurrency"],
      [{ ...ok, ratedOn: "2026-13-01" }, 422, "ratedOn"],
      [{ ...ok, ratedOn: "2999-01-01" }, 422, "ratedOn"],
      [{ ...ok, ratedOn: "yesterday" }, 422, "ratedOn"],
      [{ ...ok, prisonerId: "nobody" }, 422, "prisonerId"],
      [{ ...ok, prisonerId: IMG }, 422, "prisonerId"],
      [{ ...ok, rate: undefined }, 422, "rate"],
      [{ ...ok, note: "extra" }, 422],
      [{ ...ok, rate: "0.0000001" }, 422, "amountMinor"],
      [{ ...ok, amountMinor: 1_000_000 }, 409],
      [{ ...ok, prisonerId: elsewhere }, 409],
      [{ ...ok, rate: MB }, 413],
    ];
    await unchanged(async () => {
      for (const [body, status, field] of bodies) {
        const res = await client.api("POST", "/api/v1/exchanges", body, aliceToken);
        const error = expectApiError(res, status, field);
        if (status === 409) expect(error.error).toBe("insufficient_funds");
      }
    });
  });

  it("transfers: wrong, missing, oversized and hostile; more than is available is a 409", async () => {
    const ok = {
      fromPrisonerId: p2,
      toPrisonerId: p1,
      currency: "EUR",
      amountMinor: 100,
      reason: "released",
    };
    const bodies: [unknown, number, string?][] = [
      [{ ...ok, toPrisonerId: p2 }, 422, "toPrisonerId"],
      [{ ...ok, fromPrisonerId: null, toPrisonerId: null }, 422, "toPrisonerId"],
      [{ ...ok, toPrisonerId: "nobody" }, 422, "toPrisonerId"],
      [{ ...ok, fromPrisonerId: SCRIPT }, 422, "fromPrisonerId"],
      [{ ...ok, currency: "E" }, 422, "currency"],
      [{ ...ok, amountMinor: -1 }, 422, "amountMinor"],
      [{ ...ok, amountMinor: null }, 422, "amountMinor"],
      [{ ...ok, reason: "" }, 422, "reason"],
      [{ ...ok, reason: "r".repeat(501) }, 422, "reason"],
      [{ ...ok, reason: "released\u0000" }, 422, "reason"],
      [{ ...ok, reason: "re\u202Eleased" }, 422, "reason"],
      [{ ...ok, reason: undefined }, 422, "reason"],
      [{ ...ok, amountMinor: 999_999 }, 409],
      [{ ...ok, fromPrisonerId: elsewhere }, 409],
      [{ ...ok, reason: MB }, 413],
    ];
    await unchanged(async () => {
      for (const [body, status, field] of bodies) {
        const res = await client.api("POST", "/api/v1/transfers", body, aliceToken);
        const error = expectApiError(res, status, field);
        if (status === 409) expect(error.error).toBe("insufficient_funds");
      }
      expectApiError(
        await client.api("GET", "/api/v1/transfers?status=everything", undefined, aliceToken),
        422,
      );
    });
  });

  it("fund views: unknown or oversized prisoner ids are 404", async () => {
    for (const id of ["nope", "x".repeat(300), encodeURIComponent(SCRIPT)])
      expectApiError(
        await client.api("GET", `/api/v1/prisoners/${id}/fund`, undefined, aliceToken),
        404,
      );
    expectApiError(await client.api("POST", `/api/v1/prisoners/${p1}/fund`, {}, aliceToken), 405);
  });

  it("the books stay balanced and no fund is below zero", async () => {
    const { checkLedger } = await import("~/models/ledger.server");
    expect((await checkLedger()).problems).toEqual([]);
    const funds = await prisma.$queryRawUnsafe<{ held: number }[]>(
      `SELECT -SUM(p.amountMinor) AS held FROM LedgerAccount a JOIN LedgerPosting p ON p.accountId = a.id WHERE a.code = 'fund' GROUP BY a.id`,
    );
    expect(funds.every((f) => Number(f.held) >= 0)).toBe(true);
  });
});
