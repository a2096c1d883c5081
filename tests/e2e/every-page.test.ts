// Every page of the app, in a real Chromium on phones 360 and 390 px wide (and a
// laptop), in English and Russian, anonymously and signed in as an admin and as
// an organiser: the document never scrolls sideways (the report names the
// elements that stick out), the browser logs no error, and on the pages
// attendees and door staff use (public pages, checkout, ticket page, scanner),
// and on the admin pages, axe-core finds no serious or critical accessibility
// violation. One browser
// and one tab for the whole file; the width changes without reloading.
//
// The data is what a real festival looks like: long Russian names of prisoners
// and of ticket types, an unbroken long word, many ticket types (a quota, a
// hidden one, pay-what-you-want, sold out, not yet on sale), orders with
// donations, check-ins, door devices, an open invitation.
//
// A page route added to app/routes must be added to PAGES (one line) or to
// NOT_PAGES (with the reason); the first test fails until it is.
import fs from "node:fs";
import path from "node:path";
import AxeBuilder from "@axe-core/playwright";
import sharp from "sharp";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { languageCookie } from "~/utils/session.server";
import { root } from "../../scripts/lib.js";
import {
  addMember,
  buyDoorTicket,
  createFestivalRow,
  createPrisonerRow,
  createUserRow,
  liveResetPath,
  signedInClient,
  uniqueEmail,
} from "../helpers/fixtures";
import { bookSlotDirectly, createArtistRow, createSlotRows } from "../helpers/tattoo";
import { createMoneyUser } from "../helpers/treasury";
import { browserPerFile, PHONE, type BrowserSession, type Problem } from "./browser";
import {
  admissibleTicket,
  doorOrder,
  fakeCameraArgs,
  newDevice,
  startDoorFestival,
  type DoorFestival,
} from "./door-fixtures";

/**
 * Widths in CSS px: a small Android phone, a current iPhone, and a laptop (a hidden
 * element once made a page 1,477 px wide there).
 */
const WIDTHS = [360, 390, 1280] as const;
const LANGUAGES = ["en", "ru", "pl"] as const;
type Lang = (typeof LANGUAGES)[number];
/**
 * Every role in English and Russian; a further language on the public pages only
 * (its words are longer than English's: the widths still hold), to keep the run short.
 */
const ROLES_IN: Record<Lang, readonly Role[]> = {
  en: ["public", "admin", "organiser"],
  ru: ["public", "admin", "organiser"],
  pl: ["public"],
};
/** The scanner and the checkout, in the languages of the door staff and the buyers tested end to end. */
const FLOW_LANGUAGES = ["en", "ru"] as const;
type Role = "public" | "admin" | "organiser";

/** What the pages are shown with (filled in beforeAll). */
type Seed = {
  slug: string;
  festivalId: string;
  hiddenTypeId: string;
  accessCode: string;
  orderId: string;
  orderToken: string;
  inviteToken: string;
  /** A tattoo waitlist offer's and a waitlist place's secrets. */
  offerToken: string;
  leaveToken: string;
  resetPath: string;
  deviceToken: string;
  /** Tickets for the scanner's verdicts: one with its price due at the door, one paid. */
  unpaidQr: string;
  paidQr: string;
  /** A tattoo artist with a long alias, pictures, flash, and a window of free, held and booked slots. */
  artistId: string;
  /** A prisoner with a long name, a full profile, a photo and a letters address marked safe. */
  prisonerId: string;
  prisonerSlug: string;
  /** A payout recipient for that prisoner, with a long name and a monthly cap. */
  recipientId: string;
};

type PageSpec = {
  /** The route module, as named in app/routes (without the extension). */
  route: string;
  path: (s: Seed) => string;
  /** Who opens it ("public": nobody signed in). */
  as: Role[];
  /** Run axe-core on it for everyone (attendees' and door staff's pages); admins' pages always are. */
  axe?: boolean;
  /** The HTTP status the document must have (default 200). */
  status?: number;
  /** A selector to wait for before measuring (content the page fills in after hydration). */
  ready?: string;
  /** Runs before the page is opened. */
  before?: (session: BrowserSession) => Promise<void>;
};

const STAFF: Role[] = ["admin", "organiser"];
const festivalAdmin = (s: Seed) => `/admin/festivals/${s.festivalId}`;
/** The scanner's setup screen: a phone that is not (or no longer) a door device. */
const forgetDoorDevice = async ({ page }: BrowserSession) => {
  await page.evaluate(() => localStorage.clear());
};

