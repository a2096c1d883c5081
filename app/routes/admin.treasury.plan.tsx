// The tranche planner (permission treasury): for a prisoner's fund and a
// recipient with a monthly cap, the monthly tranches that drain the fund's
// available money without ever passing the cap, as a timeline. Accepting it
// proposes the payouts month by month (each still needs its approvals).
// The choice travels in the query string as ids only (never a name).
import type { ActionFunctionArgs, HeadersFunction, LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { ConfirmButton } from "~/components/confirm-button";
import { FormError, SelectField } from "~/components/field";
import { categoryLabel, PAYOUT_CATEGORY_KEYS } from "~/components/treasury-fields";
import { acceptPayoutPlan, payoutPlan, planAcceptInput } from "~/models/payouts.server";
import { listPrisoners } from "~/models/prisoner.server";
import { listRecipients } from "~/models/recipients.server";
import { confirmationError, field, formFailure, readForm } from "~/utils/forms.server";
import { errorResponse } from "~/utils/http.server";
import { treasuryFieldStatus } from "~/utils/treasury-forms.server";
import { getTranslator } from "~/utils/i18n.server";
import { formatMoney } from "~/utils/money";
import { requireUserWith } from "~/utils/permissions.server";
import { useLocale, useT } from "~/utils/use-t";
import { fieldErrors } from "~/utils/validation";

export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

export const headers: HeadersFunction = () => ({ "Cache-Control": "no-store" });

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUserWith(request, "treasury");
  const { locale, t } = await getTranslator(request);
  const url = new URL(request.url);
  const prisonerId = (url.searchParams.get("prisonerId") ?? "").slice(0, 64);
  const recipientId = (url.searchParams.get("recipientId") ?? "").slice(0, 64);
  const [prisoners, recipients] = await Promise.all([listPrisoners(locale), listRecipients(user)]);
  const capped = recipients.filter((r) => !r.archivedAt && r.monthlyCap !== null);
  let plan: Awaited<ReturnType<typeof payoutPlan>> | null = null;
  let error: string | null = null;
  if (prisonerId && recipientId) {
    try {
      plan = await payoutPlan(user, { prisonerId, recipientId });
    } catch (e) {
      const failed = formFailure(e, t);
      error = Object.values(failed.errors)[0] ?? t("v.invalid");
    }
  }
  return { prisoners, recipients: capped, prisonerId, recipientId, plan, error };
}

type Result = { errors: Record<string, string>; accepted?: number };

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUserWith(request, "treasury");
  const { t } = await getTranslator(request);
  const form = await readForm(request);
  if (field(form, "intent") !== "accept") throw errorResponse(400, "bad_intent", "Unknown action.");
  const refused = confirmationError(form, t);
  if (refused) return data<Result>({ errors: { _form: refused } }, { status: 400 });
  // The plan the treasurer saw: if it changed meanwhile (another proposal), it is refused.
  const seen = (field(form, "plan") ?? "").split(",").filter(Boolean);
  const parsed = planAcceptInput.safeParse({
    prisonerId: field(form, "prisonerId") ?? "",
    recipientId: field(form, "recipientId") ?? "",
    category: field(form, "category") ?? "",
    ...(seen.length
      ? {
          tranches: seen.map((x) => {
            const [month, amount] = x.split(":");
            return { month, amountMinor: Number(amount) };
          }),
        }
      : {}),
  });
  if (!parsed.success)
    return data<Result>({ errors: fieldErrors(parsed.error, t) }, { status: 400 });
  try {
    const accepted = await acceptPayoutPlan(user, parsed.data);
    return data<Result>({ errors: {}, accepted: accepted.payouts.length });
  } catch (error) {
    const failed = formFailure(
      error,
      t,
      { plan_changed: t("treasury.plan.changed") },
      treasuryFieldStatus(error),
    );
    return data<Result>({ errors: failed.errors }, { status: failed.status });
  }
}

export default function Planner() {
  const loaded = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  const prisonerName = Object.fromEntries(loaded.prisoners.map((p) => [p.id, p.name]));
  const plan = loaded.plan;
  const tranches = plan?.tranches ?? [];
  const total = tranches.reduce((s, x) => s + x.amountMinor, 0);
  const largest = Math.max(1, ...tranches.map((x) => x.amountMinor));
  const e: Record<string, string> = result?.errors ?? {};
  return (
    <>
      <h2>{t("treasury.plan.title")}</h2>
      <p className="muted">{t("treasury.plan.intro")}</p>
      {result?.accepted !== undefined ? (
        <p role="status" className="notice">
          {t("treasury.plan.accepted", { count: result.accepted })}
        </p>
      ) : null}
      {loaded.recipients.length === 0 ? (
        <p>{t("treasury.plan.noneCapped")}</p>
      ) : (
        <Form method="get" className="card">
          <SelectField
            label={t("treasury.field.prisoner")}
            name="prisonerId"
            required
            placeholder=""
            defaultValue={loaded.prisonerId}
            options={loaded.prisoners.map((p) => ({ value: p.id, label: p.name }))}
          />
          <SelectField
            label={t("treasury.field.recipient")}
            name="recipientId"
            required
            placeholder=""
            defaultValue={loaded.recipientId}
            options={loaded.recipients.map((r) => ({
              value: r.id,
              label: `${r.displayName} (${prisonerName[r.prisonerId] ?? ""})`,
            }))}
          />
          <button type="submit">{t("treasury.plan.show")}</button>
        </Form>
      )}
      <FormError error={loaded.error ?? e._form} />
      {plan && tranches.length === 0 ? <p>{t("treasury.plan.empty")}</p> : null}
      {plan && tranches.length > 0 ? (
        <section aria-labelledby="plan-timeline">
          <h3 id="plan-timeline">{t("treasury.plan.timeline")}</h3>
          <p data-testid="plan-summary">
            {t("treasury.plan.summary", {
              count: tranches.length,
              amount: formatMoney(total, plan.currency, locale),
              first: tranches[0]!.month,
              last: tranches[tranches.length - 1]!.month,
            })}
          </p>
          <ol className="timeline">
            {tranches.map((x) => (
              <li key={x.month} data-testid={`tranche-${x.month}`}>
                <time dateTime={x.month}>{x.month}</time>:{" "}
                <span className="tranche-amount">
                  {formatMoney(x.amountMinor, plan.currency, locale)}
                </span>
                {/* The tranche's share of the largest one (an SVG: no inline style under the CSP). */}
                <svg className="bar" aria-hidden="true" width="100%" height="8" focusable="false">
                  <rect
                    width={`${Math.round((x.amountMinor / largest) * 100)}%`}
                    height="8"
                    rx="4"
                  />
                </svg>
              </li>
            ))}
          </ol>
          <ConfirmButton
            label={t("treasury.plan.accept")}
            warning={t("treasury.plan.acceptWarning")}
            confirmLabel={t("treasury.plan.acceptConfirm")}
            intent="accept"
          >
            <input type="hidden" name="prisonerId" value={loaded.prisonerId} />
            <input type="hidden" name="recipientId" value={loaded.recipientId} />
            <input
              type="hidden"
              name="plan"
              value={tranches.map((x) => `${x.month}:${x.amountMinor}`).join(",")}
            />
            <SelectField
              label={t("treasury.field.category")}
              name="category"
              required
              error={e.category}
              options={Object.keys(PAYOUT_CATEGORY_KEYS).map((c) => ({
                value: c,
                label: categoryLabel(t, c),
              }))}
            />
          </ConfirmButton>
        </section>
      ) : null}
    </>
  );
}
