// Tattoo artists, their pictures and flash designs, called directly on a real
// SQLite file (app/models/tattoo-artist.server.ts): names and aliases, bios in
// the festival's languages, the earmark among the supported prisoners, linking
// an account (the artist membership and nothing else), who may act for which
// artist, flash capacity that never goes below what is taken, the public view
// (no contact, no account), refusing to remove an artist with bookings, and
// files that come and go with their rows. Every change writes its audit row.
import fs from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshTestEnv } from "../helpers/env";
import {
  createFestivalRow,
  createPrisonerRow,
  createTicketTypeRow,
  createUserRow,
  uniqueEmail,
} from "../helpers/fixtures";
import {
  addPortfolioImage,
  artistFor,
  artistInput,
  artistScope,
  createArtist,
  createFlash,
  deleteArtist,
  flashInput,
  getArtistView,
  linkArtistAccount,
  listArtists,
  publicArtists,
  removeImage,
  reorderPortfolio,
  unlinkArtistAccount,
  updateArtist,
  updateFlash,
  type ArtistRow,
} from "~/models/tattoo-artist.server";
import type { CurrentUser } from "~/utils/auth.server";
import { disconnectDatabase, prisma, sqlClient, sqlDate } from "~/utils/db.server";
import { DomainError, FieldRulesError } from "~/utils/domain-error";
import { mediaDir } from "~/utils/images.server";

beforeAll(() => {
  freshTestEnv();
});
afterAll(() => disconnectDatabase());

async function currentUser(id: string): Promise<CurrentUser> {
  const u = await prisma.user.findUniqueOrThrow({
    where: { id },
    include: { memberships: { select: { festivalId: true, role: true } } },
  });
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role as CurrentUser["role"],
    locale: null,
    memberships: u.memberships.map((m) => ({
      festivalId: m.festivalId,
      role: m.role as CurrentUser["memberships"][number]["role"],
    })),
  };
}

let admin: CurrentUser;
beforeAll(async () => {
  admin = await currentUser((await createUserRow({ role: "admin" })).id);
});

const audits = (action: string, targetId?: string) =>
  prisma.auditEvent.count({ where: { action, ...(targetId ? { targetId } : {}) } });

async function thrown(promise: Promise<unknown>) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

async function row(id: string): Promise<ArtistRow> {
  return artistFor(admin, id, "festival:tattoo");
}

async function photo(width = 600, height = 400) {
  return sharp({ create: { width, height, channels: 3, background: "#884422" } })
    .jpeg()
    .withExif({
      IFD0: { Make: "SpyCam" },
      IFD3: { GPSLatitudeRef: "N", GPSLatitude: "56/1 57/1 0/1" },
    })
    .toBuffer();
}

const mediaFiles = () => (fs.existsSync(mediaDir()) ? fs.readdirSync(mediaDir()).sort() : []);

