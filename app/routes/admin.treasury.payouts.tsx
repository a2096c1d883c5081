// Payouts (permission treasury): propose one from a prisoner's fund to a
// recipient; the lists by status; approve (never the proposer: the button of
// one's own proposal is disabled and says why), reject, cancel, and mark paid
// with the payment's reference and date. Who approved and how many are needed
// show on each. Refusals (over the fund's available money, over the
// recipient's cap for the month, self-approval) show beside the form.
import type { ActionFunctionArgs, HeadersFunction, LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { useId } from "react";
import { ConfirmButton } from "~/components/confirm-button";
import { ErrorSummary, Field, FormError, SelectField, TextArea } from "~/components/field";
import {
  categoryLabel,
  PAYOUT_CATEGORY_KEYS,
  useResetOnSuccess,
} from "~/components/treasury-fields";
import { requiredApprovals } from "~/models/approvals.server";
import { listPrisoners } from "~/models/prisoner.server";
import { listRecipients } from "~/models/recipients.server";
import {
  approvePayout,
  cancelInput,
  cancelPayout,
  listPayouts,
  markPayoutPaid,
  paidInput,
  payoutInput,
  proposePayout,
  rejectInput,
  rejectPayout,
} from "~/models/payouts.server";
import { prisma } from "~/utils/db.server";
import type { DomainError } from "~/utils/domain-error";
import { formatDate, formatDateTime } from "~/utils/format";
import {
  confirmationError,
  field,
  formFailure,
  moneyField,
  moneyFieldError,
  readForm,
} from "~/utils/forms.server";
import { errorResponse } from "~/utils/http.server";
import type { Translate } from "~/utils/i18n";
import { treasuryFieldStatus } from "~/utils/treasury-forms.server";
import { getTranslator } from "~/utils/i18n.server";
import { formatMoney } from "~/utils/money";
import { requireUserWith } from "~/utils/permissions.server";
import { useLocale, useT } from "~/utils/use-t";
import { fieldErrors, localizeMessage } from "~/utils/validation";

export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

// Recipients' names are on this page.
export const headers: HeadersFunction = () => ({ "Cache-Control": "no-store" });

const STATUSES = ["proposed", "approved", "paid", "rejected", "cancelled"] as const;
type Status = (typeof STATUSES)[number];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUserWith(request, "treasury");
  const { locale } = await getTranslator(request);
  const [prisoners, recipients, payouts] = await Promise.all([
    listPrisoners(locale),
    listRecipients(user),
    listPayouts(user),
  ]);
  const people = [
    ...new Set(
      payouts.flatMap((p) => [
        p.proposedById,
        ...p.approvals.userIds,
        ...(p.paidById ? [p.paidById] : []),
      ]),
    ),
  ];
  const users = await prisma.user.findMany({
    where: { id: { in: people } },
    select: { id: true, name: true, email: true },
  });
  return {
    me: user.id,
    needed: requiredApprovals(),
    prisoners,
    recipients: recipients.filter((r) => !r.archivedAt),
    payouts,
    names: Object.fromEntries(users.map((u) => [u.id, u.name ?? u.email])),
  };
}

type Result = {
  intent: string;
  payoutId?: string;
  errors: Record<string, string>;
  done?:
    | "treasury.payouts.proposed"
    | "treasury.payouts.approvedDone"
    | "treasury.payouts.rejectedDone"
    | "treasury.payouts.cancelledDone"
    | "treasury.payouts.paidDone";
};

/** The page's words for the payouts' refusals (the rest say which field, or are thrown). */
function refusals(t: Translate) {
  return (error: DomainError) => {
    if (error.code === "self_approval") return t("treasury.err.self");
    if (error.code === "payout_state") return t("treasury.changed");
    return undefined;
  };
}

/**
 * The payment's moment from a date: today (the field's default, a UTC date) is
 * now; another day is noon UTC that day (inside the same day in every zone from
 * UTC−11 to UTC+11), or now if noon has not come yet. (Noon of today was earlier
 * than an approval given this evening: after 21:00 UTC, already the next day in
 * Moscow, marking a just-approved payout paid on the default date was refused as
 * paid before its approval.)
 */