// One line per page. Adding a page route to the app means adding it here.
const PAGES: PageSpec[] = [
  { route: "_index", path: () => "/", as: ["public"], axe: true },
  { route: "festivals.$slug", path: (s) => `/festivals/${s.slug}`, as: ["public"], axe: true },
  { route: "festivals.$slug", path: (s) => `/festivals/${s.slug}?code=${s.accessCode}`, as: ["public"], axe: true }, // prettier-ignore
  { route: "orders.$token", path: (s) => `/orders/${s.orderToken}`, as: ["public"], axe: true },
  { route: "login", path: () => "/login", as: ["public"], axe: true },
  { route: "forgot-password", path: () => "/forgot-password", as: ["public"], axe: true },
  { route: "reset-password.$token", path: (s) => s.resetPath, as: ["public"], axe: true },
  { route: "orders.erased", path: () => "/orders/erased?cancelled=1", as: ["public"], axe: true },
  { route: "invite.$token", path: (s) => `/invite/${s.inviteToken}`, as: ["public"], axe: true },
  { route: "tattoo.offers.$token", path: (s) => `/tattoo/offers/${s.offerToken}`, as: ["public"], axe: true }, // prettier-ignore
  { route: "tattoo.waitlist.$token.leave", path: (s) => `/tattoo/waitlist/${s.leaveToken}/leave`, as: ["public"], axe: true }, // prettier-ignore
  { route: "door.setup", path: () => "/door/setup", as: ["public"], axe: true, ready: ".door-setup", before: forgetDoorDevice }, // prettier-ignore
  { route: "door", path: (s) => `/door#device=${s.deviceToken}`, as: ["public"], axe: true, ready: ".door-counters" }, // prettier-ignore
  { route: "$", path: () => "/no/such/page", as: ["public", "admin"], status: 404 },
  { route: "account", path: () => "/account", as: STAFF },
  { route: "admin._index", path: () => "/admin", as: STAFF },
  { route: "admin.festivals.new", path: () => "/admin/festivals/new", as: STAFF },
  { route: "admin.emails", path: () => "/admin/emails?template=order-confirmation&lang=ru", as: STAFF, ready: "iframe.email-frame" }, // prettier-ignore
  { route: "admin.festivals.$id._index", path: festivalAdmin, as: STAFF },
  { route: "admin.festivals.$id.programme", path: (s) => `${festivalAdmin(s)}/programme`, as: STAFF }, // prettier-ignore
  { route: "admin.festivals.$id.clone", path: (s) => `${festivalAdmin(s)}/clone`, as: STAFF },
  { route: "admin.festivals.$id.tickets", path: (s) => `${festivalAdmin(s)}/tickets`, as: STAFF },
  { route: "admin.festivals.$id.tickets_.$typeId", path: (s) => `${festivalAdmin(s)}/tickets/${s.hiddenTypeId}`, as: STAFF }, // prettier-ignore
  { route: "admin.festivals.$id.orders._index", path: (s) => `${festivalAdmin(s)}/orders`, as: STAFF }, // prettier-ignore
  { route: "admin.festivals.$id.orders.$orderId", path: (s) => `${festivalAdmin(s)}/orders/${s.orderId}`, as: STAFF }, // prettier-ignore
  { route: "admin.festivals.$id.door", path: (s) => `${festivalAdmin(s)}/door`, as: STAFF },
  { route: "admin.festivals.$id.poster", path: (s) => `${festivalAdmin(s)}/poster`, as: STAFF },
  { route: "admin.festivals.$id.money", path: (s) => `${festivalAdmin(s)}/money`, as: STAFF },
  { route: "admin.festivals.$id.team", path: (s) => `${festivalAdmin(s)}/team`, as: STAFF },
  { route: "admin.festivals.$id.tattoo", path: (s) => `${festivalAdmin(s)}/tattoo`, as: STAFF },
  { route: "admin.festivals.$id.tattoo_.$artistId", path: (s) => `${festivalAdmin(s)}/tattoo/${s.artistId}`, as: STAFF }, // prettier-ignore
  { route: "admin.festivals.$id.tattoo_.$artistId.availability", path: (s) => `${festivalAdmin(s)}/tattoo/${s.artistId}/availability`, as: STAFF }, // prettier-ignore
  { route: "admin.festivals.$id.tattoo-settings", path: (s) => `${festivalAdmin(s)}/tattoo-settings`, as: STAFF }, // prettier-ignore
  { route: "tattoo-corner.$festivalId", path: (s) => `/tattoo-corner/${s.festivalId}`, as: STAFF, axe: true }, // prettier-ignore
  { route: "admin.users", path: () => "/admin/users", as: ["admin"] },
  { route: "admin.audit", path: () => "/admin/audit", as: ["admin"] },
  { route: "admin.privacy", path: () => "/admin/privacy", as: ["admin"] },
  { route: "account_.security", path: () => "/account/security", as: STAFF },
  { route: "prisoners._index", path: () => "/prisoners", as: ["public"], axe: true },
  { route: "prisoners.$slug", path: (s) => `/prisoners/${s.prisonerSlug}`, as: ["public"], axe: true }, // prettier-ignore
  { route: "admin.prisoners._index", path: () => "/admin/prisoners", as: ["admin"] },
  { route: "admin.prisoners.new", path: () => "/admin/prisoners/new", as: ["admin"] },
  { route: "admin.prisoners.$id", path: (s) => `/admin/prisoners/${s.prisonerId}`, as: ["admin"] },
  // --- reports: the public transparency reports (the seed's orders are this month's)
  { route: "transparency._index", path: () => "/transparency", as: ["public"], axe: true },
  { route: "transparency.festivals.$slug", path: (s) => `/transparency/festivals/${s.slug}`, as: ["public"], axe: true }, // prettier-ignore
  { route: "transparency.$month", path: () => `/transparency/${new Date().toISOString().slice(0, 7)}`, as: ["public"], axe: true }, // prettier-ignore
  { route: "admin.festivals.$id.costs", path: (s) => `${festivalAdmin(s)}/costs`, as: STAFF, before: () => seedCosts(seed.festivalId) }, // prettier-ignore
  // The treasury (the admin proved a second factor; organisers have no access).
  { route: "admin.festivals.$id.allocation", path: (s) => `${festivalAdmin(s)}/allocation`, as: STAFF }, // prettier-ignore
  // The dashboard (issue 13): one festival's figures and charts; every festival's totals (admins).
  { route: "admin.festivals.$id.dashboard", path: (s) => `${festivalAdmin(s)}/dashboard`, as: STAFF }, // prettier-ignore
  { route: "admin.overview", path: () => "/admin/overview", as: ["admin"] },
  { route: "admin.treasury._index", path: () => "/admin/treasury", as: ["admin"] },
  { route: "admin.treasury.recipients._index", path: () => "/admin/treasury/recipients", as: ["admin"] }, // prettier-ignore
  { route: "admin.treasury.recipients.$id", path: (s) => `/admin/treasury/recipients/${s.recipientId}`, as: ["admin"] }, // prettier-ignore
  { route: "admin.treasury.payouts", path: () => "/admin/treasury/payouts", as: ["admin"] },
  { route: "admin.treasury.plan", path: (s) => `/admin/treasury/plan?prisonerId=${s.prisonerId}&recipientId=${s.recipientId}`, as: ["admin"], ready: ".timeline li" }, // prettier-ignore
  { route: "admin.treasury.transfers", path: () => "/admin/treasury/transfers", as: ["admin"] },
  { route: "admin.treasury.exchanges", path: () => "/admin/treasury/exchanges", as: ["admin"] },
];

