-- The money spine (issue 9, decision 0024): a double-entry ledger in integer minor units.
-- Accounts are made on first use with deterministic ids; an entry is its postings plus one
-- LedgerEntry row written after them, which seals it: the insert trigger refuses an entry
-- whose postings do not sum to zero per currency. Entries are append-only and their id is
-- the event's source key, so the same event never posts twice.
-- One transaction: a conversion that fails leaves the previous release's database as it was.

BEGIN;

CREATE TABLE "LedgerAccount" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "festivalId" TEXT NOT NULL,
    "currency" TEXT NOT NULL CHECK (length("currency") = 3 AND "currency" = upper("currency")),
    "type" TEXT NOT NULL CHECK ("type" IN ('asset', 'liability', 'income', 'expense')),
    "code" TEXT NOT NULL,
    "category" TEXT,
    "prisonerId" TEXT,
    "holderType" TEXT CHECK ("holderType" IS NULL OR "holderType" IN ('device', 'user')),
    "holderId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "LedgerAccount_festivalId_fkey" FOREIGN KEY ("festivalId") REFERENCES "Festival" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE INDEX "LedgerAccount_festivalId_currency_idx" ON "LedgerAccount"("festivalId", "currency");

CREATE TABLE "LedgerEntry" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "festivalId" TEXT NOT NULL,
    "orderId" TEXT,
    "kind" TEXT NOT NULL,
    "actorUserId" TEXT,
    "memo" TEXT,
    "createdAt" DATETIME NOT NULL,
    CONSTRAINT "LedgerEntry_festivalId_fkey" FOREIGN KEY ("festivalId") REFERENCES "Festival" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE INDEX "LedgerEntry_festivalId_createdAt_idx" ON "LedgerEntry"("festivalId", "createdAt");
CREATE INDEX "LedgerEntry_orderId_idx" ON "LedgerEntry"("orderId");

-- Postings come before their entry (the foreign key is checked at commit).
-- amountMinor: debit positive, credit negative; never zero, always an integer.
CREATE TABLE "LedgerPosting" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "entryId" TEXT NOT NULL,
    "accountId" TEXT NOT NULL,
    "amountMinor" INTEGER NOT NULL CHECK (typeof("amountMinor") = 'integer' AND "amountMinor" <> 0),
    "currency" TEXT NOT NULL,
    CONSTRAINT "LedgerPosting_entryId_fkey" FOREIGN KEY ("entryId") REFERENCES "LedgerEntry" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "LedgerPosting_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "LedgerAccount" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE INDEX "LedgerPosting_entryId_idx" ON "LedgerPosting"("entryId");
CREATE INDEX "LedgerPosting_accountId_idx" ON "LedgerPosting"("accountId");

