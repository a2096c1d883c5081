// Door devices spend their own write budget (RATE_LIMIT_PER_MINUTE, here 20),
// not their address's: all the doors of a venue share its Wi-Fi's address, and
// a refused scan would push every phone into offline mode at the busiest moment.
import { afterAll, beforeAll, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { apiToken, buyDoorTicket, createUserRow, festivalBody } from "../helpers/fixtures";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "20" });
});
afterAll(() => app.close());

it("limits each door device on its own, and door scans do not use up the address's budget", async () => {
  const admin = await createUserRow({ role: "admin" });
  const token = await apiToken(app.url, admin.email); // sign-in: not an API write
  const client = new Client(app.url);
  // 5 writes from this address: festival, publish, ticket type, two devices (+1 order below).
  const festival = (await client.api("POST", "/api/v1/festivals", festivalBody(), token)).json<{
    id: string;
  }>();
  await client.api("POST", `/api/v1/festivals/${festival.id}/publish`, undefined, token);
  const type = (
    await client.api(
      "POST",
      `/api/v1/festivals/${festival.id}/ticket-types`,
      { name: "Entry", priceMinor: 1000, capacity: 100 },
      token,
    )
  ).json<{ id: string }>();
  const devices = [];
  for (const name of ["Door A", "Door B"]) {
    const res = await client.api(
      "POST",
      `/api/v1/festivals/${festival.id}/door-devices`,
      { name },
      token,
    );
    expect(res.status, res.text).toBe(201);
    devices.push(res.json<{ token: string }>());
  }
  const ticket = await buyDoorTicket(client, festival.id, type.id);
  const [a, b] = devices as [{ token: string }, { token: string }];
  const scan = (device: { token: string }, i: number) =>
    client.api(
      "POST",
      "/api/v1/door/scans",
      { token: ticket.qrToken, nonce: `rate-limit-${device.token.slice(0, 6)}-${i}` },
      device.token,
    );

  // Door A: 20 scans pass (more than the 14 writes left to the address), the 21st is refused.
  const statusesA: number[] = [];
  for (let i = 0; i < 21; i++) statusesA.push((await scan(a, i)).status);
  expect(statusesA.slice(0, 20)).toEqual(Array(20).fill(200));
  expect(statusesA[20]).toBe(429);
  const checkInsA = await prisma.checkIn.count();
  expect(checkInsA).toBe(20);
  // Door B, same address, has its own budget.
  expect((await scan(b, 0)).status).toBe(200);
  // And the organiser at the same address can still write.
  expect((await client.api("POST", "/api/v1/festivals", festivalBody(), token)).status).toBe(201);
  // Made-up device tokens do not get round the limit: door writes from one address
  // stop at 10 devices' worth (200 a minute here). 23 were spent above (A 21, B 1,
  // and this first made-up one); each made-up token is refused as unknown until then.
  const fake = (i: number) =>
    client.api(
      "POST",
      "/api/v1/door/scans",
      { token: ticket.qrToken, nonce: `rate-limit-fake-${i}` },
      `made-up-device-token-${String(i).padStart(4, "0")}`,
    );
  expect((await fake(0)).status).toBe(401);
  const fakes: number[] = [];
  for (let i = 1; i <= 178; i++) fakes.push((await fake(i)).status);
  expect(fakes.slice(0, 177)).toEqual(Array(177).fill(401));
  expect(fakes[177]).toBe(429);
  // Nothing was recorded for them, and the real devices' check-ins are all there.
  expect(await prisma.checkIn.count()).toBe(checkInsA + 1);
});