/** Costs in every status, with long Russian descriptions (made once; the page lists them). */
async function seedCosts(festivalId: string) {
  const rows = [
    { status: "submitted", description: `Аренда большого зала культурного центра на два дня с техническим персоналом ${LONG_WORD}`, receipt: true },
    { status: "approved", description: "Печать плакатов, листовок и открыток для писем политзаключённым", receipt: false },
    { status: "paid", description: "Билеты на поезд Варшава — Рига для двух спикеров", receipt: true },
    { status: "rejected", description: "Такси", receipt: false },
  ]; // prettier-ignore
  for (const [i, r] of rows.entries())
    await prisma.festivalCost.upsert({
      where: { id: `every-page-cost-${i}` },
      update: {},
      create: {
        id: `every-page-cost-${i}`,
        festivalId,
        category: ["venue", "printing", "travel", "other"][i]!,
        description: r.description,
        amountMinor: 123_456 * (i + 1),
        currency: "EUR",
        status: r.status,
        ...(r.receipt ? { receiptFile: `everypagereceipt000000${i}.pdf`, receiptType: "application/pdf", receiptBytes: 2048 } : {}), // prettier-ignore
        ...(r.status === "paid" ? { paidAt: new Date(), reference: "SEPA 2030-01-27 RF18 5390 0754 7034" } : {}), // prettier-ignore
        ...(r.status === "rejected" ? { decisionNote: "Нет чека и не относится к фестивалю" } : {}),
      },
    });
}

/** Route modules with a component that are not pages of their own. */
const NOT_PAGES: Record<string, string> = {
  admin: "the admin layout: every admin page above renders inside it",
  "admin.festivals.$id": "one festival's admin layout: its pages above render inside it",
  "admin.treasury": "the treasury's layout: its pages above render inside it",
  "dev.mail": "development only (404 in tests and in production)",
  "orders.$token.tattoo.$itemId":
    "the order page's tattoo cancel/move forms post here; it renders only a refused change, inside orders.$token",
};

let door: DoorFestival;
let seed: Seed;
/** Session cookies of the signed-in roles. */
const sessions = new Map<Role, { name: string; value: string }[]>();

// Names as long as real ones get: the earmark select, tables and cards must still fit a phone.
const PRISONERS = [
  {
    en: "Ksenia Aleksandrovna Lutskina-Streltsova, journalist and human-rights defender",
    ru: "Ксения Александровна Луцкина-Стрельцова, журналистка и правозащитница",
  },
  { en: "Maria Kalesnikava", ru: "Мария Александровна Колесникова" },
  { en: "Ihar Losik", ru: "Игорь Лосик" },
  {
    en: "Aliaksandr Kanstantsinavich Vasilevich-Lukashevich",
    ru: "Александр Константинович Василевич-Лукашевич",
  },
];
const LONG_WORD = "Суперпривилегированныйвсеобъемлющийабонементнавсемероприятия";
const ACCESS_CODE = "VOLUNTEERS-2030";

async function api<T = { id: string }>(method: string, pathname: string, body?: unknown) {
  const res = await door.client.api(method, pathname, body, door.organiserToken);
  if (res.status >= 300) throw new Error(`${method} ${pathname}: ${res.status} ${res.text}`);
  return res.json<T>();
}

