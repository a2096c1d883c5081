// Issue 8 item 11: the smaller edges. A malformed % escape gets a JSON 400
// without a stack in the log; the cross-site exemption for webhooks holds for
// the webhook's exact path only; a Permissions-Policy on every response (the
// camera for the door scanner only); invisible format characters refused in
// names with a clear message.
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { prisma } from "~/utils/db.server";
import { translator } from "~/utils/i18n";
import { Client, sendRaw, startTestApp, type TestApp } from "../helpers/app";
import {
  errorNextTo,
  expectApiError,
  INVISIBLE,
  JOINED_TEXT,
  unchanged,
} from "../helpers/bad-input";
import {
  buyDoorTicket,
  createDoorDeviceViaApi,
  createUserRow,
  doorFestival,
  festivalBody,
  signedInAdmin,
  signedInClient,
  uniqueEmail,
} from "../helpers/fixtures";

const t = translator("en");

let app: TestApp;
let client: Client;
let token: string;
let admin: Client;
let adminCookie: string;
let festival: { id: string; typeId: string };
let deviceToken: string;
let orderToken: string;

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  client = new Client(app.url);
  ({ token, browser: admin } = await signedInAdmin(app.url));
  adminCookie = [...admin.cookies.entries()].map(([k, v]) => `${k}=${v}`).join("; ");
  festival = await doorFestival(client, token);
  deviceToken = (await createDoorDeviceViaApi(client, token, festival.id)).token;
  const ticket = await buyDoorTicket(client, festival.id, festival.typeId);
  orderToken = (await prisma.order.findUniqueOrThrow({ where: { id: ticket.orderId } }))
    .accessToken;
});
afterAll(() => app.close());

/** Everything the server writes to its log while `act` runs. */
async function logDuring(act: () => Promise<void>) {
  const lines: string[] = [];
  const keep = (...args: unknown[]) => {
    lines.push(
      args.map((a) => (a instanceof Error ? (a.stack ?? a.message) : String(a))).join(" "),
    );
  };
  const spies = [
    vi.spyOn(console, "error").mockImplementation(keep),
    vi.spyOn(console, "warn").mockImplementation(keep),
    vi.spyOn(console, "log").mockImplementation(keep),
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      keep(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString());
      return true;
    }),
  ];
  // The app's own log (JSON lines in LOG_FILE, tests/setup/log-file.ts): its warnings
  // and errors written meanwhile count too (each request's access line does not).
  const file = process.env.LOG_FILE;
  const size = () => (file && fs.existsSync(file) ? fs.statSync(file).size : 0);
  const start = size();
  try {
    await act();
    // The access line is written as the answer finishes: give the log a moment.
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    for (const s of spies) s.mockRestore();
  }
  if (file && size() > start) {
    const fd = fs.openSync(file, "r");
    const added = Buffer.alloc(size() - start);
    fs.readSync(fd, added, 0, added.length, start);
    fs.closeSync(fd);
    for (const line of added.toString().split("\n").filter(Boolean)) {
      const entry = JSON.parse(line) as { level?: number };
      if ((entry.level ?? 50) >= 40) lines.push(line);
    }
  }
  return lines;
}

