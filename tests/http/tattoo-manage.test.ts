// Cancel and reschedule a tattoo booking over real HTTP against the production
// build: the order page offers both (stating what happens to the donation),
// its forms and the API change the booking, a wrong token is a 404, after the
// cut-off the buttons say why they are gone and the API answers 409, hostile
// input is a clear 4xx that writes nothing; and the festival's tattoo settings
// (API and page) refuse values outside the database's limits.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sqlClient } from "~/utils/db.server";
import { translator } from "~/utils/i18n";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { escapeHtml, expectApiError, MB, SCRIPT, unchanged } from "../helpers/bad-input";
import { apiToken, createFestivalRow, createUserRow, signedInClient } from "../helpers/fixtures";
import { createArtistRow, createSlotRow, slotState } from "../helpers/tattoo";

let app: TestApp;
let client: Client;
let admin: Client;
let token: string;
let festivalId: string;
let artistId: string;
const t = translator("en");

const DAY = 24 * 60 * 60_000;
const HOUR = 60 * 60_000;
let n = 0;
/** A whole hour `hours` from now (each test its own hours: one artist's slots never overlap). */
const at = (hours: number) => new Date(Math.floor(Date.now() / HOUR) * HOUR + hours * HOUR);

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  client = new Client(app.url);
  const user = await createUserRow({ role: "admin" });
  token = await apiToken(app.url, user.email);
  admin = await signedInClient(app.url, user.email);
  festivalId = (
    await createFestivalRow({
      status: "published",
      publishedAt: new Date(),
      paymentMethods: JSON.stringify(["door"]),
      startsAt: new Date(Date.now() + DAY),
      endsAt: new Date(Date.now() + 40 * DAY),
    })
  ).id;
  artistId = (await createArtistRow(festivalId, { name: "Ink Witch" })).id;
});
afterAll(() => app.close());

/** A door order for a tattoo in a new slot starting `hours` from now: its link and line. */
async function book(hours: number) {
  const slot = await createSlotRow(festivalId, artistId, at(hours));
  const res = await client.api("POST", `/api/v1/festivals/${festivalId}/orders`, {
    email: `booker-${++n}@example.test`,
    paymentMethod: "door",
    items: [{ kind: "tattoo_slot", tattooSlotId: slot.id, donationMinor: 2500 }],
  });
  expect(res.status, res.text).toBe(201);
  const { orderUrl, id } = res.json<{ orderUrl: string; id: string }>();
  const { rows } = await sqlClient().execute({
    sql: "SELECT orderItemId FROM TattooBooking WHERE orderId = ?",
    args: [id],
  });
  return {
    slot,
    path: new URL(orderUrl).pathname,
    token: new URL(orderUrl).pathname.split("/")[2]!,
    itemId: String(rows[0]!.orderItemId),
  };
}

async function bookingSlot(itemId: string) {
  const { rows } = await sqlClient().execute({
    sql: "SELECT slotId, status FROM TattooBooking WHERE orderItemId = ?",
    args: [itemId],
  });
  return { slotId: String(rows[0]!.slotId), status: String(rows[0]!.status) };
}

