// The festival form, shared by "new" and "edit". Works without JavaScript.
import { Form } from "@remix-run/react";
import { useRef, type ChangeEvent } from "react";
import { ErrorSummary, Field, fieldId, FormError, SelectField, TextArea } from "~/components/field";
import { languageName } from "~/utils/format";
import { isLocale } from "~/utils/i18n";
import { useLocale, useT } from "~/utils/use-t";

export type FestivalFormValues = {
  name?: string;
  city?: string;
  country?: string;
  venueName?: string;
  venueAddress?: string;
  mapUrl?: string | null;
  timezone?: string;
  currency?: string;
  startsAt?: string;
  endsAt?: string;
  languages?: string[];
  description?: Record<string, string>;
  paymentMethods?: string[];
  slug?: string;
};

/** The pickers' choices, from the loader (app/utils/places.server.ts). */
export type FestivalFormChoices = {
  timeZones: readonly string[];
  countries: readonly { code: string; name: string }[];
  currencies: readonly { code: string; label: string }[];
  /** Country → its usual currency: the currency follows the country until chosen by hand. */
  currencyByCountry: Record<string, string>;
  /** Stripe is configured: card payment can be offered. */
  cardPayments: boolean;
};

/** The fields with a control of their own (errors show beside them). */
const FIELD_NAMES = [
  "_form",
  "name",
  "city",
  "country",
  "venueName",
  "venueAddress",
  "mapUrl",
  "timezone",
  "currency",
  "startsAt",
  "endsAt",
  "slug",
];

