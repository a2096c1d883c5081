// The domain rules of team standing, called directly on a real SQLite file:
// revokeDevicesOf (the one revocation path), a device without a creator,
// invitations that look the same for every address, and the door search's
// minimum, cap and counting.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshTestEnv } from "../helpers/env";
import { createFestivalRow, createUserRow, uniqueEmail } from "../helpers/fixtures";
import {
  createDoorDevice,
  listDoorDevices,
  requireDevice,
  revokeDevicesOf,
  searchTickets,
} from "~/models/door.server";
import { SEARCH_MAX_RESULTS } from "~/models/door-verdict";
import { addFestivalMember } from "~/models/user.server";
import type { CurrentUser } from "~/utils/auth.server";
import { disconnectDatabase, prisma } from "~/utils/db.server";
import { DomainError, FieldRulesError } from "~/utils/domain-error";
import { errorResponseOf } from "~/utils/http.server";

beforeAll(() => {
  freshTestEnv();
});
afterAll(() => disconnectDatabase());

const actor = (u: { id: string; email: string; role: string }): CurrentUser => ({
  id: u.id,
  email: u.email,
  name: null,
  role: u.role as CurrentUser["role"],
  locale: null,
  memberships: [],
});

const bearer = (token: string) =>
  new Request("http://door.test/api/v1/door/manifest", {
    headers: { Authorization: `Bearer ${token}` },
  });

async function refusal(token: string) {
  const thrown: unknown = await requireDevice(bearer(token)).then(
    () => null,
    (e: unknown) => e,
  );
  expect(thrown).toBeInstanceOf(DomainError);
  const res = errorResponseOf(thrown as DomainError);
  return { status: res.status, body: (await res.json()) as unknown };
}

describe("revokeDevicesOf", () => {
  it("revokes the person's devices at one festival or everywhere, once, with an audit row each", async () => {
    const admin = await createUserRow({ role: "admin" });
    const person = await createUserRow();
    const other = await createUserRow();
    const [a, b] = [await createFestivalRow(), await createFestivalRow()];
    const atA = await createDoorDevice(actor(person), a, "A door");
    const atB = await createDoorDevice(actor(person), b, "B door");
    const others = await createDoorDevice(actor(other), a, "Someone else's");

    const first = await prisma.$transaction((tx) =>
      revokeDevicesOf(tx, admin, person.id, "member.remove", a.id),
    );
    expect(first).toBe(1);
    const revoked = await refusal(atA.token);
    expect(revoked.status).toBe(401);
    await expect(requireDevice(bearer(atB.token))).resolves.toMatchObject({ festivalId: b.id });
    await expect(requireDevice(bearer(others.token))).resolves.toMatchObject({ festivalId: a.id });
    expect(
      await prisma.$transaction((tx) =>
        revokeDevicesOf(tx, admin, person.id, "member.remove", a.id),
      ),
    ).toBe(0);

    await prisma.$transaction((tx) => revokeDevicesOf(tx, admin, person.id, "account.disable"));
    expect(await refusal(atB.token)).toEqual(revoked);
    const audit = await prisma.auditEvent.findMany({
      where: { action: "door.device.revoke", targetId: { in: [atA.id, atB.id] } },
      orderBy: { id: "asc" },
    });
    expect(audit.map((e) => [e.targetId, e.actorUserId, JSON.parse(e.details)])).toEqual([
      [atA.id, admin.id, { reason: "member.remove", setUpBy: person.id }],
      [atB.id, admin.id, { reason: "account.disable", setUpBy: person.id }],
    ]);
  });

  it("rolls back with the change it belongs to", async () => {
    const person = await createUserRow();
    const festival = await createFestivalRow();
    const device = await createDoorDevice(actor(person), festival, "Door");
    await expect(
      prisma.$transaction(async (tx) => {
        await revokeDevicesOf(tx, null, person.id, "password.reset");
        throw new Error("the change failed");
      }),
    ).rejects.toThrow("the change failed");
    await expect(requireDevice(bearer(device.token))).resolves.toMatchObject({ id: device.id });
  });

  it("a device whose creator's account is gone is refused like a revoked one", async () => {
    const person = await createUserRow();
    const festival = await createFestivalRow();
    const kept = await createDoorDevice(actor(await createUserRow()), festival, "Kept");
    const orphan = await createDoorDevice(actor(person), festival, "Orphan");
    await prisma.$transaction((tx) => revokeDevicesOf(tx, null, person.id, "member.remove"));
    const revoked = await refusal(orphan.token);
    await prisma.doorDevice.update({ where: { id: orphan.id }, data: { revokedAt: null } });
    // Deleted without going through deleteUser: the foreign key clears the creator.
    await prisma.user.delete({ where: { id: person.id } });
    expect(await refusal(orphan.token)).toEqual(revoked);
    await expect(requireDevice(bearer(kept.token))).resolves.toMatchObject({ id: kept.id });
    const listed = (await listDoorDevices(festival.id)).find((d) => d.id === orphan.id);
    expect(listed?.createdBy).toBeNull();
  });
});

