// Issue 2, JSON API half: every field of every /api/v1 endpoint with missing,
// wrong-typed, oversized, script and unicode-edge values. Each rejection is a
// 4xx JSON error with a message (and the field's message for 422), and the
// database is left exactly as it was.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  COMBINING,
  COMPOSED,
  DECOMPOSED,
  expectApiError,
  expectEscaped,
  IMG,
  LONE_SURROGATE,
  MB,
  NUL,
  RTL,
  SCRIPT,
  unchanged,
  ZWJ_EMOJI,
} from "../helpers/bad-input";
import { Client, sendRaw, startTestApp, type TestApp } from "../helpers/app";
import {
  apiToken,
  createFestivalRow,
  createUserRow,
  festivalBody,
  PASSWORD,
  signedInClient,
} from "../helpers/fixtures";
import { prisma } from "~/utils/db.server";
import { translator } from "~/utils/i18n";

const t = translator("en");
const msg = {
  text: t("v.text"),
  required: t("v.required"),
  max: (n: number) => t("v.maxLength", { n }),
  min: (n: number) => t("v.minLength", { n }),
  control: t("v.controlChars"),
  email: t("v.email"),
  password: t("v.password"),
  country: t("v.country"),
  currency: t("v.currency"),
  timezone: t("v.timezone"),
  url: t("v.url"),
  dateTime: t("v.dateTime"),
  endBeforeStart: t("v.endBeforeStart"),
  maxDays: t("v.maxDays", { n: 31 }),
  languages: t("v.languages"),
  language: t("v.language"),
  description: t("v.description"),
  descriptionLanguage: t("v.descriptionLanguage"),
  paymentMethod: t("v.paymentMethod"),
  globalRole: t("v.globalRole"),
  festivalRole: t("v.festivalRole"),
  unknown: t("v.unknownField"),
  wrongType: t("v.invalidType"),
  tooBig: t("v.tooBig"),
};

let app: TestApp;
let client: Client;
let token: string;
let adminEmail: string;
let festivalId: string;
let cancelledId: string;

beforeAll(async () => {
  app = await startTestApp();
  client = new Client(app.url);
  const admin = await createUserRow({ role: "admin", name: "Admin" });
  adminEmail = admin.email;
  token = await apiToken(app.url, admin.email);
  festivalId = (await createFestivalRow({ createdById: admin.id })).id;
  cancelledId = (await createFestivalRow({ status: "cancelled", cancelledAt: new Date() })).id;
});
afterAll(() => app.close());

/** A value meaning "leave the key out" (JSON.stringify drops undefined). */
const MISSING = undefined;

type Case = [label: string, value: unknown, field: string, message: string];

/** The standard bad values of a required single-line text field of at most `max` characters. */
function textCases(field: string, max: number): Case[] {
  return [
    ["missing", MISSING, field, msg.text],
    ["null", null, field, msg.text],
    ["a number", 42, field, msg.text],
    ["a boolean", true, field, msg.text],
    ["an array", ["Riga"], field, msg.text],
    ["an object", { en: "Riga" }, field, msg.text],
    ["empty", "", field, msg.required],
    ["only spaces", "   ", field, msg.required],
    ["1 MB", MB, field, msg.max(max)],
    ["one character too long", "x".repeat(max + 1), field, msg.max(max)],
    ["a NUL byte", NUL, field, msg.control],
    ["a newline", "Riga\nRiga", field, msg.control],
    ["an RTL override", RTL, field, msg.control],
    ["a lone surrogate", LONE_SURROGATE, field, msg.control],
    ["a byte-order mark inside", "Ri\ufeffga", field, msg.control],
    ["a zero-width no-break space and a bidi isolate", "Riga \u2067x\u2069", field, msg.control],
  ];
}

