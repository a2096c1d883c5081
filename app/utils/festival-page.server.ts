// The public festival page's server side (app/routes/festivals.$slug.tsx): what
// the page shows, and its checkout form. Kept out of the route module so the
// page's browser bundle carries one stub for server code instead of one per
// server module it uses (each a request on a phone: decision 0052).
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { getPublicFestival } from "~/models/festival.server";
import { checkoutSchema, placeOrder, readIdempotencyKey } from "~/models/order.server";
import { cardCheckoutUrl } from "~/models/payment.server";
import { posterForSharing } from "~/models/poster-view.server";
import { supportedPrisonerCards } from "~/models/prisoner.server";
import { shopFor } from "~/models/shop.server";
import { readDayChoice, tattooShopFor, tattooSoldOut } from "~/models/tattoo-shop.server";
import { DomainError, FieldRulesError } from "~/utils/domain-error";
import { formatDateRange } from "~/utils/format";
import {
  field,
  formFailure,
  moneyField,
  moneyFieldError,
  readForm,
  typedValues,
} from "~/utils/forms.server";
import { clientAddress, notFound } from "~/utils/http.server";
import { pickText } from "~/utils/i18n";
import { getTranslator } from "~/utils/i18n.server";
import { responseToken } from "~/utils/page-cache.server";
import { rateLimits } from "~/utils/rate-limit.server";
import { stripeAvailable } from "~/utils/stripe.server";
import { fieldErrors, localizeMessage } from "~/utils/validation";

export async function festivalPage({ request, params, context }: LoaderFunctionArgs) {
  const festival = await getPublicFestival(params.slug ?? "");
  if (!festival) throw notFound("No such festival.");
  const { t, locale } = await getTranslator(request);
  // Description in the reader's language when the festival has it, else the first one it offers.
  const about = pickText(festival.description, locale, festival.languages);
  const description = about?.text ?? null;
  const descriptionLanguage = about?.language && about.language !== locale ? about.language : null;
  const search = new URL(request.url).searchParams;
  const accessCode = search.get("code")?.trim().slice(0, 40) || null;
  const ended = new Date(festival.endsAt) < new Date();
  return {
    festival,
    description,
    descriptionLanguage,
    ended,
    // The sharing tags: the description (or the place and dates), the poster.
    shareDescription:
      description ??
      t("festival.shareDescription", {
        name: festival.name,
        city: festival.city,
        dates: formatDateRange(festival.startsAt, festival.endsAt, locale, festival.timezone),
        venue: festival.venueName,
      }),
    sharingImage: posterForSharing(festival.poster),
    posterAlt: t("festival.posterAlt", { name: festival.name }),
    shop: await shopFor(festival, locale, accessCode),
    tattoos: await tattooShopFor(festival, locale, readDayChoice(search)),
    // The prisoners its proceeds support, with what has been raised and paid out for each.
    prisoners: await supportedPrisonerCards(festival.id, locale),
    // New for each response (the page cache puts a fresh one in each copy it
    // sends: utils/page-cache.server.ts): the checkout form sends it, so a
    // double submit is one order.
    idempotencyKey: responseToken(context),
  };
}

type CheckoutResult = { errors: Record<string, string>; values: Record<string, string> };

