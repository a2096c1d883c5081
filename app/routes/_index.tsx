import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { FestivalPoster } from "~/components/festival-poster";
import { groupByPlace, listPublicFestivals } from "~/models/festival.server";
import { countryName, formatDate, formatDateRange } from "~/utils/format";
import { rootShareData, shareMeta } from "~/utils/share-meta";
import { publicPage } from "~/utils/headers";
import { getTranslator } from "~/utils/i18n.server";
import { useLocale, useT } from "~/utils/use-t";

/** The same for every visitor: cacheable for visitors without a session (utils/headers.ts). */
export const headers = publicPage;

export const meta: MetaFunction<typeof loader> = ({ data, matches }) =>
  shareMeta(rootShareData(matches), { title: data?.title ?? "Festivals", path: "/" });

export async function loader({ request }: LoaderFunctionArgs) {
  const { t } = await getTranslator(request);
  const { upcoming, past } = await listPublicFestivals();
  // Grouped here: festival.server is not in the browser bundle.
  return { title: t("home.title"), upcoming: groupByPlace(upcoming), past };
}

type Item = ReturnType<typeof useLoaderData<typeof loader>>["past"][number];

function FestivalCard({ festival, ended }: { festival: Item; ended?: boolean }) {
  const t = useT();
  const locale = useLocale();
  const zone = festival.timezone;
  return (
    <li className="card festival-card">
      {festival.poster ? (
        <FestivalPoster
          poster={festival.poster}
          festivalName={festival.name}
          className="festival-card-poster"
          sizes="(min-width: 60rem) 20rem, (min-width: 36rem) 45vw, 100vw"
          lazy
        />
      ) : null}
      <p className="eyebrow">
        {festival.city}, {countryName(festival.country, locale)}
      </p>
      <h4>
        <Link to={`/festivals/${festival.slug}`}>{festival.name}</Link>
      </h4>
      <p>
        {formatDateRange(festival.startsAt, festival.endsAt, locale, zone)} · {festival.venueName}
      </p>
      {festival.status === "cancelled" ? (
        <p className="badge danger">{t("festival.cancelled")}</p>
      ) : ended ? (
        <p className="badge ended">
          {t("home.ended")}
          <span className="sr-only">
            {" "}
            ({t("home.endedOn", { date: formatDate(festival.endsAt, locale, zone) })})
          </span>
        </p>
      ) : null}
    </li>
  );
}

export default function Index() {
  const { upcoming: grouped, past } = useLoaderData<typeof loader>();
  const t = useT();
  const locale = useLocale();
  return (
    <>
      <section className="hero">
        <h1>{t("home.title")}</h1>
        <p>{t("home.intro")}</p>
      </section>
      <section aria-labelledby="upcoming">
        <h2 id="upcoming">{t("home.upcoming")}</h2>
        {grouped.length === 0 ? <p>{t("home.noneUpcoming")}</p> : null}
        {grouped.map(({ country, cities }) => (
          <section key={country} className="country">
            <h3>{countryName(country, locale)}</h3>
            {/* One grid per country (its cities in turn): columns on wide screens. */}
            <ul className="cards festival-grid">
              {cities.flatMap(({ festivals }) =>
                festivals.map((f) => <FestivalCard key={f.id} festival={f} />),
              )}
            </ul>
          </section>
        ))}
      </section>
      {past.length > 0 ? (
        <section aria-labelledby="past">
          <h2 id="past">{t("home.past")}</h2>
          <ul className="cards festival-grid">
            {past.map((f) => (
              <FestivalCard key={f.id} festival={f} ended />
            ))}
          </ul>
        </section>
      ) : null}
    </>
  );
}
