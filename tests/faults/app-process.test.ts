// The harness itself: a killed process is gone at once, and a new one on the
// same database and port serves again. And the process runs as `npm start`
// runs it (its V8 heap flags, MALLOC_ARENA_MAX): with those flags the email
// render thread once refused to start, so no email was ever sent in production.
import { afterAll, describe, expect, it } from "vitest";
import { Client } from "../helpers/app";
import { spawnApp, type AppProcess } from "../helpers/app-process";
import { freshTestEnv } from "../helpers/env";
import { apiToken, createUserRow, doorFestival } from "../helpers/fixtures";
import { recipients, startSmtpServer, type Mailbox } from "../helpers/smtp";
import { startNodeFlags } from "../../scripts/lib.js";

freshTestEnv();
let app: AppProcess | undefined;
let mail: Mailbox | undefined;
afterAll(async () => {
  await app?.kill();
  await mail?.close();
});

describe("an app process", () => {
  it("runs with npm start's Node flags, and sends a buyer's confirmation email with them", async () => {
    expect(startNodeFlags()).toContain("--max-old-space-size=160");
    mail = await startSmtpServer();
    app = await spawnApp({ env: { SMTP_URL: mail.url } });
    const client = new Client(app.url);
    const admin = await createUserRow({ role: "admin" });
    const festival = await doorFestival(client, await apiToken(app.url, admin.email));
    const res = await client.api("POST", `/api/v1/festivals/${festival.id}/orders`, {
      items: [{ ticketTypeId: festival.typeId, quantity: 1 }],
      email: "flags@example.test",
      paymentMethod: "door",
    });
    expect(res.status, res.text).toBe(201);
    const sent = await mail.waitFor((m) => recipients(m).includes("flags@example.test"), 20_000);
    expect(sent.subject).toBeTruthy();
    expect(app.output()).not.toContain("invalid execArgv");
    expect(await app.stop()).toBe(0);
  });

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
