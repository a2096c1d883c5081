import type {
  ActionFunctionArgs,
  LinksFunction,
  LoaderFunctionArgs,
  MetaFunction,
} from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import {
  Form,
  Link,
  useActionData,
  useLoaderData,
  useNavigation,
  useSearchParams,
} from "@remix-run/react";
import { FestivalPoster } from "~/components/festival-poster";
import { getPublicFestival } from "~/models/festival.server";
import { posterForSharing } from "~/models/poster-view.server";
import { rootShareData, shareMeta } from "~/utils/share-meta";
import { checkoutSchema, placeOrder, readIdempotencyKey } from "~/models/order.server";
import { cardCheckoutUrl } from "~/models/payment.server";
import { supportedPrisonerCards } from "~/models/prisoner.server";
import { shopFor } from "~/models/shop.server";
import { readDayChoice, tattooShopFor, tattooSoldOut } from "~/models/tattoo-shop.server";
import { responseToken } from "~/utils/page-cache.server";
import { field, formFailure, moneyField, moneyFieldError, readForm } from "~/utils/forms.server";
import { DomainError, FieldRulesError } from "~/utils/domain-error";
import { clientAddress } from "~/utils/http.server";
import { getTranslator } from "~/utils/i18n.server";
import { formatMoney, toMajorInput } from "~/utils/money";
import { rateLimits } from "~/utils/rate-limit.server";
import { stripeAvailable } from "~/utils/stripe.server";
import { fieldErrors, localizeMessage } from "~/utils/validation";
import { ErrorSummary, Field } from "~/components/field";
import { TattooChoice } from "~/components/tattoo-shop";
import { PrisonerCard } from "~/components/prisoner-card";
import prisonerStyles from "~/styles/prisoners.css";
import {
  countryName,
  formatDate,
  formatDateRange,
  formatDateTime,
  formatTime,
  languageName,
  zoneLabel,
} from "~/utils/format";
import { notFound } from "~/utils/http.server";
import { pickText } from "~/utils/i18n";
import { useLocale, useT } from "~/utils/use-t";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: prisonerStyles }];

export const meta: MetaFunction<typeof loader> = ({ data, matches }) =>
  shareMeta(rootShareData(matches), {
    title: data ? `${data.festival.name} — ${data.festival.city}` : "Festival",
    description: data?.shareDescription,
    image: data?.sharingImage ? { ...data.sharingImage, alt: data.posterAlt } : null,
    path: data ? `/festivals/${data.festival.slug}` : undefined,
  });

