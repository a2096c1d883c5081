// Issue 13, exports: every festival export downloads over HTTP from the
// production build and parses back (csv-parse, an independent reader) to the
// database's own numbers: a UTF-8 BOM, Cyrillic intact, amounts in major units
// beside their currency, times with the festival's offset, the donation's
// earmark, no anonymous buyer's name or email, no payout recipient. Ledger and
// payouts are for treasurers only; another festival's organiser cannot tell a
// festival from none; every download writes its audit row. The audit log reads
// in names.
import { parse } from "csv-parse/sync";
import { DateTime } from "luxon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma, sqlClient } from "~/utils/db.server";
import { Client, startTestApp, type TestApp } from "../helpers/app";
import {
  addMember,
  createDoorDeviceViaApi,
  createPrisonerRow,
  createUserRow,
  doorFestival,
  signedInAdmin,
  signedInClient,
  uniqueEmail,
} from "../helpers/fixtures";
import { fundPrisoner } from "../helpers/funds";
import { createArtistRow, createSlotRow } from "../helpers/tattoo";
import { createMoneyUser, moneyBrowser, type MoneyUser } from "../helpers/treasury";

const BUYER = "Анна Петрова";
const ANON_EMAIL = uniqueEmail("anonymous-buyer");
const RECIPIENT = "Мария Получатель";
const ARTIST = "Мастер Тату";
const PRISONER = "Иван Иванов";
const ORGANISER = "Ольга Организатор";
/** 2030-01-26 16:00 in Riga (EET, +02:00). */
const SLOT_START = new Date("2030-01-26T14:00:00Z");

let app: TestApp;
let admin: Client;
let organiser: Client;
let organiserId: string;
let otherOrganiser: Client;
let treasurer: Client;
let t1: MoneyUser;
let festival: { id: string; slug: string; typeId: string };
let prisonerId: string;

type Download = { status: number; headers: Headers; bytes: Uint8Array; text: string };

