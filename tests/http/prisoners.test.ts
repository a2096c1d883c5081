// The prisoner registry over real HTTP against the build: the public list and
// profile pages in English and Russian (no login, cacheable for visitors), the
// festival page's supported prisoners with their figures, the letters address
// hidden unless marked safe (pages and JSON), photos uploaded through the API
// and the admin page stored without EXIF, the API's 201/200/404s, bad input
// a clear 4xx with nothing half-written, and who may write (prisoners:manage:
// admins and treasurers; organisers, door staff and members 403, anonymous 401).
import fs from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { writeChange } from "~/utils/change.server";
import { writeTransaction } from "~/utils/db.server";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { errorNextTo, escapeHtml, expectApiError, unchanged } from "../helpers/bad-input";
import {
  addMember,
  apiToken,
  createFestivalRow,
  createUserRow,
  signedInClient,
  uniqueEmail,
} from "../helpers/fixtures";
import { createMoneyUser, moneyTokenDirect } from "../helpers/treasury";

let app: TestApp;
let anonymous: Client;
let adminPage: Client;
const tokens = {} as Record<"admin" | "treasurer" | "organiser" | "door" | "member", string>;
let festival: { id: string; slug: string };

const SECRET_ADDRESS = "FKU SIZO-77, Ulitsa Konvertov 3, Hiddenburg";
const media = () => path.join(app.dir, "media");
const mediaFiles = () => (fs.existsSync(media()) ? fs.readdirSync(media()).sort() : []);

async function gpsJpeg() {
  return sharp({ create: { width: 800, height: 600, channels: 3, background: "#226688" } })
    .jpeg()
    .withExif({
      IFD0: { Make: "SpyCam", Model: "Tracker 9" },
      IFD3: {
        GPSLatitudeRef: "N",
        GPSLatitude: "56/1 57/1 0/1",
        GPSLongitudeRef: "E",
        GPSLongitude: "24/1 6/1 0/1",
      },
    })
    .toBuffer();
}

function upload(
  bytes: Buffer,
  filename: string,
  type: string,
  fields: Record<string, string> = {},
) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append("image", new Blob([new Uint8Array(bytes)], { type }), filename);
  return form;
}

const api = (method: string, pathname: string, body?: unknown, token = tokens.admin) =>
  anonymous.api(method, pathname, body, token);

async function createViaApi(body: Record<string, unknown>) {
  const res = await api("POST", "/api/v1/prisoners", body);
  expect(res.status, res.text).toBe(201);
  return res.json<{ id: string; slug: string }>();
}

const prisonerRow = (id: string) => prisma.prisoner.findUnique({ where: { id } });

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  anonymous = new Client(app.url);
  const admin = await createUserRow({ role: "admin" });
  const treasurer = await createMoneyUser({ role: "treasurer" });
  const organiser = await createUserRow({ email: uniqueEmail("organiser") });
  const door = await createUserRow({ email: uniqueEmail("door") });
  const member = await createUserRow({ email: uniqueEmail("member") });
  const f = await createFestivalRow({
    name: "Prisoners Page Festival",
    status: "published",
    publishedAt: new Date(),
  });
  festival = { id: f.id, slug: f.slug };
  await addMember(f.id, organiser.id, "organiser");
  await addMember(f.id, door.id, "door");
  tokens.admin = await apiToken(app.url, admin.email);
  tokens.treasurer = await moneyTokenDirect(treasurer.id);
  tokens.organiser = await apiToken(app.url, organiser.email);
  tokens.door = await apiToken(app.url, door.email);
  tokens.member = await apiToken(app.url, member.email);
  adminPage = await signedInClient(app.url, admin.email);
});
afterAll(() => app?.close());

