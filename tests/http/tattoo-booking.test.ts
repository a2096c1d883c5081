// Issue 10, booking a donation tattoo from the public festival page, against
// the production build, real SQLite and a real SMTP server: a ticket and a
// tattoo slot in one order from the page's form (no JavaScript) and from the
// API; the confirmation email gives the slot's time in Europe/Riga, names the
// zone and carries a calendar file whose DTSTART (UTC) is the slot's start; the
// page never shows who booked; hostile form input is refused next to its field
// with nothing stored.
import type { ParsedMail } from "mailparser";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sqlClient } from "~/utils/db.server";
import { translator } from "~/utils/i18n";
import { formatMoney } from "~/utils/money";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { expectApiError, expectFormError, unchanged } from "../helpers/bad-input";
import { apiToken, createUserRow, doorFestival, uniqueEmail } from "../helpers/fixtures";
import { recipients } from "../helpers/smtp";
import { createArtistRow, createFlashRow, createSlotRow, slotState } from "../helpers/tattoo";

const t = translator("en");
const tru = translator("ru");
const eur = (minor: number) => formatMoney(minor, "EUR", "en");

let app: TestApp;
let client: Client;
let adminToken: string;
let festival: { id: string; slug: string; typeId: string };
let otherFestival: { id: string; slug: string; typeId: string };
let artistId: string;
let otherArtistId: string;
let flashId: string;
let goneFlashId: string;
let otherFlashId: string;
let pastSlotId: string;
let foreignSlotId: string;
/** Free slots of the artist, 26 January 2030 from 15:00 Riga time (13:00 UTC), one an hour. */
const slots: { id: string; startsAt: Date; endsAt: Date }[] = [];
const ARTIST = "Ink Riga";
const FIRST_SLOT_UTC = new Date("2030-01-26T13:00:00.000Z");

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  client = new Client(app.url);
  const admin = await createUserRow({ role: "admin" });
  const token = await apiToken(app.url, admin.email);
  adminToken = token;
  festival = await doorFestival(client, token, { name: "Tattoo Riga" });
  otherFestival = await doorFestival(client, token, { name: "Tattoo Warsaw" });
  artistId = (await createArtistRow(festival.id, { name: ARTIST })).id;
  otherArtistId = (await createArtistRow(festival.id, { name: "Second Needle" })).id;
  await sqlClient().execute({
    sql: "UPDATE TattooArtist SET bio = ?, contact = ? WHERE id = ?",
    args: [
      JSON.stringify({ en: "Fine lines in black.", ru: "Тонкие линии чёрным." }),
      "secret-contact@example.test",
      artistId,
    ],
  });
  flashId = (
    await createFlashRow(festival.id, artistId, { title: "Swallow", minDonationMinor: 3000 })
  ).id;
  goneFlashId = (await createFlashRow(festival.id, artistId, { title: "Withdrawn rose" })).id;
  await sqlClient().execute({
    sql: "UPDATE FlashDesign SET status = 'gone' WHERE id = ?",
    args: [goneFlashId],
  });
  otherFlashId = (await createFlashRow(festival.id, otherArtistId, { title: "Anchor" })).id;
  for (let i = 0; i < 8; i++)
    slots.push(
      await createSlotRow(
        festival.id,
        artistId,
        new Date(FIRST_SLOT_UTC.getTime() + i * 60 * 60_000),
        { minDonationMinor: 2000 },
      ),
    );
  await createSlotRow(festival.id, otherArtistId, FIRST_SLOT_UTC, { minDonationMinor: 1500 });
  pastSlotId = (
    await createSlotRow(festival.id, artistId, new Date(Date.now() - 2 * 60 * 60_000), {
      minutes: 30,
    })
  ).id;
  const foreignArtist = await createArtistRow(otherFestival.id, { name: "Warsaw Ink" });
  foreignSlotId = (await createSlotRow(otherFestival.id, foreignArtist.id, FIRST_SLOT_UTC)).id;
});
afterAll(() => app?.close());

const page = (locale = "en") =>
  client.get(`/festivals/${festival.slug}`, { "Accept-Language": locale });
/** A page's markup without React's text separators ("15:00<!-- -->–<!-- -->15:45"). */
const joined = (html: string) => html.replace(/<!-- -->/g, "");

/** The checkout form's fields: one ticket and a tattoo, paid at the festival. */
function formFields(over: Record<string, string> = {}): Record<string, string> {
  return {
    [`qty.${festival.typeId}`]: "1",
    "tattoo.slot": slots[0]!.id,
    "tattoo.design": "",
    "tattoo.donation": "25",
    email: uniqueEmail("tattoo-form"),
    name: "",
    paymentMethod: "door",
    ...over,
  };
}

