// The treasury pages over HTTP, as a browser without JavaScript: who may open
// them (organisers and door staff are refused, a money role without a proved
// second factor is sent to prove it), recipient details only to treasurers and
// never stored (no-store), and every form's bad input answered with a 4xx and
// its message beside the field, with nothing written.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { entryStatements } from "~/models/ledger.server";
import { prisma, sqlClient } from "~/utils/db.server";
import { Client, startTestApp, type HttpResponse, type TestApp } from "../helpers/app";
import { IMG, MB, SCRIPT } from "../helpers/bad-input";
import {
  addMember,
  createFestivalRow,
  createPrisonerRow,
  createUserRow,
  signedInClient,
} from "../helpers/fixtures";
import { fundHeld, fundPrisoner } from "../helpers/funds";
import { createMoneyUser, type MoneyUser } from "../helpers/treasury";

let app: TestApp;
let festivalId: string;
let otherFestivalId: string;
let prisonerId: string;
let recipientId: string;
let anna: MoneyUser;
let boris: MoneyUser;
const clients = {} as Record<
  "anna" | "boris" | "organiser" | "otherOrganiser" | "door" | "bareTreasurer" | "bareAdmin",
  Client
>;

const RECIPIENT_NAME = "Olga Sekretnaya-Poluchatelnitsa";
const RECIPIENT_DETAILS = "Card 2202 2002 0000 1111, phone +7 900 000-00-00";

/** Sign in through the login form; a money role's session then proves its second factor. */
async function moneyClient(user: MoneyUser) {
  const client = await signedInClient(app.url, user.email);
  // The code step itself is tested in tests/http/two-factor.test.ts and the e2e payout flow.
  await prisma.session.updateMany({
    where: { userId: user.id },
    data: { secondFactorAt: new Date() },
  });
  return client;
}

const TREASURY_PAGES = () => [
  "/admin/treasury",
  "/admin/treasury/recipients",
  `/admin/treasury/recipients/${recipientId}`,
  "/admin/treasury/payouts",
  "/admin/treasury/plan",
  "/admin/treasury/transfers",
  "/admin/treasury/exchanges",
];

/** Where a page's forms post (the overview is an index route: `?index`). */
const action = (path: string) => (path === "/admin/treasury" ? "/admin/treasury?index" : path);

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  const festival = await createFestivalRow({ name: "Treasury pages festival" });
  const other = await createFestivalRow({ name: "Someone else's festival" });
  festivalId = festival.id;
  otherFestivalId = other.id;
  const prisoner = await createPrisonerRow(
    `treasury-pages-${Date.now().toString(36)}`,
    {
      en: "Maria Kalesnikava",
      ru: "Мария Колесникова",
    },
    [festivalId],
  );
  prisonerId = prisoner.id;
  anna = await createMoneyUser({ name: "Anna Treasurer" });
  boris = await createMoneyUser({ name: "Boris Treasurer" });
  const organiser = await createUserRow();
  const otherOrganiser = await createUserRow();
  const door = await createUserRow();
  await addMember(festivalId, organiser.id, "organiser");
  await addMember(otherFestivalId, otherOrganiser.id, "organiser");
  await addMember(festivalId, door.id, "door");
  const bareTreasurer = await createUserRow({ role: "treasurer" });
  const bareAdmin = await createUserRow({ role: "admin" });
  clients.anna = await moneyClient(anna);
  clients.boris = await moneyClient(boris);
  clients.organiser = await signedInClient(app.url, organiser.email);
  clients.otherOrganiser = await signedInClient(app.url, otherOrganiser.email);
  clients.door = await signedInClient(app.url, door.email);
  clients.bareTreasurer = await signedInClient(app.url, bareTreasurer.email);
  clients.bareAdmin = await signedInClient(app.url, bareAdmin.email);
  // A recipient, through the page.
  const created = await clients.anna.postForm("/admin/treasury/recipients", {
    prisonerId,
    kind: "relative",
    displayName: RECIPIENT_NAME,
    details: RECIPIENT_DETAILS,
    capAmount: "10000",
    capCurrency: "RUB",
    timezone: "Europe/Moscow",
  });
  expect(created.status, created.text.slice(0, 500)).toBe(200);
  recipientId = (
    await prisma.recipient.findFirstOrThrow({
      where: { prisonerId },
      orderBy: { createdAt: "desc" },
    })
  ).id;
});
afterAll(() => app?.close());

