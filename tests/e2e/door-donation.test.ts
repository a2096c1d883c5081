// A pay-at-the-door order's pledged donation in the real scanner (Chromium, a
// phone-sized window, codes typed by hand): the verdict asks for the ticket and
// the donation on its own line and takes both in one payment; another order's
// buyer declines the pledge; a donation-only order, found by the search, is
// collected from its row. The ledger holds exactly what staff took. Then, on
// the festival's money page, an organiser records the device's cash handed to
// a treasurer with a shortfall, and the treasurer confirms receiving it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { createTicketTypeRow, createUserRow, PASSWORD } from "../helpers/fixtures";
import { incomeOf } from "../helpers/ledger";
import { browserPerTest, PHONE } from "./browser";
import { fakeCameraArgs, newDevice, startDoorFestival, type DoorFestival } from "./door-fixtures";

let door: DoorFestival;
const browsers = browserPerTest();

beforeAll(async () => {
  door = await startDoorFestival("Door donation festival");
});
afterAll(async () => {
  await door?.app.close();
});

async function order(
  quantity: number,
  donationMinor: number,
  name: string,
  ticketTypeId = door.typeId,
) {
  const res = await door.client.api("POST", `/api/v1/festivals/${door.festivalId}/orders`, {
    items: quantity ? [{ ticketTypeId, quantity }] : [],
    email: `${name.toLowerCase().replace(/\W+/g, "-")}@example.test`,
    name,
    paymentMethod: "door",
    donation: { amountMinor: donationMinor },
  });
  expect(res.status, res.text).toBe(201);
  return res.json<{ id: string; code: string; tickets: { id: string; qrToken: string }[] }>();
}

describe("the pledged donation at the door", () => {
  it("is asked with the ticket, declined by one buyer, and collected by the order when it is all there is", async () => {
    const withDonation = await order(1, 2000, "Pledging Buyer");
    const declining = await order(1, 500, "Declining Buyer");
    const donationOnly = await order(0, 2500, "Donorov Onlyson");
    const freeType = await createTicketTypeRow(door.festivalId, 0, 50, { "*": "Free entry" });
    const freeWithDonation = await order(1, 800, "Free Pledger", freeType.id);
    const device = await newDevice(door, "Donation door");
    const session = await browsers.launch(door.app.url, {
      viewport: PHONE,
      extraArgs: fakeCameraArgs(),
    });
    const { page } = session;
    await session.open(`/door#device=${device.token}`);
    await expect.poll(() => page.url()).toBe(`${door.app.url}/door`);
    const verdict = page.locator(".door-verdict");
    const result = () => verdict.getAttribute("data-result", { timeout: 200 }).catch(() => null);
    const enterCode = async (code: string) => {
      await page.getByRole("textbox", { name: "Ticket code" }).fill(code);
      await page.getByRole("button", { name: "Check", exact: true }).click();
    };
    const dismiss = async () => {
      await page.getByRole("button", { name: "Tap to scan the next ticket" }).click();
      await verdict.waitFor({ state: "detached" });
    };

    // 1. €15 ticket + €20 pledged donation: one payment of €35.
    await enterCode(withDonation.tickets[0]!.qrToken);
    await expect.poll(result).toBe("payment_due");
    expect(await verdict.textContent()).toContain("Payment due: €35.00");
    expect(await page.getByTestId("door-donation-line").textContent()).toBe(
      "€15.00 ticket + €20.00 pledged donation",
    );
    await session.screenshot("door-pledged-donation");
    await page.getByRole("button", { name: "Cash received: €35.00" }).click();
    await expect.poll(result).toBe("admitted");
    expect(await incomeOf(withDonation.id)).toEqual({ ticket: 1500, donation: 2000 });
    expect((await prisma.order.findUniqueOrThrow({ where: { id: withDonation.id } })).status).toBe(
      "paid",
    );
    await dismiss();

    // 2. The buyer declines: €15 taken, the donation leaves the order.
    await enterCode(declining.tickets[0]!.qrToken);
    await expect.poll(result).toBe("payment_due");
    await page
      .getByRole("button", { name: "Buyer declines the donation: €15.00 received" })
      .click();
    await expect.poll(result).toBe("admitted");
    expect(await incomeOf(declining.id)).toEqual({ ticket: 1500 });
    expect((await prisma.order.findUniqueOrThrow({ where: { id: declining.id } })).totalMinor).toBe(
      1500,
    );
    await dismiss();

    // 3. A free ticket with a pledged donation: the scan asks the donation before letting in.
    await enterCode(freeWithDonation.tickets[0]!.qrToken);
    await expect.poll(result).toBe("payment_due");
    expect(await verdict.textContent()).toContain("Payment due: €8.00");
    expect(await page.getByTestId("door-donation-line").textContent()).toBe(
      "Free ticket + €8.00 pledged donation",
    );
    await page.getByRole("button", { name: "Cash received: €8.00" }).click();
    await expect.poll(result).toBe("admitted");
    expect(await incomeOf(freeWithDonation.id)).toEqual({ donation: 800 });
    await dismiss();

    // 4. A donation-only order: no ticket to scan, found by name, collected from its row.
    await page.locator(".door-search-open").click();
    await page.getByRole("searchbox", { name: "Name or order code" }).fill("Donorov");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    const due = page.getByRole("list", { name: "Donations to collect" });
    await due.waitFor({ state: "visible" });
    expect(await due.textContent()).toContain("Pledged donation: €25.00");
    await due.getByRole("button", { name: "Cash received: €25.00" }).click();
    await page.getByText("Donation collected: €25.00.").waitFor({ state: "visible" });
    expect(await incomeOf(donationOnly.id)).toEqual({ donation: 2500 });
    expect((await prisma.order.findUniqueOrThrow({ where: { id: donationOnly.id } })).status).toBe(
      "paid",
    );
  });
});

