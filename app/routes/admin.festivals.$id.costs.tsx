// The festival's costs (festival:costs): organisers submit what the festival
// spent, with a receipt (a multipart form that works without JavaScript), and
// follow each cost's status; treasurers (treasury: with a second factor)
// approve — two people, never the submitter — reject with a note, and mark
// approved costs paid with the payment's reference. Receipts are downloads
// from the route beside this one, never public.
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { ConfirmButton } from "~/components/confirm-button";
import { Field, FocusFirstError, FormError, TextArea } from "~/components/field";
import { Table } from "~/components/table";
import {
  approveCost,
  approvedUnpaidCosts,
  cancelCost,
  costInput,
  findCost,
  listCosts,
  paidInput,
  payCost,
  rejectCost,
  rejectInput,
  submitCost,
} from "~/models/festival-costs.server";
import { COST_CATEGORIES, type CostStatus } from "~/models/cost-choices";
import { getFestivalOrThrow } from "~/models/festival.server";
import { sqlClient } from "~/utils/db.server";
import { DomainError } from "~/utils/domain-error";
import {
  confirmationError,
  field,
  formFailure,
  moneyField,
  moneyFieldError,
} from "~/utils/forms.server";
import { formatDateTime } from "~/utils/format";
import { getTranslator } from "~/utils/i18n.server";
import type { Translate } from "~/utils/i18n";
import { formatMoney } from "~/utils/money";
import { can, requireUserWith } from "~/utils/permissions.server";
import { ExportLinks } from "~/components/export-links";
import { readReceiptForm, receiptFromForm } from "~/utils/receipts.server";
import { useLocale, useT } from "~/utils/use-t";
import { fieldErrors, localizeMessage, parseMoment } from "~/utils/validation";

// Errors show inside the admin navigation (and the festival's tabs).
export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUserWith(request, "festival:costs", params.id);
  const festival = await getFestivalOrThrow(params.id);
  const [costs, approvedUnpaid] = await Promise.all([
    listCosts(festival.id),
    approvedUnpaidCosts(sqlClient(), festival.id),
  ]);
  return {
    festival: { id: festival.id, currency: festival.currency, timezone: festival.timezone },
    userId: user.id,
    canTreasury: can(user, "treasury"),
    costs,
    approvedUnpaid,
  };
}

type Result = { intent: string; ok: boolean; errors: Record<string, string>; costId?: string };

