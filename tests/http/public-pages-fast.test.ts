// Issue 13, "the festival page flies" (decision 0045): the page cache for readers
// without a session, over HTTP against the production build — fresh availability
// after a sale, a new CSP nonce and checkout key in every copy, never for a
// signed-in reader, one copy per language; the sharing tags, /sitemap.xml and
// /robots.txt; the festival poster's upload, its bad input and its srcset.
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sqlClient } from "~/utils/db.server";
import { translator } from "~/utils/i18n";
import { Client, startTestApp, type HttpResponse, type TestApp } from "../helpers/app";
import { buyDoorTicket, doorFestival, signedInAdmin } from "../helpers/fixtures";

const ORIGIN = "http://festivals.example.test";
const en = translator("en");

let app: TestApp;
let anonymous: Client;
let session: Client;
let token: string;
let festival: { id: string; slug: string; typeId: string };
let smallTypeId: string;

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0", PUBLIC_URL: ORIGIN });
  anonymous = new Client(app.url);
  ({ token, browser: session } = await signedInAdmin(app.url, "Cache Admin"));
  festival = await doorFestival(anonymous, token, { name: "Fast Pages Fest" });
  const small = await anonymous.api(
    "POST",
    `/api/v1/festivals/${festival.id}/ticket-types`,
    { name: "Tiny room", priceMinor: 1000, capacity: 3 },
    token,
  );
  expect(small.status, small.text).toBe(201);
  smallTypeId = small.json<{ id: string }>().id;
});
afterAll(() => app?.close());

const page = (client = anonymous, headers: Record<string, string> = {}) =>
  client.get(`/festivals/${festival.slug}`, headers);
const cspNonce = (res: HttpResponse) =>
  /'nonce-([^']+)'/.exec(res.headers.get("content-security-policy") ?? "")?.[1];
const nonces = (html: string) => [...html.matchAll(/nonce="([^"]+)"/g)].map((m) => m[1]);
const checkoutKey = (html: string) => /name="idempotencyKey" value="([^"]+)"/.exec(html)?.[1];

describe("the page cache (readers without a session)", () => {
  it("sends copies with this response's own CSP nonce and a new checkout key", async () => {
    const first = await page();
    const second = await page();
    expect(first.status).toBe(200);
    expect(second.headers.get("x-page-cache")).toBe("hit");
    for (const res of [first, second]) {
      const nonce = cspNonce(res);
      expect(nonce).toBeTruthy();
      // Every inline script carries the nonce of its own response's header, nothing else.
      expect(nonces(res.text).length).toBeGreaterThan(0);
      expect(new Set(nonces(res.text))).toEqual(new Set([nonce]));
    }
    expect(cspNonce(first)).not.toBe(cspNonce(second));
    const [k1, k2] = [checkoutKey(first.text), checkoutKey(second.text)];
    expect(k1).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(k1).not.toBe(k2);
    // The key is also the one the page's data hands to the browser (hydration).
    expect(second.text.split(k2!).length).toBeGreaterThan(2);
    expect(second.headers.get("cache-control")).toBe("no-store");
  });

  it("shows fresh availability after a sale, at once", async () => {
    const before = await page();
    expect(before.text).toContain(en("shop.left", { n: 3 }));
    expect((await page()).headers.get("x-page-cache")).toBe("hit");
    await buyDoorTicket(anonymous, festival.id, smallTypeId);
    const after = await page();
    expect(after.headers.get("x-page-cache")).toBe("miss");
    expect(after.text).toContain(en("shop.left", { n: 2 }));
    expect(after.text).not.toContain(en("shop.left", { n: 3 }));
  });

  it("sees an organiser's edit made behind the app's back (raw SQL) at once", async () => {
    await page();
    await sqlClient().execute({
      sql: "UPDATE TicketType SET name = ? WHERE id = ?",
      args: [JSON.stringify({ en: "Renamed room" }), smallTypeId],
    });
    expect((await page()).text).toContain("Renamed room");
  });

  it("never serves or keeps a signed-in reader's page", async () => {
    const signedIn = await page(session);
    expect(signedIn.status).toBe(200);
    expect(signedIn.headers.get("x-page-cache")).toBeNull();
    expect(signedIn.text).toContain(en("nav.signOut"));
    const anon = await page();
    expect(anon.text).not.toContain(en("nav.signOut"));
    expect(anon.text).not.toContain("Cache Admin");
    // A bearer token is a credential too; and an unknown query is not cached.
    const withToken = await anonymous.get(`/festivals/${festival.slug}`, {
      Authorization: `Bearer ${token}`,
    });
    expect(withToken.headers.get("x-page-cache")).toBeNull();
    const odd = await anonymous.get(`/festivals/${festival.slug}?utm=${"x".repeat(20)}`);
    expect(odd.status).toBe(200);
    expect(odd.headers.get("x-page-cache")).toBeNull();
  });

  it("keeps one copy per language", async () => {
    const ru = await page(anonymous, { "Accept-Language": "ru" });
    const enPage = await page(anonymous, { "Accept-Language": "en" });
    const ru2 = await page(anonymous, { "Accept-Language": "ru-RU,ru;q=0.9" });
    expect(ru.text).toContain('<html lang="ru"');
    expect(enPage.text).toContain('<html lang="en"');
    expect(ru2.text).toContain('<html lang="ru"');
    expect(ru2.headers.get("x-page-cache")).toBe("hit");
    expect(ru2.text).toContain(translator("ru")("festival.venue"));
  });

  it("caches the festival list too, and it says when a festival has ended", async () => {
    const list = await anonymous.get("/");
    expect(list.status).toBe(200);
    expect((await anonymous.get("/")).headers.get("x-page-cache")).toBe("hit");
    await sqlClient().execute({
      sql: "UPDATE Festival SET startsAt = ?, endsAt = ? WHERE id = ?",
      args: ["2020-01-01T10:00:00.000+00:00", "2020-01-01T20:00:00.000+00:00", festival.id],
    });
    try {
      const after = await anonymous.get("/");
      expect(after.headers.get("x-page-cache")).toBe("miss");
      const past = after.text.slice(after.text.indexOf('id="past"'));
      expect(past).toContain("Fast Pages Fest");
      expect(past).toContain(en("home.ended"));
      expect((await page()).text).toContain(en("festival.endedNotice"));
    } finally {
      await sqlClient().execute({
        sql: "UPDATE Festival SET startsAt = ?, endsAt = ? WHERE id = ?",
        args: ["2030-01-26T13:00:00.000+00:00", "2030-01-26T21:00:00.000+00:00", festival.id],
      });
    }
  });
});