/** Nothing of the recipient in an answer. */
function expectNoRecipient(res: HttpResponse, where: string) {
  for (const secret of [RECIPIENT_NAME, "Sekretnaya", RECIPIENT_DETAILS, "2202 2002"])
    expect(res.text, `${where} shows "${secret}"`).not.toContain(secret);
}

describe("who may open the treasury", () => {
  it("organisers and door staff get 403 on every treasury page, GET and POST, and see no recipient", async () => {
    for (const who of ["organiser", "door", "otherOrganiser"] as const)
      for (const path of TREASURY_PAGES()) {
        const res = await clients[who].get(path);
        expect(res.status, `${who} GET ${path}`).toBe(403);
        expectNoRecipient(res, `${who} GET ${path}`);
        const post = await clients[who].postForm(action(path), {
          intent: "approve",
          payoutId: "x",
        });
        expect(post.status, `${who} POST ${path}`).toBe(403);
      }
  });

  it("a visitor is sent to sign in", async () => {
    for (const path of TREASURY_PAGES()) {
      const res = await new Client(app.url).get(path);
      expect(res.status, path).toBe(302);
      expect(res.location, path).toMatch(/^\/login\?/);
    }
  });

  it("a treasurer or an admin without a proved second factor is sent to /account/security, and back", async () => {
    for (const who of ["bareTreasurer", "bareAdmin"] as const)
      for (const path of TREASURY_PAGES()) {
        const res = await clients[who].get(path);
        expect(res.status, `${who} ${path}`).toBe(302);
        const location = new URL(res.location!, app.url);
        expect(location.pathname).toBe("/account/security");
        expect(location.searchParams.get("redirectTo")).toBe(path);
        expectNoRecipient(res, `${who} ${path}`);
        const post = await clients[who].postForm(action(path), {
          intent: "approve",
          payoutId: "x",
        });
        expect(post.status, `${who} POST ${path}`).toBe(302);
      }
  });

  it("the nav shows Treasury to money roles only", async () => {
    expect((await clients.anna.get("/admin")).text).toContain('href="/admin/treasury"');
    expect((await clients.bareTreasurer.get("/admin")).text).toContain('href="/admin/treasury"');
    expect((await clients.organiser.get("/admin")).text).not.toContain('href="/admin/treasury"');
  });

  it("a treasurer with the second factor opens every page; recipient pages are never stored", async () => {
    for (const path of TREASURY_PAGES()) {
      const res = await clients.anna.get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("cache-control"), path).toBe("no-store");
    }
    const detail = await clients.boris.get(`/admin/treasury/recipients/${recipientId}`);
    expect(detail.text).toContain(RECIPIENT_NAME);
    expect(detail.text).toContain(RECIPIENT_DETAILS);
    // Stored encrypted: the row holds neither the name nor the details.
    const row = await prisma.recipient.findUniqueOrThrow({ where: { id: recipientId } });
    expect(row.sealed).not.toContain("Sekretnaya");
    expect(row.sealed).not.toContain("2202");
    // An unknown recipient: 404, not an error page of another kind.
    expect((await clients.anna.get("/admin/treasury/recipients/c000000000000000nope")).status).toBe(
      404,
    );
  });

  it("the allocation page: the festival's organisers and treasurers; door staff 403, other organisers 404", async () => {
    const path = `/admin/festivals/${festivalId}/allocation`;
    expect((await clients.organiser.get(path)).status).toBe(200);
    expect((await clients.bareTreasurer.get(path)).status).toBe(200);
    expect((await clients.anna.get(path)).status).toBe(200);
    expect((await clients.door.get(path)).status).toBe(403);
    expect((await clients.otherOrganiser.get(path)).status).toBe(404);
    const before = await prisma.allocationRule.count();
    const refused = await clients.door.postForm(path, { mode: "equal", generalPercent: "10" });
    expect(refused.status).toBe(403);
    expect(await prisma.allocationRule.count()).toBe(before);
    // The tab shows on the festival's pages for them.
    expect((await clients.organiser.get(`/admin/festivals/${festivalId}`)).text).toContain(
      `href="${path}"`,
    );
  });
});