describe("artists", () => {
  it("an alias is enough; bio per festival language; the contact stays out of the public view", async () => {
    const festival = await createFestivalRow();
    const input = artistInput.parse({
      name: "  Ink Fox ",
      bio: { en: "Dotwork and linework.", ru: "Дотворк и лайнворк." },
      contact: "@inkfox on Signal",
    });
    const { id } = await createArtist(admin, festival.id, input);
    expect(await audits("tattooArtist.create", id)).toBe(1);
    const [view] = await listArtists(festival.id);
    expect(view).toMatchObject({
      id,
      name: "Ink Fox",
      contact: "@inkfox on Signal",
      account: null,
    });
    expect(view!.bio).toEqual({ en: "Dotwork and linework.", ru: "Дотворк и лайнворк." });
    const pub = await publicArtists(festival.id, "ru");
    expect(pub).toEqual([
      {
        id,
        name: "Ink Fox",
        bio: "Дотворк и лайнворк.",
        prisonerId: null,
        portfolio: [],
        flash: [],
      },
    ]);
    expect(JSON.stringify(pub)).not.toContain("Signal");
  });

  it("refuses an empty or 81-character name, a bio in a language the festival lacks, an unsupported earmark", async () => {
    expect(artistInput.safeParse({ name: "   " }).success).toBe(false);
    expect(artistInput.safeParse({ name: "x".repeat(81) }).success).toBe(false);
    expect(artistInput.safeParse({ name: "x".repeat(80) }).success).toBe(true);
    expect(artistInput.safeParse({ name: "A", legalName: "B" }).success).toBe(false);
    const festival = await createFestivalRow();
    const before = await prisma.tattooArtist.count();
    const foreign = await thrown(
      createArtist(admin, festival.id, artistInput.parse({ name: "A", bio: { de: "Hallo" } })),
    );
    expect(foreign).toBeInstanceOf(FieldRulesError);
    expect(foreign.fields).toEqual({ "bio.de": "v.festivalLanguage" });
    const other = await createFestivalRow();
    const elsewhere = await createPrisonerRow(`p-${Date.now()}`, { en: "Elsewhere" }, [other.id]);
    const earmark = await thrown(
      createArtist(admin, festival.id, artistInput.parse({ name: "A", prisonerId: elsewhere.id })),
    );
    expect(earmark.fields).toEqual({ prisonerId: "v.unsupportedPrisoner" });
    expect(await prisma.tattooArtist.count()).toBe(before);
    // One the festival supports is fine, and may be changed and cleared.
    const supported = await createPrisonerRow(`q-${Date.now()}`, { en: "Here" }, [festival.id]);
    const { id } = await createArtist(
      admin,
      festival.id,
      artistInput.parse({ name: "A", prisonerId: supported.id }),
    );
    expect((await row(id)).prisonerId).toBe(supported.id);
    await updateArtist(admin, await row(id), { prisonerId: null, contact: null });
    expect((await row(id)).prisonerId).toBeNull();
    expect(await audits("tattooArtist.update", id)).toBe(1);
  });
});

