// Door cash over HTTP against the real build: the pledged donation of a door
// order asked and collected at the door (and a donation-only order collected
// from the search), a part-paid door order cancelled with the organiser's
// explicit choice, cash handed to a treasurer and confirmed by them, the
// festival's money page — and bad input refused with nothing written.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { formatMoney } from "~/utils/money";
import { translator } from "~/utils/i18n";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { escapeHtml, expectApiError, unchanged } from "../helpers/bad-input";
import {
  apiToken,
  createDoorDeviceViaApi,
  createPrisonerRow,
  createUserRow,
  doorFestival,
  signedInClient,
} from "../helpers/fixtures";
import { incomeOf } from "../helpers/ledger";

const t = translator("en");
const eur = (minor: number) => formatMoney(minor, "EUR", "en");

let app: TestApp;
let client: Client;
let organiserToken: string;
let treasurer: { id: string; email: string; token: string };
let otherTreasurer: { id: string; token: string };
let festivalId: string;
let typeId: string;
let prisonerId: string;
let n = 0;
const nonce = () => `http-cash-${++n}-${Date.now().toString(36)}`;

type Placed = { id: string; code: string; tickets: { id: string; qrToken: string }[] };

async function order(quantity: number, donation?: { amountMinor: number; prisonerId?: string }) {
  const res = await client.api("POST", `/api/v1/festivals/${festivalId}/orders`, {
    items: quantity ? [{ ticketTypeId: typeId, quantity }] : [],
    email: `cash-buyer-${++n}@example.test`,
    name: `Cash Buyer ${n}`,
    paymentMethod: "door",
    ...(donation ? { donation } : {}),
  });
  expect(res.status, res.text).toBe(201);
  return res.json<Placed>();
}

const pay = (deviceToken: string, body: Record<string, unknown>) =>
  client.api("POST", "/api/v1/door/payments", body, deviceToken);

const orderStatus = async (id: string) =>
  (await prisma.order.findUniqueOrThrow({ where: { id } })).status;

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  client = new Client(app.url);
  const organiser = await createUserRow({ role: "admin", name: "Olga Organiser" });
  organiserToken = await apiToken(app.url, organiser.email);
  ({ id: festivalId, typeId } = await doorFestival(client, organiserToken, { priceMinor: 1200 }));
  prisonerId = (
    await createPrisonerRow(`cash-${Date.now()}`, { en: "Ivan Prisoner" }, [festivalId])
  ).id;
  const tUser = await createUserRow({ role: "treasurer", name: "Tanya Treasurer" });
  treasurer = { id: tUser.id, email: tUser.email, token: await apiToken(app.url, tUser.email) };
  const other = await createUserRow({ role: "treasurer", name: "Other Treasurer" });
  otherTreasurer = { id: other.id, token: await apiToken(app.url, other.email) };
});
afterAll(() => app.close());