/** The page's words for the refusals of the domain (fields are translated by formFailure). */
function refusals(t: Translate) {
  return (e: DomainError) => {
    switch (e.code) {
      case "self_approval":
        return t("costs.selfApproval");
      case "not_submitter":
        return t("costs.notSubmitter");
      case "cost_not_pending":
        return t("costs.notPending");
      case "insufficient_assets":
        return t("costs.insufficientAssets");
      case "insufficient_unallocated":
        return t("costs.insufficientUnallocated");
      default:
        return undefined;
    }
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUserWith(request, "festival:costs", params.id);
  const festival = await getFestivalOrThrow(params.id);
  const { t } = await getTranslator(request);
  // The submit form is multipart (a receipt); the others are plain forms.
  const form = await readReceiptForm(request);
  const intent = field(form, "intent") ?? "";
  const costId = (field(form, "costId") ?? "").slice(0, 64);
  const fail = (errors: Record<string, string>, status = 400) =>
    data<Result>({ intent, ok: false, errors, ...(costId ? { costId } : {}) }, { status });
  const ok = (): Result => ({ intent, ok: true, errors: {}, ...(costId ? { costId } : {}) });
  /** The cost named by the form, of this festival (another festival's looks like none). */
  const theCost = async () => {
    const cost = await findCost(costId);
    if (!cost || cost.festivalId !== festival.id) throw DomainError.notFound("No such cost.");
    return cost;
  };
  try {
    if (intent === "submit") {
      const errors: Record<string, string> = {};
      const amount = moneyField(form, "amount", festival.currency);
      if (amount === null) errors.amount = localizeMessage(moneyFieldError(festival.currency), t);
      if (amount === undefined) errors.amount = t("v.required");
      const parsed = costInput.safeParse({
        category: field(form, "category") ?? "",
        description: field(form, "description") ?? "",
        amountMinor: amount ?? 1,
      });
      if (!parsed.success || Object.keys(errors).length)
        return fail({ ...(parsed.success ? {} : fieldErrors(parsed.error, t)), ...errors });
      const receipt = await receiptFromForm(form);
      await submitCost(user, festival, parsed.data, receipt);
      return ok();
    }
    if (intent === "cancel") {
      const refused = confirmationError(form, t);
      if (refused) return fail({ _form: refused });
      await cancelCost(user, (await theCost()).id);
      return ok();
    }
    // The rest is the treasurers' (a second factor proved).
    const treasurer = await requireUserWith(request, "treasury");
    if (intent === "approve") {
      await approveCost(treasurer, (await theCost()).id);
      return ok();
    }
    if (intent === "reject") {
      const parsed = rejectInput.safeParse({ note: field(form, "note") ?? "" });
      if (!parsed.success) return fail(fieldErrors(parsed.error, t));
      await rejectCost(treasurer, (await theCost()).id, parsed.data.note);
      return ok();
    }
    if (intent === "paid") {
      const typed = (field(form, "paidAt") ?? "").trim();
      const moment = typed ? parseMoment(typed, festival.timezone) : null;
      if (typed && !moment) return fail({ paidAt: t("v.dateTime") });
      const parsed = paidInput.safeParse({
        reference: field(form, "reference") ?? "",
        ...(moment ? { paidAt: moment.toISOString() } : {}),
      });
      if (!parsed.success) return fail(fieldErrors(parsed.error, t));
      await payCost(treasurer, (await theCost()).id, parsed.data);
      return ok();
    }
  } catch (error) {
    const failed = formFailure(error, t, refusals(t), { fieldStatus: 400 });
    return fail(failed.errors, failed.status);
  }
  return fail({ _form: t("v.invalid") });
}

const STATUS_CLASS: Record<CostStatus, string> = {
  submitted: "status-draft",
  approved: "status-published",
  paid: "status-published",
  rejected: "status-cancelled",
  cancelled: "status-cancelled",
};

export default function CostsPage() {
  const { festival, userId, canTreasury, costs, approvedUnpaid } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  const e: Record<string, string> = result?.errors ?? {};
  const on = (intent: string, id?: string) =>
    result?.intent === intent && (id === undefined || result.costId === id) ? e : {};
  const money = (minor: number, currency: string) => formatMoney(minor, currency, locale);
  const when = (at: string) => formatDateTime(at, locale, festival.timezone);
  const base = `/admin/festivals/${festival.id}/costs`;
  return (
    <>
      <h2>{t("costs.title")}</h2>
      <p className="hint">{t("costs.intro")}</p>
      <ExportLinks festivalId={festival.id} kinds={["costs"]} />
      {result && !result.costId ? <FormError error={e._form} /> : null}
      {result?.ok ? (
        <p role="status" className="notice">
          {t(`costs.done.${result.intent as "submit" | "cancel" | "approve" | "reject" | "paid"}`)}
        </p>
      ) : null}
      {approvedUnpaid.length > 0 ? (
        <p>
          {t("costs.approvedUnpaid", {
            amount: approvedUnpaid.map((a) => money(a.amountMinor, a.currency)).join(", "),
          })}
        </p>
      ) : null}

      <Form method="post" encType="multipart/form-data" noValidate className="card">
        <h3>{t("costs.submitTitle")}</h3>
        <FocusFirstError errors={on("submit")} />
        <div className={`field${on("submit").category ? " has-error" : ""}`}>
          <label htmlFor="cost-category">{t("costs.category")}</label>
          <select id="cost-category" name="category" defaultValue="venue" required>
            {COST_CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {t(`costs.category.${c}`)}
              </option>
            ))}
          </select>
          {on("submit").category ? (
            <p className="field-error" role="alert">
              {on("submit").category}
            </p>
          ) : null}
        </div>
        <TextArea
          label={t("costs.description")}
          hint={t("costs.descriptionHint")}
          name="description"
          maxLength={500}
          rows={2}
          required
          error={on("submit").description}
        />
        <Field
          label={t("costs.amount", { currency: festival.currency })}
          name="amount"
          inputMode="decimal"
          required
          error={on("submit").amount ?? on("submit").amountMinor}
        />
        <Field
          label={t("costs.receipt")}
          hint={t("costs.receiptHint")}
          name="receipt"
          type="file"
          accept="application/pdf,image/jpeg,image/png,image/webp"
          error={on("submit").receipt}
        />
        <button type="submit" name="intent" value="submit" className="primary">
          {t("costs.submit")}
        </button>
      </Form>

      {costs.length === 0 ? (
        <p>{t("costs.none")}</p>
      ) : (
        <Table label={t("costs.title")}>
          <thead>
            <tr>
              <th>{t("costs.submitted")}</th>
              <th>{t("costs.category")}</th>
              <th>{t("costs.description")}</th>
              <th>{t("costs.amountColumn")}</th>
              <th>{t("costs.receipt")}</th>
              <th>{t("costs.status")}</th>
              <th>{t("costs.actions")}</th>
            </tr>
          </thead>
          <tbody>
            {costs.map((c) => {
              const mine = c.submittedBy?.id === userId;
              const approvedByMe = c.approvals.some((a) => a.userId === userId);
              const rowErrors = result?.costId === c.id ? e : {};
              return (
                <tr key={c.id} id={`cost-${c.id}`}>
                  <td>
                    {when(c.createdAt)}
                    {c.submittedBy ? <div className="muted">{c.submittedBy.name}</div> : null}
                  </td>
                  <td>{t(`costs.category.${c.category}`)}</td>
                  <td>{c.description}</td>
                  <td>{money(c.amountMinor, c.currency)}</td>
                  <td>
                    {c.receipt ? (
                      <a href={`${base}/${c.id}/receipt`} download>
                        {c.receipt.type === "application/pdf"
                          ? t("costs.receiptPdf")
                          : t("costs.receiptImage")}
                      </a>
                    ) : (
                      <span className="muted">{t("costs.noReceipt")}</span>
                    )}
                  </td>
                  <td>
                    <span className={`badge ${STATUS_CLASS[c.status]}`}>
                      {t(`costs.status.${c.status}`)}
                    </span>
                    {c.status === "submitted" ? (
                      <div className="muted">
                        {t("costs.approvals", {
                          count: c.approvals.length,
                          needed: c.approvalsNeeded,
                        })}
                      </div>
                    ) : null}
                    {c.status === "rejected" && c.decisionNote ? (
                      <div className="muted">
                        {t("costs.rejectedBecause", { note: c.decisionNote })}
                      </div>
                    ) : null}
                    {c.status === "paid" && c.paidAt ? (
                      <div className="muted">
                        {t("costs.paidOn", { at: when(c.paidAt), reference: c.reference ?? "" })}
                      </div>
                    ) : null}
                  </td>
                  <td>
                    <FormError error={rowErrors._form} />
                    {mine && c.status === "submitted" ? (
                      <ConfirmButton
                        label={t("costs.cancel")}
                        warning={t("costs.cancelWarning")}
                        confirmLabel={t("costs.cancelConfirm")}
                        intent="cancel"
                      >
                        <input type="hidden" name="costId" value={c.id} />
                      </ConfirmButton>
                    ) : null}
                    {canTreasury && c.status === "submitted" && !mine && !approvedByMe ? (
                      <Form method="post">
                        <input type="hidden" name="costId" value={c.id} />
                        <button type="submit" name="intent" value="approve">
                          {t("costs.approve")}
                        </button>
                      </Form>
                    ) : null}
                    {canTreasury && c.status === "approved" ? (
                      <details
                        open={Boolean(on("paid", c.id).reference || on("paid", c.id).paidAt)}
                      >
                        <summary>{t("costs.markPaid")}</summary>
                        <Form method="post" noValidate>
                          <input type="hidden" name="costId" value={c.id} />
                          <FocusFirstError errors={on("paid", c.id)} />
                          <Field
                            label={t("costs.reference")}
                            name="reference"
                            maxLength={200}
                            required
                            error={on("paid", c.id).reference}
                          />
                          <Field
                            label={t("costs.paidAt", { zone: festival.timezone })}
                            hint={t("costs.paidAtHint")}
                            name="paidAt"
                            type="datetime-local"
                            error={on("paid", c.id).paidAt}
                          />
                          <button type="submit" name="intent" value="paid" className="primary">
                            {t("costs.markPaidButton")}
                          </button>
                        </Form>
                      </details>
                    ) : null}
                    {canTreasury && (c.status === "submitted" || c.status === "approved") ? (
                      <details open={Boolean(on("reject", c.id).note)}>
                        <summary>{t("costs.reject")}</summary>
                        <Form method="post" noValidate>
                          <input type="hidden" name="costId" value={c.id} />
                          <FocusFirstError errors={on("reject", c.id)} />
                          <TextArea
                            label={t("costs.rejectNote")}
                            name="note"
                            maxLength={1000}
                            rows={2}
                            required
                            error={on("reject", c.id).note}
                          />
                          <button type="submit" name="intent" value="reject" className="danger">
                            {t("costs.rejectButton")}
                          </button>
                        </Form>
                      </details>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </Table>
      )}
    </>
  );
}
