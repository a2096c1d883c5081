// Tattoo availability and the public slot list over real HTTP:
// POST /api/v1/artists/:id/availability, PATCH and DELETE /api/v1/availability/:id,
// GET /api/v1/festivals/:id/tattoo-slots. Hostile input gets a clear 4xx and
// leaves the database as it was; the public list never carries a booker's
// email or name.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, sendRaw, startTestApp, type TestApp } from "../helpers/app";
import { expectApiError, unchanged } from "../helpers/bad-input";
import {
  addMember,
  apiToken,
  createFestivalRow,
  createUserRow,
  signedInClient,
  uniqueEmail,
} from "../helpers/fixtures";
import { bookSlotDirectly, createArtistRow } from "../helpers/tattoo";
import { prisma, sqlClient } from "~/utils/db.server";

let app: TestApp;
let token: string;
let festivalId: string;
let artistId: string;
let otherArtistId: string;
let draftId: string;
let client: Client;
let organiserEmail: string;
let organiserId: string;

// The festival: 2030-01-26 in Riga (UTC+2 in winter).
const body = (overrides: Record<string, unknown> = {}) => ({
  startsAt: "2030-01-26T12:00",
  endsAt: "2030-01-26T16:00",
  slotMinutes: 45,
  bufferMinutes: 15,
  breaks: [{ startsAt: "2030-01-26T14:00", endsAt: "2030-01-26T14:30" }],
  minDonationMinor: 2500,
  ...overrides,
});
const post = (id: string, b: unknown, t: string | undefined = token) =>
  client.api("POST", `/api/v1/artists/${id}/availability`, b, t);

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  client = new Client(app.url);
  const organiser = await createUserRow({ email: uniqueEmail("tattoo-organiser") });
  const festival = await createFestivalRow({
    name: "Ink for Freedom",
    timezone: "Europe/Riga",
    status: "published",
    publishedAt: new Date(),
  });
  festivalId = festival.id;
  await addMember(festival.id, organiser.id, "organiser");
  token = await apiToken(app.url, organiser.email);
  organiserEmail = organiser.email;
  organiserId = organiser.id;
  artistId = (await createArtistRow(festival.id, { name: "Needle & Thread" })).id;
  const other = await createFestivalRow({ name: "Another city" });
  otherArtistId = (await createArtistRow(other.id, { name: "Elsewhere" })).id;
  draftId = (await createFestivalRow({ name: "Draft fest" })).id;
});

afterAll(async () => {
  await app?.close();
});

