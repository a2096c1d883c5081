// RATE_LIMIT_PER_MINUTE=0 turns the general API limit off (load tests) but never the sign-in limit.
import { afterAll, beforeAll, expect, it } from "vitest";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { createUserRow, PASSWORD } from "../helpers/fixtures";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
});
afterAll(() => app.close());

it("does not limit API writes when set to 0", async () => {
  const client = new Client(app.url);
  const statuses = await Promise.all(
    Array.from({ length: 80 }, () =>
      client.api("POST", "/api/v1/festivals", {}).then((r) => r.status),
    ),
  );
  expect(statuses.every((s) => s === 401)).toBe(true);
});

it("still limits sign-in attempts", async () => {
  const user = await createUserRow();
  const client = new Client(app.url);
  for (let i = 0; i < 10; i++)
    await client.api("POST", "/api/v1/tokens", {
      email: user.email,
      password: `bad password ${i}`,
    });
  const res = await client.api("POST", "/api/v1/tokens", { email: user.email, password: PASSWORD });
  expect(res.status).toBe(429);
});