describe("the order page", () => {
  it("offers cancel (stating what happens to the donation) and a move to the artist's free times", async () => {
    const b = await book(100);
    const free = await createSlotRow(festivalId, artistId, at(102));
    const page = await client.get(b.path, { "Accept-Language": "en" });
    expect(page.status).toBe(200);
    expect(page.text).toContain(t("tattooManage.cancel"));
    expect(page.text).toContain(t("tattooManage.move"));
    expect(page.text).toContain(escapeHtml(t("tattooManage.warnNothingDue")));
    expect(page.text).toContain(escapeHtml(t("tattooManage.policyRefund")));
    expect(page.text).toContain(`value="${free.id}"`);
    expect(page.text).toContain(`action="/orders/${b.token}/tattoo/${b.itemId}"`);
    const ru = await client.get(b.path, { "Accept-Language": "ru" });
    expect(ru.text).toContain("Отменить тату");
  });

  it("cancels through its form only after the confirmation step, then says so", async () => {
    const b = await book(110);
    const action = `/orders/${b.token}/tattoo/${b.itemId}`;
    const unconfirmed = await unchanged(() => client.postForm(action, { intent: "cancel" }));
    expect(unconfirmed.status).toBe(400);
    const done = await client.postForm(action, { intent: "cancel", confirm: "yes" });
    expect(done.status).toBe(303);
    expect(done.location).toBe(`/orders/${b.token}?tattoo=cancelled#tattoo-${b.itemId}`);
    expect((await bookingSlot(b.itemId)).status).toBe("cancelled");
    expect((await slotState(b.slot.id)).reserved).toBe(0);
    const page = await client.get(`/orders/${b.token}?tattoo=cancelled`, {
      "Accept-Language": "en",
    });
    expect(page.text).toContain(escapeHtml(t("tattooManage.cancelled")));
    expect(page.text).not.toContain(t("tattooManage.confirmCancel"));
    await app.mail.waitFor((m) => /^Cancelled:/.test(m.subject ?? ""));
  });

  it("moves through its form; a taken time is refused on the page with a 409 and nothing moves", async () => {
    const b = await book(120);
    const free = await createSlotRow(festivalId, artistId, at(121));
    const taken = await book(122);
    const action = `/orders/${b.token}/tattoo/${b.itemId}`;
    const refused = await unchanged(() =>
      client.postForm(
        action,
        { intent: "move", slotId: taken.slot.id },
        { "Accept-Language": "en" },
      ),
    );
    expect(refused.status).toBe(409);
    expect(refused.text).toContain(escapeHtml(t("tattoo.slotTaken")));
    // The order page is around the refusal.
    expect(refused.text).toContain(t("tattooBooking.title"));
    const moved = await client.postForm(action, { intent: "move", slotId: free.id });
    expect(moved.status).toBe(303);
    expect(await bookingSlot(b.itemId)).toEqual({ slotId: free.id, status: "booked" });
    expect((await slotState(b.slot.id)).reserved).toBe(0);
    expect((await slotState(free.id)).reserved).toBe(1);
    await app.mail.waitFor((m) => /^New time:/.test(m.subject ?? ""));
  });

  it("says why the buttons are gone after the cut-off, and the API answers 409", async () => {
    const b = await book(6);
    const page = await client.get(b.path, { "Accept-Language": "en" });
    expect(page.text).not.toContain(t("tattooManage.cancel"));
    expect(page.text).toContain("Cancelling or moving closed 12 hours before the tattoo");
    const res = await unchanged(() =>
      client.api("POST", `/api/v1/orders/${b.token}/tattoo/${b.itemId}/cancel`),
    );
    expect(expectApiError(res, 409).error).toBe("cancel_window_closed");
    const form = await unchanged(() =>
      client.postForm(`/orders/${b.token}/tattoo/${b.itemId}`, {
        intent: "cancel",
        confirm: "yes",
      }),
    );
    expect(form.status).toBe(409);
  });
});

