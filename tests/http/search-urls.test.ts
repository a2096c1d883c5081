// No personal data in URLs (they land in logs and histories): the organisers'
// order and check-in searches and the scanner's name search send the text in a
// POST body; a search text in a URL is not read, and no page or redirect puts
// one there.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import {
  buyDoorTicket,
  createDoorDeviceViaApi,
  doorFestival,
  signedInAdmin,
} from "../helpers/fixtures";

let app: TestApp;
let client: Client;
let admin: Awaited<ReturnType<typeof signedInAdmin>>;
let festival: { id: string; typeId: string };
const wanted = { name: "Wanda Searchurl", email: "wanda.searchurl@example.test" };
const other = { name: "Otto Elsewhere", email: "otto.elsewhere@example.test" };

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  client = new Client(app.url);
  admin = await signedInAdmin(app.url);
  festival = await doorFestival(client, admin.token);
  await buyDoorTicket(client, festival.id, festival.typeId, wanted);
  await buyDoorTicket(client, festival.id, festival.typeId, other);
});
afterAll(() => app.close());

/** Every URL a page names: links, form actions, sources. */
function urlsIn(html: string) {
  return [...html.matchAll(/\b(?:href|action|src)="([^"]*)"/g)].map((m) => m[1]!);
}

function expectNoSearchTextInUrls(html: string, text: string) {
  for (const url of urlsIn(html)) {
    expect(url).not.toContain(text);
    expect(url).not.toContain(encodeURIComponent(text));
  }
}

describe("the organisers' order search", () => {
  it("searches by a POST body: the buyer is found, the other is not, and no URL carries the text", async () => {
    const page = await admin.browser.get(`/admin/festivals/${festival.id}/orders`);
    expect(page.text).toMatch(/<form method="post"[^>]*class="filters row"/);
    const res = await admin.browser.postForm(`/admin/festivals/${festival.id}/orders?index`, {
      q: wanted.email,
    });
    expect(res.status).toBe(200);
    expect(res.location).toBeNull();
    expect(res.text).toContain(wanted.name);
    // What the page shows (its data for hydration holds the unfiltered list, as before).
    const shown = res.text.split("<script")[0]!;
    expect(shown).toContain(wanted.name);
    expect(shown).not.toContain(other.name);
    expectNoSearchTextInUrls(res.text, wanted.email);
  });

  it("does not read a search text from the URL", async () => {
    const res = await admin.browser.get(
      `/admin/festivals/${festival.id}/orders?q=${encodeURIComponent(wanted.email)}`,
    );
    expect(res.status).toBe(200);
    // Unfiltered: both buyers are listed, and the address is not echoed into the box.
    expect(res.text).toContain(wanted.name);
    expect(res.text).toContain(other.name);
    expect(res.text).not.toContain(`value="${wanted.email}"`);
  });
});

describe("the organisers' check-in search", () => {
  it("searches by a POST body and ignores a search text in the URL", async () => {
    const page = await admin.browser.get(`/admin/festivals/${festival.id}/door`);
    expect(page.text).not.toMatch(/<form method="get"/);
    const res = await admin.browser.postForm(`/admin/festivals/${festival.id}/door`, {
      intent: "search",
      q: "Wanda",
    });
    expect(res.status).toBe(200);
    expect(res.text).toContain('value="Wanda"');
    expectNoSearchTextInUrls(res.text, "Wanda");
    const viaUrl = await admin.browser.get(`/admin/festivals/${festival.id}/door?q=Wanda`);
    expect(viaUrl.text).not.toContain('value="Wanda"');
  });

  it("someone not signed in is sent to sign in, not shown a search", async () => {
    const res = await new Client(app.url).postForm(`/admin/festivals/${festival.id}/door`, {
      intent: "search",
      q: "Wanda",
    });
    expect(res.status).toBe(302); // not signed in → the sign-in page
  });
});

describe("the scanner's name search", () => {
  it("takes the name in the body; a query string is refused (405)", async () => {
    const device = await createDoorDeviceViaApi(client, admin.token, festival.id, "Door");
    const viaUrl = await client.api(
      "GET",
      `/api/v1/door/search?q=${encodeURIComponent(wanted.name)}`,
      undefined,
      device.token,
    );
    expect(viaUrl.status).toBe(405);
    const res = await client.api("POST", "/api/v1/door/search", { q: "Wanda" }, device.token);
    expect(res.status).toBe(200);
    expect(res.json<{ results: { name: string }[] }>().results.map((r) => r.name)).toEqual([
      wanted.name,
    ]);
  });
});