async function seedFestival(): Promise<Seed> {
  const f = door.festivalId;
  await api("PATCH", `/api/v1/festivals/${f}`, {
    venueName: "Культурный центр «Кaņepes» — большой зал на втором этаже",
    venueAddress: "Skolas iela 15, Centra rajons, Rīga, LV-1010",
    description: {
      en: `Talks about political prisoners, letter writing, music and donation tattoos. ${LONG_WORD}`,
      ru: `Разговоры о политзаключённых, письма в тюрьмы, музыка и татуировки за донат. ${LONG_WORD}`,
    },
  });
  const quota = await api("POST", `/api/v1/festivals/${f}/quotas`, {
    name: "Главный зал (вместимость по договору аренды)",
    capacity: 300,
  });
  const type = (body: Record<string, unknown>) =>
    api("POST", `/api/v1/festivals/${f}/ticket-types`, {
      priceMinor: 1000,
      capacity: 200,
      ...body,
    });
  const pwyw = await type({
    name: {
      en: "Solidarity ticket (pay what you can, for the legal defence fund)",
      ru: "Билет солидарности (платите сколько можете — в фонд юридической защиты)",
    },
    description: { ru: "Минимум 5 €, рекомендуем 25 €. Все деньги идут адвокатам." },
    payWhatYouWant: true,
    priceMinor: 500,
    minPriceMinor: 500,
    suggestedPriceMinor: 2500,
  });
  await type({
    name: {
      en: "Day pass: every talk and discussion",
      ru: "Дневной абонемент на все лекции и дискуссии",
    },
    quotaId: quota.id,
  });
  await type({ name: { en: "Evening concert", ru: "Вечерний концерт" }, quotaId: quota.id });
  await type({ name: { en: LONG_WORD, ru: LONG_WORD }, priceMinor: 12_345_600 });
  await type({
    name: { en: "Concession", ru: "Льготный (студенты, пенсионеры, безработные)" },
    salesStartAt: "2029-12-01T10:00",
  });
  const soldOut = await type({ name: { en: "Early bird", ru: "Ранняя пташка" }, capacity: 1 });
  const hidden = await type({
    name: { en: "Crew and volunteers", ru: "Волонтёры и команда фестиваля" },
    visibility: "hidden",
    accessCode: ACCESS_CODE,
    priceMinor: 0,
  });

  const prisoners = [];
  for (const [i, name] of PRISONERS.entries())
    prisoners.push(await createPrisonerRow(`every-page-prisoner-${i}`, name, [f]));
  // The first one with a full profile: long texts, a photo, a letters address marked safe.
  await prisma.prisoner.update({
    where: { id: prisoners[0]!.id },
    data: {
      summary: JSON.stringify({ en: `Journalist. ${LONG_WORD}`, ru: `Журналистка. ${LONG_WORD}` }),
      story: JSON.stringify({
        en: `Arrested for her reporting.\n\n${LONG_WORD}`,
        ru: `Арестована за свои репортажи.\n\n${LONG_WORD}`,
      }),
      heldAt: JSON.stringify({
        en: "Pre-trial detention centre No. 1 “Matrosskaya Tishina”, Moscow",
        ru: "Следственный изолятор № 1 «Матросская тишина», Москва",
      }),
      sentence: JSON.stringify({
        en: "Eight and a half years in a general-regime penal colony",
        ru: "Восемь с половиной лет колонии общего режима",
      }),
      status: "sentenced",
      lettersAddress: `ФКУ СИЗО-1, ул. Матросская Тишина, 18, Москва, 107076\n${LONG_WORD}`,
      lettersSafe: true,
    },
  });
  const { setPrisonerPhoto } = await import("~/models/prisoner.server");
  await setPrisonerPhoto(
    { id: "every-page-fixtures", email: "fixtures@example.test", name: null, role: "admin", locale: null, memberships: [] }, // prettier-ignore
    prisoners[0]!.id,
    await sharp({ create: { width: 600, height: 800, channels: 3, background: "#445566" } })
      .jpeg()
      .toBuffer(),
  );

  await prisma.programmeItem.createMany({
    data: [
      [
        "talk",
        "Письма политзаключённым: как писать, чтобы письмо дошло",
        "Наталья Белоусова-Ковальчук",
      ],
      ["music", "Концерт солидарности", "Группа «Свободу политзаключённым»"],
      ["tattoo", LONG_WORD, null],
    ].map(([kind, title, person], i) => ({
      festivalId: f,
      kind: kind!,
      title: title!,
      person,
      startsAt: new Date(Date.UTC(2030, 0, 26, 14 + i)),
      endsAt: new Date(Date.UTC(2030, 0, 26, 15 + i)),
    })),
  });

  // Orders: long names and addresses, several lines and an earmarked donation, a hidden type.
  const buyers = [
    "Александра Константиновна Воробьёва-Соколовская",
    "Maximilian Alexander von Hohenzollern-Sigmaringen",
    "Ёлка",
  ];
  for (const name of buyers) await doorOrder(door, { email: uniqueEmail("every-page"), name });
  const unpaid = await doorOrder(door, {
    email: uniqueEmail("unpaid"),
    name: "Константин Неоплативший-Вход",
    paid: false,
  });
  const paid = await admissibleTicket(door, uniqueEmail("paid"));
  await buyDoorTicket(door.client, f, soldOut.id, { email: uniqueEmail("early") });
  const admitted = await admissibleTicket(door, uniqueEmail("admitted"));
  const big = await door.client.api("POST", `/api/v1/festivals/${f}/orders`, {
    items: [
      { ticketTypeId: door.typeId, quantity: 2 },
      { ticketTypeId: pwyw.id, quantity: 1, priceMinor: 4200 },
      { ticketTypeId: hidden.id, quantity: 1 },
    ],
    email: "aleksandra.konstantinovna.vorobyova-sokolovskaya.solidarity@example.test",
    name: "Константин Константинопольский-Преображенский",
    paymentMethod: "door",
    donation: { amountMinor: 5000, prisonerId: prisoners[0]!.id },
    accessCode: ACCESS_CODE,
  });
  if (big.status !== 201) throw new Error(`order refused: ${big.status} ${big.text}`);
  const order = big.json<{ id: string }>();
  const { accessToken } = await prisma.order.findUniqueOrThrow({ where: { id: order.id } });

  // The door: devices with long names, check-ins.
  const device = await newDevice(door, "Вход со двора (телефон Александры)");
  await newDevice(door, "Главный вход — второй телефон");
  const scan = await door.client.api(
    "POST",
    "/api/v1/door/scans",
    { token: admitted.qrToken, nonce: "every-page-scan-1" },
    device.token,
  );
  if (scan.status !== 200) throw new Error(`scan refused: ${scan.status} ${scan.text}`);

  // An invitation still open, read from its email.
  const invited = uniqueEmail("invited");
  await api("POST", `/api/v1/festivals/${f}/members`, { email: invited, role: "door" });
  const mail = await door.app.mail.waitFor((m) => (m.text ?? "").includes("/invite/"));
  const inviteToken = /\/invite\/([A-Za-z0-9_-]+)/.exec(mail.text ?? "")![1]!;

  // More festivals on the dashboard and the public list.
  await createFestivalRow({
    name: "Черновик: фестиваль солидарности с политзаключёнными Беларуси в Вильнюсе",
    city: "Vilnius",
    country: "LT",
  });
  await createFestivalRow({
    name: `Отменён: ${LONG_WORD}`,
    city: "Tbilisi",
    country: "GE",
    status: "cancelled",
    publishedAt: new Date(),
  });

  // The tattoo corner: an artist with a long alias, a bio, pictures and flash (one without a picture).
  const artist = await api("POST", `/api/v1/festivals/${f}/artists`, {
    name: "Мастер Александра «Тонкая линия» Воробьёва-Соколовская",
    bio: { en: `Fine line and dotwork. ${LONG_WORD}`, ru: `Тонкие линии и дотворк. ${LONG_WORD}` },
    contact: "Signal: +371 2000 0000 (после 18:00)",
    prisonerId: prisoners[1]!.id,
  });
  const picture = await sharp({
    create: { width: 900, height: 1200, channels: 3, background: "#663344" },
  })
    .jpeg()
    .toBuffer();
  const upload = async (pathname: string, fields: Record<string, string> = {}) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append("image", new Blob([new Uint8Array(picture)], { type: "image/jpeg" }), "work.jpg");
    const res = await door.client.request("POST", pathname, {
      body: form,
      headers: { Authorization: `Bearer ${door.organiserToken}` },
    });
    if (res.status !== 201) throw new Error(`${pathname}: ${res.status} ${res.text}`);
  };
  await upload(`/api/v1/artists/${artist.id}/images`);
  await upload(`/api/v1/artists/${artist.id}/images`);
  await upload(`/api/v1/artists/${artist.id}/flash`, {
    title: "Ласточка с письмом политзаключённому (парная татуировка)",
    size: "7 × 5 см, предплечье",
    minDonationMinor: "3000",
    maxUses: "3",
  });
  await api("POST", `/api/v1/artists/${artist.id}/flash`, {
    title: LONG_WORD,
    minDonationMinor: 12_345_600,
  });
  const artistId = artist.id;
  // A window with a break, one slot booked and one held.
  const window = await api<{ slots: { id: string }[] }>(
    "POST",
    `/api/v1/artists/${artistId}/availability`,
    {
      startsAt: "2030-01-26T12:00",
      endsAt: "2030-01-26T20:00",
      slotMinutes: 45,
      bufferMinutes: 15,
      breaks: [{ startsAt: "2030-01-26T15:00", endsAt: "2030-01-26T15:30" }],
      minDonationMinor: 12_345_600,
      minNoticeMinutes: 90,
    },
  );
  await bookSlotDirectly(window.slots[0]!.id, { email: uniqueEmail("tattoo") });
  await bookSlotDirectly(window.slots[1]!.id, { status: "held" });
  // The tattoo corner's board: a second artist with an unbroken long name, one of their
  // slots booked by someone with a long name, free ones.
  const { startsAt } = await prisma.festival.findUniqueOrThrow({ where: { id: f } });
  const second = await createArtistRow(f, { name: LONG_WORD });
  const [tattooSlot] = await createSlotRows(
    f,
    second.id,
    new Date(startsAt.getTime() + 3_600_000),
    3,
  );
  const tattoo = await door.client.api("POST", `/api/v1/festivals/${f}/orders`, {
    email: uniqueEmail("tattoo"),
    name: "Константин Константинопольский-Преображенский",
    paymentMethod: "door",
    items: [{ kind: "tattoo_slot", tattooSlotId: tattooSlot!.id, donationMinor: 2500 }],
  });
  if (tattoo.status !== 201)
    throw new Error(`tattoo order refused: ${tattoo.status} ${tattoo.text}`);

  // The tattoo waitlist (branch waitlist): a place in line with an offer held for it.
  const { offerToken, leaveToken } = await seedWaitlistOffer(f);

  const festival = await prisma.festival.findUniqueOrThrow({ where: { id: f } });
  const recipientId = await seedTreasury(f, prisoners[0]!.id);
  return {
    recipientId,
    artistId,
    prisonerId: prisoners[0]!.id,
    prisonerSlug: prisoners[0]!.slug,
    offerToken,
    leaveToken,
    slug: festival.slug,
    festivalId: f,
    hiddenTypeId: hidden.id,
    accessCode: ACCESS_CODE,
    orderId: order.id,
    orderToken: accessToken,
    inviteToken,
    resetPath: await liveResetPath(
      (await createUserRow({ name: "Забывшая пароль Александра Константиновна" })).id,
    ),
    deviceToken: device.token,
    unpaidQr: unpaid.qrToken,
    paidQr: paid.qrToken,
  };
}