describe("POST /api/v1/artists/:id/availability", () => {
  it("201 with the slots as UTC instants, around the break", async () => {
    const res = await post(artistId, body());
    expect(res.status, res.text).toBe(201);
    const out = res.json<{
      id: string;
      slots: { id: string; startsAt: string; endsAt: string }[];
    }>();
    expect(typeof out.id).toBe("string");
    // 12:00, 13:00, then the break (14:00–14:30), 14:30; 15:30 would end after 16:00.
    expect(out.slots.map((s) => [s.startsAt, s.endsAt])).toEqual([
      ["2030-01-26T10:00:00.000Z", "2030-01-26T10:45:00.000Z"],
      ["2030-01-26T11:00:00.000Z", "2030-01-26T11:45:00.000Z"],
      ["2030-01-26T12:30:00.000Z", "2030-01-26T13:15:00.000Z"],
    ]);
    // The same window again: refused by the database's rule, named.
    const again = await unchanged(() => post(artistId, body()));
    const err = expectApiError(again, 409);
    expect(err.error).toBe("tattoo_slot_overlap");
    expect(err.message).toContain("2030-01-26 12:00–12:45");
  });

  it("hostile or wrong input: a clear 4xx, nothing written", async () => {
    const cases: [string, unknown, number, string | undefined][] = [
      ["negative slot", body({ slotMinutes: -45 }), 422, "slotMinutes"],
      ["zero slot", body({ slotMinutes: 0 }), 422, "slotMinutes"],
      ["absurd slot", body({ slotMinutes: 1e12 }), 422, "slotMinutes"],
      ["fractional slot", body({ slotMinutes: 45.5 }), 422, "slotMinutes"],
      ["slot as a string", body({ slotMinutes: "45" }), 422, "slotMinutes"],
      ["negative buffer", body({ bufferMinutes: -1 }), 422, "bufferMinutes"],
      ["absurd buffer", body({ bufferMinutes: 100000 }), 422, "bufferMinutes"],
      ["negative donation", body({ minDonationMinor: -100 }), 422, "minDonationMinor"],
      ["absurd donation", body({ minDonationMinor: 1e15 }), 422, "minDonationMinor"],
      ["donation as a string", body({ minDonationMinor: "2500" }), 422, "minDonationMinor"],
      ["notice too long", body({ minNoticeMinutes: 10081 }), 422, "minNoticeMinutes"],
      [
        "end before start",
        body({ startsAt: "2030-01-26T16:00", endsAt: "2030-01-26T12:00", breaks: [] }),
        422,
        "endsAt",
      ],
      [
        "a window in another year",
        body({ startsAt: "2031-01-26T12:00", endsAt: "2031-01-26T16:00", breaks: [] }),
        422,
        "startsAt",
      ],
      ["not a date", body({ startsAt: "soon" }), 422, "startsAt"],
      ["a date as a number", body({ startsAt: 1234567890 }), 422, "startsAt"],
      [
        "break outside the window",
        body({ breaks: [{ startsAt: "2030-01-26T17:00", endsAt: "2030-01-26T17:30" }] }),
        422,
        "breaks.0.startsAt",
      ],
      ["break as a string", body({ breaks: "lunch" }), 422, "breaks"],
      [
        "too many breaks",
        body({
          breaks: Array.from({ length: 21 }, () => ({
            startsAt: "2030-01-26T14:00",
            endsAt: "2030-01-26T14:05",
          })),
        }),
        422,
        "breaks",
      ],
      [
        "a window over a day",
        body({ startsAt: "2030-01-25T12:00", endsAt: "2030-01-26T16:00", breaks: [] }),
        422,
        "endsAt",
      ],
      ["unknown field", body({ reserved: 1 }), 422, "reserved"],
      ["missing fields", {}, 422, "startsAt"],
    ];
    for (const [label, b, status, field] of cases) {
      const res = await unchanged(() => post(artistId, b), festivalId);
      expect(res.status, `${label}: ${res.text}`).toBe(status);
      expectApiError(res, status, field);
    }
  });

  it("an artist of another festival, or unknown, is a 404 (nothing written); no token is a 401", async () => {
    const res = await unchanged(() => post(otherArtistId, body()));
    expectApiError(res, 404);
    expectApiError(await unchanged(() => post("no-such-artist", body())), 404);
    expectApiError(await unchanged(() => post("x".repeat(500), body())), 404);
    expectApiError(await unchanged(() => post(artistId, body(), "")), 401);
  });

  it("a linked artist runs their own windows only; door staff are refused", async () => {
    const artistUser = await createUserRow({ email: uniqueEmail("linked-artist") });
    const own = (
      await createArtistRow(festivalId, { name: "Linked Artist", userId: artistUser.id })
    ).id;
    const artistToken = await apiToken(app.url, artistUser.email);
    const mine = await post(
      own,
      body({ startsAt: "2030-01-26T10:00", endsAt: "2030-01-26T11:00", breaks: [] }),
      artistToken,
    );
    expect(mine.status, mine.text).toBe(201);
    expectApiError(await unchanged(() => post(artistId, body(), artistToken)), 404);
    const doorUser = await createUserRow({ email: uniqueEmail("tattoo-door") });
    await addMember(festivalId, doorUser.id, "door");
    const doorToken = await apiToken(app.url, doorUser.email);
    expectApiError(await unchanged(() => post(own, body(), doorToken)), 403);
  });

  it("oversized or broken bodies", async () => {
    const big = JSON.stringify(body({ padding: "a".repeat(100 * 1024) }));
    const res = await unchanged(() =>
      sendRaw(app.url, "POST", `/api/v1/artists/${artistId}/availability`, Buffer.from(big), {
        "Content-Type": "application/json",
        "Content-Length": String(Buffer.byteLength(big)),
        Authorization: `Bearer ${token}`,
      }),
    );
    expect(res.status).toBe(413);
    expectApiError(await unchanged(() => post(artistId, "{not json")), 400);
    const form = await unchanged(() =>
      client.request("POST", `/api/v1/artists/${artistId}/availability`, {
        body: "startsAt=x",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Authorization: `Bearer ${token}`,
        },
      }),
    );
    expect(form.status).toBe(415);
  });
});

