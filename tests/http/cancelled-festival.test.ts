// A cancelled festival is read-only for every writer of its records, through
// the API and through the organiser's forms alike: 409 with a clear message and
// nothing written. What a cancellation needs afterwards still works: refunds,
// revoking door devices, team changes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDoorDevice } from "~/models/door.server";
import {
  addProgrammeItem,
  FestivalCancelledError,
  removeProgrammeItem,
  updateFestival,
  festivalInput,
  festivalAsInput,
} from "~/models/festival.server";
import { setSupportedPrisoners } from "~/models/prisoner.server";
import {
  createQuota,
  createTicketType,
  ticketTypeInput,
  updateQuota,
  updateTicketType,
} from "~/models/ticket-type.server";
import type { CurrentUser } from "~/utils/auth.server";
import { prisma } from "~/utils/db.server";
import { translator } from "~/utils/i18n";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { expectFormError } from "../helpers/bad-input";
import {
  buyDoorTicket,
  createDoorDeviceViaApi,
  createPrisonerRow,
  createUserRow,
  doorFestival,
  festivalBody,
  signedInAdmin,
} from "../helpers/fixtures";

let app: TestApp;
let client: Client;
let token: string;
let organiser: Client;
let adminId: string;
let festivalId: string;
let typeId: string;
let quotaId: string;
let itemId: string;
let prisonerId: string;
let orderId: string;
let deviceId: string;

const MESSAGE = "A cancelled festival cannot be changed.";

/** Everything a writer could touch, for "nothing written". */
async function snapshot() {
  const where = { festivalId };
  return JSON.stringify(
    await Promise.all([
      prisma.festival.findUniqueOrThrow({ where: { id: festivalId } }),
      prisma.ticketType.findMany({ where, orderBy: { id: "asc" } }),
      prisma.quota.findMany({ where, orderBy: { id: "asc" } }),
      prisma.programmeItem.findMany({ where, orderBy: { id: "asc" } }),
      prisma.festivalPrisoner.findMany({ where, orderBy: { prisonerId: "asc" } }),
      prisma.doorDevice.findMany({ where, orderBy: { id: "asc" } }),
      prisma.order.count({ where }),
      prisma.auditEvent.count({ where }),
    ]),
  );
}

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  client = new Client(app.url);
  const admin = await signedInAdmin(app.url);
  adminId = admin.user.id;
  token = admin.token;
  organiser = admin.browser;
  ({ id: festivalId, typeId } = await doorFestival(client, token));
  quotaId = (
    await client.api(
      "POST",
      `/api/v1/festivals/${festivalId}/quotas`,
      { name: "Hall", capacity: 50 },
      token,
    )
  ).json<{ id: string }>().id;
  itemId = (
    await prisma.programmeItem.create({
      data: { festivalId, title: "Talk", kind: "talk", startsAt: new Date("2030-01-26T16:00:00Z") },
    })
  ).id;
  prisonerId = (await createPrisonerRow("p-cancel", { en: "A. Prisoner" })).id;
  orderId = (await buyDoorTicket(client, festivalId, typeId, { paid: false })).orderId;
  deviceId = (await createDoorDeviceViaApi(client, token, festivalId, "Door 1")).id;
  const cancel = await client.api(
    "POST",
    `/api/v1/festivals/${festivalId}/cancel`,
    undefined,
    token,
  );
  expect(cancel.json()).toMatchObject({ status: "cancelled" });
});
afterAll(() => app.close());

describe("a cancelled festival through the API", () => {
  const writers: [string, string, () => string, unknown][] = [
    ["PATCH", "festival", () => `/api/v1/festivals/${festivalId}`, { name: "Renamed" }],
    [
      "POST",
      "ticket type",
      () => `/api/v1/festivals/${festivalId}/ticket-types`,
      { name: "Late", priceMinor: 100, capacity: 5 },
    ],
    [
      "POST",
      "quota",
      () => `/api/v1/festivals/${festivalId}/quotas`,
      { name: "Balcony", capacity: 5 },
    ],
    ["PATCH", "ticket type edit", () => `/api/v1/ticket-types/${typeId}`, { capacity: 7 }],
    ["PATCH", "quota edit", () => `/api/v1/quotas/${quotaId}`, { capacity: 7 }],
    [
      "POST",
      "door device",
      () => `/api/v1/festivals/${festivalId}/door-devices`,
      { name: "Door 2" },
    ],
    ["POST", "publish", () => `/api/v1/festivals/${festivalId}/publish`, undefined],
  ];
  for (const [method, what, path, body] of writers) {
    it(`refuses ${method} ${what} with 409 and writes nothing`, async () => {
      const before = await snapshot();
      const res = await client.api(method, path(), body, token);
      expect(res.status).toBe(409);
      expect(res.json()).toMatchObject({ error: "invalid_state", message: MESSAGE });
      expect(await snapshot()).toBe(before);
    });
  }

  it("refuses new orders with 409 festival_cancelled and writes nothing", async () => {
    const before = await snapshot();
    const res = await client.api("POST", `/api/v1/festivals/${festivalId}/orders`, {
      items: [{ ticketTypeId: typeId, quantity: 1 }],
      email: "late@example.test",
      paymentMethod: "door",
    });
    expect(res.status).toBe(409);
    expect(res.json()).toMatchObject({ error: "festival_cancelled" });
    expect(await snapshot()).toBe(before);
  });
});