describe("the API", () => {
  it("reschedules with {slotId} and cancels, the order's token being the authority", async () => {
    const b = await book(130);
    const free = await createSlotRow(festivalId, artistId, at(131));
    const moved = await client.api(
      "POST",
      `/api/v1/orders/${b.token}/tattoo/${b.itemId}/reschedule`,
      { slotId: free.id },
    );
    expect(moved.status, moved.text).toBe(200);
    expect(moved.json()).toMatchObject({ orderItemId: b.itemId, slotId: free.id });
    const cancelled = await client.api(
      "POST",
      `/api/v1/orders/${b.token}/tattoo/${b.itemId}/cancel`,
    );
    expect(cancelled.status, cancelled.text).toBe(200);
    expect(cancelled.json()).toMatchObject({ outcome: "released", status: "cancelled" });
    expect((await slotState(free.id)).reserved).toBe(0);
    const again = await client.api(
      "POST",
      `/api/v1/orders/${b.token}/tattoo/${b.itemId}/cancel`,
      {},
    );
    expect(expectApiError(again, 409).error).toBe("not_booked");
  });

  it("answers 404 for a wrong token or another order's line, and changes nothing", async () => {
    const mine = await book(140);
    const theirs = await book(141);
    const free = await createSlotRow(festivalId, artistId, at(142));
    for (const path of [
      `/api/v1/orders/${"x".repeat(32)}/tattoo/${mine.itemId}/cancel`,
      `/api/v1/orders/${mine.token}/tattoo/${theirs.itemId}/cancel`,
      `/api/v1/orders/${mine.token}/tattoo/nope/cancel`,
      `/api/v1/orders/short/tattoo/${mine.itemId}/cancel`,
    ])
      expectApiError(await unchanged(() => client.api("POST", path)), 404);
    expectApiError(
      await unchanged(() =>
        client.api("POST", `/api/v1/orders/${mine.token}/tattoo/${theirs.itemId}/reschedule`, {
          slotId: free.id,
        }),
      ),
      404,
    );
    const page = await unchanged(() =>
      client.postForm(`/orders/${"x".repeat(32)}/tattoo/${mine.itemId}`, {
        intent: "cancel",
        confirm: "yes",
      }),
    );
    expect(page.status).toBe(404);
  });

  it("refuses hostile bodies with a 4xx and writes nothing", async () => {
    const b = await book(150);
    const otherArtist = (await createArtistRow(festivalId)).id;
    const theirs = await createSlotRow(festivalId, otherArtist, at(151));
    const path = `/api/v1/orders/${b.token}/tattoo/${b.itemId}/reschedule`;
    const bodies: [unknown, number, string?][] = [
      [{}, 422, "slotId"],
      [{ slotId: 42 }, 422, "slotId"],
      [{ slotId: null }, 422, "slotId"],
      [{ slotId: "" }, 422, "slotId"],
      [{ slotId: SCRIPT }, 422, "slotId"],
      [{ slotId: "a".repeat(500) }, 422, "slotId"],
      [{ slotId: "a".repeat(10_000) }, 413],
      [{ slotId: theirs.id }, 422, "slotId"],
      [{ slotId: b.slot.id }, 422, "slotId"],
      [{ slotId: theirs.id, extra: 1 }, 422],
      [[theirs.id], 400],
      ["not json", 400],
      [{ slotId: MB }, 413],
    ];
    for (const [body, status, field] of bodies) {
      const res = await unchanged(() => client.api("POST", path, body));
      expectApiError(res, status, field);
    }
    const text = await unchanged(() =>
      client.request("POST", path, {
        body: `slotId=${theirs.id}`,
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
      }),
    );
    expectApiError(text, 415);
    const cancel = `/api/v1/orders/${b.token}/tattoo/${b.itemId}/cancel`;
    expectApiError(
      await unchanged(() => client.api("POST", cancel, { refund: "everything" })),
      422,
    );
    expectApiError(await unchanged(() => client.api("GET", cancel)), 405);
    // The page form: no slot, a hostile one, an unknown intent.
    const form = `/orders/${b.token}/tattoo/${b.itemId}`;
    expect((await unchanged(() => client.postForm(form, { intent: "move" }))).status).toBe(422);
    const hostile = await unchanged(() =>
      client.postForm(form, { intent: "move", slotId: SCRIPT }, { "Accept-Language": "en" }),
    );
    expect(hostile.status).toBe(422);
    expect(hostile.text).not.toContain("<script>alert(1)");
    expect((await unchanged(() => client.postForm(form, { intent: "explode" }))).status).toBe(400);
    expect((await bookingSlot(b.itemId)).slotId).toBe(b.slot.id);
  });
});

