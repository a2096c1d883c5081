// The fields of a ticket type, shared by the "add" form and the edit page.
import { useState, useSyncExternalStore } from "react";
import { ErrorSummary, Field, fieldId, TextArea } from "~/components/field";
import { languageName } from "~/utils/format";
import { DEFAULT_LOCALE, LOCALES } from "~/utils/i18n";
import { useLocale, useT } from "~/utils/use-t";

export type TicketTypeFieldValues = Partial<Record<string, string>>;

export function TicketTypeFields({
  values: v,
  errors: e,
  currency,
  timezone,
  quotas,
  priceChangeHint = false,
}: {
  values: TicketTypeFieldValues;
  errors: Record<string, string>;
  currency: string;
  timezone: string;
  quotas: { id: string; name: string; reserved: number; capacity: number }[];
  priceChangeHint?: boolean;
}) {
  const t = useT();
  const locale = useLocale();
  // A name and a description in every language of the interface (name.<lang>, description.<lang>).
  const nameLabel = (l: string) => t("tickets.nameIn", { language: languageName(l, locale) });
  const descriptionLabel = (l: string) =>
    t("field.descriptionIn", { language: languageName(l, locale) });
  // The summary at the top: [error key, label, the control's name].
  const summary = (
    [
      ...LOCALES.map((l) => [`name.${l}`, nameLabel(l), `name.${l}`] as const),
      ...LOCALES.map((l) => [`description.${l}`, descriptionLabel(l), `description.${l}`] as const),
      ["priceMinor", t("tickets.priceIn", { currency }), "price"],
      ["capacity", t("tickets.capacity"), "capacity"],
      ["maxPerOrder", t("tickets.maxPerOrder"), "maxPerOrder"],
      ["minPriceMinor", t("tickets.minPrice", { currency }), "minPrice"],
      ["suggestedPriceMinor", t("tickets.suggestedPrice", { currency }), "suggestedPrice"],
      ["quotaId", t("tickets.quota"), "quotaId"],
      ["salesStartAt", t("tickets.salesStart"), "salesStartAt"],
      ["salesEndAt", t("tickets.salesEnd"), "salesEndAt"],
      ["accessCode", t("shop.accessCode"), "accessCode"],
    ] as const
  ).map(([name, label, input]) => ({
    name,
    label,
    id: input === "quotaId" ? "quotaId" : fieldId(input),
  }));
  const shown = {
    ...e,
    "name.en": e["name.en"] ?? e.name,
    "description.en": e.description ?? e["description.en"],
  } as Record<string, string>;
  return (
    <>
      <ErrorSummary errors={shown} fields={summary} />
      <div className="row">
        {LOCALES.map((l) => (
          <Field
            key={l}
            label={nameLabel(l)}
            name={`name.${l}`}
            maxLength={120}
            defaultValue={v[`name.${l}`]}
            error={e[`name.${l}`] ?? (l === DEFAULT_LOCALE ? e.name : undefined)}
          />
        ))}
      </div>
      {LOCALES.map((l) => (
        <TextArea
          key={l}
          label={descriptionLabel(l)}
          name={`description.${l}`}
          maxLength={2000}
          rows={3}
          defaultValue={v[`description.${l}`]}
          error={e[`description.${l}`] ?? (l === DEFAULT_LOCALE ? e.description : undefined)}
        />
      ))}
      {priceChangeHint ? <p className="hint">{t("tickets.priceChangeHint")}</p> : null}
      <div className="row">
        <Field
          label={t("tickets.priceIn", { currency })}
          name="price"
          inputMode="decimal"
          defaultValue={v.price}
          error={e.priceMinor}
        />
        <Field
          label={t("tickets.capacity")}
          name="capacity"
          inputMode="numeric"
          defaultValue={v.capacity}
          error={e.capacity}
          hint={quotas.length > 0 ? t("tickets.capacityHint") : undefined}
        />
        <Field
          label={t("tickets.maxPerOrder")}
          name="maxPerOrder"
          inputMode="numeric"
          defaultValue={v.maxPerOrder}
          error={e.maxPerOrder}
        />
      </div>
      <label className="choice">
        <input type="checkbox" name="payWhatYouWant" defaultChecked={v.payWhatYouWant === "on"} />{" "}
        {t("tickets.payWhatYouWant")}
      </label>
      <div className="row">
        <Field
          label={t("tickets.minPrice", { currency })}
          name="minPrice"
          inputMode="decimal"
          defaultValue={v.minPrice}
          error={e.minPriceMinor}
        />
        <Field
          label={t("tickets.suggestedPrice", { currency })}
          name="suggestedPrice"
          inputMode="decimal"
          defaultValue={v.suggestedPrice}
          error={e.suggestedPriceMinor}
        />
      </div>
      <div className={`field${e.quotaId ? " has-error" : ""}`}>
        <label htmlFor="quotaId">{t("tickets.quota")}</label>
        <select
          id="quotaId"
          name="quotaId"
          defaultValue={v.quotaId}
          aria-invalid={e.quotaId ? true : undefined}
          aria-describedby={e.quotaId ? "quotaId-error" : undefined}
        >
          <option value="">{t("tickets.noQuota")}</option>
          {quotas.map((q) => (
            <option key={q.id} value={q.id}>
              {q.name} ({t("tickets.quotaUse", { reserved: q.reserved, capacity: q.capacity })})
            </option>
          ))}
        </select>
        {e.quotaId ? (
          <p id="quotaId-error" className="field-error" role="alert">
            {e.quotaId}
          </p>
        ) : null}
      </div>
      <p className="hint">{t("programme.timeHint", { zone: timezone })}</p>
      <div className="row">
        <Field
          label={t("tickets.salesStart")}
          name="salesStartAt"
          type="datetime-local"
          defaultValue={v.salesStartAt}
          error={e.salesStartAt}
        />
        <Field
          label={t("tickets.salesEnd")}
          name="salesEndAt"
          type="datetime-local"
          defaultValue={v.salesEndAt}
          error={e.salesEndAt}
        />
      </div>
      <div className="row">
        <div className="field">
          <label htmlFor="visibility">{t("tickets.visibility")}</label>
          <select id="visibility" name="visibility" defaultValue={v.visibility}>
            <option value="public">{t("tickets.public")}</option>
            <option value="hidden">{t("tickets.hiddenWithCode")}</option>
          </select>
        </div>
        <Field
          label={t("shop.accessCode")}
          name="accessCode"
          maxLength={40}
          defaultValue={v.accessCode}
          error={e.accessCode}
        />
      </div>
    </>
  );
}

/**
 * A hidden type's link with its access code, to copy and send to its buyers.
 * The field can be selected without JavaScript; the copy button appears with it.
 */
const noSubscription = () => () => {};

export function ShareLink({ link }: { link: string }) {
  const t = useT();
  // The server has no clipboard: the button appears once the page runs in a browser that has one.
  const canCopy = useSyncExternalStore(
    noSubscription,
    () => Boolean(navigator.clipboard),
    () => false,
  );
  const [copied, setCopied] = useState(false);
  return (
    <div className="card share-link">
      <Field
        label={t("tickets.shareLink")}
        name="shareLink"
        readOnly
        value={link}
        hint={t("tickets.shareLinkHint")}
        onFocus={(e) => e.currentTarget.select()}
      />
      {canCopy ? (
        <button
          type="button"
          onClick={() =>
            void navigator.clipboard.writeText(link).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {t("tickets.copy")}
        </button>
      ) : null}{" "}
      {copied ? <span role="status">{t("tickets.copied")}</span> : null}
    </div>
  );
}
