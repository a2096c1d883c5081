// Two app processes on one database spend one budget (issue 12, decision
// 0039): the API write limit, the sign-in limits and the second factor's
// attempts hold across them, under concurrency, and a kill -9 does not reset
// them. (The sign-in limit per address uses the same store and is left to
// tests/db/sign-in-limits.test.ts: its 60 password checks would double this
// file's time.) With counters in each process's memory, every case below would let
// twice as much through.
import { freshTestEnv } from "../helpers/env";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { disconnectDatabase } from "~/utils/db.server";
import { Client, type HttpResponse } from "../helpers/app";
import { spawnApp, type AppProcess } from "../helpers/app-process";
import { createUserRow, PASSWORD } from "../helpers/fixtures";
import { createMoneyUser, totpCode } from "../helpers/treasury";

freshTestEnv();

const WRITES_PER_MINUTE = 20;
const writeLimitEnv = { RATE_LIMIT_PER_MINUTE: String(WRITES_PER_MINUTE) };
let apps: [AppProcess, AppProcess];
let twoFactorUser: { email: string; secret: string } | undefined;

beforeAll(async () => {
  apps = await Promise.all([spawnApp({ env: writeLimitEnv }), spawnApp({ env: writeLimitEnv })]);
});
afterAll(async () => {
  await Promise.all((apps ?? []).map((app) => app.kill()));
  await disconnectDatabase();
});

/** The i-th request goes to one process, the next to the other. */
const appFor = (i: number) => apps[i % 2]!;

/** A client reaching the app from `address` (through the trusted loopback proxy). */
const from = (app: AppProcess, address: string) =>
  new Client(app.url, { "X-Forwarded-For": address });

/** Run `n` tasks, at most `width` at a time. */
async function inWaves<T>(n: number, width: number, task: (i: number) => Promise<T>) {
  const out: T[] = [];
  for (let start = 0; start < n; start += width)
    out.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(width, n - start) }, (_, k) => task(start + k)),
      )),
    );
  return out;
}

const statuses = (responses: HttpResponse[]) => responses.map((r) => r.status);
const count = (list: number[], status: number) => list.filter((s) => s === status).length;

function wrongSignIn(app: AppProcess, address: string, email: string) {
  return from(app, address).postForm("/login", { email, password: "not the password" });
}

describe("two processes, one budget", () => {
  it("API writes: of 3× the limit sent at once to both processes, exactly the limit gets through", async () => {
    const address = "203.0.113.10";
    const answers = await Promise.all(
      Array.from({ length: 3 * WRITES_PER_MINUTE }, (_, i) =>
        from(appFor(i), address).api("POST", "/api/v1/festivals", {}),
      ),
    );
    const got = statuses(answers);
    // Not limited: 401 (no token). Limited: 429.
    expect(count(got, 401)).toBe(WRITES_PER_MINUTE);
    expect(count(got, 429)).toBe(2 * WRITES_PER_MINUTE);
    for (const app of apps) {
      const refused = await from(app, address).api("POST", "/api/v1/festivals", {});
      expect(refused.status).toBe(429);
      const wait = Number(refused.headers.get("retry-after"));
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(60);
    }
    // Another address has its own budget on either process.
    expect((await from(apps[1], "203.0.113.11").api("POST", "/api/v1/festivals", {})).status).toBe(
      401,
    );
  });

  it("door writes: a device's budget is one over both processes", async () => {
    // The device's budget is spent before its token is checked, so a made-up one will do.
    const bearer = { Authorization: `Bearer made-up-device-token-${Date.now()}` };
    const answers = await Promise.all(
      Array.from({ length: 3 * WRITES_PER_MINUTE }, (_, i) =>
        from(appFor(i), "203.0.113.12").api(
          "POST",
          "/api/v1/door/scans",
          { token: "x", nonce: `nonce-${i}-abcdefgh` },
          undefined,
          bearer,
        ),
      ),
    );
    const got = statuses(answers);
    expect(count(got, 401)).toBe(WRITES_PER_MINUTE);
    expect(count(got, 429)).toBe(2 * WRITES_PER_MINUTE);
  });

  it("sign-in: a pair's wait and the account's ceiling hold across processes; a known address is spared", async () => {
    const owner = await createUserRow();
    const home = "198.51.100.30";
    // The owner signs in from home on one process…
    expect(
      (await from(apps[0], home).postForm("/login", { email: owner.email, password: PASSWORD }))
        .status,
    ).toBe(302);
    // …a guesser's six failures, three on each process, make the pair wait on both.
    const guesser = "203.0.113.31";
    for (let i = 0; i < 6; i++)
      expect((await wrongSignIn(appFor(i), guesser, owner.email)).status).toBe(401);
    const [onA, onB] = await Promise.all(apps.map((app) => wrongSignIn(app, guesser, owner.email)));
    expect([onA!.status, onB!.status]).toEqual([429, 429]);
    // A botnet: 44 more addresses, one failure each, spread over both processes
    // (50 failures for the account in all: its ceiling).
    const got = statuses(
      await inWaves(44, 6, (i) => wrongSignIn(appFor(i), `203.0.114.${i + 1}`, owner.email)),
    );
    expect(got).toEqual(Array(44).fill(401));
    // Now a new address is refused on both, even with the right password…
    for (const app of apps)
      expect(
        (
          await from(app, "203.0.113.99").postForm("/login", {
            email: owner.email,
            password: PASSWORD,
          })
        ).status,
      ).toBe(429);
    // …and the owner at home still gets in through the other process.
    expect(
      (await from(apps[1], home).postForm("/login", { email: owner.email, password: PASSWORD }))
        .status,
    ).toBe(302);
  });

  it("second factor: ten wrong codes over both processes, then both refuse even the right one", async () => {
    const user = await createMoneyUser();
    twoFactorUser = user;
    const address = "203.0.113.40";
    const attempt = (app: AppProcess, otp: string) =>
      from(app, address).api("POST", "/api/v1/tokens", {
        email: user.email,
        password: PASSWORD,
        otp,
      });
    // A code from an hour ahead: well-formed, never within the accepted steps.
    const wrong = totpCode(user.secret, new Date(Date.now() + 3_600_000));
    for (let i = 0; i < 10; i++) expect((await attempt(appFor(i), wrong)).status).toBe(401);
    const right = totpCode(user.secret);
    for (const app of apps) expect((await attempt(app, right)).status).toBe(429);
  });

  it("a kill -9 and a restart on the same port do not give a fresh budget", async () => {
    const address = "203.0.113.50";
    const spent = await Promise.all(
      Array.from({ length: WRITES_PER_MINUTE }, () =>
        from(apps[0], address).api("POST", "/api/v1/festivals", {}),
      ),
    );
    expect(count(statuses(spent), 401)).toBe(WRITES_PER_MINUTE);
    const killed = apps[0];
    expect(await killed.kill()).toBe("SIGKILL");
    apps[0] = await spawnApp({ port: killed.port, env: writeLimitEnv });
    expect((await from(apps[0], address).api("POST", "/api/v1/festivals", {})).status).toBe(429);
    // The second factor's count (a 15-minute window) survived too.
    const user = twoFactorUser!;
    const right = await from(apps[0], "203.0.113.51").api("POST", "/api/v1/tokens", {
      email: user.email,
      password: PASSWORD,
      otp: totpCode(user.secret),
    });
    expect(right.status).toBe(429);
  });
});
