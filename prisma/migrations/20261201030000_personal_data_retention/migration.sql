-- Personal data retention (issue 8, item 10): a festival is marked once its
-- attendees' personal data has been erased, and each erased order is marked.
ALTER TABLE "Festival" ADD COLUMN "personalDataPurgedAt" DATETIME;
ALTER TABLE "Order" ADD COLUMN "erasedAt" DATETIME;
