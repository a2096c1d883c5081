-- Proceeds to prisoners (issue 11, decisions 0033-0035): the prisoner registry grows into
-- public profiles; festivals get allocation rules and costs; treasurers get encrypted payout
-- recipients, payouts with N-of-M approval, fund transfers and exchanges; money roles get a
-- second factor (TOTP with recovery codes). Fund money itself lives in the ledger
-- (LedgerAccount code 'fund'), never in these tables.

-- ------------------------------------------------------------ prisoner registry
-- name and story are JSON {language: text}; status is what is publicly known.
ALTER TABLE "Prisoner" ADD COLUMN "story" TEXT NOT NULL DEFAULT '{}';
ALTER TABLE "Prisoner" ADD COLUMN "heldAt" TEXT;
ALTER TABLE "Prisoner" ADD COLUMN "sentence" TEXT;
ALTER TABLE "Prisoner" ADD COLUMN "status" TEXT NOT NULL DEFAULT 'detained'
    CHECK ("status" IN ('detained', 'sentenced', 'released', 'died'));
-- A letters address is shown only while lettersSafe = 1.
ALTER TABLE "Prisoner" ADD COLUMN "lettersAddress" TEXT;
ALTER TABLE "Prisoner" ADD COLUMN "lettersSafe" BOOLEAN NOT NULL DEFAULT false;
-- Photo: files under DATA_DIR/media, as for tattoo pictures (decision 0032).
ALTER TABLE "Prisoner" ADD COLUMN "photoFile" TEXT;
ALTER TABLE "Prisoner" ADD COLUMN "photoThumbFile" TEXT;
ALTER TABLE "Prisoner" ADD COLUMN "photoWidth" INTEGER;
ALTER TABLE "Prisoner" ADD COLUMN "photoHeight" INTEGER;

-- ------------------------------------------------------------ second factor
-- The TOTP secret is sealed with the envelope encryption (context "totp:<userId>").
ALTER TABLE "User" ADD COLUMN "totpSecretSealed" TEXT;
ALTER TABLE "User" ADD COLUMN "totpEnabledAt" DATETIME;
-- The last time step accepted, so a code is never accepted twice.
ALTER TABLE "User" ADD COLUMN "totpLastStep" INTEGER;
-- When this session / token proved the second factor (null: it did not).
ALTER TABLE "Session" ADD COLUMN "secondFactorAt" DATETIME;
ALTER TABLE "ApiToken" ADD COLUMN "secondFactorAt" DATETIME;

-- Single-use recovery codes: only their SHA-256 is stored.
CREATE TABLE "RecoveryCode" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "codeHash" TEXT NOT NULL,
    "usedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "RecoveryCode_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "RecoveryCode_codeHash_key" ON "RecoveryCode"("codeHash");
CREATE INDEX "RecoveryCode_userId_idx" ON "RecoveryCode"("userId");

-- ------------------------------------------------------------ allocation rules
-- Append-only versions: the newest row of a festival is the rule in force; an allocation
-- names the version it followed. shares: JSON [{prisonerId, percent}] (integers).
CREATE TABLE "AllocationRule" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "festivalId" TEXT NOT NULL,
    "version" INTEGER NOT NULL CHECK ("version" >= 1),
    "equal" BOOLEAN NOT NULL DEFAULT false,
    "generalPercent" INTEGER NOT NULL DEFAULT 0 CHECK ("generalPercent" BETWEEN 0 AND 100),
    "shares" TEXT NOT NULL DEFAULT '[]',
    "createdById" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "AllocationRule_festivalId_fkey" FOREIGN KEY ("festivalId") REFERENCES "Festival" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "AllocationRule_festivalId_version_key" ON "AllocationRule"("festivalId", "version");
CREATE TRIGGER "AllocationRule_no_update" BEFORE UPDATE ON "AllocationRule"
BEGIN SELECT RAISE(ABORT, 'allocation rules are append-only: add a new version'); END;
CREATE TRIGGER "AllocationRule_no_delete" BEFORE DELETE ON "AllocationRule"
BEGIN SELECT RAISE(ABORT, 'allocation rules are append-only'); END;

