// Issue 8, items 16 and 17: forms say everything that is wrong at once, next to
// each field (plus a summary at the top linking to the fields), required-ness
// follows the choices made, and money in messages reads like money ("€5.00"),
// never "minor units".
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorNextTo, escapeHtml, renderedErrors } from "../helpers/bad-input";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { doorFestival, signedInAdmin } from "../helpers/fixtures";
import { en } from "~/i18n/en";
import { ru } from "~/i18n/ru";
import { prisma } from "~/utils/db.server";
import { translator } from "~/utils/i18n";
import { formatMoney } from "~/utils/money";

const t = translator("en");
const tru = translator("ru");

let app: TestApp;
let admin: Client;
let festivalId: string;
let slug: string;
let pwywTypeId: string;

beforeAll(async () => {
  app = await startTestApp();
  const { browser, token } = await signedInAdmin(app.url, "Admin");
  admin = browser;
  const f = await doorFestival(new Client(app.url), token);
  festivalId = f.id;
  slug = f.slug;
  const res = await new Client(app.url).api(
    "POST",
    `/api/v1/festivals/${festivalId}/ticket-types`,
    {
      name: { en: "Solidarity", ru: "Солидарность" },
      priceMinor: 500,
      payWhatYouWant: true,
      minPriceMinor: 500,
      suggestedPriceMinor: 1500,
      capacity: 100,
    },
    token,
  );
  expect(res.status).toBe(201);
  pwywTypeId = res.json<{ id: string }>().id;
});
afterAll(() => app.close());

/** Every field named has its own message beside it, all in one answer. */
function expectErrorsBeside(html: string, expected: Record<string, string>) {
  const got = Object.fromEntries(Object.keys(expected).map((k) => [k, errorNextTo(html, k)]));
  expect(got, `rendered: ${renderedErrors(html).join(" | ")}`).toEqual(
    Object.fromEntries(Object.entries(expected).map(([k, v]) => [k, escapeHtml(v)])),
  );
}

describe("item 16: money in messages is money", () => {
  it("no message in either catalog speaks of minor units, kopecks or cents", () => {
    const jargon = /minor units|копейк|cents|центах/i;
    expect(Object.entries(en).filter(([, m]) => jargon.test(m))).toEqual([]);
    expect(Object.entries(ru).filter(([, m]) => jargon.test(m))).toEqual([]);
  });

  it("a price below the minimum names the minimum as an amount, in English and Russian", async () => {
    const form = {
      [`qty.${pwywTypeId}`]: "1",
      [`price.${pwywTypeId}`]: "2",
      email: "buyer@example.test",
      paymentMethod: "door",
    };
    const res = await new Client(app.url).postForm(`/festivals/${slug}`, form);
    expect(res.status).toBe(422);
    expect(errorNextTo(res.text, `price.${pwywTypeId}`)).toBe(
      escapeHtml(t("v.belowMinimum", { amount: formatMoney(500, "EUR", "en") })),
    );
    expect(res.text).toContain("€5.00");
    const ruRes = await new Client(app.url).postForm(`/festivals/${slug}`, form, {
      "Accept-Language": "ru",
    });
    expect(ruRes.status).toBe(422);
    expect(errorNextTo(ruRes.text, `price.${pwywTypeId}`)).toBe(
      escapeHtml(tru("v.belowMinimum", { amount: formatMoney(500, "EUR", "ru") })),
    );
    expect(ruRes.text).not.toMatch(/копейк|центах/);
  });

  it("the API says the same with the amount formatted", async () => {
    const res = await new Client(app.url).api("POST", `/api/v1/festivals/${festivalId}/orders`, {
      items: [{ ticketTypeId: pwywTypeId, quantity: 1, priceMinor: 200 }],
      email: "buyer@example.test",
      paymentMethod: "door",
    });
    expect(res.status).toBe(422);
    expect(res.json<{ fields: Record<string, string> }>().fields["items.0.priceMinor"]).toBe(
      "The price is below the minimum of €5.00.",
    );
  });

  it("an amount too large for a form is refused in plain words", async () => {
    const res = await new Client(app.url).postForm(`/festivals/${slug}`, {
      [`qty.${pwywTypeId}`]: "1",
      donation: "999999999",
      email: "buyer@example.test",
      paymentMethod: "door",
    });
    expect(res.status).toBe(400);
    expect(errorNextTo(res.text, "donation")).toBe(
      escapeHtml(t("v.money", { amount: formatMoney(100_000_000, "EUR", "en") })),
    );
    expect(res.text).not.toMatch(/minor units/);
  });
});