/** A 4xx page whose text holds `message`, with nothing of the hostile input as markup. */
function expectRefused(res: HttpResponse, message: string | RegExp, status?: number) {
  if (status) expect(res.status, res.text.slice(0, 300)).toBe(status);
  else {
    expect(res.status, res.text.slice(0, 300)).toBeGreaterThanOrEqual(400);
    expect(res.status, res.text.slice(0, 300)).toBeLessThan(500);
  }
  if (typeof message === "string") expect(res.text).toContain(message);
  else expect(res.text).toMatch(message);
  expect(res.text).not.toContain(SCRIPT);
  expect(res.text).not.toContain(IMG);
}

describe("bad input on the treasury's forms", () => {
  const recipientForm = (over: Record<string, string>) => ({
    prisonerId,
    kind: "lawyer",
    displayName: "Advokat Nadezhny",
    details: "Account 123",
    timezone: "Europe/Moscow",
    ...over,
  });

  it("recipients: missing, unknown, unreadable and oversized values are refused beside their fields, nothing written", async () => {
    const before = await prisma.recipient.count();
    const cases: [Record<string, string>, string | RegExp][] = [
      [{ displayName: "" }, /field-error/],
      [{ details: "" }, /field-error/],
      [{ kind: "cousin" }, /field-error/],
      [{ prisonerId: "no-such-prisoner" }, /field-error|form-error/],
      [{ capAmount: "ten thousand", capCurrency: "RUB" }, "Enter an amount"],
      [{ capAmount: "-5", capCurrency: "RUB" }, /field-error/],
      [{ capAmount: "100", capCurrency: "XYZ" }, /field-error/],
      [{ timezone: "Mars/Olympus" }, /field-error/],
      [{ displayName: "x".repeat(10_000) }, /field-error/],
      [{ details: MB }, /field-error|form-error|too large/i],
    ];
    for (const [over, message] of cases) {
      const res = await clients.anna.postForm("/admin/treasury/recipients", recipientForm(over));
      expectRefused(res, message);
    }
    expect(await prisma.recipient.count()).toBe(before);
  });

  it("recipients: hostile text is stored as text and shown escaped", async () => {
    const res = await clients.anna.postForm(
      "/admin/treasury/recipients",
      recipientForm({ displayName: `Hostile ${SCRIPT}`, details: IMG }),
    );
    expect(res.status).toBe(200);
    const list = await clients.anna.get("/admin/treasury/recipients");
    expect(list.text).not.toContain(SCRIPT);
    expect(list.text).toContain("Hostile &lt;script&gt;");
  });

  it("payouts: bad amounts, unknown recipient or category, over the fund are refused; nothing written", async () => {
    const before = await prisma.payout.count();
    const propose = (over: Record<string, string>) =>
      clients.anna.postForm("/admin/treasury/payouts", {
        intent: "propose",
        prisonerId,
        recipientId,
        category: "family_support",
        amount: "50",
        currency: "RUB",
        ...over,
      });
    expectRefused(await propose({ amount: "" }), /field-error/);
    expectRefused(await propose({ amount: "fifty" }), "Enter an amount");
    expectRefused(await propose({ amount: "-50" }), /field-error/);
    expectRefused(await propose({ amount: "99999999999999" }), /field-error/);
    expectRefused(await propose({ category: "bribe" }), /field-error/);
    expectRefused(await propose({ recipientId: "no-such-recipient" }), /field-error|form-error/);
    expectRefused(await propose({ currency: "EUR" }), /field-error|form-error/); // the cap is in RUB
    // The fund is empty: refused with what is available.
    expectRefused(await propose({}), /Not enough money|available/, 409);
    expect(await prisma.payout.count()).toBe(before);
  });

  it("payouts: an unknown payout, an unknown action, and a cancel without its confirmation are refused", async () => {
    expect(
      (
        await clients.anna.postForm("/admin/treasury/payouts", {
          intent: "approve",
          payoutId: "nope",
        })
      ).status,
    ).toBe(404);
    expect(
      (await clients.anna.postForm("/admin/treasury/payouts", { intent: "launder", payoutId: "x" }))
        .status,
    ).toBe(400);
    expect(
      (await clients.anna.postForm("/admin/treasury/payouts", { intent: "cancel", payoutId: "x" }))
        .status,
    ).toBe(400);
  });

  it("allocation: percentages that do not add up to 100, or are not whole numbers, are refused; nothing written", async () => {
    const path = `/admin/festivals/${festivalId}/allocation`;
    const before = await prisma.allocationRule.count();
    expectRefused(
      await clients.organiser.postForm(path, {
        mode: "shares",
        generalPercent: "10",
        [`percent.${prisonerId}`]: "50",
      }),
      "add up to exactly 100",
    );
    expectRefused(
      await clients.organiser.postForm(path, {
        mode: "shares",
        generalPercent: "ten",
        [`percent.${prisonerId}`]: "90",
      }),
      /field-error/,
    );
    expectRefused(
      await clients.organiser.postForm(path, { mode: "equal", generalPercent: "101" }),
      /field-error/,
    );
    expect(await prisma.allocationRule.count()).toBe(before);
    const ok = await clients.organiser.postForm(path, {
      mode: "shares",
      generalPercent: "20",
      [`percent.${prisonerId}`]: "80",
    });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain("Saved as version");
    expect(await prisma.allocationRule.count()).toBe(before + 1);
  });

  it("exchanges and transfers: bad rates, dates, same currency or fund are refused; nothing written", async () => {
    const exchanges = await prisma.fundExchange.count();
    const exchange = (over: Record<string, string>) =>
      clients.anna.postForm("/admin/treasury/exchanges", {
        fund: prisonerId,
        fromAmount: "10",
        fromCurrency: "EUR",
        toCurrency: "RUB",
        rate: "95.25",
        ratedOn: "2026-11-30",
        ...over,
      });
    expectRefused(await exchange({ rate: "lots" }), /field-error/);
    expectRefused(await exchange({ rate: "-1" }), /field-error/);
    expectRefused(await exchange({ toCurrency: "EUR" }), /field-error|form-error/);
    expectRefused(await exchange({ ratedOn: "yesterday" }), /field-error/);
    expectRefused(await exchange({ fromAmount: "" }), /field-error/);
    expect(await prisma.fundExchange.count()).toBe(exchanges);

    const transfers = await prisma.fundTransfer.count();
    const transfer = (over: Record<string, string>) =>
      clients.anna.postForm("/admin/treasury/transfers", {
        intent: "propose",
        from: prisonerId,
        to: "general",
        amount: "10",
        currency: "EUR",
        reason: "Released",
        ...over,
      });
    expectRefused(await transfer({ to: prisonerId }), /field-error|form-error/);
    expectRefused(await transfer({ amount: "0" }), /field-error/);
    expectRefused(await transfer({ reason: "" }), /field-error/);
    expect(await prisma.fundTransfer.count()).toBe(transfers);
  });

  it("the planner: unknown ids in the query are refused politely; accepting needs its confirmation", async () => {
    const res = await clients.anna.get(
      `/admin/treasury/plan?prisonerId=nope&recipientId=${encodeURIComponent(SCRIPT)}`,
    );
    expect(res.status).toBeLessThan(500);
    expect(res.text).not.toContain(SCRIPT);
    const accept = await clients.anna.postForm("/admin/treasury/plan", {
      intent: "accept",
      prisonerId,
      recipientId,
      category: "family_support",
    });
    expect(accept.status).toBe(400);
  });
});

