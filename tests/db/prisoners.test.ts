// The prisoner registry, called directly on a real SQLite file
// (app/models/prisoner.server.ts): profiles per platform language, slugs from
// the English name (unique, transliterated), the input rules (languages,
// lengths, control characters, statuses, unknown fields), changes that write
// their audit row without the texts, the letters address that no public view
// shows unless marked safe, the raised / paid-out figures from the ledger,
// photos re-encoded without EXIF whose files come and go with their row, and
// the demo seed's full profiles.
import fs from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { freshTestEnv } from "../helpers/env";
import { createFestivalRow, createUserRow } from "../helpers/fixtures";
import {
  createPrisoner,
  listPrisonersAdmin,
  prisonerAdminView,
  prisonerInput,
  prisonerPatch,
  publicPrisonerBySlug,
  publicPrisonerJson,
  publicPrisoners,
  publicPrisonersJson,
  removePrisonerPhoto,
  setPrisonerPhoto,
  supportedPrisonerCards,
  updatePrisoner,
} from "~/models/prisoner.server";
import type { CurrentUser } from "~/utils/auth.server";
import { writeChange } from "~/utils/change.server";
import { disconnectDatabase, prisma, writeTransaction } from "~/utils/db.server";
import { DomainError } from "~/utils/domain-error";
import { mediaDir } from "~/utils/images.server";
import { seedDemoIfEmpty } from "~/utils/seed.server";
import { fieldErrors } from "~/utils/validation";

let admin: CurrentUser;
beforeAll(async () => {
  freshTestEnv();
  const user = await createUserRow({ role: "admin" });
  admin = { ...user, role: "admin", locale: null, memberships: [] };
});
afterAll(() => disconnectDatabase());

const ADDRESS = "FKU IK-99, Ulitsa Pisem 7, Secretville, 000000";

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

async function auditRows(targetId: string) {
  return prisma.auditEvent.findMany({ where: { targetId }, orderBy: { id: "asc" } });
}

/** A 900×600 JPEG carrying GPS coordinates and a camera model (what a phone photo carries). */
async function gpsJpeg() {
  return sharp({
    create: { width: 900, height: 600, channels: 3, background: { r: 40, g: 90, b: 160 } },
  })
    .jpeg()
    .withExif({
      IFD0: { Make: "SpyCam", Model: "Model 7" },
      IFD3: {
        GPSLatitudeRef: "N",
        GPSLatitude: "56/1 57/1 0/1",
        GPSLongitudeRef: "E",
        GPSLongitude: "24/1 6/1 0/1",
      },
    })
    .toBuffer();
}

const mediaFiles = () => (fs.existsSync(mediaDir()) ? fs.readdirSync(mediaDir()).sort() : []);

describe("the demo seed", () => {
  it("gives the demo prisoners full profiles: story in English and Russian, status, where held, sentence", async () => {
    // First in this file: the seed runs only on a database without festivals.
    expect(await seedDemoIfEmpty(new Date())).toBe(true);
    const boris = await publicPrisonerBySlug("boris-kagarlitsky", "en");
    expect(boris).toMatchObject({
      name: "Boris Kagarlitsky",
      status: "sentenced",
      heldAt: "Penal colony No. 4, Torzhok",
      lettersAddress: null,
    });
    expect(boris?.sentence).toContain("Five years");
    expect(boris?.story).toContain("July 2023");
    const ru = await publicPrisonerBySlug("boris-kagarlitsky", "ru");
    expect(ru?.name).toBe("Борис Кагарлицкий");
    expect(ru?.story).toContain("Торжке");
    expect(ru?.heldAt).toBe("Исправительная колония № 4, Торжок");
    expect(ru?.sentence).toContain("Пять лет");
    expect(ru?.storyLanguage).toBe("ru");
    const all = await publicPrisonersJson();
    expect(all.filter((p) => p.name.ru)).toHaveLength(7);
    for (const slugName of [
      "boris-kagarlitsky",
      "azat-miftakhov",
      "alexander-kupriyanov",
      "anton-orlov",
      "daria-kozyreva",
      "yuri-mikheev",
      "yuri-chilikin",
    ]) {
      const row = await prisma.prisoner.findUniqueOrThrow({ where: { slug: slugName } });
      const story = JSON.parse(row.story) as Record<string, string>;
      expect(story.en, slugName).toBeTruthy();
      expect(story.ru, slugName).toBeTruthy();
    }
    expect((await publicPrisonerBySlug("yuri-chilikin", "en"))?.status).toBe("released");
  });
});

