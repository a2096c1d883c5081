// The "Donation tattoos" part of the festival page's checkout form: the artists
// (bio, portfolio, flash with its minimum and uses left), their days with free
// slots (links) and the chosen day's free times, a design or "custom", the donation, and the festival's
// cancellation rule — all plain form controls inside the one checkout form, so
// it works without JavaScript. Times are the festival's, labelled with its zone.
import { Link } from "@remix-run/react";
import type { ChosenDay, ShopArtist, TattooShop } from "~/models/tattoo-shop.server";
import { formatDate, formatTime, zoneLabel } from "~/utils/format";
import { formatMoney } from "~/utils/money";
import { useLocale, useT } from "~/utils/use-t";

type Props = {
  tattoos: TattooShop;
  currency: string;
  timezone: string;
  errors: Record<string, string>;
  values: Record<string, string>;
  /** The page's address listing `artistId`'s free times on `day` (the form's other state kept). */
  dayLink: (artistId: string, day: string) => string;
};

/**
 * An artist's days with free slots, each a link that lists its times; the
 * chosen day's times are the form's slot choices (one day at a time: a festival
 * may have thousands of slots, the page stays small).
 */
function TattooDays({
  artist,
  chosen,
  chosenSlot,
  currency,
  timezone,
  dayLink,
}: {
  artist: ShopArtist;
  chosen: ChosenDay | null;
  chosenSlot: string;
  currency: string;
  timezone: string;
  dayLink: Props["dayLink"];
}) {
  const t = useT();
  const locale = useLocale();
  const money = (minor: number) => formatMoney(minor, currency, locale);
  const mine = chosen?.artistId === artist.id ? chosen : null;
  return (
    <>
      <ul className="tattoo-day-links" aria-label={t("tattooShop.days", { artist: artist.name })}>
        {artist.days.map((day) => (
          <li key={day.day}>
            <Link
              to={dayLink(artist.id, day.day)}
              preventScrollReset
              aria-current={mine?.day === day.day ? "true" : undefined}
            >
              {formatDate(day.firstStartsAt, locale, timezone)}
            </Link>{" "}
            <span className="muted">{t("tattooShop.freeCount", { n: day.free })}</span>
          </li>
        ))}
      </ul>
      {mine && mine.slots.length > 0 ? (
        <div className="tattoo-day">
          <p>
            <strong>{formatDate(mine.slots[0]!.startsAt, locale, timezone)}</strong>{" "}
            <span className="muted">
              (
              {t("festival.localTime", {
                zone: zoneLabel(mine.slots[0]!.startsAt, locale, timezone),
              })}
              )
            </span>
          </p>
          <ul className="tattoo-times">
            {mine.slots.map((slot) => (
              <li key={slot.id}>
                <label className="choice">
                  <input
                    type="radio"
                    name={TATTOO_FIELD.slot}
                    value={slot.id}
                    defaultChecked={chosenSlot === slot.id}
                  />{" "}
                  <span>
                    <time dateTime={slot.startsAt}>
                      {formatTime(slot.startsAt, locale, timezone)}–
                      {formatTime(slot.endsAt, locale, timezone)}
                    </time>{" "}
                    <span className="muted">
                      {t("tattooShop.slotWith", {
                        artist: artist.name,
                        amount: money(slot.minDonationMinor),
                      })}
                    </span>
                  </span>
                </label>
              </li>
            ))}
          </ul>
        </div>
      ) : mine ? (
        <p className="muted">{t("tattooShop.dayFull")}</p>
      ) : null}
    </>
  );
}

/** Form field names the checkout action reads (and names its errors by). */
export const TATTOO_FIELD = {
  slot: "tattoo.slot",
  design: "tattoo.design",
  donation: "tattoo.donation",
} as const;

