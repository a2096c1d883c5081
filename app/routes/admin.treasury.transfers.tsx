// Transfers between funds (permission treasury): propose moving money from one
// fund to another (a prisoner's or the general fund), approved by another
// treasurer (the proposer's own approve button is disabled), rejected or
// cancelled. The money moves when the approvals are complete.
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { useId } from "react";
import { ConfirmButton } from "~/components/confirm-button";
import { ErrorSummary, Field, FormError, SelectField, TextArea } from "~/components/field";
import {
  fundName,
  fundOptions,
  GENERAL_FUND,
  useResetOnSuccess,
} from "~/components/treasury-fields";
import { approversOf, requiredApprovals } from "~/models/approvals.server";
import {
  approveTransfer,
  closeTransfer,
  listTransfers,
  proposeTransfer,
} from "~/models/funds.server";
import { listPrisoners } from "~/models/prisoner.server";
import { prisma, sqlClient } from "~/utils/db.server";
import type { DomainError } from "~/utils/domain-error";
import { formatDateTime } from "~/utils/format";
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
import { localizeMessage } from "~/utils/validation";

export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUserWith(request, "treasury");
  const { locale } = await getTranslator(request);
  const [prisoners, listed] = await Promise.all([listPrisoners(locale), listTransfers()]);
  const transfers = await Promise.all(
    listed.map(async (x) => ({
      ...x,
      approvals: x.status === "proposed" ? await approversOf(sqlClient(), "transfer", x.id) : [],
    })),
  );
  const people = [
    ...new Set(transfers.flatMap((x) => [x.proposedById, ...x.approvals.map((a) => a.userId)])),
  ];
  const users = await prisma.user.findMany({
    where: { id: { in: people } },
    select: { id: true, name: true, email: true },
  });
  return {
    me: user.id,
    needed: requiredApprovals(),
    prisoners,
    transfers,
    names: Object.fromEntries(users.map((u) => [u.id, u.name ?? u.email])),
  };
}

type Done =
  | "treasury.transfers.proposed"
  | "treasury.transfers.approvedDone"
  | "treasury.transfers.doneDone"
  | "treasury.payouts.rejectedDone"
  | "treasury.payouts.cancelledDone";
type Result = { intent: string; transferId?: string; errors: Record<string, string>; done?: Done };

const fund = (value: string | undefined) => (value === GENERAL_FUND ? null : (value ?? ""));

function refusals(t: Translate) {
  return (error: DomainError) => {
    if (error.code === "self_approval") return t("treasury.err.self");
    if (error.code === "transfer_not_proposed") return t("treasury.changed");
    return undefined;
  };
}

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUserWith(request, "treasury");
  const { t } = await getTranslator(request);
  const form = await readForm(request);
  const intent = field(form, "intent") ?? "";
  const transferId = (field(form, "transferId") ?? "").slice(0, 64);
  try {
    if (intent === "propose") {
      const currency = (field(form, "currency") ?? "").trim().toUpperCase().slice(0, 3);
      const amount = moneyField(form, "amount", currency || "EUR");
      if (amount === null || amount === undefined)
        return data<Result>(
          {
            intent,
            errors: {
              amountMinor:
                amount === null
                  ? localizeMessage(moneyFieldError(currency || "EUR"), t)
                  : t("v.required"),
            },
          },
          { status: 400 },
        );
      await proposeTransfer(user, {
        fromPrisonerId: fund(field(form, "from")),
        toPrisonerId: fund(field(form, "to")),
        amountMinor: amount,
        currency,
        reason: field(form, "reason") ?? "",
      });
      return { intent, errors: {}, done: "treasury.transfers.proposed" } satisfies Result;
    }
    if (intent === "approve") {
      const outcome = await approveTransfer(user, transferId);
      return {
        intent,
        transferId,
        errors: {},
        done:
          outcome.status === "done"
            ? "treasury.transfers.doneDone"
            : "treasury.transfers.approvedDone",
      } satisfies Result;
    }
    if (intent === "reject" || intent === "cancel") {
      const refused = confirmationError(form, t);
      if (refused)
        return data<Result>({ intent, transferId, errors: { _form: refused } }, { status: 400 });
      await closeTransfer(user, transferId, intent === "reject" ? "rejected" : "cancelled");
      return {
        intent,
        transferId,
        errors: {},
        done:
          intent === "reject" ? "treasury.payouts.rejectedDone" : "treasury.payouts.cancelledDone",
      } satisfies Result;
    }
  } catch (error) {
    const failed = formFailure(error, t, refusals(t), treasuryFieldStatus(error));
    const errors = Object.fromEntries(
      Object.entries(failed.errors).map(([k, v]) => [
        k === "fromPrisonerId" ? "from" : k === "toPrisonerId" ? "to" : k,
        v,
      ]),
    );
    return data<Result>({ intent, transferId, errors }, { status: failed.status });
  }
  throw errorResponse(400, "bad_intent", "Unknown action.");
}

type Loaded = ReturnType<typeof useLoaderData<typeof loader>>;

