// Issue 3, hostile input: checkout (POST /api/v1/festivals/:id/orders) and the
// organiser's ticket-type and quota API, fed wrong, huge, fractional, wrong-typed
// and malicious values. Every rejection is a 4xx JSON error with a message (the
// field's message for 422) and leaves the database exactly as it was: no Order,
// OrderItem, Ticket or OutboxEmail row, not one place reserved.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { translator } from "~/utils/i18n";
import { formatMoney } from "~/utils/money";
import { Client, sendRaw, startTestApp, type TestApp } from "../helpers/app";
import {
  expectApiError,
  expectEscaped,
  IMG,
  LONE_SURROGATE,
  MB,
  NUL,
  RTL,
  SCRIPT,
  snapshot,
  unchanged,
} from "../helpers/bad-input";
import {
  apiToken,
  createFestivalRow,
  createUserRow,
  festivalBody,
  signedInClient,
} from "../helpers/fixtures";
import { recipients } from "../helpers/smtp";

const t = translator("en");
const msg = {
  quantity: t("v.quantity"),
  amount: t("v.amount"),
  totalTooLarge: t("v.totalTooLarge", { amount: formatMoney(100_000_000, "EUR", "en") }),
  capacity: t("v.capacity"),
  items: t("v.items"),
  belowMinimum: (n: number) => t("v.belowMinimum", { amount: formatMoney(n, "EUR", "en") }),
  fixedPrice: t("v.fixedPrice"),
  unknownType: t("v.unknownTicketType"),
  salesClosed: t("v.salesClosed"),
  maxPerOrder: (n: number) => t("v.maxPerOrderExceeded", { n }),
  duplicate: t("v.duplicateItem"),
  tooMany: t("v.tooManyTickets", { n: 50 }),
  empty: t("v.emptyOrder"),
  unknownPrisoner: t("v.unknownPrisoner"),
  unavailable: t("v.paymentMethodUnavailable"),
  freeOrder: t("v.freeOrder"),
  notFree: t("v.notFree"),
  paymentMethod: t("v.paymentMethod"),
  unknownField: t("v.unknownField"),
  email: t("v.email"),
  control: t("v.controlChars"),
  max: (n: number) => t("v.maxLength", { n }),
  text: t("v.text"),
  required: t("v.required"),
  accessCode: t("v.accessCode"),
  maxPerOrderField: t("v.maxPerOrder"),
  visibility: t("v.visibility"),
  boolean: t("v.boolean"),
  dateTime: t("v.dateTime"),
  endBeforeStart: t("v.endBeforeStart"),
  unknownQuota: t("v.unknownQuota"),
  suggestedBelowMin: t("v.suggestedBelowMin"),
  onlyPayWhatYouWant: t("v.onlyPayWhatYouWant"),
  invalidType: t("v.invalidType"),
};

const HUGE = 1e15;
const UNSAFE = Number.MAX_SAFE_INTEGER + 1;
const ACCESS_CODE = "SECRET-1";

/** Everything the cases refer to, made in beforeAll. */
type Ids = {
  festival: string; // published; door, free and stripe (Stripe not configured)
  other: string; // another published festival
  draft: string;
  unpublished: string; // published once, back to draft
  cancelled: string;
  ended: string;
  quota: string;
  otherQuota: string;
  fixed: string; // 1500, maxPerOrder 5, in the quota
  pwyw: string; // pay what you want: min 500, suggested 2000
  hidden: string; // hidden, access code SECRET-1
  notYetOpen: string;
  closed: string;
  free: string; // price 0
  big: string; // maxPerOrder 50
  otherType: string; // on the other festival
  otherHidden: string; // hidden on the other festival, same access code
  draftType: string;
  unpublishedType: string;
  cancelledType: string;
  endedType: string;
  prisoner: string; // supported by the festival
  foreignPrisoner: string; // exists, supported only by the other festival
};

let app: TestApp;
let client: Client;
let token: string;
let adminEmail: string;
const ids = {} as Ids;

async function post<T = { id: string }>(path: string, body: unknown): Promise<T> {
  const res = await client.api("POST", path, body, token);
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`${path}: ${res.status} ${res.text}`);
  return res.json<T>();
}

async function publishedFestival(paymentMethods: string[]) {
  const { id } = await post("/api/v1/festivals", festivalBody({ paymentMethods }));
  await post(`/api/v1/festivals/${id}/publish`, undefined);
  return id;
}