export function TattooChoice({
  tattoos,
  currency,
  timezone,
  errors: e,
  values: v,
  dayLink,
}: Props) {
  const t = useT();
  const locale = useLocale();
  const money = (minor: number) => formatMoney(minor, currency, locale);
  const chosenSlot = v[TATTOO_FIELD.slot] ?? "";
  const slotError = e[TATTOO_FIELD.slot];
  const designError = e[TATTOO_FIELD.design];
  const donationError = e[TATTOO_FIELD.donation];
  const designs = tattoos.artists.flatMap((a) =>
    a.flash.map((d) => ({ ...d, artistName: a.name })),
  );
  return (
    <section aria-labelledby="tattoos" className="tattoo-shop">
      <h3 id="tattoos">{t("tattooShop.title")}</h3>
      <p>{t("tattooShop.intro")}</p>
      <fieldset
        className={`choices tattoo-slots${slotError ? " has-error" : ""}`}
        id="tattoo-slot"
        aria-describedby={slotError ? "tattoo-slot-error" : undefined}
      >
        <legend>{t("tattooShop.slotLegend")}</legend>
        {slotError ? (
          <p id="tattoo-slot-error" className="field-error" role="alert">
            {slotError}
          </p>
        ) : null}
        <label className="choice">
          <input
            type="radio"
            name={TATTOO_FIELD.slot}
            value=""
            defaultChecked={chosenSlot === ""}
          />{" "}
          {t("tattooShop.noTattoo")}
        </label>
        {!tattoos.bookable ? <p className="muted">{t("tattooShop.nothingFree")}</p> : null}
        <ul className="tattoo-artists">
          {tattoos.artists.map((artist) => (
            <li key={artist.id} className="card tattoo-artist">
              <h4>{artist.name}</h4>
              {artist.bio ? <p className="prewrap">{artist.bio}</p> : null}
              {artist.portfolio.length > 0 ? (
                <ul className="tattoo-thumbs" aria-label={t("tattooShop.portfolio")}>
                  {artist.portfolio.map((img) => (
                    <li key={img.thumbUrl}>
                      <img
                        src={img.thumbUrl}
                        alt={t("tattooShop.workBy", { artist: artist.name })}
                        width={96}
                        height={Math.round((96 * img.height) / Math.max(1, img.width))}
                        loading="lazy"
                      />
                    </li>
                  ))}
                </ul>
              ) : null}
              {artist.flash.length > 0 ? (
                <>
                  <p>
                    <strong>{t("tattooShop.flash")}</strong>
                  </p>
                  <ul className="tattoo-flash">
                    {artist.flash.map((d) => (
                      <li key={d.id}>
                        {d.thumbUrl ? (
                          <img src={d.thumbUrl} alt={d.title} width={96} loading="lazy" />
                        ) : null}
                        <span>
                          <strong>{d.title}</strong>
                          {d.size ? ` · ${d.size}` : ""}
                          <br />
                          {t("tattooShop.from", { amount: money(d.minDonationMinor) })}
                          {d.remaining !== null
                            ? ` · ${t("tattooShop.usesLeft", { n: d.remaining })}`
                            : ""}
                        </span>
                      </li>
                    ))}
                  </ul>
                </>
              ) : null}
              {artist.days.length === 0 ? (
                <p className="muted">{t("tattooShop.artistFull")}</p>
              ) : (
                <TattooDays
                  artist={artist}
                  chosen={tattoos.chosen}
                  chosenSlot={chosenSlot}
                  currency={currency}
                  timezone={timezone}
                  dayLink={dayLink}
                />
              )}
            </li>
          ))}
        </ul>
      </fieldset>
      <div className={`field${designError ? " has-error" : ""}`}>
        <label htmlFor="tattoo-design">{t("tattooShop.design")}</label>
        <select
          id="tattoo-design"
          name={TATTOO_FIELD.design}
          defaultValue={v[TATTOO_FIELD.design] ?? ""}
          aria-invalid={designError ? true : undefined}
        >
          <option value="">{t("tattooShop.custom")}</option>
          {tattoos.artists
            .filter((a) => a.flash.length > 0)
            .map((a) => (
              <optgroup key={a.id} label={a.name}>
                {a.flash.map((d) => (
                  <option key={d.id} value={d.id}>
                    {t("tattooShop.designOption", {
                      title: d.title,
                      amount: money(d.minDonationMinor),
                    })}
                  </option>
                ))}
              </optgroup>
            ))}
        </select>
        {designs.length > 0 ? <p className="hint">{t("tattooShop.designHint")}</p> : null}
        {designError ? <p className="field-error">{designError}</p> : null}
      </div>
      <div className={`field${donationError ? " has-error" : ""}`}>
        <label htmlFor="tattoo-donation">{t("tattooShop.donation", { currency })}</label>
        <p className="hint" id="tattoo-donation-hint">
          {t("tattooShop.donationHint")}
        </p>
        <input
          id="tattoo-donation"
          name={TATTOO_FIELD.donation}
          inputMode="decimal"
          defaultValue={v[TATTOO_FIELD.donation] ?? ""}
          aria-describedby="tattoo-donation-hint"
          aria-invalid={donationError ? true : undefined}
        />
        {donationError ? <p className="field-error">{donationError}</p> : null}
      </div>
      <p className="notice tattoo-policy">
        {t(tattoos.cancelPolicy === "keep" ? "tattooShop.cancelKeep" : "tattooShop.cancelRefund", {
          hours: tattoos.cancelHours,
        })}
      </p>
    </section>
  );
}
