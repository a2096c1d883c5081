// The tattoo corner over real HTTP against the production build: the board page
// as an organiser, door staff and a linked artist (their own board only),
// anonymous visitors sent to sign in; the page's plain form posts (done,
// confirmations for the irreversible ones, a cash walk-in); the API's board,
// actions and walk-ins, and hostile input refused with nothing written. The
// ledger is checked balanced when the app closes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { placeOrder, checkoutSchema } from "~/models/order.server";
import { prisma, sqlClient } from "~/utils/db.server";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { expectApiError, expectEscaped, IMG, MB, SCRIPT, unchanged } from "../helpers/bad-input";
import {
  addMember,
  apiToken,
  createFestivalRow,
  createUserRow,
  signedInClient,
} from "../helpers/fixtures";
import { createArtistRow, createSlotRow, slotState } from "../helpers/tattoo";

let app: TestApp;
let festivalId: string;
let otherFestivalId: string;
let artistId: string;
let otherArtistId: string;
let organiser: { client: Client; token: string; id: string };
let door: { client: Client; token: string; id: string };
let artist: { client: Client; token: string; id: string };
let anonymous: Client;

const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;
const minute = () => Math.floor(Date.now() / 60_000) * 60_000;
const soon = (ms: number) => new Date(minute() + ms);
let n = 0;
const email = () => `corner-http-${++n}-${Date.now().toString(36)}@example.test`;

async function person(role: "organiser" | "door" | "artist", name: string) {
  const user = await createUserRow({ name });
  if (role === "artist")
    await prisma.festivalMember.create({ data: { festivalId, userId: user.id, role: "artist" } });
  else await addMember(festivalId, user.id, role);
  return {
    id: user.id,
    client: await signedInClient(app.url, user.email),
    token: await apiToken(app.url, user.email),
  };
}

/** A booking paid at the festival, with the booker's name. */
async function book(slotId: string, name = `Booker ${++n}`, donationMinor = 2500) {
  const placed = await placeOrder(
    festivalId,
    checkoutSchema().parse({
      email: email(),
      name,
      paymentMethod: "door",
      items: [{ kind: "tattoo_slot", tattooSlotId: slotId, donationMinor }],
    }),
    { locale: "en", stripeAvailable: false },
  );
  const [row] = (
    await sqlClient().execute({
      sql: "SELECT orderItemId FROM TattooBooking WHERE orderId = ?",
      args: [placed.order.id],
    })
  ).rows;
  return { id: String(row!.orderItemId), order: placed.order, name };
}

async function bookingRow(id: string) {
  const [r] = (
    await sqlClient().execute({
      sql: "SELECT status, holdsSlot, dueMinor FROM TattooBooking WHERE orderItemId = ?",
      args: [id],
    })
  ).rows;
  return {
    status: String(r!.status),
    holdsSlot: Number(r!.holdsSlot),
    dueMinor: Number(r!.dueMinor),
  };
}

/** The festival's local date of an instant (the board's days). */
function localDay(at: Date) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Riga" }).format(at);
}

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  const festival = await createFestivalRow({
    name: "Corner Fest",
    status: "published",
    publishedAt: new Date(),
    paymentMethods: JSON.stringify(["door"]),
    startsAt: soon(-DAY),
    endsAt: soon(10 * DAY),
  });
  festivalId = festival.id;
  otherFestivalId = (
    await createFestivalRow({
      status: "published",
      publishedAt: new Date(),
      endsAt: soon(10 * DAY),
    })
  ).id;
  organiser = await person("organiser", "Olga Organiser");
  door = await person("door", "Dmitri Door");
  artist = await person("artist", "Inka Artist");
  artistId = (await createArtistRow(festivalId, { name: "Inka Ink", userId: artist.id })).id;
  otherArtistId = (await createArtistRow(festivalId, { name: "Other Needle" })).id;
  anonymous = new Client(app.url);
});

afterAll(async () => {
  await app?.close();
});

