// Issue 8 item 4: Cache-Control, route by route, over HTTP against the
// production build. `no-store` is the default for every response (server/index.ts);
// only public pages seen without a session loosen it, and static files are cacheable.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { Client, sendRaw, startTestApp, type TestApp } from "../helpers/app";
import {
  addMember,
  buyDoorTicket,
  createDoorDeviceViaApi,
  createUserRow,
  doorFestival,
  signedInAdmin,
  uniqueEmail,
} from "../helpers/fixtures";

const NO_STORE = "no-store";
const PUBLIC_PAGE = "public, max-age=60";

type Ctx = {
  festivalId: string;
  slug: string;
  typeId: string;
  orderId: string;
  orderToken: string;
  deviceToken: string;
  asset: string;
};

let app: TestApp;
let anonymous: Client;
let session: Client;
let token: string;
let ctx: Ctx;

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  anonymous = new Client(app.url);
  ({ token, browser: session } = await signedInAdmin(app.url, "Admin Person"));
  const { id: festivalId, typeId } = await doorFestival(anonymous, token);
  const festival = await prisma.festival.findUniqueOrThrow({ where: { id: festivalId } });
  const ticket = await buyDoorTicket(anonymous, festivalId, typeId, { name: "Buyer Person" });
  const order = await prisma.order.findUniqueOrThrow({ where: { id: ticket.orderId } });
  await addMember(festivalId, (await createUserRow()).id, "door");
  const device = await createDoorDeviceViaApi(anonymous, token, festivalId);
  const home = await anonymous.get("/");
  ctx = {
    festivalId,
    slug: festival.slug,
    typeId,
    orderId: order.id,
    orderToken: order.accessToken,
    deviceToken: device.token,
    asset: /(\/build\/[^"]+\.js)"/.exec(home.text)![1]!,
  };
});
afterAll(() => app.close());

type Who = "anonymous" | "session" | "token" | "device";
type Row = [
  label: string,
  who: Who,
  method: string,
  path: (c: Ctx) => string,
  expected: string,
  body?: (c: Ctx) => unknown,
];

const table: Row[] = [
  // Public pages, seen without a session: cacheable.
  ["festival list", "anonymous", "GET", () => "/", PUBLIC_PAGE],
  // The order form carries a per-render idempotency key (decision 0019): never shared-cached.
  ["festival page", "anonymous", "GET", (c) => `/festivals/${c.slug}`, NO_STORE],
  // The same pages seen by a session carry the person's name: never stored.
  ["festival list, signed in", "session", "GET", () => "/", NO_STORE],
  ["festival page, signed in", "session", "GET", (c) => `/festivals/${c.slug}`, NO_STORE],
  // Their data for client-side navigation follows the page.
  ["festival page data", "anonymous", "GET", (c) => `/festivals/${c.slug}.data`, NO_STORE],
  ["festival page data, signed in", "session", "GET", (c) => `/festivals/${c.slug}.data`, NO_STORE],
  ["unknown festival (404)", "anonymous", "GET", () => "/festivals/no-such-festival", NO_STORE],
  ["unknown page (404)", "anonymous", "GET", () => "/no/such/page", NO_STORE],
  // The buyer's order and tickets (QR codes, name).
  ["order / ticket page", "anonymous", "GET", (c) => `/orders/${c.orderToken}`, NO_STORE],
  ["calendar file", "anonymous", "GET", (c) => `/orders/${c.orderToken}/calendar.ics`, NO_STORE],
  // Sign-in and account pages.
  ["sign-in page", "anonymous", "GET", () => "/login", NO_STORE],
  ["forgot password page", "anonymous", "GET", () => "/forgot-password", NO_STORE],
  ["reset password page", "anonymous", "GET", () => "/reset-password", NO_STORE],
  ["invitation page", "anonymous", "GET", () => "/invite/not-a-real-token", NO_STORE],
  ["account", "session", "GET", () => "/account", NO_STORE],
  ["door scanner shell", "anonymous", "GET", () => "/door", NO_STORE],
  // Admin pages.
  ["dashboard", "session", "GET", () => "/admin", NO_STORE],
  ["users", "session", "GET", () => "/admin/users", NO_STORE],
  ["audit log", "session", "GET", () => "/admin/audit", NO_STORE],
  ["festival admin", "session", "GET", (c) => `/admin/festivals/${c.festivalId}`, NO_STORE],
  ["orders list", "session", "GET", (c) => `/admin/festivals/${c.festivalId}/orders`, NO_STORE],
  [
    "order detail",
    "session",
    "GET",
    (c) => `/admin/festivals/${c.festivalId}/orders/${c.orderId}`,
    NO_STORE,
  ],
  ["team", "session", "GET", (c) => `/admin/festivals/${c.festivalId}/team`, NO_STORE],
  ["door admin", "session", "GET", (c) => `/admin/festivals/${c.festivalId}/door`, NO_STORE],
  ["ticket types", "session", "GET", (c) => `/admin/festivals/${c.festivalId}/tickets`, NO_STORE],
  ["orders CSV", "session", "GET", (c) => `/admin/festivals/${c.festivalId}/orders.csv`, NO_STORE],
  [
    "check-ins CSV",
    "session",
    "GET",
    (c) => `/admin/festivals/${c.festivalId}/check-ins.csv`,
    NO_STORE,
  ],
  // JSON API.
  ["GET /api/v1/orders/:id", "token", "GET", (c) => `/api/v1/orders/${c.orderId}`, NO_STORE],
  [
    "GET /api/v1/festivals/:id/members",
    "token",
    "GET",
    (c) => `/api/v1/festivals/${c.festivalId}/members`,
    NO_STORE,
  ],
  [
    "GET /api/v1/festivals/:id/stats",
    "token",
    "GET",
    (c) => `/api/v1/festivals/${c.festivalId}/stats`,
    NO_STORE,
  ],
  ["GET /api/v1/festivals", "anonymous", "GET", () => "/api/v1/festivals", NO_STORE],
  [
    "POST /api/v1/tokens",
    "anonymous",
    "POST",
    () => "/api/v1/tokens",
    NO_STORE,
    () => ({ email: "nobody@example.test", password: "wrong password here" }),
  ],
  [
    "POST /api/v1/festivals/:id/orders",
    "anonymous",
    "POST",
    (c) => `/api/v1/festivals/${c.festivalId}/orders`,
    NO_STORE,
    (c) => ({
      items: [{ ticketTypeId: c.typeId, quantity: 1 }],
      email: uniqueEmail("cache-buyer"),
      paymentMethod: "door",
    }),
  ],
  ["door manifest", "device", "GET", () => "/api/v1/door/manifest", NO_STORE],
  ["unknown API endpoint", "anonymous", "GET", () => "/api/v1/nothing-here", NO_STORE],
  ["health check", "anonymous", "GET", () => "/healthz", NO_STORE],
];