/** A ticket type row made directly (for festivals the API would not sell on anyway). */
async function typeRow(festivalId: string) {
  return (
    await prisma.ticketType.create({
      data: { festivalId, name: JSON.stringify({ "*": "Entry" }), priceMinor: 1000, capacity: 10 },
    })
  ).id;
}

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  client = new Client(app.url);
  const admin = await createUserRow({ role: "admin", name: "Admin" });
  adminEmail = admin.email;
  token = await apiToken(app.url, admin.email);

  ids.festival = await publishedFestival(["door", "free", "stripe"]);
  ids.other = await publishedFestival(["door"]);
  const f = `/api/v1/festivals/${ids.festival}`;
  ids.quota = (await post(`${f}/quotas`, { name: "Venue", capacity: 100 })).id;
  ids.otherQuota = (
    await post(`/api/v1/festivals/${ids.other}/quotas`, { name: "Other venue", capacity: 100 })
  ).id;
  ids.fixed = (
    await post(`${f}/ticket-types`, {
      name: { en: "Standard", ru: "Стандарт" },
      priceMinor: 1500,
      capacity: 50,
      quotaId: ids.quota,
      maxPerOrder: 5,
    })
  ).id;
  ids.pwyw = (
    await post(`${f}/ticket-types`, {
      name: "Solidarity",
      priceMinor: 1000,
      payWhatYouWant: true,
      minPriceMinor: 500,
      suggestedPriceMinor: 2000,
      capacity: 50,
      quotaId: ids.quota,
    })
  ).id;
  ids.hidden = (
    await post(`${f}/ticket-types`, {
      name: "Crew",
      priceMinor: 500,
      capacity: 10,
      visibility: "hidden",
      accessCode: ACCESS_CODE,
    })
  ).id;
  ids.notYetOpen = (
    await post(`${f}/ticket-types`, {
      name: "Late",
      priceMinor: 1500,
      capacity: 10,
      salesStartAt: "2099-01-01T10:00",
    })
  ).id;
  ids.closed = (
    await post(`${f}/ticket-types`, {
      name: "Early bird",
      priceMinor: 800,
      capacity: 10,
      salesStartAt: "2020-01-01T10:00",
      salesEndAt: "2020-02-01T10:00",
    })
  ).id;
  ids.free = (
    await post(`${f}/ticket-types`, { name: "Guest list", priceMinor: 0, capacity: 10 })
  ).id;
  ids.big = (
    await post(`${f}/ticket-types`, {
      name: "Group",
      priceMinor: 100,
      capacity: 500,
      maxPerOrder: 50,
    })
  ).id;
  ids.otherType = (
    await post(`/api/v1/festivals/${ids.other}/ticket-types`, {
      name: "Other",
      priceMinor: 1500,
      capacity: 10,
    })
  ).id;
  ids.otherHidden = (
    await post(`/api/v1/festivals/${ids.other}/ticket-types`, {
      name: "Other crew",
      priceMinor: 500,
      capacity: 10,
      visibility: "hidden",
      accessCode: ACCESS_CODE,
    })
  ).id;

  const draft = await createFestivalRow({ paymentMethods: JSON.stringify(["door"]) });
  ids.draft = draft.id;
  ids.draftType = await typeRow(draft.id);
  const unpublished = await createFestivalRow({
    paymentMethods: JSON.stringify(["door"]),
    status: "draft",
    publishedAt: new Date(Date.now() - 86_400_000),
  });
  ids.unpublished = unpublished.id;
  ids.unpublishedType = await typeRow(unpublished.id);
  const cancelled = await createFestivalRow({
    paymentMethods: JSON.stringify(["door"]),
    status: "cancelled",
    publishedAt: new Date(Date.now() - 86_400_000),
    cancelledAt: new Date(),
  });
  ids.cancelled = cancelled.id;
  ids.cancelledType = await typeRow(cancelled.id);
  const ended = await createFestivalRow({
    paymentMethods: JSON.stringify(["door"]),
    status: "published",
    publishedAt: new Date("2024-01-01T00:00:00Z"),
    startsAt: new Date("2024-02-01T15:00:00Z"),
    endsAt: new Date("2024-02-01T23:00:00Z"),
  });
  ids.ended = ended.id;
  ids.endedType = await typeRow(ended.id);

  const prisoner = await prisma.prisoner.create({
    data: { slug: "supported-prisoner", name: JSON.stringify({ en: "Supported" }) },
  });
  const foreign = await prisma.prisoner.create({
    data: { slug: "foreign-prisoner", name: JSON.stringify({ en: "Elsewhere" }) },
  });
  ids.prisoner = prisoner.id;
  ids.foreignPrisoner = foreign.id;
  await prisma.festivalPrisoner.createMany({
    data: [
      { festivalId: ids.festival, prisonerId: prisoner.id },
      { festivalId: ids.other, prisonerId: foreign.id },
    ],
  });
});
afterAll(() => app.close());

/** A valid door order for one standard ticket; cases change one thing in it. */
function order(patch: Record<string, unknown> = {}) {
  return {
    items: [{ ticketTypeId: ids.fixed, quantity: 1 }] as unknown[],
    email: "buyer@example.test",
    paymentMethod: "door",
    ...patch,
  };
}
const line = (patch: Record<string, unknown>) => ({
  ticketTypeId: ids.fixed,
  quantity: 1,
  ...patch,
});
const pwywLine = (patch: Record<string, unknown>) => ({
  ticketTypeId: ids.pwyw,
  quantity: 1,
  priceMinor: 2000,
  ...patch,
});
const checkout = (festivalId: string, body: unknown) =>
  client.api("POST", `/api/v1/festivals/${festivalId}/orders`, body);

describe("the valid orders the hostile cases start from are accepted", () => {
  // Without these, a refusal below could come from a broken fixture rather than the hostile value.
  it.each([
    ["one standard ticket", () => order()],
    [
      "a pay-what-you-want ticket at its minimum",
      () => order({ items: [pwywLine({ priceMinor: 500 })] }),
    ],
    [
      "a fixed-price ticket with its exact price",
      () => order({ items: [line({ priceMinor: 1500 })] }),
    ],
    [
      "a hidden ticket with its access code",
      () => order({ items: [{ ticketTypeId: ids.hidden, quantity: 1 }], accessCode: ACCESS_CODE }),
    ],
    ["5 standard tickets (maxPerOrder)", () => order({ items: [line({ quantity: 5 })] })],
    [
      "50 tickets over two lines",
      () => order({ items: [{ ticketTypeId: ids.big, quantity: 40 }, pwywLine({ quantity: 10 })] }),
    ],
    [
      "a free ticket, method free",
      () => order({ items: [{ ticketTypeId: ids.free, quantity: 1 }], paymentMethod: "free" }),
    ],
    [
      "a ticket and a donation for a supported prisoner",
      () => order({ donation: { amountMinor: 500, prisonerId: ids.prisoner } }),
    ],
    ["a donation only", () => order({ items: [], donation: { amountMinor: 1000 } })],
  ])("%s → 201", async (_label, body) => {
    const res = await checkout(ids.festival, body());
    expect(res.status, res.text).toBe(201);
  });
});

type OrderCase = [
  label: string,
  body: () => unknown,
  status: number,
  field?: string,
  message?: string | RegExp,
];