function paidMoment(day: string | undefined, now = new Date()) {
  if (!day || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return day ?? "";
  if (day === now.toISOString().slice(0, 10)) return now.toISOString();
  const noon = new Date(`${day}T12:00:00Z`);
  if (Number.isNaN(noon.getTime())) return day;
  return (noon > now ? now : noon).toISOString();
}

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUserWith(request, "treasury");
  const { t } = await getTranslator(request);
  const form = await readForm(request);
  const intent = field(form, "intent") ?? "";
  const payoutId = (field(form, "payoutId") ?? "").slice(0, 64);
  const fail = (error: unknown) => {
    const failed = formFailure(error, t, refusals(t), treasuryFieldStatus(error));
    return data<Result>({ intent, payoutId, errors: failed.errors }, { status: failed.status });
  };
  const invalid = (errors: Record<string, string>) =>
    data<Result>({ intent, payoutId, errors }, { status: 400 });
  try {
    if (intent === "propose") {
      const currency = (field(form, "currency") ?? "").trim().toUpperCase().slice(0, 3);
      const amount = moneyField(form, "amount", currency || "EUR");
      if (amount === null)
        return invalid({ amountMinor: localizeMessage(moneyFieldError(currency || "EUR"), t) });
      const parsed = payoutInput.safeParse({
        prisonerId: field(form, "prisonerId") ?? "",
        recipientId: field(form, "recipientId") ?? "",
        category: field(form, "category") ?? "",
        amountMinor: amount,
        currency,
        note: field(form, "note"),
      });
      if (!parsed.success) return invalid(fieldErrors(parsed.error, t));
      await proposePayout(user, parsed.data);
      return data<Result>({ intent, errors: {}, done: "treasury.payouts.proposed" });
    }
    if (intent === "approve") {
      await approvePayout(user, payoutId);
      return data<Result>({ intent, payoutId, errors: {}, done: "treasury.payouts.approvedDone" });
    }
    if (intent === "reject" || intent === "cancel") {
      const refused = confirmationError(form, t);
      if (refused) return invalid({ _form: refused });
      if (intent === "reject") {
        const parsed = rejectInput.safeParse({ reason: field(form, "reason") ?? "" });
        if (!parsed.success) return invalid(fieldErrors(parsed.error, t));
        await rejectPayout(user, payoutId, parsed.data);
      } else {
        const parsed = cancelInput.safeParse({ reason: field(form, "reason") });
        if (!parsed.success) return invalid(fieldErrors(parsed.error, t));
        await cancelPayout(user, payoutId, parsed.data);
      }
      return data<Result>({
        intent,
        payoutId,
        errors: {},
        done:
          intent === "reject" ? "treasury.payouts.rejectedDone" : "treasury.payouts.cancelledDone",
      });
    }
    if (intent === "paid") {
      const parsed = paidInput.safeParse({
        reference: field(form, "reference") ?? "",
        paidAt: paidMoment(field(form, "paidAt")),
      });
      if (!parsed.success) return invalid(fieldErrors(parsed.error, t));
      await markPayoutPaid(user, payoutId, parsed.data);
      return data<Result>({ intent, payoutId, errors: {}, done: "treasury.payouts.paidDone" });
    }
  } catch (error) {
    return fail(error);
  }
  throw errorResponse(400, "bad_intent", "Unknown action.");
}

type Loaded = ReturnType<typeof useLoaderData<typeof loader>>;

const PAID_FIELDS = ["reference", "paidAt"];
type PayoutRow = Loaded["payouts"][number];

