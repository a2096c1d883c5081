// Money to a prisoner's lawyer, in a real Chromium on a phone-sized screen:
// a prisoner's fund is filled by a real flow (a donation earmarked for them,
// paid in cash at the door); treasurer A signs in through the login form and
// its one-time-code step, adds a recipient and proposes a payout (their own
// approve button is disabled); treasurer B signs in the same way, approves it
// and marks it paid with a reference; the public monthly report then shows the
// payout by purpose and prisoner, and nothing of the recipient.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { createPrisonerRow, PASSWORD, uniqueEmail } from "../helpers/fixtures";
import { createMoneyUser, totpCode, type MoneyUser } from "../helpers/treasury";
import { browserPerTest, PHONE, type BrowserSession } from "./browser";
import { newDevice, startDoorFestival, type DoorFestival } from "./door-fixtures";

let door: DoorFestival;
let prisoner: { id: string };
let anna: MoneyUser;
let boris: MoneyUser;
const browsers = browserPerTest();

const PRISONER = { en: "Boris Kagarlitsky", ru: "Борис Кагарлицкий" };
// What must never reach a public page.
const RECIPIENT_NAME = "Irina Zashchitnikova-Advokatova";
const RECIPIENT_DETAILS = "IBAN LT12 1000 0111 0100 1000, Sberbank card 4276 3800 1234 5678";
const REFERENCE = "SWIFT-REF-777-PRIVATE";

beforeAll(async () => {
  door = await startDoorFestival("Payout flow festival");
  prisoner = await createPrisonerRow(`payout-flow-${Date.now().toString(36)}`, PRISONER, [
    door.festivalId,
  ]);
  // €200 for Boris Kagarlitsky, with a ticket, paid in cash at the door: his fund holds it.
  const order = await door.client.api("POST", `/api/v1/festivals/${door.festivalId}/orders`, {
    items: [{ ticketTypeId: door.typeId, quantity: 1 }],
    email: uniqueEmail("donor"),
    paymentMethod: "door",
    donation: { amountMinor: 20_000, prisonerId: prisoner.id },
  });
  expect(order.status, order.text).toBe(201);
  const { tickets } = order.json<{ tickets: { qrToken: string }[] }>();
  const device = await newDevice(door, "Front door");
  const paid = await door.client.api(
    "POST",
    "/api/v1/door/payments",
    { token: tickets[0]!.qrToken, nonce: "payout-flow-door-payment" },
    device.token,
  );
  expect(paid.status, paid.text).toBe(200);
  anna = await createMoneyUser({ name: "Anna Treasurer" });
  boris = await createMoneyUser({ name: "Boris Treasurer" });
});
afterAll(() => door?.app.close());

/** Sign in through the form, then the second step with the authenticator's code. */
async function signIn(session: BrowserSession, user: MoneyUser) {
  const { page } = session;
  await session.open("/login");
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((u) => u.pathname === "/account/security");
  await session.hydrated();
  await page.locator('input[name="code"]').fill(totpCode(user.secret));
  await page.locator('button[name="intent"][value="verify"]').click();
  await page.waitForURL((u) => u.pathname.startsWith("/admin"));
  await session.hydrated();
  await page.getByRole("link", { name: "Treasury" }).click();
  await page.waitForURL((u) => u.pathname === "/admin/treasury");
}

const status = (page: Page) => page.getByRole("status");

