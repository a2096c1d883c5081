// Recipients and payouts over HTTP: who may call them (only money roles with a
// proved second factor: organisers and door staff 403, a treasurer or admin
// without the second factor 403 `second_factor_required`, nobody signed in
// 401), the whole flow (recipient, proposal, someone else's approval, paid,
// the plan), and bad input — wrong, missing, oversized, hostile — answered
// with a clear 4xx and nothing half-written.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomToken, sha256 } from "~/utils/crypto.server";
import { prisma, sqlClient } from "~/utils/db.server";
import { Client, startTestApp, type HttpResponse, type TestApp } from "../helpers/app";
import { expectApiError, LONE_SURROGATE, MB, NUL, RTL, SCRIPT } from "../helpers/bad-input";
import {
  addMember,
  apiToken,
  createFestivalRow,
  createPrisonerRow,
  createUserRow,
} from "../helpers/fixtures";
import { fundHeld, fundPrisoner } from "../helpers/funds";
import { createMoneyUser, moneyToken, moneyTokenDirect, type MoneyUser } from "../helpers/treasury";
import { addMonths, monthOf } from "~/models/payout-caps";

/** A month `n` after this one in Moscow (the recipient's zone). */
const monthsAhead = (n: number) => addMonths(monthOf(new Date(), "Europe/Moscow"), n);

let app: TestApp;
let client: Client;
let A: MoneyUser;
let B: MoneyUser;
let tokenA: string;
let tokenB: string;
const plain: Record<"organiser" | "door" | "treasurer" | "admin", string> = {
  organiser: "",
  door: "",
  treasurer: "",
  admin: "",
};
let festivalId: string;
let prisonerId: string;
let otherPrisonerId: string;
let recipientId: string;
let payoutId: string;
const NAME = "Irina Vasilyevna Kuznetsova";
const DETAILS = "Sberbank card 2202 2061 4433 9911";

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  client = new Client(app.url);
  [A, B] = [await createMoneyUser(), await createMoneyUser({ role: "admin" })];
  // A signs in through the real endpoint with a one-time code; B's proved token is written directly.
  [tokenA, tokenB] = [await moneyToken(app.url, A), await moneyTokenDirect(B.id)];
  const festival = await createFestivalRow({ startsAt: new Date("2030-06-01T12:00:00Z") });
  festivalId = festival.id;
  const organiser = await createUserRow();
  const door = await createUserRow();
  await addMember(festivalId, organiser.id, "organiser");
  await addMember(festivalId, door.id, "door");
  plain.organiser = await apiToken(app.url, organiser.email);
  plain.door = await apiToken(app.url, door.email);
  // Money roles without a proved second factor: a treasurer who has not enrolled one (the
  // password alone signs it in), and an enrolled admin's token that did not prove it.
  plain.treasurer = await apiToken(app.url, (await createUserRow({ role: "treasurer" })).email);
  plain.admin = await unprovedToken((await createMoneyUser({ role: "admin" })).id);
  prisonerId = (
    await createPrisonerRow("http-payouts-prisoner", { en: "HTTP Prisoner" }, [festivalId])
  ).id;
  otherPrisonerId = (await createPrisonerRow("http-payouts-other", { en: "Other Prisoner" })).id;
  await fundPrisoner({ festivalId, prisonerId, amountMinor: 4_500_000, currency: "RUB" });
});
afterAll(() => app.close());

/** A bearer token for an account, written straight to the database, that proved no second factor. */
async function unprovedToken(userId: string) {
  const token = randomToken(32);
  await prisma.apiToken.create({
    data: { userId, tokenHash: sha256(token), expiresAt: new Date(Date.now() + 3_600_000) },
  });
  return token;
}

const TABLES = ["Recipient", "Payout", "Approval", "AuditEvent", "LedgerEntry", "LedgerPosting"];

/** Everything a payouts call could write: row counts, and the rows of recipients and payouts. */
async function snapshot() {
  const db = sqlClient();
  const counts: Record<string, number> = {};
  for (const t of TABLES)
    counts[t] = Number((await db.execute(`SELECT COUNT(*) AS n FROM ${t}`)).rows[0]!.n);
  const recipients = JSON.stringify((await db.execute("SELECT * FROM Recipient ORDER BY id")).rows);
  const payouts = JSON.stringify((await db.execute("SELECT * FROM Payout ORDER BY id")).rows);
  return { counts, recipients, payouts };
}