export async function loader({ request, params, context }: LoaderFunctionArgs) {
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
export async function action({ request, params, context }: ActionFunctionArgs) {
  const festival = await getPublicFestival(params.slug ?? "");
  if (!festival) throw notFound("No such festival.");
  const { t, locale } = await getTranslator(request);
  const form = await readForm(request);
  const values = Object.fromEntries(
    [...form.entries()]
      .filter((e): e is [string, string] => typeof e[1] === "string")
      .map(([k, v]) => [k, v.slice(0, 300)]),
  );
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

function Shop() {
  const { festival, shop, tattoos, idempotencyKey } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  // With JavaScript: the button shows the order is on its way and takes no second click.
  const navigation = useNavigation();
  const ordering = navigation.state !== "idle" && navigation.formData?.has("idempotencyKey");
  const [params] = useSearchParams();
  const t = useT();
  const locale = useLocale();
  const e: Record<string, string> = result?.errors ?? {};
  const dayLink = (artistId: string, day: string) => {
    const next = new URLSearchParams(params);
    next.set("artist", artistId);
    next.set("day", day);
    return `?${next.toString()}#tattoos`;
  };
  const v: Record<string, string> = result?.values ?? {};
  const onSale = shop.types.filter((x) => x.onSale);
  // Tattoos are booked through the same form; shown while the shop is open.
  const tattooShop = shop.open ? tattoos : null;
  if (!shop.open || (shop.types.length === 0 && !shop.hasHidden && !tattooShop)) return null;
  const money = (minor: number) => formatMoney(minor, festival.currency, locale);
  const summary = [
    ...shop.types.flatMap((tt) => [
      { name: `qty.${tt.id}`, label: `${tt.name}: ${t("shop.quantity")}`, id: `qty-${tt.id}` },
      {
        name: `price.${tt.id}`,
        label: `${tt.name}: ${t("shop.yourPrice", { currency: festival.currency })}`,
        id: `price-${tt.id}`,
      },
    ]),
    ...(tattooShop
      ? [
          { name: "tattoo.slot", label: t("tattooShop.slotLegend"), id: "tattoo-slot" },
          { name: "tattoo.design", label: t("tattooShop.design"), id: "tattoo-design" },
          {
            name: "tattoo.donation",
            label: t("tattooShop.donation", { currency: festival.currency }),
            id: "tattoo-donation",
          },
        ]
      : []),
    {
      name: "donation",
      label: t("shop.donation", { currency: festival.currency }),
      id: "donation",
    },
    { name: "prisonerId", label: t("shop.earmark"), id: "prisonerId" },
    { name: "email", label: t("shop.email") },
    { name: "name", label: t("shop.name") },
    { name: "paymentMethod", label: t("shop.paymentMethod"), id: "paymentMethod" },
  ];
  return (
    <section aria-labelledby="tickets" className="shop">
      <h2 id="tickets">{t("shop.title")}</h2>
      {shop.hasHidden ? (
        <Form method="get" className="access-code" preventScrollReset>
          <Field
            label={t("shop.accessCodeLabel")}
            name="code"
            maxLength={40}
            autoComplete="off"
            defaultValue={params.get("code") ?? ""}
            error={shop.code === "unknown" ? t("shop.codeUnknown") : undefined}
          />
          <button type="submit">{t("shop.accessCodeSubmit")}</button>
          {shop.code === "accepted" ? (
            <p role="status" className="notice">
              {t("shop.codeAccepted")}
            </p>
          ) : null}
        </Form>
      ) : null}
      <Form method="post" noValidate>
        {e._form ? (
          <p className="form-error" role="alert">
            {e._form}
          </p>
        ) : null}
        <input type="hidden" name="idempotencyKey" value={idempotencyKey} />
        <ErrorSummary errors={e} fields={summary} />
        {params.get("code")?.trim() ? (
          <input type="hidden" name="accessCode" value={params.get("code")?.trim() ?? ""} />
        ) : null}
        <ul className="ticket-types">
          {shop.types.map((tt) => (
            <li key={tt.id} className="card">
              <h3>{tt.name}</h3>
              {tt.description ? <p className="prewrap">{tt.description}</p> : null}
              <p>
                {tt.payWhatYouWant
                  ? t("shop.minPrice", {
                      amount: money(tt.minPriceMinor),
                      suggested: money(tt.suggestedPriceMinor),
                    })
                  : money(tt.priceMinor)}
              </p>
              {tt.onSale ? (
                <div className="row">
                  <div className={`field${e[`qty.${tt.id}`] ? " has-error" : ""}`}>
                    <label htmlFor={`qty-${tt.id}`}>{t("shop.quantity")}</label>
                    <select
                      id={`qty-${tt.id}`}
                      name={`qty.${tt.id}`}
                      defaultValue={v[`qty.${tt.id}`] ?? "0"}
                    >
                      {Array.from({ length: tt.maxPerOrder + 1 }, (_, n) => (
                        <option key={n} value={n}>
                          {n}
                        </option>
                      ))}
                    </select>
                    {e[`qty.${tt.id}`] ? <p className="field-error">{e[`qty.${tt.id}`]}</p> : null}
                  </div>
                  {tt.payWhatYouWant ? (
                    <div className={`field${e[`price.${tt.id}`] ? " has-error" : ""}`}>
                      <label htmlFor={`price-${tt.id}`}>
                        {t("shop.yourPrice", { currency: festival.currency })}
                      </label>
                      <input
                        id={`price-${tt.id}`}
                        name={`price.${tt.id}`}
                        inputMode="decimal"
                        defaultValue={
                          v[`price.${tt.id}`] ??
                          toMajorInput(tt.suggestedPriceMinor, festival.currency)
                        }
                      />
                      {e[`price.${tt.id}`] ? (
                        <p className="field-error">{e[`price.${tt.id}`]}</p>
                      ) : null}
                    </div>
                  ) : null}
                </div>
              ) : (
                <p className="muted">
                  {tt.available === 0
                    ? t("shop.soldOut")
                    : tt.salesStartAt
                      ? t("shop.salesOpen", {
                          time: formatDateTime(tt.salesStartAt, locale, festival.timezone),
                        })
                      : t("shop.notOnSale")}
                </p>
              )}
              {tt.onSale && tt.available <= 20 ? (
                <p className="muted">{t("shop.left", { n: tt.available })}</p>
              ) : null}
            </li>
          ))}
        </ul>
        {tattooShop ? (
          <TattooChoice
            dayLink={dayLink}
            tattoos={tattooShop}
            currency={festival.currency}
            timezone={festival.timezone}
            errors={e}
            values={v}
          />
        ) : null}
        {onSale.length > 0 || shop.prisoners.length > 0 || tattooShop?.bookable ? (
          <>
            <div className="row">
              <div className={`field${e.donation ? " has-error" : ""}`}>
                <label htmlFor="donation">
                  {t("shop.donation", { currency: festival.currency })}
                </label>
                <input
                  id="donation"
                  name="donation"
                  inputMode="decimal"
                  defaultValue={v.donation ?? ""}
                />
                {e.donation ? <p className="field-error">{e.donation}</p> : null}
              </div>
              {shop.prisoners.length > 0 ? (
                <div className="field">
                  <label htmlFor="prisonerId">{t("shop.earmark")}</label>
                  <select id="prisonerId" name="prisonerId" defaultValue={v.prisonerId ?? ""}>
                    <option value="">{t("shop.anyPrisoner")}</option>
                    {shop.prisoners.map((p) => (
                      <option key={p.id} value={p.id}>
                        {p.name}
                      </option>
                    ))}
                  </select>
                  {e.prisonerId ? <p className="field-error">{e.prisonerId}</p> : null}
                </div>
              ) : null}
            </div>
            <Field
              label={t("shop.email")}
              name="email"
              type="email"
              autoComplete="email"
              required
              maxLength={254}
              defaultValue={v.email}
              error={e.email}
            />
            <Field
              label={t("shop.name")}
              name="name"
              autoComplete="name"
              maxLength={120}
              defaultValue={v.name}
              error={e.name}
            />
            {shop.methods.length > 0 ? (
              <fieldset
                className={`choices${e.paymentMethod ? " has-error" : ""}`}
                id="paymentMethod"
              >
                <legend>{t("shop.paymentMethod")}</legend>
                {shop.methods.map((m, i) => (
                  <label key={m} className="choice">
                    <input
                      type="radio"
                      name="paymentMethod"
                      value={m}
                      defaultChecked={
                        (v.paymentMethod ?? shop.methods[0]) === m || (!v.paymentMethod && i === 0)
                      }
                    />{" "}
                    {t(`payment.${m as "door"}`)}
                  </label>
                ))}
                {tattooShop?.bookable && shop.methods.includes("door") ? (
                  <p className="hint">{t("tattooShop.payAtCorner")}</p>
                ) : null}
                {e.paymentMethod ? <p className="field-error">{e.paymentMethod}</p> : null}
              </fieldset>
            ) : null}
            <p className="hint">{t("shop.privacy")}</p>
            <button type="submit" className="primary" disabled={ordering} aria-busy={ordering}>
              {ordering ? t("shop.ordering") : t("shop.buy")}
            </button>
          </>
        ) : null}
      </Form>
    </section>
  );
}

/** The prisoners the festival supports: photo, status, figures, a link to each profile. */
function SupportedPrisoners() {
  const { prisoners } = useLoaderData<typeof loader>();
  const t = useT();
  if (prisoners.length === 0) return null;
  return (
    <section aria-labelledby="prisoners">
      <h2 id="prisoners">{t("prisoners.supported")}</h2>
      <p className="hint">{t("prisoners.figuresNote")}</p>
      <ul className="prisoner-cards">
        {prisoners.map((p) => (
          <PrisonerCard key={p.id} prisoner={p} headingLevel={3} />
        ))}
      </ul>
      <p>
        <Link to="/prisoners">{t("prisoners.all")}</Link>
      </p>
    </section>
  );
}

export default function FestivalPage() {
  const { festival, description, descriptionLanguage, ended } = useLoaderData<typeof loader>();
  const t = useT();
  const locale = useLocale();
  const zone = festival.timezone;
  const days = new Map<string, typeof festival.programme>();
  for (const item of festival.programme) {
    const day = formatDate(item.startsAt, locale, zone);
    days.set(day, [...(days.get(day) ?? []), item]);
  }
  return (
    <article className="festival">
      <header>
        <p className="eyebrow">
          {festival.city}, {countryName(festival.country, locale)}
        </p>
        <h1>{festival.name}</h1>
        {festival.status === "cancelled" ? (
          <p className="notice danger" role="status">
            {t("festival.cancelledNotice")}
          </p>
        ) : ended ? (
          <p className="notice" role="status">
            {t("festival.endedNotice")}
          </p>
        ) : null}
        <p className="when">
          {formatDateRange(festival.startsAt, festival.endsAt, locale, zone)},{" "}
          {formatTime(festival.startsAt, locale, zone)}–{formatTime(festival.endsAt, locale, zone)}{" "}
          <span className="muted">
            ({t("festival.localTime", { zone: zoneLabel(festival.startsAt, locale, zone) })})
          </span>
        </p>
        {festival.poster ? (
          <FestivalPoster
            poster={festival.poster}
            festivalName={festival.name}
            className="festival-poster"
            sizes="(min-width: 60rem) 40rem, 100vw"
          />
        ) : null}
      </header>
      <section aria-labelledby="venue">
        <h2 id="venue">{t("festival.venue")}</h2>
        <p>
          <strong>{festival.venueName}</strong>
          <br />
          {festival.venueAddress}
        </p>
        {festival.mapUrl ? (
          <p>
            <a href={festival.mapUrl} rel="noopener noreferrer nofollow" target="_blank">
              {t("festival.map")}
            </a>
          </p>
        ) : null}
        <p className="muted">
          {t("festival.languages")}:{" "}
          {festival.languages.map((l) => languageName(l, locale)).join(", ")}
        </p>
      </section>
      {description ? (
        <section aria-labelledby="about">
          <h2 id="about">{t("festival.about")}</h2>
          {description.split(/\n{2,}/).map((para, i) => (
            <p key={i} className="prewrap" lang={descriptionLanguage ?? undefined}>
              {para}
            </p>
          ))}
        </section>
      ) : null}
      <Shop />
      <SupportedPrisoners />
      <section aria-labelledby="programme">
        <h2 id="programme">{t("festival.programme")}</h2>
        {festival.programme.length === 0 ? <p>{t("festival.noProgramme")}</p> : null}
        {[...days.entries()].map(([day, items]) => (
          <div key={day}>
            <h3>{day}</h3>
            <ol className="programme">
              {items.map((item) => (
                <li key={item.id}>
                  <time dateTime={item.startsAt}>
                    {formatTime(item.startsAt, locale, zone)}
                    {item.endsAt ? `–${formatTime(item.endsAt, locale, zone)}` : ""}
                  </time>{" "}
                  <span className={`kind kind-${item.kind}`}>
                    {t(`programme.kind.${item.kind}`)}
                  </span>{" "}
                  <strong>{item.title}</strong>
                  {item.person ? <span className="muted"> — {item.person}</span> : null}
                </li>
              ))}
            </ol>
          </div>
        ))}
      </section>
    </article>
  );
}
