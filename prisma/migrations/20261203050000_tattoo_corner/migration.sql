-- The tattoo corner at the festival (issue 10): a slot given back at the corner "to walk-ins"
-- is kept for people standing at the corner, and the cash staff take there is held by them.

-- 1: a free slot the corner keeps for walk-ins (a no-show released "to walk-ins"): the waitlist's
-- refill does not offer it; the corner books it on the spot. 0 again when released "to the waitlist".
ALTER TABLE "TattooSlot" ADD COLUMN "walkInsOnly" INTEGER NOT NULL DEFAULT 0 CHECK ("walkInsOnly" IN (0, 1));

-- A handover of cash held by a person rather than a door device (cash taken at the tattoo corner
-- is held by the staff member who took it: door_cash with holder user=<id>).
ALTER TABLE "CashHandover" ADD COLUMN "holderUserId" TEXT;