describe("a door order's donation at the door", () => {
  it("the €44 door order with a €20 earmarked donation → €44 in, €20 to the earmark", async () => {
    const device = await createDoorDeviceViaApi(client, organiserToken, festivalId);
    const placed = await order(2, { amountMinor: 2000, prisonerId });
    const [first, second] = placed.tickets;
    const scanned = await client.api(
      "POST",
      "/api/v1/door/scans",
      { token: first!.qrToken, nonce: nonce() },
      device.token,
    );
    expect(scanned.json()).toMatchObject({
      result: "payment_due",
      amountDueMinor: 1200,
      donationDueMinor: 2000,
    });
    const paid = await pay(device.token, {
      token: first!.qrToken,
      nonce: nonce(),
      amountMinor: 3200,
    });
    expect(paid.json()).toMatchObject({ result: "admitted" });
    // €32 came in of €44: the order is not "paid", and its page says what came in.
    expect(await orderStatus(placed.id)).toBe("confirmed");
    const admin = await signedInClient(
      app.url,
      (await prisma.user.findFirstOrThrow({ where: { name: "Olga Organiser" } })).email,
    );
    const page = await admin.get(`/admin/festivals/${festivalId}/orders/${placed.id}`);
    expect(page.text).toContain(
      escapeHtml(t("order.received", { received: eur(3200), total: eur(4400) })),
    );
    expect(
      (await pay(device.token, { ticketId: second!.id, nonce: nonce(), amountMinor: 1200 })).json(),
    ).toMatchObject({ result: "admitted" });
    expect(await orderStatus(placed.id)).toBe("paid");
    expect(await incomeOf(placed.id)).toEqual({ ticket: 2400, [`donation:${prisonerId}`]: 2000 });
  });

  it("a donation-only door order is collected", async () => {
    const device = await createDoorDeviceViaApi(client, organiserToken, festivalId);
    const placed = await order(0, { amountMinor: 1500, prisonerId });
    const found = (
      await client.api("POST", "/api/v1/door/search", { q: placed.code }, device.token)
    ).json<{ results: unknown[]; donations: { orderId: string; donationDueMinor: number }[] }>();
    expect(found.results).toEqual([]);
    expect(found.donations).toEqual([
      expect.objectContaining({ orderId: placed.id, donationDueMinor: 1500 }),
    ]);
    const paid = await pay(device.token, { orderId: placed.id, amountMinor: 1500 });
    expect(paid.status).toBe(200);
    expect(paid.json()).toMatchObject({
      result: "donation_collected",
      amountMinor: 1500,
      orderStatus: "paid",
    });
    expect(await incomeOf(placed.id)).toEqual({ [`donation:${prisonerId}`]: 1500 });
  });

  it("bad payments by order are refused with nothing written", async () => {
    const device = await createDoorDeviceViaApi(client, organiserToken, festivalId);
    const placed = await order(0, { amountMinor: 1500 });
    const cases: [Record<string, unknown>, number][] = [
      [{ orderId: placed.id, amountMinor: 1499 }, 409],
      [{ orderId: placed.id, amountMinor: -1 }, 422],
      [{ orderId: placed.id, amountMinor: "1500" }, 422],
      [{ orderId: placed.id, donation: "<script>alert(1)</script>" }, 422],
      [{ orderId: placed.id, extra: 1 }, 422],
      [{ orderId: "'; DROP TABLE Order; --" }, 422],
      [{ orderId: "no-such-order-id" }, 404],
      [{ orderId: "x".repeat(5000) }, 413],
    ];
    for (const [body, status] of cases) {
      const res = await unchanged(() => pay(device.token, body));
      expectApiError(res, status);
    }
    // Another festival's device cannot collect it.
    const elsewhere = await doorFestival(client, organiserToken);
    const stranger = await createDoorDeviceViaApi(client, organiserToken, elsewhere.id);
    expectApiError(await unchanged(() => pay(stranger.token, { orderId: placed.id })), 404);
  });
});

describe("cancelling a part-paid door order over the API", () => {
  async function partPaid() {
    const device = await createDoorDeviceViaApi(client, organiserToken, festivalId);
    const placed = await order(2, { amountMinor: 2000, prisonerId });
    await pay(device.token, { ticketId: placed.tickets[0]!.id, nonce: nonce(), amountMinor: 3200 });
    return placed;
  }
  const refund = (id: string, body?: unknown) =>
    client.api("POST", `/api/v1/orders/${id}/refund`, body, organiserToken);

  it("asks for the choice (422), refuses a wrong or hostile one, nothing written", async () => {
    const placed = await partPaid();
    for (const body of [
      undefined,
      {},
      { cash: "burn" },
      { cash: "<img src=x onerror=alert(1)>" },
      { cash: ["return"] },
    ]) {
      const res = await unchanged(() => refund(placed.id, body));
      expectApiError(res, 422, "cash");
    }
    expectApiError(
      await unchanged(() => refund(placed.id, { cash: "return", extra: 1 })),
      422,
      "extra",
    );
    expectApiError(await unchanged(() => refund(placed.id, "[1,2]")), 400);
    expectApiError(await unchanged(() => refund(placed.id, { cash: "x".repeat(4000) })), 413);
    expect(await orderStatus(placed.id)).toBe("confirmed");
    // An order that took no cash has nothing to choose about.
    const unpaid = await order(1);
    expectApiError(await unchanged(() => refund(unpaid.id, { cash: "return" })), 422, "cash");
    expect((await refund(unpaid.id)).json()).toMatchObject({ status: "cancelled" });
  });

  it("a part-paid door order cancelled: cash returned", async () => {
    const placed = await partPaid();
    const res = await refund(placed.id, { cash: "return" });
    expect(res.json()).toMatchObject({ status: "cancelled" });
    expect(await incomeOf(placed.id)).toEqual({});
  });

  it("a part-paid door order cancelled: cash kept as a donation", async () => {
    const placed = await partPaid();
    const res = await refund(placed.id, { cash: "keep_as_donation" });
    expect(res.json()).toMatchObject({ status: "cancelled" });
    expect(await incomeOf(placed.id)).toEqual({
      donation: 1200,
      [`donation:${prisonerId}`]: 2000,
    });
  });

  it("the admin order page asks with the choice and refuses a cancellation without one", async () => {
    const placed = await partPaid();
    const admin = await signedInClient(
      app.url,
      (await prisma.user.findFirstOrThrow({ where: { name: "Olga Organiser" } })).email,
    );
    const path = `/admin/festivals/${festivalId}/orders/${placed.id}`;
    const page = await admin.get(path);
    expect(page.text).toMatch(/<input type="radio" name="cash"[^>]*value="return"/);
    expect(page.text).toMatch(/<input type="radio" name="cash"[^>]*value="keep_as_donation"/);
    const refused = await unchanged(() =>
      admin.postForm(path, { intent: "cancel", confirm: "yes" }),
    );
    expect(refused.status).toBe(400);
    expect(refused.text).toContain(escapeHtml(t("v.cashChoice")));
    const done = await admin.postForm(path, {
      intent: "cancel",
      confirm: "yes",
      cash: "keep_as_donation",
    });
    expect(done.status).toBe(200);
    expect(await orderStatus(placed.id)).toBe("cancelled");
  });
});