describe("the forms do the work without JavaScript", () => {
  const expectNotice = (res: HttpResponse, text: string) => {
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    expect(res.text).toContain(text);
  };

  it("the planner drains 45,000 ₽ under a 10,000 ₽ cap in five tranches; accepting proposes them", async () => {
    await fundPrisoner({ festivalId, prisonerId, amountMinor: 4_500_000, currency: "RUB" });
    const plan = await clients.anna.get(
      `/admin/treasury/plan?prisonerId=${prisonerId}&recipientId=${recipientId}`,
    );
    expect(plan.status).toBe(200);
    expect(plan.text).toContain("5 tranches");
    expect(plan.text.match(/data-testid="tranche-/g)).toHaveLength(5);
    const tranches = [...plan.text.matchAll(/name="plan" value="([^"]+)"/g)][0]![1]!;
    expect(tranches.split(",").map((x) => x.split(":")[1])).toEqual([
      "1000000",
      "1000000",
      "1000000",
      "1000000",
      "500000",
    ]);
    // The plan the page showed, accepted: five proposals, one a month.
    const accepted = await clients.anna.postForm("/admin/treasury/plan", {
      intent: "accept",
      confirm: "yes",
      prisonerId,
      recipientId,
      category: "family_support",
      plan: tranches,
    });
    expectNotice(accepted, "5 payouts proposed.");
    const proposed = await prisma.payout.findMany({
      where: { recipientId, status: "proposed" },
      orderBy: { month: "asc" },
    });
    expect(proposed.map((p) => p.amountMinor)).toEqual([
      1_000_000, 1_000_000, 1_000_000, 1_000_000, 500_000,
    ]);
    expect(new Set(proposed.map((p) => p.planId)).size).toBe(1);
    // The same plan again: it changed (the cap months are used up now), nothing written.
    const again = await clients.anna.postForm("/admin/treasury/plan", {
      intent: "accept",
      confirm: "yes",
      prisonerId,
      recipientId,
      category: "family_support",
      plan: tranches,
    });
    expect(again.status).toBeGreaterThanOrEqual(400);
    expect(await prisma.payout.count({ where: { recipientId } })).toBe(5);
  });

  it("approve (never one's own), mark paid, reject with a reason, cancel: each by its form", async () => {
    const [first, second, third] = await prisma.payout.findMany({
      where: { recipientId, status: "proposed" },
      orderBy: { month: "asc" },
    });
    // Anna proposed them: her approve button is disabled, and a forged post is refused.
    const page = await clients.anna.get("/admin/treasury/payouts");
    const card = page.text.slice(page.text.indexOf(`id="payout-${first!.id}"`));
    expect(card.slice(0, card.indexOf("</li>"))).toMatch(/<button type="button" disabled=""/);
    expect(card.slice(0, card.indexOf("</li>"))).toContain("another treasurer must approve it");
    const self = await clients.anna.postForm("/admin/treasury/payouts", {
      intent: "approve",
      payoutId: first!.id,
    });
    expect(self.status).toBe(403);
    expect(self.text).toContain("You proposed this");
    // Boris approves, and pays.
    expectNotice(
      await clients.boris.postForm("/admin/treasury/payouts", {
        intent: "approve",
        payoutId: first!.id,
      }),
      "Approved.",
    );
    const approved = await clients.boris.get("/admin/treasury/payouts");
    expect(approved.text).toContain("Approvals: 1 of 1");
    expect(approved.text).toContain("Approved by Boris Treasurer");
    expectRefused(
      await clients.boris.postForm("/admin/treasury/payouts", {
        intent: "paid",
        payoutId: first!.id,
        reference: "",
        paidAt: new Date().toISOString().slice(0, 10),
      }),
      /field-error/,
      400,
    );
    expectNotice(
      await clients.boris.postForm("/admin/treasury/payouts", {
        intent: "paid",
        payoutId: first!.id,
        reference: "BANK-REF-1",
        paidAt: new Date().toISOString().slice(0, 10),
      }),
      "Marked paid.",
    );
    expect((await prisma.payout.findUniqueOrThrow({ where: { id: first!.id } })).status).toBe(
      "paid",
    );
    expect(await fundHeld(prisonerId, "RUB")).toBe(3_500_000);
    // Paying twice: refused, with the page's word for it.
    const twice = await clients.boris.postForm("/admin/treasury/payouts", {
      intent: "paid",
      payoutId: first!.id,
      reference: "BANK-REF-2",
      paidAt: new Date().toISOString().slice(0, 10),
    });
    expect(twice.status).toBe(409);
    expect(twice.text).toContain("This was changed meanwhile");
    // A rejection needs its reason; a cancellation does not.
    expectRefused(
      await clients.boris.postForm("/admin/treasury/payouts", {
        intent: "reject",
        confirm: "yes",
        payoutId: second!.id,
      }),
      /form-error" role="alert">This field is required/,
      400,
    );
    expectNotice(
      await clients.boris.postForm("/admin/treasury/payouts", {
        intent: "reject",
        confirm: "yes",
        payoutId: second!.id,
        reason: "Wrong month",
      }),
      "Rejected.",
    );
    expectNotice(
      await clients.anna.postForm("/admin/treasury/payouts", {
        intent: "cancel",
        confirm: "yes",
        payoutId: third!.id,
      }),
      "Cancelled.",
    );
    const statuses = await prisma.payout.findMany({
      where: { id: { in: [second!.id, third!.id] } },
      orderBy: { month: "asc" },
    });
    expect(statuses.map((p) => p.status)).toEqual(["rejected", "cancelled"]);
    // Boris's overview no longer lists what he decided; the two proposals left wait for him.
    const overview = await clients.boris.get("/admin/treasury");
    expect(overview.text.match(/href="\/admin\/treasury\/payouts#payout-/g)).toHaveLength(2);
    expect((await clients.anna.get("/admin/treasury")).text).toContain(
      "Nothing waits for your approval.",
    );
  });

  it("allocating a festival's money, moving it between funds, exchanging it", async () => {
    // €100 not earmarked: waiting to be allocated (the rule in force: 80 % Maria, 20 % general).
    await sqlClient().batch(
      entryStatements({
        id: `test-ticket:${Date.now()}`,
        festivalId,
        kind: "payment",
        memo: "test: ticket",
        at: new Date(),
        postings: [
          { account: { festivalId, currency: "EUR", code: "stripe_balance" }, amountMinor: 10_000 },
          {
            account: { festivalId, currency: "EUR", code: "income", category: "ticket" },
            amountMinor: -10_000,
          },
        ],
      }),
      "write",
    );
    const overview = await clients.anna.get("/admin/treasury");
    expect(overview.text).toContain(`data-testid="unallocated-${festivalId}"`);
    expectRefused(
      await clients.anna.postForm("/admin/treasury?index", { intent: "allocate", festivalId }),
      "confirm",
      400,
    );
    const allocated = await clients.anna.postForm("/admin/treasury?index", {
      intent: "allocate",
      festivalId,
      confirm: "yes",
    });
    expectNotice(allocated, "Allocated:");
    expect(allocated.text).toContain("Maria Kalesnikava €80.00");
    expect(allocated.text).toContain("General fund €20.00");
    expect(await fundHeld(prisonerId, "EUR")).toBe(8_000);

    // €20 from the general fund to Maria's: proposed by Anna, approved by Boris.
    expectNotice(
      await clients.anna.postForm("/admin/treasury/transfers", {
        intent: "propose",
        from: "general",
        to: prisonerId,
        amount: "20",
        currency: "EUR",
        reason: "Her lawyer's bill came early",
      }),
      "Proposed.",
    );
    const transfer = await prisma.fundTransfer.findFirstOrThrow({ where: { status: "proposed" } });
    const own = await clients.anna.postForm("/admin/treasury/transfers", {
      intent: "approve",
      transferId: transfer.id,
    });
    expect(own.status).toBe(403);
    expectNotice(
      await clients.boris.postForm("/admin/treasury/transfers", {
        intent: "approve",
        transferId: transfer.id,
      }),
      "the money has moved",
    );
    expect(await fundHeld(prisonerId, "EUR")).toBe(10_000);

    // €50 of Maria's fund in roubles at 95.25.
    const exchanged = await clients.anna.postForm("/admin/treasury/exchanges", {
      fund: prisonerId,
      fromAmount: "50",
      fromCurrency: "EUR",
      toCurrency: "RUB",
      rate: "95,25",
      ratedOn: new Date().toISOString().slice(0, 10),
    });
    expectNotice(exchanged, "became");
    expect(await fundHeld(prisonerId, "EUR")).toBe(5_000);
    expect(await fundHeld(prisonerId, "RUB")).toBe(3_500_000 + 476_250);
    // Over what the fund has: refused with what is available.
    expectRefused(
      await clients.anna.postForm("/admin/treasury/exchanges", {
        fund: prisonerId,
        fromAmount: "500",
        fromCurrency: "EUR",
        toCurrency: "RUB",
        rate: "95.25",
        ratedOn: new Date().toISOString().slice(0, 10),
      }),
      "Not enough money",
      409,
    );
  });
});
