// A linked tattoo artist signs in and runs their own artist's pages — the
// artist page (flash, pictures) and its availability — inside the festival's
// admin frame, which shows them no other tab; every other page of the festival,
// and another artist's pages, stay closed to them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp, type Client } from "../helpers/app";
import { createFestivalRow, createUserRow, signedInClient, uniqueEmail } from "../helpers/fixtures";
import { createArtistRow } from "../helpers/tattoo";

let app: TestApp;
let artist: Client;
let festivalId: string;
let ownId: string;
let otherId: string;

beforeAll(async () => {
  app = await startTestApp();
  const festival = await createFestivalRow({ status: "published", publishedAt: new Date() });
  festivalId = festival.id;
  const user = await createUserRow({ email: uniqueEmail("linked-artist") });
  ownId = (await createArtistRow(festivalId, { name: "Own Needle", userId: user.id })).id;
  otherId = (await createArtistRow(festivalId, { name: "Someone Else" })).id;
  artist = await signedInClient(app.url, user.email);
});
afterAll(() => app.close());

describe("a linked artist", () => {
  it("opens their own artist page and availability, framed without the festival's other tabs", async () => {
    const base = `/admin/festivals/${festivalId}`;
    for (const path of [`${base}/tattoo/${ownId}`, `${base}/tattoo/${ownId}/availability`]) {
      const res = await artist.get(path);
      expect(res.status, path).toBe(200);
      expect(res.text).toContain("Own Needle");
      expect(res.text).toContain(`href="/tattoo-corner/${festivalId}"`);
      for (const tab of ["/tickets", "/orders", "/money", "/team", "/door"])
        expect(res.text, `${path} links ${tab}`).not.toContain(`href="${base}${tab}"`);
    }
  });

  it("is refused every other page of the festival and another artist's pages", async () => {
    const base = `/admin/festivals/${festivalId}`;
    for (const path of [
      base,
      `${base}/tickets`,
      `${base}/orders`,
      `${base}/money`,
      `${base}/team`,
      `${base}/door`,
      `${base}/programme`,
      `${base}/tattoo`,
      `${base}/tattoo-settings`,
    ]) {
      const res = await artist.get(path);
      expect([403, 404], path).toContain(res.status);
      expect(res.text).not.toContain("Someone Else");
    }
    for (const path of [`${base}/tattoo/${otherId}`, `${base}/tattoo/${otherId}/availability`]) {
      const res = await artist.get(path);
      expect(res.status, path).toBe(404);
      expect(res.text).not.toContain("Someone Else");
    }
  });
});
