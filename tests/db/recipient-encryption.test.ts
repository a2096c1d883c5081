// Recipients' details are encrypted at rest (issue 11, decision 0011): after
// recipients are created (and edited), payouts to them proposed, approved and
// paid with notes and references, the raw bytes of the database file and of
// its write-ahead log hold no plaintext name, detail, note or reference — not
// in the Recipient or Payout rows, nor in the audit log, the ledger's memos or
// the email outbox — before and after the WAL is checkpointed into the file.
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshTestEnv, type TestEnv } from "../helpers/env";
import type { MoneyUser } from "../helpers/treasury";
import type { ProceedsApi } from "../helpers/proceeds";
import type * as DbServer from "~/utils/db.server";

let env: TestEnv;
let db: typeof DbServer;
let api: ProceedsApi;
let treasurers: MoneyUser[];

/** What must never be stored in the clear (each distinctive enough to be found if it were). */
const SECRETS = {
  displayName: "Zinaida Quokkaberg-Vorontsova",
  details: "Sberbank card 4276 3801 9922 5177, phone +7 916 555 01 93",
  notes: "meets the lawyer near Matrosskaya Tishina on Tuesdays",
  displayName2: "Advokat Feofan Lyubomirsky",
  details2: "IBAN LT60 7300 0101 6677 4491",
  payoutNote: "for the parcel of warm socks via Ulyana",
  reference: "TRANSFER-ZQ-77412-ULYANA",
  /** The lawyer's new details, after an edit (re-sealed as a whole). */
  details3: "Raiffeisen 40702810900000077123, Tverskaya office",
};

/** The needles: every secret, and its parts that identify on their own (the surname, the card number). */
function needles(): string[] {
  const out = new Set<string>();
  for (const s of Object.values(SECRETS)) {
    out.add(s);
    for (const word of s.split(/[\s,]+/)) if (word.length >= 7) out.add(word);
  }
  out.add("4276380199225177");
  out.add("4276 3801 9922 5177");
  out.add("LT607300010166774491");
  out.add("40702810900000077123");
  return [...out];
}

/** Where each needle occurs in a file's raw bytes (UTF-8 and UTF-16LE), case-insensitively. */
function findIn(file: string): string[] {
  if (!fs.existsSync(file)) return [];
  const bytes = fs.readFileSync(file);
  const latin = bytes.toString("latin1").toLowerCase();
  const found: string[] = [];
  for (const n of needles()) {
    const utf8 = Buffer.from(n.toLowerCase(), "utf8").toString("latin1");
    const utf16 = Buffer.from(n.toLowerCase(), "utf16le").toString("latin1");
    if (latin.includes(utf8) || latin.includes(utf16)) found.push(n);
  }
  return found;
}

function rawLeaks() {
  return {
    database: findIn(env.databaseFile),
    wal: findIn(`${env.databaseFile}-wal`),
    journal: findIn(`${env.databaseFile}-journal`),
  };
}

beforeAll(async () => {
  env = freshTestEnv({ PAYOUT_APPROVALS: "1" });
  db = await import("~/utils/db.server");
  // As the server runs it (server/index.ts): the file in WAL mode.
  await db.prepareDatabase();
  const { proceeds } = await import("../helpers/proceeds");
  api = await proceeds();
  const treasury = await import("../helpers/treasury");
  treasurers = [await treasury.createMoneyUser(), await treasury.createMoneyUser()];
});
afterAll(async () => {
  await db?.disconnectDatabase();
});

