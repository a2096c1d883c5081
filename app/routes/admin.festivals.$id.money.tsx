// The festival's money, for organisers and treasurers (festival:money): income
// by category and earmark, fees, refunds, net and what is left to allocate, per
// currency, from the ledger; the cash at the door per device and its handovers
// to treasurers. Organisers record a handover; the named treasurer confirms it.
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { ConfirmButton } from "~/components/confirm-button";
import { FormError } from "~/components/field";
import { Table } from "~/components/table";
import {
  CASH_CHOICES,
  confirmHandover,
  festivalMoney,
  findHandover,
  handoverInput,
  listTreasurers,
  recordHandover,
} from "~/models/cash.server";
import { cancelFestivalOrders, festivalRefundsDue } from "~/models/festival-refunds.server";
import { getFestivalOrThrow } from "~/models/festival.server";
import { formatDateTime } from "~/utils/format";
import { confirmationError, field, formFailure, moneyField, readForm } from "~/utils/forms.server";
import { errorResponse } from "~/utils/http.server";
import { getTranslator } from "~/utils/i18n.server";
import type { MessageKey, Translate } from "~/utils/i18n";
import { localizeMessage } from "~/utils/validation";
import { formatMoney, toMajorInput } from "~/utils/money";
import { can, requireUserWith } from "~/utils/permissions.server";
import { ExportLinks } from "~/components/export-links";
import { exportsFor } from "~/models/exports.server";
import { useLocale, useT } from "~/utils/use-t";
import { categoryFamily } from "~/models/tattoo-money";

// Errors show inside the admin navigation (and the festival's tabs).
export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUserWith(request, "festival:money", params.id);
  const festival = await getFestivalOrThrow(params.id);
  const { locale } = await getTranslator(request);
  const canRecord = can(user, "festival:edit", festival.id);
  const [money, treasurers, refundsDue] = await Promise.all([
    festivalMoney(festival.id, locale),
    canRecord ? listTreasurers() : Promise.resolve([]),
    // A cancelled festival: what its orders still hold, refunded all at once below.
    festival.status === "cancelled" && canRecord
      ? festivalRefundsDue(festival.id)
      : Promise.resolve(null),
  ]);
  return {
    festival: {
      id: festival.id,
      name: festival.name,
      currency: festival.currency,
      timezone: festival.timezone,
    },
    userId: user.id,
    canRecord,
    // The books as CSV: treasurers only.
    exports: exportsFor(user, festival.id, ["ledger", "payouts"]),
    refundsDue,
    treasurers,
    ...money,
  };
}

type Result = { error: string | null; done?: MessageKey; said?: string[] };

