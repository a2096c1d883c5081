// Issue 2, the festival form (new and edit, no JavaScript): every field with
// missing, oversized, script and unicode-edge values. A rejection is a 400
// page with the message next to the field, the values sent back escaped, and
// no row written or changed. Accepted script-like text renders escaped on the
// admin and public pages.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  COMBINING,
  COMPOSED,
  DECOMPOSED,
  escapeHtml,
  expectEscaped,
  expectFormError,
  IMG,
  MB,
  NUL,
  RTL,
  SCRIPT,
  unchanged,
  ZWJ_EMOJI,
} from "../helpers/bad-input";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { createFestivalRow, createUserRow, signedInClient } from "../helpers/fixtures";
import { prisma } from "~/utils/db.server";
import { translator } from "~/utils/i18n";

const t = translator("en");
const ru = translator("ru");
const msg = {
  text: t("v.text"),
  required: t("v.required"),
  max: (n: number) => t("v.maxLength", { n }),
  control: t("v.controlChars"),
};

let app: TestApp;
let client: Client;
let editable: Awaited<ReturnType<typeof createFestivalRow>>;
let cancelled: Awaited<ReturnType<typeof createFestivalRow>>;

beforeAll(async () => {
  app = await startTestApp();
  const admin = await createUserRow({ role: "admin", name: "Admin" });
  client = await signedInClient(app.url, admin.email);
  editable = await createFestivalRow({ createdById: admin.id });
  cancelled = await createFestivalRow({ status: "cancelled", cancelledAt: new Date() });
});
afterAll(() => app.close());

type Fields = Record<string, string | string[]>;

function validForm(): Fields {
  return {
    intent: "save",
    name: "Form festival",
    city: "Riga",
    country: "LV",
    venueName: "Hall",
    venueAddress: "Street 1",
    mapUrl: "",
    timezone: "Europe/Riga",
    currency: "EUR",
    startsAt: "2030-01-26T15:00",
    endsAt: "2030-01-26T23:00",
    languages: ["en", "ru"],
    "description.en": "Talks and music.",
    "description.ru": "",
    paymentMethods: ["door"],
  };
}

/** The form with some fields replaced; `null` leaves a field out altogether. */
function formWith(patch: Record<string, string | string[] | null>): Fields {
  const form = validForm();
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete form[k];
    else form[k] = v;
  }
  return form;
}

type Case = [
  label: string,
  patch: Record<string, string | string[] | null>,
  field: string | null,
  message: string,
];

function textCases(field: string, max: number): Case[] {
  return [
    [`${field}: missing`, { [field]: null }, field, msg.text],
    [`${field}: empty`, { [field]: "" }, field, msg.required],
    [`${field}: only spaces`, { [field]: "  \u00a0 " }, field, msg.required],
    [`${field}: 1 MB`, { [field]: MB }, field, msg.max(max)],
    [
      `${field}: one character too long`,
      { [field]: "\u00e9".repeat(max + 1) },
      field,
      msg.max(max),
    ],
    [`${field}: NUL`, { [field]: NUL }, field, msg.control],
    [`${field}: CR LF`, { [field]: "Riga\r\nRiga" }, field, msg.control],
    [`${field}: RTL override`, { [field]: RTL }, field, msg.control],
    [`${field}: bidi isolate`, { [field]: "Riga \u2066x\u2069" }, field, msg.control],
    [`${field}: a C1 control`, { [field]: "Riga\u0085" }, field, msg.control],
  ];
}

