// One festival's dashboard (issue 13): tickets sold against capacity per type
// and quota, sales per day in the festival's zone, revenue by category and
// currency, tattoo slots per artist, donations, costs, check-ins over time and
// money routed per prisoner. Figures: app/models/dashboard.server.ts; charts:
// SVG rendered here on the server (decision 0047), each with a table for
// screen readers. While the festival is on, the page refreshes its figures
// every 30 seconds and when it comes back into view.
import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData, useRevalidator } from "@remix-run/react";
import { useEffect } from "react";
import { ChartFigure } from "~/components/chart-figure";
import { PerCurrency } from "~/components/per-currency";
import { festivalDashboard } from "~/models/dashboard.server";
import { getFestivalOrThrow } from "~/models/festival.server";
import {
  barChart,
  capacityChart,
  columnChart,
  PALETTE,
  type Chart,
} from "~/utils/dashboard-chart.server";
import { formatDateTime, formatTime, zoneLabel } from "~/utils/format";
import { getTranslator } from "~/utils/i18n.server";
import type { Locale, Translate } from "~/utils/i18n";
import { dateTimeFormat, numberFormat } from "~/utils/intl";
import { formatMoney } from "~/utils/money";
import { can, requireUserWith } from "~/utils/permissions.server";
import { costLabel, incomeLabel } from "~/utils/transparency-labels";
import { useLocale, useT } from "~/utils/use-t";
import dashboardStyles from "~/styles/dashboard.css";

// Errors show inside the admin navigation (and the festival's tabs).
export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: dashboardStyles }];

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data?.title ?? "Dashboard" },
];

/** How often a running festival's dashboard refreshes itself. */
const LIVE_REFRESH_MS = 30_000;

const count = (n: number, locale: string) => numberFormat(locale, {}).format(n);

/** "3 Dec" / "3 дек." for a YYYY-MM-DD day. */
function dayLabel(day: string, locale: string) {
  return dateTimeFormat(locale, { day: "numeric", month: "short", timeZone: "UTC" }).format(
    new Date(`${day}T12:00:00Z`),
  );
}

