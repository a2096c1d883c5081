// A door device's "last seen" only moves forward (decision 0039): with two app
// processes each throttling its own writes, the one that writes later with an
// older clock reading must not set it back.
import { freshTestEnv } from "../helpers/env";
import { afterAll, beforeAll, expect, it } from "vitest";
import { requireDevice } from "~/models/door.server";
import { sha256 } from "~/utils/crypto.server";
import { disconnectDatabase, prepareDatabase, prisma } from "~/utils/db.server";
import { createFestivalRow, createUserRow } from "../helpers/fixtures";

freshTestEnv();
beforeAll(() => prepareDatabase());
afterAll(() => disconnectDatabase());

async function deviceSeenAt(lastSeenAt: Date | null) {
  const festival = await createFestivalRow();
  const owner = await createUserRow();
  const token = `door-token-${Math.random().toString(36).slice(2)}-0123456789`;
  const device = await prisma.doorDevice.create({
    data: {
      festivalId: festival.id,
      name: "Door",
      tokenHash: sha256(token),
      createdById: owner.id,
      lastSeenAt,
    },
  });
  const request = new Request("http://localhost/api/v1/door/manifest", {
    headers: { Authorization: `Bearer ${token}` },
  });
  return { id: device.id, request };
}

const seen = async (id: string) =>
  (await prisma.doorDevice.findUniqueOrThrow({ where: { id } })).lastSeenAt;

it("is set on first use and moved forward, never back", async () => {
  const fresh = await deviceSeenAt(null);
  const before = Date.now();
  await requireDevice(fresh.request);
  expect((await seen(fresh.id))!.getTime()).toBeGreaterThanOrEqual(before - 1);

  const old = await deviceSeenAt(new Date(Date.now() - 3_600_000));
  await requireDevice(old.request);
  expect((await seen(old.id))!.getTime()).toBeGreaterThanOrEqual(before - 1);

  // Another process wrote a later time than this one's clock reading.
  const ahead = new Date(Date.now() + 60_000);
  const later = await deviceSeenAt(ahead);
  await requireDevice(later.request);
  expect((await seen(later.id))!.getTime()).toBe(ahead.getTime());
});
