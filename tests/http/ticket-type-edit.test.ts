// Editing ticket types and quotas: PATCH /api/v1/ticket-types/:id, PATCH
// /api/v1/quotas/:id and the form at /admin/festivals/:id/tickets/:typeId.
// Capacity never goes below what is sold or held, quota moves carry the held
// places along (or are refused), prices never touch existing orders, and
// another festival's type is as unknown as a missing one.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import {
  addMember,
  apiToken,
  createFestivalRow,
  createUserRow,
  signedInClient,
  uniqueEmail,
} from "../helpers/fixtures";
import { prisma } from "~/utils/db.server";

let app: TestApp;
let token: string;
let browser: Client;
let festivalId: string;
let otherFestivalId: string;
let otherTypeId: string;
let otherQuotaId: string;

const BELOW_RESERVED = (n: number) =>
  `${n} places are already sold or held, so the capacity cannot be lower than ${n}.`;

let counter = 0;
/** A ticket type with `reserved` places already taken (counted in its quota too). */
async function makeType(
  options: { reserved?: number; capacity?: number; quotaId?: string | null; fid?: string } = {},
) {
  const reserved = options.reserved ?? 0;
  const type = await prisma.ticketType.create({
    data: {
      festivalId: options.fid ?? festivalId,
      name: JSON.stringify({ en: `Type ${++counter}`, ru: `Тип ${counter}` }),
      priceMinor: 1200,
      capacity: options.capacity ?? 50,
      reserved,
      quotaId: options.quotaId ?? null,
    },
  });
  if (options.quotaId && reserved)
    await prisma.quota.update({
      where: { id: options.quotaId },
      data: { reserved: { increment: reserved } },
    });
  return type;
}

async function makeQuota(capacity: number, reserved = 0, fid = festivalId) {
  return prisma.quota.create({
    data: { festivalId: fid, name: `Quota ${++counter}`, capacity, reserved },
  });
}

const typeRow = (id: string) => prisma.ticketType.findUniqueOrThrow({ where: { id } });
const quotaRow = (id: string) => prisma.quota.findUniqueOrThrow({ where: { id } });
const patchType = (id: string, body: unknown) =>
  new Client(app.url).api("PATCH", `/api/v1/ticket-types/${id}`, body, token);
const patchQuota = (id: string, body: unknown) =>
  new Client(app.url).api("PATCH", `/api/v1/quotas/${id}`, body, token);
const editPage = (typeId: string, fid = festivalId) => `/admin/festivals/${fid}/tickets/${typeId}`;

/** What the edit form would send for a type as stored, with `overrides`. */
function formOf(overrides: Record<string, string> = {}) {
  return {
    "name.en": "Standard",
    "name.ru": "Стандарт",
    "description.en": "",
    "description.ru": "",
    price: "12.00",
    capacity: "50",
    maxPerOrder: "10",
    quotaId: "",
    salesStartAt: "",
    salesEndAt: "",
    visibility: "public",
    accessCode: "",
    ...overrides,
  };
}

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  const organiser = await createUserRow({ email: uniqueEmail("tt-organiser") });
  const stranger = await createUserRow({ email: uniqueEmail("tt-stranger") });
  const festival = await createFestivalRow({ name: "Edit Fest", timezone: "Europe/Riga" });
  const other = await createFestivalRow({ name: "Somebody Else's Fest" });
  festivalId = festival.id;
  otherFestivalId = other.id;
  await addMember(festival.id, organiser.id, "organiser");
  await addMember(other.id, stranger.id, "organiser");
  token = await apiToken(app.url, organiser.email);
  browser = await signedInClient(app.url, organiser.email);
  otherQuotaId = (await makeQuota(100, 0, other.id)).id;
  otherTypeId = (await makeType({ fid: other.id, reserved: 2 })).id;
});

afterAll(async () => {
  await app?.close();
});

