// A person's standing on a team: joining needs their consent (an invitation
// they accept), the answer to "add this email" reveals nothing about accounts,
// the festival's creator and admins keep their roles, and whoever loses their
// standing (removed, demoted, disabled, deleted, password reset) loses the door
// phones they set up at the phone's next request.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import {
  Client,
  requestPasswordResetLink,
  startTestApp,
  type HttpResponse,
  type TestApp,
} from "../helpers/app";
import {
  addMember,
  apiToken,
  createDoorDeviceViaApi,
  createUserRow,
  festivalBody,
  PASSWORD,
  signedInClient,
  uniqueEmail,
} from "../helpers/fixtures";
import { recipients } from "../helpers/smtp";

let app: TestApp;
let api: Client;
let admin: Awaited<ReturnType<typeof createUserRow>>;
let adminToken: string;

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  api = new Client(app.url);
  admin = await createUserRow({ role: "admin", name: "Ada Admin" });
  adminToken = await apiToken(app.url, admin.email);
});
afterAll(() => app.close());

/** A festival created by the admin, with an organiser who is not an admin. */
async function festivalWithOrganiser() {
  const res = await api.api("POST", "/api/v1/festivals", festivalBody(), adminToken);
  expect(res.status).toBe(201);
  const id = res.json<{ id: string }>().id;
  const organiser = await createUserRow({ name: "Olga Organiser" });
  await addMember(id, organiser.id, "organiser");
  return { id, organiser, organiserToken: await apiToken(app.url, organiser.email) };
}

async function inviteLink(email: string) {
  const mail = await app.mail.waitFor((m) => recipients(m).includes(email));
  const link = /https?:\/\/\S+\/invite\/[A-Za-z0-9_-]+/.exec(mail.text ?? "")?.[0];
  expect(link).toBeDefined();
  return new URL(link!).pathname;
}

/** The phone of a signed-in door-staff account, made with "Use this phone". */
async function phoneOf(email: string, festivalId: string) {
  const phone = await signedInClient(app.url, email);
  const res = await phone.postForm("/door/setup", { festivalId });
  expect(res.status).toBe(302);
  const token = /^\/door#device=([A-Za-z0-9_-]{40,})$/.exec(res.location ?? "")?.[1];
  expect(token).toBeDefined();
  return token!;
}

/** A device made by an organiser on the door page (through the API). */
function deviceBy(token: string, festivalId: string, name: string) {
  return createDoorDeviceViaApi(api, token, festivalId, name);
}

/** `POST …/members`: invite someone, or change a member's role. */
const postMember = (
  festivalId: string,
  body: { email: string; role: "organiser" | "door" },
  token: string,
) => api.api("POST", `/api/v1/festivals/${festivalId}/members`, body, token);

const manifest = (deviceToken: string) =>
  api.api("GET", "/api/v1/door/manifest", undefined, deviceToken);

/** What a revoked device is told: the answer a device of someone who lost their standing must get. */
let revokedAnswer: { status: number; body: unknown } | undefined;
async function expectRevokedAnswer(res: HttpResponse) {
  if (!revokedAnswer) {
    const { id } = await festivalWithOrganiser();
    const d = await deviceBy(adminToken, id, "Revoked on purpose");
    expect(
      (await api.api("DELETE", `/api/v1/door-devices/${d.id}`, undefined, adminToken)).status,
    ).toBe(204);
    const r = await manifest(d.token);
    revokedAnswer = { status: r.status, body: r.json() };
  }
  expect({ status: res.status, body: res.json() }).toEqual(revokedAnswer);
}