const quantityCases: OrderCase[] = [
  [
    "quantity -1",
    () => order({ items: [line({ quantity: -1 })] }),
    422,
    "items.0.quantity",
    msg.quantity,
  ],
  [
    "quantity 0",
    () => order({ items: [line({ quantity: 0 })] }),
    422,
    "items.0.quantity",
    msg.quantity,
  ],
  [
    "quantity 51",
    () => order({ items: [{ ticketTypeId: ids.big, quantity: 51 }] }),
    422,
    "items.0.quantity",
    msg.quantity,
  ],
  [
    "quantity 1e15",
    () => order({ items: [line({ quantity: HUGE })] }),
    422,
    "items.0.quantity",
    msg.quantity,
  ],
  [
    "quantity MAX_SAFE_INTEGER+1",
    () => order({ items: [line({ quantity: UNSAFE })] }),
    422,
    "items.0.quantity",
    msg.quantity,
  ],
  [
    "quantity 1e308",
    () => order({ items: [line({ quantity: 1e308 })] }),
    422,
    "items.0.quantity",
    msg.quantity,
  ],
  [
    "quantity 1.5",
    () => order({ items: [line({ quantity: 1.5 })] }),
    422,
    "items.0.quantity",
    msg.quantity,
  ],
  [
    "quantity 0.0000001",
    () => order({ items: [line({ quantity: 1e-7 })] }),
    422,
    "items.0.quantity",
    msg.quantity,
  ],
  [
    'quantity "2"',
    () => order({ items: [line({ quantity: "2" })] }),
    422,
    "items.0.quantity",
    msg.quantity,
  ],
  [
    "quantity null",
    () => order({ items: [line({ quantity: null })] }),
    422,
    "items.0.quantity",
    msg.quantity,
  ],
  [
    "quantity [2]",
    () => order({ items: [line({ quantity: [2] })] }),
    422,
    "items.0.quantity",
    msg.quantity,
  ],
  [
    "quantity {}",
    () => order({ items: [line({ quantity: {} })] }),
    422,
    "items.0.quantity",
    msg.quantity,
  ],
  [
    "quantity true",
    () => order({ items: [line({ quantity: true })] }),
    422,
    "items.0.quantity",
    msg.quantity,
  ],
  [
    "quantity missing",
    () => order({ items: [{ ticketTypeId: ids.fixed }] }),
    422,
    "items.0.quantity",
    msg.quantity,
  ],
];

const priceCases: OrderCase[] = [
  [
    "pay-what-you-want price -1",
    () => order({ items: [pwywLine({ priceMinor: -1 })] }),
    422,
    "items.0.priceMinor",
    msg.amount,
  ],
  [
    "pay-what-you-want price 0 (below the minimum)",
    () => order({ items: [pwywLine({ priceMinor: 0 })] }),
    422,
    "items.0.priceMinor",
    msg.belowMinimum(500),
  ],
  [
    "pay-what-you-want price 499 (one below the minimum)",
    () => order({ items: [pwywLine({ priceMinor: 499 })] }),
    422,
    "items.0.priceMinor",
    msg.belowMinimum(500),
  ],
  [
    "pay-what-you-want price 1e15",
    () => order({ items: [pwywLine({ priceMinor: HUGE })] }),
    422,
    "items.0.priceMinor",
    msg.amount,
  ],
  [
    "pay-what-you-want price MAX_SAFE_INTEGER+1",
    () => order({ items: [pwywLine({ priceMinor: UNSAFE })] }),
    422,
    "items.0.priceMinor",
    msg.amount,
  ],
  [
    "pay-what-you-want price 100,000,001 (over the maximum)",
    () => order({ items: [pwywLine({ priceMinor: 100_000_001 })] }),
    422,
    "items.0.priceMinor",
    msg.amount,
  ],
  [
    "pay-what-you-want price 1500.5",
    () => order({ items: [pwywLine({ priceMinor: 1500.5 })] }),
    422,
    "items.0.priceMinor",
    msg.amount,
  ],
  [
    'pay-what-you-want price "2000"',
    () => order({ items: [pwywLine({ priceMinor: "2000" })] }),
    422,
    "items.0.priceMinor",
    msg.amount,
  ],
  [
    "pay-what-you-want price null",
    () => order({ items: [pwywLine({ priceMinor: null })] }),
    422,
    "items.0.priceMinor",
    msg.amount,
  ],
  [
    "pay-what-you-want price [2000]",
    () => order({ items: [pwywLine({ priceMinor: [2000] })] }),
    422,
    "items.0.priceMinor",
    msg.amount,
  ],
  [
    "fixed price 1499 instead of 1500",
    () => order({ items: [line({ priceMinor: 1499 })] }),
    422,
    "items.0.priceMinor",
    msg.fixedPrice,
  ],
  [
    "fixed price 1501 instead of 1500",
    () => order({ items: [line({ priceMinor: 1501 })] }),
    422,
    "items.0.priceMinor",
    msg.fixedPrice,
  ],
  [
    "fixed price 0 instead of 1500",
    () => order({ items: [line({ priceMinor: 0 })] }),
    422,
    "items.0.priceMinor",
    msg.fixedPrice,
  ],
  [
    "a total over 1,000,000.00 (max price × 50)",
    () => order({ items: [pwywLine({ priceMinor: 100_000_000, quantity: 2 })] }),
    422,
    "_form",
    msg.totalTooLarge,
  ],
];