describe("the board page", () => {
  it("sends anonymous visitors to sign in", async () => {
    const res = await anonymous.get(`/tattoo-corner/${festivalId}`);
    expect(res.status).toBe(302);
    expect(res.location).toMatch(/^\/login/);
  });

  it("shows organisers and door staff every artist's slots with the booker's name; the booker's name is escaped", async () => {
    const at = soon(2 * DAY);
    const slot = await createSlotRow(festivalId, artistId, at);
    const other = await createSlotRow(festivalId, otherArtistId, at);
    const mine = await book(slot.id, `Rosa ${SCRIPT}`);
    const theirs = await book(other.id, `Vera ${IMG}`);
    for (const who of [organiser, door]) {
      const res = await who.client.get(`/tattoo-corner/${festivalId}?day=${localDay(at)}`);
      expect(res.status).toBe(200);
      expect(res.text).toContain("Inka Ink");
      expect(res.text).toContain("Other Needle");
      expect(res.text).toContain(mine.order.code);
      expect(res.text).toContain(theirs.order.code);
      expect(res.text).toContain("Mark done");
      expectEscaped(res.text);
    }
  });

  it("shows a linked artist only their own board; another artist's is a 404", async () => {
    const at = soon(2 * DAY + 2 * HOUR);
    const slot = await createSlotRow(festivalId, artistId, at);
    const other = await createSlotRow(festivalId, otherArtistId, at);
    const mine = await book(slot.id, "Own Booker");
    const theirs = await book(other.id, "Hidden Booker");
    const res = await artist.client.get(`/tattoo-corner/${festivalId}?day=${localDay(at)}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain("Inka Ink");
    expect(res.text).toContain("Own Booker");
    expect(res.text).toContain(mine.order.code);
    expect(res.text).not.toContain("Other Needle");
    expect(res.text).not.toContain("Hidden Booker");
    expect(res.text).not.toContain(theirs.order.code);
    const foreign = await artist.client.get(`/tattoo-corner/${festivalId}?artist=${otherArtistId}`);
    expect(foreign.status).toBe(404);
    expect(foreign.text).not.toContain("Hidden Booker");
    // Not a member of the other festival: as unknown as a missing one.
    expect((await artist.client.get(`/tattoo-corner/${otherFestivalId}`)).status).toBe(404);
  });

  it("marks a booking done with one tap, and refuses a no-show without its confirmation", async () => {
    const slot = await createSlotRow(festivalId, artistId, soon(3 * DAY));
    const b = await book(slot.id);
    const path = `/tattoo-corner/${festivalId}`;
    const refused = await unchanged(() =>
      door.client.postForm(path, { intent: "no_show", bookingId: b.id, slotId: slot.id }),
    );
    expect(refused.status).toBe(400);
    expect((await bookingRow(b.id)).status).toBe("booked");
    const done = await door.client.postForm(path, {
      intent: "done",
      bookingId: b.id,
      slotId: slot.id,
    });
    expect(done.status).toBe(200);
    expect(done.text).toContain("Marked done.");
    expect((await bookingRow(b.id)).status).toBe("done");
  });

  it("a linked artist cannot act on another artist's booking through the page (403, nothing written)", async () => {
    const other = await createSlotRow(festivalId, otherArtistId, soon(3 * DAY + 2 * HOUR));
    const b = await book(other.id);
    const res = await unchanged(() =>
      artist.client.postForm(`/tattoo-corner/${festivalId}`, {
        intent: "done",
        bookingId: b.id,
        slotId: other.id,
      }),
    );
    expect(res.status).toBe(403);
    expect((await bookingRow(b.id)).status).toBe("booked");
  });

  it("books a cash walk-in from the page: booked, collected, paid", async () => {
    const slot = await createSlotRow(festivalId, artistId, soon(3 * HOUR), {
      minNoticeMinutes: 600,
    });
    const res = await organiser.client.postForm(`/tattoo-corner/${festivalId}`, {
      intent: "walk_in",
      slotId: slot.id,
      key: "page-walk-in-key-1",
      email: email(),
      name: "",
      donation: "25",
      flashDesignId: "",
      payment: "cash",
    });
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    expect(res.text).toMatch(/Booked and paid in cash: order /);
    expect(await slotState(slot.id)).toEqual({
      reserved: 1,
      bookings: [{ status: "booked", holdsSlot: 1 }],
    });
  });

  it("refuses a walk-in with no email or a donation below the minimum, nothing written", async () => {
    const slot = await createSlotRow(festivalId, artistId, soon(4 * HOUR));
    const path = `/tattoo-corner/${festivalId}`;
    const form = {
      intent: "walk_in",
      slotId: slot.id,
      key: "page-walk-in-key-2",
      email: email(),
      donation: "25",
      payment: "cash",
    };
    for (const bad of [{ email: "" }, { donation: "1" }, { donation: "-5" }, { payment: "iou" }]) {
      const res = await unchanged(() => organiser.client.postForm(path, { ...form, ...bad }));
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    expect(await slotState(slot.id)).toEqual({ reserved: 0, bookings: [] });
  });
});

describe("the API", () => {
  it("answers the board to staff, the artist's own to the artist, and refuses a bad day", async () => {
    const at = soon(4 * DAY);
    await createSlotRow(festivalId, artistId, at);
    const res = await organiser.client.api(
      "GET",
      `/api/v1/festivals/${festivalId}/tattoo-board?day=${localDay(at)}`,
      undefined,
      organiser.token,
    );
    expect(res.status).toBe(200);
    const board = res.json<{ day: string; boards: { artist: { id: string } }[] }>();
    expect(board.day).toBe(localDay(at));
    expect(board.boards.map((b) => b.artist.id).sort()).toEqual([artistId, otherArtistId].sort());
    const own = await artist.client.api(
      "GET",
      `/api/v1/festivals/${festivalId}/tattoo-board`,
      undefined,
      artist.token,
    );
    expect(
      own.json<{ boards: { artist: { id: string } }[] }>().boards.map((b) => b.artist.id),
    ).toEqual([artistId]);
    for (const day of ["tomorrow", "2026-02-31", "%27%3B--"])
      expectApiError(
        await organiser.client.api(
          "GET",
          `/api/v1/festivals/${festivalId}/tattoo-board?day=${day}`,
          undefined,
          organiser.token,
        ),
        422,
        "day",
      );
    expectApiError(await anonymous.api("GET", `/api/v1/festivals/${festivalId}/tattoo-board`), 401);
  });

  it("done, no-show, release to walk-ins and collect, each as the booking's state allows", async () => {
    const slot = await createSlotRow(festivalId, artistId, soon(5 * DAY));
    const b = await book(slot.id, "API Booker", 3000);
    const post = (action: string, body?: unknown, token = door.token) =>
      door.client.api("POST", `/api/v1/tattoo-bookings/${b.id}/${action}`, body, token);
    // Collect: the wrong amount is a 409 with nothing written; the right one posts once.
    expectApiError(await unchanged(() => post("collect", { amountMinor: 2999 })), 409);
    const collected = await post("collect", { amountMinor: 3000 });
    expect(collected.status).toBe(200);
    expect(collected.json()).toMatchObject({ dueMinor: 0, orderStatus: "paid" });
    const again = await unchanged(() => post("collect", { amountMinor: 3000 }));
    expect(again.status).toBe(200);
    // Release is for a no-show only.
    expectApiError(await unchanged(() => post("release", { to: "walk_ins" })), 409);
    expect((await post("no-show")).json()).toMatchObject({ status: "no_show" });
    const released = await post("release", { to: "walk_ins" });
    expect(released.json()).toMatchObject({ slot: { reserved: 0, walkInsOnly: true } });
    expect(await slotState(slot.id)).toEqual({
      reserved: 0,
      bookings: [{ status: "no_show", holdsSlot: 0 }],
    });
    expectApiError(await unchanged(() => post("done")), 409);
  });

  it("refuses hostile input with a 4xx and nothing written", async () => {
    const slot = await createSlotRow(festivalId, artistId, soon(5 * DAY + 2 * HOUR));
    const b = await book(slot.id);
    const url = (action: string, id = b.id) => `/api/v1/tattoo-bookings/${id}/${action}`;
    const bodies: unknown[] = [
      { amountMinor: "2500" },
      { amountMinor: -2500 },
      { amountMinor: 2500.5 },
      { amountMinor: 1e20 },
      { amountMinor: 2500, extra: SCRIPT },
      [],
      "not json",
      { amountMinor: MB },
    ];
    for (const body of bodies) {
      const res = await unchanged(() =>
        organiser.client.api("POST", url("collect"), body, organiser.token),
      );
      expect(res.status, JSON.stringify(body).slice(0, 40)).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    for (const body of [{ to: "friends" }, { to: SCRIPT }, {}, { to: "waitlist", x: 1 }])
      expectApiError(
        await unchanged(() => organiser.client.api("POST", url("release"), body, organiser.token)),
        422,
      );
    expectApiError(
      await unchanged(() =>
        organiser.client.api("POST", url("done", "no-such-booking"), undefined, organiser.token),
      ),
      404,
    );
    expectApiError(
      await unchanged(() =>
        organiser.client.api("POST", url("done", "x".repeat(500)), undefined, organiser.token),
      ),
      404,
    );
    expectApiError(
      await unchanged(() =>
        organiser.client.api("POST", url("explode"), undefined, organiser.token),
      ),
      404,
    );
    // A linked artist on another artist's booking.
    const other = await createSlotRow(festivalId, otherArtistId, soon(5 * DAY + 4 * HOUR));
    const theirs = await book(other.id);
    for (const action of ["done", "no-show"])
      expectApiError(
        await unchanged(() =>
          artist.client.api("POST", url(action, theirs.id), undefined, artist.token),
        ),
        403,
      );
    expectApiError(
      await unchanged(() =>
        artist.client.api("POST", url("collect", theirs.id), { amountMinor: 2500 }, artist.token),
      ),
      403,
    );
    expect(await bookingRow(b.id)).toEqual({ status: "booked", holdsSlot: 1, dueMinor: 2500 });
    expect(await bookingRow(theirs.id)).toEqual({ status: "booked", holdsSlot: 1, dueMinor: 2500 });
  });

  it("books a walk-in (201, cash collected at once) and refuses bad ones with nothing written", async () => {
    const slot = await createSlotRow(festivalId, otherArtistId, soon(5 * HOUR));
    const url = `/api/v1/festivals/${festivalId}/tattoo-walk-ins`;
    const good = {
      tattooSlotId: slot.id,
      donationMinor: 2500,
      email: email(),
      name: "Walk-in",
      payment: "cash",
    };
    const otherSlot = await createSlotRow(
      otherFestivalId,
      (await createArtistRow(otherFestivalId)).id,
      soon(5 * HOUR),
    );
    const bad: [Record<string, unknown>, number][] = [
      [{ ...good, email: undefined }, 422],
      [{ ...good, email: "not-an-email" }, 422],
      [{ ...good, donationMinor: 10 }, 422],
      [{ ...good, donationMinor: -1 }, 422],
      [{ ...good, donationMinor: 1e15 }, 422],
      [{ ...good, payment: "iou" }, 422],
      [{ ...good, tattooSlotId: otherSlot.id }, 422],
      [{ ...good, tattooSlotId: "nope" }, 422],
      [{ ...good, name: MB }, 413],
      [{ ...good, admin: true }, 422],
    ];
    for (const [body, status] of bad) {
      const res = await unchanged(() => door.client.api("POST", url, body, door.token));
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(status);
    }
    expectApiError(await unchanged(() => anonymous.api("POST", url, good)), 401);
    const res = await door.client.api("POST", url, good, door.token, {
      "Idempotency-Key": "api-walk-in-key-0001",
    });
    expect(res.status, res.text.slice(0, 300)).toBe(201);
    expect(res.json()).toMatchObject({
      orderStatus: "paid",
      booking: { walkIn: true, dueMinor: 0, donationMinor: 2500 },
    });
    // A retry with the same key books nothing more.
    const retry = await unchanged(() =>
      door.client.api("POST", url, good, door.token, { "Idempotency-Key": "api-walk-in-key-0001" }),
    );
    expect(retry.status).toBe(201);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    // The slot is taken now.
    const taken = await unchanged(() =>
      door.client.api("POST", url, { ...good, email: email() }, door.token),
    );
    expect(taken.status).toBe(409);
    // A linked artist books only into their own slots.
    const foreign = await createSlotRow(festivalId, otherArtistId, soon(6 * HOUR));
    expectApiError(
      await unchanged(() =>
        artist.client.api(
          "POST",
          url,
          { ...good, tattooSlotId: foreign.id, email: email() },
          artist.token,
        ),
      ),
      403,
    );
  });
});

describe("the corner's cash and links", () => {
  it("lists the corner on door staff's and artists' dashboards and in the festival's tabs", async () => {
    for (const who of [door, artist]) {
      const res = await who.client.get("/admin");
      expect(res.status).toBe(200);
      expect(res.text).toContain(`href="/tattoo-corner/${festivalId}"`);
    }
    const tabs = await organiser.client.get(`/admin/festivals/${festivalId}`);
    expect(tabs.text).toContain(`href="/tattoo-corner/${festivalId}"`);
  });

  it("the cash a person took at the corner shows on the money page and is handed over from there", async () => {
    const staff = await person("door", "Cora Cash");
    const slot = await createSlotRow(festivalId, artistId, soon(7 * HOUR));
    const taken = await staff.client.api(
      "POST",
      `/api/v1/festivals/${festivalId}/tattoo-walk-ins`,
      { tattooSlotId: slot.id, donationMinor: 2200, email: email(), payment: "cash" },
      staff.token,
    );
    expect(taken.status).toBe(201);
    const treasurer = await createUserRow({ role: "treasurer", name: "Tess Treasurer" });
    const page = `/admin/festivals/${festivalId}/money`;
    const money = await organiser.client.get(page);
    expect(money.status).toBe(200);
    expect(money.text).toContain("Cora Cash (tattoo corner)");
    const cash = await organiser.client.api(
      "GET",
      `/api/v1/festivals/${festivalId}/cash-handovers`,
      undefined,
      organiser.token,
    );
    const held = cash
      .json<{ cash: { code: string; balanceMinor: number; user: { id: string } | null }[] }>()
      .cash.find((c) => c.code === "door_cash" && c.user?.id === staff.id);
    expect(held?.balanceMinor).toBe(2200);
    const recorded = await organiser.client.postForm(page, {
      intent: "handover",
      confirm: "yes",
      deviceId: "",
      userId: staff.id,
      currency: "EUR",
      expectedMinor: "2200",
      treasurerId: treasurer.id,
      counted: "22",
    });
    expect(recorded.status, recorded.text.slice(0, 300)).toBe(200);
    expect(recorded.text).toContain("Handover recorded.");
    const after = await organiser.client.api(
      "GET",
      `/api/v1/festivals/${festivalId}/cash-handovers`,
      undefined,
      organiser.token,
    );
    const body = after.json<{
      cash: { code: string; balanceMinor: number; user: { id: string } | null }[];
      handovers: { holder: { id: string } | null; expectedMinor: number; status: string }[];
    }>();
    expect(
      body.cash.find((c) => c.code === "door_cash" && c.user?.id === staff.id)?.balanceMinor,
    ).toBe(0);
    expect(body.handovers[0]).toMatchObject({
      holder: { id: staff.id },
      expectedMinor: 2200,
      status: "in_transit",
    });
  });
});