describe("malformed % escapes", () => {
  const paths = [
    "/api/v1/festivals/%E0%A4%A",
    "/api/v1/festivals/abc%",
    "/api/%zz",
    "/api/v1/orders/%C0%AF",
    "/festivals/%",
    "/orders/%E0%A4%A",
    "/admin/festivals/%zz",
  ];

  it.each(paths)("GET %s → a JSON 400, nothing in the log", async (path) => {
    const lines = await logDuring(async () => {
      const res = await sendRaw(app.url, "GET", path, Buffer.alloc(0), {});
      expect(res.status).toBe(400);
      expect(res.contentType).toContain("application/json");
      expect(JSON.parse(res.text)).toMatchObject({ error: "invalid_url" });
      expect(res.text).not.toMatch(/URIError|\n\s+at /);
    });
    expect(lines).toEqual([]);
  });

  it("a POST with a malformed path is answered the same, before anything runs", async () => {
    const lines = await logDuring(async () => {
      const res = await sendRaw(
        app.url,
        "POST",
        `/api/v1/festivals/${festival.id}/orders%`,
        Buffer.from("{}"),
        { "Content-Type": "application/json" },
      );
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text)).toMatchObject({ error: "invalid_url" });
    });
    expect(lines).toEqual([]);
  });

  it.each([
    ["/api/v1/festivals?q=%E0%A4%A", undefined],
    ["/api/v1/door/manifest?q=%zz%", "device"],
    [`/api/v1/festivals/${"FESTIVAL"}/stats?x=%`, "token"],
  ] as const)("GET %s (a malformed query) → JSON, nothing in the log", async (path, auth) => {
    const lines = await logDuring(async () => {
      const res = await sendRaw(
        app.url,
        "GET",
        path.replace("FESTIVAL", festival.id),
        Buffer.alloc(0),
        {
          ...(auth ? { Authorization: `Bearer ${auth === "device" ? deviceToken : token}` } : {}),
        },
      );
      expect(res.status).toBeLessThan(500);
      expect(res.contentType).toContain("application/json");
      JSON.parse(res.text);
    });
    expect(lines).toEqual([]);
  });
});

describe("the webhook exemption from the cross-site check", () => {
  /** A cross-site form post with the admin's session: creates an account if it gets through. */
  const crossSite = (path: string, email: string, headers: Record<string, string>) =>
    sendRaw(
      app.url,
      "POST",
      path,
      Buffer.from(new URLSearchParams({ email, role: "admin" }).toString()),
      {
        Cookie: adminCookie,
        "Content-Type": "application/x-www-form-urlencoded",
        ...headers,
      },
    );

  const tricks = [
    "/webhooks/../admin/users",
    "/webhooks/%2e%2e/admin/users",
    "/webhooks/%2E%2E/admin/users",
    "/webhooks/.%2e/admin/users",
    "/webhooks/..%2fadmin/users",
    "/webhooks/..%5cadmin/users",
    "/webhooks/x/../../admin/users",
    "//webhooks/../admin/users",
    "/WEBHOOKS/../admin/users",
    "/webhooks//../../admin/users",
    "/api/../webhooks/stripe",
    "//webhooks/stripe",
    "/WEBHOOKS/stripe",
    "/webhooks%2fstripe",
    "/webhooks/stripe/",
  ];

  it.each(tricks)("%s is not exempt", async (path) => {
    const variants: Record<string, string>[] = [
      { "Sec-Fetch-Site": "cross-site" },
      { Origin: "https://evil.example", "Sec-Fetch-Site": "cross-site" },
    ];
    for (const headers of variants) {
      const email = uniqueEmail("csrf-victim");
      const before = await prisma.user.count();
      const res = await crossSite(path, email, headers);
      expect(res.status, `${path} ${JSON.stringify(headers)}: ${res.text.slice(0, 200)}`).toBe(403);
      expect(JSON.parse(res.text)).toMatchObject({ error: "cross_site" });
      expect(await prisma.user.count()).toBe(before);
      expect(await prisma.user.findUnique({ where: { email } })).toBeNull();
    }
  });

  it("the webhook itself still takes server-to-server posts (its signature decides)", async () => {
    const res = await sendRaw(app.url, "POST", "/webhooks/stripe", Buffer.from("{}"), {
      "Content-Type": "application/json",
      "Sec-Fetch-Site": "cross-site",
      Origin: "https://stripe.example",
    });
    expect(res.status).not.toBe(403);
    expect(res.status).toBeLessThan(500);
  });
});

