// The registry's profile fields (new and edit pages): the name, summary and
// story per platform language, where held, sentence, status, and the letters
// address with its "safe to publish" flag. Errors sit beside their fields.
import { Field, TextArea } from "~/components/field";
import { PRISONER_LIMITS, PRISONER_STATUSES, type PrisonerStatus } from "~/models/prisoner-choices";
import { languageName } from "~/utils/format";
import { LOCALES } from "~/utils/i18n";
import { useLocale, useT } from "~/utils/use-t";

export type PrisonerFieldValues = {
  slug?: string;
  name: Record<string, string>;
  summary: Record<string, string>;
  story: Record<string, string>;
  heldAt: Record<string, string> | null;
  sentence: Record<string, string> | null;
  status: PrisonerStatus;
  lettersAddress: string | null;
  lettersSafe: boolean;
};

export const EMPTY_PRISONER: PrisonerFieldValues = {
  name: {},
  summary: {},
  story: {},
  heldAt: null,
  sentence: null,
  status: "detained",
  lettersAddress: null,
  lettersSafe: false,
};

export function PrisonerFields({
  values,
  errors,
}: {
  values: PrisonerFieldValues;
  errors: Record<string, string>;
}) {
  const t = useT();
  const locale = useLocale();
  const lang = (l: string) => languageName(l, locale);
  return (
    <>
      {LOCALES.map((l) => (
        <Field
          key={`name.${l}`}
          label={t("prisonerAdmin.name", { language: lang(l) })}
          hint={l === "en" ? t("prisonerAdmin.nameHint") : undefined}
          name={`name.${l}`}
          maxLength={PRISONER_LIMITS.name}
          required={l === "en"}
          defaultValue={values.name[l] ?? ""}
          error={errors[`name.${l}`] ?? (l === "en" ? errors.name : undefined)}
        />
      ))}
      {values.slug !== undefined ? (
        <Field
          label={t("prisonerAdmin.slug")}
          hint={t("prisonerAdmin.slugHint")}
          name="slug"
          maxLength={PRISONER_LIMITS.slug}
          defaultValue={values.slug}
          error={errors.slug}
        />
      ) : null}
      <div className={`field${errors.status ? " has-error" : ""}`}>
        <label htmlFor="prisoner-status">{t("prisonerAdmin.status")}</label>
        <select id="prisoner-status" name="status" defaultValue={values.status}>
          {PRISONER_STATUSES.map((s) => (
            <option key={s} value={s}>
              {t(`prisoners.status.${s}`)}
            </option>
          ))}
        </select>
        {errors.status ? (
          <p className="field-error" role="alert">
            {errors.status}
          </p>
        ) : null}
      </div>
      {LOCALES.map((l) => (
        <Field
          key={`heldAt.${l}`}
          label={t("prisonerAdmin.heldAtIn", { language: lang(l) })}
          hint={l === "en" ? t("prisonerAdmin.heldAtHint") : undefined}
          name={`heldAt.${l}`}
          maxLength={PRISONER_LIMITS.heldAt}
          defaultValue={values.heldAt?.[l] ?? values.heldAt?.["*"] ?? ""}
          error={errors[`heldAt.${l}`] ?? (l === "en" ? errors.heldAt : undefined)}
        />
      ))}
      {LOCALES.map((l) => (
        <Field
          key={`sentence.${l}`}
          label={t("prisonerAdmin.sentenceIn", { language: lang(l) })}
          name={`sentence.${l}`}
          maxLength={PRISONER_LIMITS.sentence}
          defaultValue={values.sentence?.[l] ?? values.sentence?.["*"] ?? ""}
          error={errors[`sentence.${l}`] ?? (l === "en" ? errors.sentence : undefined)}
        />
      ))}
      {LOCALES.map((l) => (
        <TextArea
          key={`summary.${l}`}
          label={t("prisonerAdmin.summary", { language: lang(l) })}
          name={`summary.${l}`}
          maxLength={PRISONER_LIMITS.summary}
          rows={2}
          defaultValue={values.summary[l] ?? ""}
          error={errors[`summary.${l}`]}
        />
      ))}
      {LOCALES.map((l) => (
        <TextArea
          key={`story.${l}`}
          label={t("prisonerAdmin.story", { language: lang(l) })}
          name={`story.${l}`}
          maxLength={PRISONER_LIMITS.story}
          rows={8}
          defaultValue={values.story[l] ?? ""}
          error={errors[`story.${l}`]}
        />
      ))}
      <fieldset className="card">
        <legend>{t("prisonerAdmin.letters")}</legend>
        <TextArea
          label={t("prisonerAdmin.lettersAddress")}
          hint={t("prisonerAdmin.lettersAddressHint")}
          name="lettersAddress"
          maxLength={PRISONER_LIMITS.lettersAddress}
          rows={3}
          defaultValue={values.lettersAddress ?? ""}
          error={errors.lettersAddress}
        />
        <label className="choice">
          <input type="checkbox" name="lettersSafe" defaultChecked={values.lettersSafe} />{" "}
          {t("prisonerAdmin.lettersSafe")}
        </label>
        {errors.lettersSafe ? (
          <p className="field-error" role="alert">
            {errors.lettersSafe}
          </p>
        ) : null}
      </fieldset>
    </>
  );
}
