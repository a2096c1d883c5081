// Cloning a festival (app/models/festival-clone.server.ts) against a real
// SQLite file: what is copied (ticket types, quotas, artists and their
// availability with new slots, programme, prisoners, allocation rule, costs as
// a template) and what is not (orders, tickets, keys, door devices, check-ins,
// ledger, team, linked accounts, access codes, receipts); every time moved to
// the new dates; a property test that nothing lands outside them; refusals.
import fs from "node:fs";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshTestEnv, type TestEnv } from "../helpers/env";
import type * as Clone from "~/models/festival-clone.server";
import type * as Shift from "~/models/festival-shift";
import type * as DbServer from "~/utils/db.server";
import type * as Fixtures from "../helpers/fixtures";
import type { CurrentUser } from "~/utils/auth.server";

let env: TestEnv;
let db: typeof DbServer;
let clone: typeof Clone;
let shift: typeof Shift;
let fixtures: typeof Fixtures;
let admin: CurrentUser;
let outsider: CurrentUser;
let source: { id: string; startsAt: Date; endsAt: Date; timezone: string; slug: string };
let hiddenCode: string;
const HOUR = 3_600_000;

const asUser = (
  row: { id: string; email: string; name: string | null },
  role: "admin" | "member",
) =>
  ({
    id: row.id,
    email: row.email,
    name: row.name,
    role,
    locale: null,
    memberships: [],
  }) as CurrentUser;

beforeAll(async () => {
  env = freshTestEnv();
  db = await import("~/utils/db.server");
  clone = await import("~/models/festival-clone.server");
  shift = await import("~/models/festival-shift");
  fixtures = await import("../helpers/fixtures");
  const festivals = await import("~/models/festival.server");
  const types = await import("~/models/ticket-type.server");
  const slots = await import("~/models/tattoo-slot.server");
  const allocation = await import("~/models/allocation.server");
  const costs = await import("~/models/festival-costs.server");
  const orders = await import("~/models/order.server");
  const door = await import("~/models/door.server");
  const { createArtistRow } = await import("../helpers/tattoo");
  const { translator } = await import("~/utils/i18n");

  admin = asUser(await fixtures.createUserRow({ role: "admin", name: "Admin" }), "admin");
  outsider = asUser(await fixtures.createUserRow({ name: "Someone else" }), "member");
  const linked = await fixtures.createUserRow({ name: "Linked artist" });

  // The source: Riga, Saturday 15:00 to Sunday 02:00 local (winter, UTC+2), published.
  const row = await fixtures.createFestivalRow({
    name: "Solidarity Riga",
    timezone: "Europe/Riga",
    startsAt: new Date("2030-01-26T13:00:00Z"),
    endsAt: new Date("2030-01-27T00:00:00Z"),
    status: "published",
    publishedAt: new Date(),
    paymentMethods: JSON.stringify(["door", "free"]),
    tattooBookingsPerArtist: 2,
  });
  source = row;
  const prisoner = await fixtures.createPrisonerRow(`p-${Date.now()}`, { en: "A. Prisoner" }, [
    row.id,
  ]);
  const quota = await types.createQuota(admin, row.id, { name: "Hall", capacity: 300 });
  const standard = await types.createTicketType(
    admin,
    row,
    types.ticketTypeInput.parse({
      name: { en: "Standard", ru: "Обычный" },
      priceMinor: 1500,
      quotaId: quota.id,
    }),
  );
  hiddenCode = "friends-2030";
  await types.createTicketType(
    admin,
    row,
    types.ticketTypeInput.parse({
      name: "Friends",
      priceMinor: 0,
      capacity: 20,
      visibility: "hidden",
      accessCode: hiddenCode,
      salesStartAt: "2030-01-01T10:00",
      salesEndAt: "2030-01-26T20:00",
    }),
  );
  const t = translator("en");
  for (const [title, startsAt, endsAt] of [
    ["Doors", "2030-01-26T15:00", undefined],
    ["Talk", "2030-01-26T16:00", "2030-01-26T17:30"],
    ["Late set", "2030-01-26T23:00", "2030-01-27T02:00"],
  ] as const) {
    const added = await festivals.addProgrammeItem(
      admin,
      row,
      { title, kind: "talk", startsAt, ...(endsAt ? { endsAt } : {}) },
      t,
    );
    expect(added.ok).toBe(true);
  }
  const artist = await createArtistRow(row.id, {
    name: "Ink",
    userId: linked.id,
    prisonerId: prisoner.id,
  });
  await slots.addAvailability(
    admin,
    artist.id,
    slots.availabilityInput.parse({
      startsAt: "2030-01-26T16:00",
      endsAt: "2030-01-26T20:00",
      slotMinutes: 45,
      bufferMinutes: 15,
      breaks: [{ startsAt: "2030-01-26T18:00", endsAt: "2030-01-26T18:30" }],
      minDonationMinor: 3000,
      minNoticeMinutes: 30,
    }),
  );
  await allocation.setAllocationRule(admin, row.id, {
    shares: [{ prisonerId: prisoner.id, percent: 80 }],
    generalPercent: 20,
  });
  const cost = costs.costInput.parse({
    category: "venue",
    description: "Hall rent",
    amountMinor: 25000,
  });
  await costs.submitCost(admin, row, cost, null);
  const withdrawn = await costs.submitCost(
    admin,
    row,
    costs.costInput.parse({ category: "printing", description: "Posters", amountMinor: 4000 }),
    null,
  );
  await costs.cancelCost(admin, withdrawn.id);
  // What must stay behind: an order with tickets (and so a signing key), a door device.
  await orders.placeOrder(
    row.id,
    orders.checkoutSchema().parse({
      items: [{ ticketTypeId: standard.id, quantity: 2 }],
      email: fixtures.uniqueEmail("buyer"),
      paymentMethod: "door",
    }),
    { locale: "en", stripeAvailable: false },
  );
  await door.createDoorDevice(admin, row, "Front door");
});