describe("adding someone to a team", () => {
  it("always invites: the same answer for an existing account, an admin and an unknown address; nobody joins before accepting", async () => {
    const { id, organiser, organiserToken } = await festivalWithOrganiser();
    const known = await createUserRow({ name: "Kim Known" });
    const otherAdmin = await createUserRow({ role: "admin" });
    const unknown = uniqueEmail("unknown");
    const answers = [];
    for (const email of [known.email, unknown, otherAdmin.email]) {
      const res = await postMember(id, { email, role: "door" }, organiserToken);
      answers.push({ status: res.status, body: res.json() });
    }
    expect(answers[0]).toEqual({ status: 202, body: { status: "invited" } });
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    // Every address gets an email (nothing tells the caller which ones have accounts).
    await inviteLink(known.email);
    await inviteLink(unknown);
    await inviteLink(otherAdmin.email);
    expect(
      await prisma.festivalMember.count({
        where: { festivalId: id, userId: { in: [known.id, otherAdmin.id] } },
      }),
    ).toBe(0);
    // The team page answers the same way, without JavaScript.
    const organiserPage = await signedInClient(app.url, organiser.email);
    const pageKnown = await organiserPage.postForm(`/admin/festivals/${id}/team`, {
      intent: "add",
      email: (await createUserRow()).email,
      role: "door",
    });
    const pageUnknown = await organiserPage.postForm(`/admin/festivals/${id}/team`, {
      intent: "add",
      email: uniqueEmail("page-unknown"),
      role: "door",
    });
    expect(pageKnown.status).toBe(pageUnknown.status);
    const notice = (r: HttpResponse) => /<p role="status"[^>]*>([^<]*)</.exec(r.text)?.[1];
    expect(notice(pageKnown)).toBeTruthy();
    expect(notice(pageKnown)).toBe(notice(pageUnknown));
  });

  it("an existing account accepts by signing in and confirming; the invitation never replaces its password", async () => {
    const { id, organiserToken } = await festivalWithOrganiser();
    const known = await createUserRow({ name: "Pat Phone" });
    await postMember(id, { email: known.email, role: "door" }, organiserToken);
    const path = await inviteLink(known.email);
    const before = (await prisma.user.findUniqueOrThrow({ where: { id: known.id } })).passwordHash;
    // Whoever holds the link cannot set the account's password with it.
    const stranger = new Client(app.url);
    const page = await stranger.get(path);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`/login?redirectTo=${encodeURIComponent(path)}`);
    expect(page.text).not.toContain('name="password"');
    const hijack = await stranger.postForm(path, {
      name: "Mallory",
      password: "a hijacking password",
    });
    expect(hijack.status).toBeGreaterThanOrEqual(400);
    expect((await prisma.user.findUniqueOrThrow({ where: { id: known.id } })).passwordHash).toBe(
      before,
    );
    expect(await prisma.festivalMember.count({ where: { festivalId: id, userId: known.id } })).toBe(
      0,
    );
    // Another signed-in account cannot accept it either.
    const other = await signedInClient(app.url, (await createUserRow()).email);
    expect((await other.postForm(path, { intent: "accept" })).status).toBe(403);
    // The person signs in and confirms.
    const person = await signedInClient(app.url, known.email);
    const confirm = await person.get(path);
    expect(confirm.text).toContain('value="accept"');
    const accepted = await person.postForm(path, { intent: "accept" });
    expect(accepted.status).toBe(302);
    expect(
      await prisma.festivalMember.findUniqueOrThrow({
        where: { festivalId_userId: { festivalId: id, userId: known.id } },
      }),
    ).toMatchObject({ role: "door" });
    expect((await prisma.user.findUniqueOrThrow({ where: { id: known.id } })).passwordHash).toBe(
      before,
    );
    await signedInClient(app.url, known.email, PASSWORD);
    // Single use.
    expect((await person.get(path)).status).toBe(404);
  });

  it("an organiser cannot change the role of the festival's creator or of an admin, nor remove them", async () => {
    const { id, organiser, organiserToken } = await festivalWithOrganiser();
    // The admin created the festival: its creator, on the team as organiser.
    const asDoor = await postMember(id, { email: admin.email, role: "door" }, organiserToken);
    expect(asDoor.status).toBe(403);
    expect(asDoor.json()).toMatchObject({ error: "protected_member", message: /creator|admin/i });
    const page = await signedInClient(app.url, organiser.email);
    const removed = await page.postForm(`/admin/festivals/${id}/team`, {
      intent: "remove",
      userId: admin.id,
      confirm: "yes",
    });
    expect(removed.status).toBe(403);
    // Another admin on the team is protected the same way.
    const otherAdmin = await createUserRow({ role: "admin" });
    await addMember(id, otherAdmin.id, "organiser");
    const demoted = await postMember(id, { email: otherAdmin.email, role: "door" }, organiserToken);
    expect(demoted.status).toBe(403);
    const roles = await prisma.festivalMember.findMany({
      where: { festivalId: id, userId: { in: [admin.id, otherAdmin.id] } },
      select: { role: true },
    });
    expect(roles).toEqual([{ role: "organiser" }, { role: "organiser" }]);
  });
});

