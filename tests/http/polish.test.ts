// A third language end to end: every public page answers in Polish (by
// Accept-Language and through the language switcher), with <html lang="pl">,
// Polish text and no English interface text, and the emails are written in it.
import type { ParsedMail } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { createFestivalRow, createUserRow, signedInAdmin, uniqueEmail } from "../helpers/fixtures";
import { recipients } from "../helpers/smtp";
import { en, type MessageKey } from "~/i18n/en";
import { pl } from "~/i18n/pl";
import { prisma } from "~/utils/db.server";
import { translator } from "~/utils/i18n";
import { seedDemoIfEmpty } from "~/utils/seed.server";

const tpl = translator("pl");
const RIGA = "demo-solidarity-festival-riga";
const WARSAW = "demo-solidarity-festival-warsaw";
const MONTH = new Date().toISOString().slice(0, 7);

let app: TestApp;
let ruFirst: { slug: string };
let orderPath: string;
let orderMail: ParsedMail;

/** The page's visible text: no scripts (the loader data), no tags, entities decoded. */
function visibleText(html: string) {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, " ")
    .replace(/<[^>]+>/g, " ")
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ");
}

/**
 * English interface sentences that leak onto a Polish page: every English
 * message without arguments, long enough not to be a name ("Status"), whose
 * Polish differs, found in the page's text.
 */
const englishOnly = (Object.keys(en) as MessageKey[])
  .filter((k) => !en[k].includes("{") && en[k].length >= 12 && en[k] !== pl[k])
  .map((k) => en[k]);
function englishIn(html: string, content: string[] = []) {
  // Organisers' own texts (a programme's titles have one language) are not the interface.
  const text = content.reduce((t, c) => t.replaceAll(c, " "), visibleText(html));
  return englishOnly.filter((s) => text.includes(s));
}

beforeAll(async () => {
  app = await startTestApp();
  expect(await seedDemoIfEmpty(new Date())).toBe(true);
  // A festival whose own languages put Russian before English, with no Polish description.
  ruFirst = await createFestivalRow({
    name: "Berlin benefit",
    city: "Berlin",
    country: "DE",
    timezone: "Europe/Berlin",
    status: "published",
    publishedAt: new Date(),
    languages: JSON.stringify(["ru", "en"]),
    description: JSON.stringify({ en: "Talks in English.", ru: "Разговоры по-русски." }),
  });
  // An order placed through the festival page's form by a Polish reader.
  const buyer = new Client(app.url, { "Accept-Language": "pl-PL,pl;q=0.9" });
  const festival = await prisma.festival.findUniqueOrThrow({ where: { slug: RIGA } });
  const type = await prisma.ticketType.findFirstOrThrow({
    where: { festivalId: festival.id, payWhatYouWant: false },
  });
  const email = uniqueEmail("polish-buyer");
  const placed = await buyer.postForm(`/festivals/${RIGA}`, {
    [`qty.${type.id}`]: "2",
    email,
    paymentMethod: "door",
  });
  expect(placed.status, placed.text.slice(0, 300)).toBe(302);
  orderPath = placed.location!;
  orderMail = await app.mail.waitFor((m) => recipients(m).includes(email));
});
afterAll(() => app.close());