describe("input rules", () => {
  const errors = (value: unknown, schema: z.ZodType = prisonerInput) => {
    const parsed = schema.safeParse(value);
    expect(parsed.success).toBe(false);
    return parsed.success ? {} : fieldErrors(parsed.error);
  };

  it("needs the English name; takes only the platform's languages", () => {
    expect(errors({ name: { ru: "Борис" } })).toHaveProperty("name.en");
    expect(errors({ name: { en: "", ru: "Борис" } })).toHaveProperty("name.en");
    expect(errors({ name: { en: "Boris", de: "Boris" } })).toHaveProperty("name.de");
    expect(errors({ name: "Boris" })).toHaveProperty("name");
    expect(errors({ name: { en: "Boris" }, story: { fr: "Histoire" } })).toHaveProperty("story.fr");
  });

  it("refuses control and invisible characters, over-long texts, unknown statuses and fields", () => {
    expect(errors({ name: { en: "Boris\u0000" } })).toHaveProperty("name.en");
    expect(errors({ name: { en: "Boris \u202Egnp.exe" } })).toHaveProperty("name.en");
    expect(errors({ name: { en: "Bo\u200Bris" } })).toHaveProperty("name.en");
    expect(errors({ name: { en: "B".repeat(121) } })).toHaveProperty("name.en");
    expect(errors({ name: { en: "Boris" }, story: { en: "s".repeat(20_001) } })).toHaveProperty(
      "story.en",
    );
    expect(errors({ name: { en: "Boris" }, heldAt: "h".repeat(201) })).toHaveProperty("heldAt");
    expect(errors({ name: { en: "Boris" }, sentence: { en: "s".repeat(301) } })).toHaveProperty(
      "sentence.en",
    );
    expect(errors({ name: { en: "Boris" }, heldAt: 7 })).toHaveProperty("heldAt");
    expect(errors({ name: { en: "Boris" }, status: "free" })).toHaveProperty("status");
    expect(errors({ name: { en: "Boris" }, lettersSafe: "yes" })).toHaveProperty("lettersSafe");
    expect(errors({ name: { en: "Boris" }, slug: "Not A Slug" })).toHaveProperty("slug");
    expect(errors({ name: { en: "Boris" }, recipient: "x" })).toHaveProperty("recipient");
    expect(errors({ lettersAddress: "a\u0007b" }, prisonerPatch)).toHaveProperty("lettersAddress");
  });

  it("keeps line breaks in stories and addresses, normalises and trims texts", () => {
    const parsed = prisonerInput.parse({
      name: { en: "  Cafe\u0301 Person ", ru: "" },
      story: { en: "One.\r\n\r\nTwo." },
      lettersAddress: "Line 1\nLine 2",
      heldAt: "",
    });
    expect(parsed.name).toEqual({ en: "Café Person" });
    expect(parsed.story).toEqual({ en: "One.\n\nTwo." });
    expect(parsed.lettersAddress).toBe("Line 1\nLine 2");
    expect(parsed.heldAt).toBeNull();
    // Where held and the sentence: one text for every language, or per language.
    expect(prisonerPatch.parse({ heldAt: "Colony" }).heldAt).toEqual({ "*": "Colony" });
    expect(prisonerPatch.parse({ sentence: { ru: "Пять лет", en: "" } }).sentence).toEqual({
      ru: "Пять лет",
    });
    expect(prisonerPatch.parse({ sentence: {} }).sentence).toBeNull();
  });
});