async function unchanged(act: () => Promise<HttpResponse>) {
  const before = await snapshot();
  const res = await act();
  expect(await snapshot(), `${res.status} ${res.text.slice(0, 200)}`).toEqual(before);
  return res;
}

const recipientBody = (extra: Record<string, unknown> = {}) => ({
  prisonerId,
  kind: "relative",
  displayName: NAME,
  details: DETAILS,
  notes: "Prefers transfers in the morning",
  monthlyCap: { amountMinor: 1_000_000, currency: "RUB" },
  timezone: "Europe/Moscow",
  ...extra,
});

const payoutBody = (extra: Record<string, unknown> = {}) => ({
  prisonerId,
  recipientId,
  category: "parcels_letters",
  amountMinor: 300_000,
  currency: "RUB",
  note: "Parcel for December",
  ...extra,
});

describe("the whole flow", () => {
  it("creates a recipient (sealed), proposes, approves by someone else, marks paid", async () => {
    const made = await client.api("POST", "/api/v1/recipients", recipientBody(), tokenA);
    expect(made.status, made.text).toBe(201);
    recipientId = made.json<{ id: string }>().id;
    expect(Object.keys(made.json<object>())).toEqual(["id"]);
    const row = (
      await sqlClient().execute({
        sql: "SELECT * FROM Recipient WHERE id = ?",
        args: [recipientId],
      })
    ).rows[0]!;
    expect(JSON.stringify(row)).not.toContain(NAME);
    expect(JSON.stringify(row)).not.toContain(DETAILS);

    const list = await client.api(
      "GET",
      `/api/v1/recipients?prisonerId=${prisonerId}`,
      undefined,
      tokenB,
    );
    expect(list.status).toBe(200);
    expect(list.json<{ recipients: { id: string; displayName: string }[] }>().recipients).toEqual([
      expect.objectContaining({
        id: recipientId,
        displayName: NAME,
        monthlyCap: { amountMinor: 1_000_000, currency: "RUB" },
      }),
    ]);
    expect(list.text).not.toContain(DETAILS);
    const one = await client.api("GET", `/api/v1/recipients/${recipientId}`, undefined, tokenB);
    expect(one.json<{ recipient: { details: string } }>().recipient.details).toBe(DETAILS);

    const proposed = await client.api("POST", "/api/v1/payouts", payoutBody(), tokenA);
    expect(proposed.status, proposed.text).toBe(201);
    expect(proposed.json<{ status: string }>().status).toBe("proposed");
    payoutId = proposed.json<{ id: string }>().id;

    const self = await unchanged(() =>
      client.api("POST", `/api/v1/payouts/${payoutId}/approve`, undefined, tokenA),
    );
    expect(expectApiError(self, 403).error).toBe("self_approval");

    const approved = await client.api(
      "POST",
      `/api/v1/payouts/${payoutId}/approve`,
      undefined,
      tokenB,
    );
    expect(approved.status, approved.text).toBe(200);
    expect(approved.json<{ payout: { status: string } }>().payout.status).toBe("approved");
    expect(await fundHeld(prisonerId, "RUB")).toBe(4_500_000);

    const paid = await client.api(
      "POST",
      `/api/v1/payouts/${payoutId}/paid`,
      { reference: "SBP 0042", paidAt: new Date(Date.now() - 60_000).toISOString() },
      tokenB,
    );
    expect(paid.status, paid.text).toBe(200);
    expect(paid.json<{ payout: { status: string; reference: string } }>().payout).toMatchObject({
      status: "paid",
      reference: "SBP 0042",
    });
    expect(await fundHeld(prisonerId, "RUB")).toBe(4_200_000);

    const listed = await client.api(
      "GET",
      `/api/v1/payouts?status=paid&prisonerId=${prisonerId}`,
      undefined,
      tokenA,
    );
    const payouts = listed.json<{ payouts: { id: string; recipient: { displayName: string } }[] }>()
      .payouts;
    expect(payouts.map((p) => p.id)).toEqual([payoutId]);
    expect(payouts[0]!.recipient.displayName).toBe(NAME);
    // An empty filter (a form's "any") is no filter.
    const any = await client.api(
      "GET",
      `/api/v1/payouts?status=&prisonerId=${prisonerId}`,
      undefined,
      tokenA,
    );
    expect(any.status, any.text).toBe(200);
    expect(any.json<{ payouts: { id: string }[] }>().payouts.map((p) => p.id)).toEqual([payoutId]);
    const detail = await client.api("GET", `/api/v1/payouts/${payoutId}`, undefined, tokenA);
    expect(detail.json<{ payout: { note: string } }>().payout.note).toBe("Parcel for December");
  });

  it("plans tranches under the cap and accepts them as proposals", async () => {
    const plan = await client.api(
      "GET",
      `/api/v1/payouts/plan?prisonerId=${prisonerId}&recipientId=${recipientId}`,
      undefined,
      tokenA,
    );
    expect(plan.status, plan.text).toBe(200);
    const body = plan.json<{
      currency: string;
      capMinor: number;
      tranches: { month: string; amountMinor: number }[];
    }>();
    expect(body.currency).toBe("RUB");
    expect(body.capMinor).toBe(1_000_000);
    // 42,000 ₽ left; this month already holds the paid 3,000 ₽.
    expect(body.tranches.map((t) => t.amountMinor)).toEqual([
      700_000, 1_000_000, 1_000_000, 1_000_000, 500_000,
    ]);
    for (const t of body.tranches) expect(t.amountMinor).toBeLessThanOrEqual(1_000_000);
    const accepted = await client.api(
      "POST",
      "/api/v1/payouts/plan",
      { prisonerId, recipientId, category: "family_support", tranches: body.tranches },
      tokenA,
    );
    expect(accepted.status, accepted.text).toBe(201);
    const { planId, payouts } = accepted.json<{ planId: string; payouts: { id: string }[] }>();
    expect(payouts).toHaveLength(5);
    const listed = await client.api("GET", `/api/v1/payouts?planId=${planId}`, undefined, tokenA);
    expect(listed.json<{ payouts: unknown[] }>().payouts).toHaveLength(5);
    // Everything is promised: one more is refused with what is available.
    const more = await unchanged(() =>
      client.api(
        "POST",
        "/api/v1/payouts",
        payoutBody({ amountMinor: 1, month: monthsAhead(6) }),
        tokenA,
      ),
    );
    const error = expectApiError(more, 409, "amountMinor");
    expect(error.error).toBe("insufficient_funds");
    expect(error.message).toContain("0");
    // Cancel them again (any treasurer), then the cap refuses this month's extra.
    for (const p of payouts) {
      const cancelled = await client.api(
        "POST",
        `/api/v1/payouts/${p.id}/cancel`,
        { reason: "replanned" },
        tokenB,
      );
      expect(cancelled.status, cancelled.text).toBe(200);
    }
    const cap = await unchanged(() =>
      client.api("POST", "/api/v1/payouts", payoutBody({ amountMinor: 800_000 }), tokenA),
    );
    const capError = expectApiError(cap, 409, "amountMinor");
    expect(capError.error).toBe("cap_exceeded");
    expect(capError.message).toMatch(/700000 of 1000000/);
  });
});

