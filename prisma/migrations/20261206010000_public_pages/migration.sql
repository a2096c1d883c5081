-- A festival's poster (issue 13): uploaded by its organisers, re-encoded like
-- the flash pictures (WebP, no metadata) at a few widths for a srcset. The
-- files are DATA_DIR/media/<posterImage>-w<width>.webp; `posterSizes` is the
-- JSON array of the widths stored, `posterWidth`/`posterHeight` the largest's size.
ALTER TABLE "Festival" ADD COLUMN "posterImage" TEXT;
ALTER TABLE "Festival" ADD COLUMN "posterSizes" TEXT;
ALTER TABLE "Festival" ADD COLUMN "posterWidth" INTEGER;
ALTER TABLE "Festival" ADD COLUMN "posterHeight" INTEGER;

-- The public page cache's fingerprint of a festival page (decision 0045,
-- app/models/public-page-versions.server.ts): a counter every write to a row the
-- page shows moves, whichever code, process or raw SQL makes it — a checkout's
-- hold, a hold's expiry, a booking, an organiser's edit. Read with the festival
-- by its slug, one primary-key lookup, instead of comparing thousands of slots.
ALTER TABLE "Festival" ADD COLUMN "publicVersion" INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER "TicketType_public_version_insert" AFTER INSERT ON "TicketType"
BEGIN
  UPDATE "Festival" SET "publicVersion" = "publicVersion" + 1 WHERE "id" = NEW."festivalId";
END;
CREATE TRIGGER "TicketType_public_version_update" AFTER UPDATE ON "TicketType"
BEGIN
  UPDATE "Festival" SET "publicVersion" = "publicVersion" + 1 WHERE "id" = NEW."festivalId";
END;
CREATE TRIGGER "TicketType_public_version_delete" AFTER DELETE ON "TicketType"
BEGIN
  UPDATE "Festival" SET "publicVersion" = "publicVersion" + 1 WHERE "id" = OLD."festivalId";
END;
CREATE TRIGGER "Quota_public_version_insert" AFTER INSERT ON "Quota"
BEGIN
  UPDATE "Festival" SET "publicVersion" = "publicVersion" + 1 WHERE "id" = NEW."festivalId";
END;
CREATE TRIGGER "Quota_public_version_update" AFTER UPDATE ON "Quota"
BEGIN
  UPDATE "Festival" SET "publicVersion" = "publicVersion" + 1 WHERE "id" = NEW."festivalId";
END;
CREATE TRIGGER "Quota_public_version_delete" AFTER DELETE ON "Quota"
BEGIN
  UPDATE "Festival" SET "publicVersion" = "publicVersion" + 1 WHERE "id" = OLD."festivalId";
END;
CREATE TRIGGER "ProgrammeItem_public_version_insert" AFTER INSERT ON "ProgrammeItem"
BEGIN
  UPDATE "Festival" SET "publicVersion" = "publicVersion" + 1 WHERE "id" = NEW."festivalId";
END;
CREATE TRIGGER "ProgrammeItem_public_version_update" AFTER UPDATE ON "ProgrammeItem"
BEGIN
  UPDATE "Festival" SET "publicVersion" = "publicVersion" + 1 WHERE "id" = NEW."festivalId";
END;
CREATE TRIGGER "ProgrammeItem_public_version_delete" AFTER DELETE ON "ProgrammeItem"
BEGIN
  UPDATE "Festival" SET "publicVersion" = "publicVersion" + 1 WHERE "id" = OLD."festivalId";
END;
CREATE TRIGGER "TattooArtist_public_version_insert" AFTER INSERT ON "TattooArtist"
BEGIN
  UPDATE "Festival" SET "publicVersion" = "publicVersion" + 1 WHERE "id" = NEW."festivalId";
END;
CREATE TRIGGER "TattooArtist_public_version_update" AFTER UPDATE ON "TattooArtist"
BEGIN
  UPDATE "Festival" SET "publicVersion" = "publicVersion" + 1 WHERE "id" = NEW."festivalId";
END;
CREATE TRIGGER "TattooArtist_public_version_delete" AFTER DELETE ON "TattooArtist"
BEGIN
  UPDATE "Festival" SET "publicVersion" = "publicVersion" + 1 WHERE "id" = OLD."festivalId";
END;
CREATE TRIGGER "FlashDesign_public_version_insert" AFTER INSERT ON "FlashDesign"
BEGIN
  UPDATE "Festival" SET "publicVersion" = "publicVersion" + 1 WHERE "id" = NEW."festivalId";