export function FestivalForm({
  values,
  errors,
  languages,
  choices,
  submitLabel,
  disabled,
  currencyLocked,
}: {
  values: FestivalFormValues;
  errors?: Record<string, string>;
  languages: readonly string[];
  choices: FestivalFormChoices;
  submitLabel: string;
  disabled?: boolean;
  /** Something was sold or held: the currency is shown, with why it cannot change. */
  currencyLocked?: boolean;
}) {
  const t = useT();
  const locale = useLocale();
  // The currency follows the country chosen (with JavaScript) until someone picks one by hand.
  const currencyPicked = useRef(Boolean(values.currency));
  const followCountry = (event: ChangeEvent<HTMLSelectElement>) => {
    const suggested = choices.currencyByCountry[event.currentTarget.value];
    const select = event.currentTarget.form?.elements.namedItem("currency");
    if (suggested && !currencyPicked.current && select instanceof HTMLSelectElement)
      select.value = suggested;
  };
  const chosen = new Set(values.languages ?? ["en", "ru"]);
  const e = errors ?? {};
  // A description sent for a language not (yet) offered keeps its box, so its error shows beside it.
  const descriptionLanguages = languages.filter(
    (l) =>
      chosen.has(l) ||
      isLocale(l) ||
      values.description?.[l] !== undefined ||
      e[`description.${l}`],
  );
  const methods = new Set(values.paymentMethods ?? ["door"]);
  // An error about one item of a list ("languages.1") shows at the list; an error about a
  // field the form has no control for (sent by hand) shows at the top, never nowhere.
  const listError = (name: string) =>
    e[name] ?? Object.entries(e).find(([k]) => k.startsWith(`${name}.`))?.[1];
  const shown = new Set([...FIELD_NAMES, ...descriptionLanguages.map((l) => `description.${l}`)]);
  const stray = Object.entries(e).find(
    ([k]) => !shown.has(k) && !/^(languages|paymentMethods)(\.|$)/.test(k),
  )?.[1];
  const summary = [
    ["name", t("field.festivalName")],
    ["city", t("field.city")],
    ["country", t("field.country")],
    ["venueName", t("field.venueName")],
    ["venueAddress", t("field.venueAddress")],
    ["mapUrl", t("field.mapUrl")],
    ["timezone", t("field.timezone")],
    ["currency", t("field.currency")],
    ["startsAt", t("field.startsAt")],
    ["endsAt", t("field.endsAt")],
    ["slug", t("field.slug")],
    ["languages", t("field.languages")],
    ...descriptionLanguages.map((l) => [
      `description.${l}`,
      t("field.descriptionIn", { language: languageName(l, locale) }),
    ]),
    ["paymentMethods", t("field.paymentMethods")],
  ].map(([name, label]) => ({ name: name!, label: label! }));
  const summaryErrors = {
    ...e,
    languages: listError("languages"),
    paymentMethods: listError("paymentMethods"),
  } as Record<string, string>;
  return (
    <Form method="post" noValidate className="festival-form">
      <input type="hidden" name="intent" value="save" />
      <FormError error={e._form ?? stray} />
      <ErrorSummary errors={summaryErrors} fields={summary} />
      <fieldset disabled={disabled}>
        <Field
          label={t("field.festivalName")}
          name="name"
          required
          maxLength={120}
          defaultValue={values.name}
          error={e.name}
        />
        <div className="row">
          <Field
            label={t("field.city")}
            name="city"
            required
            maxLength={80}
            defaultValue={values.city}
            error={e.city}
          />
          <SelectField
            label={t("field.country")}
            name="country"
            required
            defaultValue={values.country ?? ""}
            error={e.country}
            placeholder={t("field.countryChoose")}
            options={choices.countries.map((c) => ({ value: c.code, label: c.name }))}
            onChange={followCountry}
          />
        </div>
        <Field
          label={t("field.venueName")}
          name="venueName"
          required
          maxLength={160}
          defaultValue={values.venueName}
          error={e.venueName}
        />
        <Field
          label={t("field.venueAddress")}
          name="venueAddress"
          required
          maxLength={300}
          defaultValue={values.venueAddress}
          error={e.venueAddress}
        />
        <Field
          label={t("field.mapUrl")}
          name="mapUrl"
          type="url"
          maxLength={500}
          defaultValue={values.mapUrl ?? ""}
          error={e.mapUrl}
        />
        <div className="row">
          <SelectField
            label={t("field.timezone")}
            name="timezone"
            required
            defaultValue={values.timezone ?? ""}
            error={e.timezone}
            hint={t("field.timezoneHint")}
            placeholder={t("field.timezoneChoose")}
            options={choices.timeZones.map((z) => ({ value: z, label: z.replace(/_/g, " ") }))}
          />
          {currencyLocked ? (
            <>
              <input type="hidden" name="currency" value={values.currency ?? ""} />
              <Field
                label={t("field.currency")}
                name="currencyShown"
                value={values.currency ?? ""}
                readOnly
                aria-readonly
                hint={t("festivalAdmin.currencyLocked")}
                error={e.currency}
              />
            </>
          ) : (
            <SelectField
              label={t("field.currency")}
              name="currency"
              defaultValue={values.currency ?? ""}
              error={e.currency}
              hint={t("field.currencyHint")}
              placeholder={t("field.currencyFromCountry")}
              options={choices.currencies.map((c) => ({ value: c.code, label: c.label }))}
              onChange={() => {
                currencyPicked.current = true;
              }}
            />
          )}
        </div>
        <div className="row">
          <Field
            label={t("field.startsAt")}
            name="startsAt"
            type="datetime-local"
            required
            defaultValue={values.startsAt}
            error={e.startsAt}
          />
          <Field
            label={t("field.endsAt")}
            name="endsAt"
            type="datetime-local"
            required
            defaultValue={values.endsAt}
            error={e.endsAt}
          />
        </div>
        <Field
          label={t("field.slug")}
          name="slug"
          maxLength={80}
          pattern="[a-z0-9]+(-[a-z0-9]+)*"
          defaultValue={values.slug ?? ""}
          error={e.slug}
          hint={t("field.slugHint")}
        />
        <fieldset
          className={`choices${listError("languages") ? " has-error" : ""}`}
          id={listError("languages") ? fieldId("languages") : undefined}
        >
          <legend>{t("field.languages")}</legend>
          {languages.map((l) => (
            <label key={l} className="choice">
              <input type="checkbox" name="languages" value={l} defaultChecked={chosen.has(l)} />{" "}
              {languageName(l, locale)}
            </label>
          ))}
          {listError("languages") ? (
            <p className="field-error" role="alert">
              {listError("languages")}
            </p>
          ) : null}
        </fieldset>
        {descriptionLanguages.map((l) => (
          <TextArea
            key={l}
            label={t("field.descriptionIn", { language: languageName(l, locale) })}
            name={`description.${l}`}
            rows={5}
            maxLength={10000}
            defaultValue={values.description?.[l] ?? ""}
            error={e[`description.${l}`]}
          />
        ))}
        <fieldset
          className={`choices${listError("paymentMethods") ? " has-error" : ""}`}
          id={listError("paymentMethods") ? fieldId("paymentMethods") : undefined}
        >
          <legend>{t("field.paymentMethods")}</legend>
          {(choices.cardPayments
            ? (["door", "free", "stripe"] as const)
            : (["door", "free"] as const)
          ).map((m) => (
            <label key={m} className="choice">
              <input
                type="checkbox"
                name="paymentMethods"
                value={m}
                defaultChecked={methods.has(m)}
              />{" "}
              {t(`payment.${m}`)}
            </label>
          ))}
          {!choices.cardPayments ? (
            <p className="hint">
              {t("festivalForm.cardNeedsStripe")}
              {/* Kept as it was: saving without Stripe configured does not drop it silently. */}
              {methods.has("stripe") ? (
                <input type="hidden" name="paymentMethods" value="stripe" />
              ) : null}
            </p>
          ) : null}
          {listError("paymentMethods") ? (
            <p className="field-error" role="alert">
              {listError("paymentMethods")}
            </p>
          ) : null}
        </fieldset>
        <button type="submit" className="primary">
          {submitLabel}
        </button>
      </fieldset>
    </Form>
  );
}
