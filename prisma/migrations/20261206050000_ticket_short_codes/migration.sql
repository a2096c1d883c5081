-- A short code per ticket (decision 0049): ten characters of Crockford base32
-- (no I, L, O, U), printed on the ticket page and in the ticket email, that
-- door staff can type at the scanner instead of scanning. Unique per festival.
-- Tickets issued from now on get theirs from app/models/ticket.server.ts;
-- existing tickets get a random one here (32^10 ≈ 10^15 codes: a clash among a
-- festival's tickets is practically impossible, and the unique index below
-- would stop the migration rather than let one through).
ALTER TABLE "Ticket" ADD COLUMN "shortCode" TEXT;

UPDATE "Ticket" SET "shortCode" =
  substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (abs(random()) % 32) + 1, 1) ||
  substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (abs(random()) % 32) + 1, 1) ||
  substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (abs(random()) % 32) + 1, 1) ||
  substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (abs(random()) % 32) + 1, 1) ||
  substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (abs(random()) % 32) + 1, 1) ||
  substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (abs(random()) % 32) + 1, 1) ||
  substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (abs(random()) % 32) + 1, 1) ||
  substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (abs(random()) % 32) + 1, 1) ||
  substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (abs(random()) % 32) + 1, 1) ||
  substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (abs(random()) % 32) + 1, 1)
WHERE "shortCode" IS NULL;

CREATE UNIQUE INDEX "Ticket_festivalId_shortCode_key" ON "Ticket" ("festivalId", "shortCode");
