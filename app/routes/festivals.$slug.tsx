import type {
  ActionFunctionArgs,
  LinksFunction,
  LoaderFunctionArgs,
  MetaFunction,
} from "@remix-run/node";
import {
  Form,
  Link,
  useActionData,
  useLoaderData,
  useNavigation,
  useSearchParams,
} from "@remix-run/react";
import { FestivalPoster } from "~/components/festival-poster";
import { checkoutFromForm, festivalPage } from "~/utils/festival-page.server";
import { rootShareData, shareMeta } from "~/utils/share-meta";
import { formatMoney, toMajorInput } from "~/utils/money";
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
import { useLocale, useT } from "~/utils/use-t";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: prisonerStyles }];

export const meta: MetaFunction<typeof loader> = ({ data, matches }) =>
  shareMeta(rootShareData(matches), {
    title: data ? `${data.festival.name} — ${data.festival.city}` : "Festival",
    description: data?.shareDescription,
    image: data?.sharingImage ? { ...data.sharingImage, alt: data.posterAlt } : null,
    path: data ? `/festivals/${data.festival.slug}` : undefined,
  });

export const loader = (args: LoaderFunctionArgs) => festivalPage(args);

export const action = (args: ActionFunctionArgs) => checkoutFromForm(args);

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
