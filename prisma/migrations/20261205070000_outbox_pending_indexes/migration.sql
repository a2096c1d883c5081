-- The outbox's delivery query (app/utils/email.server.ts `sendableSql`) takes
-- each recipient's first waiting email: for every due row it asks whether an
-- earlier pending row to the same address exists. Without an index on the
-- address that was a scan of every pending row per due row — 30 ms with 400
-- emails waiting after a sales burst, 3 s with 4,000, each time on the event
-- loop (the driver is synchronous) and so in front of every door verdict.
-- Pending rows by address, and pending rows in the order they go out.
CREATE INDEX "OutboxEmail_pending_to_idx" ON "OutboxEmail" ("to", "createdAt") WHERE status = 'pending';
CREATE INDEX "OutboxEmail_pending_created_idx" ON "OutboxEmail" ("createdAt") WHERE status = 'pending';
