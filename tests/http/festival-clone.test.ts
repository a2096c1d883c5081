// Cloning a festival over HTTP, against the real build: the seeded demo
// festival cloned through the API and through the admin form, published, and
// sold — at the door and by card through the Stripe fake; what the clone does
// not carry (orders); and bad input: past dates, unknown zone or country,
// hostile or taken slugs, oversized names, unknown fields, someone who does
// not organise the festival (404), its door staff (403), no token (401).
import { DateTime } from "luxon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { translator } from "~/utils/i18n";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import {
  addMember,
  apiToken,
  createUserRow,
  signedInAdmin,
  signedInClient,
} from "../helpers/fixtures";
import { startStripeFake, stripeTestEnv, type StripeFake } from "../helpers/stripe-fake";

const WEBHOOK_SECRET = "whsec_test_festival_clone_0123456789abcdef";
const t = translator("en");

let fake: StripeFake;
let app: TestApp;
let client: Client;
let token: string;
let browser: Client;
let seeded: { id: string; slug: string; name: string };

/** A local date-time `days` from now at `time`, as a form sends it. */
const ahead = (days: number, time: string) =>
  `${DateTime.now().plus({ days }).toISODate()}T${time}`;

function berlin(overrides: Record<string, unknown> = {}) {
  return {
    name: "Solidarity Festival Berlin",
    city: "Berlin",
    country: "DE",
    timezone: "Europe/Berlin",
    startsAt: ahead(120, "14:00"),
    endsAt: ahead(120, "23:30"),
    venueName: "Mehringhof",
    venueAddress: "Gneisenaustraße 2a, Berlin",
    ...overrides,
  };
}

beforeAll(async () => {
  fake = await startStripeFake();
  app = await startTestApp({
    ...stripeTestEnv(fake, WEBHOOK_SECRET),
    RATE_LIMIT_PER_MINUTE: "0",
    SEED_DEMO: "1",
  });
  client = new Client(app.url);
  const admin = await signedInAdmin(app.url, "Clone Admin");
  token = admin.token;
  browser = admin.browser;
  seeded = await prisma.festival.findUniqueOrThrow({
    where: { slug: "demo-solidarity-festival-riga" },
    select: { id: true, slug: true, name: true },
  });
});
afterAll(async () => {
  await app?.close();
  await fake?.close();
});

