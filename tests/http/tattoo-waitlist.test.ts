// The tattoo waitlist over real HTTP against the production build: joining a
// full artist's day through the API (one place per person), hostile input
// refused with a 4xx and nothing written, the offer page showing the held slot
// in the festival's zone and booking it with the offer's secret (no
// JavaScript: a plain form post), a dead offer's clear page, and leaving the
// line from the confirmation email's link.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sqlClient } from "~/utils/db.server";
import { formatDateTime } from "~/utils/format";
import { translator } from "~/utils/i18n";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { expectApiError, MB, SCRIPT, unchanged } from "../helpers/bad-input";
import { recipients } from "../helpers/smtp";
import { createFestivalRow } from "../helpers/fixtures";
import type * as Tattoo from "../helpers/tattoo";

let app: TestApp;
let client: Client;
let tattoo: typeof Tattoo;
let festivalId: string;
let artistId: string;
let draftSlotId: string;
const t = translator("en");
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const base = Math.floor(Date.now() / MINUTE) * MINUTE;
let offset = 2;
const nextDay = () => new Date(base + offset++ * DAY);
let n = 0;
const email = (who = "waiter") => `${who}-${++n}@example.test`;

beforeAll(async () => {
  app = await startTestApp({ PUBLIC_URL: "http://festivals.example.test" });
  client = new Client(app.url);
  tattoo = await import("../helpers/tattoo");
  festivalId = (
    await createFestivalRow({
      status: "published",
      publishedAt: new Date(),
      paymentMethods: JSON.stringify(["door"]),
      startsAt: new Date(base + DAY),
      endsAt: new Date(base + 60 * DAY),
    })
  ).id;
  artistId = (await tattoo.createArtistRow(festivalId, { name: "Needle Nora" })).id;
  const draft = await createFestivalRow({ status: "draft" });
  const draftArtist = (await tattoo.createArtistRow(draft.id)).id;
  draftSlotId = (await tattoo.createSlotRow(draft.id, draftArtist, nextDay())).id;
});

afterAll(async () => {
  await app?.close();
});

async function rows(sql: string, args: string[] = []) {
  return (await sqlClient().execute({ sql, args })).rows;
}

/** A slot of the artist booked by someone (through the public checkout API). */
async function bookedSlot() {
  const slot = await tattoo.createSlotRow(festivalId, artistId, nextDay());
  const res = await client.api("POST", `/api/v1/festivals/${festivalId}/orders`, {
    email: email("buyer"),
    paymentMethod: "door",
    items: [{ kind: "tattoo_slot", tattooSlotId: slot.id, donationMinor: 2500 }],
  });
  expect(res.status, res.text).toBe(201);
  return { slot, orderId: res.json<{ id: string }>().id };
}

const join = (slotId: string, body: unknown) =>
  client.api("POST", `/api/v1/tattoo-slots/${slotId}/waitlist`, body);

/** Free the booked slot and run a refill pass (the server's worker may run one too). */
async function freeAndOffer(orderId: string) {
  const { cancelOrRefundOrder } = await import("~/models/payment.server");
  const { refillWaitlist } = await import("~/models/tattoo-waitlist.server");
  await cancelOrRefundOrder(null, orderId);
  await refillWaitlist();
}

async function offerTokenOf(address: string) {
  const [row] = await rows(
    `SELECT payload FROM OutboxEmail WHERE "to" = ? AND template = 'tattoo-waitlist-offer' ORDER BY createdAt DESC`,
    [address],
  );
  return (JSON.parse(String(row!.payload)) as { token: string }).token;
}