describe("cash custody on the money page", () => {
  it("an organiser records a handover with a shortfall and the named treasurer confirms it", async () => {
    const organiser = await createUserRow({ role: "admin", name: "Mona Organiser" });
    const treasurer = await createUserRow({ role: "treasurer", name: "Tomas Treasurer" });
    const device = await newDevice(door, "Cash door");
    const placed = await order(0, 2500, "Cash Custody Buyer");
    const paid = await door.client.api(
      "POST",
      "/api/v1/door/payments",
      { orderId: placed.id, amountMinor: 2500 },
      device.token,
    );
    expect(paid.status, paid.text).toBe(200);

    const signIn = async (email: string) => {
      const session = await browsers.launch(door.app.url, { viewport: PHONE });
      await session.open("/login");
      await session.page.getByLabel("Email").fill(email);
      await session.page.getByLabel("Password").fill(PASSWORD);
      await session.page.getByRole("button", { name: "Sign in" }).click();
      await session.page.waitForURL((u) => u.pathname === "/admin");
      await session.open(`/admin/festivals/${door.festivalId}/money`);
      return session;
    };
    const noSidewaysScroll = (session: Awaited<ReturnType<typeof signIn>>) =>
      session.page.evaluate(
        () => document.documentElement.scrollWidth <= document.documentElement.clientWidth,
      );

    // The organiser: the device holds €25.00; counted €24.00 are handed to Tomas.
    const org = await signIn(organiser.email);
    const row = org.page.getByRole("row", { name: /Cash door/ });
    expect(await row.textContent()).toContain("€25.00");
    await row.getByText("Record a handover").click();
    await row.getByLabel("Handed to treasurer").selectOption(treasurer.id);
    await row.getByLabel("Counted cash").fill("24.00");
    await row.getByRole("button", { name: "Yes, record the handover" }).click();
    await org.page.getByText("Handover recorded.").waitFor({ state: "visible" });
    const handovers = org.page.getByRole("region", { name: "Handovers" });
    expect(await handovers.textContent()).toContain("-€1.00");
    expect(await handovers.textContent()).toContain("In transit");
    expect(await noSidewaysScroll(org)).toBe(true);
    await org.screenshot("money-handover-recorded");
    const handover = await prisma.cashHandover.findFirstOrThrow({
      where: { deviceId: device.id },
    });
    expect(handover).toMatchObject({ expectedMinor: 2500, countedMinor: 2400, confirmedAt: null });

    // The treasurer named in it confirms.
    const tre = await signIn(treasurer.email);
    await tre.page.getByText("Confirm I received it").click();
    await tre.page.getByRole("button", { name: "Yes, I received €24.00" }).click();
    await tre.page.getByText("Receipt confirmed.").waitFor({ state: "visible" });
    // The page's figures come back with the revalidation that follows the action.
    await tre.page
      .getByTestId("treasurer-cash-EUR")
      .filter({ hasText: /^€24\.00$/ })
      .waitFor({ state: "visible", timeout: 5000 });
    expect(await tre.page.getByTestId("treasurer-cash-EUR").textContent()).toBe("€24.00");
    expect(await noSidewaysScroll(tre)).toBe(true);
    await tre.screenshot("money-receipt-confirmed");
    expect(
      (await prisma.cashHandover.findUniqueOrThrow({ where: { id: handover.id } })).confirmedById,
    ).toBe(treasurer.id);
  });
});