-- ------------------------------------------------------------ approvals (N-of-M)
-- One approval per person per subject (the primary key): approving twice counts once.
-- subjectType: 'payout' | 'cost' | 'transfer'. Append-only.
CREATE TABLE "Approval" (
    "subjectType" TEXT NOT NULL CHECK ("subjectType" IN ('payout', 'cost', 'transfer')),
    "subjectId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY ("subjectType", "subjectId", "userId")
);
CREATE TRIGGER "Approval_no_update" BEFORE UPDATE ON "Approval"
BEGIN SELECT RAISE(ABORT, 'approvals are append-only'); END;
CREATE TRIGGER "Approval_no_delete" BEFORE DELETE ON "Approval"
BEGIN SELECT RAISE(ABORT, 'approvals are append-only'); END;

-- ------------------------------------------------------------ festival costs
-- status: submitted -> approved -> paid; or rejected / cancelled. category: venue, equipment,
-- travel, printing, other. The receipt is a file under DATA_DIR/receipts (random name).
CREATE TABLE "FestivalCost" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "festivalId" TEXT NOT NULL,
    "category" TEXT NOT NULL CHECK ("category" IN ('venue', 'equipment', 'travel', 'printing', 'other')),
    "description" TEXT NOT NULL,
    "amountMinor" INTEGER NOT NULL CHECK (typeof("amountMinor") = 'integer' AND "amountMinor" > 0),
    "currency" TEXT NOT NULL CHECK (length("currency") = 3 AND "currency" = upper("currency")),
    "receiptFile" TEXT,
    "receiptType" TEXT,
    "receiptBytes" INTEGER,
    "status" TEXT NOT NULL DEFAULT 'submitted' CHECK ("status" IN ('submitted', 'approved', 'paid', 'rejected', 'cancelled')),
    "submittedById" TEXT,
    "decidedById" TEXT,
    "decisionNote" TEXT,
    "approvedAt" DATETIME,
    "paidAt" DATETIME,
    "paidById" TEXT,
    "reference" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "FestivalCost_festivalId_fkey" FOREIGN KEY ("festivalId") REFERENCES "Festival" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE INDEX "FestivalCost_festivalId_status_idx" ON "FestivalCost"("festivalId", "status");

-- ------------------------------------------------------------ payout recipients
-- Everything that could identify a person (display name, bank / card / phone, notes) is in
-- `sealed`: AES-256-GCM JSON, context "recipient:<id>" (decision 0011). The cap is counted
-- per calendar month in `timezone`.
CREATE TABLE "Recipient" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "prisonerId" TEXT NOT NULL,
    "kind" TEXT NOT NULL CHECK ("kind" IN ('relative', 'lawyer', 'prisoner', 'fund')),
    "sealed" TEXT NOT NULL,
    "capMinor" INTEGER CHECK ("capMinor" IS NULL OR (typeof("capMinor") = 'integer' AND "capMinor" > 0)),
    "capCurrency" TEXT CHECK ("capCurrency" IS NULL OR (length("capCurrency") = 3 AND "capCurrency" = upper("capCurrency"))),
    "timezone" TEXT NOT NULL DEFAULT 'Europe/Moscow',
    "archivedAt" DATETIME,
    "createdById" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Recipient_prisonerId_fkey" FOREIGN KEY ("prisonerId") REFERENCES "Prisoner" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CHECK (("capMinor" IS NULL) = ("capCurrency" IS NULL))
);
CREATE INDEX "Recipient_prisonerId_idx" ON "Recipient"("prisonerId");

