import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { getPublicFestival } from "~/models/festival.server";
import { countryName, formatDate, formatDateRange, formatTime, languageName, zoneLabel } from "~/utils/format";
import { notFound } from "~/utils/http.server";
import { getLocale } from "~/utils/i18n.server";
import { useLocale, useT } from "~/utils/use-t";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `${data.festival.name} — ${data.festival.city}` : "Festival" },
];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const festival = await getPublicFestival(params.slug ?? "");
  if (!festival) throw notFound("No such festival.");
  const locale = await getLocale(request);
  // Description in the reader's language when the festival has it, else the first one it offers.
  const description =
    festival.description[locale] ?? festival.languages.map((l) => festival.description[l]).find(Boolean) ?? null;
  return { festival, description };
}

export default function FestivalPage() {
  const { festival, description } = useLoaderData<typeof loader>();
  const t = useT();
  const locale = useLocale();
  const zone = festival.timezone;
  const days = new Map<string, typeof festival.programme>();
  for (const item of festival.programme) {
    const day = formatDate(item.startsAt, locale, zone);
    days.set(day, [...(days.get(day) ?? []), item]);
  }
  return (
    <article className="festival">
      <header>
        <p className="eyebrow">
          {festival.city}, {countryName(festival.country, locale)}
        </p>
        <h1>{festival.name}</h1>
        {festival.status === "cancelled" ? (
          <p className="notice danger" role="status">
            {t("festival.cancelledNotice")}
          </p>
        ) : null}
        <p className="when">
          {formatDateRange(festival.startsAt, festival.endsAt, locale, zone)},{" "}
          {formatTime(festival.startsAt, locale, zone)}–{formatTime(festival.endsAt, locale, zone)}{" "}
          <span className="muted">({t("festival.localTime", { zone: zoneLabel(festival.startsAt, locale, zone) })})</span>
        </p>
      </header>
      <section aria-labelledby="venue">
        <h2 id="venue">{t("festival.venue")}</h2>
        <p>
          <strong>{festival.venueName}</strong>
          <br />
          {festival.venueAddress}
        </p>
        {festival.mapUrl ? (
          <p>
            <a href={festival.mapUrl} rel="noopener noreferrer nofollow" target="_blank">
              {t("festival.map")}
            </a>
          </p>
        ) : null}
        <p className="muted">
          {t("festival.languages")}: {festival.languages.map((l) => languageName(l, locale)).join(", ")}
        </p>
      </section>
      {description ? (
        <section aria-labelledby="about">
          <h2 id="about">{t("festival.about")}</h2>
          {description.split(/\n{2,}/).map((para, i) => (
            <p key={i} className="prewrap">
              {para}
            </p>
          ))}
        </section>
      ) : null}
      <section aria-labelledby="programme">
        <h2 id="programme">{t("festival.programme")}</h2>
        {festival.programme.length === 0 ? <p>{t("festival.noProgramme")}</p> : null}
        {[...days.entries()].map(([day, items]) => (
          <div key={day}>
            <h3>{day}</h3>
            <ol className="programme">
              {items.map((item) => (
                <li key={item.id}>
                  <time dateTime={item.startsAt}>
                    {formatTime(item.startsAt, locale, zone)}
                    {item.endsAt ? `–${formatTime(item.endsAt, locale, zone)}` : ""}
                  </time>{" "}
                  <span className={`kind kind-${item.kind}`}>{t(`programme.kind.${item.kind}`)}</span>{" "}
                  <strong>{item.title}</strong>
                  {item.person ? <span className="muted"> — {item.person}</span> : null}
                </li>
              ))}
            </ol>
          </div>
        ))}
      </section>
    </article>
  );
}
