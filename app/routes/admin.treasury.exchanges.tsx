// Exchanges (permission treasury): a fund's money converted from one currency
// to another at the rate the treasurer got, on the day they got it (a decimal
// typed in, never fetched), recorded as an explicit ledger entry pair; and the
// exchanges made so far.
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { ErrorSummary, Field, FormError, SelectField } from "~/components/field";
import { Table } from "~/components/table";
import {
  fundName,
  fundOptions,
  GENERAL_FUND,
  useResetOnSuccess,
} from "~/components/treasury-fields";
import { createExchange, listExchanges } from "~/models/funds.server";
import { listPrisoners } from "~/models/prisoner.server";
import { prisma } from "~/utils/db.server";
import { formatDateTime } from "~/utils/format";
import { field, formFailure, moneyField, moneyFieldError, readForm } from "~/utils/forms.server";
import { treasuryFieldStatus } from "~/utils/treasury-forms.server";
import { getTranslator } from "~/utils/i18n.server";
import { formatMoney } from "~/utils/money";
import { requireUserWith } from "~/utils/permissions.server";
import { useLocale, useT } from "~/utils/use-t";
import { localizeMessage } from "~/utils/validation";

export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

export async function loader({ request }: LoaderFunctionArgs) {
  await requireUserWith(request, "treasury");
  const { locale } = await getTranslator(request);
  const [prisoners, exchanges] = await Promise.all([listPrisoners(locale), listExchanges()]);
  const users = await prisma.user.findMany({
    where: { id: { in: [...new Set(exchanges.map((x) => x.createdById))] } },
    select: { id: true, name: true, email: true },
  });
  return {
    prisoners,
    exchanges,
    names: Object.fromEntries(users.map((u) => [u.id, u.name ?? u.email])),
    today: new Date().toISOString().slice(0, 10),
  };
}

type Result = {
  errors: Record<string, string>;
  recorded?: { from: string; to: string };
};

/** Domain field names (the API's) → this form's fields. */
const FORM_FIELDS: Record<string, string> = {
  prisonerId: "fund",
  amountMinor: "fromAmount",
};

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUserWith(request, "treasury");
  const { t, locale } = await getTranslator(request);
  const form = await readForm(request);
  const fromCurrency = (field(form, "fromCurrency") ?? "").trim().toUpperCase().slice(0, 3);
  const amount = moneyField(form, "fromAmount", fromCurrency || "EUR");
  if (amount === null || amount === undefined)
    return data<Result>(
      {
        errors: {
          fromAmount:
            amount === null
              ? localizeMessage(moneyFieldError(fromCurrency || "EUR"), t)
              : t("v.required"),
        },
      },
      { status: 400 },
    );
  const chosen = field(form, "fund") ?? "";
  try {
    const done = await createExchange(user, {
      prisonerId: chosen === GENERAL_FUND ? null : chosen,
      fromCurrency,
      amountMinor: amount,
      toCurrency: (field(form, "toCurrency") ?? "").trim().toUpperCase(),
      rate: (field(form, "rate") ?? "").trim().replace(",", "."),
      ratedOn: field(form, "ratedOn") ?? "",
    });
    return {
      errors: {},
      recorded: {
        from: formatMoney(done.amountMinor, done.fromCurrency, locale),
        to: formatMoney(done.toAmountMinor, done.toCurrency, locale),
      },
    } satisfies Result;
  } catch (error) {
    const failed = formFailure(error, t, {}, treasuryFieldStatus(error));
    const errors = Object.fromEntries(
      Object.entries(failed.errors).map(([k, v]) => [FORM_FIELDS[k] ?? k, v]),
    );
    return data<Result>({ errors }, { status: failed.status });
  }
}

export default function Exchanges() {
  const loaded = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  const e: Record<string, string> = result?.errors ?? {};
  const formRef = useResetOnSuccess(result?.recorded);
  const names = Object.fromEntries(loaded.prisoners.map((p) => [p.id, p.name]));
  const labels = {
    fund: t("treasury.field.fund"),
    fromAmount: t("treasury.field.fromAmount"),
    fromCurrency: t("treasury.field.fromCurrency"),
    toCurrency: t("treasury.field.toCurrency"),
    rate: t("treasury.field.rate"),
    ratedOn: t("treasury.field.ratedOn"),
  };
  return (
    <>
      <h2>{t("treasury.exchanges.title")}</h2>
      <p className="muted">{t("treasury.exchanges.intro")}</p>
      {result?.recorded ? (
        <p role="status" className="notice">
          {t("treasury.exchanges.recorded", result.recorded)}
        </p>
      ) : null}
      <Form
        ref={formRef}
        method="post"
        noValidate
        className="card"
        aria-labelledby="record-exchange"
      >
        <h3 id="record-exchange">{t("treasury.exchanges.record")}</h3>
        <ErrorSummary
          errors={e}
          fields={Object.entries(labels).map(([name, label]) => ({ name, label }))}
        />
        <FormError error={e._form} />
        <SelectField
          label={labels.fund}
          name="fund"
          required
          placeholder=""
          options={fundOptions(t, loaded.prisoners)}
          error={e.fund}
        />
        <div className="row">
          <Field
            label={labels.fromAmount}
            name="fromAmount"
            inputMode="decimal"
            required
            error={e.fromAmount}
          />
          <Field
            label={labels.fromCurrency}
            name="fromCurrency"
            required
            maxLength={3}
            defaultValue="EUR"
            autoCapitalize="characters"
            error={e.fromCurrency}
          />
        </div>
        <div className="row">
          <Field
            label={labels.toCurrency}
            name="toCurrency"
            required
            maxLength={3}
            defaultValue="RUB"
            autoCapitalize="characters"
            error={e.toCurrency}
          />
          <Field
            label={labels.rate}
            name="rate"
            inputMode="decimal"
            required
            maxLength={32}
            error={e.rate}
          />
        </div>
        <Field
          label={labels.ratedOn}
          name="ratedOn"
          type="date"
          required
          defaultValue={loaded.today}
          error={e.ratedOn}
        />
        <button type="submit" className="primary">
          {t("treasury.exchanges.recordButton")}
        </button>
      </Form>
      <h3>{t("treasury.exchanges.list")}</h3>
      {loaded.exchanges.length === 0 ? (
        <p className="muted">{t("treasury.exchanges.none")}</p>
      ) : (
        <Table label={t("treasury.exchanges.list")}>
          <thead>
            <tr>
              <th scope="col">{t("treasury.when")}</th>
              <th scope="col">{t("treasury.field.fund")}</th>
              <th scope="col">{t("treasury.exchanges.fromTo")}</th>
              <th scope="col">{t("treasury.exchanges.rate")}</th>
              <th scope="col">{t("treasury.by")}</th>
            </tr>
          </thead>
          <tbody>
            {loaded.exchanges.map((x) => (
              <tr key={x.id}>
                <td>
                  {x.ratedOn}
                  <div className="muted">{formatDateTime(x.createdAt, locale, "UTC")}</div>
                </td>
                <td>{fundName(t, x.prisonerId, names)}</td>
                <td>
                  {formatMoney(x.amountMinor, x.fromCurrency, locale)} →{" "}
                  {formatMoney(x.toAmountMinor, x.toCurrency, locale)}
                </td>
                <td className="mono">{x.rate}</td>
                <td>{loaded.names[x.createdById] ?? t("treasury.someone")}</td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </>
  );
}
