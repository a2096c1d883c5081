-- Team standing (decision 0016): each door device is tied to the account that
-- set it up (revoked with that person's standing), and each door search is
-- counted per device (when, how many results; never the query).

-- Devices whose creator is unknown or gone are revoked: nobody vouches for them
-- any more, and the app refuses a device without a creator.
UPDATE "DoorDevice" SET "revokedAt" = COALESCE("revokedAt", strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
WHERE "createdById" IS NULL OR "createdById" NOT IN (SELECT "id" FROM "User");
UPDATE "DoorDevice" SET "createdById" = NULL
WHERE "createdById" IS NOT NULL AND "createdById" NOT IN (SELECT "id" FROM "User");

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_DoorDevice" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "festivalId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "createdById" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" DATETIME,
    "revokedAt" DATETIME,
    CONSTRAINT "DoorDevice_festivalId_fkey" FOREIGN KEY ("festivalId") REFERENCES "Festival" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "DoorDevice_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_DoorDevice" ("id", "festivalId", "name", "tokenHash", "createdById", "createdAt", "lastSeenAt", "revokedAt")
SELECT "id", "festivalId", "name", "tokenHash", "createdById", "createdAt", "lastSeenAt", "revokedAt" FROM "DoorDevice";
DROP TABLE "DoorDevice";
ALTER TABLE "new_DoorDevice" RENAME TO "DoorDevice";
CREATE UNIQUE INDEX "DoorDevice_tokenHash_key" ON "DoorDevice"("tokenHash");
CREATE INDEX "DoorDevice_festivalId_idx" ON "DoorDevice"("festivalId");
CREATE INDEX "DoorDevice_createdById_idx" ON "DoorDevice"("createdById");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateTable
CREATE TABLE "DoorSearch" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "deviceId" TEXT NOT NULL,
    "at" DATETIME NOT NULL,
    "results" INTEGER NOT NULL,
    CONSTRAINT "DoorSearch_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "DoorDevice" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "DoorSearch_deviceId_at_idx" ON "DoorSearch"("deviceId", "at");