describe("recipient details at rest", () => {
  it("are in neither the database file nor its WAL, in no table, before or after a checkpoint", async () => {
    const fixtures = await import("../helpers/fixtures");
    const { sqlClient } = db;
    const festival = await fixtures.createFestivalRow({
      status: "published",
      publishedAt: new Date(Date.now() - 86_400_000),
      paymentMethods: JSON.stringify(["door"]),
    });
    const prisoner = await fixtures.createPrisonerRow("enc-prisoner", { en: "Enc Prisoner" }, [
      festival.id,
    ]);
    const [a, b] = treasurers as [MoneyUser, MoneyUser];
    const now = new Date();
    const relative = await api.createRecipient(a.actor, {
      prisonerId: prisoner.id,
      kind: "relative",
      displayName: SECRETS.displayName,
      details: SECRETS.details,
      notes: SECRETS.notes,
      monthlyCap: { amountMinor: 1_000_000, currency: "EUR" },
      timezone: "Europe/Moscow",
    });
    const lawyer = await api.createRecipient(b.actor, {
      prisonerId: prisoner.id,
      kind: "lawyer",
      displayName: SECRETS.displayName2,
      details: SECRETS.details2,
    });
    expect(relative).not.toBe(lawyer);
    const recipients = await import("~/models/recipients.server");
    await recipients.updateRecipient(
      a.actor,
      lawyer,
      recipients.recipientUpdateInput.parse({ details: SECRETS.details3 }),
    );

    // Money in the prisoner's fund (an earmarked door donation), then payouts to both.
    const type = await fixtures.createTicketTypeRow(festival.id, 1000, 100);
    const orders = await import("~/models/order.server");
    const door = await import("~/models/door.server");
    const placed = await orders.placeOrder(
      festival.id,
      orders.checkoutSchema().parse({
        items: [{ ticketTypeId: type.id, quantity: 1 }],
        email: "enc-buyer@example.test",
        paymentMethod: "door",
        donation: { amountMinor: 50_000, prisonerId: prisoner.id },
      }),
      { locale: "en", now, stripeAvailable: false },
    );
    const device = await db.prisma.doorDevice.create({
      data: { festivalId: festival.id, name: "Door", tokenHash: "enc-door", createdById: a.id },
    });
    expect(
      (
        await door.payAtDoor(
          { id: device.id, festivalId: festival.id, name: device.name },
          { ticketId: placed.order.tickets[0]!.id, nonce: "enc-pay", amountMinor: 51_000 },
          "en",
          now,
        )
      ).result,
    ).toBe("admitted");
    for (const recipientId of [relative, lawyer]) {
      const id = await api.proposePayout(
        a.actor,
        {
          prisonerId: prisoner.id,
          recipientId,
          category: "parcels_letters",
          amountMinor: 10_000,
          currency: "EUR",
          note: SECRETS.payoutNote,
        },
        now,
      );
      await api.approvePayout(b.actor, id, now);
      await api.markPayoutPaid(b.actor, id, { paidAt: now, reference: SECRETS.reference }, now);
      expect(await api.payoutStatus(id)).toBe("paid");
    }

    // The rows hold ciphertext only ("v1.<keyId>.…"), readable back with the right context.
    const rows = await db.prisma.recipient.findMany({ where: { prisonerId: prisoner.id } });
    expect(rows).toHaveLength(2);
    const { decryptString } = await import("~/utils/encryption.server");
    for (const r of rows) {
      expect(r.sealed).toMatch(/^v1\.[^.]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
      const open = JSON.parse(decryptString(r.sealed, `recipient:${r.id}`)) as {
        displayName: string;
      };
      expect([SECRETS.displayName, SECRETS.displayName2]).toContain(open.displayName);
    }

    // No table holds any of it in the clear (audit details, ledger memos, outbox payloads, …).
    const tables = await sqlClient().execute(
      `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_prisma%'`,
    );
    const hits: string[] = [];
    for (const t of tables.rows) {
      const name = String(t.name);
      const { rows: all } = await sqlClient().execute(`SELECT * FROM "${name}"`);
      const text = JSON.stringify(all).toLowerCase();
      for (const n of needles()) if (text.includes(n.toLowerCase())) hits.push(`${name}: ${n}`);
    }
    expect(hits, "plaintext in a table").toEqual([]);
    // The audit log recorded the steps (who, what, ids), just not the details.
    const audit = await db.prisma.auditEvent.findMany({
      where: { actorUserId: { in: [a.id, b.id] } },
    });
    expect(audit.length).toBeGreaterThanOrEqual(2 + 2 * 3);

    // The raw bytes: the WAL first (the writes are there until a checkpoint), then the file.
    expect(fs.existsSync(`${env.databaseFile}-wal`), "the database runs in WAL mode").toBe(true);
    expect(rawLeaks()).toEqual({ database: [], wal: [], journal: [] });
    await sqlClient().execute("PRAGMA wal_checkpoint(TRUNCATE)");
    expect(rawLeaks()).toEqual({ database: [], wal: [], journal: [] });
    // A needle that is stored (the prisoner's public name) is found: the search itself works.
    const bytes = fs.readFileSync(env.databaseFile).toString("latin1");
    expect(bytes.includes("Enc Prisoner")).toBe(true);
  });
});
