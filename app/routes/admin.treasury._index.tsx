// The treasury's overview (permission treasury): what each prisoner's fund and
// the general fund hold per currency (balance, reserved by approved payouts,
// available); festivals with money not yet allocated, with an Allocate button;
// what waits for this treasurer's approval.
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { ConfirmButton } from "~/components/confirm-button";
import { FormError } from "~/components/field";
import { Table } from "~/components/table";
import { categoryLabel, fundName } from "~/components/treasury-fields";
import { allocate, allocatable } from "~/models/allocation.server";
import { approversOf } from "~/models/approvals.server";
import { fundBalances, listTransfers, type FundBalance } from "~/models/funds.server";
import { listPayouts } from "~/models/payouts.server";
import { listPrisoners } from "~/models/prisoner.server";
import { prisma, sqlClient } from "~/utils/db.server";
import { confirmationError, field, formFailure, readForm } from "~/utils/forms.server";
import { errorResponse } from "~/utils/http.server";
import { getTranslator } from "~/utils/i18n.server";
import { formatMoney } from "~/utils/money";
import { requireUserWith } from "~/utils/permissions.server";
import { useLocale, useT } from "~/utils/use-t";

export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUserWith(request, "treasury");
  const { locale } = await getTranslator(request);
  const db = sqlClient();
  const [prisoners, festivals] = await Promise.all([
    listPrisoners(locale),
    prisma.festival.findMany({
      orderBy: [{ startsAt: "asc" }, { id: "asc" }],
      select: { id: true, name: true },
    }),
  ]);
  const [funds, general, waiting, proposed, transfers] = await Promise.all([
    Promise.all(prisoners.map(async (p) => ({ ...p, balances: await fundBalances(db, p.id) }))),
    fundBalances(db, null),
    Promise.all(festivals.map(async (f) => ({ ...f, money: await allocatable(f.id, db) }))),
    listPayouts(user, { status: "proposed" }),
    listTransfers({ status: "proposed" }, db),
  ]);
  // What waits for this treasurer: proposed by someone else, not yet approved by them.
  const transfersForMe = [];
  for (const x of transfers) {
    if (x.proposedById === user.id) continue;
    const approvers = await approversOf(db, "transfer", x.id);
    if (!approvers.some((a) => a.userId === user.id)) transfersForMe.push(x);
  }
  return {
    general,
    funds: funds.filter((f) => f.balances.length > 0),
    festivals: waiting
      .map((f) => ({ ...f, money: f.money.filter((m) => m.unallocatedMinor !== 0) }))
      .filter((f) => f.money.length > 0),
    pendingPayouts: proposed
      .filter((p) => p.proposedById !== user.id && !p.approvals.userIds.includes(user.id))
      .map((p) => ({
        id: p.id,
        prisonerId: p.prisonerId,
        category: p.category,
        amountMinor: p.amountMinor,
        currency: p.currency,
      })),
    pendingTransfers: transfersForMe.map((x) => ({
      id: x.id,
      fromPrisonerId: x.fromPrisonerId,
      toPrisonerId: x.toPrisonerId,
      amountMinor: x.amountMinor,
      currency: x.currency,
    })),
    prisonerNames: Object.fromEntries(prisoners.map((p) => [p.id, p.name])),
  };
}

type Result = { error?: string; done?: string };

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUserWith(request, "treasury");
  const { t, locale } = await getTranslator(request);
  const form = await readForm(request);
  const intent = field(form, "intent");
  const refused = confirmationError(form, t);
  if (intent === "allocate") {
    if (refused) return data<Result>({ error: refused }, { status: 400 });
    try {
      const festivalId = (field(form, "festivalId") ?? "").slice(0, 64);
      const result = await allocate(user, festivalId);
      if (result.allocated.length === 0) return data<Result>({ done: t("treasury.alloc.nothing") });
      const names = Object.fromEntries((await listPrisoners(locale)).map((p) => [p.id, p.name]));
      const lines = result.allocated
        .map(
          (part) =>
            `${fundName(t, part.fund, names)} ${formatMoney(part.amountMinor, part.currency, locale)}`,
        )
        .join(", ");
      return data<Result>({ done: t("treasury.alloc.done", { lines }) });
    } catch (error) {
      const failed = formFailure(error, t);
      return data<Result>(
        { error: Object.values(failed.errors)[0] ?? t("v.invalid") },
        { status: failed.status },
      );
    }
  }
  throw errorResponse(400, "bad_intent", "Unknown action.");
}

function Figures({ balances }: { balances: FundBalance[] }) {
  const t = useT();
  const locale = useLocale();
  if (balances.length === 0) return <p className="muted">{t("treasury.funds.empty")}</p>;
  return (
    <>
      {balances.map((b) => (
        <dl key={b.currency} className="fund-figures" aria-label={b.currency}>
          <dt>{t("treasury.funds.balance")}</dt>
          <dd>{formatMoney(b.balanceMinor, b.currency, locale)}</dd>
          <dt>{t("treasury.funds.reserved")}</dt>
          <dd>{formatMoney(b.reservedMinor, b.currency, locale)}</dd>
          <dt>{t("treasury.funds.available")}</dt>
          <dd data-testid={`available-${b.currency}`}>
            <strong>{formatMoney(b.availableMinor, b.currency, locale)}</strong>
          </dd>
        </dl>
      ))}
    </>
  );
}