describe("PATCH /api/v1/ticket-types/:id", () => {
  it("changes the given fields only, reading times in the festival's zone, and audits", async () => {
    const type = await makeType({ reserved: 2 });
    const res = await patchType(type.id, {
      name: { en: "Supporter", ru: "Поддержка" },
      description: { en: "Pays for a second ticket." },
      priceMinor: 2500,
      capacity: 80,
      salesStartAt: "2029-12-01T10:00",
      salesEndAt: "2030-01-26T12:00:00Z",
      maxPerOrder: 4,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json()).toEqual({ id: type.id });
    const row = await typeRow(type.id);
    expect(JSON.parse(row.name)).toEqual({ en: "Supporter", ru: "Поддержка" });
    expect(JSON.parse(row.description)).toEqual({ en: "Pays for a second ticket." });
    expect(row.priceMinor).toBe(2500);
    expect(row.capacity).toBe(80);
    expect(row.reserved).toBe(2);
    expect(row.maxPerOrder).toBe(4);
    expect(row.visibility).toBe("public");
    // Riga is UTC+2 in winter.
    expect(row.salesStartAt?.toISOString()).toBe("2029-12-01T08:00:00.000Z");
    expect(row.salesEndAt?.toISOString()).toBe("2030-01-26T12:00:00.000Z");
    const event = await prisma.auditEvent.findFirst({
      where: { action: "ticketType.update", targetId: type.id },
    });
    expect(event).not.toBeNull();

    // A later patch of one field leaves the rest alone; null clears.
    const again = await patchType(type.id, { salesStartAt: null, description: null });
    expect(again.status, again.text).toBe(200);
    const after = await typeRow(type.id);
    expect(after.salesStartAt).toBeNull();
    expect(after.description).toBe("{}");
    expect(after.priceMinor).toBe(2500);
    expect(JSON.parse(after.name)).toEqual({ en: "Supporter", ru: "Поддержка" });
  });

  it("switches to pay-what-you-want and to hidden with the rules of creation", async () => {
    const type = await makeType();
    const res = await patchType(type.id, {
      payWhatYouWant: true,
      minPriceMinor: 500,
      suggestedPriceMinor: 1500,
      visibility: "hidden",
      accessCode: "FRIENDS-2030",
    });
    expect(res.status, res.text).toBe(200);
    const row = await typeRow(type.id);
    expect(row).toMatchObject({
      payWhatYouWant: true,
      minPriceMinor: 500,
      suggestedPriceMinor: 1500,
      visibility: "hidden",
      accessCode: "FRIENDS-2030",
    });
    // Back to a fixed public price: the extra values go.
    const back = await patchType(type.id, { payWhatYouWant: false, visibility: "public" });
    expect(back.status, back.text).toBe(200);
    expect(await typeRow(type.id)).toMatchObject({
      payWhatYouWant: false,
      minPriceMinor: null,
      suggestedPriceMinor: null,
      accessCode: null,
    });
  });

  it("never changes existing orders when the price changes", async () => {
    const type = await makeType({ reserved: 1 });
    const order = await prisma.order.create({
      data: {
        id: `ord_edit_${Date.now().toString(36)}`,
        festivalId,
        code: `EDIT-${Date.now().toString(36)}`,
        accessToken: `tok-${Date.now().toString(36)}-${Math.random()}`,
        email: "buyer@example.test",
        status: "confirmed",
        paymentMethod: "door",
        currency: "EUR",
        totalMinor: 1200,
        items: {
          create: {
            id: `itm_edit_${Date.now().toString(36)}`,
            kind: "ticket",
            ticketTypeId: type.id,
            quantity: 1,
            unitPriceMinor: 1200,
            amountMinor: 1200,
          },
        },
      },
      include: { items: true },
    });
    const res = await patchType(type.id, { priceMinor: 9900 });
    expect(res.status, res.text).toBe(200);
    const after = await prisma.order.findUniqueOrThrow({
      where: { id: order.id },
      include: { items: true },
    });
    expect(after.totalMinor).toBe(1200);
    expect(after.items.map((i) => [i.unitPriceMinor, i.amountMinor])).toEqual([[1200, 1200]]);
    expect((await typeRow(type.id)).priceMinor).toBe(9900);
  });

  it("refuses a capacity below the places sold or held (422, nothing changed)", async () => {
    const type = await makeType({ reserved: 3, capacity: 10 });
    const before = await typeRow(type.id);
    const res = await patchType(type.id, { capacity: 2, name: "Renamed meanwhile" });
    expect(res.status, res.text).toBe(422);
    const body = res.json<{ error: string; fields: Record<string, string> }>();
    expect(body.error).toBe("validation_failed");
    expect(body.fields.capacity).toBe(BELOW_RESERVED(3));
    expect(await typeRow(type.id)).toEqual(before);
    // Exactly the reserved count is fine.
    const ok = await patchType(type.id, { capacity: 3 });
    expect(ok.status, ok.text).toBe(200);
    expect((await typeRow(type.id)).capacity).toBe(3);
  });

  it("moves held places to a quota with room, in one go", async () => {
    const from = await makeQuota(10);
    const to = await makeQuota(10, 5);
    const type = await makeType({ reserved: 3, quotaId: from.id });
    expect((await quotaRow(from.id)).reserved).toBe(3);
    const res = await patchType(type.id, { quotaId: to.id });
    expect(res.status, res.text).toBe(200);
    expect((await typeRow(type.id)).quotaId).toBe(to.id);
    expect((await quotaRow(from.id)).reserved).toBe(0);
    expect((await quotaRow(to.id)).reserved).toBe(8);
    // Out of any quota: the places are given back.
    const out = await patchType(type.id, { quotaId: null });
    expect(out.status, out.text).toBe(200);
    expect((await typeRow(type.id)).quotaId).toBeNull();
    expect((await quotaRow(to.id)).reserved).toBe(5);
  });

  it("refuses a move to a quota without room (422, nothing changed)", async () => {
    const from = await makeQuota(10);
    const full = await makeQuota(4, 2);
    const type = await makeType({ reserved: 3, quotaId: from.id });
    const before = [await typeRow(type.id), await quotaRow(from.id), await quotaRow(full.id)];
    const res = await patchType(type.id, { quotaId: full.id, priceMinor: 1 });
    expect(res.status, res.text).toBe(422);
    expect(res.json<{ fields: Record<string, string> }>().fields.quotaId).toMatch(
      /only 2 places left/,
    );
    expect([await typeRow(type.id), await quotaRow(from.id), await quotaRow(full.id)]).toEqual(
      before,
    );
  });

  it("refuses hostile and inconsistent values field by field, changing nothing", async () => {
    const type = await makeType({ reserved: 1 });
    const before = await typeRow(type.id);
    const cases: [unknown, string][] = [
      [{ priceMinor: -1 }, "priceMinor"],
      [{ priceMinor: 1.5 }, "priceMinor"],
      [{ priceMinor: "100" }, "priceMinor"],
      [{ priceMinor: 1e12 }, "priceMinor"],
      [{ capacity: -5 }, "capacity"],
      [{ capacity: 1e9 }, "capacity"],
      [{ capacity: null }, "capacity"],
      [{ maxPerOrder: 0 }, "maxPerOrder"],
      [{ name: "" }, "name"],
      [{ name: {} }, "name"],
      [{ name: "Evil\u202eepyt" }, "name"],
      [{ name: { xx: "Unknown language" } }, "name.xx"],
      [{ description: "x".repeat(2001) }, "description"],
      [{ visibility: "secret" }, "visibility"],
      [{ visibility: "hidden" }, "accessCode"],
      [{ visibility: "hidden", accessCode: "a b" }, "accessCode"],
      [{ minPriceMinor: 100 }, "minPriceMinor"],
      [
        { payWhatYouWant: true, minPriceMinor: 500, suggestedPriceMinor: 100 },
        "suggestedPriceMinor",
      ],
      [{ salesStartAt: "yesterday" }, "salesStartAt"],
      [{ salesStartAt: "2030-01-02T10:00", salesEndAt: "2030-01-01T10:00" }, "salesEndAt"],
      [{ quotaId: otherQuotaId }, "quotaId"],
      [{ quotaId: "x".repeat(65) }, "quotaId"],
      [{ reserved: 0 }, "reserved"],
      [{ festivalId: otherFestivalId }, "festivalId"],
      [JSON.parse('{"__proto__": {"capacity": 0}}'), "__proto__"],
    ];
    for (const [body, field] of cases) {
      const res = await patchType(type.id, body);
      expect(res.status, `${JSON.stringify(body)}: ${res.text}`).toBe(422);
      const fields = res.json<{ fields: Record<string, string> }>().fields;
      expect(Object.keys(fields), JSON.stringify(body)).toContain(field);
    }
    for (const raw of ["[]", "not json", '"string"']) {
      const res = await patchType(type.id, raw);
      expect(res.status).toBe(400);
    }
    const wrongType = await new Client(app.url).request(
      "PATCH",
      `/api/v1/ticket-types/${type.id}`,
      {
        body: "capacity=0",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Authorization: `Bearer ${token}`,
        },
      },
    );
    expect(wrongType.status).toBe(415);
    expect(await typeRow(type.id)).toEqual(before);
  });

  it("answers 404 alike for another festival's type and an unknown one", async () => {
    const before = await typeRow(otherTypeId);
    const other = await patchType(otherTypeId, { priceMinor: 1 });
    const unknown = await patchType("c0000000000000000000nope", { priceMinor: 1 });
    const long = await patchType("x".repeat(200), { priceMinor: 1 });
    expect(other.status).toBe(404);
    expect(other.text).toBe(unknown.text);
    expect(long.status).toBe(404);
    expect(await typeRow(otherTypeId)).toEqual(before);
    const anonymous = await new Client(app.url).api(
      "PATCH",
      `/api/v1/ticket-types/${otherTypeId}`,
      {
        priceMinor: 1,
      },
    );
    expect(anonymous.status).toBe(401);
    const get = await new Client(app.url).api("GET", `/api/v1/ticket-types/${otherTypeId}`);
    expect(get.status).toBe(405);
  });
});

