import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { recipients } from "../helpers/smtp";
import { totpCode } from "../helpers/treasury";
import {
  addMember,
  apiToken,
  createUserRow,
  festivalBody,
  PASSWORD,
  uniqueEmail,
} from "../helpers/fixtures";

let app: TestApp;
let client: Client;
let adminToken: string;
let admin: Awaited<ReturnType<typeof createUserRow>>;

beforeAll(async () => {
  app = await startTestApp();
  client = new Client(app.url);
  admin = await createUserRow({ role: "admin", name: "Ada" });
  adminToken = await apiToken(app.url, admin.email);
});
afterAll(() => app.close());

describe("POST /api/v1/tokens", () => {
  it("issues a bearer token that is stored only as a hash", async () => {
    const res = await client.api("POST", "/api/v1/tokens", {
      email: admin.email,
      password: PASSWORD,
    });
    expect(res.status).toBe(201);
    const { token } = res.json<{ token: string }>();
    expect(token.length).toBeGreaterThanOrEqual(40);
    const rows = await prisma.apiToken.findMany({ where: { userId: admin.id } });
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it("401 for a wrong password, JSON, no token row", async () => {
    const before = await prisma.apiToken.count();
    const res = await client.api("POST", "/api/v1/tokens", {
      email: admin.email,
      password: "nope nope nope",
    });
    expect(res.status).toBe(401);
    expect(res.json()).toMatchObject({ error: "invalid_credentials" });
    expect(await prisma.apiToken.count()).toBe(before);
  });

  it("can be revoked with DELETE, after which it is refused", async () => {
    const token = await apiToken(app.url, admin.email);
    expect((await client.api("POST", "/api/v1/festivals", festivalBody(), token)).status).toBe(201);
    expect((await client.api("DELETE", "/api/v1/tokens", undefined, token)).status).toBe(204);
    const res = await client.api("POST", "/api/v1/festivals", festivalBody(), token);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe("Bearer");
  });

  it("refuses expired tokens", async () => {
    const token = await apiToken(app.url, admin.email);
    await prisma.apiToken.updateMany({
      where: { revokedAt: null, userId: admin.id },
      data: { expiresAt: new Date(Date.now() - 1) },
    });
    expect((await client.api("GET", "/api/v1/festivals/whatever", undefined, token)).status).toBe(
      401,
    );
    adminToken = await apiToken(app.url, admin.email);
  });
});

describe("festivals API", () => {
  it("creates, reads, patches and publishes a festival; it then appears publicly", async () => {
    const created = await client.api(
      "POST",
      "/api/v1/festivals",
      festivalBody({ name: "Фестиваль солидарности", city: "Rīga" }),
      adminToken,
    );
    expect(created.status).toBe(201);
    const { id, slug } = created.json<{ id: string; slug: string }>();
    expect(slug).toMatch(/^festival-solidarnosti-riga-2030/);

    const draft = await client.api("GET", `/api/v1/festivals/${id}`, undefined, adminToken);
    expect(draft.json()).toMatchObject({
      status: "draft",
      startsAt: "2030-01-26T13:00:00.000Z",
      timezone: "Europe/Riga",
      paymentMethods: ["door"],
    });
    expect((await client.get(`/festivals/${slug}`)).status).toBe(404);

    const patched = await client.api(
      "PATCH",
      `/api/v1/festivals/${id}`,
      { venueName: "New hall", endsAt: "2030-01-27T02:00" },
      adminToken,
    );
    expect(patched.status).toBe(200);
    // A local time without offset is read in the festival's zone (Riga, UTC+2 in January).
    expect(patched.json()).toMatchObject({
      venueName: "New hall",
      endsAt: "2030-01-27T00:00:00.000Z",
    });

    const published = await client.api(
      "POST",
      `/api/v1/festivals/${id}/publish`,
      undefined,
      adminToken,
    );
    expect(published.status).toBe(200);
    expect(published.json()).toMatchObject({ status: "published" });
    expect(
      (await client.api("POST", `/api/v1/festivals/${id}/publish`, undefined, adminToken)).status,
    ).toBe(200);

    const list = await client.get("/api/v1/festivals");
    expect(list.json<{ festivals: { id: string }[] }>().festivals.map((f) => f.id)).toContain(id);
    expect((await client.get(`/festivals/${slug}`)).status).toBe(200);

    const audit = await prisma.auditEvent.findMany({
      where: { festivalId: id },
      orderBy: { id: "asc" },
    });
    expect(audit.map((a) => a.action)).toEqual([
      "festival.create",
      "festival.update",
      "festival.publish",
    ]);
    expect(audit.every((a) => a.actorUserId === admin.id)).toBe(true);
  });

  it("checks a PATCH against the whole festival (end before the stored start is refused)", async () => {
    const { id } = (
      await client.api("POST", "/api/v1/festivals", festivalBody(), adminToken)
    ).json<{ id: string }>();
    const res = await client.api(
      "PATCH",
      `/api/v1/festivals/${id}`,
      { endsAt: "2029-01-01T00:00:00Z" },
      adminToken,
    );
    expect(res.status).toBe(422);
    expect(res.json()).toMatchObject({
      error: "validation_failed",
      fields: { endsAt: "The end must be after the start." },
    });
  });

  it("gives slugs that stay unique", async () => {
    const a = (
      await client.api("POST", "/api/v1/festivals", festivalBody({ name: "Same name" }), adminToken)
    ).json<{ slug: string }>();
    const b = (
      await client.api("POST", "/api/v1/festivals", festivalBody({ name: "Same name" }), adminToken)
    ).json<{ slug: string }>();
    expect(a.slug).not.toBe(b.slug);
  });

  it("answers 405 with Allow for unsupported methods", async () => {
    const res = await client.api("PUT", "/api/v1/festivals", festivalBody(), adminToken);
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toContain("POST");
  });
});

describe("users and members API", () => {
  it("creates a user with a password (ready to sign in) and one without (invited by email)", async () => {
    const withPassword = uniqueEmail("treasurer");
    const res = await client.api(
      "POST",
      "/api/v1/users",
      { email: withPassword, role: "treasurer", password: "treasurer password 1" },
      adminToken,
    );
    expect(res.status).toBe(201);
    // A money role comes with its second factor enrolled (decision 0035): signing in takes a code.
    const { totpSecret } = res.json<{ totpSecret: string }>();
    const token = await client.api("POST", "/api/v1/tokens", {
      email: withPassword,
      password: "treasurer password 1",
      otp: totpCode(totpSecret),
    });
    expect(token.status).toBe(201);

    const invited = uniqueEmail("member");
    const res2 = await client.api(
      "POST",
      "/api/v1/users",
      { email: invited, role: "member", name: "Mo" },
      adminToken,
    );
    expect(res2.status).toBe(201);
    const mail = await app.mail.waitFor((m) => recipients(m).includes(invited));
    expect(mail.text).toMatch(/\/invite\/[A-Za-z0-9_-]{20,}/);

    const dup = await client.api(
      "POST",
      "/api/v1/users",
      { email: invited.toUpperCase(), role: "member" },
      adminToken,
    );
    expect(dup.status).toBe(409);
    expect(dup.json()).toMatchObject({ error: "email_taken" });
  });

  it("invites an existing account and an unknown email alike, and changes a member's role at once", async () => {
    const { id } = (
      await client.api("POST", "/api/v1/festivals", festivalBody(), adminToken)
    ).json<{ id: string }>();
    const door = await createUserRow();
    const invitedAccount = await client.api(
      "POST",
      `/api/v1/festivals/${id}/members`,
      { email: door.email, role: "door" },
      adminToken,
    );
    expect(invitedAccount.status).toBe(202);
    expect(invitedAccount.json()).toEqual({ status: "invited" });
    await addMember(id, door.id, "door");
    const newcomer = uniqueEmail("organiser");
    const invited = await client.api(
      "POST",
      `/api/v1/festivals/${id}/members`,
      { email: newcomer, role: "organiser" },
      adminToken,
      { "Accept-Language": "ru" },
    );
    expect(invited.status).toBe(202);
    expect(invited.json()).toEqual({ status: "invited" });
    const mail = await app.mail.waitFor((m) => recipients(m).includes(newcomer));
    expect(mail.subject).toContain("Приглашение");
    const promoted = await client.api(
      "POST",
      `/api/v1/festivals/${id}/members`,
      { email: door.email, role: "organiser" },
      adminToken,
    );
    expect(promoted.status).toBe(200);
    expect(promoted.json()).toEqual({ status: "updated", userId: door.id, role: "organiser" });
    const members = await client.api(
      "GET",
      `/api/v1/festivals/${id}/members`,
      undefined,
      adminToken,
    );
    expect(members.json<{ members: { email: string; role: string }[] }>().members).toEqual(
      expect.arrayContaining([expect.objectContaining({ email: door.email, role: "organiser" })]),
    );
  });
});

describe("festival state changes", () => {
  it("unpublishes, republishes and cancels; a cancelled festival is frozen but stays visible with a notice", async () => {
    const { id, slug } = (
      await client.api("POST", "/api/v1/festivals", festivalBody(), adminToken)
    ).json<{ id: string; slug: string }>();
    const post = (what: string) =>
      client.api("POST", `/api/v1/festivals/${id}/${what}`, undefined, adminToken);
    expect((await post("unpublish")).json()).toMatchObject({ status: "draft" });
    expect((await post("publish")).json()).toMatchObject({ status: "published" });
    expect((await post("unpublish")).json()).toMatchObject({ status: "draft" });
    expect((await client.get(`/festivals/${slug}`)).status).toBe(404);
    expect((await post("publish")).status).toBe(200);
    expect((await post("cancel")).json()).toMatchObject({ status: "cancelled" });
    const page = await client.get(`/festivals/${slug}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("This festival has been cancelled.");
    for (const what of ["publish", "unpublish"]) {
      const res = await post(what);
      expect(res.status).toBe(409);
      expect(res.json()).toMatchObject({ error: "invalid_state" });
    }
    expect(
      (await client.api("PATCH", `/api/v1/festivals/${id}`, { name: "Renamed" }, adminToken))
        .status,
    ).toBe(409);
    expect((await post("archive")).status).toBe(404);
    const actions = (
      await prisma.auditEvent.findMany({ where: { festivalId: id }, orderBy: { id: "asc" } })
    ).map((a) => a.action);
    // Unpublishing a draft is a no-op and not audited.
    expect(actions).toEqual([
      "festival.create",
      "festival.publish",
      "festival.unpublish",
      "festival.publish",
      "festival.cancel",
    ]);
  });
});
