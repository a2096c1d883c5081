// The festival form, shared by "new" and "edit". Works without JavaScript.
import { Form } from "@remix-run/react";
import { ErrorSummary, Field, fieldId, FormError, TextArea } from "~/components/field";
import { languageName } from "~/utils/format";
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
];

export function FestivalForm({
  values,
  errors,
  languages,
  timeZones,
  submitLabel,
  disabled,
  currencyLocked,
}: {
  values: FestivalFormValues;
  errors?: Record<string, string>;
  languages: readonly string[];
  timeZones: readonly string[];
  submitLabel: string;
  disabled?: boolean;
  /** Something was sold or held: the currency is shown, with why it cannot change. */
  currencyLocked?: boolean;
}) {
  const t = useT();
  const locale = useLocale();
  const chosen = new Set(values.languages ?? ["en", "ru"]);
  const e = errors ?? {};
  // A description sent for a language not (yet) offered keeps its box, so its error shows beside it.
  const descriptionLanguages = languages.filter(
    (l) =>
      chosen.has(l) ||
      l === "en" ||
      l === "ru" ||
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
          <Field
            label={t("field.country")}
            name="country"
            required
            maxLength={2}
            defaultValue={values.country}
            error={e.country}
            hint={t("field.countryHint")}
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
          <Field
            label={t("field.timezone")}
            name="timezone"
            required
            list="time-zones"
            maxLength={64}
            defaultValue={values.timezone ?? "Europe/Riga"}
            error={e.timezone}
            hint={t("field.timezoneHint")}
          />
          <datalist id="time-zones">
            {timeZones.map((z) => (
              <option key={z} value={z} />
            ))}
          </datalist>
          <Field
            label={t("field.currency")}
            name="currency"
            required
            maxLength={3}
            defaultValue={values.currency ?? "EUR"}
            error={e.currency}
            readOnly={currencyLocked}
            aria-readonly={currencyLocked || undefined}
            hint={currencyLocked ? t("festivalAdmin.currencyLocked") : t("field.currencyHint")}
          />
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
          {(["door", "free", "stripe"] as const).map((m) => (
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
