// Availability windows and their slots, called directly on a real SQLite file:
// one write transaction per change, the database refusing overlapping slots of
// one artist (the domain's 409 and a raw INSERT alike), minimum notice in the
// public list, edits that never silently drop a held slot, and deletion.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshTestEnv } from "../helpers/env";
import { createFestivalRow, createUserRow } from "../helpers/fixtures";
import { bookSlotDirectly, cancelBookingDirectly, createArtistRow } from "../helpers/tattoo";
import {
  addAvailability,
  artistSchedule,
  availabilityInput,
  deleteAvailability,
  listSlots,
  updateAvailability,
} from "~/models/tattoo-slot.server";
import type { CurrentUser } from "~/utils/auth.server";
import { disconnectDatabase, prisma, sqlClient, sqlDate } from "~/utils/db.server";
import { DomainError, FieldRulesError } from "~/utils/domain-error";

beforeAll(() => {
  freshTestEnv();
});
afterAll(() => disconnectDatabase());

const ZONE = "Europe/Riga";
const actor = (
  u: { id: string; email: string; role: string },
  memberships: CurrentUser["memberships"] = [],
): CurrentUser => ({
  id: u.id,
  email: u.email,
  name: null,
  role: u.role as CurrentUser["role"],
  locale: null,
  memberships,
});

/** A festival on 2026-06-13 in Riga, an admin and one artist. */
async function setup() {
  const festival = await createFestivalRow({
    timezone: ZONE,
    startsAt: new Date("2026-06-13T08:00:00Z"),
    endsAt: new Date("2026-06-13T20:00:00Z"),
    status: "published",
    publishedAt: new Date(),
  });
  const admin = actor(await createUserRow({ role: "admin" }));
  const artistId = (await createArtistRow(festival.id, { name: "Inkwell" })).id;
  return { festival, admin, artistId };
}

const window = (overrides: Record<string, unknown> = {}) =>
  availabilityInput.parse({
    startsAt: "2026-06-13T12:00",
    endsAt: "2026-06-13T16:00",
    slotMinutes: 45,
    bufferMinutes: 15,
    minDonationMinor: 3000,
    ...overrides,
  });

async function rejection(promise: Promise<unknown>) {
  const error: unknown = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, "expected a refusal").toBeInstanceOf(DomainError);
  return error as DomainError;
}

async function counts() {
  const { rows } = await sqlClient().execute(
    `SELECT (SELECT count(*) FROM TattooAvailability) AS windows, (SELECT count(*) FROM TattooSlot) AS slots,
            (SELECT count(*) FROM AuditEvent) AS audit`,
  );
  return {
    windows: Number(rows[0]!.windows),
    slots: Number(rows[0]!.slots),
    audit: Number(rows[0]!.audit),
  };
}

async function slotRows(availabilityId: string) {
  const { rows } = await sqlClient().execute({
    sql: `SELECT id, startsAt, endsAt, status, reserved, minDonationMinor FROM TattooSlot WHERE availabilityId = ? ORDER BY startsAt`,
    args: [availabilityId],
  });
  return rows.map((r) => ({
    id: String(r.id),
    startsAt: String(r.startsAt),
    endsAt: String(r.endsAt),
    status: String(r.status),
    reserved: Number(r.reserved),
    minDonationMinor: Number(r.minDonationMinor),
  }));
}