/**
 * The treasury's rows, with long names (as app/models/recipients.server.ts and
 * payouts.server.ts write them): money in the prisoner's fund, a capped
 * recipient and a proposed payout.
 */
async function seedTreasury(festivalId: string, prisonerId: string) {
  const { encrypt } = await import("~/utils/encryption.server");
  const { fundPrisoner } = await import("../helpers/funds");
  // 45,000 ₽ in the fund: the planner shows a timeline of monthly tranches.
  await fundPrisoner({ festivalId, prisonerId, amountMinor: 4_500_000, currency: "RUB" });
  const proposer = await createUserRow({
    role: "treasurer",
    name: "Татьяна Владимировна Казначеева-Доверенная",
  });
  const id = "every-page-recipient";
  const sealed = {
    displayName: "Адвокатское бюро «Константинопольский и партнёры» — защита по делу",
    details: `Счёт 40817810099910004312, БИК 044525225, ${LONG_WORD}`,
    notes: "Звонить после 18:00 по московскому времени",
  };
  await prisma.recipient.create({
    data: {
      id,
      prisonerId,
      kind: "lawyer",
      sealed: encrypt(JSON.stringify(sealed), `recipient:${id}`),
      capMinor: 1_000_000,
      capCurrency: "RUB",
      timezone: "Europe/Moscow",
      createdById: proposer.id,
    },
  });
  await prisma.payout.create({
    data: {
      id: "every-page-payout",
      prisonerId,
      recipientId: id,
      category: "parcels_letters",
      amountMinor: 750_000,
      currency: "RUB",
      month: new Date().toISOString().slice(0, 7),
      status: "proposed",
      proposedById: proposer.id,
    },
  });
  return id;
}