describe("joining through the API", () => {
  it("joins a full day's line (201 {id, position}), once per person, with a confirmation email holding the leave link", async () => {
    const { slot } = await bookedSlot();
    const me = email();
    const first = await join(slot.id, { email: me });
    expect(first.status, first.text).toBe(201);
    const place = first.json<{ id: string; position: number }>();
    expect(place.position).toBe(1);
    const again = await join(slot.id, { email: me.toUpperCase() });
    expect(again.status).toBe(201);
    expect(again.json()).toEqual(place);
    const second = await join(slot.id, { email: email() });
    expect(second.json<{ position: number }>().position).toBe(2);
    const mail = await app.mail.waitFor((m) => m.text?.includes("/tattoo/waitlist/") ?? false);
    expect(mail.text).toContain("Needle Nora");
    expect(mail.text).toMatch(/http:\/\/festivals\.example\.test\/tattoo\/waitlist\/[\w-]+\/leave/);
  });

  it("refuses hostile input with a 4xx and writes nothing", async () => {
    const { slot } = await bookedSlot();
    const free = await tattoo.createSlotRow(festivalId, artistId, nextDay());
    const otherArtist = (await tattoo.createArtistRow(festivalId)).id;
    const foreignDesign = await tattoo.createFlashRow(festivalId, otherArtist);
    await unchanged(async () => {
      expectApiError(await join(slot.id, { email: "not an email" }), 422, "email", t("v.email"));
      expectApiError(await join(slot.id, { email: SCRIPT }), 422, "email");
      expectApiError(await join(slot.id, {}), 422, "email");
      expectApiError(await join(slot.id, { email: email(), extra: MB.slice(0, 8000) }), 413);
      expectApiError(await join(slot.id, "{not json"), 400);
      expectApiError(
        await client.request("POST", `/api/v1/tattoo-slots/${slot.id}/waitlist`, {
          body: "email=a@b.c",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
        }),
        415,
      );
      expectApiError(await join("no-such-slot", { email: email() }), 404);
      expectApiError(await join("x".repeat(300), { email: email() }), 404);
      // A slot of a festival that is not public is as unknown as one that does not exist.
      expectApiError(await join(draftSlotId, { email: email() }), 404);
      expectApiError(
        await join(slot.id, { email: email(), flashDesignId: foreignDesign.id }),
        422,
        "flashDesignId",
      );
      // Free slots that day: book one instead.
      const busy = expectApiError(await join(free.id, { email: email() }), 409);
      expect(busy.error).toBe("slots_available");
      expect((await client.get(`/api/v1/tattoo-slots/${slot.id}/waitlist`)).status).toBe(405);
    });
  });
});