describe("addAvailability", () => {
  it("writes the window, every slot (sqlDate times) and an audit row together", async () => {
    const { admin, artistId } = await setup();
    const before = await counts();
    const result = await addAvailability(admin, artistId, window());
    // 12:00, 13:00, 14:00, 15:00 local (UTC+3).
    expect(result.slots.map((s) => s.startsAt)).toEqual([
      "2026-06-13T09:00:00.000Z",
      "2026-06-13T10:00:00.000Z",
      "2026-06-13T11:00:00.000Z",
      "2026-06-13T12:00:00.000Z",
    ]);
    expect(
      result.slots.every((s) => Date.parse(s.endsAt) - Date.parse(s.startsAt) === 45 * 60_000),
    ).toBe(true);
    const rows = await slotRows(result.id);
    expect(rows[0]!.startsAt).toBe("2026-06-13T09:00:00.000+00:00");
    expect(rows.every((r) => r.minDonationMinor === 3000 && r.status === "open")).toBe(true);
    expect(await counts()).toEqual({
      windows: before.windows + 1,
      slots: before.slots + 4,
      audit: before.audit + 1,
    });
    const audit = await prisma.auditEvent.findFirstOrThrow({
      where: { targetId: result.id },
    });
    expect(audit.action).toBe("tattoo.availability.create");
  });

  it("refuses a second, overlapping window of the same artist (409, naming the slot it hits), writing nothing", async () => {
    const { admin, artistId } = await setup();
    await addAvailability(admin, artistId, window());
    const before = await counts();
    const error = await rejection(
      addAvailability(
        admin,
        artistId,
        window({ startsAt: "2026-06-13T15:30", endsAt: "2026-06-13T18:00" }),
      ),
    );
    expect(error.status).toBe(409);
    expect(error.code).toBe("tattoo_slot_overlap");
    expect(error.message).toContain("2026-06-13 15:00–15:45");
    expect(await counts()).toEqual(before);
    // Right after the last slot (15:45) is fine.
    const after = await addAvailability(
      admin,
      artistId,
      window({ startsAt: "2026-06-13T15:45", endsAt: "2026-06-13T17:00", bufferMinutes: 0 }),
    );
    expect(after.slots[0]!.startsAt).toBe("2026-06-13T12:45:00.000Z");
  });

  it("the database itself refuses an overlapping open slot of one artist (a raw INSERT)", async () => {
    const { festival, admin, artistId } = await setup();
    const { slots } = await addAvailability(admin, artistId, window());
    const insert = (id: string, artist: string, status = "open") =>
      sqlClient().execute({
        sql: `INSERT INTO TattooSlot (id, festivalId, artistId, startsAt, endsAt, minDonationMinor, status, createdAt)
              VALUES (?, ?, ?, ?, ?, 0, ?, ?)`,
        args: [
          id,
          festival.id,
          artist,
          sqlDate(new Date(Date.parse(slots[0]!.startsAt) + 10 * 60_000)),
          sqlDate(new Date(Date.parse(slots[0]!.startsAt) + 20 * 60_000)),
          status,
          sqlDate(new Date()),
        ],
      });
    await expect(insert("raw-overlap-1", artistId)).rejects.toThrow(/tattoo_slot_overlap/);
    // A withdrawn slot may lie there; another artist may work at the same time.
    await insert("raw-withdrawn-1", artistId, "withdrawn");
    const other = (await createArtistRow(festival.id, { name: "Second chair" })).id;
    await insert("raw-other-artist-1", other);
    // Moving a slot onto another is refused too.
    await expect(
      sqlClient().execute({
        sql: `UPDATE TattooSlot SET startsAt = ? WHERE id = ?`,
        args: [sqlDate(new Date(Date.parse(slots[0]!.startsAt) + 30 * 60_000)), slots[1]!.id],
      }),
    ).rejects.toThrow(/tattoo_slot_overlap/);
  });

  it("ten overlapping windows of one artist added at once: exactly one is written", async () => {
    const { admin, artistId } = await setup();
    const before = await counts();
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        addAvailability(
          admin,
          artistId,
          window({ startsAt: `2026-06-13T12:${String(i * 5).padStart(2, "0")}` }),
        ),
      ),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    expect(won.length).toBe(1);
    for (const r of results)
      if (r.status === "rejected")
        expect((r.reason as DomainError).code).toBe("tattoo_slot_overlap");
    const after = await counts();
    expect(after.windows).toBe(before.windows + 1);
    expect(after.slots - before.slots).toBe(
      (won[0] as PromiseFulfilledResult<{ slots: unknown[] }>).value.slots.length,
    );
  });

  it("two artists may work at the same time", async () => {
    const { festival, admin, artistId } = await setup();
    const other = (await createArtistRow(festival.id, { name: "Needle" })).id;
    const a = await addAvailability(admin, artistId, window());
    const b = await addAvailability(admin, other, window());
    expect(b.slots.map((s) => s.startsAt)).toEqual(a.slots.map((s) => s.startsAt));
  });

  it("refuses a window far from the festival's dates, one with no room for a slot, a skipped local time", async () => {
    const { admin, artistId } = await setup();
    const before = await counts();
    const other = await rejection(
      addAvailability(
        admin,
        artistId,
        window({ startsAt: "2027-06-13T12:00", endsAt: "2027-06-13T16:00" }),
      ),
    );
    expect(other).toBeInstanceOf(FieldRulesError);
    expect(other.fields).toEqual({ startsAt: "v.windowOutsideFestival" });
    // A day before the festival is still fine.
    await addAvailability(
      admin,
      artistId,
      window({ startsAt: "2026-06-12T12:00", endsAt: "2026-06-12T13:00" }),
    );
    const tiny = await rejection(
      addAvailability(
        admin,
        artistId,
        window({ startsAt: "2026-06-13T18:00", endsAt: "2026-06-13T18:30" }),
      ),
    );
    expect(tiny.fields).toEqual({ slotMinutes: "v.noSlots" });
    const full = await rejection(
      addAvailability(
        admin,
        artistId,
        window({
          startsAt: "2026-06-13T18:00",
          endsAt: "2026-06-13T19:00",
          breaks: [{ startsAt: "2026-06-13T18:30", endsAt: "2026-06-13T19:00" }],
        }),
      ),
    );
    expect(full.fields).toEqual({ slotMinutes: "v.noSlots" });
    expect((await counts()).windows).toBe(before.windows + 1);
  });

  it("organisers run any artist; a linked artist only their own; others see nothing", async () => {
    const { festival, artistId } = await setup();
    const organiserRow = await createUserRow();
    const organiser = actor(organiserRow, [{ festivalId: festival.id, role: "organiser" }]);
    await addAvailability(organiser, artistId, window());
    const artistUser = await createUserRow();
    const own = (await createArtistRow(festival.id, { name: "Linked", userId: artistUser.id })).id;
    const linked = actor(artistUser, [{ festivalId: festival.id, role: "artist" }]);
    await addAvailability(linked, own, window());
    expect(
      (
        await rejection(
          addAvailability(
            linked,
            artistId,
            window({ startsAt: "2026-06-13T17:00", endsAt: "2026-06-13T18:00" }),
          ),
        )
      ).status,
    ).toBe(404);
    const door = actor(await createUserRow(), [{ festivalId: festival.id, role: "door" }]);
    expect((await rejection(addAvailability(door, artistId, window()))).status).toBe(403);
    const stranger = actor(await createUserRow());
    expect((await rejection(addAvailability(stranger, artistId, window()))).status).toBe(404);
    expect((await rejection(addAvailability(stranger, "no-such-artist", window()))).status).toBe(
      404,
    );
  });
});

