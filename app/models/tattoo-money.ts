// Tattoo donations in the ledger (decision 0030): each artist's tattoo money is
// its own income category, "tattoo.<artistId>", so the books show it per
// festival and artist (and earmark) with no extra account dimension: refunds,
// chargebacks and reclassifications carry the category as they carry any other.

/** The category family of every tattoo donation. */
export const TATTOO_FAMILY = "tattoo";

/** The income category of an artist's tattoo donations. */
export function tattooCategory(artistId: string) {
  return `${TATTOO_FAMILY}.${artistId}`;
}

/** The artist a category's money is for, if it is a tattoo category. */
export function artistOfCategory(category: string | null | undefined): string | null {
  return category?.startsWith(`${TATTOO_FAMILY}.`)
    ? category.slice(TATTOO_FAMILY.length + 1)
    : null;
}

/** The family a category belongs to ("tattoo.<id>" → "tattoo"; others are their own). */
export function categoryFamily(category: string) {
  return artistOfCategory(category) ? TATTOO_FAMILY : category;
}
