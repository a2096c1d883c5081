// Issue 8, item 18: irreversible actions ask first, without JavaScript too. The
// page offers a confirmation step (a disclosure with the real button inside);
// the server refuses a post without `confirm=yes` with a clear message and
// changes nothing, and does the thing once it is confirmed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { escapeHtml, renderedErrors } from "../helpers/bad-input";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import {
  addMember,
  buyDoorTicket,
  createUserRow,
  doorFestival,
  signedInAdmin,
} from "../helpers/fixtures";
import { prisma } from "~/utils/db.server";
import { translator } from "~/utils/i18n";

const t = translator("en");
const tru = translator("ru");

let app: TestApp;
let admin: Client;
let adminToken: string;

beforeAll(async () => {
  app = await startTestApp();
  ({ browser: admin, token: adminToken } = await signedInAdmin(app.url, "Admin"));
});
afterAll(() => app.close());

function expectRefused(res: { status: number; text: string }, ruText = false) {
  expect(res.status).toBe(400);
  expect(renderedErrors(res.text)).toContain(escapeHtml((ruText ? tru : t)("confirm.required")));
}

describe("item 18: irreversible actions need a confirmation", () => {
  it("cancelling a festival", async () => {
    const f = await doorFestival(new Client(app.url), adminToken);
    const page = await admin.get(`/admin/festivals/${f.id}?index`);
    // The button that cancels sits inside a confirmation step that says what happens.
    expect(page.text).toContain(escapeHtml(t("festivalAdmin.cancelWarning")));
    expect(page.text).toMatch(/<details[^>]*class="confirm"/);

    expectRefused(await admin.postForm(`/admin/festivals/${f.id}?index`, { intent: "cancel" }));
    expectRefused(
      await admin.postForm(
        `/admin/festivals/${f.id}?index`,
        { intent: "cancel", confirm: "no" },
        { "Accept-Language": "ru" },
      ),
      true,
    );
    expect((await prisma.festival.findUniqueOrThrow({ where: { id: f.id } })).status).toBe(
      "published",
    );
    const done = await admin.postForm(`/admin/festivals/${f.id}?index`, {
      intent: "cancel",
      confirm: "yes",
    });
    expect(done.status).toBe(200);
    expect((await prisma.festival.findUniqueOrThrow({ where: { id: f.id } })).status).toBe(
      "cancelled",
    );
  });

  it("publishing needs no confirmation (it can be undone)", async () => {
    const f = await doorFestival(new Client(app.url), adminToken);
    await admin.postForm(`/admin/festivals/${f.id}?index`, { intent: "unpublish" });
    expect((await prisma.festival.findUniqueOrThrow({ where: { id: f.id } })).status).toBe("draft");
  });

  it("cancelling (or refunding) an order", async () => {
    const f = await doorFestival(new Client(app.url), adminToken);
    const ticket = await buyDoorTicket(new Client(app.url), f.id, f.typeId);
    const path = `/admin/festivals/${f.id}/orders/${ticket.orderId}`;
    const page = await admin.get(path);
    expect(page.text).toMatch(/<details[^>]*class="confirm"/);
    expectRefused(await admin.postForm(path, { intent: "cancel" }));
    const row = () => prisma.order.findUniqueOrThrow({ where: { id: ticket.orderId } });
    expect((await row()).status).toBe("confirmed");
    const done = await admin.postForm(path, { intent: "cancel", confirm: "yes" });
    expect(done.status).toBe(200);
    expect((await row()).status).toBe("cancelled");
  });

  it("revoking a door device", async () => {
    const f = await doorFestival(new Client(app.url), adminToken);
    const path = `/admin/festivals/${f.id}/door`;
    expect((await admin.postForm(path, { intent: "add-device", name: "Door 1" })).status).toBe(200);
    const device = await prisma.doorDevice.findFirstOrThrow({ where: { festivalId: f.id } });
    expect((await admin.get(path)).text).toMatch(/<details[^>]*class="confirm"/);
    expectRefused(await admin.postForm(path, { intent: "revoke-device", deviceId: device.id }));
    const row = () => prisma.doorDevice.findUniqueOrThrow({ where: { id: device.id } });
    expect((await row()).revokedAt).toBeNull();
    const done = await admin.postForm(path, {
      intent: "revoke-device",
      deviceId: device.id,
      confirm: "yes",
    });
    expect(done.status).toBe(200);
    expect((await row()).revokedAt).not.toBeNull();
  });

  it("removing a team member", async () => {
    const f = await doorFestival(new Client(app.url), adminToken);
    const member = await createUserRow({ name: "Door person" });
    await addMember(f.id, member.id, "door");
    const path = `/admin/festivals/${f.id}/team`;
    expect((await admin.get(path)).text).toMatch(/<details[^>]*class="confirm"/);
    expectRefused(await admin.postForm(path, { intent: "remove", userId: member.id }));
    const count = () =>
      prisma.festivalMember.count({ where: { festivalId: f.id, userId: member.id } });
    expect(await count()).toBe(1);
    const done = await admin.postForm(path, {
      intent: "remove",
      userId: member.id,
      confirm: "yes",
    });
    expect(done.status).toBe(200);
    expect(await count()).toBe(0);
  });
});