const ticketTypeCases: OrderCase[] = [
  [
    "an unknown ticket type id",
    () => order({ items: [line({ ticketTypeId: "no-such-type" })] }),
    422,
    "items.0.ticketTypeId",
    msg.unknownType,
  ],
  [
    "an empty ticket type id",
    () => order({ items: [line({ ticketTypeId: "" })] }),
    422,
    "items.0.ticketTypeId",
    msg.unknownType,
  ],
  [
    "a 1 KB ticket type id",
    () => order({ items: [line({ ticketTypeId: "x".repeat(1024) })] }),
    422,
    "items.0.ticketTypeId",
    msg.unknownType,
  ],
  [
    "a numeric ticket type id",
    () => order({ items: [line({ ticketTypeId: 1 })] }),
    422,
    "items.0.ticketTypeId",
    msg.unknownType,
  ],
  [
    "a ticket type id with SQL",
    () => order({ items: [line({ ticketTypeId: "' OR 1=1 --" })] }),
    422,
    "items.0.ticketTypeId",
    msg.unknownType,
  ],
  [
    "another festival's ticket type",
    () => order({ items: [line({ ticketTypeId: ids.otherType })] }),
    422,
    "items.0.ticketTypeId",
    msg.unknownType,
  ],
  [
    "another festival's ticket type after a valid line",
    () => order({ items: [line({}), line({ ticketTypeId: ids.otherType })] }),
    422,
    "items.1.ticketTypeId",
    msg.unknownType,
  ],
  [
    "a hidden type without the access code",
    () => order({ items: [line({ ticketTypeId: ids.hidden })] }),
    422,
    "items.0.ticketTypeId",
    msg.unknownType,
  ],
  [
    "a hidden type with a wrong access code",
    () => order({ items: [line({ ticketTypeId: ids.hidden })], accessCode: "WRONG-1" }),
    422,
    "items.0.ticketTypeId",
    msg.unknownType,
  ],
  [
    "a hidden type with the code in the wrong case",
    () =>
      order({ items: [line({ ticketTypeId: ids.hidden })], accessCode: ACCESS_CODE.toLowerCase() }),
    422,
    "items.0.ticketTypeId",
    msg.unknownType,
  ],
  [
    "a hidden type with an empty access code",
    () => order({ items: [line({ ticketTypeId: ids.hidden })], accessCode: "" }),
    422,
    "items.0.ticketTypeId",
    msg.unknownType,
  ],
  [
    "another festival's hidden type with its code",
    () => order({ items: [line({ ticketTypeId: ids.otherHidden })], accessCode: ACCESS_CODE }),
    422,
    "items.0.ticketTypeId",
    msg.unknownType,
  ],
  [
    "an access code of 41 characters",
    () => order({ items: [line({ ticketTypeId: ids.hidden })], accessCode: "A".repeat(41) }),
    422,
    "accessCode",
    msg.accessCode,
  ],
  [
    "an access code as a number",
    () => order({ items: [line({ ticketTypeId: ids.hidden })], accessCode: 1234 }),
    422,
    "accessCode",
    msg.accessCode,
  ],
  [
    "sales not open yet",
    () => order({ items: [line({ ticketTypeId: ids.notYetOpen })] }),
    422,
    "items.0.ticketTypeId",
    msg.salesClosed,
  ],
  [
    "sales already closed",
    () => order({ items: [line({ ticketTypeId: ids.closed })] }),
    422,
    "items.0.ticketTypeId",
    msg.salesClosed,
  ],
  [
    "a closed type next to an open one",
    () => order({ items: [line({}), line({ ticketTypeId: ids.closed })] }),
    422,
    "items.1.ticketTypeId",
    msg.salesClosed,
  ],
];

const itemsCases: OrderCase[] = [
  [
    "more than maxPerOrder (6 of 5)",
    () => order({ items: [line({ quantity: 6 })] }),
    422,
    "items.0.quantity",
    msg.maxPerOrder(5),
  ],
  [
    "the same type on two lines",
    () => order({ items: [line({ quantity: 3 }), line({ quantity: 3 })] }),
    422,
    "items.1.ticketTypeId",
    msg.duplicate,
  ],
  [
    "51 tickets over two lines",
    () => order({ items: [{ ticketTypeId: ids.big, quantity: 41 }, pwywLine({ quantity: 10 })] }),
    422,
    "items",
    msg.tooMany,
  ],
  [
    "100 tickets over three lines",
    () =>
      order({
        items: [
          { ticketTypeId: ids.big, quantity: 50 },
          pwywLine({ quantity: 45 }),
          line({ quantity: 5 }),
        ],
      }),
    422,
    "items",
    msg.tooMany,
  ],
  [
    "21 lines",
    () =>
      order({ items: Array.from({ length: 21 }, (_v, i) => line({ ticketTypeId: `type-${i}` })) }),
    422,
    "items",
    msg.items,
  ],
  ["an empty order (items [])", () => order({ items: [] }), 422, "items", msg.empty],
  [
    "an empty order (no items, no donation)",
    () => ({ email: "buyer@example.test", paymentMethod: "door" }),
    422,
    "items",
    msg.empty,
  ],
  ["items as a string", () => order({ items: "fixed" }), 422, "items", msg.items],
  ["items as null", () => order({ items: null }), 422, "items", msg.items],
  ["items as an object", () => order({ items: { 0: line({}) } }), 422, "items", msg.items],
  ["an item that is null", () => order({ items: [null] }), 422, "items.0"],
  ["an item that is a number", () => order({ items: [1] }), 422, "items.0"],
  [
    "an item with an unknown field",
    () => order({ items: [line({ discount: 100 })] }),
    422,
    "items.0.discount",
    msg.unknownField,
  ],
  [
    "an item setting its own unit price field",
    () => order({ items: [line({ unitPriceMinor: 1 })] }),
    422,
    "items.0.unitPriceMinor",
    msg.unknownField,
  ],
];