describe("a cloned festival sells", () => {
  it("clones the seeded festival, publishes the clone and sells a ticket at the door and by card", async () => {
    const before = {
      types: await prisma.ticketType.count({ where: { festivalId: seeded.id } }),
      programme: await prisma.programmeItem.count({ where: { festivalId: seeded.id } }),
    };
    expect(before.types).toBeGreaterThan(0);
    const res = await client.api("POST", `/api/v1/festivals/${seeded.id}/clone`, berlin(), token);
    expect(res.status, res.text).toBe(201);
    const clone = res.json<{
      id: string;
      slug: string;
      copied: { ticketTypes: number; programmeItems: number };
      warnings: unknown[];
    }>();
    expect(clone.copied.ticketTypes).toBe(before.types);
    expect(clone.copied.programmeItems).toBe(before.programme);
    expect(clone.warnings).toEqual([]);

    // A draft until published; then public and on sale, with card payment switched on.
    const draft = await client.api("GET", `/api/v1/festivals/${clone.id}`, undefined, token);
    expect(draft.json<{ status: string; city: string }>()).toMatchObject({
      status: "draft",
      city: "Berlin",
    });
    expect((await client.get(`/festivals/${clone.slug}`)).status).toBe(404);
    const patched = await client.api(
      "PATCH",
      `/api/v1/festivals/${clone.id}`,
      { paymentMethods: ["door", "stripe"] },
      token,
    );
    expect(patched.status, patched.text).toBe(200);
    const published = await client.api("POST", `/api/v1/festivals/${clone.id}/publish`, {}, token);
    expect(published.status, published.text).toBe(200);
    const page = await client.get(`/festivals/${clone.slug}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("Solidarity Festival Berlin");

    const types = await client.api(
      "GET",
      `/api/v1/festivals/${clone.id}/ticket-types`,
      undefined,
      token,
    );
    expect(types.status, types.text).toBe(200);
    const typeList = types.json<{
      ticketTypes: { id: string; priceMinor: number; visibility: string }[];
    }>().ticketTypes;
    const paid = typeList.find((ty) => ty.priceMinor > 0 && ty.visibility === "public")!;
    expect(paid).toBeTruthy();

    const atDoor = await client.api("POST", `/api/v1/festivals/${clone.id}/orders`, {
      items: [{ ticketTypeId: paid.id, quantity: 1 }],
      email: "door-buyer@example.test",
      paymentMethod: "door",
    });
    expect(atDoor.status, atDoor.text).toBe(201);
    expect(atDoor.json<{ status: string }>().status).toBe("confirmed");

    const byCard = await client.api("POST", `/api/v1/festivals/${clone.id}/orders`, {
      items: [{ ticketTypeId: paid.id, quantity: 2 }],
      email: "card-buyer@example.test",
      paymentMethod: "stripe",
    });
    expect(byCard.status, byCard.text).toBe(201);
    const cardOrder = byCard.json<{ id: string }>();
    const session = [...fake.sessions.values()].find((s) => s.metadata.order_id === cardOrder.id)!;
    const completed = fake.completeSession(session.id);
    const delivered = await fake.deliverWebhook(
      `${app.url}/webhooks/stripe`,
      fake.event("checkout.session.completed", completed),
      WEBHOOK_SECRET,
    );
    expect(delivered.status, delivered.body).toBe(200);
    const order = await prisma.order.findUniqueOrThrow({ where: { id: cardOrder.id } });
    expect(order.status).toBe("paid");
    expect(await prisma.ticket.count({ where: { festivalId: clone.id } })).toBe(3);
    // The seeded festival's own orders stayed where they were.
    expect(await prisma.order.count({ where: { festivalId: clone.id } })).toBe(2);
  });

  it("clones through the admin form, which opens the new draft and warns about the same name", async () => {
    const form = await browser.get(`/admin/festivals/${seeded.id}/clone`);
    expect(form.status).toBe(200);
    expect(form.text).toContain('<option value="Europe/Berlin"');
    expect(form.text).toMatch(/<option value="DE"[^>]*>Germany/);
    const res = await browser.postForm(
      `/admin/festivals/${seeded.id}/clone`,
      berlin({ name: seeded.name, slug: "riga-again-next-year" }),
    );
    expect(res.status, res.text.slice(0, 500)).toBe(302);
    const id = /^\/admin\/festivals\/([^/]+)$/.exec(res.location ?? "")?.[1];
    expect(id).toBeTruthy();
    const created = await prisma.festival.findUniqueOrThrow({ where: { id: id! } });
    expect(created).toMatchObject({
      slug: "riga-again-next-year",
      status: "draft",
      city: "Berlin",
    });
    const details = await browser.get(`/admin/festivals/${id}`);
    expect(details.status).toBe(200);
    expect(details.text).toContain('data-testid="same-name"');
    const audit = await prisma.auditEvent.findFirst({
      where: { festivalId: id!, action: "festival.clone" },
    });
    expect(audit).not.toBeNull();
  });
});

describe("cloning refuses bad input and people who do not organise the festival", () => {
  const url = () => `/api/v1/festivals/${seeded.id}/clone`;
  const cases: [string, Record<string, unknown>, string, string][] = [
    [
      "dates in the past",
      { startsAt: "2024-03-02T15:00", endsAt: "2024-03-02T23:00" },
      "startsAt",
      t("v.festivalInPast"),
    ],
    ["an unknown time zone", { timezone: "Mars/Olympus_Mons" }, "timezone", t("v.timezone")],
    ["a hostile time zone", { timezone: "../../etc/passwd" }, "timezone", t("v.timezone")],
    ["an unknown country", { country: "ZZ" }, "country", t("v.country")],
    ["a hostile slug", { slug: "<script>alert(1)</script>" }, "slug", t("v.slug")],
    ["a slug with a path", { slug: "../admin" }, "slug", t("v.slug")],
    ["an oversized name", { name: "N".repeat(5000) }, "name", t("v.maxLength", { n: 120 })],
    ["an end before the start", { endsAt: ahead(119, "10:00") }, "endsAt", t("v.endBeforeStart")],
    ["an unknown field", { orders: [{ id: "x" }] }, "orders", t("v.unknownField")],
  ];
  for (const [name, body, field, message] of cases) {
    it(`answers 422 for ${name}, and writes nothing`, async () => {
      const count = await prisma.festival.count();
      const res = await client.api("POST", url(), berlin(body), token);
      expect(res.status, res.text).toBe(422);
      expect(res.json<{ fields: Record<string, string> }>().fields[field]).toBe(message);
      expect(await prisma.festival.count()).toBe(count);
    });
  }

  it("answers 409 for a slug another festival has", async () => {
    const res = await client.api("POST", url(), berlin({ slug: seeded.slug }), token);
    expect(res.status, res.text).toBe(409);
    expect(res.json<{ error: string; fields: Record<string, string> }>()).toMatchObject({
      error: "slug_taken",
      fields: { slug: t("v.slugTaken") },
    });
  });

  it("answers 404 to an organiser of another festival, 403 to its door staff, 401 without a token", async () => {
    const count = await prisma.festival.count();
    const other = await createUserRow({ name: "Other organiser" });
    const theirs = await client.api(
      "POST",
      "/api/v1/festivals",
      {
        ...berlin({ name: "Their own", startsAt: ahead(60, "15:00"), endsAt: ahead(60, "22:00") }),
        languages: ["en"],
        currency: "EUR",
      },
      token,
    );
    expect(theirs.status, theirs.text).toBe(201);
    await addMember(theirs.json<{ id: string }>().id, other.id, "organiser");
    const otherToken = await apiToken(app.url, other.email);
    const refused = await client.api("POST", url(), berlin(), otherToken);
    expect(refused.status, refused.text).toBe(404);
    // The form page too, and a made-up id.
    const otherBrowser = await signedInClient(app.url, other.email);
    expect((await otherBrowser.get(`/admin/festivals/${seeded.id}/clone`)).status).toBe(404);
    expect(
      (await otherBrowser.postForm(`/admin/festivals/${seeded.id}/clone`, berlin())).status,
    ).toBe(404);
    expect(
      (await client.api("POST", "/api/v1/festivals/no-such-id/clone", berlin(), token)).status,
    ).toBe(404);

    const doorPerson = await createUserRow({ name: "Door person" });
    await addMember(seeded.id, doorPerson.id, "door");
    const doorToken = await apiToken(app.url, doorPerson.email);
    expect((await client.api("POST", url(), berlin(), doorToken)).status).toBe(403);
    expect((await client.api("POST", url(), berlin())).status).toBe(401);
    expect(await prisma.festival.count()).toBe(count + 1);
  });

  it("answers the form with the errors beside the fields (400), and writes nothing", async () => {
    const count = await prisma.festival.count();
    const res = await browser.postForm(`/admin/festivals/${seeded.id}/clone`, {
      ...berlin({ startsAt: "2024-03-02T15:00", endsAt: "2024-03-02T23:00", country: "ZZ" }),
    });
    expect(res.status).toBe(400);
    expect(res.text).toContain(t("v.festivalInPast"));
    expect(res.text).toContain(t("v.country"));
    expect(await prisma.festival.count()).toBe(count);
  });
});