const cases: Case[] = [
  ...textCases("name", 120),
  ...textCases("city", 80),
  ...textCases("venueName", 160),
  ...textCases("venueAddress", 300),
  ["country: missing", { country: null }, "country", t("v.country")],
  ["country: empty", { country: "" }, "country", t("v.country")],
  ["country: three letters", { country: "LVA" }, "country", t("v.country")],
  ["country: not assigned", { country: "XX" }, "country", t("v.country")],
  ["country: 1 MB", { country: MB }, "country", t("v.country")],
  ["country: script", { country: SCRIPT }, "country", t("v.country")],
  // Left empty, the currency is the country's usual one (issue 13): without a country, none.
  ["currency: missing", { currency: null, country: null }, "currency", t("v.currency")],
  ["currency: empty", { currency: "", country: "" }, "currency", t("v.currency")],
  ["currency: four letters", { currency: "EURO" }, "currency", t("v.currency")],
  ["currency: not a currency", { currency: "ABC" }, "currency", t("v.currency")],
  ["currency: 1 MB", { currency: MB }, "currency", t("v.currency")],
  ["timezone: missing", { timezone: null }, "timezone", t("v.timezone")],
  ["timezone: empty", { timezone: "" }, "timezone", t("v.timezone")],
  ["timezone: unknown", { timezone: "Mars/Olympus_Mons" }, "timezone", t("v.timezone")],
  ["timezone: offset text", { timezone: "GMT+25" }, "timezone", t("v.timezone")],
  ["timezone: 1 MB", { timezone: MB }, "timezone", t("v.timezone")],
  ["timezone: script", { timezone: SCRIPT }, "timezone", t("v.timezone")],
  ["mapUrl: javascript:", { mapUrl: "javascript:alert(1)" }, "mapUrl", t("v.url")],
  ["mapUrl: data:", { mapUrl: `data:text/html,${SCRIPT}` }, "mapUrl", t("v.url")],
  ["mapUrl: not a URL", { mapUrl: "the big hall" }, "mapUrl", t("v.url")],
  ["mapUrl: 1 MB", { mapUrl: `https://example.org/${MB}` }, "mapUrl", msg.max(500)],
  ["startsAt: missing", { startsAt: null }, "startsAt", t("v.dateTime")],
  ["startsAt: empty", { startsAt: "" }, "startsAt", t("v.dateTime")],
  ["startsAt: 30 February", { startsAt: "2030-02-30T15:00" }, "startsAt", t("v.dateTime")],
  ["startsAt: hour 25", { startsAt: "2030-01-26T25:00" }, "startsAt", t("v.dateTime")],
  ["startsAt: words", { startsAt: "Saturday evening" }, "startsAt", t("v.dateTime")],
  ["startsAt: year 1999", { startsAt: "1999-01-26T15:00" }, "startsAt", t("v.dateTime")],
  ["startsAt: 1 MB", { startsAt: MB }, "startsAt", t("v.dateTime")],
  ["startsAt: script", { startsAt: SCRIPT }, "startsAt", t("v.dateTime")],
  ["endsAt: missing", { endsAt: null }, "endsAt", t("v.dateTime")],
  ["endsAt: 31 April", { endsAt: "2030-04-31T10:00" }, "endsAt", t("v.dateTime")],
  ["endsAt: before the start", { endsAt: "2030-01-26T14:00" }, "endsAt", t("v.endBeforeStart")],
  ["endsAt: equal to the start", { endsAt: "2030-01-26T15:00" }, "endsAt", t("v.endBeforeStart")],
  ["endsAt: 40 days later", { endsAt: "2030-03-07T15:00" }, "endsAt", t("v.maxDays", { n: 31 })],
  [
    "languages: none ticked",
    { languages: [], "description.en": "" },
    "languages",
    t("v.languages"),
  ],
  [
    "languages: unknown code",
    { languages: ["en", "xx"], "description.en": "" },
    "languages",
    t("v.language"),
  ],
  [
    "languages: script",
    { languages: [SCRIPT], "description.en": "" },
    "languages",
    t("v.language"),
  ],
  ["languages: 1 MB", { languages: [MB], "description.en": "" }, "languages", t("v.language")],
  [
    "languages: repeated 30 times",
    { languages: Array.from({ length: 30 }, () => "en") },
    "languages",
    t("v.tooBig"),
  ],
  ["description: 1 MB", { "description.en": MB }, "description.en", msg.max(10_000)],
  [
    "description: one character too long",
    { "description.en": "x".repeat(10_001) },
    "description.en",
    msg.max(10_000),
  ],
  ["description: NUL", { "description.en": "Talks\u0000" }, "description.en", msg.control],
  ["description: RTL override", { "description.ru": "\u202eevil" }, "description.ru", msg.control],
  [
    "description: a language not offered",
    { languages: ["en"], "description.de": "Hallo" },
    "description.de",
    t("v.descriptionLanguage"),
  ],
  ["description: an unknown language", { "description.xx": "Hi" }, null, t("v.unknownField")],
  ["description: `constructor`", { "description.constructor": "x" }, null, t("v.unknownField")],
  ["paymentMethods: unknown", { paymentMethods: ["cash"] }, "paymentMethods", t("v.paymentMethod")],
  [
    "paymentMethods: script",
    { paymentMethods: ["door", SCRIPT] },
    "paymentMethods",
    t("v.paymentMethod"),
  ],
  [
    "paymentMethods: repeated",
    { paymentMethods: ["door", "door", "door", "door"] },
    "paymentMethods",
    t("v.tooBig"),
  ],
];