/** A download as bytes (fetch's text() would drop the BOM), with the client's session. */
async function download(client: Client, path: string, lang = "ru"): Promise<Download> {
  const res = await fetch(app.url + path, {
    headers: {
      Cookie: [...client.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
      "Accept-Language": lang,
    },
    redirect: "manual",
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, bytes, text: new TextDecoder().decode(bytes) };
}

/** The rows of a CSV download, after checking it is one: type, BOM, announced size. */
function rowsOf(d: Download): Record<string, string>[] {
  expect(d.status, d.text.slice(0, 300)).toBe(200);
  expect(d.headers.get("content-type")).toBe("text/csv; charset=utf-8");
  expect([...d.bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  expect(Number(d.headers.get("x-export-bytes"))).toBe(d.bytes.byteLength);
  // As a spreadsheet shows them: a cell the writer quoted because it starts like
  // a formula (a random ticket id may start with "-") reads without that quote.
  const rows = parse(Buffer.from(d.bytes), {
    bom: true,
    columns: true,
    cast: (value) => value.replace(/^'(?=[=+\-@\t\r])/, ""),
  }) as Record<string, string>[];
  expect(Number(d.headers.get("x-export-rows"))).toBe(rows.length);
  return rows;
}

/** A major-unit amount back in minor units (EUR: exactly two digits). */
function minor(amount: string | undefined): number {
  expect(amount).toMatch(/^-?\d+\.\d{2}$/);
  return Number(amount!.replace(".", ""));
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const rigaTime = (d: Date) =>
  DateTime.fromJSDate(d, { zone: "Europe/Riga" })
    .startOf("second")
    .toISO({ suppressMilliseconds: true });

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  const client = new Client(app.url);
  const a = await signedInAdmin(app.url);
  admin = a.browser;
  festival = await doorFestival(client, a.token, { typeName: { en: "Standard", ru: "Стандарт" } });
  prisonerId = (
    await createPrisonerRow(`exp-${Date.now()}`, { en: "Ivan Ivanov", ru: PRISONER }, [festival.id])
  ).id;

  const org = await createUserRow({ name: ORGANISER });
  organiserId = org.id;
  await addMember(festival.id, org.id, "organiser");
  organiser = await signedInClient(app.url, org.email);
  const other = await doorFestival(client, a.token);
  const otherOrg = await createUserRow();
  await addMember(other.id, otherOrg.id, "organiser");
  otherOrganiser = await signedInClient(app.url, otherOrg.email);

  // Orders through the public checkout: a named buyer with an earmarked donation, an anonymous one.
  const order = (body: Record<string, unknown>) =>
    client.api("POST", `/api/v1/festivals/${festival.id}/orders`, {
      paymentMethod: "door",
      ...body,
    });
  const named = await order({
    items: [{ ticketTypeId: festival.typeId, quantity: 2 }],
    donation: { amountMinor: 750, prisonerId },
    email: uniqueEmail("named-buyer"),
    name: BUYER,
  });
  expect(named.status, named.text).toBe(201);
  const anonymous = await order({
    items: [{ ticketTypeId: festival.typeId, quantity: 1 }],
    email: ANON_EMAIL,
  });
  expect(anonymous.status, anonymous.text).toBe(201);
  const anonTicket = anonymous.json<{ tickets: { id: string; qrToken: string }[] }>().tickets[0]!;
  await prisma.ticket.updateMany({ where: { id: anonTicket.id }, data: { amountDueMinor: 0 } });

  // One admission at the door.
  const device = await createDoorDeviceViaApi(client, a.token, festival.id, "Вход 1");
  const scan = await client.api(
    "POST",
    "/api/v1/door/scans",
    { token: anonTicket.qrToken, nonce: `exp-${Date.now()}` },
    device.token,
  );
  expect(scan.status, scan.text).toBe(200);

  // A tattoo slot booked anonymously, and one left free.
  const artist = await createArtistRow(festival.id, { name: ARTIST });
  const slot = await createSlotRow(festival.id, artist.id, SLOT_START);
  await createSlotRow(festival.id, artist.id, new Date(SLOT_START.getTime() + 3600_000));
  const booking = await order({
    items: [{ kind: "tattoo_slot", tattooSlotId: slot.id, donationMinor: 2500 }],
    email: uniqueEmail("tattoo-buyer"),
  });
  expect(booking.status, booking.text).toBe(201);

  await prisma.festivalCost.create({
    data: {
      id: `cost-exp-${Date.now()}`,
      festivalId: festival.id,
      category: "venue",
      description: "Аренда зала",
      amountMinor: 12_345,
      currency: "EUR",
    },
  });

  // Money in Ivan's fund at this festival, and a payout of part of it to a recipient.
  await fundPrisoner({ festivalId: festival.id, prisonerId, amountMinor: 50_000 });
  t1 = await createMoneyUser({ name: "Тамара Казначей" });
  const t2 = await createMoneyUser();
  const { createRecipient } = await import("~/models/recipients.server");
  const payouts = await import("~/models/payouts.server");
  const recipient = await createRecipient(t1.actor, {
    prisonerId,
    kind: "lawyer",
    displayName: RECIPIENT,
    details: "IBAN LV00 0000 0000 0000",
  });
  const payout = await payouts.proposePayout(t1.actor, {
    prisonerId,
    recipientId: recipient.id,
    category: "lawyer",
    amountMinor: 20_000,
    currency: "EUR",
  });
  await payouts.approvePayout(t2.actor, payout.id);
  await payouts.markPayoutPaid(t2.actor, payout.id, {
    reference: "ref-exp-1",
    paidAt: new Date(Date.now() - 1000).toISOString(),
  });
  treasurer = await moneyBrowser(app.url, t1);
});
afterAll(() => app?.close());

describe("festival exports", () => {
  it("orders: the database's totals, the earmark, Riga's offset, anonymous buyers left out", async () => {
    const d = await download(organiser, `/admin/festivals/${festival.id}/orders.csv`);
    const rows = rowsOf(d);
    const orders = await prisma.order.findMany({
      where: { festivalId: festival.id },
      include: { items: true },
      orderBy: { createdAt: "asc" },
    });
    expect(rows.map((r) => r.code)).toEqual(orders.map((o) => o.code));
    expect(sum(rows.map((r) => minor(r.total)))).toBe(sum(orders.map((o) => o.totalMinor)));
    expect(rows.every((r) => r.currency === "EUR")).toBe(true);
    const donations = orders.flatMap((o) => o.items).filter((i) => i.kind === "donation");
    expect(sum(rows.map((r) => minor(r.donation)))).toBe(sum(donations.map((i) => i.amountMinor)));
    for (const [i, o] of orders.entries()) {
      expect(rows[i]!.created_at).toBe(rigaTime(o.createdAt));
      expect(rows[i]!.created_at).toMatch(/\+02:00$/);
    }
    const named = rows.find((r) => r.name === BUYER)!;
    expect(named).toMatchObject({ donation: "7.50", donation_earmark: PRISONER });
    expect(named.tickets).toBe("2 × Стандарт");
    expect(named.email).toMatch(/^named-buyer/);
    // The anonymous buyers: no name and no email, anywhere in the file.
    const anonymous = rows.filter((r) => r.name === "");
    expect(anonymous.length).toBe(2);
    for (const r of anonymous) expect(r.email).toBe("");
    expect(d.text).not.toContain(ANON_EMAIL);
    expect(d.text).not.toContain("tattoo-buyer");
    expect(sum(rows.map((r) => minor(r.tattoo)))).toBe(2500);
  });

  it("tickets and check-ins: one row each, in Riga's time, in Russian", async () => {
    const tickets = rowsOf(
      await download(organiser, `/admin/festivals/${festival.id}/tickets.csv`),
    );
    const db = await prisma.ticket.findMany({ where: { festivalId: festival.id } });
    expect(tickets.length).toBe(db.length);
    expect(new Set(tickets.map((t) => t.ticket_id))).toEqual(new Set(db.map((t) => t.id)));
    expect(tickets.every((t) => t.ticket_type === "Стандарт" && t.price === "15.00")).toBe(true);
    expect(sum(tickets.map((t) => minor(t.due_at_door)))).toBe(
      sum(db.map((t) => t.amountDueMinor)),
    );
    const admitted = tickets.filter((t) => t.admitted_at !== "");
    expect(admitted.length).toBe(1);
    expect(admitted[0]!.admitted_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[23]:00$/);

    const checkIns = rowsOf(
      await download(organiser, `/admin/festivals/${festival.id}/check-ins.csv`),
    );
    const scans = await prisma.checkIn.findMany({ where: { festivalId: festival.id } });
    expect(checkIns.length).toBe(scans.length);
    expect(checkIns[0]).toMatchObject({
      result: "admitted",
      device: expect.stringContaining("Вход 1"),
      ticket_type: "Стандарт",
      scanned_at: rigaTime(scans[0]!.scannedAt),
    });
  });

  it("tattoo schedule: every slot in Riga's time, the booking's donation, no anonymous name", async () => {
    const rows = rowsOf(
      await download(organiser, `/admin/festivals/${festival.id}/tattoo-schedule.csv`),
    );
    expect(rows.map((r) => r.starts_at)).toEqual([
      "2030-01-26T16:00:00+02:00",
      "2030-01-26T17:00:00+02:00",
    ]);
    expect(rows[0]).toMatchObject({
      artist: ARTIST,
      booking_status: expect.stringMatching(/^(held|booked)$/),
      currency: "EUR",
      min_donation: "20.00",
      donation: "25.00",
      name: "",
    });
    expect(rows[1]).toMatchObject({ artist: ARTIST, booking_status: "", donation: "" });
  });

  it("costs: the amount in major units", async () => {
    const rows = rowsOf(await download(organiser, `/admin/festivals/${festival.id}/costs.csv`));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      description: "Аренда зала",
      currency: "EUR",
      amount: "123.45",
      status: "submitted",
    });
    expect(rows[0]!.submitted_at).toMatch(/\+0[23]:00$/);
  });

  it("ledger: every posting; entries balance and accounts sum to the database's balances", async () => {
    const rows = rowsOf(await download(treasurer, `/admin/festivals/${festival.id}/ledger.csv`));
    const { rows: balances } = await sqlClient().execute({
      sql: `SELECT a.id, SUM(p.amountMinor) AS balance, COUNT(*) AS n FROM LedgerPosting p
            JOIN LedgerAccount a ON a.id = p.accountId JOIN LedgerEntry e ON e.id = p.entryId
            WHERE e.festivalId = ? GROUP BY a.id`,
      args: [festival.id],
    });
    expect(rows.length).toBe(sum(balances.map((b) => Number(b.n))));
    const byAccount = new Map<string, number>();
    for (const r of rows)
      byAccount.set(r.account_id!, (byAccount.get(r.account_id!) ?? 0) + minor(r.amount));
    expect(Object.fromEntries(byAccount)).toEqual(
      Object.fromEntries(balances.map((b) => [String(b.id), Number(b.balance)])),
    );
    expect(sum(rows.map((r) => minor(r.amount)))).toBe(0);
    // The earmarked money shows the prisoner's public name; never the recipient.
    expect(rows.some((r) => r.account === "fund" && r.earmark === PRISONER)).toBe(true);
    expect(rows.find((r) => r.kind === "payout")!.created_at).toMatch(/\+0[23]:00$/);
    expect(JSON.stringify(rows)).not.toContain(RECIPIENT);
  });

  it("payouts: what was drawn from this festival, by prisoner and purpose, never to whom", async () => {
    const d = await download(treasurer, `/admin/festivals/${festival.id}/payouts.csv`);
    const rows = rowsOf(d);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      prisoner: PRISONER,
      category: "lawyer",
      currency: "EUR",
      amount_from_festival: "200.00",
      payout_total: "200.00",
    });
    expect(rows[0]!.paid_at).toMatch(/\+0[23]:00$/);
    const { rows: drawn } = await sqlClient().execute({
      sql: `SELECT SUM(p.amountMinor) AS n FROM LedgerPosting p JOIN LedgerEntry e ON e.id = p.entryId
            JOIN LedgerAccount a ON a.id = p.accountId
            WHERE e.festivalId = ? AND e.kind = 'payout' AND a.code = 'fund'`,
      args: [festival.id],
    });
    expect(minor(rows[0]!.amount_from_festival)).toBe(Number(drawn[0]!.n));
    expect(d.text).not.toContain(RECIPIENT);
    expect(d.text).not.toContain("LV00");
  });

  it("the public reports follow the same convention: BOM, major units, currency", async () => {
    const rows = rowsOf(
      await download(new Client(app.url), `/transparency/festivals/${festival.slug}.csv`),
    );
    const gross = rows.find((r) => r.section === "gross_total")!;
    expect(gross.currency).toBe("EUR");
    minor(gross.amount);
  });
});