describe("a cancelled festival through the organiser's forms", () => {
  const base = () => `/admin/festivals/${festivalId}`;
  const forms: [string, () => string, () => Record<string, string>][] = [
    [
      "festival details",
      () => `${base()}?index`,
      () => ({ intent: "save", ...stringFields(festivalBody()) }),
    ],
    [
      "new quota",
      () => `${base()}/tickets`,
      () => ({ intent: "add-quota", quotaName: "B", quotaCapacity: "5" }),
    ],
    [
      "quota edit",
      () => `${base()}/tickets`,
      () => ({ intent: "edit-quota", quotaId, quotaName: "Hall 2", quotaCapacity: "9" }),
    ],
    [
      "new ticket type",
      () => `${base()}/tickets`,
      () => ({
        intent: "add-type",
        "name.en": "Late",
        price: "1",
        capacity: "5",
        maxPerOrder: "2",
      }),
    ],
    [
      "supported prisoners",
      () => `${base()}/tickets`,
      () => ({ intent: "set-prisoners", prisonerIds: prisonerId }),
    ],
    [
      "ticket type edit",
      () => `${base()}/tickets/${typeId}`,
      () => ({
        "name.en": "Renamed",
        price: "15",
        capacity: "900",
        maxPerOrder: "10",
        visibility: "public",
      }),
    ],
    [
      "new programme item",
      () => `${base()}/programme`,
      () => ({ intent: "add", title: "Late talk", kind: "talk", startsAt: "2030-01-26T18:00" }),
    ],
    ["programme removal", () => `${base()}/programme`, () => ({ intent: "remove", itemId })],
    ["new door device", () => `${base()}/door`, () => ({ intent: "add-device", name: "Door 3" })],
  ];
  for (const [what, path, fields] of forms) {
    it(`refuses the ${what} form with 409, says why, and writes nothing`, async () => {
      const before = await snapshot();
      const res = await organiser.postForm(path(), fields(), { "Accept-Language": "en" });
      // Rendered on the page as the form's error, not only in the data the scripts carry.
      expectFormError(res, 409, null, MESSAGE);
      expect(await snapshot()).toBe(before);
    });
  }

  it("says it in the reader's language", async () => {
    const res = await organiser.postForm(
      `${base()}/programme`,
      { intent: "remove", itemId },
      { "Accept-Language": "ru" },
    );
    expectFormError(res, 409, null, "Отменённый фестиваль нельзя изменить.");
  });
});

describe("a cancelled festival in the domain modules", () => {
  const actor = () => ({ id: adminId, role: "admin", memberships: [] }) as unknown as CurrentUser;
  const festival = () => prisma.festival.findUniqueOrThrow({ where: { id: festivalId } });
  const calls: [string, () => Promise<unknown>][] = [
    [
      "updateFestival",
      async () =>
        updateFestival(actor(), festivalId, festivalInput.parse(festivalAsInput(await festival()))),
    ],
    ["createQuota", () => createQuota(actor(), festivalId, { name: "Q", capacity: 1 })],
    ["updateQuota", () => updateQuota(actor(), festivalId, quotaId, { capacity: 3 })],
    [
      "createTicketType",
      async () =>
        createTicketType(
          actor(),
          await festival(),
          ticketTypeInput.parse({ name: "T", priceMinor: 0, capacity: 1 }),
        ),
    ],
    [
      "updateTicketType",
      async () => updateTicketType(actor(), await festival(), typeId, { capacity: 3 }),
    ],
    [
      "addProgrammeItem",
      async () =>
        addProgrammeItem(
          actor(),
          await festival(),
          { title: "T", kind: "talk", startsAt: "2030-01-26T18:00" },
          translator("en"),
        ),
    ],
    ["removeProgrammeItem", () => removeProgrammeItem(actor(), festivalId, itemId)],
    ["setSupportedPrisoners", () => setSupportedPrisoners(actor(), festivalId, [prisonerId])],
    ["createDoorDevice", async () => createDoorDevice(actor(), await festival(), "Door 4")],
  ];
  for (const [name, call] of calls) {
    it(`${name} refuses with FestivalCancelledError and writes nothing`, async () => {
      const before = await snapshot();
      await expect(call()).rejects.toBeInstanceOf(FestivalCancelledError);
      expect(await snapshot()).toBe(before);
    });
  }
});

describe("what a cancellation still needs", () => {
  it("cancels an order, revokes a door device and changes the team", async () => {
    const refund = await client.api("POST", `/api/v1/orders/${orderId}/refund`, undefined, token);
    expect(refund.status).toBe(200);
    expect(refund.json()).toMatchObject({ status: "cancelled" });
    const revoke = await client.api("DELETE", `/api/v1/door-devices/${deviceId}`, undefined, token);
    expect(revoke.status).toBe(204);
    const member = await createUserRow();
    await prisma.festivalMember.create({ data: { festivalId, userId: member.id, role: "door" } });
    const remove = await organiser.postForm(`/admin/festivals/${festivalId}/team`, {
      intent: "remove",
      userId: member.id,
      confirm: "yes",
    });
    expect(remove.status).toBe(200);
    expect(await prisma.festivalMember.count({ where: { festivalId, userId: member.id } })).toBe(0);
  });
});

/** A festival body as form fields (arrays become repeated fields' first value). */
function stringFields(body: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) {
    if (typeof v === "string") out[k] = v;
    else if (Array.isArray(v)) out[k] = String(v[0]);
  }
  out.startsAt = "2030-01-26T15:00";
  out.endsAt = "2030-01-26T23:00";
  return out;
}
