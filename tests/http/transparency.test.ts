// The public transparency reports over HTTP: the pages in English and Russian
// without signing in, the month chart (a server-rendered SVG) with its table,
// CSV and JSON with the same numbers as the reports, bad months and draft or
// unknown festivals refused, and no recipient anywhere in what is served.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, startTestApp, type HttpResponse, type TestApp } from "../helpers/app";
import { parseCsv } from "../helpers/csv";
import {
  createFestivalRow,
  createPrisonerRow,
  createUserRow,
  signedInClient,
} from "../helpers/fixtures";
import type { Account, EntryKind, Posting } from "~/models/ledger.server";
import type { FestivalReport, MonthReport } from "~/models/transparency.server";

let app: TestApp;
let client: Client;
let festival: { id: string; slug: string };
let draft: { id: string; slug: string };
let boris: string;

const MONTH = "2026-10";
const at = new Date("2026-10-15T12:00:00Z");
/** What a recipient would be called: never on any public answer. */
const RECIPIENT_NAME = "Secretive Lawyer Anna Recipientova";
const RECIPIENT_DETAIL = "RU00 4400 1234 5678";

async function post(
  festivalId: string,
  id: string,
  kind: EntryKind,
  postings: Posting[],
  purpose: string | null = null,
) {
  const { entryStatements } = await import("~/models/ledger.server");
  const { sqlClient } = await import("~/utils/db.server");
  await sqlClient().batch(
    entryStatements({ id, festivalId, kind, at, purpose, postings }),
    "write",
  );
}

const rub = (festivalId: string, code: Account["code"], extra: Partial<Account> = {}): Account => ({
  festivalId,
  currency: "RUB",
  code,
  ...extra,
});

/** Every text a test fetched, for the leak check at the end. */
const served: string[] = [];
async function get(path: string, headers?: Record<string, string>): Promise<HttpResponse> {
  const res = await client.get(path, headers);
  served.push(res.text);
  return res;
}

beforeAll(async () => {
  app = await startTestApp();
  client = new Client(app.url);
  festival = await createFestivalRow({
    name: "Moscow Solidarity Evening",
    currency: "RUB",
    status: "published",
    publishedAt: new Date(),
  });
  draft = await createFestivalRow({ name: "Hidden Draft Gathering", currency: "RUB" });
  boris = (
    await createPrisonerRow("boris-k", { en: "Boris Kagarlitsky", ru: "Борис Кагарлицкий" }, [
      festival.id,
    ])
  ).id;
  // A recipient for Boris, as the treasury stores one (sealed).
  const { encrypt } = await import("~/utils/encryption.server");
  const { prisma } = await import("~/utils/db.server");
  const recipientId = "report-http-recipient";
  await prisma.recipient.create({
    data: {
      id: recipientId,
      prisonerId: boris,
      kind: "lawyer",
      sealed: encrypt(
        JSON.stringify({ displayName: RECIPIENT_NAME, details: RECIPIENT_DETAIL, notes: "" }),
        `recipient:${recipientId}`,
      ),
    },
  });
  const f = festival.id;
  // 15,000 ₽ of tickets and 10,000 ₽ for Boris at the door; the earmark in his fund.
  await post(f, `report-http:payment`, "payment", [
    { account: rub(f, "door_cash"), amountMinor: 2_500_000 },
    { account: rub(f, "income", { category: "ticket" }), amountMinor: -1_500_000 },
    {
      account: rub(f, "income", { category: "donation", prisonerId: boris }),
      amountMinor: -1_000_000,
    },
  ]);
  const { sqlClient } = await import("~/utils/db.server");
  const mirrored = await sqlClient().execute({
    sql: `SELECT COUNT(*) AS n FROM LedgerPosting p JOIN LedgerAccount a ON a.id = p.accountId
          WHERE p.entryId = 'report-http:payment' AND a.code = 'fund'`,
  });
  if (Number(mirrored.rows[0]?.n) === 0)
    await post(f, `report-http:payment:mirror`, "payment", [
      { account: rub(f, "allocated", { prisonerId: boris }), amountMinor: 1_000_000 },
      { account: rub(f, "fund", { prisonerId: boris }), amountMinor: -1_000_000 },
    ]);
  // 5,000 ₽ allocated to Boris, 2,000 ₽ to the general fund; 12,000 ₽ to his lawyer.
  await post(f, `allocation:${f}:1`, "allocation", [
    { account: rub(f, "allocated", { prisonerId: boris }), amountMinor: 500_000 },
    { account: rub(f, "allocated"), amountMinor: 200_000 },
    { account: rub(f, "fund", { prisonerId: boris }), amountMinor: -500_000 },
    { account: rub(f, "fund"), amountMinor: -200_000 },
  ]);
  await post(
    f,
    `payout:report-http:${f}`,
    "payout",
    [
      { account: rub(f, "fund", { prisonerId: boris }), amountMinor: 1_200_000 },
      { account: rub(f, "door_cash"), amountMinor: -1_200_000 },
    ],
    "lawyer",
  );
  // The draft festival has money too: never shown on its own.
  await post(draft.id, `report-http:draft`, "payment", [
    { account: rub(draft.id, "door_cash"), amountMinor: 100 },
    { account: rub(draft.id, "income", { category: "ticket" }), amountMinor: -100 },
  ]);
});
afterAll(async () => {
  await app?.close();
});

