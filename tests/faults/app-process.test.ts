// The harness itself: a killed process is gone at once, and a new one on the
// same database and port serves again.
import { afterAll, describe, expect, it } from "vitest";
import { spawnApp, type AppProcess } from "../helpers/app-process";
import { freshTestEnv } from "../helpers/env";

freshTestEnv();
let app: AppProcess | undefined;
afterAll(async () => void (await app?.kill()));

describe("an app process", () => {
  it("dies at kill -9 without its shutdown code and comes back on the same port", async () => {
    app = await spawnApp();
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    expect(await app.kill()).toBe("SIGKILL");
    await expect(fetch(`${app.url}/healthz`)).rejects.toThrow();
    app = await spawnApp({ port: app.port });
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    expect(await app.stop()).toBe(0);
  });
});