afterAll(async () => {
  await db.disconnectDatabase();
  fs.rmSync(env.dir, { recursive: true, force: true });
});

const count = async (sql: string, ...args: string[]) =>
  Number((await db.sqlClient().execute({ sql, args })).rows[0]![0]);

/** A clone to Warsaw, `weeksLater` weeks on, 14:00 to 01:00 local (summer, UTC+2 in June). */
function warsaw(overrides: Record<string, unknown> = {}) {
  return clone.cloneApiInput.parse({
    name: "Solidarity Warsaw",
    city: "Warszawa",
    country: "PL",
    timezone: "Europe/Warsaw",
    startsAt: "2030-06-15T14:00",
    endsAt: "2030-06-16T01:00",
    ...overrides,
  });
}

describe("cloning a festival", () => {
  it("copies the set-up into a new draft, with nothing sold, held or secret", async () => {
    const result = await clone.cloneFestival(admin, source.id, warsaw());
    expect(result.copied).toMatchObject({
      ticketTypes: 2,
      quotas: 1,
      programmeItems: 3,
      artists: 1,
      availability: 1,
      prisoners: 1,
      allocationRule: true,
      costs: 1,
    });
    const f = await db.prisma.festival.findUniqueOrThrow({ where: { id: result.id } });
    expect(f).toMatchObject({
      status: "draft",
      publishedAt: null,
      name: "Solidarity Warsaw",
      city: "Warszawa",
      country: "PL",
      timezone: "Europe/Warsaw",
      currency: "EUR",
      slug: result.slug,
      tattooBookingsPerArtist: 2,
      createdById: admin.id,
    });
    expect(f.startsAt.toISOString()).toBe("2030-06-15T12:00:00.000Z");
    expect(result.slug).toBe("solidarity-warsaw-warszawa-2030");

    // Nothing of the old festival's buyers, keys, doors or books.
    for (const table of [
      "Order",
      "Ticket",
      "FestivalKey",
      "DoorDevice",
      "CheckIn",
      "LedgerEntry",
      "LedgerAccount",
      "TattooBooking",
      "TattooWaitlist",
      "Invitation",
    ])
      expect(
        await count(`SELECT COUNT(*) FROM "${table}" WHERE festivalId = ?`, result.id),
        table,
      ).toBe(0);
    expect(await count(`SELECT COUNT(*) FROM "Order" WHERE festivalId = ?`, source.id)).toBe(1);
    // The team is the one who cloned it, alone.
    const members = await db.prisma.festivalMember.findMany({ where: { festivalId: result.id } });
    expect(members.map((m) => [m.userId, m.role])).toEqual([[admin.id, "organiser"]]);

    // Ticket types: nothing reserved, quota mapped to the clone's, a new access code.
    const types = await db.prisma.ticketType.findMany({
      where: { festivalId: result.id },
      orderBy: { position: "asc" },
    });
    const quota = await db.prisma.quota.findFirstOrThrow({ where: { festivalId: result.id } });
    expect(quota).toMatchObject({ name: "Hall", capacity: 300, reserved: 0 });
    expect(types.map((t) => t.reserved)).toEqual([0, 0]);
    expect(types[0]).toMatchObject({ priceMinor: 1500, quotaId: quota.id, visibility: "public" });
    expect(types[1]!.visibility).toBe("hidden");
    expect(types[1]!.accessCode).toMatch(/^[A-Za-z0-9_-]{4,40}$/);
    expect(types[1]!.accessCode).not.toBe(hiddenCode);
    // Sales windows keep their distance from the start (wall clock): 25 days 5 hours before.
    expect(types[1]!.salesStartAt?.toISOString()).toBe("2030-05-21T07:00:00.000Z");
    expect(types[1]!.salesEndAt?.toISOString()).toBe("2030-06-15T17:00:00.000Z");

    // The programme moved: 15:00 (start) → 14:00 (start), 16:00 → 15:00 Warsaw …
    const programme = await db.prisma.programmeItem.findMany({
      where: { festivalId: result.id },
      orderBy: { startsAt: "asc" },
    });
    expect(
      programme.map((p) => [p.title, p.startsAt.toISOString(), p.endsAt?.toISOString() ?? null]),
    ).toEqual([
      ["Doors", "2030-06-15T12:00:00.000Z", null],
      ["Talk", "2030-06-15T13:00:00.000Z", "2030-06-15T14:30:00.000Z"],
      // 23:00–02:00 in Riga was cut at Riga's end (02:00); in Warsaw it runs 22:00 to the end, 01:00.
      ["Late set", "2030-06-15T20:00:00.000Z", "2030-06-15T23:00:00.000Z"],
    ]);

    // The artist, without the linked account, and the same slots an hour earlier in the day.
    const { rows: artists } = await db.sqlClient().execute({
      sql: `SELECT id, name, userId, prisonerId FROM TattooArtist WHERE festivalId = ?`,
      args: [result.id],
    });
    expect(artists).toHaveLength(1);
    expect(artists[0]).toMatchObject({ name: "Ink", userId: null });
    expect(artists[0]!.prisonerId).not.toBeNull();
    const slotTimes = async (festivalId: string) =>
      (
        await db.sqlClient().execute({
          sql: `SELECT startsAt, reserved, minDonationMinor FROM TattooSlot WHERE festivalId = ? ORDER BY startsAt`,
          args: [festivalId],
        })
      ).rows.map((r) => ({
        offset: new Date(String(r.startsAt)).getTime(),
        reserved: Number(r.reserved),
        min: Number(r.minDonationMinor),
      }));
    const before = await slotTimes(source.id);
    const after = await slotTimes(result.id);
    expect(after.length).toBe(before.length);
    expect(result.copied.slots).toBe(before.length);
    const sourceStart = source.startsAt.getTime();
    const cloneStart = f.startsAt.getTime();
    expect(after.map((s) => s.offset - cloneStart)).toEqual(
      before.map((s) => s.offset - sourceStart),
    );
    expect(after.every((s) => s.reserved === 0 && s.min === 3000)).toBe(true);

    // The allocation rule as version 1; the cost as a new request without a receipt.
    const { rows: rules } = await db.sqlClient().execute({
      sql: `SELECT version, generalPercent, shares FROM AllocationRule WHERE festivalId = ?`,
      args: [result.id],
    });
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({ version: 1, generalPercent: 20 });
    const clonedCosts = await db.prisma.festivalCost.findMany({ where: { festivalId: result.id } });
    expect(clonedCosts).toHaveLength(1);
    expect(clonedCosts[0]).toMatchObject({
      description: "Hall rent",
      amountMinor: 25000,
      currency: "EUR",
      status: "submitted",
      receiptFile: null,
      paidAt: null,
      approvedAt: null,
      submittedById: admin.id,
    });

    // One audit row, naming the source.
    const audit = await db.prisma.auditEvent.findMany({
      where: { festivalId: result.id, action: "festival.clone" },
    });
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]!.details)).toMatchObject({ sourceFestivalId: source.id });
  });

  it("leaves out what no longer fits in shorter dates, and says so", async () => {
    // Only 14:00 to 17:00: the late set and half the tattoo window do not fit.
    const result = await clone.cloneFestival(
      admin,
      source.id,
      warsaw({ name: "Short one", startsAt: "2030-07-01T14:00", endsAt: "2030-07-01T17:00" }),
    );
    expect(result.copied.programmeItems).toBe(2);
    expect(result.skipped.programmeItems).toBe(1);
    expect(result.copied.availability).toBe(1);
    const { rows } = await db.sqlClient().execute({
      sql: `SELECT MAX(endsAt) AS last FROM TattooSlot WHERE festivalId = ?`,
      args: [result.id],
    });
    expect(new Date(String(rows[0]!.last)).getTime()).toBeLessThanOrEqual(
      new Date("2030-07-01T15:00:00Z").getTime(),
    );
  });

  it("refuses someone who does not organise the festival, and writes nothing", async () => {
    const before = await db.prisma.festival.count();
    const refused = await clone
      .cloneFestival(outsider, source.id, warsaw())
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Response);
    expect((refused as Response).status).toBe(404);
    const unknown = await clone
      .cloneFestival(admin, "no-such-festival", warsaw())
      .catch((e: unknown) => e);
    expect((unknown as { status: number }).status).toBe(404);
    expect(await db.prisma.festival.count()).toBe(before);
  });

  it("refuses a chosen slug that is taken (409), and writes nothing", async () => {
    const before = await db.prisma.festival.count();
    const refused = await clone
      .cloneFestival(admin, source.id, warsaw({ slug: source.slug }))
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 409, code: "slug_taken" });
    expect(await db.prisma.festival.count()).toBe(before);
  });

  it("refuses dates in the past, an unknown zone or country, a hostile slug", () => {
    const fields = (body: Record<string, unknown>) => {
      const parsed = clone.cloneApiInput.safeParse(body);
      return parsed.success
        ? []
        : parsed.error.issues.map((i) =>
            i.code === "unrecognized_keys"
              ? `unknown:${i.keys.join(",")}`
              : `${String(i.path[0])}:${i.message}`,
          );
    };
    const base = {
      name: "X",
      city: "Y",
      country: "PL",
      timezone: "Europe/Warsaw",
      startsAt: "2030-06-15T14:00",
      endsAt: "2030-06-16T01:00",
    };
    expect(fields(base)).toEqual([]);
    expect(fields({ ...base, startsAt: "2020-01-01T10:00", endsAt: "2020-01-01T12:00" })).toContain(
      "startsAt:v.festivalInPast",
    );
    expect(fields({ ...base, timezone: "Mars/Olympus" })).toContain("timezone:v.timezone");
    expect(fields({ ...base, country: "ZZ" })).toContain("country:v.country");
    expect(fields({ ...base, slug: "../../admin" })).toContain("slug:v.slug");
    expect(fields({ ...base, name: "n".repeat(121) })).toContain("name:v.maxLength|120");
    // Nothing else can be smuggled in: orders, a status, another creator.
    expect(fields({ ...base, orders: [], status: "published" })).toContain("unknown:orders,status");
  });
});