describe("the public pages", () => {
  let prisoner: { id: string; slug: string };
  beforeAll(async () => {
    prisoner = await createViaApi({
      name: { en: "Pavel Publicov", ru: "Павел Публиков" },
      summary: { en: "Physicist and poet.", ru: "Физик и поэт." },
      story: {
        en: "He wrote poems.\n\nThen he was arrested.",
        ru: "Он писал стихи.\n\nПотом его арестовали.",
      },
      heldAt: { en: "Pre-trial detention centre No. 1", ru: "СИЗО № 1" },
      sentence: "Six years",
      status: "sentenced",
      lettersAddress: SECRET_ADDRESS,
    });
    await prisma.festivalPrisoner.create({
      data: { festivalId: festival.id, prisonerId: prisoner.id },
    });
    // Money in the prisoner's fund and a payout from it, as the ledger records them.
    const f = festival.id;
    const fund = { festivalId: f, currency: "EUR", code: "fund" as const, prisonerId: prisoner.id };
    const stripe = { festivalId: f, currency: "EUR", code: "stripe_balance" as const };
    const at = new Date();
    await writeTransaction((tx) =>
      writeChange(tx, {
        ledger: [
          {
            id: `test:pay:${prisoner.id}`,
            festivalId: f,
            kind: "payment",
            at,
            postings: [
              { account: stripe, amountMinor: 12_345 },
              {
                // Not earmarked (an earmark would add its own move into the fund).
                account: { festivalId: f, currency: "EUR", code: "income", category: "ticket" },
                amountMinor: -12_345,
              },
            ],
          },
          {
            id: `test:allocation:${prisoner.id}`,
            festivalId: f,
            kind: "allocation",
            at,
            postings: [
              {
                account: {
                  festivalId: f,
                  currency: "EUR",
                  code: "allocated",
                  prisonerId: prisoner.id,
                },
                amountMinor: 12_345,
              },
              { account: fund, amountMinor: -12_345 },
            ],
          },
          {
            id: `test:payout:${prisoner.id}`,
            festivalId: f,
            kind: "payout",
            purpose: "lawyer",
            at,
            postings: [
              { account: fund, amountMinor: 5_000 },
              { account: stripe, amountMinor: -5_000 },
            ],
          },
        ],
      }),
    );
  });

  it("list every prisoner in English and in Russian, with status and figures, without a login", async () => {
    const en = await anonymous.get("/prisoners", { "Accept-Language": "en" });
    expect(en.status).toBe(200);
    expect(en.text).toContain("Pavel Publicov");
    expect(en.text).toContain("Sentenced");
    expect(en.text).toContain("€123.45");
    expect(en.text).toContain("€50.00");
    expect(en.text).toContain(`href="/prisoners/${prisoner.slug}"`);
    expect(en.headers.get("cache-control")).toBe("public, max-age=60");
    const ru = await anonymous.get("/prisoners", { "Accept-Language": "ru" });
    expect(ru.status).toBe(200);
    expect(ru.text).toContain("Павел Публиков");
    expect(ru.text).toContain("Осуждён(а)");
    expect(ru.text).toContain("Собрано");
    expect(ru.text).toMatch(/123,45\s?€/);
    expect(ru.text).not.toContain(SECRET_ADDRESS);
    expect(en.text).not.toContain(SECRET_ADDRESS);
    // Signed in, the same page is never stored.
    const signedIn = await adminPage.get("/prisoners");
    expect(signedIn.status).toBe(200);
    expect(signedIn.headers.get("cache-control")).toBe("no-store");
  });

  it("show one profile in either language; the letters address only once marked safe", async () => {
    const url = `/prisoners/${prisoner.slug}`;
    const en = await anonymous.get(url, { "Accept-Language": "en" });
    expect(en.status).toBe(200);
    expect(en.text).toContain("Then he was arrested.");
    expect(en.text).toContain("Pre-trial detention centre No. 1");
    expect(en.text).toContain("Six years");
    expect(en.text).toContain("Prisoners Page Festival");
    expect(en.text).not.toContain(SECRET_ADDRESS);
    expect(en.text).not.toContain("Konvertov");
    const ru = await anonymous.get(url, { "Accept-Language": "ru" });
    expect(ru.text).toContain("Потом его арестовали.");
    expect(ru.text).toContain("История");
    expect(ru.text).toContain("СИЗО № 1");
    // One text for every language: shown in Russian too.
    expect(ru.text).toContain("Six years");
    expect(ru.text).not.toContain("Konvertov");
    const json = await anonymous.get(`/api/v1/prisoners/${prisoner.id}`);
    expect(json.status).toBe(200);
    expect(json.text).not.toContain("Konvertov");
    expect(json.json<{ lettersAddress: string | null }>().lettersAddress).toBeNull();

    expect(
      (await api("PATCH", `/api/v1/prisoners/${prisoner.id}`, { lettersSafe: true })).status,
    ).toBe(200);
    const shown = await anonymous.get(url, { "Accept-Language": "en" });
    expect(shown.text).toContain(escapeHtml(SECRET_ADDRESS));
    expect(shown.text).toContain("Write a letter");
    const shownJson = await anonymous.get(`/api/v1/prisoners/${prisoner.id}`);
    expect(shownJson.json<{ lettersAddress: string }>().lettersAddress).toBe(SECRET_ADDRESS);
    // The lists never carry it.
    expect((await anonymous.get("/prisoners")).text).not.toContain("Konvertov");
    expect((await anonymous.get("/api/v1/prisoners")).text).not.toContain("Konvertov");
    expect(
      (await api("PATCH", `/api/v1/prisoners/${prisoner.id}`, { lettersSafe: false })).status,
    ).toBe(200);
    expect((await anonymous.get(url)).text).not.toContain("Konvertov");
  });

  it("answers 404 for an unknown profile, page and API alike", async () => {
    expect((await anonymous.get("/prisoners/no-such-person")).status).toBe(404);
    expect((await anonymous.get(`/prisoners/${"x".repeat(300)}`)).status).toBe(404);
    expectApiError(await anonymous.get("/api/v1/prisoners/no-such-id"), 404);
  });

  it("the festival page shows its prisoners with photo, status, figures and a link to each profile", async () => {
    const en = await anonymous.get(`/festivals/${festival.slug}`, { "Accept-Language": "en" });
    expect(en.status).toBe(200);
    expect(en.text).toContain("Prisoners this festival supports");
    expect(en.text).toContain(`href="/prisoners/${prisoner.slug}"`);
    expect(en.text).toContain("€123.45");
    expect(en.text).toContain("Sentenced");
    const ru = await anonymous.get(`/festivals/${festival.slug}`, { "Accept-Language": "ru" });
    expect(ru.text).toContain("Кого поддерживает этот фестиваль");
    expect(ru.text).toContain("Павел Публиков");
    expect(ru.text).not.toContain("Konvertov");
  });

  it("the public JSON list has the same figures as the page", async () => {
    const res = await anonymous.get("/api/v1/prisoners");
    expect(res.status).toBe(200);
    const { prisoners } = res.json<{
      prisoners: { id: string; name: Record<string, string>; figures: unknown[] }[];
    }>();
    const mine = prisoners.find((p) => p.id === prisoner.id);
    expect(mine?.name).toEqual({ en: "Pavel Publicov", ru: "Павел Публиков" });
    expect(mine?.figures).toEqual([{ currency: "EUR", raisedMinor: 12_345, paidOutMinor: 5_000 }]);
  });
});