describe("Permissions-Policy", () => {
  const OFF = ["camera", "microphone", "geolocation", "payment", "usb", "display-capture"];
  const policy = (value: string | null | undefined) =>
    Object.fromEntries(
      (value ?? "").split(",").map((p) => {
        const [k, v] = p.trim().split("=");
        return [k!, v ?? ""];
      }),
    );

  it.each([
    ["the festival list", "/"],
    ["a festival page", "/festivals/none-such"],
    ["the order page", "/orders/ORDER"],
    ["the sign-in page", "/login"],
    ["an API answer", "/api/v1/festivals"],
    ["an API error", "/api/v1/nothing"],
    ["a static file", "/favicon.svg"],
    ["the service worker", "/door-sw.js"],
    ["a malformed address", "/api/%zz"],
    ["the door setup redirect", "/door/setup"],
  ])("%s (%s): every powerful feature off, the camera too", async (_label, path) => {
    const res = await sendRaw(
      app.url,
      "GET",
      path.replace("ORDER", orderToken),
      Buffer.alloc(0),
      {},
    );
    const p = policy(res.headers["permissions-policy"] as string | undefined);
    for (const feature of OFF) expect(p[feature], `${feature} on ${path}`).toBe("()");
  });

  it("the door scanner may use the camera of its own origin, nothing else", async () => {
    const res = await client.get("/door");
    expect(res.status).toBe(200);
    const p = policy(res.headers.get("permissions-policy"));
    expect(p.camera).toBe("(self)");
    for (const feature of OFF.filter((f) => f !== "camera")) expect(p[feature]).toBe("()");
  });
});

describe("invisible format characters in names", () => {
  const message = t("v.invisibleChars");

  it.each(INVISIBLE)(
    "the API refuses %s in a festival's name (422, nothing stored)",
    async (_l, value) => {
      const res = await unchanged(() =>
        client.api("POST", "/api/v1/festivals", festivalBody({ name: value }), token),
      );
      expectApiError(res, 422, "name", message);
    },
  );

  it.each(INVISIBLE)(
    "the API refuses %s in a buyer's, a ticket type's and a device's name",
    async (_l, value) => {
      const order = await unchanged(() =>
        client.api("POST", `/api/v1/festivals/${festival.id}/orders`, {
          items: [{ ticketTypeId: festival.typeId, quantity: 1 }],
          email: uniqueEmail("buyer"),
          name: value,
          paymentMethod: "door",
        }),
      );
      expectApiError(order, 422, "name", message);
      const type = await unchanged(() =>
        client.api(
          "POST",
          `/api/v1/festivals/${festival.id}/ticket-types`,
          { name: { en: value }, priceMinor: 500, capacity: 10 },
          token,
        ),
      );
      expectApiError(type, 422, "name.en", message);
      const device = await unchanged(() =>
        client.api("POST", `/api/v1/festivals/${festival.id}/door-devices`, { name: value }, token),
      );
      expectApiError(device, 422, "name", message);
    },
  );

  it.each(INVISIBLE)(
    "the account form refuses %s with the message next to the name",
    async (_l, value) => {
      const user = await createUserRow({ name: "Member" });
      const page = await signedInClient(app.url, user.email);
      const res = await page.postForm("/account", { intent: "profile", name: value });
      expect(res.status).toBe(400);
      expect(errorNextTo(res.text, "name")).toBe(message);
      expect((await prisma.user.findUniqueOrThrow({ where: { id: user.id } })).name).toBe("Member");
    },
  );

  it("the account form answers in Russian too", async () => {
    const user = await createUserRow({ name: "Member" });
    const page = await signedInClient(app.url, user.email);
    await page.postForm("/set-language", { lang: "ru", redirectTo: "/account" });
    const res = await page.postForm("/account", { intent: "profile", name: "Ri\u200bga" });
    expect(res.status).toBe(400);
    expect(errorNextTo(res.text, "name")).toBe(translator("ru")("v.invisibleChars"));
  });

  it.each(JOINED_TEXT)("keeps %s", async (_l, value) => {
    const res = await client.api("POST", "/api/v1/festivals", festivalBody({ name: value }), token);
    expect(res.status, res.text).toBe(201);
    const row = await prisma.festival.findUniqueOrThrow({
      where: { id: res.json<{ id: string }>().id },
    });
    expect(row.name).toBe(value.normalize("NFC"));
  });
});