describe("who may call", () => {
  const calls = (): [string, string, unknown?][] => [
    ["GET", "/api/v1/recipients"],
    ["POST", "/api/v1/recipients", recipientBody()],
    ["GET", `/api/v1/recipients/${recipientId}`],
    ["PATCH", `/api/v1/recipients/${recipientId}`, { details: "changed" }],
    ["POST", `/api/v1/recipients/${recipientId}/archive`],
    ["GET", "/api/v1/payouts"],
    ["POST", "/api/v1/payouts", payoutBody({ amountMinor: 100 })],
    ["GET", `/api/v1/payouts/${payoutId}`],
    ["POST", `/api/v1/payouts/${payoutId}/approve`],
    ["POST", `/api/v1/payouts/${payoutId}/reject`, { reason: "no" }],
    ["POST", `/api/v1/payouts/${payoutId}/cancel`, {}],
    [
      "POST",
      `/api/v1/payouts/${payoutId}/paid`,
      { reference: "r", paidAt: new Date().toISOString() },
    ],
    ["GET", `/api/v1/payouts/plan?prisonerId=${prisonerId}&recipientId=${recipientId}`],
    ["POST", "/api/v1/payouts/plan", { prisonerId, recipientId, category: "other" }],
  ];

  it("organisers and door staff get 403, and see nothing of the recipient", async () => {
    for (const who of ["organiser", "door"] as const)
      for (const [method, path, body] of calls()) {
        const res = await unchanged(() => client.api(method, path, body, plain[who]));
        expect(expectApiError(res, 403).error, `${who} ${method} ${path}`).toBe("forbidden");
        expect(res.text).not.toContain(NAME);
      }
  });

  it("a treasurer or admin without the second factor gets 403 second_factor_required", async () => {
    for (const who of ["treasurer", "admin"] as const)
      for (const [method, path, body] of calls()) {
        const res = await unchanged(() => client.api(method, path, body, plain[who]));
        expect(expectApiError(res, 403).error, `${who} ${method} ${path}`).toBe(
          "second_factor_required",
        );
        expect(res.text).not.toContain(NAME);
      }
  });

  it("nobody signed in gets 401", async () => {
    for (const [method, path, body] of calls()) {
      const res = await unchanged(() => client.api(method, path, body));
      expect(expectApiError(res, 401).error).toBe("unauthorized");
    }
  });
});