/** The checkout form (works without JavaScript): place the order, then go to the order page or to Stripe. */
export async function checkoutFromForm({ request, params, context }: ActionFunctionArgs) {
  const festival = await getPublicFestival(params.slug ?? "");
  if (!festival) throw notFound("No such festival.");
  const { t, locale } = await getTranslator(request);
  const form = await readForm(request);
  const values = typedValues(form);
  const fail = (errors: Record<string, string>, status = 400) =>
    data<CheckoutResult>({ errors, values }, { status });
  try {
    await rateLimits.apiWrite(clientAddress(context));
  } catch (e) {
    const failed = formFailure(e, t, { rate_limited: t("error.rateLimited") });
    return fail(failed.errors, failed.status);
  }
  // Unreadable amounts are reported together with the schema's errors (every error at once).
  const errors: Record<string, string> = {};
  const unreadableAmount = localizeMessage(moneyFieldError(festival.currency), t);
  const items: CheckoutItem[] = [];
  for (const [key, raw] of form.entries()) {
    if (
      !key.startsWith("qty.") ||
      typeof raw !== "string" ||
      raw.trim() === "" ||
      raw.trim() === "0"
    )
      continue;
    const ticketTypeId = key.slice(4, 70);
    const quantity = /^\d{1,3}$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
    const priceMinor = moneyField(form, `price.${ticketTypeId}`, festival.currency);
    if (priceMinor === null) errors[`price.${ticketTypeId}`] = unreadableAmount;
    items.push({ ticketTypeId, quantity, ...(priceMinor != null ? { priceMinor } : {}) });
  }
  // The tattoo choice: a slot, a flash design or none ("custom, to agree with the artist"), a donation.
  const tattooSlotId = field(form, "tattoo.slot")?.trim().slice(0, 64);
  if (tattooSlotId) {
    const tattooDonation = moneyField(form, "tattoo.donation", festival.currency);
    const flashDesignId = field(form, "tattoo.design")?.trim().slice(0, 64);
    if (tattooDonation === null) errors["tattoo.donation"] = unreadableAmount;
    if (tattooDonation === undefined) errors["tattoo.donation"] = t("tattooShop.donationRequired");
    items.push({
      kind: "tattoo_slot",
      tattooSlotId,
      donationMinor: tattooDonation ?? 0,
      ...(flashDesignId ? { flashDesignId } : {}),
    });
  }
  const donationMinor = moneyField(form, "donation", festival.currency);
  if (donationMinor === null) errors.donation = unreadableAmount;
  const idempotencyKey = readIdempotencyKey(field(form, "idempotencyKey"));
  const prisonerId = field(form, "prisonerId") || undefined;
  const parsed = checkoutSchema().safeParse({
    items,
    email: field(form, "email"),
    name: field(form, "name"),
    paymentMethod: field(form, "paymentMethod") ?? "door",
    ...(donationMinor
      ? { donation: { amountMinor: donationMinor, ...(prisonerId ? { prisonerId } : {}) } }
      : {}),
    ...(field(form, "accessCode") ? { accessCode: field(form, "accessCode") } : {}),
  });
  if (!parsed.success || Object.keys(errors).length)
    return fail({
      ...(parsed.success ? {} : formFieldNames(fieldErrors(parsed.error, t), items)),
      ...errors,
    });
  const context2 = { locale, stripeAvailable: stripeAvailable(), idempotencyKey };
  try {
    let placed;
    try {
      placed = await placeOrder(festival.id, parsed.data, context2);
    } catch (e) {
      // Nothing to pay: no need to make the buyer pick "free".
      if (e instanceof FieldRulesError && e.fields.paymentMethod === "v.freeOrder") {
        placed = await placeOrder(festival.id, { ...parsed.data, paymentMethod: "free" }, context2);
      } else throw e;
    }
    const checkoutUrl = await cardCheckoutUrl(placed);
    return redirect(checkoutUrl ?? `/orders/${placed.order.accessToken}`);
  } catch (e) {
    // Sold out (the slot, the design's last use, or tickets), a repeated or still
    // running submission, broken rules, no card payment now.
    const tattoo = items.find(isTattoo);
    const ranOut =
      tattoo && e instanceof DomainError && e.code === "sold_out"
        ? await tattooSoldOut(tattoo.tattooSlotId, tattoo.flashDesignId)
        : null;
    const failed = formFailure(e, t, {
      sold_out:
        ranOut === "slot"
          ? { "tattoo.slot": t("tattoo.slotTaken") }
          : ranOut === "design"
            ? { "tattoo.design": t("tattooShop.designTaken") }
            : t("shop.soldOutError"),
      tattoo_booking_limit: { "tattoo.slot": t("tattoo.bookingLimit") },
      idempotency_key_reused: t("shop.alreadySent"),
      idempotency_in_progress: t("shop.stillPlacing"),
      payment_unavailable: t("shop.paymentUnavailable"),
    });
    return fail(formFieldNames(failed.errors, items), failed.status);
  }
}

type TicketItem = { ticketTypeId: string; quantity: number; priceMinor?: number };
type TattooItem = {
  kind: "tattoo_slot";
  tattooSlotId: string;
  donationMinor: number;
  flashDesignId?: string;
};
type CheckoutItem = TicketItem | TattooItem;
const isTattoo = (item: CheckoutItem): item is TattooItem => "kind" in item;

/** The tattoo entry's API fields → the form's own field names. */
const TATTOO_FIELDS: Record<string, string> = {
  tattooSlotId: "tattoo.slot",
  flashDesignId: "tattoo.design",
  donationMinor: "tattoo.donation",
  offerToken: "tattoo.slot",
  prisonerId: "tattoo.slot",
};

/** API field paths (items.0.quantity) → the form's own field names (qty.<typeId>, tattoo.slot). */
function formFieldNames(errors: Record<string, string>, items: CheckoutItem[]) {
  const out: Record<string, string> = {};
  for (const [key, message] of Object.entries(errors)) {
    const m = /^items\.(\d+)\.(\w+)$/.exec(key);
    const item = m ? items[Number(m[1])] : undefined;
    if (m && item && isTattoo(item)) out[TATTOO_FIELDS[m[2]!] ?? "tattoo.slot"] = message;
    else if (m && item && !isTattoo(item))
      out[m[2] === "priceMinor" ? `price.${item.ticketTypeId}` : `qty.${item.ticketTypeId}`] =
        message;
    else if (key === "donation.amountMinor") out.donation = message;
    else if (key === "donation.prisonerId") out.prisonerId = message;
    else if (key.startsWith("items")) out._form = message;
    else out[key] = message;
  }
  return out;
}