describe("the offer page", () => {
  it("shows the held slot in the festival's zone and books it with the offer's secret", async () => {
    const { slot, orderId } = await bookedSlot();
    const me = email();
    await join(slot.id, { email: me });
    await freeAndOffer(orderId);
    const token = await offerTokenOf(me);
    const page = await client.get(`/tattoo/offers/${token}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("Needle Nora");
    expect(page.text).toContain(formatDateTime(slot.startsAt, "en", "Europe/Riga"));
    expect(page.text).toContain("Europe/Riga");
    expect(page.text).toContain(me); // prefilled for its own holder only
    // Someone else cannot book the held slot.
    const other = await client.api("POST", `/api/v1/festivals/${festivalId}/orders`, {
      email: email("other"),
      paymentMethod: "door",
      items: [{ kind: "tattoo_slot", tattooSlotId: slot.id, donationMinor: 2500 }],
    });
    expect(other.status).toBe(409);
    // Below the minimum: the message next to the field, nothing booked.
    const low = await unchanged(() =>
      client.postForm(`/tattoo/offers/${token}`, {
        email: me,
        donation: "1",
        flashDesignId: "",
        paymentMethod: "door",
      }),
    );
    expect(low.status).toBe(422);
    const booked = await client.postForm(`/tattoo/offers/${token}`, {
      email: me,
      donation: "25",
      flashDesignId: "",
      paymentMethod: "door",
    });
    expect(booked.status, booked.text.slice(0, 300)).toBe(302);
    expect(booked.location).toMatch(/^\/orders\/[\w-]+$/);
    const [entry] = await rows(
      `SELECT w.status FROM TattooWaitlist w JOIN TattooOffer o ON o.waitlistId = w.id WHERE o.slotId = ?`,
      [slot.id],
    );
    expect(entry!.status).toBe("booked");
    // The link is spent: a clear page saying so.
    const gone = await client.get(`/tattoo/offers/${token}`);
    expect(gone.status).toBe(410);
    expect(gone.text).toContain(t("tattooWaitlist.goneTitle"));
  });

  it("answers an expired offer with 410 and a clear message, an unknown link with 404", async () => {
    const { slot, orderId } = await bookedSlot();
    const me = email();
    await join(slot.id, { email: me });
    await freeAndOffer(orderId);
    const token = await offerTokenOf(me);
    const { refillWaitlist } = await import("~/models/tattoo-waitlist.server");
    await refillWaitlist(new Date(Date.now() + 21 * MINUTE));
    const page = await client.get(`/tattoo/offers/${token}`);
    expect(page.status).toBe(410);
    expect(page.text).toContain(t("tattooWaitlist.gone"));
    const post = await unchanged(() =>
      client.postForm(`/tattoo/offers/${token}`, {
        email: me,
        donation: "25",
        paymentMethod: "door",
      }),
    );
    expect(post.status).toBe(410);
    expect((await client.get("/tattoo/offers/not-a-real-offer")).status).toBe(404);
  });
});

describe("a restart", () => {
  it("goes on from the database: an offer that ran out while the server was down passes to the next in line, in their language", async () => {
    const { slot, orderId } = await bookedSlot();
    const first = email();
    const second = email();
    await join(slot.id, { email: first });
    const ru = await client.api(
      "POST",
      `/api/v1/tattoo-slots/${slot.id}/waitlist`,
      { email: second },
      undefined,
      { "Accept-Language": "ru" },
    );
    expect(ru.status).toBe(201);
    await freeAndOffer(orderId);
    await offerTokenOf(first);
    // The offer's time runs out while the server is down.
    await sqlClient().execute({
      sql: `UPDATE TattooOffer SET expiresAt = '2020-01-01T00:00:00.000+00:00' WHERE slotId = ? AND status = 'open'`,
      args: [slot.id],
    });
    app = await app.restart();
    client = new Client(app.url);
    // The restarted server's waitlist worker passes it on; its email worker sends the offer.
    const mail = await app.mail.waitFor(
      (m) => recipients(m).includes(second) && (m.text ?? "").includes("/tattoo/offers/"),
      15_000,
    );
    expect(mail.text).toContain("Europe/Riga");
    expect(mail.text).toContain(formatDateTime(slot.startsAt, "ru", "Europe/Riga"));
    expect(mail.subject).toContain("Needle Nora");
    const offers = await rows(
      `SELECT w.status FROM TattooOffer o JOIN TattooWaitlist w ON w.id = o.waitlistId WHERE o.slotId = ? ORDER BY o.createdAt`,
      [slot.id],
    );
    expect(offers.map((r) => String(r.status))).toEqual(["passed", "offered"]);
  });
});

describe("leaving the line", () => {
  it("shows the place with a confirm step, and leaves only when confirmed", async () => {
    const { slot } = await bookedSlot();
    const me = email();
    const joined = await join(slot.id, { email: me });
    const { id } = joined.json<{ id: string }>();
    const [row] = await rows(
      `SELECT payload FROM OutboxEmail WHERE "to" = ? AND template = 'tattoo-waitlist-joined'`,
      [me],
    );
    const { token } = JSON.parse(String(row!.payload)) as { token: string };
    const link = `/tattoo/waitlist/${token}/leave`;
    const page = await client.get(link);
    expect(page.status).toBe(200);
    expect(page.text).toContain("Needle Nora");
    expect(page.text).not.toContain(me);
    const unconfirmed = await unchanged(() => client.postForm(link, { intent: "leave" }));
    expect(unconfirmed.status).toBe(400);
    const left = await client.postForm(link, { intent: "leave", confirm: "yes" });
    expect(left.status).toBe(200);
    expect(left.text).toContain(t("tattooWaitlist.left"));
    const [entry] = await rows("SELECT status FROM TattooWaitlist WHERE id = ?", [id]);
    expect(entry!.status).toBe("left");
    expect((await client.get("/tattoo/waitlist/not-a-token/leave")).status).toBe(404);
    expect(
      (await client.postForm("/tattoo/waitlist/not-a-token/leave", { confirm: "yes" })).status,
    ).toBe(404);
  });
});
