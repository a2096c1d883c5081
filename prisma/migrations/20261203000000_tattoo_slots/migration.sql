-- Donation tattoo slots (issue 10, decision 0030): artists, their images and flash designs,
-- availability windows turned into slots, bookings held and paid through the checkout (item
-- kind "tattoo_slot"), a waitlist with held offers. The database itself refuses what must never
-- happen: two overlapping open slots of one artist, a slot held twice, a limited design used
-- beyond its limit, more active bookings per person and artist than the festival allows.
-- Every time column of these tables is written as sqlDate() text ("2026-06-13T12:00:00.000+00:00",
-- checked below), so comparing the text compares the instants.

-- How the festival runs its tattoo corner.
ALTER TABLE "Festival" ADD COLUMN "tattooBookingsPerArtist" INTEGER NOT NULL DEFAULT 1 CHECK ("tattooBookingsPerArtist" BETWEEN 1 AND 20);
ALTER TABLE "Festival" ADD COLUMN "tattooCancelHours" INTEGER NOT NULL DEFAULT 12 CHECK ("tattooCancelHours" BETWEEN 0 AND 720);
-- A booking cancelled in time: its donation is refunded ('refund') or kept as a donation ('keep').
ALTER TABLE "Festival" ADD COLUMN "tattooCancelPolicy" TEXT NOT NULL DEFAULT 'refund' CHECK ("tattooCancelPolicy" IN ('refund', 'keep'));
-- How long a waitlist offer holds its slot.
ALTER TABLE "Festival" ADD COLUMN "tattooOfferMinutes" INTEGER NOT NULL DEFAULT 20 CHECK ("tattooOfferMinutes" BETWEEN 5 AND 1440);