describe("Cache-Control by route", () => {
  it.each(table)("%s", async (label, who, method, path, expected, body) => {
    const url = path(ctx);
    const payload = body?.(ctx);
    const res =
      who === "session"
        ? await session.get(url)
        : who === "token" || who === "device"
          ? await anonymous.api(method, url, payload, who === "token" ? token : ctx.deviceToken)
          : method === "GET"
            ? await anonymous.get(url)
            : await anonymous.api(method, url, payload);
    expect(res.status, label).toBeLessThan(500);
    expect(res.headers.get("cache-control"), `${label}: ${method} ${url}`).toBe(expected);
  });

  it("a POST response is never stored, even on a public page", async () => {
    const res = await anonymous.postForm(`/festivals/${ctx.slug}`, { email: "not an email" });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.headers.get("cache-control")).toBe(NO_STORE);
  });

  it("public pages say what they vary on, and a language cookie alone is no session", async () => {
    const res = await anonymous.get("/", { Cookie: "lang=ru" });
    expect(res.headers.get("cache-control")).toBe(PUBLIC_PAGE);
    const vary = (res.headers.get("vary") ?? "").toLowerCase();
    expect(vary).toContain("cookie");
    expect(vary).toContain("accept-language");
  });

  it("a bearer token on a public page is a session too", async () => {
    const res = await anonymous.get("/", { Authorization: `Bearer ${token}` });
    expect(res.headers.get("cache-control")).toBe(NO_STORE);
  });

  it("static files stay cacheable: build assets for a year, immutable", async () => {
    const asset = await anonymous.get(ctx.asset);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const icon = await anonymous.get("/favicon.svg");
    expect(icon.headers.get("cache-control")).toBe("public, max-age=3600");
  });

  it("refusals made before the app (cross-site, too large) are not stored either", async () => {
    const cross = await session.postForm("/account", {}, { Origin: "https://evil.example" });
    expect(cross.status).toBe(403);
    expect(cross.headers.get("cache-control")).toBe(NO_STORE);
    const big = Buffer.from(JSON.stringify({ name: "x".repeat(5 * 1024 * 1024) }));
    const tooLarge = await sendRaw(app.url, "POST", "/api/v1/tokens", big, {
      "Content-Type": "application/json",
      "Content-Length": String(big.length),
    });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.headers["cache-control"]).toBe(NO_STORE);
  });

  it("the door manifest keeps its ETag and answers 304 while unchanged", async () => {
    const auth = { Authorization: `Bearer ${ctx.deviceToken}` };
    const first = await anonymous.get("/api/v1/door/manifest", auth);
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    const again = await anonymous.get("/api/v1/door/manifest", { ...auth, "If-None-Match": etag });
    expect(again.status).toBe(304);
    expect(again.headers.get("cache-control")).toBe(NO_STORE);
  });
});