describe("the nights the clocks change, over HTTP", () => {
  it("Riga: a skipped local time is a 422 on the field; a repeated one is the earlier instant", async () => {
    const spring = await createFestivalRow({
      timezone: "Europe/Riga",
      startsAt: new Date("2026-03-28T10:00:00Z"),
      endsAt: new Date("2026-03-29T20:00:00Z"),
    });
    await addMember(spring.id, organiserId, "organiser");
    const springArtist = (await createArtistRow(spring.id)).id;
    const gap = await unchanged(() =>
      post(
        springArtist,
        body({ startsAt: "2026-03-29T03:30", endsAt: "2026-03-29T06:00", breaks: [] }),
      ),
    );
    expectApiError(gap, 422, "startsAt", /does not exist on that day/);
    const across = await post(
      springArtist,
      body({ startsAt: "2026-03-29T02:00", endsAt: "2026-03-29T06:00", breaks: [] }),
    );
    expect(across.status, across.text).toBe(201);
    const slots = across.json<{ slots: { startsAt: string; endsAt: string }[] }>().slots;
    // Three hours elapsed: 02:00, 04:00, 05:00 local, each 45 real minutes.
    expect(slots.map((s) => s.startsAt)).toEqual([
      "2026-03-29T00:00:00.000Z",
      "2026-03-29T01:00:00.000Z",
      "2026-03-29T02:00:00.000Z",
    ]);
    expect(slots.every((s) => Date.parse(s.endsAt) - Date.parse(s.startsAt) === 45 * 60_000)).toBe(
      true,
    );

    const autumn = await createFestivalRow({
      timezone: "Europe/Riga",
      startsAt: new Date("2026-10-24T10:00:00Z"),
      endsAt: new Date("2026-10-25T20:00:00Z"),
    });
    await addMember(autumn.id, organiserId, "organiser");
    const autumnArtist = (await createArtistRow(autumn.id)).id;
    const repeated = await post(
      autumnArtist,
      body({
        startsAt: "2026-10-25T03:00",
        endsAt: "2026-10-25T05:00",
        slotMinutes: 60,
        bufferMinutes: 0,
        breaks: [],
      }),
    );
    expect(repeated.status, repeated.text).toBe(201);
    // From the first 03:00 (+03:00) to 05:00 (+02:00): three hours, three slots.
    expect(repeated.json<{ slots: { startsAt: string }[] }>().slots.map((s) => s.startsAt)).toEqual(
      ["2026-10-25T00:00:00.000Z", "2026-10-25T01:00:00.000Z", "2026-10-25T02:00:00.000Z"],
    );
  });
});

