import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { createFestivalRow } from "../helpers/fixtures";
import { seedDemoIfEmpty } from "~/utils/seed.server";

let app: TestApp;
let client: Client;

beforeAll(async () => {
  app = await startTestApp();
  client = new Client(app.url);
});
afterAll(() => app.close());

describe("health", () => {
  it("answers {ok:true} once the database answers", async () => {
    const res = await client.get("/healthz");
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ ok: true });
  });
});

describe("public festival list and pages", () => {
  let published: Awaited<ReturnType<typeof createFestivalRow>>;
  let draft: Awaited<ReturnType<typeof createFestivalRow>>;

  beforeAll(async () => {
    expect(await seedDemoIfEmpty(new Date())).toBe(true);
    published = await createFestivalRow({
      name: "Berlin benefit",
      city: "Berlin",
      country: "DE",
      timezone: "Europe/Berlin",
      status: "published",
      publishedAt: new Date(),
    });
    draft = await createFestivalRow({
      name: "Secret draft festival",
      city: "Toronto",
      country: "CA",
      timezone: "America/Toronto",
    });
  });

  it("groups upcoming festivals by country and city and lists past ones apart", async () => {
    const res = await client.get("/");
    expect(res.status).toBe(200);
    const upcoming = res.text.slice(
      res.text.indexOf('id="upcoming"'),
      res.text.indexOf('id="past"'),
    );
    const past = res.text.slice(res.text.indexOf('id="past"'));
    expect(upcoming).toContain("Latvia");
    expect(upcoming).toContain("Germany");
    expect(upcoming).toContain("Solidarity Festival Riga (demo)");
    expect(upcoming).toContain("Berlin benefit");
    expect(past).toContain("Solidarity Festival Warsaw (demo)");
    expect(upcoming).not.toContain("Warsaw");
  });

  it("never shows drafts: not listed, and their page is a 404 (not 403)", async () => {
    const list = await client.get("/");
    expect(list.text).not.toContain("Secret draft festival");
    const page = await client.get(`/festivals/${draft.slug}`);
    expect(page.status).toBe(404);
    expect(page.text).not.toContain("Secret draft festival");
    const api = await client.get("/api/v1/festivals");
    expect(JSON.stringify(api.json())).not.toContain("Secret draft festival");
  });

  it("shows the programme in the festival's time zone", async () => {
    const res = await client.get("/festivals/demo-solidarity-festival-riga");
    expect(res.status).toBe(200);
    // Demo programme starts at 15:00 Riga time, whatever the server's zone.
    expect(res.text).toMatch(/3:00\s?PM/);
    expect(res.text).toContain("Talk");
    expect(res.text).toContain("openstreetmap.org");
    expect(res.text).toContain("GMT+2");
  });

  it("answers in Russian for Accept-Language: ru and sets <html lang>", async () => {
    const res = await client.get("/festivals/demo-solidarity-festival-riga", {
      "Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5",
    });
    expect(res.text).toContain('<html lang="ru"');
    expect(res.text).toContain("Программа");
    expect(res.text).toContain("15:00");
    expect(res.text).toContain("Разговоры о политзаключённых");
  });

  it("remembers the chosen language in a cookie over Accept-Language", async () => {
    const c = new Client(app.url);
    const set = await c.postForm("/set-language", { lang: "ru", redirectTo: "/" });
    expect(set.status).toBe(302);
    expect(set.location).toBe("/");
    const res = await c.get("/", { "Accept-Language": "en" });
    expect(res.text).toContain('<html lang="ru"');
    expect(res.text).toContain("Ближайшие фестивали");
    const bad = await c.postForm("/set-language", {
      lang: "xx",
      redirectTo: "https://evil.example",
    });
    expect(bad.status).toBe(400);
  });

  it("does not follow a language switch to another site", async () => {
    const res = await new Client(app.url).postForm("/set-language", {
      lang: "en",
      redirectTo: "//evil.example/",
    });
    expect(res.location).toBe("/");
  });

  it("renders 404 pages for unknown paths and JSON 404 for unknown API paths", async () => {
    const page = await client.get("/no/such/page");
    expect(page.status).toBe(404);
    expect(page.headers.get("content-type")).toContain("text/html");
    const api = await client.get("/api/v1/nothing-here");
    expect(api.status).toBe(404);
    expect(api.json()).toMatchObject({ error: "not_found" });
  });

  it("lists published festivals in the public API", async () => {
    const res = await client.get("/api/v1/festivals");
    expect(res.status).toBe(200);
    const body = res.json<{ festivals: { slug: string; status: string }[] }>();
    expect(body.festivals.map((f) => f.slug)).toContain(published.slug);
    expect(body.festivals.every((f) => f.status !== "draft")).toBe(true);
  });
});