describe("PATCH /api/v1/quotas/:id", () => {
  it("renames and resizes, never below what it holds", async () => {
    const quota = await makeQuota(20);
    await makeType({ reserved: 6, quotaId: quota.id });
    const ok = await patchQuota(quota.id, { name: "Main hall", capacity: 6 });
    expect(ok.status, ok.text).toBe(200);
    expect(await quotaRow(quota.id)).toMatchObject({ name: "Main hall", capacity: 6, reserved: 6 });
    const below = await patchQuota(quota.id, { capacity: 5, name: "Other" });
    expect(below.status).toBe(422);
    expect(below.json<{ fields: Record<string, string> }>().fields.capacity).toBe(
      BELOW_RESERVED(6),
    );
    expect(await quotaRow(quota.id)).toMatchObject({ name: "Main hall", capacity: 6 });
    for (const body of [{ capacity: -1 }, { name: "" }, { reserved: 0 }, { capacity: "7" }]) {
      const res = await patchQuota(quota.id, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
    }
  });

  it("answers 404 alike for another festival's quota and an unknown one", async () => {
    const other = await patchQuota(otherQuotaId, { capacity: 1 });
    const unknown = await patchQuota("c0000000000000000000nope", { capacity: 1 });
    expect(other.status).toBe(404);
    expect(other.text).toBe(unknown.text);
    expect((await quotaRow(otherQuotaId)).capacity).toBe(100);
  });
});

describe("the edit form", () => {
  it("is linked from the tickets page and prefilled, money in major units and local times", async () => {
    const type = await makeType({ reserved: 2 });
    await prisma.ticketType.update({
      where: { id: type.id },
      data: {
        priceMinor: 1550,
        salesStartAt: new Date("2029-12-01T08:00:00Z"),
        description: JSON.stringify({ en: "Early bird", ru: "Ранняя пташка" }),
      },
    });
    const list = await browser.get(`/admin/festivals/${festivalId}/tickets`);
    expect(list.status).toBe(200);
    expect(list.text).toContain(`href="${editPage(type.id)}"`);
    const page = await browser.get(editPage(type.id));
    expect(page.status).toBe(200);
    expect(page.text).toContain('value="15.50"');
    expect(page.text).toContain('value="2029-12-01T10:00"');
    expect(page.text).toContain(`value="Type ${counter}"`);
    expect(page.text).toContain("Ранняя пташка</textarea>");
  });

  it("saves a change", async () => {
    const type = await makeType({ reserved: 2 });
    const res = await browser.postForm(
      editPage(type.id),
      formOf({
        "name.en": "Solidarity",
        "description.en": "With a zine.",
        price: "15,50",
        capacity: "40",
        salesStartAt: "2029-12-01T10:00",
      }),
    );
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    expect(res.text).toContain("Saved.");
    const row = await typeRow(type.id);
    expect(row.priceMinor).toBe(1550);
    expect(row.capacity).toBe(40);
    expect(JSON.parse(row.name)).toEqual({ en: "Solidarity", ru: "Стандарт" });
    expect(JSON.parse(row.description)).toEqual({ en: "With a zine." });
    expect(row.salesStartAt?.toISOString()).toBe("2029-12-01T08:00:00.000Z");
  });

  it("shows capacity below reserved beside the field, keeps the input, changes nothing", async () => {
    const type = await makeType({ reserved: 4 });
    const before = await typeRow(type.id);
    const res = await browser.postForm(
      editPage(type.id),
      formOf({ capacity: "3", "name.en": "Typed but not saved" }),
    );
    expect(res.status).toBe(400);
    expect(res.text).toContain(BELOW_RESERVED(4));
    expect(res.text).toMatch(/class="field-error"[^>]*>4 places are already sold/);
    expect(res.text).toContain('value="Typed but not saved"');
    expect(await typeRow(type.id)).toEqual(before);
  });

  it("moves to a quota with room and refuses one without", async () => {
    const roomy = await makeQuota(10);
    const tight = await makeQuota(3, 2);
    const type = await makeType({ reserved: 2 });
    const refused = await browser.postForm(editPage(type.id), formOf({ quotaId: tight.id }));
    expect(refused.status).toBe(400);
    expect(refused.text).toMatch(/only 1 place left/);
    expect((await typeRow(type.id)).quotaId).toBeNull();
    expect((await quotaRow(tight.id)).reserved).toBe(2);
    const moved = await browser.postForm(editPage(type.id), formOf({ quotaId: roomy.id }));
    expect(moved.status, moved.text.slice(0, 300)).toBe(200);
    expect((await typeRow(type.id)).quotaId).toBe(roomy.id);
    expect((await quotaRow(roomy.id)).reserved).toBe(2);
  });

  it("refuses hostile values with messages and never a 500", async () => {
    const type = await makeType();
    const before = await typeRow(type.id);
    const cases: [Record<string, string>, string][] = [
      [{ price: "abc" }, "Enter an amount such as 15 or 15.50, at most €1,000,000.00."],
      [{ price: "1.234" }, "Enter an amount such as 15 or 15.50, at most €1,000,000.00."],
      [{ capacity: "-1" }, "Use a whole number from 0 to 1,000,000."],
      [{ capacity: "99999999" }, "Use a whole number from 0 to 1,000,000."],
      [{ maxPerOrder: "0" }, "Use a whole number from 1 to 50."],
      [{ "name.en": "", "name.ru": "" }, "This field is required."],
      // The name is a string-or-per-language union; the option that fits gives its message.
      [{ "name.en": "Bad\u0007bell" }, "Remove control or invisible formatting characters."],
      [{ salesStartAt: "2030-13-45T99:99" }, "Use a valid date and time"],
      [{ visibility: "hidden" }, "Use 4–40 letters, digits, - or _."],
      [{ quotaId: otherQuotaId }, "No such quota in this festival."],
    ];
    for (const [overrides, message] of cases) {
      const res = await browser.postForm(editPage(type.id), formOf(overrides));
      expect(res.status, JSON.stringify(overrides)).toBe(400);
      expect(res.text, JSON.stringify(overrides)).toContain(message);
    }
    expect(await typeRow(type.id)).toEqual(before);
  });

  it("answers 404 for another festival's type under this festival", async () => {
    const before = await typeRow(otherTypeId);
    expect((await browser.get(editPage(otherTypeId))).status).toBe(404);
    expect((await browser.postForm(editPage(otherTypeId), formOf())).status).toBe(404);
    expect((await browser.get(editPage(otherTypeId, otherFestivalId))).status).toBe(404);
    expect(await typeRow(otherTypeId)).toEqual(before);
  });

  it("creates ticket types with descriptions and edits quotas on the tickets page", async () => {
    const add = await browser.postForm(`/admin/festivals/${festivalId}/tickets`, {
      intent: "add-type",
      "name.en": "With description",
      "name.ru": "",
      "description.en": "Includes a badge.",
      "description.ru": "Со значком.",
      price: "10",
      capacity: "30",
      maxPerOrder: "10",
      visibility: "public",
    });
    expect(add.status, add.text.slice(0, 300)).toBe(200);
    const created = await prisma.ticketType.findFirstOrThrow({
      where: { festivalId, name: JSON.stringify({ en: "With description" }) },
    });
    expect(JSON.parse(created.description)).toEqual({
      en: "Includes a badge.",
      ru: "Со значком.",
    });
    const quota = await makeQuota(10, 4);
    const below = await browser.postForm(`/admin/festivals/${festivalId}/tickets`, {
      intent: "edit-quota",
      quotaId: quota.id,
      quotaName: "Renamed",
      quotaCapacity: "3",
    });
    expect(below.status).toBe(400);
    expect(below.text).toContain(BELOW_RESERVED(4));
    expect((await quotaRow(quota.id)).capacity).toBe(10);
    const ok = await browser.postForm(`/admin/festivals/${festivalId}/tickets`, {
      intent: "edit-quota",
      quotaId: quota.id,
      quotaName: "Renamed",
      quotaCapacity: "4",
    });
    expect(ok.status).toBe(200);
    expect(await quotaRow(quota.id)).toMatchObject({ name: "Renamed", capacity: 4 });
  });
});