describe("losing one's standing ends one's door phones", () => {
  it("removing a door member revokes the phones they set up, and the device list says who set each up", async () => {
    const { id, organiser } = await festivalWithOrganiser();
    const leaving = await createUserRow({ name: "Lena Leaving" });
    const staying = await createUserRow({ name: "Stas Staying" });
    await addMember(id, leaving.id, "door");
    await addMember(id, staying.id, "door");
    const leavingPhone = await phoneOf(leaving.email, id);
    const stayingPhone = await phoneOf(staying.email, id);
    expect((await manifest(leavingPhone)).status).toBe(200);

    const list = await api.api(
      "GET",
      `/api/v1/festivals/${id}/door-devices`,
      undefined,
      adminToken,
    );
    const devices = list.json<{ devices: { createdBy: { name: string | null } | null }[] }>()
      .devices;
    expect(devices.map((d) => d.createdBy?.name).sort()).toEqual(["Lena Leaving", "Stas Staying"]);
    const doorPage = await signedInClient(app.url, organiser.email);
    expect((await doorPage.get(`/admin/festivals/${id}/door`)).text).toContain("Lena Leaving");

    const removed = await doorPage.postForm(`/admin/festivals/${id}/team`, {
      intent: "remove",
      userId: leaving.id,
      confirm: "yes",
    });
    expect(removed.status).toBe(200);
    await expectRevokedAnswer(await manifest(leavingPhone));
    expect((await manifest(stayingPhone)).status).toBe(200);
    const audit = await prisma.auditEvent.findMany({
      where: { festivalId: id, action: "door.device.revoke" },
    });
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]!.details)).toMatchObject({ reason: "member.remove" });
  });

  it("demoting an organiser to door staff revokes the devices they made", async () => {
    const { id, organiser, organiserToken } = await festivalWithOrganiser();
    const made = await deviceBy(organiserToken, id, "Front door");
    expect((await manifest(made.token)).status).toBe(200);
    const res = await postMember(id, { email: organiser.email, role: "door" }, adminToken);
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ status: "updated", role: "door" });
    await expectRevokedAnswer(await manifest(made.token));
  });

  it("disabling or deleting an account in admin.users revokes its phones", async () => {
    const { id } = await festivalWithOrganiser();
    const disabled = await createUserRow({ name: "Dina Disabled" });
    const deleted = await createUserRow({ name: "Del Deleted" });
    await addMember(id, disabled.id, "door");
    await addMember(id, deleted.id, "door");
    const disabledPhone = await phoneOf(disabled.email, id);
    const deletedPhone = await phoneOf(deleted.email, id);
    const users = await signedInClient(app.url, admin.email);
    expect(
      (await users.postForm("/admin/users", { intent: "disable", userId: disabled.id })).status,
    ).toBe(200);
    await expectRevokedAnswer(await manifest(disabledPhone));
    expect((await manifest(deletedPhone)).status).toBe(200);
    // Deleting asks first (a second form, without JavaScript too).
    const asked = await users.postForm("/admin/users", { intent: "delete", userId: deleted.id });
    expect(asked.status).toBe(200);
    expect(asked.text).toContain('name="confirm" value="yes"');
    expect(await prisma.user.count({ where: { id: deleted.id } })).toBe(1);
    expect((await manifest(deletedPhone)).status).toBe(200);
    expect(
      (
        await users.postForm("/admin/users", {
          intent: "delete",
          userId: deleted.id,
          confirm: "yes",
        })
      ).status,
    ).toBe(200);
    await expectRevokedAnswer(await manifest(deletedPhone));
    expect(await prisma.user.count({ where: { id: deleted.id } })).toBe(0);
  });

  it("a password reset revokes the person's phones", async () => {
    const { id } = await festivalWithOrganiser();
    const person = await createUserRow({ name: "Rita Reset" });
    await addMember(id, person.id, "door");
    const phone = await phoneOf(person.email, id);
    const { path } = await requestPasswordResetLink(app, person.email);
    const reset = await new Client(app.url).postForm(path, { password: "a brand new password" });
    expect(reset.status).toBe(302);
    await expectRevokedAnswer(await manifest(phone));
  });
});
