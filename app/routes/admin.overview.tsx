// The admins' overview (issue 13): every festival grouped by country and city,
// with its totals (tickets sold against capacity, check-ins, net income,
// donations, costs, money routed to funds; money per currency, never added
// across currencies) and each group's. Figures: festivalsOverview() in
// app/models/dashboard.server.ts; charts as on the festival dashboard.
import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { ChartFigure } from "~/components/chart-figure";
import { PerCurrency } from "~/components/per-currency";
import { Table } from "~/components/table";
import { festivalsOverview, type Totals } from "~/models/dashboard.server";
import { barChart, capacityChart, PALETTE } from "~/utils/dashboard-chart.server";
import { countryName, formatDateRange } from "~/utils/format";
import { getTranslator } from "~/utils/i18n.server";
import { numberFormat } from "~/utils/intl";
import { formatMoney } from "~/utils/money";
import { requireUserWith } from "~/utils/permissions.server";
import { useLocale, useT } from "~/utils/use-t";
import dashboardStyles from "~/styles/dashboard.css";

export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: dashboardStyles }];

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data?.title ?? "Overview" },
];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireUserWith(request, "festivals:overview");
  const { t, locale } = await getTranslator(request);
  const overview = await festivalsOverview();
  const n = (v: number) => numberFormat(locale, {}).format(v);
  const countries = overview.countries.map((c) => ({ ...c, name: countryName(c.country, locale) }));
  const cities = countries.flatMap((c) =>
    c.cities.map((city) => ({ label: `${city.city} (${c.country})`, totals: city.totals })),
  );
  const currencies = [...new Set(cities.flatMap((c) => Object.keys(c.totals.net)))].sort();
  return {
    title: t("overview.title"),
    countries,
    totals: overview.totals,
    cities: cities.map((c) => ({ label: c.label, net: c.totals.net })),
    currencies,
    charts: {
      sold: countries.length
        ? capacityChart(
            t("overview.soldChart"),
            countries.map((c) => ({
              label: c.name,
              sold: c.totals.sold,
              capacity: c.totals.capacity,
              value: t("dash.soldOf", { sold: n(c.totals.sold), capacity: n(c.totals.capacity) }),
            })),
          )
        : null,
      net: currencies.length
        ? barChart(
            t("overview.netChart"),
            currencies.map((currency) => ({
              title: `${currency}: ${formatMoney(overview.totals.net[currency] ?? 0, currency, locale)}`,
              color: PALETTE.green,
              bars: cities
                .filter((c) => c.totals.net[currency])
                .map((c) => ({
                  label: c.label,
                  amountMinor: c.totals.net[currency]!,
                  value: formatMoney(c.totals.net[currency]!, currency, locale),
                })),
            })),
          )
        : null,
    },
  };
}

function Figures({ totals }: { totals: Totals }) {
  const locale = useLocale();
  const t = useT();
  const n = (v: number) => numberFormat(locale, {}).format(v);
  return (
    <>
      <td>{t("dash.soldOf", { sold: n(totals.sold), capacity: n(totals.capacity) })}</td>
      <td>{n(totals.checkedIn)}</td>
      <td>
        <PerCurrency value={totals.net} />
      </td>
      <td>
        <PerCurrency value={totals.donations} />
      </td>
      <td>
        <PerCurrency value={totals.costs} />
      </td>
      <td>
        <PerCurrency value={totals.routed} />
      </td>
    </>
  );
}

