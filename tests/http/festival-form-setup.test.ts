// The festival form's set-up helpers (issue 13), against the real build
// without Stripe configured: time zone, country and currency as pickers
// (countries in the reader's language, the currency suggested from the
// country), no card payment offered, new festivals in the past refused while a
// past festival stays editable, the slug shown and editable (validated,
// unique), a duplicate name warned but not refused, and programme items
// editable and kept within the festival's dates.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { translator } from "~/utils/i18n";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { escapeHtml } from "../helpers/bad-input";
import {
  apiToken,
  createFestivalRow,
  createUserRow,
  festivalBody,
  signedInClient,
} from "../helpers/fixtures";

const t = translator("en");
const ru = translator("ru");

let app: TestApp;
let browser: Client;
let api: Client;
let token: string;
let adminId: string;

beforeAll(async () => {
  app = await startTestApp();
  const admin = await createUserRow({ role: "admin", name: "Form Admin" });
  adminId = admin.id;
  browser = await signedInClient(app.url, admin.email);
  api = new Client(app.url);
  token = await apiToken(app.url, admin.email);
});
afterAll(() => app.close());

function form(overrides: Record<string, string | string[]> = {}) {
  return {
    intent: "save",
    name: `Form festival ${Math.random().toString(36).slice(2, 8)}`,
    city: "Warszawa",
    country: "PL",
    venueName: "Hall",
    venueAddress: "Street 1",
    timezone: "Europe/Warsaw",
    currency: "",
    startsAt: "2031-05-10T15:00",
    endsAt: "2031-05-10T23:00",
    languages: ["en", "ru"],
    "description.en": "Talks.",
    paymentMethods: ["door"],
    ...overrides,
  };
}

async function createdId(res: { status: number; location: string | null; text: string }) {
  expect(res.status, res.text.slice(0, 400)).toBe(302);
  return /^\/admin\/festivals\/([^/]+)$/.exec(res.location ?? "")![1]!;
}

describe("pickers", () => {
  it("offers zones, countries in the reader's language and currencies; no card payment without Stripe", async () => {
    const en = await browser.get("/admin/festivals/new");
    expect(en.status).toBe(200);
    expect(en.text).toContain('<select name="timezone"');
    expect(en.text).toContain('<option value="America/Sao_Paulo">America/Sao Paulo</option>');
    expect(en.text).toMatch(/<option value="LV">Latvia<\/option>/);
    expect(en.text).toMatch(/<option value="PLN">PLN — Polish/);
    expect(en.text).not.toContain('value="stripe"');
    expect(en.text).toContain(escapeHtml(t("festivalForm.cardNeedsStripe")));
    const inRussian = await browser.get("/admin/festivals/new", { "Accept-Language": "ru" });
    expect(inRussian.text).toMatch(/<option value="LV">Латвия<\/option>/);
    expect(inRussian.text).toContain(escapeHtml(ru("field.slug")));
  });

  it("takes the country's usual currency when none is chosen", async () => {
    const id = await createdId(await browser.postForm("/admin/festivals/new", form()));
    const f = await prisma.festival.findUniqueOrThrow({ where: { id } });
    expect(f.currency).toBe("PLN");
    // A currency chosen by hand wins.
    const chosen = await createdId(
      await browser.postForm("/admin/festivals/new", form({ currency: "EUR" })),
    );
    expect((await prisma.festival.findUniqueOrThrow({ where: { id: chosen } })).currency).toBe(
      "EUR",
    );
  });

  it("refuses an unknown zone or country beside the field (400), writing nothing", async () => {
    const count = await prisma.festival.count();
    const res = await browser.postForm(
      "/admin/festivals/new",
      form({ timezone: "Europe/Atlantis", country: "QQ", currency: "" }),
    );
    expect(res.status).toBe(400);
    expect(res.text).toContain(escapeHtml(t("v.timezone")));
    expect(res.text).toContain(escapeHtml(t("v.country")));
    expect(await prisma.festival.count()).toBe(count);
  });
});