describe("the pages, without signing in", () => {
  it("the index lists months with figures and public festivals, cacheable, in English", async () => {
    const res = await get("/transparency");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("public, max-age=60");
    expect(res.text).toContain("Where the money goes");
    expect(res.text).toContain(`href="/transparency/${MONTH}"`);
    expect(res.text).toContain("October 2026");
    expect(res.text).toContain(`href="/transparency/festivals/${festival.slug}"`);
    expect(res.text).toContain("Moscow Solidarity Evening");
    expect(res.text).not.toContain("Hidden Draft Gathering");
    expect(res.text).toContain("UTC");
  });

  it("the index in Russian", async () => {
    const res = await get("/transparency", { "Accept-Language": "ru" });
    expect(res.status).toBe(200);
    expect(res.text).toContain("Куда идут деньги");
    expect(res.text).toContain("Октябрь 2026");
  });

  it("the festival page: money in, costs, net proceeds and funds, in both languages", async () => {
    const en = await get(`/transparency/festivals/${festival.slug}`);
    expect(en.status).toBe(200);
    expect(en.headers.get("cache-control")).toBe("public, max-age=60");
    expect(en.text).toContain("Moscow Solidarity Evening: the money");
    expect(en.text).toContain("Taken in: Tickets");
    expect(en.text).toMatch(/RUB\s15,000\.00/);
    expect(en.text).toContain("Boris Kagarlitsky");
    expect(en.text).toContain(`href="/prisoners/boris-k"`);
    expect(en.text).toContain("General fund");
    expect(en.text).toContain(`href="/transparency/festivals/${festival.slug}.csv"`);
    const ru = await get(`/transparency/festivals/${festival.slug}`, { "Accept-Language": "ru" });
    expect(ru.status).toBe(200);
    expect(ru.text).toContain("Борис Кагарлицкий");
    expect(ru.text).toContain("Куда пошёл сбор");
    expect(ru.text).toMatch(/15\s000,00\s₽/);
  });

  it("a draft or unknown festival is a 404 page, CSV and JSON", async () => {
    for (const path of [
      `/transparency/festivals/${draft.slug}`,
      `/transparency/festivals/${draft.slug}.csv`,
      `/api/v1/reports/festivals/${draft.id}`,
      "/transparency/festivals/no-such-festival",
      "/transparency/festivals/no-such-festival.csv",
      "/api/v1/reports/festivals/no-such-festival",
      `/api/v1/reports/festivals/${"x".repeat(300)}`,
    ]) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(res.text, path).not.toContain("Hidden Draft Gathering");
    }
  });

  it("the month page: a server-rendered SVG chart and tables with the same numbers, payouts by purpose and prisoner", async () => {
    const en = await get(`/transparency/${MONTH}`);
    expect(en.status).toBe(200);
    expect(en.headers.get("cache-control")).toBe("public, max-age=60");
    expect(en.text).toContain("October 2026: collected and paid out");
    const img =
      /<img src="data:image\/svg\+xml;charset=utf-8,([^"]+)" width="400" height="(\d+)" alt="([^"]+)"/.exec(
        en.text,
      );
    expect(img).not.toBeNull();
    const svg = decodeURIComponent(img![1]!.replace(/&amp;/g, "&"));
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]* width="400"/);
    expect(svg).toContain("recharts-rectangle");
    expect(svg).toContain("Lawyer fees");
    expect(svg).toMatch(/RUB\s12,000\.00/);
    expect(img![3]).toMatch(/RUB\s25,001\.00 collected and RUB\s12,000\.00 paid out/);
    expect(en.text).toMatch(/Lawyer fees for Boris Kagarlitsky — RUB\s12,000\.00/);
    expect(en.text).toContain('<th scope="col">Purpose</th>');
    const ru = await get(`/transparency/${MONTH}`, { "Accept-Language": "ru" });
    expect(ru.status).toBe(200);
    expect(ru.text).toMatch(/Услуги адвоката: Борис Кагарлицкий — 12\s000,00\s₽/);
    expect(ru.text).toContain("Октябрь 2026 г.: собрано и выплачено");
  });

  it("an empty month is a page that says so; a bad month is a 404 page and a 400 in the API", async () => {
    const empty = await get("/transparency/2026-11");
    expect(empty.status).toBe(200);
    expect(empty.text).toContain("Nothing was collected or paid out this month.");
    for (const bad of ["2026-13", "x", "2026-1", "2026-00", "99999-01", "2026-10-01", "%00"]) {
      expect((await get(`/transparency/${bad}`)).status, bad).toBe(404);
      expect((await get(`/transparency/${bad}.csv`)).status, bad).toBe(404);
      const res = await get(`/api/v1/reports/months/${bad}`);
      expect([400, 404], bad).toContain(res.status);
      if (res.status === 400) expect(res.json()).toMatchObject({ error: "invalid_month" });
    }
    const res = await get("/api/v1/reports/months/2026-13");
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({
      error: "invalid_month",
      message: "Give the month as YYYY-MM, e.g. 2026-12.",
    });
  });

  it("signed in, the same pages answer (not cached for the session)", async () => {
    const member = await createUserRow();
    const signed = await signedInClient(app.url, member.email);
    const res = await signed.get(`/transparency/${MONTH}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
  });
});

describe("CSV and JSON: the same numbers", () => {
  const csvRows = (text: string) => {
    const [header, ...rows] = parseCsv(text);
    expect(header).toEqual([
      "currency",
      "section",
      "category",
      "prisoner_id",
      "prisoner",
      "amount",
    ]);
    // Amounts in major units, exact to the currency's digits (RUB: 2): back to minor units.
    return rows.map(([currency, section, category, prisonerId, prisoner, amount]) => {
      expect(amount).toMatch(/^-?\d+\.\d{2}$/);
      return {
        currency,
        section,
        category,
        prisonerId,
        prisoner,
        amount: Number(amount!.replace(".", "")),
      };
    });
  };

  it("the festival's JSON is the report; its CSV has the same figures", async () => {
    const json = await get(`/api/v1/reports/festivals/${festival.id}`);
    expect(json.status).toBe(200);
    expect(json.headers.get("content-type")).toMatch(/^application\/json/);
    const report = json.json<FestivalReport>();
    const { festivalReport } = await import("~/models/transparency.server");
    expect(report).toEqual(await festivalReport(festival.id));
    const c = report.currencies[0]!;
    expect(c).toMatchObject({
      currency: "RUB",
      grossMinor: 2_500_000,
      netProceedsMinor: 2_500_000,
      allocatedMinor: 1_700_000,
      generalFundMinor: 200_000,
      unallocatedMinor: 800_000,
    });
    expect(c.allocated).toEqual([
      {
        id: boris,
        slug: "boris-k",
        name: "Boris Kagarlitsky",
        earmarkedMinor: 1_000_000,
        byRuleMinor: 500_000,
        totalMinor: 1_500_000,
      },
    ]);
    const csv = await get(`/transparency/festivals/${festival.slug}.csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const rows = csvRows(csv.text);
    const one = (section: string) => rows.find((r) => r.section === section)!.amount;
    expect(one("gross_total")).toBe(c.grossMinor);
    expect(one("net_proceeds")).toBe(c.netProceedsMinor);
    expect(one("processing_fees")).toBe(c.feesMinor);
    expect(one("allocated_total")).toBe(c.allocatedMinor);
    expect(one("allocated_general_fund")).toBe(c.generalFundMinor);
    expect(one("unallocated")).toBe(c.unallocatedMinor);
    expect(rows.filter((r) => r.section === "gross").map((r) => [r.category, r.amount])).toEqual(
      c.gross.map((g) => [g.category, g.amountMinor]),
    );
    expect(rows.find((r) => r.section === "allocated_earmarked")).toMatchObject({
      prisonerId: boris,
      prisoner: "Boris Kagarlitsky",
      amount: 1_000_000,
    });
  });

  it("the month's JSON is the report; its CSV has the same figures", async () => {
    const json = await get(`/api/v1/reports/months/${MONTH}`, { "Accept-Language": "ru" });
    expect(json.status).toBe(200);
    const report = json.json<MonthReport>();
    const { monthReport } = await import("~/models/transparency.server");
    expect(report).toEqual(await monthReport(MONTH, { locale: "ru" }));
    expect(report).toMatchObject({
      month: MONTH,
      from: "2026-10-01T00:00:00.000Z",
      to: "2026-11-01T00:00:00.000Z",
    });
    const c = report.currencies.find((x) => x.currency === "RUB")!;
    expect(c.payouts).toEqual([
      {
        id: boris,
        slug: "boris-k",
        name: "Борис Кагарлицкий",
        category: "lawyer",
        amountMinor: 1_200_000,
      },
    ]);
    // The draft festival's money is the collective's money: counted in the month.
    expect(c.collectedMinor).toBe(2_500_100);
    const csv = await get(`/transparency/${MONTH}.csv`, { "Accept-Language": "ru" });
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-disposition")).toBe(
      `attachment; filename="report-${MONTH}.csv"`,
    );
    const rows = csvRows(csv.text);
    expect(rows.find((r) => r.section === "collected_total")!.amount).toBe(c.collectedMinor);
    expect(rows.find((r) => r.section === "paid_out_total")!.amount).toBe(c.paidOutMinor);
    expect(rows.filter((r) => r.section === "paid_out")).toEqual([
      {
        currency: "RUB",
        section: "paid_out",
        category: "lawyer",
        prisonerId: boris,
        prisoner: "Борис Кагарлицкий",
        amount: 1_200_000,
      },
    ]);
  });
});

describe("the threat model", () => {
  it("no page, CSV or JSON served here names or describes a recipient", async () => {
    // Everything fetched above, plus the site's own pages that link here.
    served.push((await get("/")).text);
    expect(served.length).toBeGreaterThan(20);
    for (const text of served) {
      expect(text).not.toContain(RECIPIENT_NAME);
      expect(text).not.toContain("Recipientova");
      expect(text).not.toContain(RECIPIENT_DETAIL);
    }
    expect(served.at(-1)).toContain('href="/transparency"');
  });
});