/** A waitlist place and an open offer of a slot for it, with long names (raw rows, as the app writes them). */
async function seedWaitlistOffer(festivalId: string) {
  const tattoo = await import("../helpers/tattoo");
  const { leaveTokenHash } = await import("~/models/tattoo-waitlist.server");
  const { offerTokenHash } = await import("~/models/item-kinds/tattoo-slot.server");
  const { sqlClient, sqlDate } = await import("~/utils/db.server");
  const artist = await tattoo.createArtistRow(festivalId, {
    name: "Александра «Игла» Воробьёва-Соколовская",
  });
  await tattoo.createFlashRow(festivalId, artist.id, { title: LONG_WORD, maxUses: null });
  const slot = await tattoo.createSlotRow(
    festivalId,
    artist.id,
    new Date(Date.UTC(2030, 0, 26, 15)),
  );
  const offerToken = "every-page-offer-token-0123456789";
  const leaveToken = "every-page-leave-token-0123456789";
  const at = sqlDate(new Date());
  await sqlClient().batch(
    [
      {
        sql: `INSERT INTO TattooWaitlist (id, festivalId, artistId, day, email, emailKey, locale, status, leaveTokenHash, createdAt, updatedAt)
              VALUES ('every-page-wait', ?, ?, '2030-01-26', ?, 'every-page-key', 'ru', 'offered', ?, ?, ?)`,
        args: [festivalId, artist.id, uniqueEmail("waiting"), leaveTokenHash(leaveToken), at, at],
      },
      { sql: "UPDATE TattooSlot SET reserved = 1 WHERE id = ?", args: [slot.id] },
      {
        sql: `INSERT INTO TattooOffer (id, festivalId, waitlistId, slotId, tokenHash, status, expiresAt, createdAt, updatedAt)
              VALUES ('every-page-offer', ?, 'every-page-wait', ?, ?, 'open', ?, ?, ?)`,
        args: [
          festivalId,
          slot.id,
          offerTokenHash(offerToken),
          sqlDate(new Date(Date.UTC(2030, 0, 26, 14))),
          at,
          at,
        ],
      },
    ],
    "write",
  );
  return { offerToken, leaveToken };
}

beforeAll(async () => {
  door = await startDoorFestival("Фестиваль солидарности с политзаключёнными — Рига");
  seed = await seedFestival();
  // An admin with a second factor (the treasury's pages need it proved; see below).
  const admin = await createMoneyUser({
    role: "admin",
    name: "Александра Константиновна Воробьёва-Соколовская",
  });
  const organiser = await createUserRow({
    email: uniqueEmail("konstantin.konstantinopolsky.organiser"),
    name: "Константин Константинопольский",
  });
  await addMember(seed.festivalId, organiser.id, "organiser");
  for (const [role, user] of [
    ["admin", admin],
    ["organiser", organiser],
  ] as const) {
    const client = await signedInClient(door.app.url, user.email);
    sessions.set(
      role,
      [...client.cookies].map(([name, value]) => ({ name, value })),
    );
  }
  // The admin's session proved the second factor (the code step is tested in payout-flow).
  await prisma.session.updateMany({
    where: { userId: admin.id },
    data: { secondFactorAt: new Date() },
  });
});
afterAll(() => door?.app.close());