describe("creating and changing profiles", () => {
  it("makes the slug from the English name, unique, and writes an audit row without the texts", async () => {
    const a = await createPrisoner(
      admin,
      prisonerInput.parse({
        name: { en: "Slug Test Person", ru: "Тест Слаг" },
        story: { en: "A story." },
        lettersAddress: ADDRESS,
        status: "sentenced",
      }),
    );
    const b = await createPrisoner(
      admin,
      prisonerInput.parse({ name: { en: "Slug Test Person" } }),
    );
    const c = await createPrisoner(admin, prisonerInput.parse({ name: { en: "Юрий Тестов" } }));
    expect(a.slug).toBe("slug-test-person");
    expect(b.slug).toBe("slug-test-person-2");
    expect(c.slug).toBe("yurij-testov");
    const [row] = await auditRows(a.id);
    expect(row?.action).toBe("prisoner.create");
    expect(row?.actorUserId).toBe(admin.id);
    expect(row?.details).not.toContain("Secretville");
    expect(row?.details).not.toContain("A story");
    expect(JSON.parse(row!.details)).toMatchObject({ status: "sentenced", lettersSafe: false });
  });

  it("refuses a slug another prisoner has (409), changing nothing", async () => {
    const a = await createPrisoner(admin, prisonerInput.parse({ name: { en: "Taken Slug One" } }));
    const b = await createPrisoner(admin, prisonerInput.parse({ name: { en: "Taken Slug Two" } }));
    const error = await refusal(updatePrisoner(admin, b.id, { slug: a.slug, status: "released" }));
    expect(error.status).toBe(409);
    expect(error.fields).toEqual({ slug: "v.prisonerSlugTaken" });
    const after = await prisonerAdminView(b.id);
    expect(after.slug).toBe(b.slug);
    expect(after.status).toBe("detained");
    expect(await auditRows(b.id)).toHaveLength(1);
    const explicit = await refusal(
      createPrisoner(admin, prisonerInput.parse({ name: { en: "X" }, slug: a.slug })),
    );
    expect(explicit.status).toBe(409);
  });

  it("changes only the fields given, each whole, and audits the field names", async () => {
    const { id } = await createPrisoner(
      admin,
      prisonerInput.parse({
        name: { en: "Patch Person", ru: "Патч" },
        story: { en: "Old story.", ru: "Старая история." },
        heldAt: "Somewhere",
      }),
    );
    await updatePrisoner(
      admin,
      id,
      prisonerPatch.parse({ story: { ru: "Новая история." }, heldAt: "", status: "released" }),
    );
    const view = await prisonerAdminView(id);
    expect(view.name).toEqual({ en: "Patch Person", ru: "Патч" });
    expect(view.story).toEqual({ ru: "Новая история." });
    expect(view.heldAt).toBeNull();
    expect(view.status).toBe("released");
    const rows = await auditRows(id);
    expect(rows.at(-1)?.action).toBe("prisoner.update");
    expect(JSON.parse(rows.at(-1)!.details)).toEqual({
      fields: ["story", "heldAt", "status"],
      status: "released",
    });
    expect(rows.at(-1)?.details).not.toContain("история");
  });

  it("answers 404 for an unknown or hostile id", async () => {
    expect((await refusal(updatePrisoner(admin, "no-such-id", { status: "died" }))).status).toBe(
      404,
    );
    expect((await refusal(updatePrisoner(admin, "x".repeat(500), {}))).status).toBe(404);
    expect((await refusal(prisonerAdminView("no-such-id"))).status).toBe(404);
    expect((await refusal(publicPrisonerJson(undefined))).status).toBe(404);
  });
});