const festivalCases: Case[] = [
  ...textCases("name", 120).map(([l, v, f, m]): Case => [`name: ${l}`, v, f, m]),
  ...textCases("city", 80).map(([l, v, f, m]): Case => [`city: ${l}`, v, f, m]),
  ...textCases("venueName", 160).map(([l, v, f, m]): Case => [`venueName: ${l}`, v, f, m]),
  ...textCases("venueAddress", 300).map(([l, v, f, m]): Case => [`venueAddress: ${l}`, v, f, m]),
  ["country: missing", MISSING, "country", msg.country],
  ["country: a number", 371, "country", msg.country],
  ["country: null", null, "country", msg.country],
  ["country: empty", "", "country", msg.country],
  ["country: three letters", "LVA", "country", msg.country],
  ["country: not assigned", "XX", "country", msg.country],
  ["country: a digit", "L1", "country", msg.country],
  ["country: Cyrillic look-alikes", "\u041b\u0412", "country", msg.country],
  ["country: 1 MB", MB, "country", msg.country],
  ["country: script", SCRIPT, "country", msg.country],
  ["currency: missing", MISSING, "currency", msg.currency],
  ["currency: a number", 978, "currency", msg.currency],
  ["currency: empty", "", "currency", msg.currency],
  ["currency: four letters", "EURO", "currency", msg.currency],
  ["currency: not a currency", "ABC", "currency", msg.currency],
  ["currency: 1 MB", MB, "currency", msg.currency],
  ["currency: NUL", "EU\u0000", "currency", msg.currency],
  ["currency: script", SCRIPT, "currency", msg.currency],
  ["timezone: missing", MISSING, "timezone", msg.timezone],
  ["timezone: a number", 2, "timezone", msg.timezone],
  ["timezone: empty", "", "timezone", msg.timezone],
  ["timezone: unknown zone", "Mars/Olympus_Mons", "timezone", msg.timezone],
  ["timezone: path traversal", "../../etc/passwd", "timezone", msg.timezone],
  ["timezone: NUL", "Europe/Riga\u0000", "timezone", msg.timezone],
  ["timezone: 1 MB", MB, "timezone", msg.timezone],
  ["timezone: script", SCRIPT, "timezone", msg.timezone],
  ["mapUrl: javascript:", "javascript:alert(1)", "mapUrl", msg.url],
  ["mapUrl: data:", `data:text/html,${SCRIPT}`, "mapUrl", msg.url],
  ["mapUrl: ftp:", "ftp://example.org/map", "mapUrl", msg.url],
  ["mapUrl: no scheme", "www.openstreetmap.org", "mapUrl", msg.url],
  ["mapUrl: a number", 42, "mapUrl", msg.url],
  ["mapUrl: an object", { href: "https://example.org" }, "mapUrl", msg.url],
  ["mapUrl: 1 MB", `https://example.org/${MB}`, "mapUrl", msg.max(500)],
  ["startsAt: missing", MISSING, "startsAt", msg.dateTime],
  ["startsAt: a number", 1_900_000_000_000, "startsAt", msg.dateTime],
  ["startsAt: null", null, "startsAt", msg.dateTime],
  ["startsAt: empty", "", "startsAt", msg.dateTime],
  ["startsAt: 30 February", "2030-02-30T15:00", "startsAt", msg.dateTime],
  ["startsAt: month 13", "2030-13-01T15:00", "startsAt", msg.dateTime],
  ["startsAt: hour 25", "2030-01-26T25:00", "startsAt", msg.dateTime],
  ["startsAt: words", "next Saturday", "startsAt", msg.dateTime],
  ["startsAt: year 1999", "1999-12-31T20:00", "startsAt", msg.dateTime],
  ["startsAt: 1 MB", MB, "startsAt", msg.dateTime],
  ["endsAt: missing", MISSING, "endsAt", msg.dateTime],
  ["endsAt: an array", ["2030-01-26T23:00"], "endsAt", msg.dateTime],
  ["endsAt: 31 April", "2030-04-31T23:00", "endsAt", msg.dateTime],
  ["endsAt: script", SCRIPT, "endsAt", msg.dateTime],
  ["endsAt: before the start", "2030-01-26T14:00:00+02:00", "endsAt", msg.endBeforeStart],
  ["endsAt: equal to the start", "2030-01-26T15:00:00+02:00", "endsAt", msg.endBeforeStart],
  ["endsAt: 40 days later", "2030-03-07T15:00:00+02:00", "endsAt", msg.maxDays],
  ["languages: missing", MISSING, "languages", msg.languages],
  ["languages: a string", "en", "languages", msg.languages],
  ["languages: null", null, "languages", msg.languages],
  ["languages: empty", [], "languages", msg.languages],
  ["languages: an object", { en: true }, "languages", msg.languages],
  ["languages: unknown code", ["en", "xx"], "languages.1", msg.language],
  ["languages: a number", [1], "languages.0", msg.language],
  ["languages: upper case", ["EN"], "languages.0", msg.language],
  ["languages: 1 MB code", [MB], "languages.0", msg.language],
  ["languages: script", [SCRIPT], "languages.0", msg.language],
  ["languages: too many", Array.from({ length: 30 }, () => "en"), "languages", msg.tooBig],
  ["description: a string", "Talks and music.", "description", msg.description],
  ["description: an array", ["Talks"], "description", msg.description],
  ["description: null", null, "description", msg.description],
  ["description: a number", 42, "description", msg.description],
  ["description: a number as text", { en: 42 }, "description.en", msg.text],
  ["description: unknown language", { xx: "Hi" }, "description.xx", msg.unknown],
  ["description: language not offered", { de: "Hallo" }, "description.de", msg.descriptionLanguage],
  ["description: 1 MB", { en: MB }, "description.en", msg.max(10_000)],
  [
    "description: one character too long",
    { en: "x".repeat(10_001) },
    "description.en",
    msg.max(10_000),
  ],
  ["description: NUL", { en: "Talks\u0000" }, "description.en", msg.control],
  ["description: RTL override", { en: "Talks \u202Eevil" }, "description.en", msg.control],
  ["description: lone surrogate", { en: "Talks \udfff" }, "description.en", msg.control],
  ["description: `constructor` key", { constructor: "x" }, "description.constructor", msg.unknown],
  ["description: `toString` key", { toString: "x" }, "description.toString", msg.unknown],
  ["paymentMethods: a string", "door", "paymentMethods", msg.wrongType],
  ["paymentMethods: null", null, "paymentMethods", msg.wrongType],
  ["paymentMethods: an object", { door: true }, "paymentMethods", msg.wrongType],
  ["paymentMethods: unknown", ["cash"], "paymentMethods.0", msg.paymentMethod],
  ["paymentMethods: a number", [1], "paymentMethods.0", msg.paymentMethod],
  ["paymentMethods: script", [SCRIPT], "paymentMethods.0", msg.paymentMethod],
  ["paymentMethods: too many", ["door", "door", "door", "door"], "paymentMethods", msg.tooBig],
  ["unknown key", "x", "extra", msg.unknown],
  ["unknown key `status`", "published", "status", msg.unknown],
  // The slug may be chosen (issue 13), within its rules.
  ["slug: script", SCRIPT, "slug", t("v.slug")],
  ["slug: a path", "../../admin", "slug", t("v.slug")],
  ["slug: upper case and spaces", "My Festival", "slug", t("v.slug")],
  ["slug: too long", "a".repeat(81), "slug", t("v.slug")],
  ["slug: a number", 42, "slug", t("v.slug")],
];