describe("PATCH and DELETE /api/v1/availability/:id", () => {
  it("refuses to move a booked slot (409 naming it and its order), moves only free slots when asked, deletes", async () => {
    const created = (
      await post(
        artistId,
        body({ startsAt: "2030-01-26T18:00", endsAt: "2030-01-26T21:00", breaks: [] }),
      )
    ).json<{ id: string; slots: { id: string; startsAt: string }[] }>();
    expect(created.slots.length).toBe(3);
    const booked = await bookSlotDirectly(created.slots[1]!.id, {
      email: "secret-booker@example.test",
      name: "Secret Booker",
    });
    const patch = (b: unknown) =>
      client.api("PATCH", `/api/v1/availability/${created.id}`, b, token);
    const refused = await unchanged(() => patch({ slotMinutes: 60, bufferMinutes: 0 }));
    const err = expectApiError(refused, 409);
    expect(err.error).toBe("slots_booked");
    expect(err.message).toContain("2030-01-26 19:00–19:45");
    expect(err.message).toContain(booked.code);
    expect(refused.text).not.toContain("secret-booker");

    const moved = await patch({ slotMinutes: 60, bufferMinutes: 0, freeSlotsOnly: true });
    expect(moved.status, moved.text).toBe(200);
    const slots = moved.json<{ slots: { id: string; startsAt: string; endsAt: string }[] }>().slots;
    expect(slots.find((s) => s.id === created.slots[1]!.id)).toMatchObject({
      startsAt: "2030-01-26T17:00:00.000Z",
      endsAt: "2030-01-26T17:45:00.000Z",
    });
    // New grid 18:00–19:00, (19:00–20:00 skipped: it would overlap the held slot), 20:00–21:00.
    expect(slots.map((s) => s.startsAt.slice(11, 16))).toEqual(["16:00", "17:00", "18:00"]);
    expectApiError(await unchanged(() => patch({ slotMinutes: "sixty" })), 422, "slotMinutes");
    expectApiError(await unchanged(() => patch({ freeSlotsOnly: "yes" })), 422, "freeSlotsOnly");

    const del = (q = "") =>
      client.api("DELETE", `/api/v1/availability/${created.id}${q}`, undefined, token);
    expectApiError(await unchanged(() => del()), 409);
    expectApiError(await unchanged(() => del("?freeSlotsOnly=maybe")), 422);
    const partial = await del("?freeSlotsOnly=true");
    expect(partial.status, partial.text).toBe(200);
    expect(partial.json()).toMatchObject({ deleted: false, kept: [{ id: created.slots[1]!.id }] });
    expectApiError(await client.api("DELETE", "/api/v1/availability/nope", undefined, token), 404);
  });
});

describe("GET /api/v1/festivals/:id/tattoo-slots (public)", () => {
  it("lists time, artist, free/taken and minimum donation — never a booker's email or name", async () => {
    const created = (
      await post(
        artistId,
        body({ startsAt: "2030-01-26T22:00", endsAt: "2030-01-26T23:30", breaks: [] }),
      )
    ).json<{ id: string; slots: { id: string }[] }>();
    const email = uniqueEmail("public-list-booker");
    await bookSlotDirectly(created.slots[0]!.id, { email, name: "Natalia Bookerova" });
    const res = await new Client(app.url).get(`/api/v1/festivals/${festivalId}/tattoo-slots`);
    expect(res.status, res.text).toBe(200);
    const out = res.json<{
      slots: { id: string; artistId: string; free: boolean; artistName: string; day: string }[];
    }>();
    const taken = out.slots.find((s) => s.id === created.slots[0]!.id)!;
    expect(taken).toMatchObject({ free: false, artistName: "Needle & Thread", day: "2030-01-26" });
    expect(Object.keys(taken).sort()).toEqual(
      [
        "artistId",
        "artistName",
        "day",
        "endsAt",
        "free",
        "id",
        "minDonationMinor",
        "startsAt",
      ].sort(),
    );
    expect(res.text).not.toContain(email);
    expect(res.text).not.toContain("Bookerova");
    const order = await prisma.tattooBooking.findFirstOrThrow({
      where: { slotId: created.slots[0]!.id },
    });
    expect(res.text).not.toContain(order.orderId);
    // Filters.
    const one = await client.get(
      `/api/v1/festivals/${festivalId}/tattoo-slots?artistId=${artistId}&day=2030-01-26`,
    );
    const mine = out.slots.filter((s) => s.artistId === artistId);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.length).toBeLessThan(out.slots.length);
    expect(one.json<{ slots: unknown[] }>().slots).toEqual(mine);
    const none = await client.get(`/api/v1/festivals/${festivalId}/tattoo-slots?day=2030-01-27`);
    expect(none.json<{ slots: unknown[] }>().slots).toEqual([]);
  });

  it("404 for drafts and unknown festivals; 422 for a bad day or artist id", async () => {
    expectApiError(await client.get(`/api/v1/festivals/${draftId}/tattoo-slots`), 404);
    expectApiError(await client.get(`/api/v1/festivals/unknown/tattoo-slots`), 404);
    expectApiError(
      await client.get(`/api/v1/festivals/${festivalId}/tattoo-slots?day=2030-02-30`),
      422,
      "day",
    );
    expectApiError(
      await client.get(`/api/v1/festivals/${festivalId}/tattoo-slots?artistId=%3Cscript%3E`),
      422,
      "artistId",
    );
    const post = await client.api("POST", `/api/v1/festivals/${festivalId}/tattoo-slots`, {});
    expectApiError(post, 405);
  });

  it("the slots' rows are really there (the list reads the same table)", async () => {
    const { rows } = await sqlClient().execute({
      sql: `SELECT count(*) AS n FROM TattooSlot WHERE festivalId = ? AND status = 'open'`,
      args: [festivalId],
    });
    const res = await client.get(`/api/v1/festivals/${festivalId}/tattoo-slots`);
    expect(res.json<{ slots: unknown[] }>().slots.length).toBe(Number(rows[0]!.n));
  });
});