describe("linking an account, and who acts for which artist", () => {
  it("links by email with the artist role, keeps an organiser's role, and unlinks only the artist membership", async () => {
    const festival = await createFestivalRow();
    const a = await createArtist(admin, festival.id, artistInput.parse({ name: "Needle" }));
    const b = await createArtist(admin, festival.id, artistInput.parse({ name: "Thread" }));
    const unknown = await thrown(linkArtistAccount(admin, await row(a.id), uniqueEmail("none")));
    expect(unknown.status).toBe(422);
    expect(unknown.fields).toEqual({ email: "v.noSuchAccount" });

    const person = await createUserRow();
    await linkArtistAccount(admin, await row(a.id), person.email);
    expect(
      await prisma.festivalMember.findMany({
        where: { userId: person.id },
        select: { festivalId: true, role: true },
      }),
    ).toEqual([{ festivalId: festival.id, role: "artist" }]);
    expect((await row(a.id)).userId).toBe(person.id);
    expect(await audits("tattooArtist.link", a.id)).toBe(1);
    // One account, one artist per festival.
    const twice = await thrown(linkArtistAccount(admin, await row(b.id), person.email));
    expect(twice.status).toBe(409);

    // The linked artist acts for their own artist only; nothing else of the festival.
    const artistUser = await currentUser(person.id);
    expect(await artistScope(artistUser, festival.id)).toEqual([a.id]);
    expect(await artistScope(admin, festival.id)).toBeNull();
    expect((await artistFor(artistUser, a.id, "tattoo:artist")).id).toBe(a.id);
    expect((await thrown(artistFor(artistUser, b.id, "tattoo:artist"))).status).toBe(404);
    expect((await thrown(artistFor(artistUser, a.id, "festival:tattoo"))).status).toBe(403);
    // Another festival's artist looks like none.
    const other = await createFestivalRow();
    const c = await createArtist(admin, other.id, artistInput.parse({ name: "Elsewhere" }));
    expect((await thrown(artistFor(artistUser, c.id, "tattoo:artist"))).status).toBe(404);
    expect((await thrown(artistFor(artistUser, "nope", "tattoo:artist"))).status).toBe(404);

    await unlinkArtistAccount(admin, await row(a.id));
    expect(await prisma.festivalMember.count({ where: { userId: person.id } })).toBe(0);
    expect((await row(a.id)).userId).toBeNull();

    // An organiser linked to an artist stays an organiser, before and after.
    const organiser = await createUserRow();
    await prisma.festivalMember.create({
      data: { festivalId: festival.id, userId: organiser.id, role: "organiser" },
    });
    await linkArtistAccount(admin, await row(b.id), organiser.email);
    const roles = async () =>
      (await prisma.festivalMember.findMany({ where: { userId: organiser.id } })).map(
        (m) => m.role,
      );
    expect(await roles()).toEqual(["organiser"]);
    expect((await row(b.id)).userId).toBe(organiser.id);
    await unlinkArtistAccount(admin, await row(b.id));
    expect(await roles()).toEqual(["organiser"]);
  });

  it("an organiser's scope is every artist; a member with no tie gets 404", async () => {
    const festival = await createFestivalRow();
    const a = await createArtist(admin, festival.id, artistInput.parse({ name: "One" }));
    const organiser = await createUserRow();
    await prisma.festivalMember.create({
      data: { festivalId: festival.id, userId: organiser.id, role: "organiser" },
    });
    const org = await currentUser(organiser.id);
    expect(await artistScope(org, festival.id)).toBeNull();
    expect((await artistFor(org, a.id, "festival:tattoo")).id).toBe(a.id);
    const stranger = await currentUser((await createUserRow()).id);
    expect((await thrown(artistFor(stranger, a.id, "tattoo:artist"))).status).toBe(404);
    // Door staff run the corner, not the artists.
    const door = await createUserRow();
    await prisma.festivalMember.create({
      data: { festivalId: festival.id, userId: door.id, role: "door" },
    });
    expect(
      (await thrown(artistFor(await currentUser(door.id), a.id, "tattoo:artist"))).status,
    ).toBe(403);
  });
});

describe("pictures", () => {
  it("adds, reorders and removes portfolio pictures; files go with their rows", async () => {
    const festival = await createFestivalRow();
    const { id } = await createArtist(admin, festival.id, artistInput.parse({ name: "Pics" }));
    const artist = await row(id);
    const before = mediaFiles();
    const first = await addPortfolioImage(admin, artist, await photo());
    const second = await addPortfolioImage(admin, artist, await photo(300, 500));
    expect(mediaFiles().length).toBe(before.length + 4);
    expect(await audits("tattooImage.add")).toBeGreaterThanOrEqual(2);
    // The stored file has no EXIF (GPS, camera).
    const stored = fs.readFileSync(path.join(mediaDir(), first.url.replace("/media/", "")));
    expect((await sharp(stored).metadata()).exif).toBeUndefined();
    expect(stored.includes(Buffer.from("SpyCam"))).toBe(false);

    await reorderPortfolio(admin, artist, [second.id, first.id]);
    expect((await getArtistView(artist)).images.map((i) => i.id)).toEqual([second.id, first.id]);
    const bad = await thrown(reorderPortfolio(admin, artist, ["not-an-image"]));
    expect(bad.fields).toEqual({ imageIds: "v.unknownImage" });

    await removeImage(admin, artist, first.id);
    expect(await prisma.tattooImage.count({ where: { id: first.id } })).toBe(0);
    expect(mediaFiles().length).toBe(before.length + 2);
    expect(await audits("tattooImage.remove", first.id)).toBe(1);
    expect(mediaFiles()).not.toContain(first.url.replace("/media/", ""));
  });

  it("a picture whose row cannot be written leaves no file behind; a refused picture neither", async () => {
    const festival = await createFestivalRow();
    const { id } = await createArtist(admin, festival.id, artistInput.parse({ name: "Gone" }));
    const artist = await row(id);
    await prisma.tattooArtist.delete({ where: { id } }); // removed meanwhile: the insert fails
    const before = mediaFiles();
    const images = await prisma.tattooImage.count();
    await expect(addPortfolioImage(admin, artist, await photo())).rejects.toThrow();
    expect(mediaFiles()).toEqual(before);
    const other = await createArtist(admin, festival.id, artistInput.parse({ name: "Other" }));
    const refused = await thrown(
      addPortfolioImage(admin, await row(other.id), Buffer.from("<svg></svg>")),
    );
    expect(refused.status).toBe(415);
    expect(mediaFiles()).toEqual(before);
    expect(await prisma.tattooImage.count()).toBe(images);
  });
});