// One browser for the whole file; a fake camera (Chromium's test pattern) for the scanner.
const browser = browserPerFile(() => door.app.url, {
  viewport: PHONE,
  extraArgs: fakeCameraArgs(),
});

/** Sign in as `role` (or out) and choose `lang`, by setting the browser's cookies. */
async function become(session: BrowserSession, role: Role, lang: Lang) {
  const url = session.baseUrl;
  const langValue = (await languageCookie.serialize(lang)).split(";")[0]!.split("=")[1]!;
  await session.context.clearCookies();
  await session.context.addCookies([
    { name: "lang", value: langValue, url },
    ...(sessions.get(role) ?? []).map((c) => ({ ...c, url })),
  ]);
}

/**
 * Why the document is wider than `width`, or null: the innermost elements that
 * reach past the right edge (not clipped by a scrolling ancestor), and boxes whose
 * text runs out of them.
 */
function overflowAt(page: Page, width: number) {
  return page.evaluate((width) => {
    const doc = document.documentElement;
    if (doc.scrollWidth <= width) return null;
    const name = (el: Element) => {
      const parts: string[] = [];
      for (
        let e: Element | null = el;
        e && e !== document.body && parts.length < 6;
        e = e.parentElement
      ) {
        const cls = [...e.classList]
          .slice(0, 2)
          .map((c) => `.${c}`)
          .join("");
        parts.unshift(`${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ""}${cls}`);
      }
      return parts.join(" > ");
    };
    const clipped = (el: Element) => {
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement)
        if (getComputedStyle(a).overflowX !== "visible") return true;
      return false;
    };
    const all = [...document.body.querySelectorAll("*")].filter((el) => !clipped(el));
    const sticking = all.filter((el) => el.getBoundingClientRect().right > width + 0.5);
    const innermost = sticking.filter((el) => !sticking.some((o) => o !== el && el.contains(o)));
    const spilling = all.filter((el) => {
      const r = el.getBoundingClientRect();
      return (
        getComputedStyle(el).overflowX === "visible" &&
        el.scrollWidth > el.clientWidth + 1 &&
        r.left + el.scrollWidth > width + 0.5 &&
        ![...el.children].some((c) => sticking.includes(c))
      );
    });
    const culprits = [
      ...innermost.map(
        (el) =>
          `${name(el)} reaches ${Math.round(el.getBoundingClientRect().right)} px` +
          ` ("${(el.textContent ?? "").trim().slice(0, 40)}")`,
      ),
      ...spilling.map(
        (el) =>
          `${name(el)}: its content is ${el.scrollWidth} px wide in ${el.clientWidth} px` +
          ` ("${(el.textContent ?? "").trim().slice(0, 40)}")`,
      ),
    ];
    return { scrollWidth: doc.scrollWidth, culprits: [...new Set(culprits)].slice(0, 6) };
  }, width);
}

/**
 * Serious and critical axe-core violations on the current page, one line each.
 * Legacy mode runs axe inside the page instead of opening a blank page to collect
 * the results: half the time, and the app has no frames that would need the other.
 */
async function axeViolations(page: Page) {
  const results = await new AxeBuilder({ page }).setLegacyMode(true).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map(
      (v) =>
        `axe ${v.impact} ${v.id} (${v.help}): ${v.nodes
          .slice(0, 4)
          .map((n) => n.target.join(" "))
          .join(", ")}`,
    );
}

/** What is wrong with the page as it is now: sideways scrolling at each width, and axe-core's findings. */
async function inspect(page: Page, options: { axe?: boolean } = {}) {
  const failures: string[] = [];
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: PHONE.height });
    const overflow = await overflowAt(page, width);
    if (overflow)
      failures.push(
        `${width} px: the document is ${overflow.scrollWidth} px wide: ${overflow.culprits.join("; ")}`,
      );
  }
  if (options.axe) failures.push(...(await axeViolations(page)));
  return failures;
}

/** The only console error a 404 page may log: the browser's note about the document's status. */
const documentStatusNote = (p: Problem, pathname: string) =>
  p.kind === "console" &&
  /status of 404/.test(p.text) &&
  (p.url ?? "").includes(pathname.split("#")[0]!);

/** Open one page and check it; returns what is wrong with it (empty when nothing). */
async function checkPage(session: BrowserSession, spec: PageSpec, role: Role, lang: Lang) {
  const { page, problems } = session;
  const pathname = spec.path(seed);
  const failures: string[] = [];
  const seen = problems.length;
  await spec.before?.(session);
  // From the same path, only the fragment would change (no new document).
  if (pathname.includes("#")) await page.goto("about:blank");
  const response = await page.goto(pathname);
  await session.hydrated();
  if (spec.ready)
    await page
      .locator(spec.ready)
      .first()
      .waitFor()
      .catch(() => failures.push(`never shows ${spec.ready}`));
  const status = response?.status() ?? 0;
  if (status !== (spec.status ?? 200)) failures.push(`answered ${status}`);
  if (spec.status === undefined && (await page.locator(".error-page").count()) > 0)
    failures.push("shows the error page");
  const htmlLang = await page.locator("html").getAttribute("lang");
  if (htmlLang !== lang) failures.push(`<html lang="${htmlLang}">`);
  // Admin pages too, once (as the admin; the organiser sees the same markup).
  failures.push(...(await inspect(page, { axe: spec.axe || role === "admin" })));
  failures.push(
    ...problems
      .slice(seen)
      .filter((p) => !(spec.status === 404 && documentStatusNote(p, pathname)))
      .map((p) => `${p.kind}: ${p.text.split("\n")[0]}`),
  );
  return failures.map((f) => `${spec.route} ${pathname} (${lang}): ${f}`);
}