describe("the API: who may write", () => {
  it("admins and treasurers create (201 {id, slug}); organisers, door staff and members 403; anonymous 401", async () => {
    const body = { name: { en: "Permission Person" } };
    const made = await api("POST", "/api/v1/prisoners", body, tokens.admin);
    expect(made.status).toBe(201);
    expect(made.json()).toEqual({ id: expect.any(String), slug: "permission-person" });
    const byTreasurer = await api("POST", "/api/v1/prisoners", body, tokens.treasurer);
    expect(byTreasurer.status).toBe(201);
    expect(byTreasurer.json<{ slug: string }>().slug).toBe("permission-person-2");
    for (const who of ["organiser", "door", "member"] as const)
      await unchanged(async () => {
        expectApiError(await api("POST", "/api/v1/prisoners", body, tokens[who]), 403);
        expectApiError(
          await api(
            "PATCH",
            `/api/v1/prisoners/${made.json<{ id: string }>().id}`,
            { status: "released" },
            tokens[who],
          ),
          403,
        );
        expectApiError(
          await anonymous.request(
            "PUT",
            `/api/v1/prisoners/${made.json<{ id: string }>().id}/photo`,
            {
              body: upload(await gpsJpeg(), "p.jpg", "image/jpeg"),
              headers: { Authorization: `Bearer ${tokens[who]}` },
            },
          ),
          403,
        );
      });
    await unchanged(async () => {
      expectApiError(await anonymous.api("POST", "/api/v1/prisoners", body), 401);
    });
  });

  it("organisers, door staff and members get 403 on the admin pages; anonymous is sent to sign in", async () => {
    const organiser = await createUserRow({ email: uniqueEmail("page-organiser") });
    await addMember(festival.id, organiser.id, "organiser");
    const door = await createUserRow({ email: uniqueEmail("page-door") });
    await addMember(festival.id, door.id, "door");
    const member = await createUserRow({ email: uniqueEmail("page-member") });
    const { id } = await createViaApi({ name: { en: "Page Permission Person" } });
    for (const user of [organiser, door, member]) {
      const page = await signedInClient(app.url, user.email);
      expect((await page.get("/admin/prisoners")).status).toBe(403);
      expect((await page.get("/admin/prisoners/new")).status).toBe(403);
      expect((await page.get(`/admin/prisoners/${id}`)).status).toBe(403);
      expect((await page.get("/admin")).text).not.toContain('href="/admin/prisoners"');
      await unchanged(async () => {
        expect((await page.postForm("/admin/prisoners/new", { "name.en": "Sneaky" })).status).toBe(
          403,
        );
        expect(
          (await page.postForm(`/admin/prisoners/${id}`, { intent: "save", "name.en": "Sneaky" }))
            .status,
        ).toBe(403);
      });
    }
    expect((await anonymous.get("/admin/prisoners")).status).toBe(302);
  });
});