describe("bad input", () => {
  it("recipients: wrong, missing, oversized and hostile fields are 4xx and write nothing", async () => {
    const cases: [Record<string, unknown> | string, number, string?][] = [
      [{}, 422, "prisonerId"],
      [recipientBody({ displayName: undefined }), 422, "displayName"],
      [recipientBody({ details: "" }), 422, "details"],
      [recipientBody({ kind: "friend" }), 422, "kind"],
      [recipientBody({ prisonerId: "no-such-prisoner" }), 422, "prisonerId"],
      [recipientBody({ displayName: NUL }), 422, "displayName"],
      [recipientBody({ displayName: RTL }), 422, "displayName"],
      [recipientBody({ details: "a".repeat(2001) }), 422, "details"],
      [recipientBody({ timezone: "Mars/Olympus_Mons" }), 422, "timezone"],
      [recipientBody({ timezone: "UTC+3" }), 422, "timezone"],
      [recipientBody({ timezone: 3 }), 422, "timezone"],
      [
        recipientBody({ monthlyCap: { amountMinor: -5, currency: "RUB" } }),
        422,
        "monthlyCap.amountMinor",
      ],
      [
        recipientBody({ monthlyCap: { amountMinor: 1.5, currency: "RUB" } }),
        422,
        "monthlyCap.amountMinor",
      ],
      [
        recipientBody({ monthlyCap: { amountMinor: 100, currency: "XYZ" } }),
        422,
        "monthlyCap.currency",
      ],
      [recipientBody({ monthlyCap: { amountMinor: 100 } }), 422, "monthlyCap.currency"],
      [recipientBody({ isAdmin: true }), 422, "isAdmin"],
      [recipientBody({ displayName: MB }), 413],
      ["{not json", 400],
      [JSON.stringify(recipientBody({ displayName: LONE_SURROGATE })), 422, "displayName"],
    ];
    for (const [body, status, field] of cases) {
      const res = await unchanged(() => client.api("POST", "/api/v1/recipients", body, tokenA));
      expectApiError(res, status, field);
      expect(res.text).not.toContain(DETAILS);
    }
    const text = await unchanged(() =>
      client.api("POST", "/api/v1/recipients", "x", tokenA, { "Content-Type": "text/plain" }),
    );
    expectApiError(text, 415);
    // Markup is kept as text, sealed, and given back as JSON (never HTML).
    const made = await client.api(
      "POST",
      "/api/v1/recipients",
      recipientBody({ displayName: SCRIPT }),
      tokenA,
    );
    expect(made.status).toBe(201);
    const id = made.json<{ id: string }>().id;
    const seen = await client.api("GET", `/api/v1/recipients/${id}`, undefined, tokenA);
    expect(seen.headers.get("content-type")).toContain("application/json");
    expect(seen.json<{ recipient: { displayName: string } }>().recipient.displayName).toBe(SCRIPT);
    // PATCH: nothing to change, unknown recipient.
    expectApiError(
      await unchanged(() => client.api("PATCH", `/api/v1/recipients/${id}`, {}, tokenA)),
      422,
    );
    expectApiError(
      await unchanged(() =>
        client.api("PATCH", "/api/v1/recipients/nope", { details: "x" }, tokenA),
      ),
      404,
    );
    expectApiError(
      await unchanged(() => client.api("GET", "/api/v1/recipients/nope", undefined, tokenA)),
      404,
    );
    expectApiError(
      await unchanged(() =>
        client.api("GET", "/api/v1/recipients?archived=maybe", undefined, tokenA),
      ),
      422,
    );
  });

  it("payouts: wrong, missing, oversized and hostile fields are 4xx and write nothing", async () => {
    const cases: [Record<string, unknown> | string, number, string?][] = [
      [{}, 422, "recipientId"],
      [payoutBody({ amountMinor: 0 }), 422, "amountMinor"],
      [payoutBody({ amountMinor: -100 }), 422, "amountMinor"],
      [payoutBody({ amountMinor: 10.5 }), 422, "amountMinor"],
      [payoutBody({ amountMinor: "100" }), 422, "amountMinor"],
      [payoutBody({ amountMinor: 1e20 }), 422, "amountMinor"],
      [payoutBody({ category: "bribe" }), 422, "category"],
      [payoutBody({ currency: "rubles" }), 422, "currency"],
      [payoutBody({ currency: "EUR" }), 422, "currency"],
      [payoutBody({ month: "2026-13" }), 422, "month"],
      [payoutBody({ month: "2001-01" }), 422, "month"],
      [payoutBody({ month: "2099-01" }), 422, "month"],
      [payoutBody({ prisonerId: otherPrisonerId }), 422, "recipientId"],
      [payoutBody({ recipientId: "nope" }), 422, "recipientId"],
      [payoutBody({ note: NUL }), 422, "note"],
      [payoutBody({ note: "a".repeat(2001) }), 422, "note"],
      [payoutBody({ status: "paid" }), 422, "status"],
      [payoutBody({ amountMinor: 10_000_000 }), 409, "amountMinor"],
      [payoutBody({ note: MB }), 413],
    ];
    for (const [body, status, field] of cases) {
      const res = await unchanged(() => client.api("POST", "/api/v1/payouts", body, tokenA));
      expectApiError(res, status, field);
    }
    // Actions on a payout: unknown id, unknown action, wrong state, bad bodies.
    const { id } = (
      await client.api(
        "POST",
        "/api/v1/payouts",
        payoutBody({ amountMinor: 100_000, month: monthsAhead(7) }),
        tokenA,
      )
    ).json<{
      id: string;
    }>();
    const action = (name: string, body?: unknown, token = tokenB) =>
      unchanged(() => client.api("POST", `/api/v1/payouts/${id}/${name}`, body, token));
    expectApiError(
      await unchanged(() => client.api("POST", "/api/v1/payouts/nope/approve", undefined, tokenB)),
      404,
    );
    expectApiError(
      await unchanged(() => client.api("GET", "/api/v1/payouts/nope", undefined, tokenB)),
      404,
    );
    expectApiError(await action("explode"), 404);
    expectApiError(await action("reject", {}), 422, "reason");
    expectApiError(await action("reject", { reason: NUL }), 422, "reason");
    expectApiError(await action("paid", { reference: "x", paidAt: new Date().toISOString() }), 409);
    expect(
      (await client.api("POST", `/api/v1/payouts/${id}/approve`, undefined, tokenB)).status,
    ).toBe(200);
    expectApiError(await action("paid", { paidAt: new Date().toISOString() }), 422, "reference");
    expectApiError(await action("paid", { reference: "x", paidAt: "yesterday" }), 422, "paidAt");
    expectApiError(
      await action("paid", { reference: "x", paidAt: "2999-01-01T00:00:00Z" }),
      422,
      "paidAt",
    );
    expectApiError(
      await action("paid", {
        reference: "x",
        paidAt: new Date(Date.now() + 86_400_000).toISOString(),
      }),
      422,
      "paidAt",
    );
    expectApiError(
      await action("paid", { reference: "a".repeat(201), paidAt: new Date().toISOString() }),
      422,
      "reference",
    );
    // The plan: missing or bad query, a recipient without a cap.
    expectApiError(
      await unchanged(() => client.api("GET", "/api/v1/payouts/plan", undefined, tokenA)),
      422,
    );
    expectApiError(
      await unchanged(() =>
        client.api(
          "GET",
          `/api/v1/payouts/plan?prisonerId=${prisonerId}&recipientId=${recipientId}&x=1`,
          undefined,
          tokenA,
        ),
      ),
      422,
    );
    expectApiError(
      await unchanged(() =>
        client.api(
          "POST",
          "/api/v1/payouts/plan",
          {
            prisonerId,
            recipientId,
            category: "other",
            tranches: [{ month: "2030-01", amountMinor: -1 }],
          },
          tokenA,
        ),
      ),
      422,
    );
    expectApiError(
      await unchanged(() => client.api("GET", "/api/v1/payouts?status=lost", undefined, tokenA)),
      422,
    );
  });
});
