// The organiser's door page: devices (setup link shown once, revoke), counters,
// arrivals chart, check-ins with conflicts first, CSV without personal data.
import { afterAll, beforeAll, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import {
  addMember,
  apiToken,
  createUserRow,
  festivalBody,
  signedInClient,
} from "../helpers/fixtures";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

it("manages devices and shows check-ins to organisers", async () => {
  const admin = await createUserRow({ role: "admin" });
  const token = await apiToken(app.url, admin.email);
  const api = new Client(app.url);
  const f = (await api.api("POST", "/api/v1/festivals", festivalBody(), token)).json<{
    id: string;
  }>();
  await api.api("POST", `/api/v1/festivals/${f.id}/publish`, undefined, token);
  const type = (
    await api.api(
      "POST",
      `/api/v1/festivals/${f.id}/ticket-types`,
      { name: "Free entry", priceMinor: 0, capacity: 10 },
      token,
    )
  ).json<{ id: string }>();
  const order = (
    await api.api("POST", `/api/v1/festivals/${f.id}/orders`, {
      items: [{ ticketTypeId: type.id, quantity: 1 }],
      email: "guest@example.test",
      name: "Guest Person",
      paymentMethod: "free",
    })
  ).json<{ tickets: { qrToken: string }[] }>();

  const page = await signedInClient(app.url, admin.email);
  const created = await page.postForm(`/admin/festivals/${f.id}/door`, {
    intent: "add-device",
    name: "Door 1",
  });
  expect(created.status).toBe(200);
  const setupUrl = /(http:\/\/[^\s<"]+\/door#device=[A-Za-z0-9_-]+)/.exec(created.text)?.[1];
  expect(setupUrl).toBeDefined();
  expect(created.text).toContain('src="data:image/png;base64,');
  const deviceToken = new URL(setupUrl!).hash.replace("#device=", "");

  const verdict = await api.api(
    "POST",
    "/api/v1/door/scans",
    { token: order.tickets[0]!.qrToken, nonce: "nonce-admin-test-1" },
    deviceToken,
  );
  expect(verdict.json()).toMatchObject({ result: "admitted" });

  const view = await page.get(`/admin/festivals/${f.id}/door`);
  expect(view.status).toBe(200);
  expect(view.text).toContain("Door 1");
  expect(view.text).toContain("Guest Person");
  expect(view.text).toMatch(/<svg[^>]+role="img"/);
  // Searching check-ins by buyer, code or device; LIKE wildcards are taken literally.
  const search = async (q: string) => {
    const res = await page.postForm(`/admin/festivals/${f.id}/door`, { intent: "search", q });
    // What the page shows (its data for hydration holds the unfiltered list).
    return { status: res.status, text: res.text.split("<script")[0]! };
  };
  const found = await search("Guest");
  expect(found.status).toBe(200);
  expect(found.text).toContain("Guest Person");
  const literal = await search("G%_\\");
  expect(literal.status).toBe(200);
  expect(literal.text).not.toContain("Guest Person");
  const percent = (
    await api.api("POST", `/api/v1/festivals/${f.id}/orders`, {
      items: [{ ticketTypeId: type.id, quantity: 1 }],
      email: "percent@example.test",
      name: "Ann 100%_\\ Percent",
      paymentMethod: "free",
    })
  ).json<{ tickets: { qrToken: string }[] }>();
  await api.api(
    "POST",
    "/api/v1/door/scans",
    { token: percent.tickets[0]!.qrToken, nonce: "nonce-admin-test-2" },
    deviceToken,
  );
  const withWildcards = await search("100%_\\");
  expect(withWildcards.status).toBe(200);
  expect(withWildcards.text).toContain("Ann 100%_\\ Percent");
  expect(withWildcards.text).not.toContain("Guest Person");
  // The token is never shown again.
  expect(view.text).not.toContain(deviceToken);

  const csv = await page.get(`/admin/festivals/${f.id}/check-ins.csv`);
  expect(csv.headers.get("content-type")).toContain("text/csv");
  expect(csv.text).toContain("admitted");
  expect(csv.text).not.toContain("Guest Person");
  expect(csv.text).not.toContain("guest@example.test");

  const device = await prisma.doorDevice.findFirstOrThrow({ where: { festivalId: f.id } });
  await page.postForm(`/admin/festivals/${f.id}/door`, {
    intent: "revoke-device",
    deviceId: device.id,
    confirm: "yes",
  });
  expect((await api.api("GET", "/api/v1/door/manifest", undefined, deviceToken)).status).toBe(401);
});

it("lets a signed-in door-staff account turn its phone into a door device", async () => {
  const admin = await createUserRow({ role: "admin" });
  const token = await apiToken(app.url, admin.email);
  const api = new Client(app.url);
  const f = (await api.api("POST", "/api/v1/festivals", festivalBody(), token)).json<{
    id: string;
  }>();
  const staff = await createUserRow({ name: "Door Volunteer" });
  await addMember(f.id, staff.id, "door");
  const phone = await signedInClient(app.url, staff.email);
  const dashboard = await phone.get("/admin");
  expect(dashboard.text).toContain('action="/door/setup"');
  const res = await phone.postForm("/door/setup", { festivalId: f.id });
  expect(res.status).toBe(302);
  const deviceToken = /^\/door#device=([A-Za-z0-9_-]{40,})$/.exec(res.location ?? "")?.[1];
  expect(deviceToken).toBeDefined();
  expect((await api.api("GET", "/api/v1/door/manifest", undefined, deviceToken)).status).toBe(200);
  const device = await prisma.doorDevice.findFirstOrThrow({ where: { festivalId: f.id } });
  expect(device.name).toContain("Door Volunteer");
  // Door staff still cannot open the organisers' door page.
  expect((await phone.get(`/admin/festivals/${f.id}/door`)).status).toBe(403);

  // The scanner page, which the phone keeps for offline use, carries nobody's
  // account: no name, no email, no account links, even when signed in.
  const scanner = await phone.get("/door");
  expect(scanner.status).toBe(200);
  expect(scanner.text).not.toContain("Door Volunteer");
  expect(scanner.text).not.toContain(staff.email);
  expect(scanner.text).not.toContain('href="/account"');
  expect(scanner.text).not.toContain('action="/logout"');
  // …while the other pages still show who is signed in.
  expect((await phone.get("/admin")).text).toContain('href="/account"');
});

it("refuses new door devices once the festival is over", async () => {
  const admin = await createUserRow({ role: "admin" });
  const token = await apiToken(app.url, admin.email);
  const api = new Client(app.url);
  const f = (await api.api("POST", "/api/v1/festivals", festivalBody(), token)).json<{
    id: string;
  }>();
  const ended = new Date(Date.now() - 5 * 24 * 3600_000);
  await prisma.festival.update({
    where: { id: f.id },
    data: { startsAt: new Date(ended.getTime() - 3600_000), endsAt: ended },
  });
  const page = await signedInClient(app.url, admin.email);
  const res = await page.postForm(`/admin/festivals/${f.id}/door`, {
    intent: "add-device",
    name: "Late door",
  });
  expect(res.status).toBe(409);
  expect(res.text).toContain("This festival is over");
  const staff = await createUserRow();
  await addMember(f.id, staff.id, "door");
  const phone = await signedInClient(app.url, staff.email);
  expect((await phone.postForm("/door/setup", { festivalId: f.id })).status).toBe(409);
  expect(await prisma.doorDevice.count({ where: { festivalId: f.id } })).toBe(0);
});
