import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { groupByPlace, listPublicFestivals } from "~/models/festival.server";
import { countryName, formatDateRange } from "~/utils/format";
import { publicPage } from "~/utils/headers";
import { getTranslator } from "~/utils/i18n.server";
import { useLocale, useT } from "~/utils/use-t";

/** The same for every visitor: cacheable for visitors without a session (utils/headers.ts). */
export const headers = publicPage;

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data?.title ?? "Festivals" },
];

export async function loader({ request }: LoaderFunctionArgs) {
  const { t } = await getTranslator(request);
  const { upcoming, past } = await listPublicFestivals();
  // Grouped here: festival.server is not in the browser bundle.
  return { title: t("home.title"), upcoming: groupByPlace(upcoming), past };
}

type Item = ReturnType<typeof useLoaderData<typeof loader>>["past"][number];

function FestivalCard({ festival }: { festival: Item }) {
  const t = useT();
  const locale = useLocale();
  return (
    <li className="card">
      <h4>
        <Link to={`/festivals/${festival.slug}`}>{festival.name}</Link>
      </h4>
      <p>
        {formatDateRange(festival.startsAt, festival.endsAt, locale, festival.timezone)} ·{" "}
        {festival.venueName}
      </p>
      {festival.status === "cancelled" ? (
        <p className="badge danger">{t("festival.cancelled")}</p>
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
            {cities.map(({ city, festivals }) => (
              <div key={city}>
                <p className="city">{city}</p>
                <ul className="cards">
                  {festivals.map((f) => (
                    <FestivalCard key={f.id} festival={f} />
                  ))}
                </ul>
              </div>
            ))}
          </section>
        ))}
      </section>
      {past.length > 0 ? (
        <section aria-labelledby="past">
          <h2 id="past">{t("home.past")}</h2>
          <ul className="cards">
            {past.map((f) => (
              <FestivalCard key={f.id} festival={f} />
            ))}
          </ul>
        </section>
      ) : null}
    </>
  );
}