describe("item 17: every invalid field at once", () => {
  it("an empty new festival form flags every required field, start and end included", async () => {
    const res = await admin.postForm("/admin/festivals/new", {
      intent: "save",
      name: "",
      city: "",
      country: "",
      venueName: "",
      venueAddress: "",
      mapUrl: "",
      timezone: "",
      currency: "",
      startsAt: "",
      endsAt: "",
    });
    expect(res.status).toBe(400);
    expectErrorsBeside(res.text, {
      name: t("v.required"),
      city: t("v.required"),
      country: t("v.country"),
      venueName: t("v.required"),
      venueAddress: t("v.required"),
      timezone: t("v.timezone"),
      currency: t("v.currency"),
      startsAt: t("v.dateTime"),
      endsAt: t("v.dateTime"),
    });
    // A summary at the top links to each field (works without JavaScript).
    const summary = /<div[^>]*class="error-summary"[\s\S]*?<\/div>/.exec(res.text)?.[0] ?? "";
    expect(summary).toContain(t("form.errorSummary", { count: 10 }));
    for (const name of ["name", "city", "startsAt", "endsAt"])
      expect(summary).toContain(`href="#field-${name}"`);
    expect(res.text).toContain('id="field-startsAt"');
  });

  it("a festival with good dates but other errors still checks the dates' order", async () => {
    const res = await admin.postForm("/admin/festivals/new", {
      intent: "save",
      name: "",
      city: "Riga",
      country: "LV",
      venueName: "Hall",
      venueAddress: "Street 1",
      timezone: "Europe/Riga",
      currency: "EUR",
      startsAt: "2030-01-26T15:00",
      endsAt: "2030-01-26T14:00",
      languages: "en",
    });
    expect(res.status).toBe(400);
    expectErrorsBeside(res.text, { name: t("v.required"), endsAt: t("v.endBeforeStart") });
  });

  const emptyType = {
    intent: "add-type",
    "name.en": "",
    "name.ru": "",
    "description.en": "",
    "description.ru": "",
    price: "",
    capacity: "",
    maxPerOrder: "",
    minPrice: "",
    suggestedPrice: "",
    quotaId: "",
    salesStartAt: "",
    salesEndAt: "",
    visibility: "hidden",
    accessCode: "",
  };

  it("an empty ticket type flags its name, its capacity and the access code at once", async () => {
    const res = await admin.postForm(`/admin/festivals/${festivalId}/tickets`, emptyType);
    expect(res.status).toBe(400);
    expectErrorsBeside(res.text, {
      "name.en": t("v.required"),
      capacity: t("v.capacity"),
      accessCode: t("v.accessCode"),
    });
  });

  it("an empty quota form flags its name and capacity", async () => {
    const res = await admin.postForm(`/admin/festivals/${festivalId}/tickets`, {
      intent: "add-quota",
      quotaName: "",
      quotaCapacity: "",
    });
    expect(res.status).toBe(400);
    expectErrorsBeside(res.text, {
      quotaName: t("v.required"),
      quotaCapacity: t("v.capacity"),
    });
  });

  it("a bad sales window is flagged together with the field errors", async () => {
    const res = await admin.postForm(`/admin/festivals/${festivalId}/tickets`, {
      ...emptyType,
      visibility: "public",
      "name.en": "Late",
      salesStartAt: "2030-02-30T10:00",
      price: "abc",
    });
    expect(res.status).toBe(400);
    expectErrorsBeside(res.text, {
      capacity: t("v.capacity"),
      salesStartAt: t("v.dateTime"),
      price: t("v.money", { amount: formatMoney(100_000_000, "EUR", "en") }),
    });
  });

  it("a ticket type on a shared capacity needs no capacity of its own", async () => {
    const quota = await prisma.quota.create({
      data: { festivalId, name: "Whole hall", capacity: 80 },
    });
    const res = await admin.postForm(`/admin/festivals/${festivalId}/tickets`, {
      ...emptyType,
      visibility: "public",
      "name.en": "Shared",
      price: "10",
      quotaId: quota.id,
    });
    expect(res.status, renderedErrors(res.text).join(" | ")).toBe(200);
    const row = await prisma.ticketType.findFirstOrThrow({
      where: { festivalId, quotaId: quota.id },
    });
    expect(row.capacity).toBe(1_000_000); // no capacity of its own: the shared one limits it
  });

  it("the minimum and suggested prices are ignored unless the price is pay-what-you-want", async () => {
    const res = await admin.postForm(`/admin/festivals/${festivalId}/tickets`, {
      ...emptyType,
      visibility: "public",
      "name.en": "Fixed",
      price: "10",
      capacity: "10",
      minPrice: "5",
      suggestedPrice: "nonsense",
    });
    expect(res.status, renderedErrors(res.text).join(" | ")).toBe(200);
  });

  it("an empty programme item flags its title and its start", async () => {
    const res = await admin.postForm(`/admin/festivals/${festivalId}/programme`, {
      intent: "add",
      title: "",
      person: "",
      kind: "talk",
      startsAt: "",
      endsAt: "",
    });
    expect(res.status).toBe(400);
    expectErrorsBeside(res.text, { title: t("v.required"), startsAt: t("v.dateTime") });
  });

  it("an empty checkout flags the missing tickets and the email at once, a bad donation too", async () => {
    const res = await new Client(app.url).postForm(`/festivals/${slug}`, {
      donation: "lots",
      email: "",
      paymentMethod: "door",
    });
    expect(res.status).toBe(400);
    expectErrorsBeside(res.text, {
      donation: t("v.money", { amount: formatMoney(100_000_000, "EUR", "en") }),
      email: t("v.email"),
    });
  });

  it("the password form flags an empty current password together with a short new one", async () => {
    const res = await admin.postForm("/account", {
      intent: "password",
      username: "x",
      currentPassword: "",
      password: "short",
    });
    expect(res.status).toBe(400);
    const errors = renderedErrors(res.text);
    expect(errorNextTo(res.text, "currentPassword")).toBe(escapeHtml(t("v.required")));
    expect(errorNextTo(res.text, "password"), errors.join(" | ")).not.toBeNull();
  });
});
