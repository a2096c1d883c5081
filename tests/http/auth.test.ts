import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { recipients } from "../helpers/smtp";
import {
  apiToken,
  createUserRow,
  PASSWORD,
  signedInClient,
  uniqueEmail,
} from "../helpers/fixtures";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

function sessionCookieName(c: Client) {
  return [...c.cookies.keys()].find((k) => k.includes("session"));
}

describe("sign-in and sign-out", () => {
  it("signs in with the right password and sets an HttpOnly, SameSite=Lax session cookie", async () => {
    const user = await createUserRow({ role: "admin" });
    const res = await new Client(app.url).postForm("/login", {
      email: user.email.toUpperCase(),
      password: PASSWORD,
      redirectTo: "/admin",
    });
    expect(res.status).toBe(302);
    expect(res.location).toBe("/admin");
    const cookie = res.headers.getSetCookie().find((c) => c.includes("session"))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\//);
    // Plain-HTTP localhost: no Secure flag and no __Host- prefix (the browser would drop it).
    expect(cookie).not.toMatch(/^__Host-/);
  });

  it("refuses a wrong password with a message and no session", async () => {
    const user = await createUserRow();
    const client = new Client(app.url);
    const res = await client.postForm("/login", {
      email: user.email,
      password: "wrong password!!",
    });
    expect(res.status).toBe(401);
    expect(res.text).toContain("Wrong email or password.");
    expect(sessionCookieName(client)).toBeUndefined();
    expect((await client.get("/admin")).status).toBe(302);
  });

  it("answers an unknown account exactly like a wrong password", async () => {
    const res = await new Client(app.url).postForm("/login", {
      email: uniqueEmail("nobody"),
      password: "whatever-password",
    });
    expect(res.status).toBe(401);
    expect(res.text).toContain("Wrong email or password.");
  });

  it("never redirects off-site after sign-in", async () => {
    const user = await createUserRow();
    for (const target of ["https://evil.example/", "//evil.example/x", "/\\evil.example"]) {
      const res = await new Client(app.url).postForm("/login", {
        email: user.email,
        password: PASSWORD,
        redirectTo: target,
      });
      expect(res.location).toBe("/admin");
    }
  });

  it("signs out by deleting the server-side session (a stolen cookie stops working)", async () => {
    const user = await createUserRow();
    const client = await signedInClient(app.url, user.email);
    const stolen = new Client(app.url);
    stolen.cookies = new Map(client.cookies);
    expect((await stolen.get("/admin")).status).toBe(200);
    const out = await client.postForm("/logout", {});
    expect(out.status).toBe(302);
    expect((await stolen.get("/admin")).status).toBe(302);
    expect(await prisma.session.count({ where: { userId: user.id } })).toBe(0);
  });

  it("sends anonymous visitors of /admin to sign-in and back", async () => {
    const res = await new Client(app.url).get("/admin/users?x=1");
    expect(res.status).toBe(302);
    expect(res.location).toBe(`/login?redirectTo=${encodeURIComponent("/admin/users?x=1")}`);
  });

  it("rejects a tampered session cookie", async () => {
    const user = await createUserRow();
    const client = await signedInClient(app.url, user.email);
    const name = sessionCookieName(client)!;
    client.cookies.set(
      name,
      client.cookies.get(name)!.replace(/.$/, (c) => (c === "A" ? "B" : "A")),
    );
    expect((await client.get("/admin")).status).toBe(302);
  });
});

describe("invitations", () => {
  it("invites by email; the link sets a password and signs the person in", async () => {
    const admin = await createUserRow({ role: "admin", name: "Ada Admin" });
    const client = await signedInClient(app.url, admin.email);
    const email = uniqueEmail("invitee");
    const res = await client.postForm("/admin/users", {
      email,
      name: "New Treasurer",
      role: "treasurer",
    });
    expect(res.status).toBe(200);
    const mail = await app.mail.waitFor((m) => recipients(m).includes(email));
    expect(mail.text).toContain("Ada Admin");
    const link = /https?:\/\/\S+\/invite\/[A-Za-z0-9_-]+/.exec(mail.text ?? "")?.[0];
    expect(link).toBeDefined();
    const path = new URL(link!).pathname;
    const invitee = new Client(app.url);
    expect((await invitee.get(path)).status).toBe(200);
    const accept = await invitee.postForm(path, {
      name: "Tess Treasurer",
      password: "a long enough password",
    });
    expect(accept.status).toBe(302);
    expect((await invitee.get("/admin")).status).toBe(200);
    const user = await prisma.user.findUniqueOrThrow({ where: { email } });
    expect(user.role).toBe("treasurer");
    // Single use.
    expect((await new Client(app.url).get(path)).status).toBe(404);
    const audit = await prisma.auditEvent.findMany({
      where: { action: { in: ["user.create", "invitation.accept"] } },
    });
    expect(audit.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(audit)).not.toContain("a long enough password");
  });

  it("refuses unknown and expired invitation links", async () => {
    expect((await new Client(app.url).get("/invite/not-a-real-token-0123456789")).status).toBe(404);
  });
});

describe("own account", () => {
  it("changes the password only with the current one; other sessions and tokens end, this one stays", async () => {
    const user = await createUserRow();
    const here = await signedInClient(app.url, user.email);
    const elsewhere = await signedInClient(app.url, user.email);
    const token = await apiToken(app.url, user.email);
    const wrong = await here.postForm("/account", {
      intent: "password",
      currentPassword: "not my password",
      password: "my new password 42",
    });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain("The current password is wrong.");
    const ok = await here.postForm("/account", {
      intent: "password",
      currentPassword: PASSWORD,
      password: "my new password 42",
    });
    expect(ok.status).toBe(200);
    expect((await here.get("/account")).status).toBe(200);
    expect((await elsewhere.get("/account")).status).toBe(302);
    expect(
      (await new Client(app.url).api("GET", "/api/v1/festivals/x", undefined, token)).status,
    ).toBe(401);
    await signedInClient(app.url, user.email, "my new password 42");
  });

  it("stores the chosen language of a signed-in person for their emails", async () => {
    const user = await createUserRow();
    const client = await signedInClient(app.url, user.email);
    await client.postForm("/set-language", { lang: "ru", redirectTo: "/account" });
    expect((await prisma.user.findUniqueOrThrow({ where: { id: user.id } })).locale).toBe("ru");
    await new Client(app.url).postForm("/forgot-password", { email: user.email });
    const mail = await app.mail.waitFor((m) => recipients(m).includes(user.email));
    expect(mail.subject).toBe("Ссылка для сброса пароля");
  });
});