describe("sharing tags, sitemap and robots", () => {
  it("the festival page has a title, a description and Open Graph tags from PUBLIC_URL", async () => {
    const html = (await page()).text;
    expect(html).toMatch(/<title>Fast Pages Fest — [^<]+<\/title>/);
    expect(html).toMatch(/<meta name="description" content="[^"]+"/);
    expect(html).toContain('property="og:title" content="Fast Pages Fest');
    expect(html).toContain(`property="og:url" content="${ORIGIN}/festivals/${festival.slug}"`);
  });

  it("/robots.txt keeps crawlers out of the private areas only, and names the sitemap", async () => {
    const res = await anonymous.get("/robots.txt");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    const disallowed = [...res.text.matchAll(/^Disallow: (.*)$/gm)].map((m) => m[1]);
    for (const p of ["/admin", "/api", "/door", "/orders"]) expect(disallowed).toContain(p);
    for (const p of ["/", "/festivals", "/prisoners", "/transparency"])
      expect(disallowed.some((d) => p.startsWith(d!) && d !== "/dev/")).toBe(false);
    expect(res.text).toContain(`Sitemap: ${ORIGIN}/sitemap.xml`);
  });

  it("/sitemap.xml lists public festivals, prisoners and transparency pages, not drafts", async () => {
    const draft = await anonymous.api(
      "POST",
      "/api/v1/festivals",
      {
        name: "Hidden Draft Fest",
        city: "Riga",
        country: "LV",
        venueName: "Hall",
        venueAddress: "Street 1",
        timezone: "Europe/Riga",
        currency: "EUR",
        startsAt: "2030-03-01T15:00",
        endsAt: "2030-03-01T23:00",
        languages: ["en"],
      },
      token,
    );
    expect(draft.status).toBe(201);
    const res = await anonymous.get("/sitemap.xml");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/xml/);
    const locs = [...res.text.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => m[1]);
    expect(locs).toContain(`${ORIGIN}/`);
    expect(locs).toContain(`${ORIGIN}/festivals/${festival.slug}`);
    expect(locs).toContain(`${ORIGIN}/prisoners`);
    expect(locs).toContain(`${ORIGIN}/transparency`);
    expect(locs).toContain(`${ORIGIN}/transparency/festivals/${festival.slug}`);
    expect(locs.some((l) => l!.includes(draft.json<{ slug: string }>().slug))).toBe(false);
    expect(locs.every((l) => l!.startsWith(ORIGIN))).toBe(true);
  });
});