-- ------------------------------------------------------------ payouts
-- status: proposed -> approved (N other treasurers) -> paid; or rejected / cancelled.
-- `month` (YYYY-MM in the recipient's zone) is the cap month it counts in: the planned month
-- until paid, then the month of paidAt. noteSealed / referenceSealed: context "payout:<id>".
CREATE TABLE "Payout" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "prisonerId" TEXT NOT NULL,
    "recipientId" TEXT NOT NULL,
    "category" TEXT NOT NULL CHECK ("category" IN ('lawyer', 'prison_visit', 'parcels_letters', 'commissary', 'fine', 'family_support', 'other')),
    "amountMinor" INTEGER NOT NULL CHECK (typeof("amountMinor") = 'integer' AND "amountMinor" > 0),
    "currency" TEXT NOT NULL CHECK (length("currency") = 3 AND "currency" = upper("currency")),
    "month" TEXT NOT NULL CHECK ("month" GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]'),
    "noteSealed" TEXT,
    "status" TEXT NOT NULL DEFAULT 'proposed' CHECK ("status" IN ('proposed', 'approved', 'paid', 'rejected', 'cancelled')),
    "proposedById" TEXT NOT NULL,
    "planId" TEXT,
    "approvedAt" DATETIME,
    "paidAt" DATETIME,
    "paidById" TEXT,
    "referenceSealed" TEXT,
    "decidedById" TEXT,
    "decisionReason" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Payout_prisonerId_fkey" FOREIGN KEY ("prisonerId") REFERENCES "Prisoner" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Payout_recipientId_fkey" FOREIGN KEY ("recipientId") REFERENCES "Recipient" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE INDEX "Payout_prisonerId_status_idx" ON "Payout"("prisonerId", "status");
CREATE INDEX "Payout_recipientId_month_idx" ON "Payout"("recipientId", "month");

-- ------------------------------------------------------------ fund transfers
-- Money moved between funds (a prisoner released, a fund closed) needs approval like a payout.
-- fromPrisonerId / toPrisonerId null: the general fund.
CREATE TABLE "FundTransfer" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "fromPrisonerId" TEXT,
    "toPrisonerId" TEXT,
    "amountMinor" INTEGER NOT NULL CHECK (typeof("amountMinor") = 'integer' AND "amountMinor" > 0),
    "currency" TEXT NOT NULL CHECK (length("currency") = 3 AND "currency" = upper("currency")),
    "reason" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'proposed' CHECK ("status" IN ('proposed', 'done', 'rejected', 'cancelled')),
    "proposedById" TEXT NOT NULL,
    "decidedById" TEXT,
    "doneAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CHECK ("fromPrisonerId" IS NOT "toPrisonerId")
);

-- ------------------------------------------------------------ exchanges
-- A fund's money converted at the rate the treasurer used (no internet rates). rate: decimal
-- text, units of `toCurrency` per unit of `fromCurrency`.
CREATE TABLE "FundExchange" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "prisonerId" TEXT,
    "fromCurrency" TEXT NOT NULL,
    "fromAmountMinor" INTEGER NOT NULL CHECK (typeof("fromAmountMinor") = 'integer' AND "fromAmountMinor" > 0),
    "toCurrency" TEXT NOT NULL,
    "toAmountMinor" INTEGER NOT NULL CHECK (typeof("toAmountMinor") = 'integer' AND "toAmountMinor" > 0),
    "rate" TEXT NOT NULL,
    "ratedOn" TEXT NOT NULL,
    "createdById" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CHECK ("fromCurrency" <> "toCurrency")
);

-- ------------------------------------------------------------ ledger: funds
-- What a payout or a cost was for ('lawyer', 'venue', ...): the public report reads it.
ALTER TABLE "LedgerEntry" ADD COLUMN "purpose" TEXT;

-- A fund (LedgerAccount code 'fund', a liability: credit-normal) never holds less than
-- nothing: an entry that would overdraw one is refused when it is sealed.
CREATE TRIGGER "LedgerEntry_fund_not_overdrawn" AFTER INSERT ON "LedgerEntry"
WHEN EXISTS (
    SELECT 1 FROM "LedgerPosting" p JOIN "LedgerAccount" a ON a."id" = p."accountId"
    WHERE p."entryId" = NEW."id" AND a."code" = 'fund'
      AND (SELECT SUM(q."amountMinor") FROM "LedgerPosting" q WHERE q."accountId" = a."id") > 0)
BEGIN
    SELECT RAISE(ABORT, 'ledger_fund_overdrawn: a fund never holds less than nothing');
END;