const targets = [
  ["new", () => "/admin/festivals/new", () => undefined],
  ["edit", () => `/admin/festivals/${editable.id}?index`, () => editable.id],
] as const;

const table = targets.flatMap(([target, path, id]) =>
  cases.map(
    ([label, patch, field, message]) =>
      [`${target}: ${label}`, path, id, patch, field, message] as const,
  ),
);

describe("festival form: every field", () => {
  it.each(table)(
    "%s → 400, message beside the field",
    async (_label, path, id, patch, field, message) => {
      const res = await unchanged(() => client.postForm(path(), formWith(patch)), id());
      expectFormError(res, 400, field, message);
      expectEscaped(res.text, []);
    },
  );

  it.each(targets)("%s: a field sent as a file counts as missing", async (_target, path, id) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(formWith({ name: null })))
      for (const one of [v].flat()) form.append(k, one);
    form.append("name", new Blob([SCRIPT], { type: "text/html" }), "name.html");
    const res = await unchanged(() => client.request("POST", path(), { body: form }), id());
    expectFormError(res, 400, "name", msg.text);
    expectEscaped(res.text, []);
  });

  it.each(targets)(
    "%s: the rejected values come back in the form, escaped",
    async (_target, path, id) => {
      const patch = {
        name: SCRIPT,
        city: IMG,
        venueName: `${SCRIPT}${IMG}`,
        venueAddress: IMG,
        mapUrl: `https://example.org/"><script>alert(1)</script>`,
        timezone: `Europe/Riga"><script>alert(1)</script>`,
        "description.en": `</textarea>${SCRIPT}`,
      };
      const res = await unchanged(
        () => client.postForm(path(), formWith({ ...patch, country: "ZZ" })),
        id(),
      );
      expectFormError(res, 400, "country", t("v.country"));
      expectEscaped(res.text);
      expect(res.text).toContain(`value="${escapeHtml(SCRIPT)}"`);
      expect(res.text).not.toContain("</textarea><script>");
      expect(res.text).toContain(escapeHtml(`</textarea>${SCRIPT}`));
    },
  );

  it.each(targets)("%s: messages in the reader's language", async (_target, path, id) => {
    const res = await unchanged(
      () => client.postForm(path(), formWith({ name: "" }), { "Accept-Language": "ru" }),
      id(),
    );
    expectFormError(res, 400, "name", ru("v.required"));
  });
});

describe("festival edit page: status intents", () => {
  it.each([
    ["missing", {}],
    ["unknown", { intent: "delete" }],
    ["script", { intent: SCRIPT }],
    ["1 MB", { intent: MB }],
  ] as [string, Fields][])("intent %s → 400 page", async (_label, fields) => {
    const res = await unchanged(
      () => client.postForm(`/admin/festivals/${editable.id}?index`, fields),
      editable.id,
    );
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/<section class="error-page"><h([12])>[^<]+<\/h\1><p>[^<]+<\/p>/);
    expectEscaped(res.text, []);
  });

  it.each(["publish", "unpublish"])(
    "%s a cancelled festival → 409 with a message",
    async (intent) => {
      const res = await unchanged(
        () => client.postForm(`/admin/festivals/${cancelled.id}?index`, { intent }),
        cancelled.id,
      );
      expectFormError(res, 409, null, t("festivalAdmin.cancelledReadOnly"));
    },
  );

  it("saving a cancelled festival → 409 with a message", async () => {
    const res = await unchanged(
      () =>
        client.postForm(`/admin/festivals/${cancelled.id}?index`, formWith({ name: "New name" })),
      cancelled.id,
    );
    expectFormError(res, 409, null, t("festivalAdmin.cancelledReadOnly"));
  });

  it.each([
    ["unknown id", "nope"],
    ["over-long id", "z".repeat(300)],
  ])("%s → 404 page", async (_label, id) => {
    const res = await unchanged(() =>
      client.postForm(`/admin/festivals/${id}?index`, formWith({})),
    );
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("text/html");
  });
});

