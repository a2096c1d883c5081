// The dashboard and the overview over HTTP, against the production build: who
// may open them (anonymous → sign in; another festival's organiser → 404,
// as for every page of a festival not theirs; door staff → 403; the overview is
// the admins'), what the pages carry (an SVG chart with bars and a table of the
// same figures for each), in English and Russian, and hostile ids.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import {
  addMember,
  apiToken,
  buyDoorTicket,
  createUserRow,
  doorFestival,
  signedInClient,
} from "../helpers/fixtures";

let app: TestApp;
let client: Client;
let festival: { id: string; typeId: string };
let other: { id: string };
let admin: Client;
let organiser: Client;
let otherOrganiser: Client;
let doorStaff: Client;
/** API tokens of the organiser, the other festival's organiser and the door staff. */
let tokens: { organiser: string; other: string; door: string };

const dashboardPath = (id: string) => `/admin/festivals/${id}/dashboard`;

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  client = new Client(app.url);
  const adminRow = await createUserRow({ role: "admin" });
  const token = await apiToken(app.url, adminRow.email);
  festival = await doorFestival(client, token, {
    name: "Riga Solidarity",
    typeName: { en: "Standard entry", ru: "Обычный вход" },
  });
  other = await doorFestival(client, token, { name: "Warsaw Solidarity" });
  await buyDoorTicket(client, festival.id, festival.typeId);
  await buyDoorTicket(client, festival.id, festival.typeId);
  const [org, otherOrg, door] = await Promise.all([
    createUserRow({ name: "Olga" }),
    createUserRow({ name: "Oskar" }),
    createUserRow({ name: "Dora" }),
  ]);
  await addMember(festival.id, org.id, "organiser");
  await addMember(other.id, otherOrg.id, "organiser");
  await addMember(festival.id, door.id, "door");
  tokens = {
    organiser: await apiToken(app.url, org.email),
    other: await apiToken(app.url, otherOrg.email),
    door: await apiToken(app.url, door.email),
  };
  [admin, organiser, otherOrganiser, doorStaff] = await Promise.all([
    signedInClient(app.url, adminRow.email),
    signedInClient(app.url, org.email),
    signedInClient(app.url, otherOrg.email),
    signedInClient(app.url, door.email),
  ]);
});
afterAll(() => app.close());

/** The charts' SVG drawings and their tables, as the page sends them. */
function charts(html: string) {
  const figures = html.split('<figure class="dash-chart"').slice(1);
  return figures.map((f) => ({
    bars: (f.match(/class="recharts-rectangle"/g) ?? []).length,
    svg: /<svg[^>]*class="recharts-surface"/.test(f),
    table: /<div class="sr-only"><table><caption>/.test(f),
  }));
}

describe("the festival dashboard", () => {
  it("sends anonymous visitors to sign in", async () => {
    const res = await client.get(dashboardPath(festival.id));
    expect(res.status).toBe(302);
    expect(res.location).toBe(
      `/login?${new URLSearchParams({ redirectTo: dashboardPath(festival.id) })}`,
    );
  });

  it("is not found for another festival's organiser, and forbidden to door staff", async () => {
    const res = await otherOrganiser.get(dashboardPath(festival.id));
    expect(res.status).toBe(404);
    expect(res.text).not.toContain("Riga Solidarity");
    expect(res.text).not.toContain("Standard entry");
    const door = await doorStaff.get(dashboardPath(festival.id));
    expect(door.status).toBe(403);
    expect(door.text).not.toContain("Standard entry");
    // Their own festival's dashboard opens.
    expect((await otherOrganiser.get(dashboardPath(other.id))).status).toBe(200);
  });

  it("shows the organiser charts with bars, each with its table", async () => {
    const res = await organiser.get(dashboardPath(festival.id));
    expect(res.status).toBe(200);
    expect(res.text).toContain("Tickets sold against capacity, per ticket type");
    expect(res.text).toContain("Standard entry");
    const found = charts(res.text);
    expect(found.length).toBeGreaterThanOrEqual(2); // per type, per day
    for (const chart of found) expect(chart).toMatchObject({ svg: true, table: true });
    expect(found[0]!.bars).toBeGreaterThan(0);
    // The SVG carries no inline style (the CSP allows none) and no script.
    const svgs = res.text.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    for (const svg of svgs) expect(svg).not.toMatch(/style=|<script/);
  });

  it("speaks Russian with Russian-formatted figures", async () => {
    const res = await organiser.get(dashboardPath(festival.id), { "Accept-Language": "ru" });
    expect(res.status).toBe(200);
    expect(res.text).toContain("Продано билетов из доступных, по типам билетов");
    expect(res.text).toContain("Обычный вход");
    expect(res.text).toContain("2 из ");
  });

  it("answers a hostile or unknown festival id with 404", async () => {
    for (const id of ["no-such-festival", "x".repeat(300), "%27%20OR%201%3D1", "..%2F..%2Fetc"]) {
      const res = await admin.get(dashboardPath(id));
      expect(res.status, id).toBe(404);
    }
  });
});