/** The confirmation email to `to`. */
function confirmation(to: string): Promise<ParsedMail> {
  return app.mail.waitFor(
    (m) => recipients(m).includes(to) && /\.ics$/.test(icsOf(m)?.filename ?? ""),
  );
}

function icsOf(mail: ParsedMail) {
  return mail.attachments.find((a) => a.contentType.startsWith("text/calendar"));
}

/**
 * A calendar file read the way RFC 5545 says (independently of the app's writer):
 * CRLF lines, at most 75 octets each, continuation lines unfolded, then NAME:value.
 */
function parseIcs(text: string) {
  expect(text.endsWith("\r\n")).toBe(true);
  const physical = text.slice(0, -2).split("\r\n");
  for (const line of physical) expect(Buffer.byteLength(line, "utf8")).toBeLessThanOrEqual(75);
  const logical: string[] = [];
  for (const line of physical)
    if (line.startsWith(" ")) logical[logical.length - 1] += line.slice(1);
    else logical.push(line);
  const events: Record<string, string>[] = [];
  let current: Record<string, string> | null = null;
  for (const line of logical) {
    if (line === "BEGIN:VEVENT") current = {};
    else if (line === "END:VEVENT") {
      events.push(current!);
      current = null;
    } else if (current) {
      const colon = line.indexOf(":");
      current[line.slice(0, colon)] = line.slice(colon + 1);
    }
  }
  expect(logical[0]).toBe("BEGIN:VCALENDAR");
  expect(logical.at(-1)).toBe("END:VCALENDAR");
  return events;
}

/** RFC 5545 UTC date-time → Date. */
function icsDate(value: string) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  expect(m, value).not.toBeNull();
  return new Date(Date.UTC(+m![1]!, +m![2]! - 1, +m![3]!, +m![4]!, +m![5]!, +m![6]!));
}

async function booking(orderId: string) {
  const { rows } = await sqlClient().execute({
    sql: "SELECT slotId, flashDesignId, status, holdsSlot, dueMinor FROM TattooBooking WHERE orderId = ?",
    args: [orderId],
  });
  return rows.map((r) => ({ ...r }));
}

async function orderOfEmail(email: string) {
  const { rows } = await sqlClient().execute({
    sql: `SELECT id, accessToken, status FROM "Order" WHERE email = ?`,
    args: [email],
  });
  return rows[0] ? { id: String(rows[0].id), accessToken: String(rows[0].accessToken) } : null;
}