describe("dates in the past", () => {
  it("refuses a new festival in the past: the form (400) and the API (422)", async () => {
    const count = await prisma.festival.count();
    const res = await browser.postForm(
      "/admin/festivals/new",
      form({ startsAt: "2025-03-01T15:00", endsAt: "2025-03-01T23:00" }),
    );
    expect(res.status).toBe(400);
    expect(res.text).toContain(escapeHtml(t("v.festivalInPast")));
    const viaApi = await api.api(
      "POST",
      "/api/v1/festivals",
      festivalBody({ startsAt: "2025-03-01T15:00:00+02:00", endsAt: "2025-03-01T23:00:00+02:00" }),
      token,
    );
    expect(viaApi.status).toBe(422);
    expect(viaApi.json<{ fields: Record<string, string> }>().fields.startsAt).toBe(
      t("v.festivalInPast"),
    );
    expect(await prisma.festival.count()).toBe(count);
  });

  it("still lets a festival that has taken place be edited", async () => {
    const past = await createFestivalRow({
      createdById: adminId,
      startsAt: new Date("2025-03-01T13:00:00Z"),
      endsAt: new Date("2025-03-01T21:00:00Z"),
    });
    const res = await api.api(
      "PATCH",
      `/api/v1/festivals/${past.id}`,
      { name: "Renamed afterwards" },
      token,
    );
    expect(res.status, res.text).toBe(200);
    const page = await browser.postForm(
      `/admin/festivals/${past.id}?index`,
      form({
        name: "Renamed in the form",
        startsAt: "2025-03-01T15:00",
        endsAt: "2025-03-01T23:00",
        currency: "EUR",
        timezone: "Europe/Riga",
        country: "LV",
      }),
    );
    expect(page.status, page.text.slice(0, 300)).toBe(200);
    expect((await prisma.festival.findUniqueOrThrow({ where: { id: past.id } })).name).toBe(
      "Renamed in the form",
    );
  });
});

describe("the slug", () => {
  it("is shown, can be chosen and changed, and a taken one is a clear error", async () => {
    const id = await createdId(
      await browser.postForm("/admin/festivals/new", form({ slug: "solidarity-warsaw-2031" })),
    );
    const details = await browser.get(`/admin/festivals/${id}`);
    expect(details.text).toContain('value="solidarity-warsaw-2031"');
    // Taken: the form says so beside the field and keeps what was typed; nothing is written.
    const count = await prisma.festival.count();
    const taken = await browser.postForm(
      "/admin/festivals/new",
      form({ slug: "solidarity-warsaw-2031", name: "Typed name" }),
    );
    expect(taken.status).toBe(409);
    expect(taken.text).toContain(escapeHtml(t("v.slugTaken")));
    expect(taken.text).toContain('value="Typed name"');
    expect(await prisma.festival.count()).toBe(count);
    const viaApi = await api.api(
      "POST",
      "/api/v1/festivals",
      festivalBody({ slug: "solidarity-warsaw-2031" }),
      token,
    );
    expect(viaApi.status).toBe(409);
    expect(viaApi.json<{ error: string }>().error).toBe("slug_taken");
    // Changed on the edit form; another festival's slug is refused there too.
    const other = await createFestivalRow({ createdById: adminId });
    const clash = await browser.postForm(
      `/admin/festivals/${id}?index`,
      form({ slug: other.slug, currency: "PLN" }),
    );
    expect(clash.status).toBe(409);
    expect(clash.text).toContain(escapeHtml(t("v.slugTaken")));
    const renamed = await browser.postForm(
      `/admin/festivals/${id}?index`,
      form({ slug: "warsaw-in-may", currency: "PLN" }),
    );
    expect(renamed.status).toBe(200);
    expect((await prisma.festival.findUniqueOrThrow({ where: { id } })).slug).toBe("warsaw-in-may");
    expect((await browser.get("/festivals/warsaw-in-may")).status).toBe(404); // still a draft
  });

  it("refuses hostile slugs beside the field", async () => {
    for (const slug of ["<script>", "../admin", "UPPER case", "a", "a".repeat(81), "trailing-"]) {
      const res = await browser.postForm("/admin/festivals/new", form({ slug }));
      expect(res.status, slug).toBe(400);
      expect(res.text).toContain(escapeHtml(t("v.slug")));
      expect(res.text).not.toContain("<script>");
    }
  });
});