export default function Overview() {
  const { title, countries, totals, cities, currencies, charts } = useLoaderData<typeof loader>();
  const t = useT();
  const locale = useLocale();
  const n = (v: number) => numberFormat(locale, {}).format(v);
  const head = (first: string) => (
    <thead>
      <tr>
        <th scope="col">{first}</th>
        <th scope="col">{t("dash.sold")}</th>
        <th scope="col">{t("dash.checkedIn")}</th>
        <th scope="col">{t("dash.net")}</th>
        <th scope="col">{t("dash.donations")}</th>
        <th scope="col">{t("dash.costs")}</th>
        <th scope="col">{t("overview.routed")}</th>
      </tr>
    </thead>
  );
  return (
    <section className="overview">
      <p className="eyebrow">
        <Link to="/admin">{t("admin.festivals")}</Link> /
      </p>
      <h1>{title}</h1>
      <p>{t("overview.intro")}</p>
      {countries.length === 0 ? <p>{t("overview.none")}</p> : null}
      {countries.length > 0 ? (
        <dl className="stats">
          <div>
            <dt>{t("overview.festivals")}</dt>
            <dd>{n(totals.festivals)}</dd>
          </div>
          <div>
            <dt>{t("dash.sold")}</dt>
            <dd>{n(totals.sold)}</dd>
          </div>
          <div>
            <dt>{t("dash.checkedIn")}</dt>
            <dd>{n(totals.checkedIn)}</dd>
          </div>
          <div>
            <dt>{t("dash.net")}</dt>
            <dd>
              <PerCurrency value={totals.net} />
            </dd>
          </div>
        </dl>
      ) : null}
      {charts.sold ? (
        <ChartFigure id="chart-countries" title={t("overview.soldChart")} svg={charts.sold.svg}>
          <thead>
            <tr>
              <th scope="col">{t("overview.country")}</th>
              <th scope="col">{t("dash.sold")}</th>
              <th scope="col">{t("dash.capacity")}</th>
            </tr>
          </thead>
          <tbody>
            {countries.map((c) => (
              <tr key={c.country}>
                <th scope="row">{c.name}</th>
                <td>{n(c.totals.sold)}</td>
                <td>{n(c.totals.capacity)}</td>
              </tr>
            ))}
          </tbody>
        </ChartFigure>
      ) : null}
      {charts.net ? (
        <ChartFigure id="chart-cities" title={t("overview.netChart")} svg={charts.net.svg}>
          <thead>
            <tr>
              <th scope="col">{t("overview.city")}</th>
              {currencies.map((c) => (
                <th scope="col" key={c}>
                  {t("dash.netIn", { currency: c })}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {cities.map((c) => (
              <tr key={c.label}>
                <th scope="row">{c.label}</th>
                {currencies.map((currency) => (
                  <td key={currency}>{formatMoney(c.net[currency] ?? 0, currency, locale)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </ChartFigure>
      ) : null}
      {countries.map((country) => (
        <section
          key={country.country}
          className="overview-country"
          aria-labelledby={`country-${country.country}`}
        >
          <h2 id={`country-${country.country}`}>{country.name}</h2>
          <Table label={country.name}>
            {head(t("overview.festival"))}
            {country.cities.map((city) => (
              <tbody key={city.city}>
                <tr>
                  <th scope="colgroup" colSpan={7}>
                    {city.city}
                  </th>
                </tr>
                {city.festivals.map((f) => (
                  <tr key={f.id}>
                    <th scope="row">
                      <Link to={`/admin/festivals/${f.id}/dashboard`}>{f.name}</Link>
                      <br />
                      <small className="muted">
                        {formatDateRange(f.startsAt, f.endsAt, locale, f.timezone)} ·{" "}
                        {t(`status.${f.status as "draft" | "published" | "cancelled"}`)}
                      </small>
                    </th>
                    <Figures totals={f} />
                  </tr>
                ))}
                {city.festivals.length > 1 ? (
                  <tr className="subtotal">
                    <th scope="row">{t("overview.cityTotal", { city: city.city })}</th>
                    <Figures totals={city.totals} />
                  </tr>
                ) : null}
              </tbody>
            ))}
            <tfoot>
              <tr className="subtotal">
                <th scope="row">{t("overview.countryTotal", { country: country.name })}</th>
                <Figures totals={country.totals} />
              </tr>
            </tfoot>
          </Table>
        </section>
      ))}
    </section>
  );
}