/** A domain refusal (a JSON error response) as the page's message. */
async function refusal(error: unknown, t: Translate) {
  if (!(error instanceof Response) || error.status >= 500) throw error;
  const body = (await error.json().catch(() => ({}))) as {
    error?: string;
    fields?: Record<string, string>;
  };
  const first = Object.values(body.fields ?? {})[0];
  if (first) return data<Result>({ error: localizeMessage(first, t) }, { status: error.status });
  const key: MessageKey =
    body.error === "cash_changed"
      ? "money.cashChanged"
      : body.error === "no_cash"
        ? "money.noCash"
        : error.status === 403
          ? "money.notYours"
          : "v.invalid";
  return data<Result>({ error: t(key) }, { status: error.status });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUserWith(request, "festival:money", params.id);
  const festival = await getFestivalOrThrow(params.id);
  const form = await readForm(request);
  const intent = field(form, "intent");
  const { t } = await getTranslator(request);
  const refused = confirmationError(form, t);
  if (intent === "handover") {
    await requireUserWith(request, "festival:edit", festival.id);
    if (refused) return data<Result>({ error: refused }, { status: 400 });
    const currency = field(form, "currency") ?? festival.currency;
    const counted = moneyField(form, "counted", currency);
    const deviceId = field(form, "deviceId") ?? "";
    const holderUserId = field(form, "userId") ?? "";
    const parsed = handoverInput.safeParse({
      // Door cash held by a person (taken at the tattoo corner), or by a device (or none).
      ...(holderUserId
        ? { userId: holderUserId }
        : { deviceId: deviceId === "" ? null : deviceId }),
      treasurerId: field(form, "treasurerId") ?? "",
      expectedMinor: Number(field(form, "expectedMinor") ?? Number.NaN),
      countedMinor: counted ?? Number.NaN,
      currency,
    });
    if (!parsed.success) {
      const path = parsed.error.issues[0]?.path[0];
      const key: MessageKey =
        path === "treasurerId"
          ? "v.notTreasurer"
          : path === "countedMinor"
            ? "v.amount"
            : "v.invalid";
      return data<Result>({ error: t(key) }, { status: 400 });
    }
    try {
      await recordHandover(user, festival, parsed.data);
    } catch (error) {
      return refusal(error, t);
    }
    return { error: null, done: "money.recorded" } satisfies Result;
  }
  if (intent === "confirm") {
    if (refused) return data<Result>({ error: refused }, { status: 400 });
    const handover = await findHandover((field(form, "handoverId") ?? "").slice(0, 64));
    if (!handover || handover.festivalId !== festival.id)
      return data<Result>({ error: t("v.invalid") }, { status: 400 });
    try {
      await confirmHandover(user, handover.id);
    } catch (error) {
      return refusal(error, t);
    }
    return { error: null, done: "money.receiptConfirmed" } satisfies Result;
  }
  if (intent === "refund_all") {
    await requireUserWith(request, "festival:edit", festival.id);
    if (refused) return data<Result>({ error: refused }, { status: 400 });
    const chosen = field(form, "cash");
    const cash = CASH_CHOICES.find((c) => c === chosen);
    if (chosen !== undefined && chosen !== "" && !cash)
      return data<Result>({ error: t("v.cashChoice") }, { status: 400 });
    try {
      const outcome = await cancelFestivalOrders(user, festival.id, { cash });
      const said = [
        t("refundAll.done", { cancelled: outcome.cancelled, refunded: outcome.refunded }),
      ];
      if (outcome.failed.length > 0)
        said.push(t("refundAll.failed", { count: outcome.failed.length }));
      return { error: null, said } satisfies Result;
    } catch (error) {
      const failed = formFailure(error, t, {
        refund_all_running: t("refundAll.running"),
        invalid_state: t("refundAll.notCancelled"),
      });
      return data<Result>(
        { error: Object.values(failed.errors)[0] ?? t("v.invalid") },
        { status: failed.status },
      );
    }
  }
  throw errorResponse(400, "bad_intent", "Unknown action.");
}

type Loaded = ReturnType<typeof useLoaderData<typeof loader>>;
type CurrencyMoney = Loaded["currencies"][number];

function categoryLabel(line: CurrencyMoney["income"][number], t: ReturnType<typeof useT>): string {
  if (line.category === "donation")
    return line.prisonerId
      ? t("money.cat.donationFor", { name: line.prisonerName ?? line.prisonerId })
      : t("money.cat.donation");
  if (line.category === "ticket") return t("money.cat.ticket");
  if (categoryFamily(line.category) === "tattoo") {
    const artist = line.artistName ?? t("money.cat.tattooArtistGone");
    return line.prisonerId
      ? t("money.cat.tattooFor", { artist, name: line.prisonerName ?? line.prisonerId })
      : t("money.cat.tattoo", { artist });
  }
  return line.category;
}

