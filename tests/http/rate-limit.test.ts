// API write limit per address, from RATE_LIMIT_PER_MINUTE (here 5).
import { afterAll, beforeAll, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { createUserRow, festivalBody } from "../helpers/fixtures";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "5" });
});
afterAll(() => app.close());

it("answers 429 with Retry-After past the per-minute limit, and the refused write is not made", async () => {
  const admin = await createUserRow({ role: "admin" });
  const client = new Client(app.url);
  const token = (
    await client.api("POST", "/api/v1/tokens", {
      email: admin.email,
      password: "correct horse battery staple",
    })
  ).json<{ token: string }>().token;
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++)
    statuses.push((await client.api("POST", "/api/v1/festivals", festivalBody(), token)).status);
  expect(statuses).toEqual([201, 201, 201, 201]);
  const before = await prisma.festival.count();
  const limited = await client.api("POST", "/api/v1/festivals", festivalBody(), token);
  expect(limited.status).toBe(429);
  expect(limited.json()).toMatchObject({ error: "rate_limited" });
  const retryAfter = Number(limited.headers.get("retry-after"));
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(await prisma.festival.count()).toBe(before);
  // Reads are not limited.
  expect((await client.get("/api/v1/festivals")).status).toBe(200);
});