export default function TreasuryOverview() {
  const loaded = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  return (
    <>
      {result?.done ? (
        <p role="status" className="notice">
          {result.done}
        </p>
      ) : null}
      <FormError error={result?.error} />
      <section aria-labelledby="pending">
        <h2 id="pending">{t("treasury.pending.title")}</h2>
        {loaded.pendingPayouts.length === 0 && loaded.pendingTransfers.length === 0 ? (
          <p className="muted">{t("treasury.pending.none")}</p>
        ) : (
          <ul>
            {loaded.pendingPayouts.map((p) => (
              <li key={p.id}>
                <Link to={`/admin/treasury/payouts#payout-${p.id}`}>
                  {t("treasury.pending.payout", {
                    category: categoryLabel(t, p.category),
                    prisoner: fundName(t, p.prisonerId, loaded.prisonerNames),
                    amount: formatMoney(p.amountMinor, p.currency, locale),
                  })}
                </Link>
              </li>
            ))}
            {loaded.pendingTransfers.map((x) => (
              <li key={x.id}>
                <Link to={`/admin/treasury/transfers#transfer-${x.id}`}>
                  {t("treasury.pending.transfer", {
                    amount: formatMoney(x.amountMinor, x.currency, locale),
                    from: fundName(t, x.fromPrisonerId, loaded.prisonerNames),
                    to: fundName(t, x.toPrisonerId, loaded.prisonerNames),
                  })}
                </Link>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="funds">
        <h2 id="funds">{t("treasury.funds.title")}</h2>
        <p className="muted">{t("treasury.funds.intro")}</p>
        {loaded.funds.length === 0 && loaded.general.length === 0 ? (
          <p>{t("treasury.funds.none")}</p>
        ) : null}
        <ul className="fund-cards">
          {loaded.funds.map((f) => (
            <li key={f.id} data-testid={`fund-${f.id}`}>
              <h3>{f.name}</h3>
              <Figures balances={f.balances} />
              <p>
                <Link to={`/admin/treasury/payouts?prisonerId=${encodeURIComponent(f.id)}`}>
                  {t("treasury.funds.propose")}
                </Link>
                {" · "}
                <Link to={`/admin/treasury/plan?prisonerId=${encodeURIComponent(f.id)}`}>
                  {t("treasury.funds.plan")}
                </Link>
              </p>
            </li>
          ))}
          <li data-testid="fund-general">
            <h3>{t("treasury.generalFund")}</h3>
            <Figures balances={loaded.general} />
          </li>
        </ul>
      </section>
      <section aria-labelledby="unallocated">
        <h2 id="unallocated">{t("treasury.alloc.title")}</h2>
        <p className="muted">{t("treasury.alloc.intro")}</p>
        {loaded.festivals.length === 0 ? (
          <p>{t("treasury.alloc.none")}</p>
        ) : (
          <Table label={t("treasury.alloc.title")}>
            <thead>
              <tr>
                <th scope="col">{t("treasury.alloc.festival")}</th>
                <th scope="col">{t("treasury.alloc.unallocated")}</th>
                <th scope="col">{t("treasury.alloc.allocatable")}</th>
                <th scope="col">{t("treasury.alloc.button")}</th>
              </tr>
            </thead>
            <tbody>
              {loaded.festivals.map((f) => (
                <tr key={f.id} data-testid={`unallocated-${f.id}`}>
                  <th scope="row">
                    <Link to={`/admin/festivals/${f.id}/allocation`}>{f.name}</Link>
                  </th>
                  <td>
                    {f.money.map((m) => (
                      <div key={m.currency}>
                        {formatMoney(m.unallocatedMinor, m.currency, locale)}
                      </div>
                    ))}
                  </td>
                  <td>
                    {f.money.map((m) => (
                      <div key={m.currency}>
                        {formatMoney(m.allocatableMinor, m.currency, locale)}
                      </div>
                    ))}
                  </td>
                  <td>
                    {f.money.some((m) => m.allocatableMinor > 0) ? (
                      <ConfirmButton
                        label={t("treasury.alloc.button")}
                        warning={t("treasury.alloc.warning", {
                          amount: f.money
                            .filter((m) => m.allocatableMinor > 0)
                            .map((m) => formatMoney(m.allocatableMinor, m.currency, locale))
                            .join(", "),
                        })}
                        confirmLabel={t("treasury.alloc.confirm")}
                        intent="allocate"
                      >
                        <input type="hidden" name="festivalId" value={f.id} />
                      </ConfirmButton>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </section>
    </>
  );
}