describe("addFestivalMember", () => {
  it("does the same for an address with an account and one without: one invitation, one email, no membership", async () => {
    const admin = await createUserRow({ role: "admin" });
    const festival = await createFestivalRow({ createdById: admin.id });
    const known = await createUserRow();
    const unknown = uniqueEmail("unknown");
    const answers = [];
    for (const email of [known.email, unknown]) {
      answers.push(
        await addFestivalMember(actor(admin), festival, { email, role: "door" }, { locale: "en" }),
      );
      expect(await prisma.invitation.count({ where: { festivalId: festival.id, email } })).toBe(1);
      expect(await prisma.outboxEmail.count({ where: { to: email, template: "invitation" } })).toBe(
        1,
      );
    }
    expect(answers).toEqual([{ status: "invited" }, { status: "invited" }]);
    expect(await prisma.festivalMember.count({ where: { festivalId: festival.id } })).toBe(0);
    // Asking again replaces the earlier invitation rather than piling them up.
    await addFestivalMember(
      actor(admin),
      festival,
      { email: known.email, role: "organiser" },
      { locale: "en" },
    );
    expect(
      await prisma.invitation.findMany({
        where: { festivalId: festival.id, email: known.email },
        select: { festivalRole: true },
      }),
    ).toEqual([{ festivalRole: "organiser" }]);
  });
});

describe("searchTickets", () => {
  it("needs 3 characters, answers at most the cap, and counts each search without its query", async () => {
    const person = await createUserRow();
    const festival = await createFestivalRow();
    const made = await createDoorDevice(actor(person), festival, "Searcher");
    const device = await requireDevice(bearer(made.token));
    await expect(searchTickets(device, " ab ")).rejects.toBeInstanceOf(FieldRulesError);
    const type = await prisma.ticketType.create({
      data: { festivalId: festival.id, name: '{"*":"Entry"}', priceMinor: 0, capacity: 100 },
    });
    for (let i = 0; i < SEARCH_MAX_RESULTS + 2; i++) {
      const order = await prisma.order.create({
        data: {
          id: `order-${i}-${made.id}`,
          festivalId: festival.id,
          code: `CODE-${i}-${made.id}`.slice(0, 20),
          accessToken: `access-${i}-${made.id}`,
          name: `Vera Capped ${i}`,
          status: "confirmed",
          paymentMethod: "free",
          currency: "EUR",
          totalMinor: 0,
        },
      });
      const item = await prisma.orderItem.create({
        data: {
          orderId: order.id,
          kind: "ticket",
          ticketTypeId: type.id,
          quantity: 1,
          unitPriceMinor: 0,
          amountMinor: 0,
        },
      });
      await prisma.ticket.create({
        data: {
          id: `ticket-${i}-${made.id}`,
          orderId: order.id,
          orderItemId: item.id,
          festivalId: festival.id,
          ticketTypeId: type.id,
          qrToken: "not-used-here",
        },
      });
    }
    const capped = await searchTickets(device, "capped");
    expect(capped.results).toHaveLength(SEARCH_MAX_RESULTS);
    expect(capped.truncated).toBe(true);
    const one = await searchTickets(device, "Capped 11");
    expect(one).toMatchObject({ truncated: false, results: [{ name: "Vera Capped 11" }] });
    const rows = await prisma.doorSearch.findMany({ where: { deviceId: made.id } });
    expect(rows.map((r) => r.results)).toEqual([SEARCH_MAX_RESULTS, 1]);
    expect(JSON.stringify(rows)).not.toMatch(/capped/i);
    const listed = (await listDoorDevices(festival.id)).find((d) => d.id === made.id);
    expect(listed?.searches).toMatchObject({ today: 2, total: 2 });
  });
});
