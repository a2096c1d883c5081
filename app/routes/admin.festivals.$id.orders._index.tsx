import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import {
  Form,
  Link,
  useActionData,
  useLoaderData,
  useSearchParams,
  type ShouldRevalidateFunction,
} from "@remix-run/react";
import { ORDER_STATUSES, orderStatusKey } from "~/models/choices";
import { getFestivalOrThrow } from "~/models/festival.server";
import {
  festivalStats,
  listOrders,
  parseOrderFilter,
  type OrderFilter,
} from "~/models/sales.server";
import { textIn } from "~/models/ticket-type.server";
import { formatDateTime } from "~/utils/format";
import { field, readForm } from "~/utils/forms.server";
import { getLocale } from "~/utils/i18n.server";
import { formatMoney } from "~/utils/money";
import { requireUserWith } from "~/utils/permissions.server";
import { ExportLinks } from "~/components/export-links";
import { useLocale, useT } from "~/utils/use-t";
import { Table } from "~/components/table";

// Errors show inside the admin navigation (and the festival's tabs).
export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

/**
 * The list for a filter. Status and page may be in the URL; the search text (a
 * buyer's name or email) only ever comes in a POST body, never from the URL,
 * where it would land in logs and histories.
 */
async function ordersPage(request: Request, festivalId: string | undefined, filter: OrderFilter) {
  await requireUserWith(request, "festival:view", festivalId);
  const festival = await getFestivalOrThrow(festivalId);
  const locale = await getLocale(request);
  const [list, stats] = await Promise.all([
    listOrders(festival.id, filter),
    festivalStats(festival.id),
  ]);
  return {
    festivalId: festival.id,
    timezone: festival.timezone,
    currency: festival.currency,
    q: filter.q ?? "",
    status: filter.status ?? "",
    list,
    stats: {
      ...stats,
      ticketTypes: stats.ticketTypes.map((t) => ({ ...t, name: textIn(t.name, locale) })),
    },
  };
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const filter = parseOrderFilter(new URL(request.url).searchParams);
  return ordersPage(request, params.id, { ...filter, q: undefined });
}

/** A search answers with its own list: the page's loader need not run again for it. */
export const shouldRevalidate: ShouldRevalidateFunction = ({
  formMethod,
  defaultShouldRevalidate,
}) => (formMethod === "POST" ? false : defaultShouldRevalidate);

/** The search form posts its text here (see ordersPage). */
export async function action({ request, params }: ActionFunctionArgs) {
  const form = await readForm(request);
  const filter = parseOrderFilter(
    new URLSearchParams({
      q: field(form, "q") ?? "",
      status: field(form, "status") ?? "",
      page: field(form, "page") ?? "1",
    }),
  );
  return ordersPage(request, params.id, filter);
}

/** A search's pages are posted again with its text; other pages are plain links. */
function PageLink({
  page,
  label,
  q,
  status,
}: {
  page: number;
  label: string;
  q: string;
  status: string;
}) {
  const [params] = useSearchParams();
  if (!q) {
    const next = new URLSearchParams(params);
    next.set("page", String(page));
    return <Link to={`?${next}`}>{label}</Link>;
  }
  return (
    <Form method="post" className="inline">
      <input type="hidden" name="q" value={q} />
      <input type="hidden" name="status" value={status} />
      <button type="submit" name="page" value={page} className="link">
        {label}
      </button>
    </Form>
  );
}

export default function Orders() {
  const loaded = useLoaderData<typeof loader>();
  const searched = useActionData<typeof action>();
  const { festivalId, timezone, currency, q, status, list, stats } = searched ?? loaded;
  const t = useT();
  const locale = useLocale();
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
      <Form method="post" className="filters row">
        <div className="field">
          <label htmlFor="q">{t("orders.search")}</label>
          <input id="q" name="q" type="search" maxLength={100} defaultValue={q} />
        </div>
        <div className="field">
          <label htmlFor="status">{t("dashboard.status")}</label>
          <select id="status" name="status" defaultValue={status}>
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
      <ExportLinks festivalId={festivalId} kinds={["orders", "tickets"]} />
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
          {list.page > 1 ? <PageLink page={list.page - 1} label="←" q={q} status={status} /> : null}
          <span>
            {list.page} / {list.pages}
          </span>
          {list.page < list.pages ? (
            <PageLink page={list.page + 1} label="→" q={q} status={status} />
          ) : null}
        </nav>
      ) : null}
    </>
  );
}