describe("a duplicate name", () => {
  it("is warned about, not refused", async () => {
    const name = "Solidarity Night";
    const first = await createdId(await browser.postForm("/admin/festivals/new", form({ name })));
    expect((await browser.get(`/admin/festivals/${first}`)).text).not.toContain(
      'data-testid="same-name"',
    );
    const second = await createdId(
      await browser.postForm("/admin/festivals/new", form({ name: " solidarity night " })),
    );
    const page = await browser.get(`/admin/festivals/${second}`);
    expect(page.text).toContain('data-testid="same-name"');
    expect(page.text).toContain(`/admin/festivals/${first}`);
    const viaApi = await api.api("POST", "/api/v1/festivals", festivalBody({ name }), token);
    expect(viaApi.status).toBe(201);
    expect(viaApi.json<{ warnings: { code: string; festivals: string[] }[] }>().warnings).toEqual([
      { code: "duplicate_name", festivals: expect.arrayContaining([first, second]) as string[] },
    ]);
  });
});

describe("programme items", () => {
  it("are editable, and kept within the festival's dates", async () => {
    const id = await createdId(await browser.postForm("/admin/festivals/new", form()));
    const path = `/admin/festivals/${id}/programme`;
    const item = {
      title: "Talk",
      person: "",
      kind: "talk",
      startsAt: "2031-05-10T16:00",
      endsAt: "2031-05-10T17:00",
    };
    expect((await browser.postForm(path, { intent: "add", ...item })).status).toBe(200);
    const row = await prisma.programmeItem.findFirstOrThrow({ where: { festivalId: id } });

    // Outside the dates: before the start, after the end, ending after the end.
    for (const [startsAt, endsAt] of [
      ["2031-05-10T14:00", ""],
      ["2031-05-11T00:30", ""],
      ["2031-05-10T22:00", "2031-05-11T01:00"],
    ] as const) {
      const res = await browser.postForm(path, { intent: "add", ...item, startsAt, endsAt });
      expect(res.status, `${startsAt} ${endsAt}`).toBe(400);
      expect(res.text).toContain(escapeHtml(t("v.programmeOutsideFestival")));
    }
    expect(await prisma.programmeItem.count({ where: { festivalId: id } })).toBe(1);

    // Changed in place; moved outside, refused and left as it was.
    const edited = await browser.postForm(path, {
      intent: "update",
      itemId: row.id,
      ...item,
      title: "Talk, moved",
      startsAt: "2031-05-10T18:00",
      endsAt: "2031-05-10T19:30",
    });
    expect(edited.status).toBe(200);
    const after = await prisma.programmeItem.findUniqueOrThrow({ where: { id: row.id } });
    expect(after.title).toBe("Talk, moved");
    expect(after.startsAt.toISOString()).toBe("2031-05-10T16:00:00.000Z");
    const outside = await browser.postForm(path, {
      intent: "update",
      itemId: row.id,
      ...item,
      startsAt: "2031-05-12T18:00",
      endsAt: "",
    });
    expect(outside.status).toBe(400);
    expect(outside.text).toContain(escapeHtml(t("v.programmeOutsideFestival")));
    expect((await prisma.programmeItem.findUniqueOrThrow({ where: { id: row.id } })).title).toBe(
      "Talk, moved",
    );
    // Another festival's item cannot be reached through this festival.
    const other = await createFestivalRow({ createdById: adminId });
    const theirs = await prisma.programmeItem.create({
      data: { festivalId: other.id, title: "Theirs", kind: "talk", startsAt: other.startsAt },
    });
    const foreign = await browser.postForm(path, { intent: "update", itemId: theirs.id, ...item });
    expect(foreign.status).toBe(404);
    expect((await prisma.programmeItem.findUniqueOrThrow({ where: { id: theirs.id } })).title).toBe(
      "Theirs",
    );

    // New festival dates that would leave the item out are refused, saying why.
    const moved = await api.api(
      "PATCH",
      `/api/v1/festivals/${id}`,
      { startsAt: "2031-05-10T20:00", endsAt: "2031-05-10T23:00" },
      token,
    );
    expect(moved.status, moved.text).toBe(422);
    expect(moved.json<{ fields: Record<string, string> }>().fields.startsAt).toBe(
      t("v.programmeOutsideDates", { n: 1 }),
    );
  });
});
