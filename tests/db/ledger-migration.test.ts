// "A database made by the previous release": the migrations up to
// 20261201040000_order_idempotency_key only, filled the way that release's code
// wrote it (orders, items, tickets and single-entry MoneyMovement rows, with the
// defects it had), then every current migration applied as `npm start` does.
// The old money must come out as exact ledger entries, MoneyMovement must be
// gone, the books must balance and nothing else may be lost.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { createClient, type Client } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate, root } from "../../scripts/lib.js";
import { checkLedger } from "~/models/ledger.server";
import { TMP } from "../setup/paths";

/** The last migration the previous release shipped. */
const PREVIOUS_RELEASE = "20261201040000_order_idempotency_key";

let dir: string;
let url: string;
let client: Client;

/** Apply the previous release's migrations only, with the Prisma CLI, from a copy of the folder. */
function migratePreviousRelease(databaseUrl: string) {
  const prismaDir = path.join(dir, "prisma");
  const migrations = path.join(prismaDir, "migrations");
  fs.mkdirSync(migrations, { recursive: true });
  fs.copyFileSync(
    path.join(root, "prisma", "schema.prisma"),
    path.join(prismaDir, "schema.prisma"),
  );
  const source = path.join(root, "prisma", "migrations");
  for (const entry of fs.readdirSync(source)) {
    if (entry === "migration_lock.toml")
      fs.copyFileSync(path.join(source, entry), path.join(migrations, entry));
    else if (entry <= PREVIOUS_RELEASE)
      fs.cpSync(path.join(source, entry), path.join(migrations, entry), { recursive: true });
  }
  const result = spawnSync(
    process.execPath,
    [
      path.join(root, "node_modules", "prisma", "build", "index.js"),
      "migrate",
      "deploy",
      "--schema",
      path.join(prismaDir, "schema.prisma"),
    ],
    {
      cwd: root,
      env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
      encoding: "utf8",
    },
  );
  if (result.status !== 0) throw new Error(result.stdout + result.stderr);
}

const F = "fest-old";
/** A festival whose organiser changed its currency after selling (the old defect). */
const F2 = "fest-changed";
const P = "prisoner-old";
const T = "type-old";
const at = (minute: number) => `2026-11-30T18:${String(minute).padStart(2, "0")}:00.000+00:00`;