describe("public pages in Polish", () => {
  const pages = () => [
    { path: "/", says: [tpl("home.upcoming"), tpl("home.past")] },
    {
      path: `/festivals/${RIGA}`,
      says: [tpl("festival.programme"), tpl("shop.title")],
      content: ["Donation tattoos (flash designs)"],
    },
    {
      path: `/festivals/${WARSAW}`,
      says: ["Popołudnie i wieczór rozmów"],
      content: ["Donation tattoos"],
    },
    { path: "/prisoners", says: [tpl("prisoners.title")] },
    { path: "/prisoners/boris-kagarlitsky", says: [tpl("prisoners.story")] },
    { path: "/transparency", says: [tpl("transparency.title"), tpl("transparency.months")] },
    { path: `/transparency/festivals/${RIGA}`, says: [tpl("transparency.toAll")] },
    { path: `/transparency/${MONTH}`, says: [tpl("transparency.previous")] },
    { path: orderPath, says: [tpl("order.tickets"), tpl("order.showAtDoor")] },
    { path: "/login", says: [tpl("login.forgot"), tpl("field.password")] },
    { path: "/forgot-password", says: [tpl("reset.title"), tpl("reset.send")] },
  ];

  it("answer Accept-Language: pl in Polish, with no English interface text", async () => {
    const reader = new Client(app.url, { "Accept-Language": "pl-PL,pl;q=0.9,en;q=0.5" });
    for (const page of pages()) {
      const res = await reader.get(page.path);
      expect(res.status, page.path).toBe(200);
      expect(res.text, page.path).toContain('<html lang="pl"');
      for (const text of [...page.says, tpl("nav.festivals"), tpl("site.footer")])
        expect(visibleText(res.text), page.path).toContain(text);
      expect(englishIn(res.text, page.content), page.path).toEqual([]);
    }
  });

  it("answer in Polish once it is chosen with the language switcher, whatever the browser asks", async () => {
    const reader = new Client(app.url, { "Accept-Language": "en-GB,en;q=0.9" });
    const english = await reader.get("/");
    expect(english.text).toContain('<html lang="en"');
    // The switcher offers Polish, named in Polish.
    expect(english.text).toMatch(/<button[^>]*value="pl"[^>]*lang="pl"[^>]*>Polski<\/button>/);
    const set = await reader.postForm("/set-language", { lang: "pl", redirectTo: "/prisoners" });
    expect(set.status).toBe(302);
    expect(set.location).toBe("/prisoners");
    for (const page of pages()) {
      const res = await reader.get(page.path);
      expect(res.text, page.path).toContain('<html lang="pl"');
      for (const text of page.says) expect(visibleText(res.text), page.path).toContain(text);
    }
    // And back: the switcher on a Polish page offers the other languages, in their own names.
    const polish = await reader.get("/");
    expect(polish.text).toMatch(/value="en"[^>]*lang="en"[^>]*>English</);
    expect(polish.text).toMatch(/value="ru"[^>]*lang="ru"[^>]*>Русский</);
  });

  it("say dates and money in Polish", async () => {
    const res = await new Client(app.url, { "Accept-Language": "pl" }).get(orderPath);
    // 2 × 15 EUR, to pay at the door: Polish money format.
    expect(visibleText(res.text)).toMatch(/30,00\s€/);
  });

  it("show stored texts without Polish in the festival's language, else English, marked with their lang", async () => {
    const reader = new Client(app.url, { "Accept-Language": "pl" });
    const berlin = visibleText((await reader.get(`/festivals/${ruFirst.slug}`)).text);
    expect(berlin).toContain("Разговоры по-русски.");
    expect((await reader.get(`/festivals/${ruFirst.slug}`)).text).toMatch(
      /<p class="prewrap" lang="ru">Разговоры по-русски\.<\/p>/,
    );
    // A story written in English and Russian only: a Polish reader gets English, marked so.
    await prisma.prisoner.create({
      data: {
        slug: "no-polish-yet",
        name: JSON.stringify({ en: "Ivan Example" }),
        story: JSON.stringify({ ru: "История по-русски.", en: "A story in English." }),
      },
    });
    const profile = await reader.get("/prisoners/no-polish-yet");
    expect(profile.text).toMatch(/lang="en"[^>]*>\s*(<p[^>]*>)?A story in English\./);
    // The demo prisoners have Polish profiles: no other language marked.
    const borys = await reader.get("/prisoners/boris-kagarlitsky");
    expect(visibleText(borys.text)).toContain("Borys Kagarlicki to socjolog marksista");
    expect(visibleText(borys.text)).toContain("Kolonia karna nr 4, Torżok");
    expect(borys.text).not.toMatch(/<(p|div|section)[^>]* lang="(en|ru)"/);
    // Polish texts when there are: the Warsaw demo's description, the ticket type's name.
    const warsaw = await reader.get(`/festivals/${WARSAW}`);
    expect(warsaw.text).not.toMatch(/<p class="prewrap" lang=/);
    const riga = visibleText((await reader.get(`/festivals/${RIGA}`)).text);
    expect(riga).toContain("Standardowy (demo)");
  });
});

