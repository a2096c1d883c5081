-- The retention job (app/models/privacy.server.ts) finds an erased order's
-- emails by the order id in their payload; without this index every erasure
-- read the whole outbox, which only grows. The expression is the query's own.
CREATE INDEX "OutboxEmail_orderId_idx" ON "OutboxEmail" ((CASE WHEN json_valid(payload) THEN json_extract(payload, '$.orderId') END));