/** The rows the previous release's code wrote (its SQL, its columns, its defects). */
async function fillAsThePreviousRelease() {
  const statements: [string, unknown[]][] = [
    [
      `INSERT INTO Festival (id, slug, name, city, country, venueName, venueAddress, timezone, currency, startsAt, endsAt,
         paymentMethods, status, publishedAt, createdAt, updatedAt)
       VALUES (?, 'old-fest', 'Old festival', 'Riga', 'LV', 'Hall', 'Street 1', 'Europe/Riga', 'EUR', ?, ?, '["stripe","door"]', 'published', ?, ?, ?)`,
      [F, at(0), at(59), at(0), at(0), at(0)],
    ],
    [
      `INSERT INTO Prisoner (id, slug, name, createdAt, updatedAt) VALUES (?, 'old-prisoner', '{"*":"A. Prisoner"}', ?, ?)`,
      [P, at(0), at(0)],
    ],
    [
      `INSERT INTO TicketType (id, festivalId, name, priceMinor, capacity, reserved, createdAt, updatedAt)
       VALUES (?, ?, '{"*":"Standard"}', 1200, 100, 6, ?, ?)`,
      [T, F, at(0), at(0)],
    ],
  ];
  // The festival the rows below are for.
  let fest = F;
  const order = (
    id: string,
    status: string,
    method: string,
    total: number,
    extra: Record<string, string | null> = {},
  ): [string, unknown[]] => [
    `INSERT INTO "Order" (id, festivalId, code, accessToken, email, name, locale, status, paymentMethod, currency, totalMinor,
       createdAt, paidAt, refundedAt, stripePaymentIntentId)
     VALUES (?, ?, ?, ?, ?, NULL, 'en', ?, ?, 'EUR', ?, ?, ?, ?, ?)`,
    [
      id,
      fest,
      `CODE-${id}`,
      `access-token-of-${id}-0123456789`,
      `${id}@example.test`,
      status,
      method,
      total,
      at(1),
      extra.paidAt ?? null,
      extra.refundedAt ?? null,
      extra.pi ?? null,
    ],
  ];
  const item = (
    id: string,
    orderId: string,
    kind: "ticket" | "donation",
    quantity: number,
    unit: number,
    prisonerId: string | null = null,
  ): [string, unknown[]] => [
    `INSERT INTO OrderItem (id, orderId, kind, ticketTypeId, quantity, unitPriceMinor, amountMinor, prisonerId)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [id, orderId, kind, kind === "ticket" ? T : null, quantity, unit, quantity * unit, prisonerId],
  ];
  const ticket = (
    id: string,
    orderId: string,
    itemId: string,
    status = "valid",
    due = 0,
  ): [string, unknown[]] => [
    `INSERT INTO Ticket (id, orderId, orderItemId, festivalId, ticketTypeId, status, amountDueMinor, qrToken, createdAt, revokedAt)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      id,
      orderId,
      itemId,
      F,
      T,
      status,
      due,
      `qr-${id}`,
      at(1),
      status === "revoked" ? at(30) : null,
    ],
  ];
  const movement = (
    orderId: string,
    kind: string,
    amount: number,
    method: string,
    minute: number,
    currency = "EUR",
    prisonerId: string | null = null,
  ): [string, unknown[]] => [
    `INSERT INTO MoneyMovement (festivalId, orderId, kind, amountMinor, currency, prisonerId, paymentMethod, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [fest, orderId, kind, amount, currency, prisonerId, method, at(minute)],
  ];
  statements.push(
    // A: a card order, 2 × €12 + €20 for the prisoner; Stripe's fee in USD (its settlement currency).
    order("card-a", "paid", "stripe", 4400, { paidAt: at(2), pi: "pi_a" }),
    item("card-a-t", "card-a", "ticket", 2, 1200),
    item("card-a-d", "card-a", "donation", 1, 2000, P),
    ticket("card-a-1", "card-a", "card-a-t"),
    ticket("card-a-2", "card-a", "card-a-t"),
    movement("card-a", "ticket_sale", 2400, "stripe", 2), // id 1
    movement("card-a", "donation", 2000, "stripe", 2, "EUR", P), // id 2
    movement("card-a", "processing_fee", -145, "stripe", 2, "USD"), // id 3
    // B: a door order, 2 × €12 + €20 for the prisoner: staff took €12 per ticket (the donation was
    // never collected), then the organiser refunded it and the old code booked −€44.
    order("door-b", "refunded", "door", 4400, { paidAt: at(11), refundedAt: at(30) }),
    item("door-b-t", "door-b", "ticket", 2, 1200),
    item("door-b-d", "door-b", "donation", 1, 2000, P),
    ticket("door-b-1", "door-b", "door-b-t", "revoked"),
    ticket("door-b-2", "door-b", "door-b-t", "revoked"),
    movement("door-b", "ticket_sale", 1200, "door", 10), // id 4
    movement("door-b", "ticket_sale", 1200, "door", 11), // id 5
    movement("door-b", "refund", -4400, "door", 30), // id 6
    // C: a card order for one ticket, fee in EUR, refunded by the organiser.
    order("card-c", "refunded", "stripe", 1200, { paidAt: at(3), refundedAt: at(31), pi: "pi_c" }),
    item("card-c-t", "card-c", "ticket", 1, 1200),
    ticket("card-c-1", "card-c", "card-c-t", "revoked"),
    movement("card-c", "ticket_sale", 1200, "stripe", 3), // id 7
    movement("card-c", "processing_fee", -50, "stripe", 3), // id 8
    movement("card-c", "refund", -1200, "stripe", 31), // id 9
    // D: a card payment that arrived after its hold ended: sale, donation and refund at once.
    order("late-d", "refunded", "stripe", 1700, { refundedAt: at(40), pi: "pi_d" }),
    item("late-d-t", "late-d", "ticket", 1, 1200),
    item("late-d-d", "late-d", "donation", 1, 500),
    movement("late-d", "ticket_sale", 1200, "stripe", 40), // id 10
    movement("late-d", "donation", 500, "stripe", 40), // id 11
    movement("late-d", "refund", -1700, "stripe", 40), // id 12
    // E: a door order part-paid at the door and still open; F: a free order; G: pending card order.
    order("door-e", "confirmed", "door", 2400),
    item("door-e-t", "door-e", "ticket", 2, 1200),
    ticket("door-e-1", "door-e", "door-e-t", "valid", 0),
    ticket("door-e-2", "door-e", "door-e-t", "valid", 1200),
    movement("door-e", "ticket_sale", 1200, "door", 20), // id 13
    order("free-f", "paid", "free", 0, { paidAt: at(5) }),
    item("free-f-t", "free-f", "ticket", 1, 0),
    ticket("free-f-1", "free-f", "free-f-t"),
    order("pending-g", "pending", "stripe", 1200),
    item("pending-g-t", "pending-g", "ticket", 1, 1200),
  );
  // F2: two €15 card orders, then the organiser switched the festival to yen, which that
  // release allowed; it then recorded the festival's new currency for the same euros.
  statements.push([
    `INSERT INTO Festival (id, slug, name, city, country, venueName, venueAddress, timezone, currency, startsAt, endsAt,
       paymentMethods, status, publishedAt, createdAt, updatedAt)
     VALUES (?, 'changed-fest', 'Changed festival', 'Riga', 'LV', 'Hall', 'Street 1', 'Europe/Riga', 'EUR', ?, ?, '["stripe"]', 'published', ?, ?, ?)`,
    [F2, at(0), at(59), at(0), at(0), at(0)],
  ]);
  fest = F2;
  statements.push(
    // H: sold in euros, refunded after the switch: the refund was recorded as 1,500 yen.
    order("card-h", "refunded", "stripe", 1500, { paidAt: at(4), refundedAt: at(45), pi: "pi_h" }),
    movement("card-h", "ticket_sale", 1500, "stripe", 4), // id 14
    movement("card-h", "processing_fee", -48, "stripe", 4), // id 15
    // I: placed in euros before the switch, paid after it: the sale was recorded in yen.
    order("card-i", "paid", "stripe", 1500, { paidAt: at(46), pi: "pi_i" }),
    movement("card-i", "ticket_sale", 1500, "stripe", 46), // id 16
    movement("card-i", "processing_fee", -48, "stripe", 46), // id 17
    [`UPDATE Festival SET currency = 'JPY' WHERE id = ?`, [F2]],
    movement("card-h", "refund", -1500, "stripe", 45, "JPY"), // id 18
  );
  // The yen sale of I: written after the switch too.
  statements.push([`UPDATE MoneyMovement SET currency = 'JPY' WHERE id = 16`, []]);
  await client.batch(
    statements.map(([sql, args]) => ({ sql, args: args as never })),
    "write",
  );
}

const ORDER_COLUMNS = `id, festivalId, code, accessToken, email, name, locale, status, paymentMethod, currency, totalMinor,
  createdAt, paidAt, refundedAt, stripePaymentIntentId, idempotencyKey, erasedAt`;

async function rows(sql: string) {
  return (await client.execute(sql)).rows.map((r) => ({ ...r }));
}

let before: { orders: unknown[]; items: unknown[]; tickets: unknown[]; festival: unknown[] };

beforeAll(async () => {
  dir = path.join(TMP, `run-migration-${Date.now()}-${process.pid}`);
  fs.mkdirSync(dir, { recursive: true });
  url = `file:${path.join(dir, "previous-release.db")}`;
  migratePreviousRelease(url);
  client = createClient({ url });
  await fillAsThePreviousRelease();
  before = {
    orders: await rows(`SELECT ${ORDER_COLUMNS} FROM "Order" ORDER BY id`),
    items: await rows(`SELECT * FROM OrderItem ORDER BY id`),
    tickets: await rows(`SELECT * FROM Ticket ORDER BY id`),
    festival: await rows(`SELECT id, currency, status FROM Festival ORDER BY id`),
  };
  client.close();
  // Every current migration, as `npm start` applies them.
  migrate(url);
  client = createClient({ url });
}, 120_000);

afterAll(() => {
  client?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

type Line = [entry: string, account: string, amountMinor: number];

async function ledgerLines(orderId: string): Promise<Line[]> {
  const { rows: postings } = await client.execute({
    sql: `SELECT p.entryId, p.accountId, p.amountMinor FROM LedgerPosting p JOIN LedgerEntry e ON e.id = p.entryId
          WHERE e.orderId = ? ORDER BY p.entryId, p.accountId`,
    args: [orderId],
  });
  return postings.map((r) => [
    String(r.entryId),
    String(r.accountId).replace(/^[^:]+:/, ""), // without the festival's id
    Number(r.amountMinor),
  ]);
}

describe("the ledger migration on a database made by the previous release", () => {
  it("retires MoneyMovement", async () => {
    const { rows: tables } = await client.execute(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'MoneyMovement'",
    );
    expect(tables).toEqual([]);
  });

  it("turns a card sale with an earmarked donation and a fee in another currency into exact entries", async () => {
    expect(await ledgerLines("card-a")).toEqual([
      ["legacy:1", "EUR:income:ticket", -2400],
      ["legacy:1", "EUR:stripe_balance", 2400],
      ["legacy:2", `EUR:income:donation:p=${P}`, -2000],
      ["legacy:2", "EUR:stripe_balance", 2000],
      ["legacy:3", "USD:processing_fees", 145],
      ["legacy:3", "USD:stripe_balance", -145],
    ]);
  });

  it("reverses only the door cash that came in when the old refund booked the whole total", async () => {
    expect(await ledgerLines("door-b")).toEqual([
      ["legacy:4", "EUR:door_cash", 1200],
      ["legacy:4", "EUR:income:ticket", -1200],
      ["legacy:5", "EUR:door_cash", 1200],
      ["legacy:5", "EUR:income:ticket", -1200],
      ["legacy:6", "EUR:door_cash", -2400],
      ["legacy:6", "EUR:refunds:ticket", 2400],
    ]);
  });

  it("refunds a card order and a late payment per category, fees kept", async () => {
    expect(await ledgerLines("card-c")).toEqual([
      ["legacy:7", "EUR:income:ticket", -1200],
      ["legacy:7", "EUR:stripe_balance", 1200],
      ["legacy:8", "EUR:processing_fees", 50],
      ["legacy:8", "EUR:stripe_balance", -50],
      ["legacy:9", "EUR:refunds:ticket", 1200],
      ["legacy:9", "EUR:stripe_balance", -1200],
    ]);
    expect(await ledgerLines("late-d")).toEqual([
      ["legacy:10", "EUR:income:ticket", -1200],
      ["legacy:10", "EUR:stripe_balance", 1200],
      ["legacy:11", "EUR:income:donation", -500],
      ["legacy:11", "EUR:stripe_balance", 500],
      ["legacy:12", "EUR:refunds:donation", 500],
      ["legacy:12", "EUR:refunds:ticket", 1200],
      ["legacy:12", "EUR:stripe_balance", -1700],
    ]);
    expect(await ledgerLines("door-e")).toEqual([
      ["legacy:13", "EUR:door_cash", 1200],
      ["legacy:13", "EUR:income:ticket", -1200],
    ]);
    expect(await ledgerLines("free-f")).toEqual([]);
    expect(await ledgerLines("pending-g")).toEqual([]);
  });

  it("keeps each entry's kind, order, time and a memo without personal data", async () => {
    const { rows: entries } = await client.execute({
      sql: "SELECT id, festivalId, orderId, kind, actorUserId, memo, createdAt FROM LedgerEntry WHERE festivalId = ? ORDER BY rowid",
      args: [F],
    });
    expect(entries).toHaveLength(13);
    const byId = new Map(entries.map((e) => [String(e.id), e]));
    expect(byId.get("legacy:3")).toMatchObject({
      festivalId: F,
      orderId: "card-a",
      kind: "processing_fee",
      actorUserId: null,
      memo: "migrated from MoneyMovement (processing_fee, stripe)",
    });
    expect(byId.get("legacy:6")).toMatchObject({
      kind: "refund",
      orderId: "door-b",
      createdAt: at(30),
    });
    expect(byId.get("legacy:1")).toMatchObject({ kind: "payment", createdAt: at(2) });
    for (const e of entries) expect(String(e.memo)).not.toMatch(/@|example/);
  });

  it("books money in the order's currency when the old rows recorded the festival's new one", async () => {
    expect(await ledgerLines("card-h")).toEqual([
      ["legacy:14", "EUR:income:ticket", -1500],
      ["legacy:14", "EUR:stripe_balance", 1500],
      ["legacy:15", "EUR:processing_fees", 48],
      ["legacy:15", "EUR:stripe_balance", -48],
      ["legacy:18", "EUR:refunds:ticket", 1500],
      ["legacy:18", "EUR:stripe_balance", -1500],
    ]);
    expect(await ledgerLines("card-i")).toEqual([
      ["legacy:16", "EUR:income:ticket", -1500],
      ["legacy:16", "EUR:stripe_balance", 1500],
      ["legacy:17", "EUR:processing_fees", 48],
      ["legacy:17", "EUR:stripe_balance", -48],
    ]);
    const { rows } = await client.execute(
      "SELECT id, memo FROM LedgerEntry WHERE id IN ('legacy:16', 'legacy:18') ORDER BY id",
    );
    expect(rows.map((r) => [r.id, r.memo])).toEqual([
      ["legacy:16", "migrated from MoneyMovement (ticket_sale, stripe, recorded in JPY)"],
      ["legacy:18", "migrated from MoneyMovement (refund, stripe, recorded in JPY)"],
    ]);
    const { rows: yen } = await client.execute(
      "SELECT COUNT(*) AS n FROM LedgerPosting WHERE currency = 'JPY'",
    );
    expect(Number(yen[0]?.n)).toBe(0);
  });

  it("makes accounts shaped as the code names them, each in its own currency", async () => {
    const { rows: accounts } = await client.execute({
      sql: "SELECT id, currency, type, code, category, prisonerId, holderType FROM LedgerAccount WHERE festivalId = ? ORDER BY id",
      args: [F],
    });
    expect(accounts.map((a) => ({ ...a }))).toEqual([
      {
        id: `${F}:EUR:door_cash`,
        currency: "EUR",
        type: "asset",
        code: "door_cash",
        category: null,
        prisonerId: null,
        holderType: null,
      },
      {
        id: `${F}:EUR:income:donation`,
        currency: "EUR",
        type: "income",
        code: "income",
        category: "donation",
        prisonerId: null,
        holderType: null,
      },
      {
        id: `${F}:EUR:income:donation:p=${P}`,
        currency: "EUR",
        type: "income",
        code: "income",
        category: "donation",
        prisonerId: P,
        holderType: null,
      },
      {
        id: `${F}:EUR:income:ticket`,
        currency: "EUR",
        type: "income",
        code: "income",
        category: "ticket",
        prisonerId: null,
        holderType: null,
      },
      {
        id: `${F}:EUR:processing_fees`,
        currency: "EUR",
        type: "expense",
        code: "processing_fees",
        category: null,
        prisonerId: null,
        holderType: null,
      },
      {
        id: `${F}:EUR:refunds:donation`,
        currency: "EUR",
        type: "income",
        code: "refunds",
        category: "donation",
        prisonerId: null,
        holderType: null,
      },
      {
        id: `${F}:EUR:refunds:ticket`,
        currency: "EUR",
        type: "income",
        code: "refunds",
        category: "ticket",
        prisonerId: null,
        holderType: null,
      },
      {
        id: `${F}:EUR:stripe_balance`,
        currency: "EUR",
        type: "asset",
        code: "stripe_balance",
        category: null,
        prisonerId: null,
        holderType: null,
      },
      {
        id: `${F}:USD:processing_fees`,
        currency: "USD",
        type: "expense",
        code: "processing_fees",
        category: null,
        prisonerId: null,
        holderType: null,
      },
      {
        id: `${F}:USD:stripe_balance`,
        currency: "USD",
        type: "asset",
        code: "stripe_balance",
        category: null,
        prisonerId: null,
        holderType: null,
      },
    ]);
  });

  it("balances: the whole-ledger check finds nothing, and the festival's figures add up", async () => {
    const check = await checkLedger(client);
    expect(check).toEqual({ balanced: true, entries: 18, problems: [] });
    const { rows: balances } = await client.execute({
      sql: `SELECT a.id, SUM(p.amountMinor) AS b FROM LedgerAccount a JOIN LedgerPosting p ON p.accountId = a.id
            WHERE a.festivalId = ? GROUP BY a.id ORDER BY a.id`,
      args: [F],
    });
    const b = Object.fromEntries(
      balances.map((r) => [String(r.id).slice(F.length + 1), Number(r.b)]),
    );
    // Card money: A's €44 + C's €12 − C's refund − its €0.50 fee + D's €17 − D's refund.
    expect(b["EUR:stripe_balance"]).toBe(4400 + 1200 - 1200 - 50 + 1700 - 1700);
    // Door cash: B's two tickets given back; E's one ticket still held.
    expect(b["EUR:door_cash"]).toBe(1200);
    expect(b[`EUR:income:donation:p=${P}`]).toBe(-2000);
    expect(b["USD:stripe_balance"]).toBe(-145);
  });

  it("loses nothing else: orders, items, tickets and the festival are untouched", async () => {
    expect(await rows(`SELECT ${ORDER_COLUMNS} FROM "Order" ORDER BY id`)).toEqual(before.orders);
    // Later migrations may add columns: every old column keeps its value.
    const keeps = (now: Record<string, unknown>[], old: unknown[]) => {
      expect(now).toHaveLength(old.length);
      now.forEach((row, i) => expect(row).toMatchObject(old[i] as object));
    };
    keeps(await rows(`SELECT * FROM OrderItem ORDER BY id`), before.items);
    keeps(await rows(`SELECT * FROM Ticket ORDER BY id`), before.tickets);
    expect(await rows(`SELECT id, currency, status FROM Festival ORDER BY id`)).toEqual(
      before.festival,
    );
  });

  it("keeps the database's rules on the converted entries (append-only)", async () => {
    await expect(client.execute("DELETE FROM LedgerEntry WHERE id = 'legacy:6'")).rejects.toThrow(
      /append-only/,
    );
    await expect(
      client.execute(
        "UPDATE LedgerPosting SET amountMinor = -4400 WHERE entryId = 'legacy:6' AND amountMinor = -2400",
      ),
    ).rejects.toThrow(/append-only/);
  });
});

describe("a conversion that fails", () => {
  it("leaves the previous release's database as it was (one transaction)", async () => {
    const saved = { dir, client };
    dir = path.join(TMP, `run-migration-failing-${Date.now()}-${process.pid}`);
    fs.mkdirSync(dir, { recursive: true });
    const failingUrl = `file:${path.join(dir, "previous-release.db")}`;
    try {
      migratePreviousRelease(failingUrl);
      client = createClient({ url: failingUrl });
      await fillAsThePreviousRelease();
      // A row no release wrote (a lower-case currency): its account is refused, so the conversion fails.
      await client.execute(
        `INSERT INTO MoneyMovement (festivalId, orderId, kind, amountMinor, currency, paymentMethod, createdAt)
         VALUES ('${F}', 'card-a', 'processing_fee', -10, 'usd', 'stripe', '${at(50)}')`,
      );
      client.close();
      const quiet = process.stderr.write;
      process.stderr.write = () => true;
      try {
        expect(() => migrate(failingUrl)).toThrow(/failed/);
      } finally {
        process.stderr.write = quiet;
      }
      client = createClient({ url: failingUrl });
      const { rows: tables } = await client.execute(
        "SELECT name FROM sqlite_master WHERE name IN ('MoneyMovement', 'LedgerAccount', 'LedgerEntry', 'LedgerPosting') ORDER BY name",
      );
      expect(tables.map((t) => t.name)).toEqual(["MoneyMovement"]);
      const { rows: movements } = await client.execute("SELECT COUNT(*) AS n FROM MoneyMovement");
      expect(Number(movements[0]?.n)).toBe(19);
    } finally {
      client.close();
      fs.rmSync(dir, { recursive: true, force: true });
      ({ dir, client } = saved);
    }
  });
});
