-- Card money from Stripe (issue 9): refunds and disputes made in Stripe reach the order,
-- and a webhook whose amount or currency is not the order's is recorded, not fulfilled.

-- Stripe's dispute on the order's charge: NULL, 'open', 'won' or 'lost'.
ALTER TABLE "Order" ADD COLUMN "disputeStatus" TEXT CHECK ("disputeStatus" IS NULL OR "disputeStatus" IN ('open', 'won', 'lost'));
-- charge.refunded and charge.dispute.* find their order by its PaymentIntent.
CREATE INDEX "Order_stripePaymentIntentId_idx" ON "Order"("stripePaymentIntentId");

-- A paid Checkout Session that did not match its order (nothing was fulfilled for it).
-- No personal data: the order, Stripe's ids, and what was expected and received.
CREATE TABLE "PaymentProblem" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "festivalId" TEXT NOT NULL,
    "orderId" TEXT NOT NULL,
    "stripeEventId" TEXT NOT NULL,
    "stripePaymentIntentId" TEXT,
    "kind" TEXT NOT NULL CHECK ("kind" IN ('amount_mismatch')),
    "expectedMinor" INTEGER NOT NULL,
    "expectedCurrency" TEXT NOT NULL,
    "receivedMinor" INTEGER NOT NULL,
    "receivedCurrency" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL
);
CREATE UNIQUE INDEX "PaymentProblem_stripeEventId_key" ON "PaymentProblem"("stripeEventId");
CREATE INDEX "PaymentProblem_orderId_idx" ON "PaymentProblem"("orderId");
CREATE INDEX "PaymentProblem_stripePaymentIntentId_idx" ON "PaymentProblem"("stripePaymentIntentId");
