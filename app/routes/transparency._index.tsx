import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Table } from "~/components/table";
import { reportFestivals, reportMonths } from "~/models/transparency.server";
import { formatDateRange } from "~/utils/format";
import { publicPage } from "~/utils/headers";
import { getTranslator } from "~/utils/i18n.server";
import { formatMoney } from "~/utils/money";
import { monthLabel } from "~/utils/transparency-labels";
import { useLocale, useT } from "~/utils/use-t";
import { rootShareData, shareMeta } from "~/utils/share-meta";

/** The same for every visitor: cacheable for visitors without a session (utils/headers.ts). */
export const headers = publicPage;

export const meta: MetaFunction<typeof loader> = ({ data, matches }) =>
  shareMeta(rootShareData(matches), {
    title: data?.title ?? "Transparency",
    path: "/transparency",
  });

/** Every month with money and every public festival, from the ledger (decision 0037). */
export async function loader({ request }: LoaderFunctionArgs) {
  const { t } = await getTranslator(request);
  const [months, festivals] = await Promise.all([reportMonths(), reportFestivals()]);
  return { title: t("transparency.title"), months, festivals };
}

export default function TransparencyIndex() {
  const { months, festivals } = useLoaderData<typeof loader>();
  const t = useT();
  const locale = useLocale();
  return (
    <>
      <h1>{t("transparency.title")}</h1>
      <p>{t("transparency.intro")}</p>
      <section aria-labelledby="by-month">
        <h2 id="by-month">{t("transparency.months")}</h2>
        <p>{t("transparency.monthsNote")}</p>
        {months.length === 0 ? (
          <p>{t("transparency.noMonths")}</p>
        ) : (
          <Table label={t("transparency.months")}>
            <thead>
              <tr>
                <th scope="col">{t("transparency.month")}</th>
                <th scope="col">{t("transparency.collected")}</th>
                <th scope="col">{t("transparency.paidOut")}</th>
              </tr>
            </thead>
            <tbody>
              {months.flatMap((m) =>
                m.currencies.map((c, i) => (
                  <tr key={`${m.month}:${c.currency}`}>
                    <th scope="row">
                      {i === 0 ? (
                        <Link to={`/transparency/${m.month}`}>{monthLabel(m.month, locale)}</Link>
                      ) : (
                        <span className="sr-only">{monthLabel(m.month, locale)}</span>
                      )}
                    </th>
                    <td>{formatMoney(c.collectedMinor, c.currency, locale)}</td>
                    <td>{formatMoney(c.paidOutMinor, c.currency, locale)}</td>
                  </tr>
                )),
              )}
            </tbody>
          </Table>
        )}
      </section>
      <section aria-labelledby="by-festival">
        <h2 id="by-festival">{t("transparency.festivals")}</h2>
        {festivals.length === 0 ? (
          <p>{t("transparency.noFestivals")}</p>
        ) : (
          <ul className="cards">
            {festivals.map((f) => (
              <li key={f.id} className="card">
                <h3>
                  <Link to={`/transparency/festivals/${f.slug}`}>{f.name}</Link>
                </h3>
                <p>
                  {f.city} · {formatDateRange(f.startsAt, f.endsAt, locale, f.timezone)}
                </p>
                {f.currencies.map((c) => (
                  <p key={c.currency}>
                    {t("transparency.gross")}: {formatMoney(c.grossMinor, c.currency, locale)} ·{" "}
                    {t("transparency.netProceeds")}:{" "}
                    {formatMoney(c.netProceedsMinor, c.currency, locale)} ·{" "}
                    {t("transparency.allocatedShort")}:{" "}
                    {formatMoney(c.allocatedMinor, c.currency, locale)}
                  </p>
                ))}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