function charts(
  data: Awaited<ReturnType<typeof festivalDashboard>>,
  festival: { timezone: string },
  t: Translate,
  locale: Locale,
) {
  const n = (v: number) => count(v, locale);
  const out: Record<string, Chart> = {};
  const { tickets } = data;
  if (tickets.types.length)
    out.types = capacityChart(
      t("dash.typesChart"),
      tickets.types.map((ty) => ({
        label: ty.name,
        sold: ty.sold,
        capacity: ty.capacity,
        value: t("dash.soldOf", { sold: n(ty.sold), capacity: n(ty.capacity) }),
      })),
    );
  if (tickets.quotas.length)
    out.quotas = capacityChart(
      t("dash.quotasChart"),
      tickets.quotas.map((q) => ({
        label: q.name,
        sold: q.sold,
        capacity: q.capacity,
        value: t("dash.soldOf", { sold: n(q.sold), capacity: n(q.capacity) }),
      })),
      PALETTE.purple,
    );
  if (data.salesPerDay.length)
    out.sales = columnChart(
      t("dash.salesChart"),
      data.salesPerDay.map((d) => ({ label: dayLabel(d.day, locale), value: d.tickets })),
      { maxLabel: (max) => t("dash.max", { value: n(max) }) },
    );
  if (data.checkIns.bins.length)
    out.checkIns = columnChart(
      t("dash.checkInsChart"),
      data.checkIns.bins.map((b) => ({
        label: formatTime(b.at, locale, festival.timezone),
        value: b.count,
      })),
      { color: PALETTE.green, maxLabel: (max) => t("dash.max", { value: n(max) }) },
    );
  if (data.tattoo.length)
    out.tattoo = capacityChart(
      t("dash.tattooChart"),
      data.tattoo.map((a) => ({
        label: a.name,
        sold: a.booked,
        capacity: a.slots,
        value: t("dash.bookedOf", { booked: n(a.booked), slots: n(a.slots) }),
      })),
      PALETTE.brown,
    );
  const money = data.money;
  if (money) {
    const m = (minor: number, currency: string) => formatMoney(minor, currency, locale);
    if (money.revenue.some((c) => c.lines.length))
      out.revenue = barChart(
        t("dash.revenueChart"),
        money.revenue.map((c) => ({
          title: `${c.currency}: ${m(c.netMinor, c.currency)}`,
          color: PALETTE.green,
          bars: c.lines.map((l) => ({
            label: incomeLabel(t, l.family),
            amountMinor: l.netMinor,
            value: m(l.netMinor, c.currency),
          })),
        })),
      );
    if (money.donations.length)
      out.donations = barChart(
        t("dash.donationsChart"),
        money.donations.map((c) => ({
          title: `${c.currency}: ${m(c.netMinor, c.currency)}`,
          color: PALETTE.blue,
          bars: c.earmarks.map((e) => ({
            label: e.prisonerId ? (e.name ?? e.prisonerId) : t("dash.notEarmarked"),
            amountMinor: e.netMinor,
            value: m(e.netMinor, c.currency),
          })),
        })),
      );
    if (money.costs.length)
      out.costs = barChart(
        t("dash.costsChart"),
        money.costs.map((c) => ({
          title: `${c.currency}: ${m(c.paidMinor, c.currency)}`,
          color: PALETTE.red,
          bars: c.lines.map((l) => ({
            label: costLabel(t, l.category),
            amountMinor: l.paidMinor,
            value: m(l.paidMinor, c.currency),
          })),
        })),
      );
    if (money.routed.some((c) => c.prisoners.length))
      out.routed = barChart(
        t("dash.routedChart"),
        money.routed
          .filter((c) => c.prisoners.length)
          .map((c) => ({
            title: `${c.currency}: ${m(c.totalMinor, c.currency)}`,
            color: PALETTE.purple,
            bars: c.prisoners.map((p) => ({
              label: p.prisonerId ? (p.name ?? p.prisonerId) : t("dash.generalFund"),
              amountMinor: p.amountMinor,
              value: m(p.amountMinor, c.currency),
            })),
          })),
      );
  }
  return out;
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUserWith(request, "festival:view", params.id);
  const festival = await getFestivalOrThrow(params.id);
  const { t, locale } = await getTranslator(request);
  const now = new Date();
  const data = await festivalDashboard(festival, {
    locale,
    money: can(user, "festival:money", festival.id),
    now,
  });
  return {
    title: `${t("dash.title")} · ${festival.name}`,
    festival: { id: festival.id, timezone: festival.timezone },
    zone: zoneLabel(now, locale, festival.timezone),
    updatedAt: formatDateTime(now, locale, festival.timezone),
    ...data,
    charts: charts(data, festival, t, locale),
  };
}

/** While the festival is on: new figures every 30 s while the page is in view, and when it comes back into view. */
function useLiveRefresh(live: boolean) {
  const { revalidate } = useRevalidator();
  useEffect(() => {
    if (!live) return;
    const refresh = () => {
      if (document.visibilityState === "visible") revalidate();
    };
    const timer = window.setInterval(refresh, LIVE_REFRESH_MS);
    window.addEventListener("focus", refresh);
    document.addEventListener("visibilitychange", refresh);
    return () => {
      window.clearInterval(timer);
      window.removeEventListener("focus", refresh);
      document.removeEventListener("visibilitychange", refresh);
    };
  }, [live, revalidate]);
}

