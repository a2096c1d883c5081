-- Door cash and its custody (issue 9): cash handed from a door device to a treasurer.
-- Recording a handover posts Dr cash_in_transit[treasurer] (counted) / Cr door_cash[device]
-- (expected), the difference to cash_difference; the treasurer's confirmation posts
-- Dr treasurer_cash[treasurer] / Cr cash_in_transit[treasurer] (app/models/cash.server.ts).
-- Amounts never change after the fact: only the confirmation is filled in, once.

CREATE TABLE "CashHandover" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "festivalId" TEXT NOT NULL,
    "currency" TEXT NOT NULL CHECK (length("currency") = 3 AND "currency" = upper("currency")),
    -- The door device whose cash was handed over (NULL: cash recorded before devices held it).
    "deviceId" TEXT,
    "expectedMinor" INTEGER NOT NULL CHECK (typeof("expectedMinor") = 'integer' AND "expectedMinor" >= 0),
    "countedMinor" INTEGER NOT NULL CHECK (typeof("countedMinor") = 'integer' AND "countedMinor" >= 0),
    "treasurerId" TEXT NOT NULL,
    "recordedById" TEXT NOT NULL,
    "recordedAt" DATETIME NOT NULL,
    "confirmedById" TEXT,
    "confirmedAt" DATETIME,
    CONSTRAINT "CashHandover_festivalId_fkey" FOREIGN KEY ("festivalId") REFERENCES "Festival" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE INDEX "CashHandover_festivalId_recordedAt_idx" ON "CashHandover"("festivalId", "recordedAt");
CREATE INDEX "CashHandover_treasurerId_idx" ON "CashHandover"("treasurerId");

CREATE TRIGGER "CashHandover_amounts_fixed" BEFORE UPDATE ON "CashHandover"
WHEN NEW."expectedMinor" IS NOT OLD."expectedMinor" OR NEW."countedMinor" IS NOT OLD."countedMinor"
  OR NEW."treasurerId" IS NOT OLD."treasurerId" OR NEW."deviceId" IS NOT OLD."deviceId"
  OR NEW."currency" IS NOT OLD."currency" OR NEW."festivalId" IS NOT OLD."festivalId"
  OR OLD."confirmedAt" IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'CashHandover: only its confirmation is written, once');
END;
CREATE TRIGGER "CashHandover_no_delete" BEFORE DELETE ON "CashHandover"
BEGIN
    SELECT RAISE(ABORT, 'CashHandover is append-only');
END;

-- Door orders marked paid while their pledged donation was never collected (the old
-- scanner asked only for the tickets): they owe the donation still, so they are
-- confirmed again and the door can collect it (or record that the buyer declined).
UPDATE "Order" SET "status" = 'confirmed', "paidAt" = NULL
WHERE "paymentMethod" = 'door' AND "status" = 'paid'
  AND EXISTS (SELECT 1 FROM "OrderItem" i WHERE i."orderId" = "Order"."id" AND i."kind" = 'donation' AND i."amountMinor" > 0)
  AND NOT EXISTS (
    SELECT 1 FROM "LedgerEntry" e JOIN "LedgerPosting" p ON p."entryId" = e."id"
    JOIN "LedgerAccount" a ON a."id" = p."accountId"
    WHERE e."orderId" = "Order"."id" AND a."code" = 'income' AND a."category" = 'donation');