-- The ledger income category an order line was priced under (NULL: its kind's own, as before):
-- a tattoo donation's is its artist's ("tattoo.<artistId>").
ALTER TABLE "OrderItem" ADD COLUMN "category" TEXT;

CREATE TABLE "TattooArtist" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "festivalId" TEXT NOT NULL,
    -- A name or an alias: never a legal name by requirement.
    "name" TEXT NOT NULL CHECK (length("name") BETWEEN 1 AND 80),
    -- JSON {language: text}
    "bio" TEXT NOT NULL DEFAULT '{}',
    -- How organisers reach the artist (never shown publicly).
    "contact" TEXT,
    -- The account that runs this artist's own schedule (and sees nothing else of the festival).
    "userId" TEXT,
    -- The prisoner the artist gives their tattoos' donations to (unless the donor chose one).
    "prisonerId" TEXT,
    "position" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "TattooArtist_festivalId_fkey" FOREIGN KEY ("festivalId") REFERENCES "Festival" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "TattooArtist_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE INDEX "TattooArtist_festivalId_position_idx" ON "TattooArtist"("festivalId", "position");
CREATE UNIQUE INDEX "TattooArtist_festivalId_userId_key" ON "TattooArtist"("festivalId", "userId");

-- An uploaded picture, stored re-encoded (no metadata) under DATA_DIR/media/<file>.
-- kind: 'portfolio' | 'flash'
CREATE TABLE "TattooImage" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "artistId" TEXT NOT NULL,
    "kind" TEXT NOT NULL CHECK ("kind" IN ('portfolio', 'flash')),
    "file" TEXT NOT NULL UNIQUE,
    "thumbFile" TEXT NOT NULL UNIQUE,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "bytes" INTEGER NOT NULL,
    "position" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL,
    CONSTRAINT "TattooImage_artistId_fkey" FOREIGN KEY ("artistId") REFERENCES "TattooArtist" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "TattooImage_artistId_idx" ON "TattooImage"("artistId", "kind", "position");

-- A flash design: tattooed up to maxUses times (NULL: unlimited). `reserved` counts held and
-- booked uses; the CHECK makes the last use go to exactly one booker.
CREATE TABLE "FlashDesign" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "festivalId" TEXT NOT NULL,
    "artistId" TEXT NOT NULL,
    "imageId" TEXT,
    "title" TEXT NOT NULL CHECK (length("title") BETWEEN 1 AND 120),
    -- Free text: "5 × 5 cm", "palm-sized".
    "size" TEXT,
    "minDonationMinor" INTEGER NOT NULL CHECK (typeof("minDonationMinor") = 'integer' AND "minDonationMinor" >= 0),
    "maxUses" INTEGER CHECK ("maxUses" IS NULL OR "maxUses" >= 1),
    "reserved" INTEGER NOT NULL DEFAULT 0,
    -- 'available' | 'gone' (the artist took it off the sheet)
    "status" TEXT NOT NULL DEFAULT 'available' CHECK ("status" IN ('available', 'gone')),
    "position" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL,
    CONSTRAINT "FlashDesign_reserved_within_capacity" CHECK ("reserved" >= 0 AND ("maxUses" IS NULL OR "reserved" <= "maxUses")),
    CONSTRAINT "FlashDesign_festivalId_fkey" FOREIGN KEY ("festivalId") REFERENCES "Festival" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "FlashDesign_artistId_fkey" FOREIGN KEY ("artistId") REFERENCES "TattooArtist" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "FlashDesign_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "TattooImage" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE INDEX "FlashDesign_artistId_idx" ON "FlashDesign"("artistId", "position");

-- A window the artist works in, as entered (local times are resolved in the festival's zone when
-- the slots are made). breaks: JSON [{startsAt, endsAt}] (UTC instants).
CREATE TABLE "TattooAvailability" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "festivalId" TEXT NOT NULL,
    "artistId" TEXT NOT NULL,
    "startsAt" DATETIME NOT NULL,
    "endsAt" DATETIME NOT NULL,
    "slotMinutes" INTEGER NOT NULL CHECK ("slotMinutes" BETWEEN 5 AND 720),
    "bufferMinutes" INTEGER NOT NULL DEFAULT 0 CHECK ("bufferMinutes" BETWEEN 0 AND 240),
    "breaks" TEXT NOT NULL DEFAULT '[]',
    "minDonationMinor" INTEGER NOT NULL CHECK (typeof("minDonationMinor") = 'integer' AND "minDonationMinor" >= 0),
    -- Online bookings close this long before a slot starts (the tattoo corner can still book it).
    "minNoticeMinutes" INTEGER NOT NULL DEFAULT 0 CHECK ("minNoticeMinutes" BETWEEN 0 AND 10080),
    "createdAt" DATETIME NOT NULL,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "TattooAvailability_window" CHECK ("endsAt" > "startsAt"),
    CONSTRAINT "TattooAvailability_festivalId_fkey" FOREIGN KEY ("festivalId") REFERENCES "Festival" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "TattooAvailability_artistId_fkey" FOREIGN KEY ("artistId") REFERENCES "TattooArtist" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "TattooAvailability_artistId_idx" ON "TattooAvailability"("artistId", "startsAt");

-- One bookable slot. `reserved` (0 or 1) counts what holds it: a pending order's hold, a booking,
-- or a waitlist offer. status: 'open' | 'withdrawn' (taken off by an availability change; kept
-- because bookings of the past may name it).
CREATE TABLE "TattooSlot" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "festivalId" TEXT NOT NULL,
    "artistId" TEXT NOT NULL,
    "availabilityId" TEXT,
    "startsAt" DATETIME NOT NULL CHECK ("startsAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]+00:00'),
    "endsAt" DATETIME NOT NULL CHECK ("endsAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]+00:00'),
    "minDonationMinor" INTEGER NOT NULL CHECK (typeof("minDonationMinor") = 'integer' AND "minDonationMinor" >= 0),
    "minNoticeMinutes" INTEGER NOT NULL DEFAULT 0,
    "reserved" INTEGER NOT NULL DEFAULT 0,
    "status" TEXT NOT NULL DEFAULT 'open' CHECK ("status" IN ('open', 'withdrawn')),
    "createdAt" DATETIME NOT NULL,
    CONSTRAINT "TattooSlot_reserved_within_capacity" CHECK ("reserved" BETWEEN 0 AND 1),
    CONSTRAINT "TattooSlot_times" CHECK ("endsAt" > "startsAt"),
    CONSTRAINT "TattooSlot_festivalId_fkey" FOREIGN KEY ("festivalId") REFERENCES "Festival" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "TattooSlot_artistId_fkey" FOREIGN KEY ("artistId") REFERENCES "TattooArtist" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "TattooSlot_availabilityId_fkey" FOREIGN KEY ("availabilityId") REFERENCES "TattooAvailability" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE INDEX "TattooSlot_artistId_startsAt_idx" ON "TattooSlot"("artistId", "startsAt");
CREATE INDEX "TattooSlot_festivalId_startsAt_idx" ON "TattooSlot"("festivalId", "startsAt");

-- One artist never has two open slots that overlap (writes are serialised, so the check is race-free).
CREATE TRIGGER "TattooSlot_no_overlap_insert" BEFORE INSERT ON "TattooSlot"
WHEN NEW."status" = 'open' AND EXISTS (
    SELECT 1 FROM "TattooSlot" s WHERE s."artistId" = NEW."artistId" AND s."status" = 'open'
      AND s."startsAt" < NEW."endsAt" AND s."endsAt" > NEW."startsAt")
BEGIN
    SELECT RAISE(ABORT, 'tattoo_slot_overlap');
END;
CREATE TRIGGER "TattooSlot_no_overlap_update" BEFORE UPDATE OF "startsAt", "endsAt", "status", "artistId" ON "TattooSlot"
WHEN NEW."status" = 'open' AND EXISTS (
    SELECT 1 FROM "TattooSlot" s WHERE s."artistId" = NEW."artistId" AND s."status" = 'open' AND s."id" <> NEW."id"
      AND s."startsAt" < NEW."endsAt" AND s."endsAt" > NEW."startsAt")
BEGIN
    SELECT RAISE(ABORT, 'tattoo_slot_overlap');
END;
-- A slot that something holds is never withdrawn or moved.
CREATE TRIGGER "TattooSlot_held_stays" BEFORE UPDATE OF "startsAt", "endsAt", "status", "artistId" ON "TattooSlot"
WHEN OLD."reserved" > 0
BEGIN
    SELECT RAISE(ABORT, 'tattoo_slot_held');
END;
CREATE TRIGGER "TattooSlot_held_not_deleted" BEFORE DELETE ON "TattooSlot"
WHEN OLD."reserved" > 0 OR EXISTS (SELECT 1 FROM "TattooBooking" b WHERE b."slotId" = OLD."id")
BEGIN
    SELECT RAISE(ABORT, 'tattoo_slot_held');
END;

-- The tattoo part of an order line (item kind "tattoo_slot"), keyed by its OrderItem.
-- status: 'held' (paying) | 'booked' | 'done' | 'no_show' | 'cancelled' | 'expired' | 'refunded'
-- holdsSlot: 1 while the booking counts on its slot and its design (`reserved` above).
-- emailKey: sha256 of the festival and the booker's address (the per-person limit), erased with the order.
-- The booker manages it (cancel, reschedule) from the order's own secret link.
CREATE TABLE "TattooBooking" (
    "orderItemId" TEXT NOT NULL PRIMARY KEY,
    "orderId" TEXT NOT NULL,
    "festivalId" TEXT NOT NULL,
    "artistId" TEXT NOT NULL,
    "slotId" TEXT NOT NULL,
    "flashDesignId" TEXT,
    "emailKey" TEXT,
    "status" TEXT NOT NULL DEFAULT 'held' CHECK ("status" IN ('held', 'booked', 'done', 'no_show', 'cancelled', 'expired', 'refunded')),
    "holdsSlot" INTEGER NOT NULL DEFAULT 0 CHECK ("holdsSlot" IN (0, 1)),
    -- Still to pay at the tattoo corner (an order paid there): the donation until it is collected.
    "dueMinor" INTEGER NOT NULL DEFAULT 0 CHECK (typeof("dueMinor") = 'integer' AND "dueMinor" >= 0),
    -- Booked at the tattoo corner (a walk-in), not online.
    "walkIn" INTEGER NOT NULL DEFAULT 0,
    -- The reminder queued in the outbox (cancelled with the booking).
    "reminderEmailId" TEXT,
    "createdAt" DATETIME NOT NULL,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "TattooBooking_orderItemId_fkey" FOREIGN KEY ("orderItemId") REFERENCES "OrderItem" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "TattooBooking_slotId_fkey" FOREIGN KEY ("slotId") REFERENCES "TattooSlot" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "TattooBooking_artistId_fkey" FOREIGN KEY ("artistId") REFERENCES "TattooArtist" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "TattooBooking_flashDesignId_fkey" FOREIGN KEY ("flashDesignId") REFERENCES "FlashDesign" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE INDEX "TattooBooking_slotId_idx" ON "TattooBooking"("slotId");
CREATE INDEX "TattooBooking_orderId_idx" ON "TattooBooking"("orderId");
CREATE INDEX "TattooBooking_artist_email_idx" ON "TattooBooking"("artistId", "emailKey");

-- At most `tattooBookingsPerArtist` active (held or booked) bookings per person and artist.
CREATE TRIGGER "TattooBooking_limit_insert" BEFORE INSERT ON "TattooBooking"
WHEN NEW."holdsSlot" = 1 AND NEW."status" IN ('held', 'booked') AND NEW."emailKey" IS NOT NULL AND (
    SELECT count(*) FROM "TattooBooking" b WHERE b."artistId" = NEW."artistId" AND b."emailKey" = NEW."emailKey"
      AND b."holdsSlot" = 1 AND b."status" IN ('held', 'booked')
) >= (SELECT "tattooBookingsPerArtist" FROM "Festival" WHERE "id" = NEW."festivalId")
BEGIN
    SELECT RAISE(ABORT, 'tattoo_booking_limit');
END;
CREATE TRIGGER "TattooBooking_limit_update" BEFORE UPDATE OF "holdsSlot", "status", "artistId" ON "TattooBooking"
WHEN NEW."holdsSlot" = 1 AND NEW."status" IN ('held', 'booked') AND NEW."emailKey" IS NOT NULL
  AND NOT (OLD."holdsSlot" = 1 AND OLD."status" IN ('held', 'booked') AND OLD."artistId" = NEW."artistId")
  AND (
    SELECT count(*) FROM "TattooBooking" b WHERE b."artistId" = NEW."artistId" AND b."emailKey" = NEW."emailKey"
      AND b."holdsSlot" = 1 AND b."status" IN ('held', 'booked') AND b."orderItemId" <> NEW."orderItemId"
) >= (SELECT "tattooBookingsPerArtist" FROM "Festival" WHERE "id" = NEW."festivalId")
BEGIN
    SELECT RAISE(ABORT, 'tattoo_booking_limit');
END;

-- Someone waiting for a slot of an artist on a day (the festival's local date), or for a design.
-- status: 'waiting' | 'offered' | 'booked' | 'passed' (an offer ran out) | 'left'
CREATE TABLE "TattooWaitlist" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "festivalId" TEXT NOT NULL,
    "artistId" TEXT NOT NULL,
    "day" TEXT NOT NULL CHECK ("day" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    "flashDesignId" TEXT,
    "email" TEXT,
    "emailKey" TEXT,
    "locale" TEXT NOT NULL DEFAULT 'en',
    "status" TEXT NOT NULL DEFAULT 'waiting' CHECK ("status" IN ('waiting', 'offered', 'booked', 'passed', 'left')),
    -- The secret of the "leave the waitlist" link, stored hashed.
    "leaveTokenHash" TEXT NOT NULL UNIQUE,
    "createdAt" DATETIME NOT NULL,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "TattooWaitlist_festivalId_fkey" FOREIGN KEY ("festivalId") REFERENCES "Festival" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "TattooWaitlist_artistId_fkey" FOREIGN KEY ("artistId") REFERENCES "TattooArtist" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "TattooWaitlist_flashDesignId_fkey" FOREIGN KEY ("flashDesignId") REFERENCES "FlashDesign" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "TattooWaitlist_line_idx" ON "TattooWaitlist"("artistId", "day", "status", "createdAt");
-- One place in one line per person.
CREATE UNIQUE INDEX "TattooWaitlist_once_key" ON "TattooWaitlist"("artistId", "day", COALESCE("flashDesignId", ''), "emailKey")
WHERE "status" IN ('waiting', 'offered');

-- A freed slot offered to the first in line, held for them until expiresAt.
-- status: 'open' | 'taken' | 'expired' | 'withdrawn'
CREATE TABLE "TattooOffer" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "festivalId" TEXT NOT NULL,
    "waitlistId" TEXT NOT NULL,
    "slotId" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL UNIQUE,
    "status" TEXT NOT NULL DEFAULT 'open' CHECK ("status" IN ('open', 'taken', 'expired', 'withdrawn')),
    "expiresAt" DATETIME NOT NULL,
    "orderId" TEXT,
    "createdAt" DATETIME NOT NULL,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "TattooOffer_waitlistId_fkey" FOREIGN KEY ("waitlistId") REFERENCES "TattooWaitlist" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "TattooOffer_slotId_fkey" FOREIGN KEY ("slotId") REFERENCES "TattooSlot" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "TattooOffer_status_expiresAt_idx" ON "TattooOffer"("status", "expiresAt");
CREATE UNIQUE INDEX "TattooOffer_one_open_per_slot" ON "TattooOffer"("slotId") WHERE "status" = 'open';
