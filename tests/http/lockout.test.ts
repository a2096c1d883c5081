// Brute-force protection that a stranger cannot turn against the owner
// (issue 8, item 6): an attacker's address is slowed down, the owner signs in
// and resets the password from another address while the attack goes on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { createUserRow, PASSWORD, signedInClient } from "../helpers/fixtures";
import { recipients } from "../helpers/smtp";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const ATTACKER = "203.0.113.66";
const OWNER = "198.51.100.7";

/** A client whose requests reach the server from `address` (through the trusted loopback proxy). */
function from(address: string) {
  return new Client(app.url, { "X-Forwarded-For": address });
}

function wrongSignIn(address: string, email: string, i: number) {
  return from(address).postForm("/login", { email, password: `wrong-${i}-password` });
}

describe("sign-in under attack", () => {
  it("slows the attacking address down (429, growing Retry-After), even for the right password; the owner signs in from another address", async () => {
    const owner = await createUserRow();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++)
      statuses.push((await wrongSignIn(ATTACKER, owner.email, i)).status);
    // A few honest typos are free, then the address waits.
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.at(-1)).toBe(429);
    const refused = await from(ATTACKER).postForm("/login", {
      email: owner.email,
      password: PASSWORD,
    });
    expect(refused.status).toBe(429);
    const firstWait = Number(refused.headers.get("retry-after"));
    expect(firstWait).toBeGreaterThan(0);
    expect(firstWait).toBeLessThan(10); // a delay that grows, not a 15-minute lock
    // After the wait one more guess is allowed, and the next wait is longer.
    await new Promise((r) => setTimeout(r, firstWait * 1000 + 50));
    expect((await wrongSignIn(ATTACKER, owner.email, 99)).status).toBe(401);
    const again = await wrongSignIn(ATTACKER, owner.email, 100);
    expect(again.status).toBe(429);
    expect(Number(again.headers.get("retry-after"))).toBeGreaterThan(firstWait);

    // The owner, elsewhere, is not locked out: the page and the API both let them in.
    const page = await from(OWNER).postForm("/login", {
      email: owner.email,
      password: PASSWORD,
      redirectTo: "/admin",
    });
    expect(page.status).toBe(302);
    expect(page.location).toBe("/admin");
    const api = await from(OWNER).api("POST", "/api/v1/tokens", {
      email: owner.email,
      password: PASSWORD,
    });
    expect(api.status).toBe(201);
  });

  it("refuses the attacker through the API the same way (JSON 429 with Retry-After)", async () => {
    const owner = await createUserRow();
    let last = 0;
    for (let i = 0; i < 12 && last !== 429; i++)
      last = (
        await from("203.0.113.67").api("POST", "/api/v1/tokens", {
          email: owner.email,
          password: `wrong-${i}-password`,
        })
      ).status;
    const res = await from("203.0.113.67").api("POST", "/api/v1/tokens", {
      email: owner.email,
      password: PASSWORD,
    });
    expect(res.status).toBe(429);
    expect(res.json()).toMatchObject({ error: "rate_limited" });
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

describe("password reset under attack", () => {
  it("the owner resets the password from another address while a stranger floods sign-in and reset for the account", async () => {
    const owner = await createUserRow();
    const attacker = "203.0.113.68";
    // The stranger guesses passwords and asks for reset emails again and again.
    for (let i = 0; i < 12; i++) await wrongSignIn(attacker, owner.email, i);
    const floods: number[] = [];
    for (let i = 0; i < 10; i++)
      floods.push(
        (await from(attacker).postForm("/forgot-password", { email: owner.email })).status,
      );
    expect(floods.at(-1)).toBe(429);

    // The owner asks too, from their own address: the same answer as always.
    const asked = await from(OWNER).postForm("/forgot-password", { email: owner.email });
    expect(asked.status).toBe(302);
    // Whatever the stranger triggered landed in the owner's mailbox; the newest link works.
    await new Promise((r) => setTimeout(r, 500));
    const mails = await app.mail.waitFor((m) => recipients(m).includes(owner.email));
    expect(mails).toBeDefined();
    const newest = app.mail.messages.filter((m) => recipients(m).includes(owner.email)).at(-1)!;
    const link = /https?:\/\/\S+\/reset-password\/[A-Za-z0-9_-]+/.exec(newest.text ?? "")?.[0];
    expect(link).toBeDefined();
    const path = new URL(link!).pathname;
    // The stranger keeps guessing while the owner completes the reset.
    await wrongSignIn(attacker, owner.email, 50);
    const owners = from(OWNER);
    expect((await owners.get(path)).status).toBe(200);
    const done = await owners.postForm(path, { password: "the owner's new password" });
    expect(done.status).toBe(302);
    expect(done.location).toBe("/login?reset=1");
    const signedIn = await from(OWNER).postForm("/login", {
      email: owner.email,
      password: "the owner's new password",
      redirectTo: "/admin",
    });
    expect(signedIn.status).toBe(302);
    // And the old password is gone for everyone.
    await expect(signedInClient(app.url, owner.email)).rejects.toThrow();
  });
});