describe("the letters address", () => {
  it("is in no public view until marked safe, and is in all of them after", async () => {
    const { id, slug } = await createPrisoner(
      admin,
      prisonerInput.parse({ name: { en: "Letters Person" }, lettersAddress: ADDRESS }),
    );
    const publicText = async () =>
      JSON.stringify([
        await publicPrisonerBySlug(slug, "en"),
        await publicPrisonerBySlug(slug, "ru"),
        await publicPrisonerJson(id),
        await publicPrisonersJson(),
        await publicPrisoners("en"),
      ]);
    expect(await publicText()).not.toContain("Secretville");
    expect((await prisonerAdminView(id)).lettersAddress).toBe(ADDRESS);
    await updatePrisoner(admin, id, { lettersSafe: true });
    expect((await publicPrisonerBySlug(slug, "en"))?.lettersAddress).toBe(ADDRESS);
    expect((await publicPrisonerJson(id)).lettersAddress).toBe(ADDRESS);
    // The lists never carry it (a profile does).
    expect(JSON.stringify(await publicPrisonersJson())).not.toContain("Secretville");
    await updatePrisoner(admin, id, { lettersSafe: false });
    expect(await publicText()).not.toContain("Secretville");
    const listed = (await listPrisonersAdmin("en")).find((p) => p.id === id);
    expect(listed).toMatchObject({ lettersAddress: true, lettersSafe: false });
  });
});

describe("public views", () => {
  it("show the reader's language, falling back to English; festivals are published ones only", async () => {
    const { id, slug } = await createPrisoner(
      admin,
      prisonerInput.parse({
        name: { en: "View Person", ru: "Вью Персон" },
        story: { en: "English story." },
        summary: { en: "Summary.", ru: "Кратко." },
      }),
    );
    const published = await createFestivalRow({
      name: "View Published Fest",
      status: "published",
      publishedAt: new Date(),
    });
    const draft = await createFestivalRow({ name: "View Draft Fest" });
    await prisma.festivalPrisoner.createMany({
      data: [
        { festivalId: published.id, prisonerId: id },
        { festivalId: draft.id, prisonerId: id },
      ],
    });
    const ru = await publicPrisonerBySlug(slug, "ru");
    expect(ru).toMatchObject({ name: "Вью Персон", summary: "Кратко.", story: "English story." });
    expect(ru?.storyLanguage).toBe("en");
    expect(ru?.festivals.map((f) => f.name)).toEqual(["View Published Fest"]);
    expect(await publicPrisonerBySlug("no-such-slug", "en")).toBeNull();
    expect(await publicPrisonerBySlug("x".repeat(200), "en")).toBeNull();
    const cards = await supportedPrisonerCards(published.id, "ru");
    expect(cards.map((c) => c.name)).toEqual(["Вью Персон"]);
  });

  it("carry raised and paid-out figures per currency from the ledger", async () => {
    const { id, slug } = await createPrisoner(
      admin,
      prisonerInput.parse({ name: { en: "Figures Person" } }),
    );
    const festival = await createFestivalRow({ name: "Figures Fest" });
    const f = festival.id;
    const at = new Date();
    const fund = { festivalId: f, currency: "EUR", code: "fund" as const, prisonerId: id };
    const stripe = { festivalId: f, currency: "EUR", code: "stripe_balance" as const };
    await writeTransaction((tx) =>
      writeChange(tx, {
        ledger: [
          {
            id: `test:pay:${id}`,
            festivalId: f,
            kind: "payment",
            at,
            postings: [
              { account: stripe, amountMinor: 10_000 },
              {
                account: { festivalId: f, currency: "EUR", code: "income", category: "ticket" },
                amountMinor: -10_000,
              },
            ],
          },
          {
            id: `test:alloc:${id}`,
            festivalId: f,
            kind: "allocation",
            at,
            postings: [
              {
                account: { festivalId: f, currency: "EUR", code: "allocated", prisonerId: id },
                amountMinor: 7_500,
              },
              { account: fund, amountMinor: -7_500 },
            ],
          },
          {
            id: `test:payout:${id}`,
            festivalId: f,
            kind: "payout",
            purpose: "lawyer",
            at,
            postings: [
              { account: fund, amountMinor: 2_000 },
              { account: stripe, amountMinor: -2_000 },
            ],
          },
        ],
      }),
    );
    const expected = [{ currency: "EUR", raisedMinor: 7_500, paidOutMinor: 2_000 }];
    expect((await publicPrisonerBySlug(slug, "en"))?.figures).toEqual(expected);
    expect((await publicPrisonerJson(id)).figures).toEqual(expected);
    expect((await publicPrisonersJson()).find((p) => p.id === id)?.figures).toEqual(expected);
    expect((await publicPrisoners("en")).find((p) => p.id === id)?.figures).toEqual(expected);
    // Nothing raised: no figures, not zeros.
    const other = await createPrisoner(admin, prisonerInput.parse({ name: { en: "No Money" } }));
    expect((await publicPrisonerJson(other.id)).figures).toEqual([]);
  });
});