describe("festival form: accepted edge values", () => {
  it("normalises to NFC, upper-cases codes, keeps emoji and combining marks", async () => {
    const res = await client.postForm(
      "/admin/festivals/new",
      formWith({
        name: `  ${DECOMPOSED} fest  `,
        city: COMBINING,
        venueName: ZWJ_EMOJI,
        country: "lv",
        currency: "eur",
        "description.en": `First\r\n\r\nSecond\twith a tab ${DECOMPOSED}`,
      }),
    );
    expect(res.status, res.text.slice(0, 200)).toBe(302);
    const id = res.location!.split("/").pop()!;
    const row = await prisma.festival.findUniqueOrThrow({ where: { id } });
    expect(row.name).toBe(`${COMPOSED} fest`);
    expect(row.city).toBe(COMBINING.normalize("NFC"));
    expect(row.venueName).toBe(ZWJ_EMOJI);
    expect([row.country, row.currency]).toEqual(["LV", "EUR"]);
    expect(JSON.parse(row.description)).toEqual({ en: `First\n\nSecond\twith a tab ${COMPOSED}` });
  });

  it("a `description.__proto__` field is never stored and pollutes nothing", async () => {
    const res = await client.postForm(
      "/admin/festivals/new",
      formWith({ name: "Proto form", "description.__proto__": "x" }),
    );
    expect(res.status).toBeLessThan(500);
    const row = await prisma.festival.findFirst({ where: { name: "Proto form" } });
    if (res.status === 302) expect(row!.description).not.toContain("__proto__");
    else expect(row).toBeNull();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("script-like text is stored as is and rendered escaped on every page that shows it", async () => {
    const res = await client.postForm(
      "/admin/festivals/new",
      formWith({
        name: `${SCRIPT} ${IMG}`,
        city: SCRIPT,
        venueName: IMG,
        venueAddress: SCRIPT,
        mapUrl: `https://example.org/?q="><script>alert(1)</script>`,
        "description.en": `${SCRIPT}\n\n${IMG}`,
        "description.ru": `</textarea>${SCRIPT}`,
      }),
    );
    expect(res.status).toBe(302);
    const id = res.location!.split("/").pop()!;
    const row = await prisma.festival.findUniqueOrThrow({ where: { id } });
    expect(row.name).toBe(`${SCRIPT} ${IMG}`);

    const admin = await client.get(`/admin/festivals/${id}`);
    expect(admin.status).toBe(200);
    expectEscaped(admin.text, [`${SCRIPT} ${IMG}`, `</textarea>${SCRIPT}`]);
    expect(admin.text).toContain(`<title>${escapeHtml(`${SCRIPT} ${IMG}`)}</title>`);
    expectEscaped((await client.get("/admin")).text, [`${SCRIPT} ${IMG}`]);
    expectEscaped((await client.get(`/admin/festivals/${id}/programme`)).text, [
      `${SCRIPT} ${IMG}`,
    ]);

    const publish = await client.postForm(`/admin/festivals/${id}?index`, { intent: "publish" });
    expect(publish.status).toBe(200);
    const page = await new Client(app.url).get(`/festivals/${row.slug}`);
    expect(page.status).toBe(200);
    expectEscaped(page.text, [`${SCRIPT} ${IMG}`, IMG]);
    for (const lang of ["en", "ru"]) {
      const localised = await new Client(app.url).get(`/festivals/${row.slug}`, {
        "Accept-Language": lang,
      });
      expectEscaped(localised.text, []);
    }
    expectEscaped((await new Client(app.url).get("/")).text, [`${SCRIPT} ${IMG}`]);
  });
});
