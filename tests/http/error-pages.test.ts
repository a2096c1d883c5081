// Issue 8, items 20 and 21: an error in an admin page keeps the admin frame
// (navigation, the festival's tabs) and says what happened in the reader's
// language; the door scanner without JavaScript says it needs JavaScript.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { escapeHtml } from "../helpers/bad-input";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { apiToken, createUserRow, doorFestival, signedInClient } from "../helpers/fixtures";
import { prisma } from "~/utils/db.server";
import { translator } from "~/utils/i18n";

const t = translator("en");
const tru = translator("ru");

let app: TestApp;
let admin: Client;
let festivalId: string;

beforeAll(async () => {
  app = await startTestApp();
  const user = await createUserRow({ role: "admin" });
  admin = await signedInClient(app.url, user.email);
  const token = await apiToken(app.url, user.email);
  festivalId = (await doorFestival(new Client(app.url), token)).id;
});
afterAll(() => app.close());

const adminNav = (lang: typeof t) => `aria-label="${escapeHtml(lang("admin.nav"))}"`;
const festivalTabs = (lang: typeof t) =>
  `aria-label="${escapeHtml(lang("festivalAdmin.sections"))}"`;

describe("item 20: route-level error boundaries", () => {
  it("a 404 in a festival's child page keeps the admin nav and the festival's tabs", async () => {
    const res = await admin.get(`/admin/festivals/${festivalId}/tickets/no-such-type`);
    expect(res.status).toBe(404);
    expect(res.text).toContain(adminNav(t));
    expect(res.text).toContain(festivalTabs(t));
    expect(res.text).toContain(escapeHtml(t("error.notFound")));
  });

  it("…in Russian for a Russian reader (Accept-Language or the language cookie)", async () => {
    const res = await admin.get(`/admin/festivals/${festivalId}/orders/no-such-order`, {
      "Accept-Language": "ru",
    });
    expect(res.status).toBe(404);
    expect(res.text).toContain(adminNav(tru));
    expect(res.text).toContain(festivalTabs(tru));
    expect(res.text).toContain(escapeHtml(tru("error.notFound")));
    const cookie = new Client(app.url);
    cookie.cookies = new Map(admin.cookies);
    await cookie.postForm("/set-language", { lang: "ru", redirectTo: "/" });
    const viaCookie = await cookie.get(`/admin/festivals/${festivalId}/tickets/no-such-type`);
    expect(viaCookie.text).toContain(escapeHtml(tru("error.notFound")));
  });

  it("an unknown festival keeps the admin nav", async () => {
    const res = await admin.get("/admin/festivals/no-such-festival/tickets");
    expect(res.status).toBe(404);
    expect(res.text).toContain(adminNav(t));
    expect(res.text).toContain(escapeHtml(t("error.notFound")));
  });

  it("a 409 (a cancelled festival's programme) keeps the frame and says why", async () => {
    await prisma.festival.update({
      where: { id: festivalId },
      data: { status: "cancelled", cancelledAt: new Date() },
    });
    const res = await admin.postForm(`/admin/festivals/${festivalId}/programme`, {
      intent: "add",
      title: "Late talk",
      kind: "talk",
      startsAt: "2030-01-26T16:00",
    });
    expect(res.status).toBe(409);
    expect(res.text).toContain(festivalTabs(t));
    expect(res.text).toContain(escapeHtml(t("festivalAdmin.cancelledReadOnly")));
  });

  it("a 400 (an unknown action) keeps the frame and explains", async () => {
    const res = await admin.postForm(`/admin/festivals/${festivalId}/door`, { intent: "nonsense" });
    expect(res.status).toBe(400);
    expect(res.text).toContain(festivalTabs(t));
    expect(res.text).toContain(escapeHtml(t("error.badRequest")));
  });
});

describe("item 21: the scanner without JavaScript", () => {
  it("says that it needs JavaScript, in the reader's language", async () => {
    const en = await new Client(app.url).get("/door");
    expect(en.status).toBe(200);
    const noscript = /<noscript>([\s\S]*?)<\/noscript>/.exec(en.text)?.[1] ?? "";
    expect(noscript).toContain(escapeHtml(t("door.needsJavaScript")));
    const ru = await new Client(app.url).get("/door", { "Accept-Language": "ru" });
    expect(ru.text).toContain(escapeHtml(tru("door.needsJavaScript")));
  });
});