END;
CREATE TRIGGER "FlashDesign_public_version_update" AFTER UPDATE ON "FlashDesign"
BEGIN
  UPDATE "Festival" SET "publicVersion" = "publicVersion" + 1 WHERE "id" = NEW."festivalId";
END;
CREATE TRIGGER "FlashDesign_public_version_delete" AFTER DELETE ON "FlashDesign"
BEGIN
  UPDATE "Festival" SET "publicVersion" = "publicVersion" + 1 WHERE "id" = OLD."festivalId";
END;
CREATE TRIGGER "TattooSlot_public_version_insert" AFTER INSERT ON "TattooSlot"
BEGIN
  UPDATE "Festival" SET "publicVersion" = "publicVersion" + 1 WHERE "id" = NEW."festivalId";
END;
CREATE TRIGGER "TattooSlot_public_version_update" AFTER UPDATE ON "TattooSlot"
BEGIN
  UPDATE "Festival" SET "publicVersion" = "publicVersion" + 1 WHERE "id" = NEW."festivalId";
END;
CREATE TRIGGER "TattooSlot_public_version_delete" AFTER DELETE ON "TattooSlot"
BEGIN
  UPDATE "Festival" SET "publicVersion" = "publicVersion" + 1 WHERE "id" = OLD."festivalId";
END;
CREATE TRIGGER "TattooWaitlist_public_version_insert" AFTER INSERT ON "TattooWaitlist"
BEGIN
  UPDATE "Festival" SET "publicVersion" = "publicVersion" + 1 WHERE "id" = NEW."festivalId";
END;
CREATE TRIGGER "TattooWaitlist_public_version_update" AFTER UPDATE ON "TattooWaitlist"
BEGIN
  UPDATE "Festival" SET "publicVersion" = "publicVersion" + 1 WHERE "id" = NEW."festivalId";
END;
CREATE TRIGGER "TattooWaitlist_public_version_delete" AFTER DELETE ON "TattooWaitlist"
BEGIN
  UPDATE "Festival" SET "publicVersion" = "publicVersion" + 1 WHERE "id" = OLD."festivalId";
END;
CREATE TRIGGER "FestivalPrisoner_public_version_insert" AFTER INSERT ON "FestivalPrisoner"
BEGIN
  UPDATE "Festival" SET "publicVersion" = "publicVersion" + 1 WHERE "id" = NEW."festivalId";
END;
CREATE TRIGGER "FestivalPrisoner_public_version_update" AFTER UPDATE ON "FestivalPrisoner"
BEGIN
  UPDATE "Festival" SET "publicVersion" = "publicVersion" + 1 WHERE "id" = NEW."festivalId";
END;
CREATE TRIGGER "FestivalPrisoner_public_version_delete" AFTER DELETE ON "FestivalPrisoner"
BEGIN
  UPDATE "Festival" SET "publicVersion" = "publicVersion" + 1 WHERE "id" = OLD."festivalId";
END;
CREATE TRIGGER "TattooImage_public_version_insert" AFTER INSERT ON "TattooImage"
BEGIN
  UPDATE "Festival" SET "publicVersion" = "publicVersion" + 1
   WHERE "id" = (SELECT "festivalId" FROM "TattooArtist" WHERE "id" = NEW."artistId");
END;
CREATE TRIGGER "TattooImage_public_version_update" AFTER UPDATE ON "TattooImage"
BEGIN
  UPDATE "Festival" SET "publicVersion" = "publicVersion" + 1
   WHERE "id" = (SELECT "festivalId" FROM "TattooArtist" WHERE "id" = NEW."artistId");
END;
CREATE TRIGGER "TattooImage_public_version_delete" AFTER DELETE ON "TattooImage"
BEGIN
  UPDATE "Festival" SET "publicVersion" = "publicVersion" + 1
   WHERE "id" = (SELECT "festivalId" FROM "TattooArtist" WHERE "id" = OLD."artistId");
END;
-- A prisoner's public profile shows on the pages of the festivals supporting them.
CREATE TRIGGER "Prisoner_public_version_update" AFTER UPDATE ON "Prisoner"
BEGIN
  UPDATE "Festival" SET "publicVersion" = "publicVersion" + 1
   WHERE "id" IN (SELECT "festivalId" FROM "FestivalPrisoner" WHERE "prisonerId" = NEW."id");
END;
