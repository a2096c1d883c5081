import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Table } from "~/components/table";
import { isReportMonth, monthReport, type MonthCurrencyReport } from "~/models/transparency.server";
import { publicPage } from "~/utils/headers";
import { notFound } from "~/utils/http.server";
import { getTranslator } from "~/utils/i18n.server";
import type { Translate } from "~/utils/i18n";
import { formatMoney } from "~/utils/money";
import {
  chartSvg,
  COLLECTED_COLOR,
  PAID_OUT_COLOR,
  svgDataUrl,
} from "~/utils/transparency-chart.server";
import {
  costLabel,
  incomeLabel,
  monthLabel,
  purposeLabel,
  shiftMonth,
} from "~/utils/transparency-labels";
import { useLocale, useT } from "~/utils/use-t";
import { rootShareData, shareMeta } from "~/utils/share-meta";

/** The same for every visitor: cacheable for visitors without a session (utils/headers.ts). */
export const headers = publicPage;

export const meta: MetaFunction<typeof loader> = ({ data, matches, location }) =>
  shareMeta(rootShareData(matches), {
    title: data?.title ?? "Transparency",
    path: location.pathname,
  });

function chartFor(c: MonthCurrencyReport, t: Translate, locale: string) {
  const money = (minor: number) => formatMoney(minor, c.currency, locale);
  const { svg, width, height } = chartSvg(t("transparency.chartTitle", { currency: c.currency }), [
    {
      title: `${t("transparency.collected")}: ${money(c.collectedMinor)}`,
      color: COLLECTED_COLOR,
      bars: c.collected.map((l) => ({
        label: incomeLabel(t, l.category),
        amountMinor: l.netMinor,
        value: money(l.netMinor),
      })),
    },
    {
      title: `${t("transparency.paidOut")}: ${money(c.paidOutMinor)}`,
      color: PAID_OUT_COLOR,
      bars: c.paidOut.map((l) => ({
        label: purposeLabel(t, l.category),
        amountMinor: l.amountMinor,
        value: money(l.amountMinor),
      })),
    },
  ]);
  return {
    src: svgDataUrl(svg),
    width,
    height,
    alt: t("transparency.chartAlt", {
      collected: money(c.collectedMinor),
      paidOut: money(c.paidOutMinor),
      currency: c.currency,
    }),
  };
}

