import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Table } from "~/components/table";
import {
  festivalReport,
  publicFestivalBySlug,
  type FestivalCurrencyReport,
} from "~/models/transparency.server";
import { formatDateRange } from "~/utils/format";
import { publicPage } from "~/utils/headers";
import { notFound } from "~/utils/http.server";
import { getTranslator } from "~/utils/i18n.server";
import { formatMoney } from "~/utils/money";
import { costLabel, incomeLabel } from "~/utils/transparency-labels";
import { useLocale, useT } from "~/utils/use-t";
import { rootShareData, shareMeta } from "~/utils/share-meta";

/** The same for every visitor: cacheable for visitors without a session (utils/headers.ts). */
export const headers = publicPage;

export const meta: MetaFunction<typeof loader> = ({ data, matches, location }) =>
  shareMeta(rootShareData(matches), {
    title: data?.title ?? "Transparency",
    path: location.pathname,
  });

/** One public festival's money, from the ledger (decision 0037); 404 for drafts. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { t, locale } = await getTranslator(request);
  const festival = await publicFestivalBySlug(params.slug ?? "");
  const report = festival ? await festivalReport(festival.id, { locale }) : null;
  if (!report) throw notFound("No such festival.");
  return { title: t("transparency.festivalTitle", { festival: report.festival.name }), report };
}

function CurrencySection({ c }: { c: FestivalCurrencyReport }) {
  const t = useT();
  const locale = useLocale();
  const money = (minor: number) => formatMoney(minor, c.currency, locale);
  const lines: { key: string; label: string; amountMinor: number }[] = [
    ...c.gross.map((g) => ({
      key: `gross:${g.category}`,
      label: t("transparency.grossOf", { category: incomeLabel(t, g.category) }),
      amountMinor: g.amountMinor,
    })),
    ...c.refunds.map((g) => ({
      key: `refunds:${g.category}`,
      label: t("transparency.refundsOf", { category: incomeLabel(t, g.category) }),
      amountMinor: -g.amountMinor,
    })),
    ...c.chargebacks.map((g) => ({
      key: `chargebacks:${g.category}`,
      label: t("transparency.chargebacksOf", { category: incomeLabel(t, g.category) }),
      amountMinor: -g.amountMinor,
    })),
    { key: "fees", label: t("transparency.fees"), amountMinor: -c.feesMinor },
    ...(c.currencyExchangeMinor
      ? [
          {
            key: "fx",
            label: t("transparency.currencyExchange"),
            amountMinor: -c.currencyExchangeMinor,
          },
        ]
      : []),
    ...(c.cashDifferenceMinor
      ? [
          {
            key: "cash",
            label: t("transparency.cashDifference"),
            amountMinor: -c.cashDifferenceMinor,
          },
        ]
      : []),
    ...c.costs.map((g) => ({
      key: `costs:${g.category}`,
      label: t("transparency.costOf", { category: costLabel(t, g.category) }),
      amountMinor: -g.amountMinor,
    })),
  ];
  const headingId = `currency-${c.currency}`;
  return (
    <section aria-labelledby={headingId}>
      <h2 id={headingId}>{t("transparency.inCurrency", { currency: c.currency })}</h2>
      <Table label={`${t("transparency.moneyIn")} (${c.currency})`}>
        <caption className="sr-only">{t("transparency.moneyIn")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("transparency.line")}</th>
            <th scope="col">{t("transparency.amount")}</th>
          </tr>
        </thead>
        <tbody>
          {lines.map((l) => (
            <tr key={l.key}>
              <th scope="row">{l.label}</th>
              <td>{money(l.amountMinor)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">{t("transparency.netProceeds")}</th>
            <td>
              <strong>{money(c.netProceedsMinor)}</strong>
            </td>
          </tr>
        </tfoot>
      </Table>
      <h3>{t("transparency.proceeds")}</h3>
      <Table label={`${t("transparency.proceeds")} (${c.currency})`}>
        <thead>
          <tr>
            <th scope="col">{t("transparency.prisoner")}</th>
            <th scope="col">{t("transparency.total")}</th>
          </tr>
        </thead>
        <tbody>
          {c.allocated.map((p) => (
            <tr key={p.id}>
              <th scope="row">
                {p.slug ? (
                  <Link to={`/prisoners/${p.slug}`}>{p.name ?? p.slug}</Link>
                ) : (
                  t("transparency.unknownPrisoner")
                )}
                <br />
                <small className="muted">
                  {t("transparency.earmarked")}: {money(p.earmarkedMinor)} ·{" "}
                  {t("transparency.byRule")}: {money(p.byRuleMinor)}
                </small>
              </th>
              <td>{money(p.totalMinor)}</td>
            </tr>
          ))}
          <tr>
            <th scope="row">{t("transparency.generalFund")}</th>
            <td>{money(c.generalFundMinor)}</td>
          </tr>
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">{t("transparency.unallocated")}</th>
            <td>
              <strong>{money(c.unallocatedMinor)}</strong>
            </td>
          </tr>
        </tfoot>
      </Table>
    </section>
  );
}

export default function FestivalTransparency() {
  const { report } = useLoaderData<typeof loader>();
  const t = useT();
  const locale = useLocale();
  const f = report.festival;
  return (
    <>
      <h1>{t("transparency.festivalTitle", { festival: f.name })}</h1>
      <p>
        {f.city} · {formatDateRange(f.startsAt, f.endsAt, locale, f.timezone)}
      </p>
      <p>{t("transparency.festivalIntro")}</p>
      <p className="actions">
        <Link to={`/festivals/${f.slug}`}>{t("transparency.toFestival")}</Link> ·{" "}
        <Link to="/transparency">{t("transparency.toAll")}</Link> ·{" "}
        <a href={`/transparency/festivals/${f.slug}.csv`} download>
          {t("transparency.csv")}
        </a>{" "}
        · <a href={`/api/v1/reports/festivals/${f.id}`}>{t("transparency.json")}</a>
      </p>
      {report.currencies.length === 0 ? <p>{t("transparency.nothing")}</p> : null}
      {report.currencies.map((c) => (
        <CurrencySection key={c.currency} c={c} />
      ))}
    </>
  );
}
