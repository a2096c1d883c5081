// Door name search from one phone: at least 3 characters, a capped list,
// a per-device budget (searches are reads, and they count), and the search
// volume of each device shown to organisers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import {
  apiToken,
  buyDoorTicket,
  createDoorDeviceViaApi,
  createUserRow,
  doorFestival,
  signedInClient,
} from "../helpers/fixtures";

/** Searches a device may make per minute (app/utils/rate-limit.server.ts). */
const PER_MINUTE = 20;
/** Results one search answers at most (app/models/door.server.ts). */
const MAX_RESULTS = 10;

let app: TestApp;
let client: Client;
let adminToken: string;
let adminEmail: string;
let festival: { id: string; typeId: string };

beforeAll(async () => {
  // The general API limit is off: the search budget holds on its own.
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  client = new Client(app.url);
  const admin = await createUserRow({ role: "admin" });
  adminEmail = admin.email;
  adminToken = await apiToken(app.url, admin.email);
  festival = await doorFestival(client, adminToken);
  for (let i = 0; i < MAX_RESULTS + 3; i++)
    await buyDoorTicket(client, festival.id, festival.typeId, { name: `Zoya Searchlimit ${i}` });
});
afterAll(() => app.close());

const device = (name: string) => createDoorDeviceViaApi(client, adminToken, festival.id, name);

const search = (q: string, token: string) =>
  client.api("POST", "/api/v1/door/search", { q }, token);

describe("door search", () => {
  it("refuses fewer than 3 characters with a 422 naming the field", async () => {
    const d = await device("Short queries");
    for (const q of ["Zo", "a", "  ab  ", ""]) {
      const res = await search(q, d.token);
      expect(res.status, q).toBe(422);
      expect(res.json()).toMatchObject({
        error: "validation_failed",
        fields: { q: expect.stringMatching(/3/) },
      });
    }
  });

  it("answers at most a capped number of results, and says there are more", async () => {
    const d = await device("Capped");
    const res = await search("Searchlimit", d.token);
    expect(res.status).toBe(200);
    const body = res.json<{ results: unknown[]; truncated: boolean }>();
    expect(body.results).toHaveLength(MAX_RESULTS);
    expect(body.truncated).toBe(true);
    const one = (await search("Searchlimit 12", d.token)).json<{ truncated: boolean }>();
    expect(one.truncated).toBe(false);
  });

  it("the search after the device's budget is a 429 with Retry-After; another device is not affected", async () => {
    const d = await device("Busy phone");
    for (let i = 0; i < PER_MINUTE; i++) expect((await search("Zoya", d.token)).status).toBe(200);
    const refused = await search("Zoya", d.token);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.json()).toMatchObject({ error: "rate_limited" });
    const other = await device("Quiet phone");
    expect((await search("Zoya", other.token)).status).toBe(200);

    // Organisers see each device's search volume.
    const list = await client.api(
      "GET",
      `/api/v1/festivals/${festival.id}/door-devices`,
      undefined,
      adminToken,
    );
    type Listed = {
      id: string;
      searches: { today: number; total: number; lastAt: string | null };
    };
    const devices = list.json<{ devices: Listed[] }>().devices;
    const busy = devices.find((x) => x.id === d.id)!;
    expect(busy.searches).toMatchObject({ today: PER_MINUTE, total: PER_MINUTE });
    expect(Date.parse(busy.searches.lastAt ?? "")).toBeGreaterThan(Date.now() - 60_000);
    expect(devices.find((x) => x.id === other.id)!.searches).toMatchObject({ today: 1, total: 1 });
    const page = await signedInClient(app.url, adminEmail);
    const door = await page.get(`/admin/festivals/${festival.id}/door`);
    expect(door.status).toBe(200);
    expect(door.text).toContain(`Searches: ${PER_MINUTE} today / ${PER_MINUTE} in all`);
  });
});