export default function FestivalDashboard() {
  const d = useLoaderData<typeof loader>();
  const t = useT();
  const locale = useLocale();
  const n = (v: number) => count(v, locale);
  const m = (minor: number, currency: string) => formatMoney(minor, currency, locale);
  useLiveRefresh(d.live);
  const money = d.money;
  return (
    <div className="dashboard">
      <h2 className="sr-only">{t("dash.title")}</h2>
      <p className="muted" aria-live="polite">
        {d.live ? <span className="badge live">{t("dash.live")}</span> : null}{" "}
        {t("dash.updated", { time: d.updatedAt })}
      </p>
      <dl className="stats">
        <div>
          <dt>{t("dash.sold")}</dt>
          <dd>{t("dash.soldOf", { sold: n(d.tickets.sold), capacity: n(d.tickets.capacity) })}</dd>
        </div>
        <div>
          <dt>{t("dash.held")}</dt>
          <dd>{n(d.tickets.held)}</dd>
        </div>
        <div>
          <dt>{t("dash.checkedIn")}</dt>
          <dd>{n(d.checkIns.checkedIn)}</dd>
        </div>
        <div>
          <dt>{t("dash.inside")}</dt>
          <dd>{n(d.checkIns.inside)}</dd>
        </div>
        {money ? (
          <div>
            <dt>{t("dash.net")}</dt>
            <dd>
              <PerCurrency
                value={Object.fromEntries(money.revenue.map((c) => [c.currency, c.netMinor]))}
              />
            </dd>
          </div>
        ) : null}
      </dl>

      <section aria-labelledby="dash-tickets" className="dash-section">
        <h3 id="dash-tickets">{t("dash.tickets")}</h3>
        {d.charts.types ? (
          <ChartFigure id="chart-types" title={t("dash.typesChart")} svg={d.charts.types.svg}>
            <thead>
              <tr>
                <th scope="col">{t("dash.ticketType")}</th>
                <th scope="col">{t("dash.sold")}</th>
                <th scope="col">{t("dash.held")}</th>
                <th scope="col">{t("dash.capacity")}</th>
              </tr>
            </thead>
            <tbody>
              {d.tickets.types.map((ty) => (
                <tr key={ty.id}>
                  <th scope="row">{ty.name}</th>
                  <td>{n(ty.sold)}</td>
                  <td>{n(ty.held)}</td>
                  <td>{n(ty.capacity)}</td>
                </tr>
              ))}
            </tbody>
          </ChartFigure>
        ) : (
          <p>{t("dash.noTicketTypes")}</p>
        )}
        {d.charts.quotas ? (
          <ChartFigure id="chart-quotas" title={t("dash.quotasChart")} svg={d.charts.quotas.svg}>
            <thead>
              <tr>
                <th scope="col">{t("dash.quota")}</th>
                <th scope="col">{t("dash.sold")}</th>
                <th scope="col">{t("dash.held")}</th>
                <th scope="col">{t("dash.capacity")}</th>
              </tr>
            </thead>
            <tbody>
              {d.tickets.quotas.map((q) => (
                <tr key={q.id}>
                  <th scope="row">{q.name}</th>
                  <td>{n(q.sold)}</td>
                  <td>{n(q.held)}</td>
                  <td>{n(q.capacity)}</td>
                </tr>
              ))}
            </tbody>
          </ChartFigure>
        ) : null}
      </section>

      <section aria-labelledby="dash-sales" className="dash-section">
        <h3 id="dash-sales">{t("dash.salesPerDay")}</h3>
        <p className="muted">{t("dash.inZone", { zone: d.zone })}</p>
        {d.charts.sales ? (
          <ChartFigure id="chart-sales" title={t("dash.salesChart")} svg={d.charts.sales.svg}>
            <thead>
              <tr>
                <th scope="col">{t("dash.day")}</th>
                <th scope="col">{t("dash.ticketsSold")}</th>
                {money ? <th scope="col">{t("dash.net")}</th> : null}
              </tr>
            </thead>
            <tbody>
              {d.salesPerDay.map((day) => (
                <tr key={day.day}>
                  <th scope="row">{dayLabel(day.day, locale)}</th>
                  <td>{n(day.tickets)}</td>
                  {money ? (
                    <td>
                      <PerCurrency value={day.income} />
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </ChartFigure>
        ) : (
          <p>{t("dash.noSales")}</p>
        )}
      </section>

      {money ? (
        <section aria-labelledby="dash-revenue" className="dash-section">
          <h3 id="dash-revenue">{t("dash.revenue")}</h3>
          {d.charts.revenue ? (
            <ChartFigure
              id="chart-revenue"
              title={t("dash.revenueChart")}
              svg={d.charts.revenue.svg}
            >
              <thead>
                <tr>
                  <th scope="col">{t("dash.category")}</th>
                  <th scope="col">{t("dash.gross")}</th>
                  <th scope="col">{t("dash.refunded")}</th>
                  <th scope="col">{t("dash.net")}</th>
                </tr>
              </thead>
              <tbody>
                {money.revenue.flatMap((c) =>
                  c.lines.map((l) => (
                    <tr key={`${c.currency}-${l.family}`}>
                      <th scope="row">
                        {incomeLabel(t, l.family)} ({c.currency})
                      </th>
                      <td>{m(l.grossMinor, c.currency)}</td>
                      <td>{m(l.refundedMinor, c.currency)}</td>
                      <td>{m(l.netMinor, c.currency)}</td>
                    </tr>
                  )),
                )}
              </tbody>
            </ChartFigure>
          ) : (
            <p>{t("dash.noMoney")}</p>
          )}
          {money.revenue.some((c) => c.feesMinor !== 0) ? (
            <p className="muted">
              {t("dash.fees")}:{" "}
              <PerCurrency
                value={Object.fromEntries(
                  money.revenue.filter((c) => c.feesMinor).map((c) => [c.currency, c.feesMinor]),
                )}
              />
            </p>
          ) : null}
        </section>
      ) : null}

      <section aria-labelledby="dash-tattoo" className="dash-section">
        <h3 id="dash-tattoo">{t("dash.tattoo")}</h3>
        {d.charts.tattoo ? (
          <ChartFigure id="chart-tattoo" title={t("dash.tattooChart")} svg={d.charts.tattoo.svg}>
            <thead>
              <tr>
                <th scope="col">{t("dash.artist")}</th>
                <th scope="col">{t("dash.booked")}</th>
                <th scope="col">{t("dash.held")}</th>
                <th scope="col">{t("dash.slots")}</th>
                {money ? <th scope="col">{t("dash.donations")}</th> : null}
              </tr>
            </thead>
            <tbody>
              {d.tattoo.map((a) => (
                <tr key={a.id}>
                  <th scope="row">{a.name}</th>
                  <td>{n(a.booked)}</td>
                  <td>{n(a.held)}</td>
                  <td>{n(a.slots)}</td>
                  {money ? (
                    <td>
                      <PerCurrency value={a.money} />
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </ChartFigure>
        ) : (
          <p>{t("dash.noTattoo")}</p>
        )}
      </section>

      {money ? (
        <>
          <section aria-labelledby="dash-donations" className="dash-section">
            <h3 id="dash-donations">{t("dash.donations")}</h3>
            {d.charts.donations ? (
              <ChartFigure
                id="chart-donations"
                title={t("dash.donationsChart")}
                svg={d.charts.donations.svg}
              >
                <thead>
                  <tr>
                    <th scope="col">{t("dash.earmark")}</th>
                    <th scope="col">{t("dash.net")}</th>
                  </tr>
                </thead>
                <tbody>
                  {money.donations.flatMap((c) =>
                    c.earmarks.map((e) => (
                      <tr key={`${c.currency}-${e.prisonerId ?? ""}`}>
                        <th scope="row">
                          {e.prisonerId ? (e.name ?? e.prisonerId) : t("dash.notEarmarked")} (
                          {c.currency})
                        </th>
                        <td>{m(e.netMinor, c.currency)}</td>
                      </tr>
                    )),
                  )}
                </tbody>
              </ChartFigure>
            ) : (
              <p>{t("dash.noDonations")}</p>
            )}
          </section>

          <section aria-labelledby="dash-costs" className="dash-section">
            <h3 id="dash-costs">{t("dash.costs")}</h3>
            {d.charts.costs ? (
              <ChartFigure id="chart-costs" title={t("dash.costsChart")} svg={d.charts.costs.svg}>
                <thead>
                  <tr>
                    <th scope="col">{t("dash.category")}</th>
                    <th scope="col">{t("dash.paid")}</th>
                    <th scope="col">{t("dash.pending")}</th>
                  </tr>
                </thead>
                <tbody>
                  {money.costs.flatMap((c) =>
                    c.lines.map((l) => (
                      <tr key={`${c.currency}-${l.category}`}>
                        <th scope="row">
                          {costLabel(t, l.category)} ({c.currency})
                        </th>
                        <td>{m(l.paidMinor, c.currency)}</td>
                        <td>{m(l.pendingMinor, c.currency)}</td>
                      </tr>
                    )),
                  )}
                </tbody>
              </ChartFigure>
            ) : (
              <p>{t("dash.noCosts")}</p>
            )}
            {money.costs.some((c) => c.pendingMinor) ? (
              <p className="muted">
                {t("dash.pending")}:{" "}
                <PerCurrency
                  value={Object.fromEntries(
                    money.costs
                      .filter((c) => c.pendingMinor)
                      .map((c) => [c.currency, c.pendingMinor]),
                  )}
                />
              </p>
            ) : null}
          </section>
        </>
      ) : null}

      <section aria-labelledby="dash-checkins" className="dash-section">
        <h3 id="dash-checkins">{t("dash.checkIns")}</h3>
        <p className="muted">{t("dash.inZone", { zone: d.zone })}</p>
        {d.charts.checkIns ? (
          <ChartFigure
            id="chart-checkins"
            title={t("dash.checkInsChart")}
            svg={d.charts.checkIns.svg}
          >
            <thead>
              <tr>
                <th scope="col">{t("dash.time")}</th>
                <th scope="col">{t("dash.arrivals")}</th>
              </tr>
            </thead>
            <tbody>
              {d.checkIns.bins.map((b) => (
                <tr key={b.at}>
                  <th scope="row">{formatDateTime(b.at, locale, d.festival.timezone)}</th>
                  <td>{n(b.count)}</td>
                </tr>
              ))}
            </tbody>
          </ChartFigure>
        ) : (
          <p>{t("dash.noCheckIns")}</p>
        )}
      </section>

      {money ? (
        <section aria-labelledby="dash-routed" className="dash-section">
          <h3 id="dash-routed">{t("dash.routed")}</h3>
          {d.charts.routed ? (
            <ChartFigure id="chart-routed" title={t("dash.routedChart")} svg={d.charts.routed.svg}>
              <thead>
                <tr>
                  <th scope="col">{t("dash.prisoner")}</th>
                  <th scope="col">{t("dash.amount")}</th>
                </tr>
              </thead>
              <tbody>
                {money.routed.flatMap((c) =>
                  c.prisoners.map((p) => (
                    <tr key={`${c.currency}-${p.prisonerId ?? ""}`}>
                      <th scope="row">
                        {p.prisonerId ? (p.name ?? p.prisonerId) : t("dash.generalFund")} (
                        {c.currency})
                      </th>
                      <td>{m(p.amountMinor, c.currency)}</td>
                    </tr>
                  )),
                )}
              </tbody>
            </ChartFigure>
          ) : (
            <p>{t("dash.noRouted")}</p>
          )}
          {money.routed.some((c) => c.unallocatedMinor !== 0) ? (
            <p className="muted">
              {t("dash.unallocated")}:{" "}
              <PerCurrency
                value={Object.fromEntries(
                  money.routed
                    .filter((c) => c.unallocatedMinor !== 0)
                    .map((c) => [c.currency, c.unallocatedMinor]),
                )}
              />
            </p>
          ) : null}
        </section>
      ) : null}
    </div>
  );
}