const donationCases: OrderCase[] = [
  [
    "donation 0",
    () => order({ donation: { amountMinor: 0 } }),
    422,
    "donation.amountMinor",
    msg.amount,
  ],
  [
    "donation -500",
    () => order({ donation: { amountMinor: -500 } }),
    422,
    "donation.amountMinor",
    msg.amount,
  ],
  [
    "donation 1e15",
    () => order({ donation: { amountMinor: HUGE } }),
    422,
    "donation.amountMinor",
    msg.amount,
  ],
  [
    "donation MAX_SAFE_INTEGER+1",
    () => order({ donation: { amountMinor: UNSAFE } }),
    422,
    "donation.amountMinor",
    msg.amount,
  ],
  [
    "donation 10.5",
    () => order({ donation: { amountMinor: 10.5 } }),
    422,
    "donation.amountMinor",
    msg.amount,
  ],
  [
    'donation "500"',
    () => order({ donation: { amountMinor: "500" } }),
    422,
    "donation.amountMinor",
    msg.amount,
  ],
  [
    "donation null",
    () => order({ donation: { amountMinor: null } }),
    422,
    "donation.amountMinor",
    msg.amount,
  ],
  [
    "donation amount missing",
    () => order({ donation: {} }),
    422,
    "donation.amountMinor",
    msg.amount,
  ],
  ["donation as a number", () => order({ donation: 500 }), 422, "donation"],
  [
    "donation with an unknown field",
    () => order({ donation: { amountMinor: 500, recipientIban: "LV00" } }),
    422,
    "donation.recipientIban",
    msg.unknownField,
  ],
  [
    "a donation plus tickets over 1,000,000.00",
    () => order({ donation: { amountMinor: 100_000_000 } }),
    422,
    "_form",
    msg.totalTooLarge,
  ],
  [
    "a donation earmarked for a prisoner the festival does not support",
    () => order({ donation: { amountMinor: 500, prisonerId: ids.foreignPrisoner } }),
    422,
    "donation.prisonerId",
    msg.unknownPrisoner,
  ],
  [
    "a donation earmarked for an unknown prisoner",
    () => order({ donation: { amountMinor: 500, prisonerId: "no-such-prisoner" } }),
    422,
    "donation.prisonerId",
    msg.unknownPrisoner,
  ],
  [
    "a donation earmarked with a 1 KB id",
    () => order({ donation: { amountMinor: 500, prisonerId: "p".repeat(1024) } }),
    422,
    "donation.prisonerId",
    msg.unknownPrisoner,
  ],
  [
    "a donation earmarked with a numeric id",
    () => order({ donation: { amountMinor: 500, prisonerId: 7 } }),
    422,
    "donation.prisonerId",
    msg.unknownPrisoner,
  ],
];

const paymentCases: OrderCase[] = [
  [
    '"stripe" when Stripe is not configured',
    () => order({ paymentMethod: "stripe" }),
    422,
    "paymentMethod",
    msg.unavailable,
  ],
  [
    '"free" for a paid order',
    () => order({ paymentMethod: "free" }),
    422,
    "paymentMethod",
    msg.notFree,
  ],
  [
    '"free" for a donation',
    () => order({ items: [], donation: { amountMinor: 100 }, paymentMethod: "free" }),
    422,
    "paymentMethod",
    msg.notFree,
  ],
  [
    '"door" for a zero total',
    () => order({ items: [{ ticketTypeId: ids.free, quantity: 1 }], paymentMethod: "door" }),
    422,
    "paymentMethod",
    msg.freeOrder,
  ],
  [
    '"stripe" for a zero total',
    () => order({ items: [{ ticketTypeId: ids.free, quantity: 1 }], paymentMethod: "stripe" }),
    422,
    "paymentMethod",
    msg.freeOrder,
  ],
  [
    'an unknown method "cash"',
    () => order({ paymentMethod: "cash" }),
    422,
    "paymentMethod",
    msg.paymentMethod,
  ],
  [
    "no payment method",
    () => order({ paymentMethod: undefined }),
    422,
    "paymentMethod",
    msg.paymentMethod,
  ],
  [
    "payment method as an array",
    () => order({ paymentMethod: ["door"] }),
    422,
    "paymentMethod",
    msg.paymentMethod,
  ],
];

const strictCases: OrderCase[] = [
  ["an unknown field", () => order({ coupon: "FREE" }), 422, "coupon", msg.unknownField],
  ["a status field", () => order({ status: "paid" }), 422, "status", msg.unknownField],
  ["a total field", () => order({ totalMinor: 1 }), 422, "totalMinor", msg.unknownField],
  [
    "a festivalId field",
    () => order({ festivalId: "elsewhere" }),
    422,
    "festivalId",
    msg.unknownField,
  ],
  [
    "a __proto__ key",
    () =>
      `{"items":[{"ticketTypeId":"${ids.fixed}","quantity":1}],"email":"buyer@example.test","paymentMethod":"door","__proto__":{"totalMinor":0}}`,
    422,
    "__proto__",
    msg.unknownField,
  ],
];

const buyerCases: OrderCase[] = [
  ["email missing", () => order({ email: undefined }), 422, "email", msg.email],
  ["email empty", () => order({ email: "" }), 422, "email", msg.email],
  ["email without @", () => order({ email: "buyer.example.test" }), 422, "email", msg.email],
  [
    "email with a header injection",
    () => order({ email: "buyer@example.test\r\nBcc: all@example.org" }),
    422,
    "email",
    msg.email,
  ],
  [
    "email with a script",
    () => order({ email: `${SCRIPT}@example.test` }),
    422,
    "email",
    msg.email,
  ],
  [
    "email of 300 characters",
    () => order({ email: `${"a".repeat(288)}@example.test` }),
    422,
    "email",
    msg.max(254),
  ],
  ["email as a number", () => order({ email: 42 }), 422, "email", msg.email],
  ["email as an array", () => order({ email: ["buyer@example.test"] }), 422, "email", msg.email],
  [
    "email with a lone surrogate",
    () => order({ email: `buyer${LONE_SURROGATE}@example.test` }),
    422,
    "email",
    msg.control,
  ],
  ["name with a NUL", () => order({ name: NUL }), 422, "name", msg.control],
  ["name with a newline", () => order({ name: "Anna\nBcc: x" }), 422, "name", msg.control],
  [
    "name with an escape sequence",
    () => order({ name: "Anna\u001b[31m" }),
    422,
    "name",
    msg.control,
  ],
  ["name with a right-to-left override", () => order({ name: RTL }), 422, "name", msg.control],
  ["name with a lone surrogate", () => order({ name: LONE_SURROGATE }), 422, "name", msg.control],
  ["name of 121 characters", () => order({ name: "a".repeat(121) }), 422, "name", msg.max(120)],
  ["name as a number", () => order({ name: 7 }), 422, "name", msg.text],
  [
    "a ticket type id with a lone surrogate",
    () => order({ items: [line({ ticketTypeId: "\udc00" })] }),
    422,
    "items.0.ticketTypeId",
    msg.control,
  ],
  // A key that is not text is never echoed back: the message is the form's (decision 0017).
  ["a key with a lone surrogate", () => order({ "\ud800": 1 }), 422, "_form", msg.control],
];