/** Build a festival body with one field replaced (or removed, or an extra key added). */
function festivalWith(field: string, value: unknown) {
  const body: Record<string, unknown> = festivalBody();
  const top = field.split(".")[0]!;
  if (top in body || ["paymentMethods", "mapUrl"].includes(top)) {
    if (value === MISSING) delete body[top];
    else body[top] = value;
  } else {
    body[top] = value; // an unknown key
  }
  // Description keys must be offered languages; keep languages valid unless they are the subject.
  if (top === "languages") body.description = {};
  return body;
}

describe("POST /api/v1/festivals: every field", () => {
  it.each(festivalCases)(
    "%s → 422 with the field's message",
    async (_label, value, field, message) => {
      const res = await unchanged(() =>
        client.api("POST", "/api/v1/festivals", festivalWith(field, value), token),
      );
      const body = expectApiError(res, 422, field, message);
      expect(body.error).toBe("validation_failed");
    },
  );

  it("a value nested 100,000 deep is refused without a stack overflow", async () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    const raw = JSON.stringify(festivalBody({ description: "DEEP" })).replace(
      '"DEEP"',
      `{"en":${deep}}`,
    );
    const res = await unchanged(() => client.api("POST", "/api/v1/festivals", raw, token));
    expect([400, 422]).toContain(res.status);
    expectApiError(res, res.status);
  });

  it("reports every broken field at once", async () => {
    const res = await unchanged(() => client.api("POST", "/api/v1/festivals", {}, token));
    const body = expectApiError(res, 422);
    expect(Object.keys(body.fields ?? {}).sort()).toEqual(
      [
        "city",
        "country",
        "currency",
        "endsAt",
        "languages",
        "name",
        "startsAt",
        "timezone",
        "venueAddress",
        "venueName",
      ].sort(),
    );
  });

  it("`__proto__` and `constructor` keys are rejected and pollute nothing", async () => {
    const raw = `{"__proto__":{"polluted":true,"role":"admin"},"constructor":{"prototype":{"polluted":true}},${JSON.stringify(festivalBody()).slice(1)}`;
    const res = await unchanged(() => client.api("POST", "/api/v1/festivals", raw, token));
    const body = expectApiError(res, 422);
    expect(body.fields).toMatchObject({ __proto__: msg.unknown, constructor: msg.unknown });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("a `__proto__` key in the description is dropped, never stored, and pollutes nothing", async () => {
    const raw = JSON.stringify(festivalBody({ name: "Proto test" })).replace(
      '"description":{',
      '"description":{"__proto__":{"polluted":true},',
    );
    expect(raw).toContain('"__proto__"');
    const res = await client.api("POST", "/api/v1/festivals", raw, token);
    // Either refused with a message, or accepted without the key: never stored, never a 500.
    if (res.status === 422) {
      expectApiError(res, 422, "description.__proto__", msg.unknown);
    } else {
      expect(res.status).toBe(201);
      const row = await prisma.festival.findUniqueOrThrow({
        where: { id: res.json<{ id: string }>().id },
      });
      expect(row.description).not.toContain("__proto__");
      expect(row.description).not.toContain("polluted");
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("POST /api/v1/festivals: accepted edge values are stored clean", () => {
  it("normalises text to NFC, trims it, upper-cases codes and keeps emoji and combining marks", async () => {
    const res = await client.api(
      "POST",
      "/api/v1/festivals",
      festivalBody({
        name: `  ${DECOMPOSED} benefit  `,
        city: COMBINING,
        venueName: ZWJ_EMOJI,
        venueAddress: "\u05e8\u05d7\u05d5\u05d1 \u05d4\u05e8\u05e6\u05dc 1", // Hebrew: right-to-left text itself is fine
        country: "lv",
        currency: "eur",
        languages: ["en", "en", "he"],
        description: { en: `Line one\n\nLine\ttwo ${DECOMPOSED}`, he: "\u05e9\u05dc\u05d5\u05dd" },
      }),
      token,
    );
    expect(res.status, res.text).toBe(201);
    const row = await prisma.festival.findUniqueOrThrow({
      where: { id: res.json<{ id: string }>().id },
    });
    expect(row.name).toBe(`${COMPOSED} benefit`);
    expect(row.name.normalize("NFC")).toBe(row.name);
    expect(row.city).toBe(COMBINING.normalize("NFC"));
    expect(row.venueName).toBe(ZWJ_EMOJI);
    expect(row.country).toBe("LV");
    expect(row.currency).toBe("EUR");
    expect(JSON.parse(row.languages)).toEqual(["en", "he"]);
    expect(JSON.parse(row.description)).toEqual({
      en: `Line one\n\nLine\ttwo ${COMPOSED}`,
      he: "\u05e9\u05dc\u05d5\u05dd",
    });
  });

  it("takes a field of exactly the maximum length", async () => {
    const res = await client.api(
      "POST",
      "/api/v1/festivals",
      festivalBody({ name: "\u00e9".repeat(120) }),
      token,
    );
    expect(res.status, res.text).toBe(201);
  });

  it("stores script-like text as text: the JSON echoes it, the public page escapes it", async () => {
    const res = await client.api(
      "POST",
      "/api/v1/festivals",
      festivalBody({
        name: `${SCRIPT} fest`,
        city: IMG,
        venueName: SCRIPT,
        venueAddress: IMG,
        mapUrl: `https://example.org/?q="><script>alert(1)</script>`,
        description: { en: `${SCRIPT}\n\n${IMG}` },
      }),
      token,
    );
    expect(res.status, res.text).toBe(201);
    const { id, slug } = res.json<{ id: string; slug: string }>();
    expect(slug).toMatch(/^[a-z0-9-]+$/);
    expect(
      (await client.api("POST", `/api/v1/festivals/${id}/publish`, undefined, token)).status,
    ).toBe(200);

    const json = await client.get(`/api/v1/festivals/${id}`, { Authorization: `Bearer ${token}` });
    expect(json.headers.get("content-type")).toContain("application/json");
    expect(json.headers.get("x-content-type-options")).toBe("nosniff");
    expect(json.json<{ name: string }>().name).toBe(`${SCRIPT} fest`);

    const page = await client.get(`/festivals/${slug}`);
    expect(page.status).toBe(200);
    expectEscaped(page.text);
    expect(page.text).toContain(
      `href="https://example.org/?q=&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"`,
    );
    const list = await client.get("/");
    expectEscaped(list.text, [`${SCRIPT} fest`]);
  });
});

describe("PATCH /api/v1/festivals/:id", () => {
  const patchCases: [string, Record<string, unknown> | string, string, string][] = [
    ["name: null", { name: null }, "name", msg.text],
    ["name: a number", { name: 7 }, "name", msg.text],
    ["name: empty", { name: "" }, "name", msg.required],
    ["name: 1 MB", { name: MB }, "name", msg.max(120)],
    ["name: NUL", { name: NUL }, "name", msg.control],
    ["name: lone surrogate", { name: "\ud800\ud800" }, "name", msg.control],
    ["city: an array", { city: ["Riga"] }, "city", msg.text],
    ["venueName: RTL override", { venueName: RTL }, "venueName", msg.control],
    ["venueAddress: 1 MB", { venueAddress: MB }, "venueAddress", msg.max(300)],
    ["country: lower-case invalid", { country: "zz" }, "country", msg.country],
    ["currency: a number", { currency: 1 }, "currency", msg.currency],
    ["timezone: unknown", { timezone: "Europe/Atlantis" }, "timezone", msg.timezone],
    ["mapUrl: javascript:", { mapUrl: "javascript:alert(document.cookie)" }, "mapUrl", msg.url],
    ["startsAt: invalid date", { startsAt: "2030-02-30T10:00" }, "startsAt", msg.dateTime],
    [
      "startsAt: after the stored end",
      { startsAt: "2030-01-27T10:00:00Z" },
      "endsAt",
      msg.endBeforeStart,
    ],
    [
      "endsAt: before the stored start",
      { endsAt: "2030-01-25T10:00:00Z" },
      "endsAt",
      msg.endBeforeStart,
    ],
    [
      "languages: drops one the description uses",
      { languages: ["ru"] },
      "description.en",
      msg.descriptionLanguage,
    ],
    ["languages: empty", { languages: [] }, "languages", msg.languages],
    ["description: a string", { description: "x" }, "description", msg.description],
    ["description: 1 MB", { description: { en: MB } }, "description.en", msg.max(10_000)],
    [
      "paymentMethods: unknown",
      { paymentMethods: ["bitcoin"] },
      "paymentMethods.0",
      msg.paymentMethod,
    ],
    ["unknown key", { colour: "red" }, "colour", msg.unknown],
    ["read-only key `id`", { id: "other" }, "id", msg.unknown],
    ["slug: hostile", { slug: "<b>hijack</b>" }, "slug", t("v.slug")],
    ["read-only key `status`", { status: "published" }, "status", msg.unknown],
    ["read-only key `createdById`", { createdById: "x" }, "createdById", msg.unknown],
    [
      "`constructor` key",
      '{"constructor":{"prototype":{"polluted":true}}}',
      "constructor",
      msg.unknown,
    ],
    ["`__proto__` key", '{"__proto__":{"polluted":true}}', "__proto__", msg.unknown],
    ["`toString` key", '{"toString":"x"}', "toString", msg.unknown],
  ];

  it.each(patchCases)("%s → 422, festival untouched", async (_label, body, field, message) => {
    const res = await unchanged(
      () => client.api("PATCH", `/api/v1/festivals/${festivalId}`, body, token),
      festivalId,
    );
    expectApiError(res, 422, field, message);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("a cancelled festival cannot be changed (409)", async () => {
    const res = await unchanged(
      () => client.api("PATCH", `/api/v1/festivals/${cancelledId}`, { name: "New" }, token),
      cancelledId,
    );
    expectApiError(res, 409);
  });

  it.each([
    ["unknown id", "does-not-exist"],
    ["over-long id", "x".repeat(200)],
    ["script id", encodeURIComponent(SCRIPT)],
  ])("%s → 404 JSON", async (_label, id) => {
    const res = await unchanged(() =>
      client.api("PATCH", `/api/v1/festivals/${id}`, { name: "New" }, token),
    );
    expectApiError(res, 404);
  });

  it("accepts a valid patch with lower-case codes, NFC-normalises it and keeps the fields it does not name", async () => {
    const other = await createFestivalRow({
      description: JSON.stringify({ en: "About", ru: "О фестивале" }),
      paymentMethods: '["free"]',
    });
    const res = await client.api(
      "PATCH",
      `/api/v1/festivals/${other.id}`,
      { name: DECOMPOSED, currency: "pln", country: "pl" },
      token,
    );
    expect(res.status, res.text).toBe(200);
    const row = await prisma.festival.findUniqueOrThrow({ where: { id: other.id } });
    expect([row.name, row.currency, row.country]).toEqual([COMPOSED, "PLN", "PL"]);
    // Regression: the patch schema's description default ({}) used to wipe the stored description.
    expect(JSON.parse(row.description)).toEqual({ en: "About", ru: "О фестивале" });
    expect(JSON.parse(row.paymentMethods)).toEqual(["free"]);
  });
});

describe("POST /api/v1/festivals/:id/:transition", () => {
  it.each([
    ["publish: unknown id", "nope", "publish", 404],
    ["publish: over-long id", "y".repeat(500), "publish", 404],
    ["publish: script id", encodeURIComponent(SCRIPT), "publish", 404],
    ["publish: cancelled festival", "CANCELLED", "publish", 409],
    ["unpublish: cancelled festival", "CANCELLED", "unpublish", 409],
    ["unknown transition", "DRAFT", "delete", 404],
    ["script as the transition", "DRAFT", encodeURIComponent(SCRIPT), 404],
    ["upper-case transition", "DRAFT", "PUBLISH", 404],
  ])("%s → %s", async (_label, id, transition, status) => {
    const target = id === "CANCELLED" ? cancelledId : id === "DRAFT" ? festivalId : id;
    const res = await unchanged(
      () => client.api("POST", `/api/v1/festivals/${target}/${transition}`, undefined, token),
      id === "DRAFT" ? festivalId : undefined,
    );
    expectApiError(res, status);
  });

  it("GET is not allowed (405)", async () => {
    expectApiError(await client.get(`/api/v1/festivals/${festivalId}/publish`), 405);
  });
});

describe("POST /api/v1/tokens", () => {
  const cases: [string, Record<string, unknown>, string, string][] = [
    ["email: missing", { password: PASSWORD }, "email", msg.email],
    ["email: a number", { email: 42, password: PASSWORD }, "email", msg.email],
    ["email: null", { email: null, password: PASSWORD }, "email", msg.email],
    ["email: an array", { email: ["a@example.org"], password: PASSWORD }, "email", msg.email],
    [
      "email: too long",
      { email: `${"x".repeat(300)}@example.org`, password: PASSWORD },
      "email",
      msg.max(254),
    ],
    ["password: missing", { email: "a@example.org" }, "password", msg.password],
    [
      "password: a number",
      { email: "a@example.org", password: 1234567890 },
      "password",
      msg.password,
    ],
    ["password: an object", { email: "a@example.org", password: {} }, "password", msg.password],
    [
      "password: too long",
      { email: "a@example.org", password: "p".repeat(1001) },
      "password",
      msg.max(1000),
    ],
    ["name: a number", { email: "a@example.org", password: PASSWORD, name: 5 }, "name", msg.text],
    [
      "name: too long",
      { email: "a@example.org", password: PASSWORD, name: "n".repeat(101) },
      "name",
      msg.max(100),
    ],
    [
      "name: NUL",
      { email: "a@example.org", password: PASSWORD, name: "cli\u0000" },
      "name",
      msg.control,
    ],
    [
      "name: RTL override",
      { email: "a@example.org", password: PASSWORD, name: "cli\u202e" },
      "name",
      msg.control,
    ],
    [
      "unknown key",
      { email: "a@example.org", password: PASSWORD, scope: "admin" },
      "scope",
      msg.unknown,
    ],
    [
      "email: lone surrogate",
      { email: "\ud800@example.org", password: PASSWORD },
      "email",
      msg.control,
    ],
    [
      "password: lone surrogate",
      { email: "a@example.org", password: "\udc00".repeat(12) },
      "password",
      msg.control,
    ],
  ];

  it.each(cases)("%s → 422", async (_label, body, field, message) => {
    const res = await unchanged(() => new Client(app.url).api("POST", "/api/v1/tokens", body));
    expectApiError(res, 422, field, message);
  });

  it.each([
    ["email: script", { email: SCRIPT, password: PASSWORD }],
    ["email: NUL", { email: "a\u0000@example.org", password: PASSWORD }],
    ["password: 1000 characters", { email: "nobody@example.org", password: "p".repeat(1000) }],
  ])("%s → 401 wrong credentials, no token", async (_label, body) => {
    const res = await unchanged(() => new Client(app.url).api("POST", "/api/v1/tokens", body));
    expect(expectApiError(res, 401).error).toBe("invalid_credentials");
  });

  it("1 MB values are over the endpoint's 64 KB body limit (413)", async () => {
    for (const body of [
      { email: MB, password: PASSWORD },
      { email: adminEmail, password: MB },
      { email: adminEmail, password: PASSWORD, name: MB },
    ]) {
      const res = await unchanged(() => new Client(app.url).api("POST", "/api/v1/tokens", body));
      expectApiError(res, 413);
    }
  });

  it("an accepted name is stored NFC-normalised", async () => {
    const res = await new Client(app.url).api("POST", "/api/v1/tokens", {
      email: adminEmail,
      password: PASSWORD,
      name: ` ${DECOMPOSED} `,
    });
    expect(res.status, res.text).toBe(201);
    expect(await prisma.apiToken.count({ where: { name: COMPOSED } })).toBe(1);
  });

  it.each([
    ["DELETE with a script token", "DELETE", "/api/v1/tokens", `Bearer ${SCRIPT}`],
    ["DELETE with no token", "DELETE", "/api/v1/tokens", ""],
    [
      "GET a festival with an over-long token",
      "GET",
      "/api/v1/festivals/x",
      `Bearer ${"c".repeat(5000)}`,
    ],
  ])("%s → 401", async (_label, method, path, header) => {
    const res = await unchanged(() =>
      client.request(method, path, { headers: header ? { Authorization: header } : {} }),
    );
    expectApiError(res, 401);
  });

  it.each([
    ["script", `Bearer ${SCRIPT}`],
    ["over-long", `Bearer ${"a".repeat(1000)}`],
    ["NUL-free but unknown", `Bearer ${"b".repeat(43)}`],
    ["wrong scheme", `Basic ${Buffer.from(`${adminEmail}:${PASSWORD}`).toString("base64")}`],
  ])("Authorization header: %s → 401", async (_label, header) => {
    const res = await unchanged(() =>
      client.api("POST", "/api/v1/festivals", festivalBody(), undefined, { Authorization: header }),
    );
    expectApiError(res, 401);
  });
});

describe("POST /api/v1/users (admin)", () => {
  const valid = () => ({
    email: `new-${Math.random().toString(36).slice(2)}@example.org`,
    role: "member",
  });
  const cases: [string, Record<string, unknown>, string, string][] = [
    ["email: missing", { email: MISSING }, "email", msg.email],
    ["email: a number", { email: 42 }, "email", msg.email],
    ["email: null", { email: null }, "email", msg.email],
    ["email: no @", { email: "not-an-email" }, "email", msg.email],
    ["email: script", { email: `${SCRIPT}@example.org` }, "email", msg.email],
    ["email: img", { email: IMG }, "email", msg.email],
    ["email: NUL", { email: "a\u0000b@example.org" }, "email", msg.email],
    ["email: RTL override", { email: "a\u202eb@example.org" }, "email", msg.email],
    ["email: 10 KB", { email: `${"x".repeat(10_000)}@example.org` }, "email", msg.max(254)],
    ["name: a number", { name: 5 }, "name", msg.text],
    ["name: an object", { name: { first: "A" } }, "name", msg.text],
    ["name: too long", { name: "n".repeat(121) }, "name", msg.max(120)],
    ["name: 40 KB", { name: "n".repeat(40_000) }, "name", msg.max(120)],
    ["name: NUL", { name: NUL }, "name", msg.control],
    ["name: RTL override", { name: RTL }, "name", msg.control],
    ["name: lone surrogate", { name: LONE_SURROGATE }, "name", msg.control],
    ["password: lone surrogate", { password: `long enough ${"\ud800"}` }, "password", msg.control],
    ["role: missing", { role: MISSING }, "role", msg.globalRole],
    ["role: unknown", { role: "superadmin" }, "role", msg.globalRole],
    ["role: upper case", { role: "ADMIN" }, "role", msg.globalRole],
    ["role: a number", { role: 1 }, "role", msg.globalRole],
    ["role: an array", { role: ["admin"] }, "role", msg.globalRole],
    ["password: a number", { password: 12345678901 }, "password", msg.password],
    ["password: null", { password: null }, "password", msg.password],
    ["password: too short", { password: "short" }, "password", msg.min(10)],
    ["password: too long", { password: "p".repeat(201) }, "password", msg.max(200)],
    ["unknown key", { isAdmin: true }, "isAdmin", msg.unknown],
    ["unknown key `passwordHash`", { passwordHash: "$argon2id$..." }, "passwordHash", msg.unknown],
  ];

  it.each(cases)("%s → 422", async (_label, patch, field, message) => {
    const res = await unchanged(() =>
      client.api("POST", "/api/v1/users", { ...valid(), ...patch }, token),
    );
    expectApiError(res, 422, field, message);
  });

  it("`__proto__` cannot smuggle a role (422)", async () => {
    const raw = `{"email":"proto@example.org","__proto__":{"role":"admin"}}`;
    const res = await unchanged(() => client.api("POST", "/api/v1/users", raw, token));
    const body = expectApiError(res, 422, "role", msg.globalRole);
    expect(body.fields).toHaveProperty(["__proto__"], msg.unknown);
  });

  it("1 MB values exceed the 64 KB body limit (413)", async () => {
    for (const patch of [{ email: `${MB}@example.org` }, { name: MB }, { password: MB }]) {
      const res = await unchanged(() =>
        client.api("POST", "/api/v1/users", { ...valid(), ...patch }, token),
      );
      expectApiError(res, 413);
    }
  });

  it("an existing email, in any case, is a 409 conflict", async () => {
    const res = await unchanged(() =>
      client.api(
        "POST",
        "/api/v1/users",
        { email: ` ${adminEmail.toUpperCase()} `, role: "member" },
        token,
      ),
    );
    expect(expectApiError(res, 409).error).toBe("email_taken");
  });

  it("a script-like name is accepted as text and escaped on the users page", async () => {
    const res = await client.api(
      "POST",
      "/api/v1/users",
      { ...valid(), name: `${SCRIPT}${IMG}` },
      token,
    );
    expect(res.status, res.text).toBe(201);
    const browser = await signedInClient(app.url, adminEmail);
    const page = await browser.get("/admin/users");
    expect(page.status).toBe(200);
    expectEscaped(page.text, [`${SCRIPT}${IMG}`]);
  });
});

describe("POST /api/v1/festivals/:id/members", () => {
  const cases: [string, Record<string, unknown>, string, string][] = [
    ["email: missing", { role: "door" }, "email", msg.email],
    ["email: a number", { email: 1, role: "door" }, "email", msg.email],
    ["email: invalid", { email: "door@", role: "door" }, "email", msg.email],
    ["email: script", { email: SCRIPT, role: "door" }, "email", msg.email],
    ["email: NUL", { email: "d\u0000@example.org", role: "door" }, "email", msg.email],
    [
      "email: 10 KB",
      { email: `${"d".repeat(10_000)}@example.org`, role: "door" },
      "email",
      msg.max(254),
    ],
    ["role: missing", { email: "door@example.org" }, "role", msg.festivalRole],
    ["role: global role", { email: "door@example.org", role: "admin" }, "role", msg.festivalRole],
    [
      "role: US spelling",
      { email: "door@example.org", role: "organizer" },
      "role",
      msg.festivalRole,
    ],
    ["role: a number", { email: "door@example.org", role: 2 }, "role", msg.festivalRole],
    ["role: null", { email: "door@example.org", role: null }, "role", msg.festivalRole],
    ["role: script", { email: "door@example.org", role: SCRIPT }, "role", msg.festivalRole],
    [
      "role: 40 KB",
      { email: "door@example.org", role: "d".repeat(40_000) },
      "role",
      msg.festivalRole,
    ],
    [
      "unknown key",
      { email: "door@example.org", role: "door", festivalId: "other" },
      "festivalId",
      msg.unknown,
    ],
  ];

  it.each(cases)("%s → 422", async (_label, body, field, message) => {
    const res = await unchanged(
      () => client.api("POST", `/api/v1/festivals/${festivalId}/members`, body, token),
      festivalId,
    );
    expectApiError(res, 422, field, message);
  });

  it("1 MB email exceeds the 64 KB body limit (413)", async () => {
    const res = await unchanged(() =>
      client.api(
        "POST",
        `/api/v1/festivals/${festivalId}/members`,
        { email: MB, role: "door" },
        token,
      ),
    );
    expectApiError(res, 413);
  });

  it("an unknown festival is a 404", async () => {
    const res = await unchanged(() =>
      client.api(
        "POST",
        "/api/v1/festivals/nope/members",
        { email: "door@example.org", role: "door" },
        token,
      ),
    );
    expectApiError(res, 404);
  });
});

describe("request bodies that are not a JSON object", () => {
  const endpoints: [string, string, string, boolean][] = [
    ["tokens", "POST", "/api/v1/tokens", false],
    ["create festival", "POST", "/api/v1/festivals", true],
    ["patch festival", "PATCH", "/api/v1/festivals/FESTIVAL", true],
    ["users", "POST", "/api/v1/users", true],
    ["members", "POST", "/api/v1/festivals/FESTIVAL/members", true],
  ];
  const bodies: [string, string, Record<string, string>, number][] = [
    ["invalid JSON", '{"name": "Riga",', { "Content-Type": "application/json" }, 400],
    ["a single quote JSON-ish", "{'name': 'Riga'}", { "Content-Type": "application/json" }, 400],
    ["an empty body", "", { "Content-Type": "application/json" }, 400],
    ["a JSON array", "[]", { "Content-Type": "application/json" }, 400],
    ["JSON null", "null", { "Content-Type": "application/json" }, 400],
    ["a JSON number", "42", { "Content-Type": "application/json" }, 400],
    ["a JSON string", '"festival"', { "Content-Type": "application/json" }, 400],
    ["a NUL byte", '{"name":"\u0000"', { "Content-Type": "application/json" }, 400],
    ["text/plain", "{}", { "Content-Type": "text/plain" }, 415],
    ["form-urlencoded", "name=Riga", { "Content-Type": "application/x-www-form-urlencoded" }, 415],
    ["multipart", "--x--", { "Content-Type": "multipart/form-data; boundary=x" }, 415],
    ["no Content-Type", "{}", {}, 415],
  ];
  const table = endpoints.flatMap(([name, method, path, auth]) =>
    bodies.map(
      ([label, body, headers, status]) =>
        [`${name}: ${label} → ${status}`, method, path, auth, body, headers, status] as const,
    ),
  );

  it.each(table)("%s", async (_label, method, path, auth, body, headers, status) => {
    const url = path.replace("FESTIVAL", festivalId);
    const res = await unchanged(
      () =>
        client.request(method, url, {
          // A Uint8Array body carries no default Content-Type (a string would be sent as text/plain).
          body: "Content-Type" in headers ? body : new TextEncoder().encode(body),
          headers: { ...headers, ...(auth ? { Authorization: `Bearer ${token}` } : {}) },
        }),
      festivalId,
    );
    expectApiError(res, status);
  });

  const rawSend = (
    method: string,
    path: string,
    body: Buffer | (() => AsyncGenerator<Buffer>),
    headers: Record<string, string>,
  ) => sendRaw(app.url, method, path, body, headers);

  it("a keep-alive connection stays usable after a refused body", async () => {
    const keepAlive = new Client(app.url);
    for (let i = 0; i < 3; i++) {
      expectApiError(
        await keepAlive.api("POST", "/api/v1/tokens", { email: MB, password: PASSWORD }),
        413,
      );
      expectApiError(await keepAlive.api("POST", "/api/v1/tokens", {}), 422);
    }
  });

  it.each(endpoints)("%s: a 10 MB body → 413", async (_name, method, path, auth) => {
    const url = path.replace("FESTIVAL", festivalId);
    const body = Buffer.from(JSON.stringify({ name: "x".repeat(10 * 1024 * 1024) }));
    const res = await unchanged(
      () =>
        rawSend(method, url, body, {
          "Content-Type": "application/json",
          "Content-Length": String(body.length),
          ...(auth ? { Authorization: `Bearer ${token}` } : {}),
        }),
      festivalId,
    );
    expect(res.status).toBe(413);
    expect(res.contentType).toContain("application/json");
    expect(JSON.parse(res.text)).toMatchObject({
      error: "payload_too_large",
      message: expect.any(String),
    });
  });

  it.each(endpoints)(
    "%s: a 3 MB body without Content-Length (chunked) → 413",
    async (_name, method, path, auth) => {
      const url = path.replace("FESTIVAL", festivalId);
      async function* chunks() {
        yield Buffer.from('{"name":"');
        for (let i = 0; i < 48; i++) yield Buffer.alloc(64 * 1024, "x");
        yield Buffer.from('"}');
      }
      const res = await unchanged(
        () =>
          rawSend(method, url, chunks, {
            "Content-Type": "application/json",
            ...(auth ? { Authorization: `Bearer ${token}` } : {}),
          }),
        festivalId,
      );
      expect(res.status).toBe(413);
      expect(JSON.parse(res.text)).toMatchObject({
        error: "payload_too_large",
        message: expect.any(String),
      });
    },
  );
});