describe("listSlots", () => {
  it("free = open, nothing holds it, not started, minimum notice not passed", async () => {
    const { festival, admin, artistId } = await setup();
    const { slots } = await addAvailability(admin, artistId, window({ minNoticeMinutes: 60 }));
    const first = Date.parse(slots[0]!.startsAt);
    const list = (now: number) => listSlots(festival, {}, new Date(now));
    // Two hours before the first slot: all free.
    expect((await list(first - 120 * 60_000)).map((s) => s.free)).toEqual([true, true, true, true]);
    // 59 minutes before: the first is within its notice, the rest are free.
    expect((await list(first - 59 * 60_000)).map((s) => s.free)).toEqual([false, true, true, true]);
    // Exactly 60 minutes before: closed (notice reached).
    expect((await list(first - 60 * 60_000)).map((s) => s.free)[0]).toBe(false);
    // A held slot is not free.
    await bookSlotDirectly(slots[2]!.id, { status: "held" });
    expect((await list(first - 120 * 60_000)).map((s) => s.free)).toEqual([
      true,
      true,
      false,
      true,
    ]);
    // After they started, nothing is free.
    expect((await list(Date.parse(slots[3]!.endsAt))).some((s) => s.free)).toBe(false);
    const one = (await list(first - 120 * 60_000))[0]!;
    expect(one).toEqual({
      id: slots[0]!.id,
      artistId,
      artistName: "Inkwell",
      startsAt: slots[0]!.startsAt,
      endsAt: slots[0]!.endsAt,
      day: "2026-06-13",
      free: true,
      minDonationMinor: 3000,
    });
  });

  it("does not show as free a slot kept for the artist's waitlist or released for walk-ins", async () => {
    const { festival, admin, artistId } = await setup();
    const { slots } = await addAvailability(admin, artistId, window());
    const first = Date.parse(slots[0]!.startsAt);
    const list = async () =>
      (await listSlots(festival, {}, new Date(first - 120 * 60_000))).map((s) => s.free);
    expect(await list()).toEqual([true, true, true, true]);
    await sqlClient().execute({
      sql: "UPDATE TattooSlot SET walkInsOnly = 1 WHERE id = ?",
      args: [slots[1]!.id],
    });
    expect(await list()).toEqual([true, false, true, true]);
    // Someone waits for the artist's day: its free slots are offered to them first.
    const now = sqlDate(new Date());
    await sqlClient().execute({
      sql: `INSERT INTO TattooWaitlist (id, festivalId, artistId, day, email, emailKey, leaveTokenHash, createdAt, updatedAt)
            VALUES ('wl-slots-test', ?, ?, '2026-06-13', 'w@example.test', 'k', 'h-slots-test', ?, ?)`,
      args: [festival.id, artistId, now, now],
    });
    expect(await list()).toEqual([false, false, false, false]);
  });

  it("filters by artist and by the festival's local day", async () => {
    const { festival, admin, artistId } = await setup();
    const other = (await createArtistRow(festival.id, { name: "Other" })).id;
    await addAvailability(admin, artistId, window());
    // 00:30–02:30 local on the 14th starts on the 13th in UTC.
    await addAvailability(
      admin,
      other,
      window({ startsAt: "2026-06-14T00:30", endsAt: "2026-06-14T02:30" }),
    );
    const all = await listSlots(festival);
    expect(all.length).toBe(4 + 2);
    expect(
      (await listSlots(festival, { artistId: other })).every((s) => s.artistId === other),
    ).toBe(true);
    const the14th = await listSlots(festival, { day: "2026-06-14" });
    expect(the14th.map((s) => s.artistId)).toEqual([other, other]);
    expect(the14th[0]!.startsAt).toBe("2026-06-13T21:30:00.000Z");
    expect((await listSlots(festival, { day: "2026-06-13" })).length).toBe(4);
  });

  it("its query reads nothing of bookings, orders or people", () => {
    const source = listSlots.toString();
    expect(source).toContain("FROM TattooSlot");
    for (const word of ["TattooBooking", "Order", "email", "User", "TattooWaitlist"])
      expect(source, word).not.toContain(word);
  });
});

