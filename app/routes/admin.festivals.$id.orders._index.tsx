import type { LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useLoaderData, useSearchParams } from "@remix-run/react";
import { ORDER_STATUSES, orderStatusKey } from "~/models/choices";
import { getFestivalOrThrow } from "~/models/festival.server";
import { festivalStats, listOrders, parseOrderFilter } from "~/models/sales.server";
import { textIn } from "~/models/ticket-type.server";
import { formatDateTime } from "~/utils/format";
import { getLocale } from "~/utils/i18n.server";
import { formatMoney } from "~/utils/money";
import { requireUserWith } from "~/utils/permissions.server";
import { useLocale, useT } from "~/utils/use-t";
import { Table } from "~/components/table";

// Errors show inside the admin navigation (and the festival's tabs).
export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireUserWith(request, "festival:view", params.id);
  const festival = await getFestivalOrThrow(params.id);
  const locale = await getLocale(request);
  const filter = parseOrderFilter(new URL(request.url).searchParams);
  const [list, stats] = await Promise.all([
    listOrders(festival.id, filter),
    festivalStats(festival.id),
  ]);
  return {
    festivalId: festival.id,
    timezone: festival.timezone,
    currency: festival.currency,
    list,
    stats: {
      ...stats,
      ticketTypes: stats.ticketTypes.map((t) => ({ ...t, name: textIn(t.name, locale) })),
    },
  };
}

export default function Orders() {
  const { festivalId, timezone, currency, list, stats } = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  const t = useT();
  const locale = useLocale();
  const pageLink = (page: number) => {
    const next = new URLSearchParams(params);
    next.set("page", String(page));
    return `?${next}`;
  };
  return (
    <>
      <h2>{t("orders.title")}</h2>
      <dl className="stats">
        <div>
          <dt>{t("orders.sold")}</dt>
          <dd>
            {stats.sold} / {stats.capacity}
          </dd>
        </div>
        <div>
          <dt>{t("orders.held")}</dt>
          <dd>{stats.held}</dd>
        </div>
        <div>
          <dt>{t("orders.revenue")}</dt>
          <dd>{formatMoney(stats.revenue[currency] ?? 0, currency, locale)}</dd>
        </div>
      </dl>
      <Table label={t("tickets.title")}>
        <thead>
          <tr>
            <th>{t("tickets.name")}</th>
            <th>{t("tickets.sold")}</th>
            <th>{t("tickets.left")}</th>
          </tr>
        </thead>
        <tbody>
          {stats.ticketTypes.map((tt) => (
            <tr key={tt.id}>
              <td>{tt.name}</td>
              <td>{tt.sold}</td>
              <td>{tt.available}</td>
            </tr>
          ))}
        </tbody>
      </Table>
      <Form method="get" className="filters row">
        <div className="field">
          <label htmlFor="q">{t("orders.search")}</label>
          <input
            id="q"
            name="q"
            type="search"
            maxLength={100}
            defaultValue={params.get("q") ?? ""}
          />
        </div>
        <div className="field">
          <label htmlFor="status">{t("dashboard.status")}</label>
          <select id="status" name="status" defaultValue={params.get("status") ?? ""}>
            <option value="">{t("orders.allStatuses")}</option>
            {ORDER_STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`order.status.${s}`)}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">{t("orders.filter")}</button>
      </Form>
      <p>
        <a href={`/admin/festivals/${festivalId}/orders.csv`} download>
          {t("orders.csv")}
        </a>
      </p>
      {list.orders.length === 0 ? <p>{t("orders.none")}</p> : null}
      {list.orders.length > 0 ? (
        <Table label={t("orders.title")}>
          <thead>
            <tr>
              <th>{t("orders.code")}</th>
              <th>{t("orders.when")}</th>
              <th>{t("orders.buyer")}</th>
              <th>{t("order.tickets")}</th>
              <th>{t("order.total")}</th>
              <th>{t("dashboard.status")}</th>
            </tr>
          </thead>
          <tbody>
            {list.orders.map((o) => (
              <tr key={o.id}>
                <td>
                  <Link to={`/admin/festivals/${festivalId}/orders/${o.id}`} className="mono">
                    {o.code}
                  </Link>
                </td>
                <td>{formatDateTime(o.createdAt, locale, timezone)}</td>
                <td>
                  {o.name ?? (
                    <span className="muted">
                      {t(o.erasedAt ? "orders.erased" : "orders.anonymous")}
                    </span>
                  )}
                </td>
                <td>{o.tickets}</td>
                <td>{formatMoney(o.totalMinor, o.currency, locale)}</td>
                <td>
                  <span className={`badge status-${o.status}`}>{t(orderStatusKey(o))}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      ) : null}
      {list.pages > 1 ? (
        <nav className="pager" aria-label={t("orders.pages")}>
          {list.page > 1 ? <Link to={pageLink(list.page - 1)}>←</Link> : null}
          <span>
            {list.page} / {list.pages}
          </span>
          {list.page < list.pages ? <Link to={pageLink(list.page + 1)}>→</Link> : null}
        </nav>
      ) : null}
    </>
  );
}
