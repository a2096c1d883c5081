-- Rate-limit counters in the database (issue 12, decision 0039), so that every app
-- process on one database spends the same budget. One row per limiter key
-- ("<limiter>:<key>"): the points spent in the current window and when the window
-- ends (milliseconds since the epoch, UTC). A row whose window has ended counts as
-- absent and is overwritten by the next hit; the sweep deletes such rows
-- (app/utils/rate-limit-store.server.ts), so the table holds live windows only.
CREATE TABLE "RateLimit" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "points" INTEGER NOT NULL,
    "expiresAtMs" BIGINT NOT NULL
);
CREATE INDEX "RateLimit_expiresAtMs_idx" ON "RateLimit"("expiresAtMs");