describe("the festival page's tattoo section", () => {
  it("shows the artists, their flash and free slots by the festival's local day, and the cancellation rule", async () => {
    const res = await page();
    expect(res.status).toBe(200);
    const html = joined(res.text);
    expect(html).toContain(t("tattooShop.title"));
    expect(html).toContain(ARTIST);
    expect(html).toContain("Fine lines in black.");
    // Flash: its minimum and the uses left; the withdrawn design is not offered.
    expect(html).toContain("Swallow");
    expect(html).toContain(t("tattooShop.from", { amount: eur(3000) }));
    expect(html).toContain(t("tattooShop.usesLeft", { n: 3 }));
    expect(html).not.toContain("Withdrawn rose");
    expect(html).not.toContain(goneFlashId);
    // 13:00 UTC is 15:00 in Riga (UTC+2 in January), labelled with the zone.
    expect(html).toMatch(/>3:00 PM–3:45 PM</);
    expect(html).toContain("January 26, 2030");
    expect(html).toContain(t("festival.localTime", { zone: "GMT+2" }));
    expect(html).toContain(`value="${slots[0]!.id}"`);
    // A slot that has started is not offered; nor another festival's.
    expect(html).not.toContain(pastSlotId);
    expect(html).not.toContain(foreignSlotId);
    expect(html).toContain(t("tattooShop.cancelRefund", { hours: 12 }));
    // Organisers' data never reaches the page.
    expect(html).not.toContain("secret-contact@example.test");
  });

  it("shows the artist's portfolio as thumbnails the page can load", async () => {
    const png = await sharp({
      create: { width: 600, height: 400, channels: 3, background: "#224488" },
    })
      .png()
      .toBuffer();
    const form = new FormData();
    form.append("image", new Blob([new Uint8Array(png)], { type: "image/png" }), "work.png");
    const up = await client.request("POST", `/api/v1/artists/${artistId}/images`, {
      body: form,
      headers: { Authorization: `Bearer ${adminToken}` },
    });
    expect(up.status, up.text).toBe(201);
    const { thumbUrl } = up.json<{ thumbUrl: string }>();
    const thumbPath = new URL(thumbUrl, app.url).pathname;
    const html = (await page()).text;
    expect(html).toContain(`src="${thumbPath}"`);
    expect(html).toContain(`alt="${t("tattooShop.workBy", { artist: ARTIST })}"`);
    const img = await fetch(app.url + thumbPath);
    expect(img.status).toBe(200);
    expect(img.headers.get("content-type")).toMatch(/^image\//);
  });

  it("speaks the reader's language: the Russian bio, Russian times and the policy as the festival set it", async () => {
    await sqlClient().execute({
      sql: "UPDATE Festival SET tattooCancelHours = 24, tattooCancelPolicy = 'keep' WHERE id = ?",
      args: [festival.id],
    });
    try {
      const html = joined((await page("ru")).text);
      expect(html).toContain(tru("tattooShop.title"));
      expect(html).toContain("Тонкие линии чёрным.");
      expect(html).toMatch(/>15:00–15:45</);
      expect(html).toContain(tru("tattooShop.cancelKeep", { hours: 24 }));
    } finally {
      await sqlClient().execute({
        sql: "UPDATE Festival SET tattooCancelHours = 12, tattooCancelPolicy = 'refund' WHERE id = ?",
        args: [festival.id],
      });
    }
  });
});

describe("booking a ticket and a tattoo in one order", () => {
  it("from the page's form (no JavaScript): the order page, the database and the email with its .ics", async () => {
    const form = await page();
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(form.text)?.[1];
    expect(key).toBeTruthy();
    const email = uniqueEmail("tattoo-form");
    const slot = slots[1]!;
    const res = await client.postForm(`/festivals/${festival.slug}`, {
      ...formFields({
        email,
        "tattoo.slot": slot.id,
        "tattoo.design": flashId,
        "tattoo.donation": "35",
      }),
      idempotencyKey: key!,
    });
    expect(res.status, res.text.slice(0, 500)).toBe(302);
    expect(res.location).toMatch(/^\/orders\/[A-Za-z0-9_-]{20,64}$/);
    const order = (await orderOfEmail(email))!;
    expect(await booking(order.id)).toEqual([
      { slotId: slot.id, flashDesignId: flashId, status: "booked", holdsSlot: 1, dueMinor: 3500 },
    ]);
    expect((await slotState(slot.id)).reserved).toBe(1);

    // The buyer's order page: artist, design, local time with the zone, what is due at the corner.
    const orderPage = await client.get(res.location!);
    expect(orderPage.status).toBe(200);
    expect(orderPage.text).toContain(t("tattooBooking.with", { artist: ARTIST }));
    expect(orderPage.text).toContain(t("tattooBooking.design", { title: "Swallow" }));
    expect(orderPage.text).toContain("4:00 PM–4:45 PM");
    expect(orderPage.text).toContain("GMT+2");
    expect(orderPage.text).toContain(t("tattooBooking.status.due", { amount: eur(3500) }));

    // The slot is no longer offered on the page.
    expect((await page()).text).not.toContain(`value="${slot.id}"`);

    const mail = await confirmation(email);
    expect(mail.text).toContain(t("tattooBooking.with", { artist: ARTIST }));
    expect(mail.text).toContain("Jan 26, 2030, 4:00 PM–4:45 PM");
    expect(mail.text).toContain("Europe/Riga");
    expect(mail.text).toContain("GMT+2");
    expect(mail.text).toContain("Swallow");
    const ics = icsOf(mail)!;
    expect(ics.contentType).toMatch(/^text\/calendar/);
    const events = parseIcs(ics.content.toString("utf8"));
    expect(events).toHaveLength(1);
    expect(icsDate(events[0]!.DTSTART!).toISOString()).toBe(slot.startsAt.toISOString());
    expect(icsDate(events[0]!.DTEND!).toISOString()).toBe(slot.endsAt.toISOString());
    expect(events[0]!.SUMMARY).toContain(ARTIST);
    // Only the order's own data: no address, no name, no secret order link.
    const raw = ics.content.toString("utf8");
    expect(raw).not.toContain(email);
    expect(raw).not.toContain(order.accessToken);

    // The same event from the order page's link, and only with the order's own link.
    const { rows } = await sqlClient().execute({
      sql: "SELECT orderItemId FROM TattooBooking WHERE orderId = ?",
      args: [order.id],
    });
    const itemId = String(rows[0]!.orderItemId);
    expect(orderPage.text).toContain(
      `href="/orders/${order.accessToken}/tattoo/${itemId}/calendar.ics"`,
    );
    const download = await client.get(`/orders/${order.accessToken}/tattoo/${itemId}/calendar.ics`);
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toMatch(/^text\/calendar/);
    expect(download.headers.get("cache-control")).toContain("no-store");
    const again = parseIcs(download.text);
    expect(again[0]!.DTSTART).toBe(events[0]!.DTSTART);
    expect(again[0]!.UID).toBe(events[0]!.UID);
    const stranger = await client.postForm(
      `/festivals/${festival.slug}`,
      formFields({ "tattoo.slot": "", email: uniqueEmail("stranger") }),
    );
    expect(stranger.status).toBe(302);
    expect((await client.get(`${stranger.location}/tattoo/${itemId}/calendar.ics`)).status).toBe(
      404,
    );
    expect((await client.get(`/orders/${order.accessToken}/tattoo/${itemId}.txt`)).status).toBe(
      404,
    );
  });

  it("from the API: items of both kinds, the email in Russian with the Riga time", async () => {
    const email = uniqueEmail("tattoo-api");
    const slot = slots[2]!;
    const res = await client.api(
      "POST",
      `/api/v1/festivals/${festival.id}/orders`,
      {
        items: [
          { ticketTypeId: festival.typeId, quantity: 1 },
          { kind: "tattoo_slot", tattooSlotId: slot.id, donationMinor: 2000 },
        ],
        email,
        paymentMethod: "door",
      },
      undefined,
      { "Accept-Language": "ru" },
    );
    expect(res.status, res.text).toBe(201);
    const body = res.json<{ id: string; totalMinor: number; tickets: unknown[] }>();
    expect(body.totalMinor).toBe(1500 + 2000);
    expect(body.tickets).toHaveLength(1);
    expect(await booking(body.id)).toEqual([
      { slotId: slot.id, flashDesignId: null, status: "booked", holdsSlot: 1, dueMinor: 2000 },
    ]);
    const mail = await confirmation(email);
    expect(mail.text).toContain(tru("tattooBooking.with", { artist: ARTIST }));
    // 15:00 UTC + 2 h = 17:00 in Riga.
    expect(mail.text).toMatch(/26 янв\. 2030 г\., 17:00–17:45/);
    expect(mail.text).toContain("время Europe/Riga");
    expect(mail.text).toContain(tru("tattooBooking.custom"));
    const events = parseIcs(icsOf(mail)!.content.toString("utf8"));
    expect(icsDate(events[0]!.DTSTART!).toISOString()).toBe(slot.startsAt.toISOString());
  });
});

describe("the public page never shows who booked", () => {
  it("after several bookings with names and addresses, the page holds neither", async () => {
    const people = [3, 4, 5].map((i) => ({
      slot: slots[i]!,
      email: uniqueEmail(`private-booker-${i}`),
      name: `Booker Secretname${i}`,
    }));
    for (const p of people) {
      const res = await client.api("POST", `/api/v1/festivals/${festival.id}/orders`, {
        items: [{ kind: "tattoo_slot", tattooSlotId: p.slot.id, donationMinor: 2500 }],
        email: p.email,
        name: p.name,
        paymentMethod: "door",
      });
      expect(res.status, res.text).toBe(201);
    }
    for (const locale of ["en", "ru"]) {
      const html = (await page(locale)).text;
      for (const p of people) {
        expect(html).not.toContain(p.email);
        expect(html).not.toContain(p.name);
        expect(html).not.toContain("Secretname");
        expect(html).not.toContain(`value="${p.slot.id}"`);
      }
      expect(html).not.toContain("@example.test");
    }
  });
});

describe("refusals on the form: a clear 4xx next to the field, nothing stored", () => {
  const cases: [string, () => Record<string, string>, string, () => string][] = [
    [
      "a donation below the slot's minimum",
      () => formFields({ "tattoo.donation": "19.99" }),
      "tattoo.donation",
      () => t("v.belowMinimum", { amount: eur(2000) }),
    ],
    [
      "a donation below the design's minimum (above the slot's)",
      () => formFields({ "tattoo.design": flashId, "tattoo.donation": "25" }),
      "tattoo.donation",
      () => t("v.belowMinimum", { amount: eur(3000) }),
    ],
    [
      "a negative donation",
      () => formFields({ "tattoo.donation": "-50" }),
      "tattoo.donation",
      () => t("v.money", { amount: eur(100_000_000) }),
    ],
    [
      "an absurd donation",
      () => formFields({ "tattoo.donation": "1e308" }),
      "tattoo.donation",
      () => t("v.money", { amount: eur(100_000_000) }),
    ],
    [
      "a donation larger than any amount",
      () => formFields({ "tattoo.donation": "99999999999999" }),
      "tattoo.donation",
      () => t("v.money", { amount: eur(100_000_000) }),
    ],
    [
      "no donation at all",
      () => formFields({ "tattoo.donation": "" }),
      "tattoo.donation",
      () => t("tattooShop.donationRequired"),
    ],
    [
      "another festival's slot",
      () => formFields({ "tattoo.slot": foreignSlotId }),
      "tattoo.slot",
      () => t("v.unknownTattooSlot"),
    ],
    [
      "a slot that does not exist",
      () => formFields({ "tattoo.slot": "no-such-slot-" + "x".repeat(200) }),
      "tattoo.slot",
      () => t("v.unknownTattooSlot"),
    ],
    [
      "a slot that has already started",
      () => formFields({ "tattoo.slot": pastSlotId }),
      "tattoo.slot",
      () => t("v.tattooSlotPast"),
    ],
    [
      "a design the artist took off the sheet",
      () => formFields({ "tattoo.design": goneFlashId, "tattoo.donation": "50" }),
      "tattoo.design",
      () => t("v.unknownFlashDesign"),
    ],
    [
      "another artist's design",
      () => formFields({ "tattoo.design": otherFlashId, "tattoo.donation": "50" }),
      "tattoo.design",
      () => t("v.unknownFlashDesign"),
    ],
  ];
  it.each(cases)("%s", async (_label, fields, name, message) => {
    const res = await unchanged(() => client.postForm(`/festivals/${festival.slug}`, fields()));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expectFormError(res, res.status, name, message());
    // What the buyer typed stays in the form.
    expect(res.text).toContain(`name="email"`);
  });

  it("a slot taken meanwhile: 409 and 'someone has just taken this slot', beside the slots", async () => {
    const taken = slots[1]!; // booked by the form test above
    const res = await unchanged(() =>
      client.postForm(`/festivals/${festival.slug}`, formFields({ "tattoo.slot": taken.id })),
    );
    expectFormError(res, 409, "tattoo.slot", t("tattoo.slotTaken"));
  });

  it("a limited design's last use taken meanwhile: 409 beside the design", async () => {
    const lastOne = await createFlashRow(festival.id, otherArtistId, {
      title: "Last anchor",
      minDonationMinor: 1000,
      maxUses: 1,
    });
    const [a, b] = [
      await createSlotRow(festival.id, otherArtistId, new Date("2030-01-26T15:00:00Z")),
      await createSlotRow(festival.id, otherArtistId, new Date("2030-01-26T16:00:00Z")),
    ];
    const first = await client.postForm(
      `/festivals/${festival.slug}`,
      formFields({ "tattoo.slot": a.id, "tattoo.design": lastOne.id }),
    );
    expect(first.status, first.text.slice(0, 300)).toBe(302);
    expect(joined((await page()).text)).not.toContain("Last anchor");
    const res = await unchanged(() =>
      client.postForm(
        `/festivals/${festival.slug}`,
        formFields({ "tattoo.slot": b.id, "tattoo.design": lastOne.id }),
      ),
    );
    expectFormError(res, 409, "tattoo.design", t("tattooShop.designTaken"));
  });

  it("the per-person limit: a second booking with the same artist is refused, beside the slots", async () => {
    const email = uniqueEmail("limit");
    const first = await client.postForm(
      `/festivals/${festival.slug}`,
      formFields({ email, "tattoo.slot": slots[6]!.id }),
    );
    expect(first.status, first.text.slice(0, 300)).toBe(302);
    const res = await unchanged(() =>
      client.postForm(
        `/festivals/${festival.slug}`,
        formFields({ email: email.toUpperCase(), "tattoo.slot": slots[7]!.id }),
      ),
    );
    expectFormError(res, 409, "tattoo.slot", t("tattoo.bookingLimit"));
  });

  it("the API answers the same refusals on the item's own fields", async () => {
    const res = await unchanged(() =>
      client.api("POST", `/api/v1/festivals/${festival.id}/orders`, {
        items: [{ kind: "tattoo_slot", tattooSlotId: slots[7]!.id, donationMinor: -1 }],
        email: uniqueEmail("api-bad"),
        paymentMethod: "door",
      }),
    );
    expectApiError(res, 422, "items.0.donationMinor");
  });
});
