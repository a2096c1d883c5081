-- Issue 10, cancel and reschedule: the terms a tattoo booking was made under. The festival
-- states its cancellation terms up front (until how many hours before the slot, and whether a
-- cancelled booking's donation is refunded or kept as a donation); a booking keeps the terms it
-- was made under when the organisers change them later. NULL (bookings made before this
-- migration): the festival's current terms.
ALTER TABLE "TattooBooking" ADD COLUMN "cancelPolicy" TEXT CHECK ("cancelPolicy" IS NULL OR "cancelPolicy" IN ('refund', 'keep'));
ALTER TABLE "TattooBooking" ADD COLUMN "cancelHours" INTEGER CHECK ("cancelHours" IS NULL OR "cancelHours" BETWEEN 0 AND 720);

-- Set at booking, whoever inserts the row (the item kind's store()), in the same statement's
-- transaction: the terms are the festival's at that moment.
CREATE TRIGGER "TattooBooking_terms_at_booking" AFTER INSERT ON "TattooBooking"
WHEN NEW."cancelPolicy" IS NULL OR NEW."cancelHours" IS NULL
BEGIN
    UPDATE "TattooBooking" SET
        "cancelPolicy" = COALESCE(NEW."cancelPolicy", (SELECT "tattooCancelPolicy" FROM "Festival" WHERE "id" = NEW."festivalId")),
        "cancelHours" = COALESCE(NEW."cancelHours", (SELECT "tattooCancelHours" FROM "Festival" WHERE "id" = NEW."festivalId"))
    WHERE "orderItemId" = NEW."orderItemId";
END;