describe("the festival poster", () => {
  const upload = (body: Blob, name = "poster.png", auth = token) => {
    const form = new FormData();
    form.append("image", body, name);
    return anonymous.request("PUT", `/api/v1/festivals/${festival.id}/poster`, {
      body: form,
      headers: auth ? { Authorization: `Bearer ${auth}` } : {},
    });
  };
  const posterRow = async () =>
    (
      await sqlClient().execute({
        sql: "SELECT posterImage, posterSizes FROM Festival WHERE id = ?",
        args: [festival.id],
      })
    ).rows[0];

  it("refuses bad input with a clear 4xx and writes nothing", async () => {
    const before = await posterRow();
    const text = new Blob([new TextEncoder().encode("not a picture at all")], {
      type: "image/png",
    });
    const cases: [string, Promise<HttpResponse>, number][] = [
      ["no credentials", upload(text, "p.png", ""), 401],
      ["a text file named .png", upload(text), 415],
      [
        "PNG magic bytes, then garbage",
        upload(
          new Blob([
            new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4, 5, 6]),
          ]),
        ),
        422,
      ],
      ["larger than 10 MB", upload(new Blob([new Uint8Array(10 * 1024 * 1024 + 10)])), 413],
      [
        "JSON instead of a form",
        anonymous.request("PUT", `/api/v1/festivals/${festival.id}/poster`, {
          body: JSON.stringify({ image: "x" }),
          headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        }),
        415,
      ],
    ];
    for (const [label, res, status] of cases) expect((await res).status, label).toBe(status);
    const missing = await anonymous.request("PUT", `/api/v1/festivals/${festival.id}/poster`, {
      body: new FormData(),
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(missing.status).toBe(422);
    expect(await posterRow()).toEqual(before);
  });

  it("stores it re-encoded without metadata at several widths; the page and the list show a srcset and share it", async () => {
    const png = await sharp({
      create: { width: 1800, height: 1200, channels: 3, background: "#aa3344" },
    })
      .withExif({ IFD0: { Artist: "secret camera owner" } })
      .jpeg()
      .toBuffer();
    const res = await upload(new Blob([new Uint8Array(png)]), "poster.jpg");
    expect(res.status, res.text).toBe(200);
    const { poster } = res.json<{ poster: { src: string; srcSet: string; width: number } }>();
    expect(poster.srcSet).toMatch(/ 480w, .+ 960w, .+ 1600w$/);
    expect(poster.width).toBe(1600);
    const file = await fetch(app.url + poster.src);
    expect(file.headers.get("content-type")).toBe("image/webp");
    const meta = await sharp(Buffer.from(await file.arrayBuffer())).metadata();
    expect(meta.format).toBe("webp");
    expect(meta.exif).toBeUndefined();

    const html = (await page()).text.replace(/&amp;/g, "&");
    expect(html).toContain(`srcSet="${poster.srcSet}"`);
    expect(html).toMatch(
      new RegExp(`property="og:image" content="${ORIGIN}/media/[^"]+-w960\\.webp"`),
    );
    expect(html).toContain('name="twitter:card" content="summary_large_image"');
    const list = (await anonymous.get("/")).text;
    expect(list).toContain(poster.srcSet.split(" ")[0]!);
  });

  it("the admin page's form (no JavaScript) refuses a disguised file next to the field, then takes a real one", async () => {
    const post = (file: Blob, name: string) => {
      const form = new FormData();
      form.append("intent", "upload");
      form.append("image", file, name);
      return session.request("POST", `/admin/festivals/${festival.id}/poster`, { body: form });
    };
    const bad = await post(new Blob([new TextEncoder().encode("<svg onload=alert(1)>")]), "x.png");
    expect(bad.status).toBe(415);
    expect(bad.text).toContain(en("v.image.unsupported_image"));
    const png = await sharp({
      create: { width: 600, height: 800, channels: 3, background: "#113355" },
    })
      .png()
      .toBuffer();
    const good = await post(new Blob([new Uint8Array(png)]), "poster.png");
    expect(good.status).toBe(200);
    expect(good.text).toContain(en("admin.poster.saved"));
    expect((await posterRow())?.posterSizes).toBe("[480]");
  });
});