function Currency({ c, loaded }: { c: CurrencyMoney; loaded: Loaded }) {
  const t = useT();
  const locale = useLocale();
  const money = (minor: number) => formatMoney(minor, c.currency, locale);
  const s = c.summary;
  const tz = loaded.festival.timezone;
  const netIncome = s ? Object.values(s.net).reduce((a, b) => a + b, 0) : 0;
  return (
    <section aria-labelledby={`money-${c.currency}`}>
      <h3 id={`money-${c.currency}`}>{t("money.currency", { currency: c.currency })}</h3>
      <Table label={t("money.income")}>
        <thead>
          <tr>
            <th scope="col">{t("money.category")}</th>
            <th scope="col">{t("money.in")}</th>
            <th scope="col">{t("money.refunded")}</th>
            <th scope="col">{t("money.chargedBack")}</th>
            <th scope="col">{t("money.net")}</th>
          </tr>
        </thead>
        <tbody>
          {c.income.map((line) => (
            <tr key={`${line.category}:${line.prisonerId ?? ""}`}>
              <th scope="row">{categoryLabel(line, t)}</th>
              <td>{money(line.inMinor)}</td>
              <td>{money(line.refundedMinor)}</td>
              <td>{money(line.chargedBackMinor)}</td>
              <td>{money(line.netMinor)}</td>
            </tr>
          ))}
        </tbody>
      </Table>
      {s ? (
        <dl className="stats" aria-label={t("money.totals")}>
          <div>
            <dt>{t("money.netIncome")}</dt>
            <dd data-testid={`net-${c.currency}`}>{money(netIncome)}</dd>
          </div>
          <div>
            <dt>{t("money.refunded")}</dt>
            <dd>{money(s.refunds)}</dd>
          </div>
          <div>
            <dt>{t("money.chargedBack")}</dt>
            <dd>{money(s.chargebacks)}</dd>
          </div>
          <div>
            <dt>{t("money.fees")}</dt>
            <dd>{money(s.processingFees)}</dd>
          </div>
          <div>
            <dt>{t("money.exchange")}</dt>
            <dd>{money(s.currencyExchange)}</dd>
          </div>
          <div>
            <dt>{t("money.differences")}</dt>
            <dd data-testid={`differences-${c.currency}`}>{money(-s.cashDifference)}</dd>
          </div>
          <div>
            <dt>{t("money.unallocated")}</dt>
            <dd data-testid={`unallocated-${c.currency}`}>{money(s.unallocated)}</dd>
          </div>
        </dl>
      ) : null}
      {s ? (
        <>
          <h4>{t("money.where")}</h4>
          <dl className="stats">
            <div>
              <dt>{t("money.atStripe")}</dt>
              <dd>{money(s.stripe)}</dd>
            </div>
            <div>
              <dt>{t("money.stripeDisputed")}</dt>
              <dd>{money(s.stripeDisputed)}</dd>
            </div>
            <div>
              <dt>{t("money.atDoor")}</dt>
              <dd data-testid={`door-cash-${c.currency}`}>{money(s.doorCash)}</dd>
            </div>
            <div>
              <dt>{t("money.inTransit")}</dt>
              <dd data-testid={`in-transit-${c.currency}`}>{money(s.inTransit)}</dd>
            </div>
            <div>
              <dt>{t("money.withTreasurers")}</dt>
              <dd data-testid={`treasurer-cash-${c.currency}`}>{money(s.treasurerCash)}</dd>
            </div>
          </dl>
        </>
      ) : null}
      <h4>{t("money.doorCash")}</h4>
      {c.doorCash.length === 0 ? <p className="muted">{t("money.noDoorCash")}</p> : null}
      {c.doorCash.length > 0 ? (
        <Table label={t("money.doorCash")}>
          <thead>
            <tr>
              <th scope="col">{t("money.device")}</th>
              <th scope="col">{t("money.setUpBy")}</th>
              <th scope="col">{t("money.held")}</th>
              {loaded.canRecord ? <th scope="col">{t("money.handOver")}</th> : null}
            </tr>
          </thead>
          <tbody>
            {c.doorCash.map((h) => (
              <tr key={h.device?.id ?? h.user?.id ?? "none"}>
                <th scope="row">
                  {h.device
                    ? (h.device.name ?? h.device.id)
                    : h.user
                      ? t("money.heldByPerson", { name: h.user.name ?? h.user.email ?? h.user.id })
                      : t("money.noDevice")}
                </th>
                <td>
                  {h.device?.setUpBy ? (h.device.setUpBy.name ?? h.device.setUpBy.email) : ""}
                </td>
                <td>{money(h.balanceMinor)}</td>
                {loaded.canRecord ? (
                  <td>
                    {h.balanceMinor > 0 && loaded.treasurers.length > 0 ? (
                      <ConfirmButton
                        label={t("money.handOver")}
                        warning={t("money.handOverWarning", { amount: money(h.balanceMinor) })}
                        confirmLabel={t("money.handOverConfirm")}
                        intent="handover"
                      >
                        <input type="hidden" name="deviceId" value={h.device?.id ?? ""} />
                        {h.user ? <input type="hidden" name="userId" value={h.user.id} /> : null}
                        <input type="hidden" name="currency" value={c.currency} />
                        <input type="hidden" name="expectedMinor" value={h.balanceMinor} />
                        <div className="field">
                          <label htmlFor={`treasurer-${h.device?.id ?? h.user?.id ?? "none"}`}>
                            {t("money.treasurerLabel")}
                          </label>
                          <select
                            id={`treasurer-${h.device?.id ?? h.user?.id ?? "none"}`}
                            name="treasurerId"
                            required
                          >
                            {loaded.treasurers.map((p) => (
                              <option key={p.id} value={p.id}>
                                {p.name ? `${p.name} (${p.email})` : p.email}
                              </option>
                            ))}
                          </select>
                        </div>
                        <div className="field">
                          <label htmlFor={`counted-${h.device?.id ?? h.user?.id ?? "none"}`}>
                            {t("money.countedLabel")}
                          </label>
                          <input
                            id={`counted-${h.device?.id ?? h.user?.id ?? "none"}`}
                            name="counted"
                            inputMode="decimal"
                            required
                            defaultValue={toMajorInput(h.balanceMinor, c.currency)}
                          />
                        </div>
                      </ConfirmButton>
                    ) : h.balanceMinor > 0 ? (
                      <span className="muted">{t("money.noTreasurers")}</span>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </Table>
      ) : null}
      {c.treasurers.length > 0 ? (
        <>
          <h4>{t("money.treasurers")}</h4>
          <Table label={t("money.treasurers")}>
            <thead>
              <tr>
                <th scope="col">{t("money.treasurer")}</th>
                <th scope="col">{t("money.inTransit")}</th>
                <th scope="col">{t("money.withTreasurers")}</th>
              </tr>
            </thead>
            <tbody>
              {c.treasurers.map((line) => (
                <tr key={line.user.id}>
                  <th scope="row">{line.user.name ?? line.user.email}</th>
                  <td>{money(line.inTransitMinor)}</td>
                  <td>{money(line.confirmedMinor)}</td>
                </tr>
              ))}
            </tbody>
          </Table>
        </>
      ) : null}
      <h4>{t("money.handovers")}</h4>
      {c.handovers.length === 0 ? <p className="muted">{t("money.noHandovers")}</p> : null}
      {c.handovers.length > 0 ? (
        <Table label={t("money.handovers")}>
          <thead>
            <tr>
              <th scope="col">{t("money.when")}</th>
              <th scope="col">{t("money.from")}</th>
              <th scope="col">{t("money.treasurer")}</th>
              <th scope="col">{t("money.recordedBy")}</th>
              <th scope="col">{t("money.expected")}</th>
              <th scope="col">{t("money.counted")}</th>
              <th scope="col">{t("money.difference")}</th>
              <th scope="col">{t("money.status")}</th>
            </tr>
          </thead>
          <tbody>
            {c.handovers.map((h) => (
              <tr key={h.id} data-testid={`handover-${h.id}`}>
                <td>{formatDateTime(h.recordedAt, locale, tz)}</td>
                <td>
                  {h.device
                    ? (h.device.name ?? h.device.id)
                    : h.holder
                      ? t("money.heldByPerson", {
                          name: h.holder.name ?? h.holder.email ?? h.holder.id,
                        })
                      : t("money.noDevice")}
                </td>
                <td>{h.treasurer.name ?? h.treasurer.email ?? h.treasurer.id}</td>
                <td>{h.recordedBy ? (h.recordedBy.name ?? h.recordedBy.email) : ""}</td>
                <td>{money(h.expectedMinor)}</td>
                <td>{money(h.countedMinor)}</td>
                <td className={h.differenceMinor !== 0 ? "warning" : undefined}>
                  {money(h.differenceMinor)}
                </td>
                <td>
                  {h.status === "confirmed" && h.confirmedAt ? (
                    t("money.confirmedStatus", { time: formatDateTime(h.confirmedAt, locale, tz) })
                  ) : h.treasurer.id === loaded.userId ? (
                    <ConfirmButton
                      label={t("money.confirmReceipt")}
                      warning={t("money.confirmWarning", { amount: money(h.countedMinor) })}
                      confirmLabel={t("money.confirmReceiptConfirm", {
                        amount: money(h.countedMinor),
                      })}
                      intent="confirm"
                    >
                      <input type="hidden" name="handoverId" value={h.id} />
                    </ConfirmButton>
                  ) : (
                    t("money.inTransitStatus")
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      ) : null}
    </section>
  );
}

/** A cancelled festival: everything its orders still hold, given back in one step. */
function RefundAll({
  due,
  currency,
}: {
  due: NonNullable<Loaded["refundsDue"]>;
  currency: string;
}) {
  const t = useT();
  const locale = useLocale();
  return (
    <section aria-labelledby="refund-all">
      <h3 id="refund-all">{t("refundAll.title")}</h3>
      <p className="muted">{t("refundAll.intro")}</p>
      {due.orders === 0 ? (
        <p data-testid="refunds-due">{t("refundAll.nothingDue")}</p>
      ) : (
        <>
          <p data-testid="refunds-due">
            {t("refundAll.due", {
              count: due.orders,
              amount: formatMoney(due.heldMinor, currency, locale),
            })}
          </p>
          <ConfirmButton
            label={t("refundAll.button")}
            warning={t("refundAll.warning")}
            confirmLabel={t("refundAll.confirm")}
            intent="refund_all"
          >
            {due.cashOrders > 0 ? (
              <fieldset>
                <legend>{t("refundAll.cashTaken", { count: due.cashOrders })}</legend>
                <label>
                  <input type="radio" name="cash" value="return" required />{" "}
                  {t("refundAll.cashReturn")}
                </label>
                <label>
                  <input type="radio" name="cash" value="keep_as_donation" />{" "}
                  {t("refundAll.cashKeep")}
                </label>
              </fieldset>
            ) : null}
          </ConfirmButton>
        </>
      )}
    </section>
  );
}

export default function FestivalMoney() {
  const loaded = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  return (
    <>
      <h2>{t("money.title")}</h2>
      <p className="muted">{t("money.intro")}</p>
      <ExportLinks festivalId={loaded.festival.id} kinds={loaded.exports} />
      {result?.done ? (
        <p role="status" className="notice">
          {t(result.done)}
        </p>
      ) : null}
      {result?.said ? (
        <p role="status" className="notice">
          {result.said.join(" ")}
        </p>
      ) : null}
      <FormError error={result?.error} />
      {loaded.refundsDue ? (
        <RefundAll due={loaded.refundsDue} currency={loaded.festival.currency} />
      ) : null}
      {loaded.currencies.length === 0 ? <p className="muted">{t("money.nothing")}</p> : null}
      {loaded.currencies.map((c) => (
        <Currency key={c.currency} c={c} loaded={loaded} />
      ))}
    </>
  );
}