const bodyCases: OrderCase[] = [
  ["email of 1 MB (over the 32 KB limit)", () => order({ email: `${MB}@example.test` }), 413],
  ["name of 1 MB", () => order({ name: MB }), 413],
  ["a 40 KB body", () => order({ name: "a".repeat(40 * 1024) }), 413],
  ["invalid JSON", () => '{"items": [', 400],
  ["a JSON array", () => "[]", 400],
  ["JSON null", () => "null", 400],
  ["an empty body", () => "", 400],
  [
    "items nested 5,000 arrays deep",
    () =>
      `{"items":${"[".repeat(5000)}${"]".repeat(5000)},"email":"buyer@example.test","paymentMethod":"door"}`,
    422,
    "items.0",
  ],
];

describe.each([
  ["quantities", quantityCases],
  ["prices", priceCases],
  ["ticket types", ticketTypeCases],
  ["lines", itemsCases],
  ["donations", donationCases],
  ["payment methods", paymentCases],
  ["unknown fields (strict)", strictCases],
  ["buyer", buyerCases],
  ["bodies", bodyCases],
] as const)("checkout refuses hostile %s, writing nothing", (_group, cases) => {
  it.each(cases)("%s", async (_label, body, status, field, message) => {
    const res = await unchanged(() => checkout(ids.festival, body()), ids.festival);
    expectApiError(res, status, field, message);
  });
});

describe("checkout on festivals that are not on sale", () => {
  const cases: [string, () => [string, string], number, string][] = [
    ["an unknown festival", () => ["no-such-festival", ids.fixed], 404, "not_found"],
    ["a 1 KB festival id", () => ["f".repeat(1024), ids.fixed], 404, "not_found"],
    ["a draft festival", () => [ids.draft, ids.draftType], 404, "not_found"],
    [
      "a festival taken back to draft",
      () => [ids.unpublished, ids.unpublishedType],
      404,
      "not_found",
    ],
    ["a cancelled festival", () => [ids.cancelled, ids.cancelledType], 409, "festival_cancelled"],
    ["an ended festival", () => [ids.ended, ids.endedType], 409, "sales_closed"],
  ];
  it.each(cases)("%s", async (_label, target, status, error) => {
    const [festivalId, typeId] = target();
    const res = await unchanged(
      () => checkout(festivalId, order({ items: [{ ticketTypeId: typeId, quantity: 1 }] })),
      ids.festival,
    );
    expect(expectApiError(res, status).error).toBe(error);
  });
});

describe("a hidden ticket type is indistinguishable from an unknown id", () => {
  it("answers byte for byte what an unknown id gets, with or without a wrong code", async () => {
    const answer = async (typeId: string, accessCode?: string) => {
      const res = await unchanged(() =>
        checkout(
          ids.festival,
          order({ items: [line({ ticketTypeId: typeId })], ...(accessCode ? { accessCode } : {}) }),
        ),
      );
      return { status: res.status, body: res.text, contentType: res.headers.get("content-type") };
    };
    const unknown = await answer("no-such-type-0000000000");
    expect(unknown.status).toBe(422);
    expect(await answer("no-such-type-0000000000", "WRONG-1")).toEqual(unknown);
    expect(await answer(ids.hidden)).toEqual(unknown);
    expect(await answer(ids.hidden, "WRONG-1")).toEqual(unknown);
    expect(await answer(ids.otherType)).toEqual(unknown);
    expect(await answer(ids.otherHidden, ACCESS_CODE)).toEqual(unknown);
  });
});

const rawSend = (
  path: string,
  body: Buffer | (() => AsyncGenerator<Buffer>),
  headers: Record<string, string>,
) => sendRaw(app.url, "POST", path, body, headers);

/** The three endpoints of this issue that take a JSON body. */
const endpoints: [name: string, path: () => string, auth: boolean][] = [
  ["checkout", () => `/api/v1/festivals/${ids.festival}/orders`, false],
  ["ticket types", () => `/api/v1/festivals/${ids.festival}/ticket-types`, true],
  ["quotas", () => `/api/v1/festivals/${ids.festival}/quotas`, true],
];

describe.each(endpoints)("%s: bodies that are not a JSON object", (_name, path, auth) => {
  const authHeader = () =>
    auth ? { Authorization: `Bearer ${token}` } : ({} as Record<string, string>);

  it("a 10 MB body → 413", async () => {
    const body = Buffer.from(JSON.stringify({ name: "x".repeat(10 * 1024 * 1024) }));
    const res = await unchanged(
      () =>
        rawSend(path(), body, {
          "Content-Type": "application/json",
          "Content-Length": String(body.length),
          ...authHeader(),
        }),
      ids.festival,
    );
    expect(res.status).toBe(413);
    expect(res.contentType).toContain("application/json");
    expect(JSON.parse(res.text)).toMatchObject({
      error: "payload_too_large",
      message: expect.any(String),
    });
  });

  it("a 3 MB body without Content-Length (chunked) → 413", async () => {
    async function* chunks() {
      yield Buffer.from('{"name":"');
      for (let i = 0; i < 48; i++) yield Buffer.alloc(64 * 1024, "x");
      yield Buffer.from('"}');
    }
    const res = await unchanged(
      () => rawSend(path(), chunks, { "Content-Type": "application/json", ...authHeader() }),
      ids.festival,
    );
    expect(res.status).toBe(413);
    expect(JSON.parse(res.text)).toMatchObject({
      error: "payload_too_large",
      message: expect.any(String),
    });
  });

  const bodies: [label: string, body: string, headers: Record<string, string>, status: number][] = [
    ["invalid JSON", '{"name": "Riga",', { "Content-Type": "application/json" }, 400],
    ["a JSON array", "[]", { "Content-Type": "application/json" }, 400],
    ["a JSON string", '"order"', { "Content-Type": "application/json" }, 400],
    ["JSON as text/plain", "{}", { "Content-Type": "text/plain" }, 415],
    [
      "form-urlencoded",
      "email=a%40example.test",
      { "Content-Type": "application/x-www-form-urlencoded" },
      415,
    ],
    ["multipart", "--x--", { "Content-Type": "multipart/form-data; boundary=x" }, 415],
    ["no Content-Type", "{}", {}, 415],
  ];
  it.each(bodies)("%s → %i", async (_label, body, headers, status) => {
    const res = await unchanged(
      () =>
        client.request("POST", path(), {
          // A Uint8Array body carries no default Content-Type (a string would be sent as text/plain).
          body: "Content-Type" in headers ? body : new TextEncoder().encode(body),
          headers: { ...headers, ...authHeader() },
        }),
      ids.festival,
    );
    expectApiError(res, status);
  });
});