describe("the API: bad input is a clear 4xx and writes nothing", () => {
  it("refuses missing, wrong, oversized and hostile fields", async () => {
    const cases: [unknown, number, string?][] = [
      [{}, 422, "name"],
      [{ name: { ru: "Только по-русски" } }, 422, "name.en"],
      [{ name: "Just a string" }, 422, "name"],
      [{ name: { en: "X", de: "X" } }, 422, "name.de"],
      [{ name: { en: "Nul\u0000" } }, 422, "name.en"],
      [{ name: { en: "Bidi \u202Egnp.exe" } }, 422, "name.en"],
      [{ name: { en: "A".repeat(121) } }, 422, "name.en"],
      [{ name: { en: "X" }, story: { en: "s".repeat(20_001) } }, 422, "story.en"],
      [{ name: { en: "X" }, status: "free" }, 422, "status"],
      [{ name: { en: "X" }, lettersSafe: "true" }, 422, "lettersSafe"],
      [{ name: { en: "X" }, slug: "../etc/passwd" }, 422, "slug"],
      [{ name: { en: "X" }, recipientName: "Secret Relative" }, 422, "recipientName"],
    ];
    for (const [body, status, field] of cases)
      await unchanged(async () => {
        expectApiError(await api("POST", "/api/v1/prisoners", body), status, field);
      });
    await unchanged(async () => {
      expectApiError(await api("POST", "/api/v1/prisoners", "not json"), 400);
      expectApiError(
        await anonymous.request("POST", "/api/v1/prisoners", {
          body: "name=x",
          headers: {
            "Content-Type": "application/x-www-form-urlencoded",
            Authorization: `Bearer ${tokens.admin}`,
          },
        }),
        415,
      );
      expectApiError(
        await api("POST", "/api/v1/prisoners", {
          name: { en: "X" },
          story: { en: "s".repeat(300_000) },
        }),
        413,
      );
      expectApiError(await api("DELETE", "/api/v1/prisoners"), 405);
    });
  });

  it("a refused PATCH changes nothing, not even part of it", async () => {
    const { id } = await createViaApi({ name: { en: "Patch Target" }, heldAt: "Somewhere" });
    const other = await createViaApi({ name: { en: "Patch Other" } });
    const before = await prisonerRow(id);
    await unchanged(async () => {
      expectApiError(
        await api("PATCH", `/api/v1/prisoners/${id}`, { heldAt: "Elsewhere", status: "gone" }),
        422,
        "status",
      );
      const taken = expectApiError(
        await api("PATCH", `/api/v1/prisoners/${id}`, { heldAt: "Elsewhere", slug: other.slug }),
        409,
        "slug",
      );
      expect(taken.error).toBe("slug_taken");
      expectApiError(await api("PATCH", "/api/v1/prisoners/no-such-id", { status: "died" }), 404);
    });
    expect(await prisonerRow(id)).toEqual(before);
    const ok = await api("PATCH", `/api/v1/prisoners/${id}`, { heldAt: "Elsewhere" });
    expect(ok.json()).toEqual({ id, slug: "patch-target" });
    const after = await anonymous.get(`/api/v1/prisoners/${id}`);
    expect(after.json<{ heldAt: unknown }>().heldAt).toBe("Elsewhere");
  });
});

