// A double click on "Order" with JavaScript on a slow connection: the button
// shows the order is on its way and takes no second click, and the buyer ends
// up with one order. (Without JavaScript the form's key does the same:
// tests/http/idempotent-orders.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { apiToken, createFestivalRow, createUserRow } from "../helpers/fixtures";
import { browserPerFile } from "./browser";

let app: TestApp;
let slug: string;

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  const admin = await createUserRow({ role: "admin" });
  const token = await apiToken(app.url, admin.email);
  const row = await createFestivalRow({
    status: "published",
    publishedAt: new Date(),
    paymentMethods: JSON.stringify(["door"]),
    startsAt: new Date(Date.now() + 30 * 86_400_000),
    endsAt: new Date(Date.now() + 30 * 86_400_000 + 6 * 3_600_000),
  });
  slug = row.slug;
  const res = await new Client(app.url).api(
    "POST",
    `/api/v1/festivals/${row.id}/ticket-types`,
    { name: "Evening ticket", priceMinor: 1500, capacity: 50 },
    token,
  );
  expect(res.status, res.text).toBe(201);
});
afterAll(() => app?.close());

const browser = browserPerFile(() => app.url, { locale: "en-GB" });

describe("the Order button with JavaScript", () => {
  it("shows a pending state, ignores the second click, and makes one order", async () => {
    const session = browser();
    const page = await session.open(`/festivals/${slug}`);
    // A slow network: the order takes a moment to arrive at the server.
    let posts = 0;
    await page.route(
      (url) => url.pathname.startsWith(`/festivals/${slug}`),
      async (route) => {
        if (route.request().method() !== "POST") return route.continue();
        posts++;
        await new Promise((resolve) => setTimeout(resolve, 1000));
        return route.continue();
      },
    );
    await page.getByLabel("Quantity").selectOption("1");
    await page.getByLabel(/Email/).fill("double-click-js@example.test");
    const button = page.getByRole("button", { name: "Order", exact: true });
    await button.dblclick();
    const pending = page.getByRole("button", { name: "Ordering…" });
    await expect.poll(() => pending.isDisabled()).toBe(true);
    expect(await pending.getAttribute("aria-busy")).toBe("true");
    await page.waitForURL((u) => u.pathname.startsWith("/orders/"));
    expect(posts).toBe(1);
    expect(await prisma.order.count({ where: { email: "double-click-js@example.test" } })).toBe(1);
    expect(session.problems).toEqual([]);
  });
});