function ProposeForm({ loaded, result }: { loaded: Loaded; result: Result | undefined }) {
  const t = useT();
  const [params] = useSearchParams();
  const e: Record<string, string> = result?.intent === "propose" ? result.errors : {};
  const formRef = useResetOnSuccess(result?.intent === "propose" ? result.done : undefined);
  const labels = {
    prisonerId: t("treasury.field.prisoner"),
    recipientId: t("treasury.field.recipient"),
    category: t("treasury.field.category"),
    amountMinor: t("treasury.field.amount"),
    currency: t("treasury.field.currency"),
    note: t("treasury.field.note"),
  };
  const prisonerName = Object.fromEntries(loaded.prisoners.map((p) => [p.id, p.name]));
  if (loaded.recipients.length === 0)
    return <p className="muted">{t("treasury.payouts.noRecipients")}</p>;
  return (
    <Form ref={formRef} method="post" noValidate className="card" aria-labelledby="propose-payout">
      <h3 id="propose-payout">{t("treasury.payouts.propose")}</h3>
      <ErrorSummary
        errors={e}
        fields={Object.entries(labels).map(([name, label]) => ({
          name,
          label,
          ...(name === "amountMinor" ? { id: "field-amount" } : {}),
        }))}
      />
      <FormError error={e._form} />
      <SelectField
        label={labels.prisonerId}
        name="prisonerId"
        required
        placeholder=""
        defaultValue={params.get("prisonerId") ?? ""}
        options={loaded.prisoners.map((p) => ({ value: p.id, label: p.name }))}
        error={e.prisonerId}
      />
      <SelectField
        label={labels.recipientId}
        name="recipientId"
        required
        placeholder=""
        defaultValue={params.get("recipientId") ?? ""}
        options={loaded.recipients.map((r) => ({
          value: r.id,
          label: `${r.displayName} (${prisonerName[r.prisonerId] ?? ""})`,
        }))}
        error={e.recipientId}
      />
      <SelectField
        label={labels.category}
        name="category"
        required
        options={Object.keys(PAYOUT_CATEGORY_KEYS).map((c) => ({
          value: c,
          label: categoryLabel(t, c),
        }))}
        error={e.category}
      />
      <div className="row">
        <Field
          label={labels.amountMinor}
          id={e.amountMinor ? "field-amount" : undefined}
          name="amount"
          inputMode="decimal"
          required
          error={e.amountMinor}
        />
        <Field
          label={labels.currency}
          name="currency"
          required
          maxLength={3}
          autoCapitalize="characters"
          defaultValue={params.get("currency") ?? "EUR"}
          error={e.currency}
        />
      </div>
      <TextArea label={labels.note} name="note" maxLength={1000} rows={2} error={e.note} />
      <button type="submit" name="intent" value="propose" className="primary">
        {t("treasury.payouts.proposeButton")}
      </button>
    </Form>
  );
}

