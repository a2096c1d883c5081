// One recipient's decrypted name, payment details and notes (permission
// treasury only), this month's use of its cap, and the payouts made to it.
// Never stored by a browser or a proxy (no-store); the URL carries only the id.
import type { ActionFunctionArgs, HeadersFunction, LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { ConfirmButton } from "~/components/confirm-button";
import { FormError } from "~/components/field";
import { Table } from "~/components/table";
import { categoryLabel, kindLabel } from "~/components/treasury-fields";
import { listPrisoners } from "~/models/prisoner.server";
import { capLeft, capUse, monthOf } from "~/models/payout-caps";
import { archiveRecipient, getRecipient } from "~/models/recipients.server";
import { listPayouts } from "~/models/payouts.server";
import { confirmationError, field, formFailure, readForm } from "~/utils/forms.server";
import { errorResponse } from "~/utils/http.server";
import { getTranslator } from "~/utils/i18n.server";
import { formatMoney } from "~/utils/money";
import { requireUserWith } from "~/utils/permissions.server";
import { useLocale, useT } from "~/utils/use-t";

export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

export const headers: HeadersFunction = () => ({ "Cache-Control": "no-store" });

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUserWith(request, "treasury");
  const { locale } = await getTranslator(request);
  const recipient = await getRecipient(user, params.id ?? "");
  const [prisoners, payouts] = await Promise.all([
    listPrisoners(locale),
    listPayouts(user, { recipientId: recipient.id }),
  ]);
  // This month's use of the cap, in the recipient's zone (payout-caps: the one rule).
  const cap = recipient.monthlyCap;
  const month = monthOf(new Date(), recipient.timezone);
  const usedMinor = cap ? capUse(payouts, month, cap.currency) : 0;
  return {
    recipient,
    prisonerName: prisoners.find((p) => p.id === recipient.prisonerId)?.name ?? "",
    payouts,
    capUse: cap
      ? {
          month,
          currency: cap.currency,
          capMinor: cap.amountMinor,
          usedMinor,
          leftMinor: capLeft(cap.amountMinor, usedMinor),
        }
      : null,
  };
}

type Result = { error?: string; done?: boolean };

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUserWith(request, "treasury");
  const { t } = await getTranslator(request);
  const form = await readForm(request);
  if (field(form, "intent") !== "archive")
    throw errorResponse(400, "bad_intent", "Unknown action.");
  const refused = confirmationError(form, t);
  if (refused) return data<Result>({ error: refused }, { status: 400 });
  try {
    await archiveRecipient(user, params.id ?? "");
    return data<Result>({ done: true });
  } catch (error) {
    const failed = formFailure(error, t);
    return data<Result>(
      { error: Object.values(failed.errors)[0] ?? t("v.invalid") },
      { status: failed.status },
    );
  }
}

export default function RecipientDetails() {
  const { recipient, prisonerName, payouts, capUse } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  return (
    <>
      <p className="eyebrow">
        <Link to="/admin/treasury/recipients">{t("treasury.recipient.back")}</Link> /
      </p>
      <h2>
        {recipient.displayName}{" "}
        {recipient.archivedAt ? (
          <span className="badge">{t("treasury.recipients.archived")}</span>
        ) : null}
      </h2>
      {result?.done ? (
        <p role="status" className="notice">
          {t("treasury.recipient.archivedDone")}
        </p>
      ) : null}
      <FormError error={result?.error} />
      <p>
        {kindLabel(t, recipient.kind)} · {t("treasury.recipients.for", { prisoner: prisonerName })}
      </p>
      <div className="sealed">
        <p className="muted">{t("treasury.recipient.sealedNote")}</p>
        <dl>
          <dt>{t("treasury.field.details")}</dt>
          <dd className="prewrap">{recipient.details}</dd>
          {recipient.notes ? (
            <>
              <dt>{t("treasury.field.notes")}</dt>
              <dd className="prewrap">{recipient.notes}</dd>
            </>
          ) : null}
        </dl>
      </div>
      <p>
        {recipient.monthlyCap
          ? t("treasury.recipients.capValue", {
              amount: formatMoney(
                recipient.monthlyCap.amountMinor,
                recipient.monthlyCap.currency,
                locale,
              ),
              zone: recipient.timezone,
            })
          : t("treasury.recipients.noCap")}
      </p>
      {capUse ? (
        <p data-testid="cap-use">
          {t("treasury.recipient.capUse", {
            month: capUse.month,
            used: formatMoney(capUse.usedMinor, capUse.currency, locale),
            cap: formatMoney(capUse.capMinor, capUse.currency, locale),
            left: formatMoney(capUse.leftMinor, capUse.currency, locale),
          })}
        </p>
      ) : null}
      <h3>{t("treasury.recipient.payouts")}</h3>
      {payouts.length === 0 ? (
        <p className="muted">{t("treasury.recipient.noPayouts")}</p>
      ) : (
        <Table label={t("treasury.recipient.payouts")}>
          <thead>
            <tr>
              <th scope="col">{t("treasury.field.category")}</th>
              <th scope="col">{t("treasury.amount")}</th>
              <th scope="col">{t("treasury.capMonth")}</th>
              <th scope="col">{t("treasury.status")}</th>
            </tr>
          </thead>
          <tbody>
            {payouts.map((p) => (
              <tr key={p.id}>
                <td>{categoryLabel(t, p.category)}</td>
                <td>{formatMoney(p.amountMinor, p.currency, locale)}</td>
                <td>{p.month}</td>
                <td>
                  {t(
                    `treasury.payouts.status.${p.status as "proposed" | "approved" | "paid" | "rejected" | "cancelled"}`,
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      {!recipient.archivedAt ? (
        <ConfirmButton
          label={t("treasury.recipient.archive")}
          warning={t("treasury.recipient.archiveWarning")}
          confirmLabel={t("treasury.recipient.archiveConfirm")}
          intent="archive"
        />
      ) : null}
    </>
  );
}