describe("who may download", () => {
  it("ledger and payouts: 403 for the festival's organiser; treasurers only", async () => {
    for (const kind of ["ledger", "payouts"]) {
      const res = await organiser.get(`/admin/festivals/${festival.id}/${kind}.csv`);
      expect(res.status, kind).toBe(403);
      expect(res.text).not.toContain(PRISONER);
    }
  });

  it("another festival's organiser gets 404 for every export, like a festival that does not exist", async () => {
    for (const kind of ["orders", "tickets", "check-ins", "tattoo-schedule", "costs"]) {
      const res = await otherOrganiser.get(`/admin/festivals/${festival.id}/${kind}.csv`);
      expect(res.status, kind).toBe(404);
      expect(res.text).not.toContain(BUYER);
      const none = await organiser.get(`/admin/festivals/c0000000000000000000nope/${kind}.csv`);
      expect(none.status, kind).toBe(404);
    }
    for (const kind of ["ledger", "payouts"])
      expect((await otherOrganiser.get(`/admin/festivals/${festival.id}/${kind}.csv`)).status).toBe(
        403,
      );
    // A treasurer's unknown festival: 404 too.
    const none = await treasurer.get(`/admin/festivals/c0000000000000000000nope/ledger.csv`);
    expect(none.status).toBe(404);
  });

  it("a signed-out visitor is sent to sign in, and gets no CSV", async () => {
    const res = await new Client(app.url).get(`/admin/festivals/${festival.id}/orders.csv`);
    expect(res.status).toBe(302);
    expect(res.text).not.toContain(BUYER);
  });
});