describe("updateAvailability", () => {
  it("regenerates the slots when nothing is held: free slots that stay keep their ids", async () => {
    const { admin, artistId } = await setup();
    const created = await addAvailability(admin, artistId, window());
    const updated = await updateAvailability(admin, created.id, {
      endsAt: "2026-06-13T18:00",
      minDonationMinor: 4000,
      freeSlotsOnly: false,
    });
    expect(updated.slots.length).toBe(6);
    expect(updated.slots.slice(0, 4).map((s) => s.id)).toEqual(created.slots.map((s) => s.id));
    expect((await slotRows(created.id)).every((r) => r.minDonationMinor === 4000)).toBe(true);
  });

  it("refuses to move or drop a held slot, naming its time and (for organisers) its order code", async () => {
    const { festival, admin, artistId } = await setup();
    const created = await addAvailability(admin, artistId, window());
    const booked = await bookSlotDirectly(created.slots[1]!.id, {
      email: "booker@example.test",
      name: "Booker Name",
    });
    const before = await slotRows(created.id);
    const moved = await rejection(
      updateAvailability(admin, created.id, { slotMinutes: 60, freeSlotsOnly: false }),
    );
    expect(moved.status).toBe(409);
    expect(moved.code).toBe("slots_booked");
    expect(moved.message).toContain("2026-06-13 13:00–13:45");
    expect(moved.message).toContain(booked.code);
    expect(moved.message).not.toContain("booker@example.test");
    expect(await slotRows(created.id)).toEqual(before);
    // The linked artist is told the time, not the order.
    const artistUser = await createUserRow();
    await prisma.$executeRawUnsafe(
      `UPDATE TattooArtist SET userId = ? WHERE id = ?`,
      artistUser.id,
      artistId,
    );
    const linked = actor(artistUser, [{ festivalId: festival.id, role: "artist" }]);
    const refused = await rejection(
      updateAvailability(linked, created.id, {
        startsAt: "2026-06-13T13:30",
        freeSlotsOnly: false,
      }),
    );
    expect(refused.message).toContain("13:00–13:45");
    expect(refused.message).not.toContain(booked.code);
    // A change that keeps the held slot where it is goes through.
    const longer = await updateAvailability(admin, created.id, {
      endsAt: "2026-06-13T17:00",
      freeSlotsOnly: false,
    });
    expect(longer.slots.map((s) => s.id)).toContain(created.slots[1]!.id);
  });

  it("freeSlotsOnly: held slots stay as they are, the new grid skips what would overlap them", async () => {
    const { admin, artistId } = await setup();
    const created = await addAvailability(admin, artistId, window());
    const heldId = created.slots[1]!.id; // 13:00–13:45 local
    await bookSlotDirectly(heldId);
    const updated = await updateAvailability(admin, created.id, {
      slotMinutes: 60,
      bufferMinutes: 0,
      freeSlotsOnly: true,
    });
    const rows = (await slotRows(created.id)).filter((r) => r.status === "open");
    const held = rows.find((r) => r.id === heldId)!;
    expect(held).toMatchObject({ startsAt: "2026-06-13T10:00:00.000+00:00", reserved: 1 });
    // New grid 12:00, 13:00 (skipped: the held one), 14:00, 15:00 → 12–13, held, 14–15, 15–16.
    expect(updated.slots.map((s) => [s.startsAt.slice(11, 16), s.endsAt.slice(11, 16)])).toEqual([
      ["09:00", "10:00"],
      ["10:00", "10:45"],
      ["11:00", "12:00"],
      ["12:00", "13:00"],
    ]);
    for (const [i, a] of rows.entries())
      for (const b of rows.slice(i + 1))
        expect(a.startsAt < b.endsAt && a.endsAt > b.startsAt).toBe(false);
  });

  it("a free slot that a past booking names is withdrawn, not deleted; an unnamed one is deleted", async () => {
    const { admin, artistId } = await setup();
    const created = await addAvailability(admin, artistId, window());
    const named = created.slots[3]!.id;
    const b = await bookSlotDirectly(named);
    await cancelBookingDirectly(b.orderItemId, named);
    await updateAvailability(admin, created.id, {
      endsAt: "2026-06-13T14:00",
      freeSlotsOnly: false,
    });
    const rows = await slotRows(created.id);
    expect(rows.find((r) => r.id === named)?.status).toBe("withdrawn");
    expect(rows.find((r) => r.id === created.slots[2]!.id)).toBeUndefined();
    expect(rows.filter((r) => r.status === "open").length).toBe(2);
  });

  it("refuses a change that overlaps the artist's other window, changing nothing", async () => {
    const { admin, artistId } = await setup();
    const first = await addAvailability(admin, artistId, window());
    const second = await addAvailability(
      admin,
      artistId,
      window({ startsAt: "2026-06-13T17:00", endsAt: "2026-06-13T19:00" }),
    );
    const before = await slotRows(first.id);
    const error = await rejection(
      updateAvailability(admin, first.id, { endsAt: "2026-06-13T18:00", freeSlotsOnly: false }),
    );
    expect(error.code).toBe("tattoo_slot_overlap");
    expect(error.message).toContain("17:00–17:45");
    expect(await slotRows(first.id)).toEqual(before);
    expect((await slotRows(second.id)).length).toBe(2);
  });
});