describe("photos", () => {
  it("PUT through the API stores a WebP without EXIF; served by /media; DELETE removes the files", async () => {
    const { id, slug } = await createViaApi({ name: { en: "Photo Api Person" } });
    const before = mediaFiles();
    const res = await anonymous.request("PUT", `/api/v1/prisoners/${id}/photo`, {
      body: upload(await gpsJpeg(), "holiday.jpg", "image/jpeg"),
      headers: { Authorization: `Bearer ${tokens.admin}` },
    });
    expect(res.status, res.text).toBe(200);
    const { photo } = res.json<{ photo: { url: string; thumbUrl: string } }>();
    const served = await fetch(app.url + photo.url);
    expect(served.headers.get("content-type")).toBe("image/webp");
    const bytes = Buffer.from(await served.arrayBuffer());
    const meta = await sharp(bytes).metadata();
    expect(meta.format).toBe("webp");
    expect(meta.exif).toBeUndefined();
    expect(bytes.includes(Buffer.from("SpyCam"))).toBe(false);
    expect((await anonymous.get(`/prisoners/${slug}`)).text).toContain(photo.url);
    expect((await anonymous.get("/prisoners")).text).toContain(photo.thumbUrl);
    expect(mediaFiles().filter((f) => !before.includes(f))).toHaveLength(2);

    // Hostile uploads: refused, nothing stored, the photo as it was.
    await unchanged(async () => {
      const svg = await anonymous.request("PUT", `/api/v1/prisoners/${id}/photo`, {
        body: upload(Buffer.from("<svg onload=alert(1)></svg>"), "x.jpg", "image/jpeg"),
        headers: { Authorization: `Bearer ${tokens.admin}` },
      });
      expectApiError(svg, 415, "image");
      const none = await anonymous.request("PUT", `/api/v1/prisoners/${id}/photo`, {
        body: new FormData(),
        headers: { Authorization: `Bearer ${tokens.admin}` },
      });
      expectApiError(none, 422, "image");
      const unknown = await anonymous.request("PUT", "/api/v1/prisoners/no-such-id/photo", {
        body: upload(await gpsJpeg(), "p.jpg", "image/jpeg"),
        headers: { Authorization: `Bearer ${tokens.admin}` },
      });
      expectApiError(unknown, 404);
    });
    expect(mediaFiles().filter((f) => !before.includes(f))).toHaveLength(2);

    const removed = await api("DELETE", `/api/v1/prisoners/${id}/photo`);
    expect(removed.status).toBe(204);
    expect(mediaFiles()).toEqual(before);
    expect((await fetch(app.url + photo.url)).status).toBe(404);
  });

  it("the admin page uploads a photo (EXIF stripped) and refuses a text file next to the field", async () => {
    const { id } = await createViaApi({ name: { en: "Photo Page Person" } });
    const url = `/admin/prisoners/${id}`;
    const good = await adminPage.request("POST", url, {
      body: upload(await gpsJpeg(), "phone.jpg", "image/jpeg", { intent: "upload-photo" }),
    });
    expect(good.status, good.text.slice(0, 300)).toBe(200);
    const row = await prisonerRow(id);
    expect(row?.photoFile).toMatch(/^[A-Za-z0-9_-]{22}\.webp$/);
    const stored = fs.readFileSync(path.join(media(), row!.photoFile!));
    expect((await sharp(stored).metadata()).exif).toBeUndefined();
    const bad = await unchanged(() =>
      adminPage.request("POST", url, {
        body: upload(Buffer.from("just text"), "notes.png", "image/png", {
          intent: "upload-photo",
        }),
      }),
    );
    expect(bad.status).toBe(400);
    expect(errorNextTo(bad.text, "image")).toMatch(/JPEG, PNG or WebP/);
  });
});

