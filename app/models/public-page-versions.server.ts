// What the public pages the page cache keeps (utils/page-cache.server.ts) are
// made of, as one cheap fingerprint read from the database at every request: a
// cached copy is sent only while its fingerprint is unchanged, so availability
// (tickets left, free tattoo slots, uses of a design) is as live as a render,
// whichever process or path changed it (a checkout, a hold's expiry, a Stripe
// webhook, an organiser's edit, a raw SQL fix). The festival page's fingerprint
// is its festival row's shown columns, its `publicVersion` (moved by triggers on
// every write to its ticket types, quotas, programme, artists, images, flash,
// slots, waitlist and supported prisoners: migration 20261206010000) and the
// ledger's last entry (the prisoners' figures): one primary-key lookup. Time
// alone (a sales window opening, a festival ending) changes nothing here: the
// cache's time to live bounds that (decision 0045).
import { createHash } from "node:crypto";
import { sqlClient } from "~/utils/db.server";

/** `group_concat` of quoted columns, one row per item, in a fixed order. */
const rows = (table: string, where: string, columns: string[], order = "rowid") =>
  `(SELECT count(*) || ':' || coalesce(group_concat(concat_ws('|', ${columns
    .map((c) => `quote(${c})`)
    .join(", ")}), ';' ORDER BY ${order}), '') FROM ${table} WHERE ${where})`;

const FESTIVAL_COLUMNS = [
  "f.id",
  "f.name",
  "f.city",
  "f.country",
  "f.venueName",
  "f.venueAddress",
  "f.mapUrl",
  "f.timezone",
  "f.currency",
  "f.startsAt",
  "f.endsAt",
  "f.languages",
  "f.description",
  "f.paymentMethods",
  "f.status",
  "f.publishedAt",
  "f.tattooCancelHours",
  "f.tattooCancelPolicy",
  "f.posterImage",
  "f.posterSizes",
  "f.updatedAt",
];

const FESTIVAL_PAGE_VERSION = `
SELECT concat_ws('|', ${FESTIVAL_COLUMNS.map((c) => `quote(${c})`).join(", ")}) AS festival,
  f.publicVersion AS rows,
  (SELECT max(rowid) FROM LedgerEntry) AS ledger
FROM Festival f WHERE f.slug = ?`;

const FESTIVAL_LIST_VERSION = `
SELECT ${rows(
  "Festival f",
  "f.status IN ('published', 'cancelled') AND f.publishedAt IS NOT NULL",
  FESTIVAL_COLUMNS,
  "f.id",
)} AS festivals`;

function digest(row: Record<string, unknown> | undefined) {
  if (!row) return "none";
  return createHash("sha256")
    .update(JSON.stringify(Object.values(row)))
    .digest("base64url");
}

/** The festival page's fingerprint (by its slug): changes with anything the page shows but the clock. */
export async function festivalPageVersion(slug: string) {
  const { rows: found } = await sqlClient().execute({ sql: FESTIVAL_PAGE_VERSION, args: [slug] });
  return digest(found[0] as Record<string, unknown> | undefined);
}

/** The festival list's fingerprint (the home page and the sitemap). */
export async function festivalListVersion() {
  const { rows: found } = await sqlClient().execute(FESTIVAL_LIST_VERSION);
  return digest(found[0] as Record<string, unknown> | undefined);
}