describe("cash custody", () => {
  async function deviceWithCash(amountMinor: number) {
    const device = await createDoorDeviceViaApi(client, organiserToken, festivalId);
    const placed = await order(0, { amountMinor });
    await pay(device.token, { orderId: placed.id, amountMinor });
    return device;
  }
  const record = (body: unknown, token = organiserToken) =>
    client.api("POST", `/api/v1/festivals/${festivalId}/cash-handovers`, body, token);
  const confirm = (id: string, token: string) =>
    client.api("POST", `/api/v1/cash-handovers/${id}/confirm`, undefined, token);

  it("a handover with a shortfall, the treasurer confirms, the wrong person cannot", async () => {
    const device = await deviceWithCash(5000);
    const list = (
      await client.api(
        "GET",
        `/api/v1/festivals/${festivalId}/cash-handovers`,
        undefined,
        treasurer.token,
      )
    ).json<{ cash: { code: string; balanceMinor: number; device: { id: string } | null }[] }>();
    expect(list.cash).toContainEqual(
      expect.objectContaining({
        code: "door_cash",
        balanceMinor: 5000,
        device: expect.objectContaining({ id: device.id }),
      }),
    );
    const res = await record({
      deviceId: device.id,
      treasurerId: treasurer.id,
      expectedMinor: 5000,
      countedMinor: 4750,
    });
    expect(res.status, res.text).toBe(201);
    const handover = res.json<{ id: string; differenceMinor: number; status: string }>();
    expect(handover).toMatchObject({ differenceMinor: -250, status: "in_transit" });
    // Another treasurer, or the organiser, cannot confirm it.
    expectApiError(await unchanged(() => confirm(handover.id, otherTreasurer.token)), 403);
    expectApiError(await unchanged(() => confirm(handover.id, organiserToken)), 403);
    const confirmed = await confirm(handover.id, treasurer.token);
    expect(confirmed.status).toBe(200);
    expect(confirmed.json()).toMatchObject({ status: "confirmed" });
    // Again: the same answer, nothing written.
    expect((await unchanged(() => confirm(handover.id, treasurer.token))).status).toBe(200);
  });

  it("bad handovers are refused with nothing written", async () => {
    const device = await deviceWithCash(1000);
    const good = {
      deviceId: device.id,
      treasurerId: treasurer.id,
      expectedMinor: 1000,
      countedMinor: 1000,
    };
    const cases: [Record<string, unknown> | string, number][] = [
      [{ ...good, treasurerId: undefined }, 422],
      [{ ...good, countedMinor: -5 }, 422],
      [{ ...good, countedMinor: 10.5 }, 422],
      [{ ...good, countedMinor: "1000" }, 422],
      [{ ...good, countedMinor: 1e12 }, 422],
      [{ ...good, treasurerId: "<script>alert(1)</script>" }, 422],
      [{ ...good, deviceId: "no-such-device" }, 422],
      [{ ...good, treasurerId: otherTreasurer.id, extra: "x" }, 422],
      [{ ...good, currency: "eur" }, 422],
      [{ ...good, expectedMinor: 900 }, 409],
      [{ ...good, note: "x".repeat(5000) }, 413],
      ["not json", 400],
    ];
    for (const [body, status] of cases) {
      const res = await unchanged(() => record(body));
      expectApiError(res, status);
    }
    // A treasurer may view the cash, not record handovers.
    expectApiError(await unchanged(() => record(good, treasurer.token)), 403);
  });

  it("the money page shows the figures", async () => {
    const device = await deviceWithCash(3000);
    const browser = await signedInClient(app.url, treasurer.email);
    const res = await record({
      deviceId: device.id,
      treasurerId: treasurer.id,
      expectedMinor: 3000,
      countedMinor: 3100,
    });
    const handover = res.json<{ id: string }>();
    const page = await browser.get(`/admin/festivals/${festivalId}/money`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(escapeHtml(t("money.cat.donationFor", { name: "Ivan Prisoner" })));
    expect(page.text).toContain(escapeHtml(t("money.cat.ticket")));
    // The handover with its difference, and the treasurer's own confirm button.
    expect(page.text).toContain(`data-testid="handover-${handover.id}"`);
    expect(page.text).toContain(eur(100));
    expect(page.text).toContain(escapeHtml(t("money.confirmReceipt")));
    const confirmed = await browser.postForm(`/admin/festivals/${festivalId}/money`, {
      intent: "confirm",
      confirm: "yes",
      handoverId: handover.id,
    });
    expect(confirmed.status).toBe(200);
    expect(confirmed.text).toContain(escapeHtml(t("money.receiptConfirmed")));
    const after = await browser.get(`/admin/festivals/${festivalId}/money`);
    const treasurerCash = /data-testid="treasurer-cash-EUR">([^<]+)</.exec(after.text)?.[1];
    expect(treasurerCash).toBeDefined();
    expect(escapeHtml(eur(0))).not.toBe(treasurerCash);
    // The organiser records from the page too (counted in major units).
    const device2 = await deviceWithCash(2000);
    const organiser = await signedInClient(
      app.url,
      (await prisma.user.findFirstOrThrow({ where: { name: "Olga Organiser" } })).email,
    );
    const recorded = await organiser.postForm(`/admin/festivals/${festivalId}/money`, {
      intent: "handover",
      confirm: "yes",
      deviceId: device2.id,
      currency: "EUR",
      expectedMinor: "2000",
      treasurerId: treasurer.id,
      counted: "19.50",
    });
    expect(recorded.status, recorded.text.slice(0, 300)).toBe(200);
    const row = await prisma.cashHandover.findFirstOrThrow({ where: { deviceId: device2.id } });
    expect(row).toMatchObject({ expectedMinor: 2000, countedMinor: 1950 });
    // Without the confirmation step, nothing is recorded.
    const device3 = await deviceWithCash(700);
    const refused = await unchanged(() =>
      organiser.postForm(`/admin/festivals/${festivalId}/money`, {
        intent: "handover",
        deviceId: device3.id,
        currency: "EUR",
        expectedMinor: "700",
        treasurerId: treasurer.id,
        counted: "7",
      }),
    );
    expect(refused.status).toBe(400);
    // Wrong, hostile or missing form values: a message on the page, nothing written.
    const form = {
      intent: "handover",
      confirm: "yes",
      deviceId: device3.id,
      currency: "EUR",
      expectedMinor: "700",
      treasurerId: treasurer.id,
      counted: "7",
    };
    for (const [patch, status] of [
      [{ counted: "seven" }, 400],
      [{ counted: "-7" }, 400],
      [{ counted: "7.001" }, 400],
      [{ counted: "" }, 400],
      [{ expectedMinor: "6.5" }, 400],
      [{ treasurerId: "<script>alert(1)</script>" }, 400],
      [{ treasurerId: otherTreasurer.id, expectedMinor: "701" }, 409],
      [{ deviceId: "x".repeat(80) }, 400],
    ] as [Record<string, string>, number][]) {
      const res = await unchanged(() =>
        organiser.postForm(`/admin/festivals/${festivalId}/money`, { ...form, ...patch }),
      );
      expect(res.status, JSON.stringify(patch)).toBe(status);
      expect(res.text).not.toContain("<script>alert(1)</script>");
    }
  });
});