describe("the audit log", () => {
  it("has one row per download: who, which export, which festival, how many rows", async () => {
    const before = await prisma.auditEvent.count({ where: { action: "export.csv" } });
    const rows = rowsOf(await download(organiser, `/admin/festivals/${festival.id}/orders.csv`));
    const events = await prisma.auditEvent.findMany({
      where: { action: "export.csv" },
      orderBy: { id: "desc" },
    });
    expect(events.length).toBe(before + 1);
    expect(events[0]).toMatchObject({
      actorUserId: organiserId,
      targetType: "festival",
      targetId: festival.id,
      festivalId: festival.id,
    });
    expect(JSON.parse(events[0]!.details)).toEqual({ export: "orders", rows: rows.length });
    // A refused download writes nothing.
    await organiser.get(`/admin/festivals/${festival.id}/ledger.csv`);
    expect(await prisma.auditEvent.count({ where: { action: "export.csv" } })).toBe(before + 1);
    // Every kind was audited, by the people who downloaded it.
    const kinds = await prisma.auditEvent.findMany({
      where: { action: "export.csv", festivalId: festival.id },
      select: { actorUserId: true, details: true },
    });
    const seen = new Map(
      kinds.map((k) => [(JSON.parse(k.details) as { export: string }).export, k.actorUserId]),
    );
    expect(seen.get("ledger")).toBe(t1.id);
    expect(seen.get("payouts")).toBe(t1.id);
    for (const k of ["orders", "tickets", "check-ins", "tattoo-schedule", "costs"])
      expect(seen.get(k), k).toBe(organiserId);
  });

  it("reads in names: the actor, the festival and the record, not their ids", async () => {
    const res = await admin.get("/admin/audit");
    expect(res.status).toBe(200);
    const rowHtml = res.text
      .split("<tr")
      .find((r) => r.includes("export.csv") && r.includes(ORGANISER));
    expect(rowHtml, "an export row naming the organiser").toBeDefined();
    const festivalName = (await prisma.festival.findUniqueOrThrow({ where: { id: festival.id } }))
      .name;
    expect(rowHtml).toContain(festivalName);
    expect(rowHtml).not.toContain(festival.id);
    expect(rowHtml).not.toContain(organiserId);
    // A payout is its prisoner, purpose and amount — never its recipient.
    // (The page is in English here: the prisoner's English name.)
    const payoutRow = res.text.split("<tr").find((r) => r.includes("payout.paid"))!;
    expect(payoutRow).toContain("Ivan Ivanov · lawyer · €200.00");
    const proposed = res.text.split("<tr").find((r) => r.includes("payout.propose"));
    if (proposed) expect(proposed).toContain("Тамара Казначей");
    expect(res.text).not.toContain(RECIPIENT);
  });

  it("is for admins only", async () => {
    expect((await organiser.get("/admin/audit")).status).toBe(403);
    expect((await new Client(app.url).get("/admin/audit")).status).toBe(302);
  });
});