describe("photos", () => {
  it("are stored as WebP with no EXIF or GPS; a new one replaces the old and its files", async () => {
    const { id, slug } = await createPrisoner(
      admin,
      prisonerInput.parse({ name: { en: "Photo Person" } }),
    );
    const before = mediaFiles();
    const { photo } = await setPrisonerPhoto(admin, id, await gpsJpeg());
    expect(photo).toMatchObject({ width: 900, height: 600, thumbWidth: 400, thumbHeight: 267 });
    expect(photo?.thumbUrl).toMatch(/^\/media\/[A-Za-z0-9_-]{22}-t\.webp$/);
    const file = path.join(mediaDir(), path.basename(photo!.url));
    const meta = await sharp(fs.readFileSync(file)).metadata();
    expect(meta.format).toBe("webp");
    expect(meta.exif).toBeUndefined();
    expect(meta.icc).toBeUndefined();
    expect(fs.readFileSync(file).includes(Buffer.from("SpyCam"))).toBe(false);
    expect((await publicPrisonerBySlug(slug, "en"))?.photo?.url).toBe(photo?.url);
    const added = mediaFiles().filter((f) => !before.includes(f));
    expect(added).toHaveLength(2);

    const second = await setPrisonerPhoto(
      admin,
      id,
      await sharp({ create: { width: 50, height: 80, channels: 3, background: "#363" } })
        .png()
        .toBuffer(),
    );
    expect(second.photo).toMatchObject({ width: 50, height: 80 });
    const now = mediaFiles();
    for (const old of added) expect(now).not.toContain(old);
    await removePrisonerPhoto(admin, id);
    expect((await prisonerAdminView(id)).photo).toBeNull();
    expect(mediaFiles()).toEqual(before);
    const actions = (await auditRows(id)).map((r) => r.action);
    expect(actions).toEqual([
      "prisoner.create",
      "prisoner.photo.set",
      "prisoner.photo.set",
      "prisoner.photo.remove",
    ]);
  });

  it("refuses what is not a picture, or an unknown prisoner, leaving no file and no change", async () => {
    const { id } = await createPrisoner(
      admin,
      prisonerInput.parse({ name: { en: "Bad Photo Person" } }),
    );
    const before = mediaFiles();
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    );
    expect((await refusal(setPrisonerPhoto(admin, id, svg))).status).toBe(415);
    const truncated = (await gpsJpeg()).subarray(0, 400);
    expect((await refusal(setPrisonerPhoto(admin, id, truncated))).status).toBe(422);
    expect((await refusal(setPrisonerPhoto(admin, "no-such-id", await gpsJpeg()))).status).toBe(
      404,
    );
    expect(mediaFiles()).toEqual(before);
    expect((await prisonerAdminView(id)).photo).toBeNull();
    expect((await auditRows(id)).map((r) => r.action)).toEqual(["prisoner.create"]);
  });
});
