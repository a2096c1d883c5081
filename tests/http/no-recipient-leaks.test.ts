// Recipients are never named or described outside the treasury (issue 11, the
// threat model in DESIGN.md). Through real HTTP on the production build, with
// a real SMTP server and the Stripe fake: a festival sells tickets by card
// (with an earmarked donation), treasurers allocate, create two recipients
// with distinctive names and details, propose, approve and pay payouts to
// them. Then every public page (in every language), report, CSV and JSON, every
// email that arrived, everything the app wrote to the console and every
// request Stripe received is searched: none holds a recipient's name, detail,
// note or payout reference. The public month report does show the payout (by
// category and prisoner), so the search is not looking at empty pages.
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { signedInAdmin } from "../helpers/fixtures";
import { startStripeFake, type StripeFake, stripeTestEnv } from "../helpers/stripe-fake";
import type { MoneyUser } from "../helpers/treasury";

const WEBHOOK_SECRET = "whsec_test_no_recipient_leaks_0123456789abcdef";
const PRISONER = { en: "Publicly Known Prisonerova", ru: "Публично Известная Узникова" };

/** What must never leave the treasury. */
const SECRETS = {
  name1: "Yevdokiya Krasnoselskaya-Mirovich",
  details1: "card 2202 2063 1177 8890, phone +7 903 111 22 33",
  notes1: "the prisoner's sister, calls after 8 pm",
  name2: "Advocate Gennady Zhukoborsky",
  details2: "account 40817810099910004312 at Tinkoff",
  note: "Quokka-parcel note for the visit",
  reference: "REF-ZHUKOBORSKY-0099",
};

function needles(): string[] {
  const out = new Set<string>();
  for (const s of Object.values(SECRETS)) {
    out.add(s);
    for (const w of s.split(/[\s,]+/))
      if (w.length >= 8 && !/^(prisoner's|account)$/i.test(w)) out.add(w);
  }
  out.add("2202206311778890");
  out.add("40817810099910004312");
  return [...out];
}

/** The needles found in `text` (case-insensitive; also URL-encoded and JSON-escaped forms). */
function leaks(text: string): string[] {
  const hay = text.toLowerCase();
  const decoded = (() => {
    try {
      return decodeURIComponent(hay.replace(/\+/g, " "));
    } catch {
      return hay;
    }
  })();
  return needles().filter((n) => {
    const needle = n.toLowerCase();
    return hay.includes(needle) || decoded.includes(needle);
  });
}

let fake: StripeFake;
let app: TestApp;
let client: Client;
let adminToken: string;
let treasurers: MoneyUser[];
let tokens: string[];
/** Everything the app process wrote to the console and to stdout/stderr during the flow. */
const logged: string[] = [];

async function call<T>(
  method: string,
  path: string,
  body: unknown,
  token: string,
  ok = [200, 201],
) {
  const res = await client.api(method, path, body, token);
  if (!ok.includes(res.status)) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
  return res.json<T>();
}

beforeAll(async () => {
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    const original = console[level].bind(console);
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logged.push(
        args
          .map((a) =>
            a instanceof Error
              ? `${a.message}\n${a.stack}`
              : typeof a === "string"
                ? a
                : JSON.stringify(a),
          )
          .join(" "),
      );
      original(...args);
    });
  }
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    vi.spyOn(stream, "write").mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
      logged.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString());
      return write(chunk, ...rest);
    }) as typeof stream.write);
  }
  fake = await startStripeFake();
  app = await startTestApp({
    ...stripeTestEnv(fake, WEBHOOK_SECRET),
    PUBLIC_URL: "http://festival.test",
    PAYOUT_APPROVALS: "1",
  });
  client = new Client(app.url);
  adminToken = (await signedInAdmin(app.url, "Leak Test Admin")).token;
  const treasury = await import("../helpers/treasury");
  treasurers = [
    await treasury.createMoneyUser({ name: "Treasurer Alpha" }),
    await treasury.createMoneyUser({ name: "Treasurer Beta" }),
  ];
  tokens = [];
  for (const t of treasurers) tokens.push(await treasury.moneyTokenDirect(t.id));
});
afterAll(async () => {
  vi.restoreAllMocks();
  await app?.close();
  await fake?.close();
});

