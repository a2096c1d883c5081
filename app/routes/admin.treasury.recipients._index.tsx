// Payout recipients by prisoner (permission treasury), and the form that adds
// one with its optional monthly cap and the time zone its months are counted
// in. Names and details are decrypted for treasurers only; the page is never
// stored (no-store) and names no recipient in a URL (links carry ids).
import type { ActionFunctionArgs, HeadersFunction, LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { ErrorSummary, Field, FormError, SelectField, TextArea } from "~/components/field";
import { kindLabel, RECIPIENT_KIND_KEYS, useResetOnSuccess } from "~/components/treasury-fields";
import { listPrisoners } from "~/models/prisoner.server";
import { createRecipient, listRecipients, recipientInput } from "~/models/recipients.server";
import { field, formFailure, moneyField, moneyFieldError, readForm } from "~/utils/forms.server";
import { treasuryFieldStatus } from "~/utils/treasury-forms.server";
import { getTranslator } from "~/utils/i18n.server";
import { formatMoney } from "~/utils/money";
import { requireUserWith } from "~/utils/permissions.server";
import { useLocale, useT } from "~/utils/use-t";
import { fieldErrors, localizeMessage } from "~/utils/validation";

export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

export const headers: HeadersFunction = () => ({ "Cache-Control": "no-store" });

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUserWith(request, "treasury");
  const { locale } = await getTranslator(request);
  const [prisoners, recipients] = await Promise.all([
    listPrisoners(locale),
    listRecipients(user, { includeArchived: true }),
  ]);
  return { prisoners, recipients };
}

type Result = { errors: Record<string, string>; created?: string };

/** The input's field names (the API's) → this form's fields. */
const FORM_FIELDS: Record<string, string> = {
  "monthlyCap.amountMinor": "capAmount",
  monthlyCap: "capAmount",
  "monthlyCap.currency": "capCurrency",
};

const formErrors = (errors: Record<string, string>) =>
  Object.fromEntries(Object.entries(errors).map(([k, v]) => [FORM_FIELDS[k] ?? k, v]));

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUserWith(request, "treasury");
  const { t } = await getTranslator(request);
  const form = await readForm(request);
  const capCurrency = (field(form, "capCurrency") ?? "").trim().toUpperCase().slice(0, 3);
  // The cap is typed in major units of its currency ("10000", "10 000,50").
  const capAmount = moneyField(form, "capAmount", capCurrency || "EUR");
  if (capAmount === null)
    return data<Result>(
      { errors: { capAmount: localizeMessage(moneyFieldError(capCurrency || "EUR"), t) } },
      { status: 400 },
    );
  const parsed = recipientInput.safeParse({
    prisonerId: field(form, "prisonerId") ?? "",
    kind: field(form, "kind") ?? "",
    displayName: field(form, "displayName") ?? "",
    details: field(form, "details") ?? "",
    notes: field(form, "notes"),
    ...(capAmount !== undefined
      ? { monthlyCap: { amountMinor: capAmount, currency: capCurrency } }
      : {}),
    ...(field(form, "timezone")?.trim() ? { timezone: field(form, "timezone") } : {}),
  });
  if (!parsed.success)
    return data<Result>({ errors: formErrors(fieldErrors(parsed.error, t)) }, { status: 400 });
  try {
    const created = await createRecipient(user, parsed.data);
    return { errors: {}, created: created.id } satisfies Result;
  } catch (error) {
    const failed = formFailure(error, t, {}, treasuryFieldStatus(error));
    return data<Result>({ errors: formErrors(failed.errors) }, { status: failed.status });
  }
}

