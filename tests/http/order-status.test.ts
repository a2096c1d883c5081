// How an order's status and title read to people: the organiser's order page
// is "Order …", not the buyer's "Your order …"; a €0 order is "Free", not "Paid",
// wherever its status is shown (buyer's page, organiser's list and detail).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { createUserRow, doorFestival, apiToken, signedInClient } from "../helpers/fixtures";

let app: TestApp;
let client: Client;
let token: string;
let organiser: Client;
let festivalId: string;
let free: { id: string; code: string; orderUrl: string };
let paid: { id: string; code: string; orderUrl: string };

/** The text of the order status badge(s) in a page (not the festival's). */
const badges = (html: string) =>
  [...html.matchAll(/class="badge status-([a-z]+)"[^>]*>([^<]*)</g)]
    .filter((m) => !["draft", "published", "cancelled"].includes(m[1]!))
    .map((m) => m[2]!.trim());

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  client = new Client(app.url);
  const admin = await createUserRow({ role: "admin" });
  token = await apiToken(app.url, admin.email);
  organiser = await signedInClient(app.url, admin.email);
  const festival = await doorFestival(client, token, { priceMinor: 0 });
  festivalId = festival.id;
  const order = async (paymentMethod: "free" | "door", donation?: number) => {
    const res = await client.api("POST", `/api/v1/festivals/${festivalId}/orders`, {
      items: [{ ticketTypeId: festival.typeId, quantity: 1 }],
      email: "status@example.test",
      paymentMethod,
      ...(donation ? { donation: { amountMinor: donation } } : {}),
    });
    expect(res.status).toBe(201);
    return res.json<{ id: string; code: string; orderUrl: string }>();
  };
  free = await order("free");
  paid = await order("door", 500);
});
afterAll(() => app.close());

describe("order status for people", () => {
  it("shows a €0 order as Free on the buyer's page, in English and Russian", async () => {
    const path = new URL(free.orderUrl).pathname;
    const en = await client.get(path, { "Accept-Language": "en" });
    expect(en.status).toBe(200);
    expect(badges(en.text)).toEqual(["Free"]);
    expect(en.text).toContain(`Your order ${free.code}`);
    const ru = await client.get(path, { "Accept-Language": "ru" });
    expect(badges(ru.text)).toEqual(["Бесплатно"]);
  });

  it("titles the organiser's order page Order …, and shows Free there and in the list", async () => {
    const detail = await organiser.get(`/admin/festivals/${festivalId}/orders/${free.id}`, {
      "Accept-Language": "en",
    });
    expect(detail.status).toBe(200);
    expect(detail.text).not.toContain("Your order");
    expect(detail.text).toContain(`Order ${free.code}`);
    expect(badges(detail.text)).toEqual(["Free"]);
    const ru = await organiser.get(`/admin/festivals/${festivalId}/orders/${free.id}`, {
      "Accept-Language": "ru",
    });
    expect(ru.text).not.toContain("Ваш заказ");
    expect(ru.text).toContain(`Заказ ${free.code}`);

    const list = await organiser.get(`/admin/festivals/${festivalId}/orders`, {
      "Accept-Language": "en",
    });
    const row = (code: string) =>
      badges(
        list.text.slice(
          list.text.indexOf(code),
          list.text.indexOf("</tr>", list.text.indexOf(code)),
        ),
      );
    expect(row(free.code)).toEqual(["Free"]);
    // A paying order keeps its own status.
    expect(row(paid.code)).toEqual(["Confirmed — pay at the door"]);
  });
});