describe("GET /api/v1/festivals/:id/dashboard", () => {
  const path = () => `/api/v1/festivals/${festival.id}/dashboard`;

  it("answers the organiser with the page's figures", async () => {
    const res = await client.api("GET", path(), undefined, tokens.organiser);
    expect(res.status).toBe(200);
    const body = res.json<{
      festival: { id: string };
      live: boolean;
      tickets: { sold: number; types: { name: string; sold: number }[] };
      salesPerDay: { tickets: number }[];
      money: { revenue: unknown[] } | null;
    }>();
    expect(body.festival.id).toBe(festival.id);
    expect(body.live).toBe(false);
    expect(body.tickets.sold).toBe(2);
    expect(body.tickets.types).toMatchObject([{ name: "Standard entry", sold: 2 }]);
    expect(body.salesPerDay.reduce((s, d) => s + d.tickets, 0)).toBe(2);
    expect(body.money).not.toBeNull();
    const ru = await client.request("GET", path(), {
      headers: { Authorization: `Bearer ${tokens.organiser}`, "Accept-Language": "ru" },
    });
    expect(ru.json<{ tickets: { types: { name: string }[] } }>().tickets.types[0]!.name).toBe(
      "Обычный вход",
    );
  });

  it("refuses without a token (401), another festival's organiser (404) and door staff (403)", async () => {
    expect((await client.api("GET", path())).status).toBe(401);
    const other = await client.api("GET", path(), undefined, tokens.other);
    expect(other.status).toBe(404);
    expect(other.text).not.toContain("Standard entry");
    expect((await client.api("GET", path(), undefined, tokens.door)).status).toBe(403);
    const unknown = await client.api(
      "GET",
      `/api/v1/festivals/${"z".repeat(200)}/dashboard`,
      undefined,
      tokens.organiser,
    );
    expect(unknown.status).toBe(404);
  });
});

describe("the overview of every festival", () => {
  it("is the admins': anonymous visitors sign in, organisers and door staff are refused", async () => {
    const anonymous = await client.get("/admin/overview");
    expect(anonymous.status).toBe(302);
    expect(anonymous.location).toContain("/login?");
    expect((await organiser.get("/admin/overview")).status).toBe(403);
    expect((await doorStaff.get("/admin/overview")).status).toBe(403);
  });

  it("lists every festival by country and city with its totals and charts", async () => {
    const res = await admin.get("/admin/overview");
    expect(res.status).toBe(200);
    expect(res.text).toContain("Latvia");
    expect(res.text).toContain("Riga Solidarity");
    expect(res.text).toContain("Warsaw Solidarity");
    expect(res.text).toContain(`/admin/festivals/${festival.id}/dashboard`);
    const found = charts(res.text);
    expect(found.length).toBeGreaterThanOrEqual(1);
    for (const chart of found) expect(chart).toMatchObject({ svg: true, table: true });
    expect(found[0]!.bars).toBeGreaterThan(0);
    // The admin's index links to it; an organiser's does not.
    expect((await admin.get("/admin")).text).toContain('href="/admin/overview"');
    expect((await organiser.get("/admin")).text).not.toContain('href="/admin/overview"');
  });
});