/** One calendar month (UTC) across festivals, from the ledger (decision 0037). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const month = params.month ?? "";
  if (!isReportMonth(month)) throw notFound("No such month.");
  const { t, locale } = await getTranslator(request);
  const report = await monthReport(month, { locale });
  return {
    title: t("transparency.monthTitle", { month: monthLabel(month, locale) }),
    report,
    charts: Object.fromEntries(report.currencies.map((c) => [c.currency, chartFor(c, t, locale)])),
  };
}

function CurrencySection({
  c,
  chart,
}: {
  c: MonthCurrencyReport;
  chart: { src: string; width: number; height: number; alt: string } | undefined;
}) {
  const t = useT();
  const locale = useLocale();
  const money = (minor: number) => formatMoney(minor, c.currency, locale);
  const headingId = `currency-${c.currency}`;
  return (
    <section aria-labelledby={headingId}>
      <h2 id={headingId}>{t("transparency.inCurrency", { currency: c.currency })}</h2>
      {chart ? (
        <div className="report-chart">
          <img src={chart.src} width={chart.width} height={chart.height} alt={chart.alt} />
        </div>
      ) : null}
      <h3>{t("transparency.collected")}</h3>
      <Table label={`${t("transparency.collected")} (${c.currency})`}>
        <thead>
          <tr>
            <th scope="col">{t("transparency.line")}</th>
            <th scope="col">{t("transparency.net")}</th>
          </tr>
        </thead>
        <tbody>
          {c.collected.map((l) => (
            <tr key={l.category}>
              <th scope="row">
                {incomeLabel(t, l.category)}
                <br />
                <small className="muted">
                  {t("transparency.gross")}: {money(l.grossMinor)} · {t("transparency.refunded")}:{" "}
                  {money(l.refundedMinor)}
                </small>
              </th>
              <td>{money(l.netMinor)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">{t("transparency.total")}</th>
            <td>
              <strong>{money(c.collectedMinor)}</strong>
            </td>
          </tr>
        </tfoot>
      </Table>
      <dl className="stats">
        <div>
          <dt>{t("transparency.feesAll")}</dt>
          <dd>{money(c.feesMinor)}</dd>
        </div>
        <div>
          <dt>{t("transparency.costs")}</dt>
          <dd>{money(c.costsMinor)}</dd>
        </div>
        <div>
          <dt>{t("transparency.allocatedMonth")}</dt>
          <dd>{money(c.allocatedMinor)}</dd>
        </div>
      </dl>
      {c.costs.length > 0 ? (
        <ul>
          {c.costs.map((l) => (
            <li key={l.category}>
              {t("transparency.costOf", { category: costLabel(t, l.category) })}:{" "}
              {money(l.amountMinor)}
            </li>
          ))}
        </ul>
      ) : null}
      <h3>{t("transparency.paidOut")}</h3>
      <Table label={`${t("transparency.paidOut")} (${c.currency})`}>
        <thead>
          <tr>
            <th scope="col">{t("transparency.purpose")}</th>
            <th scope="col">{t("transparency.amount")}</th>
          </tr>
        </thead>
        <tbody>
          {c.paidOut.map((l) => (
            <tr key={l.category}>
              <th scope="row">{purposeLabel(t, l.category)}</th>
              <td>{money(l.amountMinor)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">{t("transparency.total")}</th>
            <td>
              <strong>{money(c.paidOutMinor)}</strong>
            </td>
          </tr>
        </tfoot>
      </Table>
      {c.payouts.length > 0 ? (
        <>
          <h3>{t("transparency.payouts")}</h3>
          <ul className="payout-lines">
            {c.payouts.map((p) => (
              <li key={`${p.category}:${p.id}`}>
                {t("transparency.payoutLine", {
                  purpose: purposeLabel(t, p.category),
                  name:
                    p.id === ""
                      ? t("transparency.generalFund")
                      : (p.name ?? t("transparency.unknownPrisoner")),
                  amount: money(p.amountMinor),
                })}
              </li>
            ))}
          </ul>
          <h3>{t("transparency.byPrisoner")}</h3>
          <Table label={`${t("transparency.byPrisoner")} (${c.currency})`}>
            <thead>
              <tr>
                <th scope="col">{t("transparency.prisoner")}</th>
                <th scope="col">{t("transparency.paidOut")}</th>
              </tr>
            </thead>
            <tbody>
              {c.paidOutByPrisoner.map((p) => (
                <tr key={p.id}>
                  <th scope="row">
                    {p.id === "" ? (
                      t("transparency.generalFund")
                    ) : p.slug ? (
                      <Link to={`/prisoners/${p.slug}`}>{p.name ?? p.slug}</Link>
                    ) : (
                      t("transparency.unknownPrisoner")
                    )}
                  </th>
                  <td>{money(p.amountMinor)}</td>
                </tr>
              ))}
            </tbody>
          </Table>
        </>
      ) : null}
    </section>
  );
}

export default function MonthTransparency() {
  const { report, charts } = useLoaderData<typeof loader>();
  const t = useT();
  const locale = useLocale();
  const previous = shiftMonth(report.month, -1);
  const next = shiftMonth(report.month, 1);
  return (
    <>
      <h1>{t("transparency.monthTitle", { month: monthLabel(report.month, locale) })}</h1>
      <p>
        {t("transparency.monthIntro")} {t("transparency.monthsNote")}
      </p>
      <nav className="pager" aria-label={t("transparency.months")}>
        <Link to={`/transparency/${previous}`} rel="prev">
          ← <span className="sr-only">{t("transparency.previous")}: </span>
          {monthLabel(previous, locale)}
        </Link>
        <Link to="/transparency">{t("transparency.toAll")}</Link>
        <Link to={`/transparency/${next}`} rel="next">
          <span className="sr-only">{t("transparency.next")}: </span>
          {monthLabel(next, locale)} →
        </Link>
      </nav>
      <p className="actions">
        <a href={`/transparency/${report.month}.csv`} download>
          {t("transparency.csv")}
        </a>{" "}
        · <a href={`/api/v1/reports/months/${report.month}`}>{t("transparency.json")}</a>
      </p>
      {report.currencies.length === 0 ? <p>{t("transparency.monthEmpty")}</p> : null}
      {report.currencies.map((c) => (
        <CurrencySection key={c.currency} c={c} chart={charts[c.currency]} />
      ))}
    </>
  );
}