describe("every cloned time lies within the new festival's dates (property)", () => {
  const zones = [
    "Europe/Riga",
    "Europe/Warsaw",
    "America/Toronto",
    "America/Sao_Paulo",
    "Asia/Tbilisi",
    "UTC",
  ];
  const arbFestival = fc.record({
    start: fc.date({
      min: new Date("2031-01-01T00:00:00Z"),
      max: new Date("2034-12-31T00:00:00Z"),
      noInvalidDate: true,
    }),
    hours: fc.integer({ min: 1, max: 24 * 4 }),
    zone: fc.constantFrom(...zones),
  });
  const toDates = (f: { start: Date; hours: number; zone: string }) => ({
    startsAt: f.start,
    endsAt: new Date(f.start.getTime() + f.hours * HOUR),
    timezone: f.zone,
  });

  it("for the pure moves (items and windows anywhere around the old dates)", () => {
    fc.assert(
      fc.property(
        arbFestival,
        arbFestival,
        fc.array(
          fc.tuple(fc.integer({ min: -48, max: 120 }), fc.option(fc.integer({ min: 1, max: 30 }))),
          {
            maxLength: 12,
          },
        ),
        (from, to, items) => {
          const move = { from: toDates(from), to: toDates(to) };
          for (const [startHour, length] of items) {
            const startsAt = new Date(from.start.getTime() + startHour * HOUR);
            const endsAt = length === null ? null : new Date(startsAt.getTime() + length * HOUR);
            for (const moved of [
              shift.shiftProgrammeItem({ startsAt, endsAt }, move),
              endsAt ? shift.shiftInterval({ startsAt, endsAt }, move) : null,
            ]) {
              if (!moved) continue;
              expect(moved.startsAt.getTime()).toBeGreaterThanOrEqual(move.to.startsAt.getTime());
              expect((moved.endsAt ?? moved.startsAt).getTime()).toBeLessThanOrEqual(
                move.to.endsAt.getTime(),
              );
              if (moved.endsAt)
                expect(moved.endsAt.getTime()).toBeGreaterThan(moved.startsAt.getTime());
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("for real clones in the database (programme, availability windows and slots)", async () => {
    await fc.assert(
      fc.asyncProperty(arbFestival, async (to) => {
        const dates = toDates(to);
        const { DateTime } = await import("luxon");
        const local = (d: Date) =>
          DateTime.fromJSDate(d, { zone: to.zone }).toFormat("yyyy-MM-dd'T'HH:mm");
        const result = await clone.cloneFestival(
          admin,
          source.id,
          clone.cloneApiInput.parse({
            name: "Property",
            city: "Anywhere",
            country: "LV",
            timezone: to.zone,
            startsAt: local(dates.startsAt),
            endsAt: local(dates.endsAt),
          }),
        );
        const f = await db.prisma.festival.findUniqueOrThrow({ where: { id: result.id } });
        const from = f.startsAt.getTime();
        const until = f.endsAt.getTime();
        const { rows } = await db.sqlClient().execute({
          sql: `SELECT startsAt, COALESCE(endsAt, startsAt) AS endsAt FROM ProgrammeItem WHERE festivalId = ?1
                UNION ALL SELECT startsAt, endsAt FROM TattooAvailability WHERE festivalId = ?1
                UNION ALL SELECT startsAt, endsAt FROM TattooSlot WHERE festivalId = ?1`,
          args: [result.id],
        });
        for (const r of rows) {
          expect(new Date(String(r.startsAt)).getTime()).toBeGreaterThanOrEqual(from);
          expect(new Date(String(r.endsAt)).getTime()).toBeLessThanOrEqual(until);
        }
        expect(result.copied.programmeItems + result.skipped.programmeItems).toBe(3);
      }),
      { numRuns: 12 },
    );
  });
});