describe("deleteAvailability", () => {
  it("refuses while a slot is held; freeSlotsOnly removes the free ones and keeps the window; without holds it goes", async () => {
    const { admin, artistId } = await setup();
    const created = await addAvailability(admin, artistId, window());
    const held = created.slots[0]!.id;
    const b = await bookSlotDirectly(held);
    const before = await counts();
    const refused = await rejection(deleteAvailability(admin, created.id));
    expect(refused.code).toBe("slots_booked");
    expect(refused.message).toContain(b.code);
    expect(await counts()).toEqual(before);
    const partial = await deleteAvailability(admin, created.id, { freeSlotsOnly: true });
    expect(partial).toMatchObject({ deleted: false, kept: [{ id: held }] });
    expect((await slotRows(created.id)).map((r) => r.id)).toEqual([held]);
    await cancelBookingDirectly(b.orderItemId, held);
    const gone = await deleteAvailability(admin, created.id);
    expect(gone.deleted).toBe(true);
    expect((await counts()).windows).toBe(before.windows - 1);
    // The slot its (cancelled) booking names stays, withdrawn.
    const { rows } = await sqlClient().execute({
      sql: `SELECT status, availabilityId FROM TattooSlot WHERE id = ?`,
      args: [held],
    });
    expect(rows[0]).toMatchObject({ status: "withdrawn", availabilityId: null });
  });

  it("the schedule shows states and order codes to organisers only", async () => {
    const { festival, admin, artistId } = await setup();
    const created = await addAvailability(admin, artistId, window());
    const b = await bookSlotDirectly(created.slots[0]!.id, { email: "someone@example.test" });
    await bookSlotDirectly(created.slots[1]!.id, { status: "held" });
    const seen = await artistSchedule(admin, artistId);
    expect(seen.windows[0]!.slots.map((s) => s.state)).toEqual(["booked", "held", "free", "free"]);
    expect(seen.windows[0]!.slots[0]!.orderCodes).toEqual([b.code]);
    expect(JSON.stringify(seen)).not.toContain("someone@example.test");
    const artistUser = await createUserRow();
    await prisma.$executeRawUnsafe(
      `UPDATE TattooArtist SET userId = ? WHERE id = ?`,
      artistUser.id,
      artistId,
    );
    const linked = await artistSchedule(
      actor(artistUser, [{ festivalId: festival.id, role: "artist" }]),
      artistId,
    );
    expect(linked.windows[0]!.slots[0]!.orderCodes).toEqual([]);
  });
});