describe("a payout from a prisoner's fund, by two treasurers", () => {
  it("A proposes, B approves and pays, the public month report shows it without the recipient", async () => {
    // ---- treasurer A
    const a = await browsers.launch(door.app.url, { viewport: PHONE });
    await signIn(a, anna);
    const fund = a.page.getByTestId(`fund-${prisoner.id}`);
    await expect.poll(() => fund.textContent()).toContain(PRISONER.en);
    await expect.poll(() => fund.getByTestId("available-EUR").textContent()).toContain("200.00");

    await a.page.getByRole("navigation", { name: "Treasury sections" }).getByRole("link", { name: "Recipients" }).click(); // prettier-ignore
    await a.page.waitForURL((u) => u.pathname === "/admin/treasury/recipients");
    await a.page.getByLabel("Prisoner").selectOption({ label: PRISONER.en });
    await a.page.getByLabel("Kind").selectOption("lawyer");
    await a.page.getByLabel("Name (as the treasurers know them)").fill(RECIPIENT_NAME);
    await a.page.getByLabel("Payment details (bank, card or phone)").fill(RECIPIENT_DETAILS);
    await a.page.getByRole("button", { name: "Add the recipient" }).click();
    await expect.poll(() => status(a.page).textContent()).toContain("The recipient was added.");
    // The form emptied itself: the details are not left on the screen.
    await expect
      .poll(() => a.page.getByLabel("Payment details (bank, card or phone)").inputValue())
      .toBe("");
    // The URL names no recipient.
    expect(a.page.url()).not.toContain("Irina");

    await a.page.getByRole("link", { name: "Payouts" }).first().click();
    await a.page.waitForURL((u) => u.pathname === "/admin/treasury/payouts");
    await a.page.getByLabel("Prisoner").selectOption({ label: PRISONER.en });
    await a.page.getByLabel("Recipient").selectOption({ index: 1 });
    await a.page.getByLabel("Purpose").selectOption("lawyer");
    await a.page.getByLabel("Amount").fill("120");
    await a.page.getByLabel("Currency").fill("EUR");
    await a.page.getByRole("button", { name: "Propose", exact: true }).click();
    await expect.poll(() => status(a.page).textContent()).toContain("Proposed.");
    const proposed = await prisma.payout.findFirstOrThrow({ where: { prisonerId: prisoner.id } });
    expect(proposed).toMatchObject({ status: "proposed", amountMinor: 12_000, currency: "EUR" });
    const card = a.page.getByTestId(`payout-${proposed.id}`);
    // A's own proposal: the approve button is there, disabled, and says why.
    await expect.poll(() => card.getByRole("button", { name: "Approve" }).isDisabled()).toBe(true);
    await expect.poll(() => card.textContent()).toContain("another treasurer must approve it");
    await a.screenshot("e2e-treasury-payouts-proposer-phone");
    expect(a.problems).toEqual([]);

    // ---- treasurer B
    const b = await browsers.launch(door.app.url, { viewport: PHONE });
    await signIn(b, boris);
    // The overview says what waits for B's approval, and leads to it.
    await b.page
      .getByRole("link", { name: `Payout: Lawyer fees for ${PRISONER.en}, €120.00` })
      .click();
    await b.page.waitForURL((u) => u.pathname === "/admin/treasury/payouts");
    const bCard = b.page.getByTestId(`payout-${proposed.id}`);
    await expect.poll(() => bCard.getByRole("button", { name: "Approve" }).isEnabled()).toBe(true);
    await bCard.getByRole("button", { name: "Approve" }).click();
    await expect.poll(() => status(b.page).textContent()).toContain("Approved.");
    await b.screenshot("e2e-treasury-payouts-approved-phone");
    await expect.poll(() => bCard.getByTestId("approvals").textContent()).toContain("Boris Treasurer"); // prettier-ignore
    await bCard.getByText("Mark paid", { exact: true }).click();
    await bCard.getByLabel("Payment reference").fill(REFERENCE);
    await bCard.getByRole("button", { name: "Mark it paid" }).click();
    await expect.poll(() => status(b.page).textContent()).toContain("Marked paid.");
    const paid = await prisma.payout.findUniqueOrThrow({ where: { id: proposed.id } });
    expect(paid.status).toBe("paid");
    expect(paid.paidAt).not.toBeNull();
    await b.page.getByRole("link", { name: "Funds" }).first().click();
    await b.page.waitForURL((u) => u.pathname === "/admin/treasury");
    await expect
      .poll(() =>
        b.page.getByTestId(`fund-${prisoner.id}`).getByTestId("available-EUR").textContent(),
      )
      .toContain("80.00");
    await b.screenshot("e2e-treasury-overview-phone");
    expect(b.problems).toEqual([]);

    // ---- anyone: the public monthly report
    const month = paid.paidAt!.toISOString().slice(0, 7);
    const visitor = await browsers.launch(door.app.url, { viewport: PHONE });
    const res = await visitor.page.goto(`/transparency/${month}`);
    expect(res?.status()).toBe(200);
    await visitor.hydrated();
    const text = (await visitor.page.locator("body").innerText()).replace(/\s+/g, " ");
    // "Lawyer fees for Boris Kagarlitsky — €120.00": by purpose and prisoner.
    expect(text).toContain(`Lawyer fees for ${PRISONER.en}`);
    expect(text).toContain("€120.00");
    const html = await visitor.page.content();
    for (const secret of [
      RECIPIENT_NAME,
      "Zashchitnikova",
      RECIPIENT_DETAILS,
      "4276 3800",
      REFERENCE,
    ]) {
      expect(text, `the public page shows "${secret}"`).not.toContain(secret);
      expect(html, `the public page's HTML holds "${secret}"`).not.toContain(secret);
    }
    await visitor.screenshot("e2e-transparency-month-phone");
    expect(visitor.problems).toEqual([]);
  });
});