describe("the admin pages", () => {
  it("list, create (redirect to the profile's page) and edit; a bad form is 400 with the error beside the field", async () => {
    const list = await adminPage.get("/admin/prisoners");
    expect(list.status).toBe(200);
    expect(list.text).toContain("Prisoner registry");
    expect((await adminPage.get("/admin")).text).toContain('href="/admin/prisoners"');

    const refused = await unchanged(() =>
      adminPage.postForm("/admin/prisoners/new", {
        "name.en": "",
        "name.ru": "Без английского",
        status: "detained",
      }),
    );
    expect(refused.status).toBe(400);
    expect(errorNextTo(refused.text, "name.en")).toBe("This field is required.");
    // What was typed stays in the form.
    expect(refused.text).toContain("Без английского");

    const made = await adminPage.postForm("/admin/prisoners/new", {
      "name.en": "Form Person",
      "name.ru": "Форм Персон",
      "story.en": "A story typed in the form.",
      "heldAt.en": "Colony No. 2",
      "heldAt.ru": "Колония № 2",
      status: "detained",
      lettersAddress: SECRET_ADDRESS,
    });
    expect(made.status).toBe(302);
    const id = /\/admin\/prisoners\/([^?]+)/.exec(made.location ?? "")?.[1];
    expect(id).toBeTruthy();
    const row = await prisonerRow(id!);
    expect(row).toMatchObject({ slug: "form-person", lettersSafe: false });
    expect(JSON.parse(row!.heldAt!)).toEqual({ en: "Colony No. 2", ru: "Колония № 2" });
    expect((await anonymous.get("/prisoners/form-person")).text).not.toContain("Konvertov");

    const edit = await adminPage.get(`/admin/prisoners/${id}`);
    expect(edit.status).toBe(200);
    expect(edit.text).toContain(escapeHtml(SECRET_ADDRESS));
    const saved = await adminPage.postForm(`/admin/prisoners/${id}`, {
      intent: "save",
      "name.en": "Form Person",
      "name.ru": "Форм Персон",
      slug: "form-person",
      "story.en": "A story typed in the form.",
      "story.ru": "История из формы.",
      "heldAt.en": "Colony No. 2",
      "heldAt.ru": "Колония № 2",
      status: "released",
      lettersAddress: SECRET_ADDRESS,
      lettersSafe: "on",
    });
    expect(saved.status).toBe(200);
    expect((await prisonerRow(id!))?.status).toBe("released");
    const ru = await anonymous.get("/prisoners/form-person", { "Accept-Language": "ru" });
    expect(ru.text).toContain("История из формы.");
    expect(ru.text).toContain("Колония № 2");
    expect(ru.text).toContain(escapeHtml(SECRET_ADDRESS));

    const bad = await unchanged(() =>
      adminPage.postForm(`/admin/prisoners/${id}`, {
        intent: "save",
        "name.en": "Form Person",
        slug: "Bad Slug!",
        "heldAt.en": "x".repeat(201),
        status: "released",
      }),
    );
    expect(bad.status).toBe(400);
    expect(errorNextTo(bad.text, "slug")).toBeTruthy();
    expect(errorNextTo(bad.text, "heldAt.en")).toBe("Use at most 200 characters.");
    const audit = await prisma.auditEvent.findMany({ where: { targetId: id } });
    expect(audit.map((a) => a.action)).toEqual(["prisoner.create", "prisoner.update"]);
    expect(audit.map((a) => a.details).join(" ")).not.toContain("Konvertov");
  });
});