function TransferActions({ x, loaded }: { x: Loaded["transfers"][number]; loaded: Loaded }) {
  const t = useT();
  const noteId = useId();
  const mine = x.proposedById === loaded.me;
  const approvedByMe = x.approvals.some((a) => a.userId === loaded.me);
  return (
    <div className="actions">
      {mine || approvedByMe ? (
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
          <input type="hidden" name="transferId" value={x.id} />
          <button type="submit" name="intent" value="approve" className="primary">
            {t("treasury.payouts.approve")}
          </button>
        </Form>
      )}
      {!mine ? (
        <ConfirmButton
          label={t("treasury.payouts.reject")}
          warning={t("treasury.transfers.rejectWarning")}
          confirmLabel={t("treasury.payouts.rejectConfirm")}
          intent="reject"
        >
          <input type="hidden" name="transferId" value={x.id} />
        </ConfirmButton>
      ) : null}
      <ConfirmButton
        label={t("treasury.payouts.cancel")}
        warning={t("treasury.transfers.cancelWarning")}
        confirmLabel={t("treasury.payouts.cancelConfirm")}
        intent="cancel"
      >
        <input type="hidden" name="transferId" value={x.id} />
      </ConfirmButton>
    </div>
  );
}

export default function Transfers() {
  const loaded = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  const names = Object.fromEntries(loaded.prisoners.map((p) => [p.id, p.name]));
  const e: Record<string, string> = result?.intent === "propose" ? result.errors : {};
  const formRef = useResetOnSuccess(result?.intent === "propose" ? result.done : undefined);
  const rowError = (id: string) =>
    result && result.intent !== "propose" && result.transferId === id
      ? Object.values(result.errors)[0]
      : undefined;
  const labels = {
    from: t("treasury.field.from"),
    to: t("treasury.field.to"),
    amountMinor: t("treasury.field.amount"),
    currency: t("treasury.field.currency"),
    reason: t("treasury.field.why"),
  };
  const options = fundOptions(t, loaded.prisoners);
  return (
    <>
      <h2>{t("treasury.transfers.title")}</h2>
      <p className="muted">{t("treasury.transfers.intro")}</p>
      {result?.done ? (
        <p role="status" className="notice">
          {t(result.done)}
        </p>
      ) : null}
      <Form
        ref={formRef}
        method="post"
        noValidate
        className="card"
        aria-labelledby="propose-transfer"
      >
        <h3 id="propose-transfer">{t("treasury.transfers.propose")}</h3>
        <ErrorSummary
          errors={e}
          fields={Object.entries(labels).map(([name, label]) => ({
            name,
            label,
            ...(name === "amountMinor" ? { id: "field-amount" } : {}),
          }))}
        />
        <FormError error={e._form} />
        <div className="row">
          <SelectField
            label={labels.from}
            name="from"
            required
            placeholder=""
            options={options}
            error={e.from}
          />
          <SelectField
            label={labels.to}
            name="to"
            required
            placeholder=""
            options={options}
            error={e.to}
          />
        </div>
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
            defaultValue="EUR"
            autoCapitalize="characters"
            error={e.currency}
          />
        </div>
        <TextArea
          label={labels.reason}
          name="reason"
          required
          maxLength={500}
          rows={2}
          error={e.reason}
        />
        <button type="submit" name="intent" value="propose" className="primary">
          {t("treasury.transfers.proposeButton")}
        </button>
      </Form>
      {loaded.transfers.length === 0 ? (
        <p className="muted">{t("treasury.transfers.none")}</p>
      ) : (
        <ul className="payout-list">
          {loaded.transfers.map((x) => {
            const counted = x.approvals.filter((a) => a.userId !== x.proposedById);
            return (
              <li key={x.id} id={`transfer-${x.id}`} data-testid={`transfer-${x.id}`}>
                <h4>
                  {t("treasury.transfers.line", {
                    amount: formatMoney(x.amountMinor, x.currency, locale),
                    from: fundName(t, x.fromPrisonerId, names),
                    to: fundName(t, x.toPrisonerId, names),
                  })}{" "}
                  <span className="badge">
                    {t(
                      `treasury.transfers.status.${x.status as "proposed" | "done" | "rejected" | "cancelled"}`,
                    )}
                  </span>
                </h4>
                <p className="prewrap">{x.reason}</p>
                <p className="muted">
                  {t("treasury.payouts.proposedBy", {
                    name: loaded.names[x.proposedById] ?? t("treasury.someone"),
                    date: formatDateTime(x.createdAt, locale, "UTC"),
                  })}{" "}
                  ·{" "}
                  {t("treasury.payouts.approvals", {
                    count: counted.length,
                    needed: loaded.needed,
                  })}
                  {counted.length > 0
                    ? ` · ${t("treasury.payouts.approvedBy", {
                        names: counted
                          .map((a) => loaded.names[a.userId] ?? t("treasury.someone"))
                          .join(", "),
                      })}`
                    : null}
                </p>
                <FormError error={rowError(x.id)} />
                {x.status === "proposed" ? <TransferActions x={x} loaded={loaded} /> : null}
              </li>
            );
          })}
        </ul>
      )}
    </>
  );
}
