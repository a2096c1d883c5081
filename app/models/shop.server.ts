// What a buyer sees on a festival page: ticket types on sale and how to pay.
import { sqlClient } from "~/utils/db.server";
import { stripeAvailable } from "~/utils/stripe.server";
import { parseJsonArray } from "./festival.server";
import { supportedPrisoners } from "./prisoner.server";
import { listTicketTypes, pickLanguage } from "./ticket-type.server";

/** The festival page with an access code filled in: what organisers send to buyers of hidden types. */
export function accessCodeLink(origin: string, slug: string, accessCode: string) {
  return `${origin}/festivals/${encodeURIComponent(slug)}?code=${encodeURIComponent(accessCode)}`;
}

export async function shopFor(
  festival: { id: string; endsAt: string; status: string },
  locale: string,
  accessCode: string | null,
  now = new Date(),
) {
  const { rows } = await sqlClient().execute({
    sql: "SELECT paymentMethods FROM Festival WHERE id = ?",
    args: [festival.id],
  });
  const configured = parseJsonArray(String(rows[0]?.paymentMethods ?? "[]"));
  const methods = configured.filter((m) => (m === "stripe" ? stripeAvailable() : m === "door"));
  const open = festival.status === "published" && new Date(festival.endsAt) > now;
  const all = await listTicketTypes(festival.id);
  const unlocked = (t: (typeof all)[number]) =>
    t.visibility === "hidden" && accessCode !== null && t.accessCode === accessCode;
  // An access code (from the page's code field, a GET form: ?code=…) shows the hidden
  // types it unlocks; it is a code shared with a group, not personal data.
  const code = !accessCode
    ? null
    : all.some(unlocked)
      ? ("accepted" as const)
      : ("unknown" as const);
  const types = all
    .filter((t) => t.visibility === "public" || unlocked(t))
    .map((t) => {
      const notYet = t.salesStartAt !== null && now < t.salesStartAt;
      const over = t.salesEndAt !== null && now >= t.salesEndAt;
      return {
        id: t.id,
        name: pickLanguage(t.name, locale),
        description: pickLanguage(t.description, locale),
        priceMinor: t.priceMinor,
        payWhatYouWant: t.payWhatYouWant,
        minPriceMinor: t.minPriceMinor ?? t.priceMinor,
        suggestedPriceMinor: t.suggestedPriceMinor ?? t.minPriceMinor ?? t.priceMinor,
        maxPerOrder: Math.min(t.maxPerOrder, t.available),
        available: t.available,
        onSale: open && !notYet && !over && t.available > 0,
        salesStartAt: notYet ? t.salesStartAt!.toISOString() : null,
      };
    });
  return {
    open,
    types,
    methods,
    /** Whether the page offers the access-code field (some types are hidden). */
    hasHidden: all.some((t) => t.visibility === "hidden"),
    code,
    prisoners: await supportedPrisoners(festival.id, locale),
  };
}