-- ------------------------------------------------------------------ history
-- Every MoneyMovement row of the previous release becomes one entry ('legacy:<id>').
-- Money in: the asset of its payment method against its income account.
-- Card fees: processing fees against money at Stripe, in the currency Stripe settled in.
-- Refunds: the old rows reversed the order's whole total, even money that never came in
-- (a door order's unpaid donation); here a refund reverses exactly what that order's
-- earlier rows took in, per category and earmark, and nothing else.
-- Door cash of that release has no recorded device: it sits in the door's cash without holder.
-- This runs before the triggers below exist and writes each entry before its postings, so
-- it does not depend on how the migration is run (Prisma runs a script statement by
-- statement: without the BEGIN above, the postings' deferred foreign key to their entry is
-- checked, and fails, at each statement's end). The triggers' rules are checked at the end
-- instead ("_legacy_check").

-- Each old row in the currency its money was in: the order's for money in and out (that
-- release wrote the festival's currency of the moment, which an organiser could change after
-- the sale: a €15 sale's refund was recorded as 1,500 yen), Stripe's own for its fees.
CREATE TEMP TABLE "_legacy_movement" AS
SELECT m."id", m."festivalId", m."orderId", m."kind", m."amountMinor", m."prisonerId", m."paymentMethod",
       m."createdAt", m."currency" AS "recordedCurrency",
       CASE m."kind" WHEN 'processing_fee' THEN m."currency" ELSE o."currency" END AS "currency"
FROM "MoneyMovement" m JOIN "Order" o ON o."id" = m."orderId";

CREATE TEMP TABLE "_legacy_posting" ("entryId" TEXT, "accountId" TEXT, "festivalId" TEXT, "currency" TEXT,
    "type" TEXT, "code" TEXT, "category" TEXT, "prisonerId" TEXT, "amountMinor" INTEGER, "seq" INTEGER);

-- money in: the asset side
INSERT INTO "_legacy_posting"
SELECT 'legacy:' || m.id,
       m.festivalId || ':' || m.currency || ':' || CASE m.paymentMethod WHEN 'stripe' THEN 'stripe_balance' ELSE 'door_cash' END,
       m.festivalId, m.currency, 'asset',
       CASE m.paymentMethod WHEN 'stripe' THEN 'stripe_balance' ELSE 'door_cash' END, NULL, NULL, m.amountMinor, 1
FROM "_legacy_movement" m WHERE m.kind IN ('ticket_sale', 'donation') AND m.amountMinor > 0;
-- money in: the income side
INSERT INTO "_legacy_posting"
SELECT 'legacy:' || m.id,
       m.festivalId || ':' || m.currency || ':' || CASE m.kind WHEN 'ticket_sale' THEN 'income:ticket' ELSE 'income:donation' END
         || CASE WHEN m.kind = 'donation' AND m.prisonerId IS NOT NULL THEN ':p=' || m.prisonerId ELSE '' END,
       m.festivalId, m.currency, 'income', 'income',
       CASE m.kind WHEN 'ticket_sale' THEN 'ticket' ELSE 'donation' END,
       CASE WHEN m.kind = 'donation' THEN m.prisonerId END, -m.amountMinor, 2
FROM "_legacy_movement" m WHERE m.kind IN ('ticket_sale', 'donation') AND m.amountMinor > 0;
-- card fees (stored as negative amounts)
INSERT INTO "_legacy_posting"
SELECT 'legacy:' || m.id, m.festivalId || ':' || m.currency || ':processing_fees', m.festivalId, m.currency,
       'expense', 'processing_fees', NULL, NULL, -m.amountMinor, 1
FROM "_legacy_movement" m WHERE m.kind = 'processing_fee' AND m.amountMinor < 0;
INSERT INTO "_legacy_posting"
SELECT 'legacy:' || m.id, m.festivalId || ':' || m.currency || ':stripe_balance', m.festivalId, m.currency,
       'asset', 'stripe_balance', NULL, NULL, m.amountMinor, 2
FROM "_legacy_movement" m WHERE m.kind = 'processing_fee' AND m.amountMinor < 0;
-- refunds: what the same order took in before, per category and earmark
INSERT INTO "_legacy_posting"
SELECT 'legacy:' || r.id,
       r.festivalId || ':' || r.currency || ':refunds:' || CASE i.kind WHEN 'ticket_sale' THEN 'ticket' ELSE 'donation' END
         || CASE WHEN i.kind = 'donation' AND i.prisonerId IS NOT NULL THEN ':p=' || i.prisonerId ELSE '' END,
       r.festivalId, r.currency, 'income', 'refunds',
       CASE i.kind WHEN 'ticket_sale' THEN 'ticket' ELSE 'donation' END,
       CASE WHEN i.kind = 'donation' THEN i.prisonerId END, SUM(i.amountMinor), 1
FROM "_legacy_movement" r
JOIN "_legacy_movement" i ON i.orderId = r.orderId AND i.id < r.id AND i.currency = r.currency
     AND i.kind IN ('ticket_sale', 'donation') AND i.amountMinor > 0
WHERE r.kind = 'refund'
GROUP BY r.id, i.kind, i.prisonerId;
INSERT INTO "_legacy_posting"
SELECT 'legacy:' || r.id,
       r.festivalId || ':' || r.currency || ':' || CASE r.paymentMethod WHEN 'stripe' THEN 'stripe_balance' ELSE 'door_cash' END,
       r.festivalId, r.currency, 'asset',
       CASE r.paymentMethod WHEN 'stripe' THEN 'stripe_balance' ELSE 'door_cash' END, NULL, NULL, -SUM(i.amountMinor), 2
FROM "_legacy_movement" r
JOIN "_legacy_movement" i ON i.orderId = r.orderId AND i.id < r.id AND i.currency = r.currency
     AND i.kind IN ('ticket_sale', 'donation') AND i.amountMinor > 0
WHERE r.kind = 'refund'
GROUP BY r.id;

INSERT OR IGNORE INTO "LedgerAccount" ("id", "festivalId", "currency", "type", "code", "category", "prisonerId")
SELECT DISTINCT "accountId", "festivalId", "currency", "type", "code", "category", "prisonerId" FROM "_legacy_posting";

INSERT INTO "LedgerEntry" ("id", "festivalId", "orderId", "kind", "memo", "createdAt")
SELECT 'legacy:' || m.id, m.festivalId, m.orderId,
       CASE m.kind WHEN 'ticket_sale' THEN 'payment' WHEN 'donation' THEN 'payment' WHEN 'processing_fee' THEN 'processing_fee' ELSE 'refund' END,
       'migrated from MoneyMovement (' || m.kind || ', ' || m.paymentMethod
         || CASE WHEN m.recordedCurrency <> m.currency THEN ', recorded in ' || m.recordedCurrency ELSE '' END || ')', m.createdAt
FROM "_legacy_movement" m
WHERE EXISTS (SELECT 1 FROM "_legacy_posting" p WHERE p.entryId = 'legacy:' || m.id AND p.amountMinor <> 0);

INSERT INTO "LedgerPosting" ("entryId", "accountId", "amountMinor", "currency")
SELECT "entryId", "accountId", "amountMinor", "currency" FROM "_legacy_posting"
WHERE "amountMinor" <> 0 ORDER BY "entryId", "seq";

-- The converted history obeys the rules the triggers enforce from now on, or the migration fails.
CREATE TEMP TABLE "_legacy_check" ("broken" INTEGER NOT NULL CHECK ("broken" = 0));
INSERT INTO "_legacy_check"
SELECT (SELECT COUNT(*) FROM "LedgerEntry" e
        WHERE (SELECT COUNT(*) FROM "LedgerPosting" p WHERE p."entryId" = e."id") < 2
           OR EXISTS (SELECT 1 FROM "LedgerPosting" p WHERE p."entryId" = e."id" GROUP BY p."currency" HAVING SUM(p."amountMinor") <> 0))
     + (SELECT COUNT(*) FROM "LedgerPosting" p JOIN "LedgerAccount" a ON a."id" = p."accountId" WHERE p."currency" <> a."currency");
DROP TABLE "_legacy_check";

DROP TABLE "_legacy_posting";
DROP TABLE "_legacy_movement";
DROP TABLE "MoneyMovement";

-- ------------------------------------------------------------------ rules

-- A replayed entry: its postings are skipped (the entry row itself is ON CONFLICT DO NOTHING).
CREATE TRIGGER "LedgerPosting_replay" BEFORE INSERT ON "LedgerPosting"
WHEN EXISTS (SELECT 1 FROM "LedgerEntry" WHERE "id" = NEW."entryId")
BEGIN
    SELECT RAISE(IGNORE);
END;

CREATE TRIGGER "LedgerPosting_currency" BEFORE INSERT ON "LedgerPosting"
WHEN NEW."currency" IS NOT (SELECT "currency" FROM "LedgerAccount" WHERE "id" = NEW."accountId")
BEGIN
    SELECT RAISE(ABORT, 'ledger_currency_mismatch: a posting is in its account''s currency');
END;

CREATE TRIGGER "LedgerEntry_balanced" AFTER INSERT ON "LedgerEntry"
WHEN (SELECT COUNT(*) FROM "LedgerPosting" WHERE "entryId" = NEW."id") < 2
  OR EXISTS (SELECT 1 FROM "LedgerPosting" WHERE "entryId" = NEW."id" GROUP BY "currency" HAVING SUM("amountMinor") <> 0)
BEGIN
    SELECT RAISE(ABORT, 'ledger_unbalanced: an entry''s postings sum to zero per currency');
END;

CREATE TRIGGER "LedgerAccount_no_update" BEFORE UPDATE ON "LedgerAccount"
BEGIN
    SELECT RAISE(ABORT, 'LedgerAccount is append-only');
END;
CREATE TRIGGER "LedgerAccount_no_delete" BEFORE DELETE ON "LedgerAccount"
BEGIN
    SELECT RAISE(ABORT, 'LedgerAccount is append-only');
END;
CREATE TRIGGER "LedgerEntry_no_update" BEFORE UPDATE ON "LedgerEntry"
BEGIN
    SELECT RAISE(ABORT, 'LedgerEntry is append-only');
END;
CREATE TRIGGER "LedgerEntry_no_delete" BEFORE DELETE ON "LedgerEntry"
BEGIN
    SELECT RAISE(ABORT, 'LedgerEntry is append-only');
END;
CREATE TRIGGER "LedgerPosting_no_update" BEFORE UPDATE ON "LedgerPosting"
BEGIN
    SELECT RAISE(ABORT, 'LedgerPosting is append-only');
END;
CREATE TRIGGER "LedgerPosting_no_delete" BEFORE DELETE ON "LedgerPosting"
BEGIN
    SELECT RAISE(ABORT, 'LedgerPosting is append-only');
END;

COMMIT;