export default function Recipients() {
  const { prisoners, recipients } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  const e: Record<string, string> = result?.errors ?? {};
  const formRef = useResetOnSuccess(result?.created);
  const byPrisoner = prisoners
    .map((p) => ({ ...p, recipients: recipients.filter((r) => r.prisonerId === p.id) }))
    .filter((p) => p.recipients.length > 0);
  const labels = {
    prisonerId: t("treasury.field.prisoner"),
    kind: t("treasury.field.kind"),
    displayName: t("treasury.field.displayName"),
    details: t("treasury.field.details"),
    notes: t("treasury.field.notes"),
    capAmount: t("treasury.field.capAmount"),
    capCurrency: t("treasury.field.capCurrency"),
    timezone: t("treasury.field.timezone"),
  };
  return (
    <>
      <h2>{t("treasury.recipients.title")}</h2>
      <p className="muted">{t("treasury.recipients.intro")}</p>
      {result?.created ? (
        <p role="status" className="notice">
          {t("treasury.recipients.created")}
        </p>
      ) : null}
      {byPrisoner.length === 0 ? <p>{t("treasury.recipients.none")}</p> : null}
      {byPrisoner.map((p) => (
        <section key={p.id} aria-labelledby={`recipients-${p.id}`}>
          <h3 id={`recipients-${p.id}`}>{t("treasury.recipients.for", { prisoner: p.name })}</h3>
          <ul className="payout-list">
            {p.recipients.map((r) => (
              <li key={r.id} data-testid={`recipient-${r.id}`}>
                <h4>
                  <Link
                    to={`/admin/treasury/recipients/${r.id}`}
                    aria-label={t("treasury.recipients.open", { name: r.displayName })}
                  >
                    {r.displayName}
                  </Link>{" "}
                  {r.archivedAt ? (
                    <span className="badge">{t("treasury.recipients.archived")}</span>
                  ) : null}
                </h4>
                <p className="muted">
                  {kindLabel(t, r.kind)} ·{" "}
                  {r.monthlyCap
                    ? t("treasury.recipients.capValue", {
                        amount: formatMoney(
                          r.monthlyCap.amountMinor,
                          r.monthlyCap.currency,
                          locale,
                        ),
                        zone: r.timezone,
                      })
                    : t("treasury.recipients.noCap")}
                </p>
              </li>
            ))}
          </ul>
        </section>
      ))}
      <Form ref={formRef} method="post" noValidate className="card" aria-labelledby="new-recipient">
        <h3 id="new-recipient">{t("treasury.recipients.new")}</h3>
        <ErrorSummary
          errors={e}
          fields={Object.entries(labels).map(([name, label]) => ({ name, label }))}
        />
        <FormError error={e._form} />
        <SelectField
          label={labels.prisonerId}
          name="prisonerId"
          required
          placeholder=""
          options={prisoners.map((p) => ({ value: p.id, label: p.name }))}
          error={e.prisonerId}
        />
        <SelectField
          label={labels.kind}
          name="kind"
          required
          options={Object.keys(RECIPIENT_KIND_KEYS).map((k) => ({
            value: k,
            label: kindLabel(t, k),
          }))}
          error={e.kind}
        />
        <Field
          label={labels.displayName}
          name="displayName"
          required
          maxLength={200}
          autoComplete="off"
          error={e.displayName}
        />
        <TextArea
          label={labels.details}
          name="details"
          required
          maxLength={2000}
          rows={3}
          autoComplete="off"
          hint={t("treasury.field.detailsHint")}
          error={e.details}
        />
        <TextArea label={labels.notes} name="notes" maxLength={2000} rows={2} error={e.notes} />
        <div className="row">
          <Field
            label={labels.capAmount}
            name="capAmount"
            inputMode="decimal"
            hint={t("treasury.field.capHint")}
            error={e.capAmount}
          />
          <Field
            label={labels.capCurrency}
            name="capCurrency"
            maxLength={3}
            defaultValue="RUB"
            autoCapitalize="characters"
            error={e.capCurrency}
          />
        </div>
        <Field
          label={labels.timezone}
          name="timezone"
          maxLength={64}
          defaultValue="Europe/Moscow"
          error={e.timezone}
        />
        <button type="submit" className="primary">
          {t("treasury.recipients.create")}
        </button>
      </Form>
    </>
  );
}