describe("the organiser page /admin/festivals/:id/tattoo/:artistId/availability", () => {
  it("adds a window in local times, shows slots by state with order codes, refuses to move a booked one", async () => {
    const pageArtist = (await createArtistRow(festivalId, { name: "Page Artist" })).id;
    const browser = await signedInClient(app.url, organiserEmail);
    const page = `/admin/festivals/${festivalId}/tattoo/${pageArtist}/availability`;
    const empty = await browser.get(page);
    expect(empty.status, empty.text.slice(0, 300)).toBe(200);
    expect(empty.text).toContain("Availability of Page Artist");
    const form = {
      intent: "add",
      startsAt: "2030-01-26T12:00",
      endsAt: "2030-01-26T14:00",
      slotMinutes: "45",
      bufferMinutes: "15",
      minDonation: "25",
      minNoticeMinutes: "30",
      "breaks.0.startsAt": "",
      "breaks.0.endsAt": "",
    };
    const added = await browser.postForm(page, form);
    expect(added.status, added.text.slice(0, 300)).toBe(200);
    expect(added.text).toContain("Window added: 2 slots.");
    const w = await prisma.tattooAvailability.findFirstOrThrow({ where: { artistId: pageArtist } });
    expect(w.minDonationMinor).toBe(2500);
    const slot = await prisma.tattooSlot.findFirstOrThrow({
      where: { availabilityId: w.id },
      orderBy: { startsAt: "asc" },
    });
    const email = uniqueEmail("page-booker");
    const booked = await bookSlotDirectly(slot.id, { email, name: "Page Bookerova" });
    const shown = await browser.get(page);
    expect(shown.text).toContain("booked");
    expect(shown.text).toContain(booked.code);
    expect(shown.text).not.toContain(email);
    expect(shown.text).not.toContain("Bookerova");

    // Hostile and wrong values: 400 with the message beside the field, nothing written.
    const bad = await unchanged(() =>
      browser.postForm(page, { ...form, slotMinutes: "-5", minDonation: "lots" }),
    );
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("Use a whole number of minutes from 5 to 720.");
    expect(bad.text).toContain("Enter an amount such as 15 or 15.50");

    const move = { ...form, intent: "update", availabilityId: w.id, startsAt: "2030-01-26T12:30" };
    const refused = await unchanged(() => browser.postForm(page, move));
    expect(refused.status).toBe(409);
    expect(refused.text).toContain("These slots are held or booked");
    expect(refused.text).toContain("Jan 26, 2030, 12:00 PM–12:45 PM");
    expect(refused.text).toContain(booked.code);
    const moved = await browser.postForm(page, { ...move, freeSlotsOnly: "on" });
    expect(moved.status, moved.text.slice(0, 300)).toBe(200);
    expect(moved.text).toContain("Window saved");
    expect(
      (await prisma.tattooSlot.findUniqueOrThrow({ where: { id: slot.id } })).startsAt,
    ).toEqual(slot.startsAt);
    // Delete needs the confirmation step.
    const unconfirmed = await unchanged(() =>
      browser.postForm(page, { intent: "delete", availabilityId: w.id }),
    );
    expect(unconfirmed.status).toBe(400);
    const refusedDelete = await unchanged(() =>
      browser.postForm(page, { intent: "delete", availabilityId: w.id, confirm: "yes" }),
    );
    expect(refusedDelete.status).toBe(409);
    // An artist of another festival under this festival's address: 404.
    expect(
      (await browser.get(`/admin/festivals/${festivalId}/tattoo/${otherArtistId}/availability`))
        .status,
    ).toBe(404);
  });
});
