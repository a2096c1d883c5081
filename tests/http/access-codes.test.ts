// Issue 8, item 19: hidden ticket types are reachable from the UI. The public
// page has an access-code field (a GET form: the code lands in the URL, which
// is fine — it is a shared secret for a group, not personal data), and the
// organiser's ticket type page shows the shareable link with the code.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { escapeHtml, renderedErrors } from "../helpers/bad-input";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { doorFestival, signedInAdmin } from "../helpers/fixtures";
import { prisma } from "~/utils/db.server";
import { translator } from "~/utils/i18n";

const t = translator("en");
const CODE = "CREW-2030";

let app: TestApp;
let admin: Client;
let token: string;
let festival: { id: string; typeId: string; slug: string; hiddenId: string };

async function hiddenType(festivalId: string, name: string) {
  const res = await new Client(app.url).api(
    "POST",
    `/api/v1/festivals/${festivalId}/ticket-types`,
    {
      name: { en: name, ru: name },
      priceMinor: 0,
      capacity: 20,
      visibility: "hidden",
      accessCode: CODE,
    },
    token,
  );
  expect(res.status).toBe(201);
  return res.json<{ id: string }>().id;
}

beforeAll(async () => {
  app = await startTestApp();
  ({ browser: admin, token } = await signedInAdmin(app.url));
  const f = await doorFestival(new Client(app.url), token);
  festival = { ...f, hiddenId: await hiddenType(f.id, "Crew pass") };
});
afterAll(() => app.close());

describe("item 19: access codes", () => {
  it("the public page has a code field (a GET form) and hides the hidden type without it", async () => {
    const res = await new Client(app.url).get(`/festivals/${festival.slug}`);
    expect(res.status).toBe(200);
    expect(res.text).not.toContain("Crew pass");
    const form = /<form[^>]*method="get"[^>]*class="access-code"[\s\S]*?<\/form>/.exec(
      res.text,
    )?.[0];
    expect(form, "a GET form for the access code").toBeDefined();
    expect(form).toMatch(/<input[^>]*name="code"/);
    expect(form).toContain(escapeHtml(t("shop.accessCodeLabel")));
  });

  it("the code from the field shows the hidden type, and the order through it works", async () => {
    const buyer = new Client(app.url);
    const res = await buyer.get(`/festivals/${festival.slug}?code=${CODE}`);
    expect(res.text).toContain("Crew pass");
    expect(res.text).toContain(escapeHtml(t("shop.codeAccepted")));
    const order = await buyer.postForm(`/festivals/${festival.slug}?code=${CODE}`, {
      accessCode: CODE,
      [`qty.${festival.hiddenId}`]: "1",
      email: "crew@example.test",
      paymentMethod: "door",
    });
    expect(order.status, renderedErrors(order.text).join(" | ")).toBe(302);
    expect(order.location).toMatch(/^\/orders\//);
  });

  it("a wrong code says so, and unlocks nothing", async () => {
    const res = await new Client(app.url).get(`/festivals/${festival.slug}?code=WRONG-CODE`);
    expect(res.text).not.toContain("Crew pass");
    expect(renderedErrors(res.text)).toContain(escapeHtml(t("shop.codeUnknown")));
  });

  it("a festival that sells only hidden types still offers the code field", async () => {
    const f = await doorFestival(new Client(app.url), token);
    await prisma.ticketType.update({
      where: { id: f.typeId },
      data: { visibility: "hidden", accessCode: CODE },
    });
    const res = await new Client(app.url).get(`/festivals/${f.slug}`);
    expect(res.text).toMatch(/<input[^>]*name="code"/);
  });

  it("organisers see the shareable link with the code on the ticket type page", async () => {
    const res = await admin.get(`/admin/festivals/${festival.id}/tickets/${festival.hiddenId}`);
    expect(res.status).toBe(200);
    const link = `${app.url}/festivals/${festival.slug}?code=${CODE}`;
    expect(res.text).toMatch(
      new RegExp(
        `<input[^>]*readOnly=""[^>]*value="${link.replace(/[.?]/g, "\\$&")}"|<input[^>]*value="${link.replace(/[.?]/g, "\\$&")}"[^>]*readOnly`,
        "i",
      ),
    );
    expect(res.text).toContain(escapeHtml(t("tickets.shareLink")));
    // …and the list says where to find it.
    const list = await admin.get(`/admin/festivals/${festival.id}/tickets`);
    expect(list.text).toContain(escapeHtml(`/festivals/${festival.slug}?code=${CODE}`));
  });
});