function PayoutCard({
  p,
  loaded,
  result,
}: {
  p: PayoutRow;
  loaded: Loaded;
  result: Result | undefined;
}) {
  const t = useT();
  const locale = useLocale();
  const noteId = useId();
  const mine = p.proposedById === loaded.me;
  const approvedByMe = p.approvals.userIds.includes(loaded.me);
  const name = (id: string) => loaded.names[id] ?? t("treasury.someone");
  const prisoner = loaded.prisoners.find((x) => x.id === p.prisonerId)?.name ?? p.prisonerId;
  const e: Record<string, string> =
    result && result.payoutId === p.id && result.intent !== "propose" ? result.errors : {};
  const counted = p.approvals.userIds;
  return (
    <li id={`payout-${p.id}`} data-testid={`payout-${p.id}`}>
      <h4>
        {t("treasury.payouts.line", {
          category: categoryLabel(t, p.category),
          prisoner,
          amount: formatMoney(p.amountMinor, p.currency, locale),
        })}
      </h4>
      <p>{t("treasury.payouts.to", { recipient: p.recipient?.displayName ?? p.recipientId })}</p>
      {p.note ? <p className="prewrap muted">{p.note}</p> : null}
      <p className="muted">
        {t("treasury.payouts.month", { month: p.month })} ·{" "}
        {t("treasury.payouts.proposedBy", {
          name: name(p.proposedById),
          date: formatDateTime(p.createdAt, locale, "UTC"),
        })}
      </p>
      <p data-testid="approvals">
        {t("treasury.payouts.approvals", { count: counted.length, needed: p.approvals.needed })}
        {counted.length > 0
          ? ` · ${t("treasury.payouts.approvedBy", { names: counted.map(name).join(", ") })}`
          : null}
      </p>
      {p.status === "paid" && p.paidAt ? (
        <p>
          {t("treasury.payouts.paidOn", {
            date: formatDate(p.paidAt, locale, "UTC"),
            name: p.paidById ? name(p.paidById) : t("treasury.someone"),
          })}
        </p>
      ) : null}
      {p.decisionReason ? <p className="muted">{p.decisionReason}</p> : null}
      {/* The payment form's own fields show their errors beside them (its step opens). */}
      <FormError error={Object.entries(e).find(([k]) => !PAID_FIELDS.includes(k))?.[1]} />
      {p.status === "proposed" || p.status === "approved" ? (
        <div className="actions">
          {p.status === "proposed" ? (
            mine || approvedByMe ? (
              <span>
                <button type="button" disabled aria-describedby={noteId}>
                  {t("treasury.payouts.approve")}
                </button>{" "}
                <span id={noteId} className="muted">
                  {mine ? t("treasury.payouts.ownProposal") : t("treasury.payouts.youApproved")}
                </span>
              </span>
            ) : (
              <Form method="post">
                <input type="hidden" name="payoutId" value={p.id} />
                <button type="submit" name="intent" value="approve" className="primary">
                  {t("treasury.payouts.approve")}
                </button>
              </Form>
            )
          ) : null}
          {p.status === "approved" ? (
            <details className="confirm" open={PAID_FIELDS.some((k) => e[k]) || undefined}>
              <summary>{t("treasury.payouts.markPaid")}</summary>
              <Form method="post" noValidate className="confirm-step">
                <input type="hidden" name="payoutId" value={p.id} />
                <Field
                  label={t("treasury.field.paidAt")}
                  name="paidAt"
                  type="date"
                  required
                  defaultValue={new Date().toISOString().slice(0, 10)}
                  error={e.paidAt}
                />
                <Field
                  label={t("treasury.field.reference")}
                  name="reference"
                  required
                  maxLength={200}
                  autoComplete="off"
                  error={e.reference}
                />
                <button type="submit" name="intent" value="paid" className="primary">
                  {t("treasury.payouts.markPaidButton")}
                </button>
              </Form>
            </details>
          ) : null}
          {!mine ? (
            <ConfirmButton
              label={t("treasury.payouts.reject")}
              warning={t("treasury.payouts.rejectWarning")}
              confirmLabel={t("treasury.payouts.rejectConfirm")}
              intent="reject"
            >
              <input type="hidden" name="payoutId" value={p.id} />
              <Field label={t("treasury.field.reason")} name="reason" required maxLength={500} />
            </ConfirmButton>
          ) : null}
          <ConfirmButton
            label={t("treasury.payouts.cancel")}
            warning={t("treasury.payouts.cancelWarning")}
            confirmLabel={t("treasury.payouts.cancelConfirm")}
            intent="cancel"
          >
            <input type="hidden" name="payoutId" value={p.id} />
            <Field label={t("treasury.field.reason")} name="reason" maxLength={500} />
          </ConfirmButton>
        </div>
      ) : null}
    </li>
  );
}

export default function Payouts() {
  const loaded = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  return (
    <>
      <h2>{t("treasury.payouts.title")}</h2>
      <p className="muted">{t("treasury.payouts.intro", { needed: loaded.needed })}</p>
      {result?.done ? (
        <p role="status" className="notice">
          {t(result.done)}
        </p>
      ) : null}
      <ProposeForm loaded={loaded} result={result} />
      {STATUSES.map((status: Status) => {
        const rows = loaded.payouts.filter((p) => p.status === status);
        return (
          <section key={status} aria-labelledby={`payouts-${status}`}>
            <h3 id={`payouts-${status}`}>{t(`treasury.payouts.status.${status}`)}</h3>
            {rows.length === 0 ? (
              <p className="muted">{t("treasury.payouts.none")}</p>
            ) : (
              <ul className="payout-list">
                {rows.map((p) => (
                  <PayoutCard key={p.id} p={p} loaded={loaded} result={result} />
                ))}
              </ul>
            )}
          </section>
        );
      })}
    </>
  );
}