/** Route modules in app/routes that render a component (resource routes have none). */
function pageRouteModules() {
  const dir = path.join(root, "app", "routes");
  return fs
    .readdirSync(dir)
    .filter((file) => /\.(tsx|ts|jsx|js)$/.test(file))
    .filter((file) => /^export default /m.test(fs.readFileSync(path.join(dir, file), "utf8")))
    .map((file) => file.replace(/\.(tsx|ts|jsx|js)$/, ""))
    .sort();
}

describe("every page on a phone", () => {
  it("lists every page route of app/routes (a new page gets a line in PAGES)", () => {
    const listed = new Set([...PAGES.map((p) => p.route), ...Object.keys(NOT_PAGES)]);
    expect(pageRouteModules().filter((route) => !listed.has(route))).toEqual([]);
    const known = new Set(pageRouteModules());
    expect(
      [...listed].filter((route) => !known.has(route)),
      "listed but not a page route",
    ).toEqual([]);
  });

  for (const lang of LANGUAGES) {
    for (const role of ROLES_IN[lang]) {
      const specs = PAGES.filter((p) => p.as.includes(role));
      const what = role !== "organiser" ? ", no serious axe-core violation" : "";
      it(`${role === "public" ? "anonymous" : role} (${lang}): ${specs.length} pages at ${WIDTHS.join(" and ")} px, no sideways scrolling, no console errors${what}`, async () => {
        const session = browser();
        await become(session, role, lang);
        const failures: string[] = [];
        for (const spec of specs) failures.push(...(await checkPage(session, spec, role, lang)));
        expect(failures, failures.join("\n")).toEqual([]);
        // About 3 s a page (three widths, axe-core), and the admin sees some 40 pages.
      }, 240_000);
    }
  }
});

describe("checkout on a phone", () => {
  for (const lang of FLOW_LANGUAGES) {
    it(`(${lang}) the order form, its error messages and the order page: no serious axe-core violation, no sideways scrolling`, async () => {
      const session = browser();
      const { page, problems } = session;
      const seen = problems.length;
      await become(session, "public", lang);
      await session.open(`/festivals/${seed.slug}`);
      const form = page.locator("form").filter({ has: page.locator('select[name^="qty."]') });
      const failures: string[] = [];
      const check = async (state: string) =>
        failures.push(...(await inspect(page, { axe: true })).map((f) => `${state}: ${f}`));

      // Submitted empty: the errors are shown next to the form. The browser notes the
      // answer's 400 in the console; that is the only console error allowed here.
      await form.locator('button[type="submit"]').last().click();
      await expect.poll(() => page.locator(".form-error, .field-error").count()).toBeGreaterThan(0);
      await check("the form with its errors");
      const refused = problems
        .splice(seen)
        .filter((p) => !(p.kind === "console" && /status of 400/.test(p.text)));
      expect(refused).toEqual([]);

      // A real order: one ticket, a donation for a prisoner, an email.
      await form.locator('select[name^="qty."]').first().selectOption("1");
      await form.locator('input[name="donation"]').fill("5");
      await form.locator('select[name="prisonerId"]').selectOption({ index: 1 });
      await form.locator('input[name="email"]').fill(uniqueEmail(`checkout-${lang}`));
      await form.locator('button[type="submit"]').last().click();
      await page.waitForURL((u) => u.pathname.startsWith("/orders/"));
      await session.hydrated();
      await page.locator("img.qr").first().waitFor();
      await check("the order page after ordering");

      expect(failures, failures.join("\n")).toEqual([]);
      expect(problems.slice(seen)).toEqual([]);
    });
  }
});

describe("the door scanner on a phone", () => {
  for (const lang of FLOW_LANGUAGES) {
    it(`(${lang}) its verdict screens and the name search: no serious axe-core violation, no sideways scrolling`, async () => {
      const session = browser();
      const { page, problems } = session;
      const seen = problems.length;
      await become(session, "public", lang);
      await page.goto("about:blank");
      await session.open(`/door#device=${seed.deviceToken}`);
      await page.locator(".door-counters").waitFor();
      const failures: string[] = [];
      const check = async (state: string) =>
        failures.push(...(await inspect(page, { axe: true })).map((f) => `${state}: ${f}`));

      // Codes typed in by hand: price due at the door, a paid ticket (admitted, or
      // already admitted the second time), not a ticket at all.
      for (const code of [seed.unpaidQr, seed.paidQr, "T1.not-a-ticket"]) {
        await page.locator("#door-code").fill(code);
        await page.locator(".door-manual button[type=submit]").click();
        const verdict = page.locator(".door-verdict");
        await verdict.waitFor();
        await check(`the verdict "${await verdict.getAttribute("data-result")}"`);
        await page.locator(".door-dismiss").click();
        await verdict.waitFor({ state: "detached" });
      }

      // A buyer found by name.
      await page.locator(".door-search-open").click();
      await page.locator("#door-search").fill("Константин");
      await page.locator(".door-search button[type=submit]").click();
      await page.locator(".door-found li").first().waitFor();
      await check("the search results");

      expect(failures, failures.join("\n")).toEqual([]);
      expect(problems.slice(seen)).toEqual([]);
    });
  }
});
