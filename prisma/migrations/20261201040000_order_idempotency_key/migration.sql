-- Idempotent checkout (issue 8, decision 0019): a repeated order request with the same
-- Idempotency-Key (scoped to festival and buyer, stored as a hash) finds its order; the
-- unique index makes a second one impossible inside the order's own write batch.
ALTER TABLE "Order" ADD COLUMN "idempotencyKey" TEXT;
ALTER TABLE "Order" ADD COLUMN "requestHash" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "Order_idempotencyKey_key" ON "Order"("idempotencyKey");