describe("tattoo settings", () => {
  const path = () => `/api/v1/festivals/${festivalId}/tattoo-settings`;

  it("reads and changes the settings with an audit row", async () => {
    const read = await client.api("GET", path(), undefined, token);
    expect(read.json()).toEqual({
      festival: { id: festivalId, name: expect.any(String) },
      bookingsPerArtist: 1,
      cancelHours: 12,
      cancelPolicy: "refund",
      offerMinutes: 20,
    });
    const changed = await client.api(
      "PATCH",
      path(),
      { cancelHours: 24, cancelPolicy: "keep" },
      token,
    );
    expect(changed.status, changed.text).toBe(200);
    expect(changed.json()).toMatchObject({ cancelHours: 24, cancelPolicy: "keep" });
    const { rows } = await sqlClient().execute({
      sql: "SELECT details FROM AuditEvent WHERE action = 'festival.tattoo_settings' AND festivalId = ?",
      args: [festivalId],
    });
    expect(JSON.parse(String(rows.at(-1)!.details))).toMatchObject({
      cancelHours: 24,
      cancelHoursBefore: 12,
      cancelPolicy: "keep",
    });
    // A booking made now states the new terms on its page.
    const b = await book(160);
    const page = await client.get(b.path, { "Accept-Language": "en" });
    expect(page.text).toContain(escapeHtml(t("tattooManage.policyKeep")));
    await client.api("PATCH", path(), { cancelHours: 12, cancelPolicy: "refund" }, token);
  });

  it("refuses values outside the database's limits, unknown fields and no token", async () => {
    const bad: [Record<string, unknown>, string | null][] = [
      [{ bookingsPerArtist: 0 }, "bookingsPerArtist"],
      [{ bookingsPerArtist: 21 }, "bookingsPerArtist"],
      [{ bookingsPerArtist: 1.5 }, "bookingsPerArtist"],
      [{ bookingsPerArtist: "2" }, "bookingsPerArtist"],
      [{ cancelHours: -1 }, "cancelHours"],
      [{ cancelHours: 721 }, "cancelHours"],
      [{ cancelHours: 1e308 }, "cancelHours"],
      [{ cancelHours: null }, "cancelHours"],
      [{ cancelPolicy: "maybe" }, "cancelPolicy"],
      [{ cancelPolicy: SCRIPT }, "cancelPolicy"],
      [{ offerMinutes: 4 }, "offerMinutes"],
      [{ offerMinutes: 1441 }, "offerMinutes"],
      [{ tattooCancelHours: 5 }, null],
    ];
    for (const [body, field] of bad)
      expectApiError(
        await unchanged(() => client.api("PATCH", path(), body, token), festivalId),
        422,
        field ?? undefined,
      );
    expectApiError(await unchanged(() => client.api("PATCH", path(), { cancelHours: 5 })), 401);
    expectApiError(
      await unchanged(() => client.api("POST", path(), { cancelHours: 5 }, token)),
      405,
    );
  });

  it("has a page with the form; it saves, and shows a refusal next to its field", async () => {
    const url = `/admin/festivals/${festivalId}/tattoo-settings`;
    const page = await admin.get(url, { "Accept-Language": "en" });
    expect(page.status).toBe(200);
    expect(page.text).toContain(t("tattooSettings.title"));
    const fields = {
      bookingsPerArtist: "2",
      cancelHours: "12",
      cancelPolicy: "refund",
      offerMinutes: "30",
    };
    const bad = await unchanged(
      () => admin.postForm(url, { ...fields, offerMinutes: "3" }, { "Accept-Language": "en" }),
      festivalId,
    );
    expect(bad.status).toBe(422);
    expect(bad.text).toContain(t("v.tattooSetting.offerMinutes"));
    const saved = await admin.postForm(url, fields, { "Accept-Language": "en" });
    expect(saved.status).toBe(200);
    expect(saved.text).toContain(t("tattooSettings.saved"));
    const read = await client.api(
      "GET",
      `/api/v1/festivals/${festivalId}/tattoo-settings`,
      undefined,
      token,
    );
    expect(read.json()).toMatchObject({ bookingsPerArtist: 2, offerMinutes: 30 });
    expect((await client.get(url)).status).toBe(302);
  });
});