describe("flash designs", () => {
  it("limited and unlimited designs; maxUses never below what is taken; gone ones are not public", async () => {
    const festival = await createFestivalRow();
    const { id } = await createArtist(admin, festival.id, artistInput.parse({ name: "Flash" }));
    const artist = await row(id);
    const limited = await createFlash(
      admin,
      artist,
      flashInput.parse({ title: "Swallow", size: "5 × 5 cm", minDonationMinor: 3000, maxUses: 3 }),
      await photo(),
    );
    const open = await createFlash(
      admin,
      artist,
      flashInput.parse({ title: "Dagger", minDonationMinor: 2000 }),
      null,
    );
    expect(await audits("flash.create", limited.id)).toBe(1);
    // Two uses taken (what bookings do through the item kind).
    await sqlClient().execute({
      sql: `UPDATE FlashDesign SET reserved = 2 WHERE id = ?`,
      args: [limited.id],
    });
    const below = await thrown(updateFlash(admin, artist, limited.id, { maxUses: 1 }));
    expect(below.status).toBe(409);
    expect(below.code).toBe("flash_uses_taken");
    expect(await prisma.flashDesign.findUnique({ where: { id: limited.id } })).toMatchObject({
      maxUses: 3,
    });
    await updateFlash(admin, artist, limited.id, { maxUses: 2 });
    let pub = (await publicArtists(festival.id, "en"))[0]!;
    // Full (2 of 2 taken): no longer offered.
    expect(pub.flash.map((f) => f.id)).toEqual([open.id]);
    await updateFlash(admin, artist, limited.id, { maxUses: 5, title: "Swallow pair" });
    pub = (await publicArtists(festival.id, "en"))[0]!;
    expect(pub.flash).toEqual([
      {
        id: limited.id,
        title: "Swallow pair",
        size: "5 × 5 cm",
        minDonationMinor: 3000,
        remaining: 3,
        image: expect.objectContaining({
          url: expect.stringMatching(/^\/media\/[\w-]{22}\.webp$/),
        }),
      },
      {
        id: open.id,
        title: "Dagger",
        size: null,
        minDonationMinor: 2000,
        remaining: null,
        image: null,
      },
    ]);
    // A flash picture is not in the portfolio.
    expect(pub.portfolio).toEqual([]);
    await updateFlash(admin, artist, open.id, { status: "gone" });
    pub = (await publicArtists(festival.id, "en"))[0]!;
    expect(pub.flash.map((f) => f.id)).toEqual([limited.id]);
    // Unlimited again is always allowed.
    await updateFlash(admin, artist, limited.id, { maxUses: null });
    expect((await publicArtists(festival.id, "en"))[0]!.flash[0]!.remaining).toBeNull();
    expect(flashInput.safeParse({ title: "X", minDonationMinor: -1 }).success).toBe(false);
    expect(flashInput.safeParse({ title: "X", minDonationMinor: 1.5 }).success).toBe(false);
    expect(flashInput.safeParse({ title: "X", minDonationMinor: 1, maxUses: 0 }).success).toBe(
      false,
    );
    expect(
      flashInput.safeParse({ title: "X", minDonationMinor: 1e12 }).success,
      "absurd amounts",
    ).toBe(false);
    // Another artist's design is not found through this artist.
    const other = await createArtist(admin, festival.id, artistInput.parse({ name: "Other" }));
    expect(
      (await thrown(updateFlash(admin, await row(other.id), limited.id, { title: "Mine" }))).status,
    ).toBe(404);
  });
});

