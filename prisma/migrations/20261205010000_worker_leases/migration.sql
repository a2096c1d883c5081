-- One runner at a time across app processes (issue 12, decision 0038): a lease per
-- background worker (email outbox, hold expiry, tattoo waitlist, retention) and per
-- running festival refund-all. A process holds a lease while `holder` is its id and
-- `expiresAt` is in the future; it renews well before then. A lease whose holder died
-- is free again once it has expired. Times are ISO 8601 text in UTC, as Prisma writes
-- them, so they compare as text.
CREATE TABLE "WorkerLease" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "holder" TEXT NOT NULL,
    "acquiredAt" DATETIME NOT NULL,
    "expiresAt" DATETIME NOT NULL
);
