// Absolute links (in emails, Stripe's return addresses, calendar files, door set-up
// links) come only from configuration: PUBLIC_URL, else the address the server
// listens on — never from the request's Host or X-Forwarded-Host (issue 8, item 1).
import type { ParsedMail } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { Client, sendRaw, startTestApp, type TestApp } from "../helpers/app";
import {
  apiToken,
  createUserRow,
  doorFestival,
  signedInClient,
  uniqueEmail,
} from "../helpers/fixtures";
import { recipients } from "../helpers/smtp";
import { startStripeFake, type StripeFake, stripeTestEnv } from "../helpers/stripe-fake";

const EVIL = "evil.example";

let fake: StripeFake;
let app: TestApp;
let token: string;
let festival: { id: string; typeId: string };

beforeAll(async () => {
  fake = await startStripeFake();
  app = await startTestApp({
    ...stripeTestEnv(fake, "whsec_test_email_links_0123456789abcdef"),
    RATE_LIMIT_PER_MINUTE: "0",
  });
  const admin = await createUserRow({ role: "admin", name: "Ada Admin" });
  token = await apiToken(app.url, admin.email);
  festival = await doorFestival(new Client(app.url), token, {
    paymentMethods: ["stripe", "door"],
  });
});
afterAll(async () => {
  await app?.close();
  await fake?.close();
});

/** The two ways a request names a host the server does not have. */
const forgeries: { label: string; headers: () => Record<string, string | undefined> }[] = [
  // A non-browser client sends whatever Host it likes (and an Origin to match it).
  { label: "Host", headers: () => ({ Host: EVIL, Origin: `http://${EVIL}` }) },
  // Express trusts proxy headers from loopback, and Remix builds request.url from this one
  // (a non-browser client sends no Origin).
  { label: "X-Forwarded-Host", headers: () => ({ "X-Forwarded-Host": EVIL, Origin: undefined }) },
];

function forged(
  method: string,
  path: string,
  forgery: Record<string, string | undefined>,
  body: { form?: Record<string, string>; json?: unknown } = {},
  headers: Record<string, string> = {},
) {
  const payload = body.form
    ? new URLSearchParams(body.form).toString()
    : body.json !== undefined
      ? JSON.stringify(body.json)
      : "";
  const contentType = body.form
    ? "application/x-www-form-urlencoded"
    : body.json !== undefined
      ? "application/json"
      : undefined;
  return sendRaw(app.url, method, path, Buffer.from(payload), {
    ...(contentType ? { "Content-Type": contentType } : {}),
    ...headers,
    ...forgery,
  });
}

function cookieHeader(client: Client) {
  return [...client.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
}

/** Every absolute URL in a mail's text and HTML. */
function linksIn(mail: ParsedMail) {
  const text = `${mail.text ?? ""}\n${typeof mail.html === "string" ? mail.html : ""}`;
  return [...text.matchAll(/https?:\/\/[^\s"'<>]+/g)].map((m) => m[0]);
}

function expectOwnLinks(links: string[]) {
  expect(links.length).toBeGreaterThan(0);
  for (const link of links) {
    expect(link).not.toContain(EVIL);
    expect(link.startsWith(`${app.url}/`), link).toBe(true);
  }
}

describe.each(forgeries)("a forged $label", ({ headers }) => {
  it("does not steer the password-reset email's link", async () => {
    const user = await createUserRow();
    const res = await forged("POST", "/forgot-password", headers(), {
      form: { email: user.email },
    });
    expect(res.status).toBe(302);
    const mail = await app.mail.waitFor((m) => recipients(m).includes(user.email));
    expectOwnLinks(linksIn(mail));
  });

  it("does not steer the invitation email's link", async () => {
    const admin = await createUserRow({ role: "admin", name: "Ada Admin" });
    const client = await signedInClient(app.url, admin.email);
    const email = uniqueEmail("invitee");
    const res = await forged(
      "POST",
      "/admin/users",
      headers(),
      { form: { email, name: "New Member", role: "member" } },
      { Cookie: cookieHeader(client) },
    );
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    const mail = await app.mail.waitFor((m) => recipients(m).includes(email));
    expectOwnLinks(linksIn(mail).filter((l) => l.includes("/invite/")));
    expect(linksIn(mail).some((l) => l.includes("/invite/"))).toBe(true);
  });

  it("does not steer the order email, the API's order links or the calendar file", async () => {
    const email = uniqueEmail("buyer");
    const res = await forged("POST", `/api/v1/festivals/${festival.id}/orders`, headers(), {
      json: {
        items: [{ ticketTypeId: festival.typeId, quantity: 1 }],
        email,
        paymentMethod: "door",
      },
    });
    expect(res.status, res.text).toBe(201);
    const order = JSON.parse(res.text) as { orderUrl: string; tickets: { url: string }[] };
    expectOwnLinks([order.orderUrl, ...order.tickets.map((t) => t.url)]);
    const mail = await app.mail.waitFor((m) => recipients(m).includes(email));
    expectOwnLinks(linksIn(mail).filter((l) => l.includes("/orders/")));
    const path = new URL(order.orderUrl).pathname;
    const ics = await forged("GET", `${path}/calendar.ics`, headers());
    expect(ics.status).toBe(200);
    const url = /^URL:(.*)$/m.exec(ics.text)?.[1]?.trim();
    expectOwnLinks([url!]);
  });

  it("does not steer Stripe's success and cancel addresses", async () => {
    const res = await forged("POST", `/api/v1/festivals/${festival.id}/orders`, headers(), {
      json: {
        items: [{ ticketTypeId: festival.typeId, quantity: 1 }],
        email: uniqueEmail("card-buyer"),
        paymentMethod: "stripe",
      },
    });
    expect(res.status, res.text).toBe(201);
    const { id } = JSON.parse(res.text) as { id: string };
    const session = [...fake.sessions.values()].find((s) => s.metadata.order_id === id)!;
    expectOwnLinks([session.success_url!, session.cancel_url!]);
  });

  it("does not steer a door device's set-up link", async () => {
    const res = await forged(
      "POST",
      `/api/v1/festivals/${festival.id}/door-devices`,
      headers(),
      { json: { name: "Front door" } },
      { Authorization: `Bearer ${token}` },
    );
    expect(res.status, res.text).toBe(201);
    expectOwnLinks([(JSON.parse(res.text) as { setupUrl: string }).setupUrl]);
  });
});

it("uses the listening origin when PUBLIC_URL is unset (and nothing was stored with the forged host)", async () => {
  expect(app.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const stored = await prisma.outboxEmail.findMany({ select: { payload: true } });
  expect(JSON.stringify(stored)).not.toContain(EVIL);
});