describe("organisers' forms in every language", () => {
  it("name a ticket type in Polish, and editing it keeps the Polish name", async () => {
    const { browser } = await signedInAdmin(app.url);
    const festival = await prisma.festival.findUniqueOrThrow({ where: { slug: RIGA } });
    const form = await browser.get(`/admin/festivals/${festival.id}/tickets`);
    expect(form.text).toContain('name="name.pl"');
    expect(form.text).toContain('name="description.pl"');
    const added = await browser.postForm(`/admin/festivals/${festival.id}/tickets`, {
      intent: "add-type",
      "name.en": "Night pass",
      "name.pl": "Karnet nocny",
      "description.pl": "Wstęp po 22:00.",
      price: "9",
      capacity: "40",
      maxPerOrder: "4",
      visibility: "public",
    });
    expect(added.status, added.text.slice(0, 300)).toBe(200);
    const type = await prisma.ticketType.findFirstOrThrow({
      where: { festivalId: festival.id, name: { contains: "Karnet nocny" } },
    });
    expect(JSON.parse(type.name)).toEqual({ en: "Night pass", pl: "Karnet nocny" });
    const reader = new Client(app.url, { "Accept-Language": "pl" });
    const page = visibleText((await reader.get(`/festivals/${RIGA}`)).text);
    expect(page).toContain("Karnet nocny");
    expect(page).toContain("Wstęp po 22:00.");
    // The edit form shows the Polish name and saves it back with the others.
    const edit = `/admin/festivals/${festival.id}/tickets/${type.id}`;
    expect((await browser.get(edit)).text).toContain('value="Karnet nocny"');
    const saved = await browser.postForm(edit, {
      "name.en": "Night pass",
      "name.ru": "Ночной билет",
      "name.pl": "Karnet nocny",
      "description.pl": "Wstęp po 22:00.",
      price: "9.00",
      capacity: "40",
      maxPerOrder: "4",
      visibility: "public",
    });
    expect(saved.status, saved.text.slice(0, 300)).toBeLessThan(400);
    const after = await prisma.ticketType.findUniqueOrThrow({ where: { id: type.id } });
    expect(JSON.parse(after.name)).toEqual({
      en: "Night pass",
      ru: "Ночной билет",
      pl: "Karnet nocny",
    });
    expect(JSON.parse(after.description)).toEqual({ pl: "Wstęp po 22:00." });
  });
});

describe("emails in Polish", () => {
  it("sends the order confirmation in the buyer's language", () => {
    expect(orderMail.subject).toBe(
      tpl("email.order.subject", {
        festival: "Solidarity Festival Riga (demo)",
        code: orderMail.subject!.match(/\(([A-Z0-9-]+)\)$/)![1]!,
      }),
    );
    expect(orderMail.html).toContain('lang="pl"');
    expect(orderMail.text).toContain(tpl("email.order.payAtDoor"));
    expect(orderMail.text).toContain(tpl("email.order.link"));
    expect(englishIn(String(orderMail.html))).toEqual([]);
  });

  it("sends the password reset link in the language of the request", async () => {
    const user = await createUserRow();
    const before = new Set(app.mail.messages);
    const res = await new Client(app.url, { "Accept-Language": "pl" }).postForm(
      "/forgot-password",
      { email: user.email },
    );
    expect(res.status).toBe(302);
    const mail = await app.mail.waitFor(
      (m) => !before.has(m) && recipients(m).includes(user.email),
    );
    expect(mail.subject).toBe(tpl("email.reset.subject"));
    expect(mail.html).toContain('lang="pl"');
    expect(mail.text).toContain(tpl("email.reset.ignore"));
    expect(englishIn(String(mail.html))).toEqual([]);
  });
});
