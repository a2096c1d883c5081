-- Door scanning: devices, check-ins (each nonce once), and the admission state of tickets.
ALTER TABLE "Ticket" ADD COLUMN "admittedAt" DATETIME;
ALTER TABLE "Ticket" ADD COLUMN "admittedBy" TEXT;
ALTER TABLE "Ticket" ADD COLUMN "inside" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "DoorDevice" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "festivalId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "createdById" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" DATETIME,
    "revokedAt" DATETIME,
    CONSTRAINT "DoorDevice_festivalId_fkey" FOREIGN KEY ("festivalId") REFERENCES "Festival" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "CheckIn" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "festivalId" TEXT NOT NULL,
    "ticketId" TEXT,
    "deviceId" TEXT,
    "nonce" TEXT NOT NULL,
    "direction" TEXT NOT NULL DEFAULT 'in',
    "result" TEXT NOT NULL,
    "offline" BOOLEAN NOT NULL DEFAULT false,
    "scannedAt" DATETIME NOT NULL,
    "recordedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "response" TEXT NOT NULL
);

-- CreateIndex
CREATE UNIQUE INDEX "DoorDevice_tokenHash_key" ON "DoorDevice"("tokenHash");

-- CreateIndex
CREATE INDEX "DoorDevice_festivalId_idx" ON "DoorDevice"("festivalId");

-- CreateIndex
CREATE UNIQUE INDEX "CheckIn_nonce_key" ON "CheckIn"("nonce");

-- CreateIndex
CREATE INDEX "CheckIn_festivalId_recordedAt_idx" ON "CheckIn"("festivalId", "recordedAt");

-- CreateIndex
CREATE INDEX "CheckIn_ticketId_idx" ON "CheckIn"("ticketId");