describe("recipients stay inside the treasury", () => {
  it("appear on no public page, report, CSV or JSON, in no email, log line or Stripe request", async () => {
    const fixtures = await import("../helpers/fixtures");
    const { prisma } = await import("~/utils/db.server");
    // A published festival taking cards, supporting one prisoner.
    const festival = await call<{ id: string; slug: string }>(
      "POST",
      "/api/v1/festivals",
      fixtures.festivalBody({ name: "Leak Test Festival", paymentMethods: ["stripe", "door"] }),
      adminToken,
    );
    await call("POST", `/api/v1/festivals/${festival.id}/publish`, undefined, adminToken);
    const type = await call<{ id: string }>(
      "POST",
      `/api/v1/festivals/${festival.id}/ticket-types`,
      { name: { en: "Standard", ru: "Стандарт" }, priceMinor: 2500, capacity: 100 },
      adminToken,
    );
    const prisoner = await fixtures.createPrisonerRow("publicly-known", PRISONER, [festival.id]);

    // Two card orders, one with a donation earmarked for the prisoner, paid through Stripe.
    const orderPages: string[] = [];
    for (const donation of [{ amountMinor: 40_000, prisonerId: prisoner.id }, undefined]) {
      const order = await call<{ id: string; orderUrl: string }>(
        "POST",
        `/api/v1/festivals/${festival.id}/orders`,
        {
          items: [{ ticketTypeId: type.id, quantity: 2 }],
          email: `leak-buyer-${donation ? 1 : 2}@example.test`,
          paymentMethod: "stripe",
          ...(donation ? { donation } : {}),
        },
        "",
      );
      orderPages.push(new URL(order.orderUrl).pathname);
      const session = [...fake.sessions.values()].find((s) => s.metadata.order_id === order.id)!;
      const paid = fake.completeSession(session.id);
      const res = await fake.deliverWebhook(
        `${app.url}/webhooks/stripe`,
        fake.event("checkout.session.completed", paid),
        WEBHOOK_SECRET,
      );
      expect(res.status, res.body).toBe(200);
    }

    // The rest allocated: all of it to the prisoner.
    const [ta, tb] = tokens as [string, string];
    await call(
      "PUT",
      `/api/v1/festivals/${festival.id}/allocation`,
      { shares: [{ prisonerId: prisoner.id, percent: 100 }], generalPercent: 0 },
      adminToken,
    );
    await call("POST", `/api/v1/festivals/${festival.id}/allocate`, {}, ta);

    // Two recipients with distinctive names and details.
    const r1 = await call<{ id: string }>(
      "POST",
      "/api/v1/recipients",
      {
        prisonerId: prisoner.id,
        kind: "relative",
        displayName: SECRETS.name1,
        details: SECRETS.details1,
        notes: SECRETS.notes1,
        monthlyCap: { amountMinor: 20_000, currency: "EUR" },
      },
      ta,
    );
    const r2 = await call<{ id: string }>(
      "POST",
      "/api/v1/recipients",
      {
        prisonerId: prisoner.id,
        kind: "lawyer",
        displayName: SECRETS.name2,
        details: SECRETS.details2,
      },
      tb,
    );

    // A refused creation (an unknown kind) logs nothing of what was sent either.
    const refused = await client.api(
      "POST",
      "/api/v1/recipients",
      {
        prisonerId: prisoner.id,
        kind: "cousin",
        displayName: SECRETS.name1,
        details: SECRETS.details1,
      },
      ta,
    );
    expect(refused.status).toBe(422);

    // A payout to each: proposed by one treasurer, approved and marked paid by the other.
    const paidAt = new Date().toISOString();
    for (const [recipient, category, amountMinor] of [
      [r1.id, "family_support", 15_000],
      [r2.id, "lawyer", 12_000],
    ] as const) {
      const p = await call<{ id: string; status: string }>(
        "POST",
        "/api/v1/payouts",
        {
          prisonerId: prisoner.id,
          recipientId: recipient,
          category,
          amountMinor,
          currency: "EUR",
          note: SECRETS.note,
        },
        ta,
      );
      expect(p.status).toBe("proposed");
      await call("POST", `/api/v1/payouts/${p.id}/approve`, {}, tb);
      await call(
        "POST",
        `/api/v1/payouts/${p.id}/paid`,
        { reference: SECRETS.reference, paidAt },
        tb,
      );
    }
    // Over the cap: refused, with the reason (a refusal's message names no one either).
    const over = await client.api(
      "POST",
      "/api/v1/payouts",
      {
        prisonerId: prisoner.id,
        recipientId: r1.id,
        category: "other",
        amountMinor: 6_000,
        currency: "EUR",
      },
      ta,
    );
    expect(over.status).toBe(409);
    expect(leaks(over.text)).toEqual([]);

    // The search finds what is there: the treasury's own list shows the names and details.
    const own = await client.api("GET", "/api/v1/recipients", undefined, ta);
    expect(own.status).toBe(200);
    expect(leaks(own.text)).toEqual(expect.arrayContaining([SECRETS.name1, SECRETS.name2]));

    // Every public page, report, CSV and JSON, in every language, anonymously.
    const month = paidAt.slice(0, 7);
    const pages = [
      "/",
      `/festivals/${festival.slug}`,
      "/prisoners",
      `/prisoners/${prisoner.slug}`,
      "/transparency",
      `/transparency/festivals/${festival.slug}`,
      `/transparency/festivals/${festival.slug}.csv`,
      `/transparency/${month}`,
      `/transparency/${month}.csv`,
      `/api/v1/reports/festivals/${festival.id}`,
      `/api/v1/reports/months/${month}`,
      "/api/v1/prisoners",
      `/api/v1/prisoners/${prisoner.id}`,
      "/api/v1/festivals",
      // The buyers' own pages (the links in their emails).
      ...orderPages,
    ];
    // …and whatever else a visitor may try.
    const paths = [
      ...pages,
      `/api/v1/festivals/${festival.id}`,
      `/api/v1/prisoners/${prisoner.id}/fund`,
      `/tattoo-corner/${festival.id}`,
      "/sitemap.xml",
      "/robots.txt",
    ];
    const anonymous = new Client(app.url);
    const seen: Record<string, number> = {};
    for (const path of paths)
      for (const lang of ["en", "ru"]) {
        const res = await anonymous.get(path, { "Accept-Language": lang });
        seen[`${path} ${lang}`] = res.status;
        expect(leaks(res.text + JSON.stringify([...res.headers])), `${path} (${lang})`).toEqual([]);
      }
    // The public pages and reports exist (a 404 would find nothing): the report shows the payouts.
    for (const path of pages) expect(seen[`${path} en`], path).toBe(200);
    const report = await anonymous.get(`/api/v1/reports/months/${month}`);
    expect(report.text).toContain("family_support");
    expect(report.text).toContain(prisoner.id);

    // Every email that arrived (the workers had their time), in full: headers, text, HTML.
    const { deliverDueEmails } = await import("~/utils/email.server");
    await deliverDueEmails();
    // The app's own outbox worker may hold a row in flight meanwhile: wait for its delivery.
    for (let end = Date.now() + 15_000; app.mail.messages.length < 2 && Date.now() < end;)
      await new Promise((r) => setTimeout(r, 100));
    expect(app.mail.messages.length, "the buyers' emails arrived").toBeGreaterThanOrEqual(2);
    for (const m of app.mail.messages)
      expect(
        leaks([m.subject, m.text, m.html, JSON.stringify([...m.headers])].join("\n")),
        `email "${m.subject}"`,
      ).toEqual([]);
    const outbox = await prisma.outboxEmail.findMany();
    expect(leaks(JSON.stringify(outbox)), "outbox").toEqual([]);

    // Everything logged, and every request Stripe received.
    expect(leaks(logged.join("\n")), "console output").toEqual([]);
    // The app's own log lines go to this test file's log (tests/setup/log-file.ts).
    const appLog = fs.readFileSync(process.env.LOG_FILE!, "utf8");
    expect(appLog, "the app logged the flow's requests").toContain('"msg":"request"');
    expect(leaks(appLog), "app log").toEqual([]);
    expect(fake.requests.length).toBeGreaterThan(0);
    for (const r of fake.requests)
      expect(leaks(JSON.stringify(r)), `Stripe ${r.method} ${r.path}`).toEqual([]);
  });
});