describe("removing an artist", () => {
  it("is refused while a booking names the artist; otherwise takes pictures, files and the artist membership", async () => {
    const festival = await createFestivalRow();
    const { id } = await createArtist(admin, festival.id, artistInput.parse({ name: "Booked" }));
    // A slot and a booking of it, as the item kind writes them.
    const now = new Date();
    const slotId = `slot-${Date.now()}`;
    await sqlClient().execute({
      sql: `INSERT INTO TattooSlot (id, festivalId, artistId, startsAt, endsAt, minDonationMinor, createdAt)
            VALUES (?, ?, ?, ?, ?, 1000, ?)`,
      args: [
        slotId,
        festival.id,
        id,
        sqlDate(new Date("2030-01-26T14:00:00Z")),
        sqlDate(new Date("2030-01-26T15:00:00Z")),
        sqlDate(now),
      ],
    });
    const type = await createTicketTypeRow(festival.id, 1000, 10);
    const order = await prisma.order.create({
      data: {
        id: `ord_tattoo_${Date.now().toString(36)}`,
        festivalId: festival.id,
        code: `TAT-${Date.now().toString(36)}`,
        accessToken: `tok-${Date.now()}-${Math.random()}`,
        email: "booker@example.test",
        status: "confirmed",
        paymentMethod: "door",
        currency: "EUR",
        totalMinor: 1000,
        items: {
          create: {
            id: `itm_tattoo_${Date.now().toString(36)}`,
            kind: "ticket",
            ticketTypeId: type.id,
            quantity: 1,
            unitPriceMinor: 1000,
            amountMinor: 1000,
          },
        },
      },
      include: { items: true },
    });
    await sqlClient().execute({
      sql: `INSERT INTO TattooBooking (orderItemId, orderId, festivalId, artistId, slotId, status, holdsSlot, createdAt, updatedAt)
            VALUES (?, ?, ?, ?, ?, 'cancelled', 0, ?, ?)`,
      args: [order.items[0]!.id, order.id, festival.id, id, slotId, sqlDate(now), sqlDate(now)],
    });
    const refused = await thrown(deleteArtist(admin, await row(id)));
    expect(refused.status).toBe(409);
    expect(refused.code).toBe("artist_has_bookings");
    expect(await prisma.tattooArtist.count({ where: { id } })).toBe(1);

    const free = await createArtist(admin, festival.id, artistInput.parse({ name: "Free" }));
    const person = await createUserRow();
    await linkArtistAccount(admin, await row(free.id), person.email);
    const before = mediaFiles();
    await addPortfolioImage(admin, await row(free.id), await photo());
    await createFlash(
      admin,
      await row(free.id),
      flashInput.parse({ title: "Rose", minDonationMinor: 100 }),
      await photo(),
    );
    expect(mediaFiles().length).toBe(before.length + 4);
    await deleteArtist(admin, await row(free.id));
    expect(await prisma.tattooArtist.count({ where: { id: free.id } })).toBe(0);
    expect(await prisma.flashDesign.count({ where: { artistId: free.id } })).toBe(0);
    expect(await prisma.tattooImage.count({ where: { artistId: free.id } })).toBe(0);
    expect(mediaFiles()).toEqual(before);
    expect(await prisma.festivalMember.count({ where: { userId: person.id } })).toBe(0);
    expect(await audits("tattooArtist.delete", free.id)).toBe(1);
  });
});