describe("the organiser's ticket-type API refuses hostile values, writing nothing", () => {
  const base = (patch: Record<string, unknown> = {}) => ({
    name: "Standard",
    priceMinor: 1500,
    capacity: 100,
    ...patch,
  });
  const pwyw = (patch: Record<string, unknown> = {}) =>
    base({ payWhatYouWant: true, minPriceMinor: 500, suggestedPriceMinor: 1500, ...patch });
  const numberCases = (
    field: string,
    message: string,
    make = base,
  ): [string, () => unknown, number, string, string][] => [
    [`${field} -1`, () => make({ [field]: -1 }), 422, field, message],
    [`${field} 1e15`, () => make({ [field]: HUGE }), 422, field, message],
    [`${field} MAX_SAFE_INTEGER+1`, () => make({ [field]: UNSAFE }), 422, field, message],
    [`${field} 1.5`, () => make({ [field]: 1.5 }), 422, field, message],
    [`${field} "2"`, () => make({ [field]: "2" }), 422, field, message],
    [`${field} null`, () => make({ [field]: null }), 422, field, message],
    [`${field} [2]`, () => make({ [field]: [2] }), 422, field, message],
  ];
  const cases: [string, () => unknown, number, string?, string?][] = [
    ...numberCases("priceMinor", msg.amount),
    ["priceMinor missing", () => base({ priceMinor: undefined }), 422, "priceMinor", msg.amount],
    [
      "priceMinor 100,000,001",
      () => base({ priceMinor: 100_000_001 }),
      422,
      "priceMinor",
      msg.amount,
    ],
    ...numberCases("capacity", msg.capacity),
    ["capacity 1,000,001", () => base({ capacity: 1_000_001 }), 422, "capacity", msg.capacity],
    ...numberCases("minPriceMinor", msg.amount, pwyw),
    ...numberCases("suggestedPriceMinor", msg.amount, pwyw),
    [
      "a suggested price below the minimum",
      () => pwyw({ suggestedPriceMinor: 499 }),
      422,
      "suggestedPriceMinor",
      msg.suggestedBelowMin,
    ],
    [
      "a minimum price on a fixed-price type",
      () => base({ minPriceMinor: 500 }),
      422,
      "minPriceMinor",
      msg.onlyPayWhatYouWant,
    ],
    [
      "a suggested price on a fixed-price type",
      () => base({ suggestedPriceMinor: 500 }),
      422,
      "minPriceMinor",
      msg.onlyPayWhatYouWant,
    ],
    [
      'payWhatYouWant "yes"',
      () => base({ payWhatYouWant: "yes" }),
      422,
      "payWhatYouWant",
      msg.boolean,
    ],
    ["maxPerOrder 0", () => base({ maxPerOrder: 0 }), 422, "maxPerOrder", msg.maxPerOrderField],
    ["maxPerOrder 51", () => base({ maxPerOrder: 51 }), 422, "maxPerOrder", msg.maxPerOrderField],
    ["maxPerOrder 1.5", () => base({ maxPerOrder: 1.5 }), 422, "maxPerOrder", msg.maxPerOrderField],
    ['maxPerOrder "5"', () => base({ maxPerOrder: "5" }), 422, "maxPerOrder", msg.maxPerOrderField],
    [
      "an unknown quota",
      () => base({ quotaId: "no-such-quota" }),
      422,
      "quotaId",
      msg.unknownQuota,
    ],
    [
      "another festival's quota",
      () => base({ quotaId: ids.otherQuota }),
      422,
      "quotaId",
      msg.unknownQuota,
    ],
    [
      'visibility "secret"',
      () => base({ visibility: "secret" }),
      422,
      "visibility",
      msg.visibility,
    ],
    [
      "hidden without an access code",
      () => base({ visibility: "hidden" }),
      422,
      "accessCode",
      msg.accessCode,
    ],
    [
      "an access code with a space",
      () => base({ visibility: "hidden", accessCode: "my code" }),
      422,
      "accessCode",
      msg.accessCode,
    ],
    [
      "an access code of 3 characters",
      () => base({ visibility: "hidden", accessCode: "abc" }),
      422,
      "accessCode",
      msg.accessCode,
    ],
    [
      "an access code with a script",
      () => base({ visibility: "hidden", accessCode: SCRIPT }),
      422,
      "accessCode",
      msg.accessCode,
    ],
    [
      "salesStartAt not a date",
      () => base({ salesStartAt: "next friday" }),
      422,
      "salesStartAt",
      msg.dateTime,
    ],
    [
      "salesStartAt in the year 99999",
      () => base({ salesStartAt: "99999-01-01T10:00" }),
      422,
      "salesStartAt",
      msg.dateTime,
    ],
    [
      "salesStartAt as a number",
      () => base({ salesStartAt: 1700000000 }),
      422,
      "salesStartAt",
      msg.dateTime,
    ],
    [
      "sales closing before they open",
      () => base({ salesStartAt: "2029-12-02T10:00", salesEndAt: "2029-12-01T10:00" }),
      422,
      "salesEndAt",
      msg.endBeforeStart,
    ],
    ["name missing", () => base({ name: undefined }), 422, "name"],
    ["name empty", () => base({ name: "   " }), 422, "name"],
    ["name {} (no language)", () => base({ name: {} }), 422, "name", msg.required],
    ["name with a NUL", () => base({ name: NUL }), 422, "name"],
    ["name of 121 characters", () => base({ name: "a".repeat(121) }), 422, "name"],
    ["name with a lone surrogate", () => base({ name: LONE_SURROGATE }), 422, "name", msg.control],
    ["a reserved field", () => base({ reserved: 0 }), 422, "reserved", msg.unknownField],
    [
      "a festivalId field",
      () => base({ festivalId: ids.other }),
      422,
      "festivalId",
      msg.unknownField,
    ],
  ];
  it.each(cases)("%s", async (_label, body, status, field, message) => {
    const res = await unchanged(
      () => client.api("POST", `/api/v1/festivals/${ids.festival}/ticket-types`, body(), token),
      ids.festival,
    );
    expectApiError(res, status, field, message);
  });

  it("refuses without a token (401) and on an unknown festival (404)", async () => {
    expectApiError(
      await unchanged(() =>
        client.api("POST", `/api/v1/festivals/${ids.festival}/ticket-types`, base()),
      ),
      401,
    );
    expectApiError(
      await unchanged(() =>
        client.api("POST", `/api/v1/festivals/no-such-festival/ticket-types`, base(), token),
      ),
      404,
    );
  });
});

describe("the organiser's quota API refuses hostile values, writing nothing", () => {
  const base = (patch: Record<string, unknown> = {}) => ({
    name: "Venue",
    capacity: 100,
    ...patch,
  });
  const cases: [string, () => unknown, number, string?, string?][] = [
    ["capacity -1", () => base({ capacity: -1 }), 422, "capacity", msg.capacity],
    ["capacity 1e15", () => base({ capacity: HUGE }), 422, "capacity", msg.capacity],
    [
      "capacity MAX_SAFE_INTEGER+1",
      () => base({ capacity: UNSAFE }),
      422,
      "capacity",
      msg.capacity,
    ],
    ["capacity 1.5", () => base({ capacity: 1.5 }), 422, "capacity", msg.capacity],
    ['capacity "100"', () => base({ capacity: "100" }), 422, "capacity", msg.capacity],
    ["capacity null", () => base({ capacity: null }), 422, "capacity", msg.capacity],
    ["capacity [100]", () => base({ capacity: [100] }), 422, "capacity", msg.capacity],
    ["capacity missing", () => base({ capacity: undefined }), 422, "capacity", msg.capacity],
    ["name missing", () => base({ name: undefined }), 422, "name"],
    ["name with a NUL", () => base({ name: NUL }), 422, "name", msg.control],
    ["name of 1 MB (over the 16 KB limit)", () => base({ name: MB }), 413],
    ["a reserved field", () => base({ reserved: 99 }), 422, "reserved", msg.unknownField],
  ];
  it.each(cases)("%s", async (_label, body, status, field, message) => {
    const res = await unchanged(
      () => client.api("POST", `/api/v1/festivals/${ids.festival}/quotas`, body(), token),
      ids.festival,
    );
    expectApiError(res, status, field, message);
  });
});

describe("script in names is stored as text and rendered escaped", () => {
  const buyerName = `${SCRIPT}${IMG}`;
  const typeName = `Solidarity ${SCRIPT}`;

  it("on the buyer's order page, the organiser's views and the confirmation email", async () => {
    const typeId = (
      await post(`/api/v1/festivals/${ids.festival}/ticket-types`, {
        name: typeName,
        priceMinor: 700,
        capacity: 5,
      })
    ).id;
    const res = await checkout(
      ids.festival,
      order({
        items: [{ ticketTypeId: typeId, quantity: 1 }],
        name: buyerName,
        email: "script@example.test",
      }),
    );
    expect(res.status, res.text).toBe(201);
    const placed = res.json<{ id: string; orderUrl: string }>();
    // Stored exactly as typed: escaping is the renderer's job, not the database's.
    const row = await prisma.order.findUniqueOrThrow({ where: { id: placed.id } });
    expect(row.name).toBe(buyerName);

    const page = await client.get(new URL(placed.orderUrl).pathname);
    expect(page.status).toBe(200);
    expectEscaped(page.text, [typeName]);
    expect(page.text).not.toContain(buyerName);

    // The organiser's order detail and list (search included) show the buyer's name as text.
    const organiser = await signedInClient(app.url, adminEmail);
    const detail = await organiser.get(`/admin/festivals/${ids.festival}/orders/${placed.id}`);
    expect(detail.status).toBe(200);
    expectEscaped(detail.text, [buyerName]);
    const list = await organiser.get(
      `/admin/festivals/${ids.festival}/orders?q=${encodeURIComponent(SCRIPT)}`,
    );
    expect(list.status).toBe(200);
    expectEscaped(list.text, [buyerName]);

    const mail = await app.mail.waitFor((m) => recipients(m).includes("script@example.test"));
    expect(String(mail.html)).not.toContain("<script>alert(1)");
    expect(String(mail.html)).not.toMatch(/<img[^>]*onerror/i);
  });
});

describe("after all the hostile requests", () => {
  it("only the accepted orders exist, and every counter matches its tickets", async () => {
    const accepted = await prisma.order.findMany({
      where: { festivalId: ids.festival },
      select: { email: true },
    });
    // The 9 valid controls and the one script-name order.
    expect(accepted).toHaveLength(10);
    for (const type of await prisma.ticketType.findMany({ select: { id: true, reserved: true } })) {
      expect(type.reserved).toBe(await prisma.ticket.count({ where: { ticketTypeId: type.id } }));
    }
    const quota = await prisma.quota.findUniqueOrThrow({ where: { id: ids.quota } });
    expect(quota.reserved).toBe(
      await prisma.ticket.count({ where: { ticketType: { quotaId: ids.quota } } }),
    );
    const snap = await snapshot();
    expect(snap.counts.Order).toBe(10);
  });
});
