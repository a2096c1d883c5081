import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { PrisonerFigures, PrisonerStatusBadge } from "~/components/prisoner-card";
import { publicPrisonerBySlug } from "~/models/prisoner.server";
import { formatDate } from "~/utils/format";
import { publicPage } from "~/utils/headers";
import { rootShareData, shareMeta } from "~/utils/share-meta";
import { notFound } from "~/utils/http.server";
import { getLocale } from "~/utils/i18n.server";
import { useLocale, useT } from "~/utils/use-t";
import prisonerStyles from "~/styles/prisoners.css";

/** The same for every visitor: cacheable for visitors without a session (utils/headers.ts). */
export const headers = publicPage;

export const links: LinksFunction = () => [{ rel: "stylesheet", href: prisonerStyles }];

export const meta: MetaFunction<typeof loader> = ({ data, matches }) =>
  shareMeta(rootShareData(matches), {
    title: data?.prisoner.name ?? "Political prisoner",
    description: data?.prisoner.summary,
    image: data?.prisoner.photo
      ? {
          path: data.prisoner.photo.url,
          width: data.prisoner.photo.width,
          height: data.prisoner.photo.height,
          alt: data.prisoner.name,
        }
      : null,
    path: data ? `/prisoners/${data.prisoner.slug}` : undefined,
  });

/**
 * One public profile (no login): story in the reader's language, where held,
 * sentence, status, the letters address only while it is marked safe, the
 * figures, and the published festivals supporting them.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const locale = await getLocale(request);
  const prisoner = await publicPrisonerBySlug(params.slug ?? "", locale);
  if (!prisoner) throw notFound("No such prisoner.");
  return { prisoner };
}

export default function PrisonerProfile() {
  const { prisoner: p } = useLoaderData<typeof loader>();
  const t = useT();
  const locale = useLocale();
  const story = p.story ? p.story.split(/\n{2,}/) : [];
  const storyLang = p.storyLanguage && p.storyLanguage !== locale ? p.storyLanguage : undefined;
  return (
    <article className="prisoner-profile">
      <p>
        <Link to="/prisoners">← {t("prisoners.all")}</Link>
      </p>
      <header>
        <h1>{p.name}</h1>
        <p>
          <PrisonerStatusBadge status={p.status} />
        </p>
      </header>
      {p.photo ? (
        <img
          className="prisoner-photo"
          src={p.photo.url}
          alt={t("prisoners.photoAlt", { name: p.name })}
          width={p.photo.width}
          height={p.photo.height}
        />
      ) : null}
      {p.summary ? <p className="hero-summary">{p.summary}</p> : null}
      {p.heldAt || p.sentence ? (
        <dl className="prisoner-facts">
          {p.heldAt ? (
            <>
              <dt>{t("prisoners.heldAt")}</dt>
              <dd>{p.heldAt}</dd>
            </>
          ) : null}
          {p.sentence ? (
            <>
              <dt>{t("prisoners.sentence")}</dt>
              <dd>{p.sentence}</dd>
            </>
          ) : null}
        </dl>
      ) : null}
      {story.length ? (
        <section aria-labelledby="story">
          <h2 id="story">{t("prisoners.story")}</h2>
          {/* A story in another language than the page's says so; its heading is the page's. */}
          {story.map((para, i) => (
            <p key={i} className="prewrap" lang={storyLang}>
              {para}
            </p>
          ))}
        </section>
      ) : null}
      {p.lettersAddress ? (
        <section aria-labelledby="letters" className="prisoner-letters card">
          <h2 id="letters">{t("prisoners.letters")}</h2>
          <p>{t("prisoners.lettersHint")}</p>
          <address>{p.lettersAddress}</address>
        </section>
      ) : null}
      <section aria-labelledby="money">
        <h2 id="money">{t("prisoners.money")}</h2>
        <p className="hint">{t("prisoners.figuresNote")}</p>
        <PrisonerFigures name={p.name} figures={p.figures} />
        <p>
          <Link to="/transparency">{t("prisoners.reports")}</Link>
        </p>
      </section>
      {p.festivals.length ? (
        <section aria-labelledby="festivals">
          <h2 id="festivals">{t("prisoners.festivals")}</h2>
          <ul>
            {p.festivals.map((f) => (
              <li key={f.slug}>
                <Link to={`/festivals/${f.slug}`}>{f.name}</Link>{" "}
                <span className="muted">
                  — {f.city}, {formatDate(f.startsAt, locale, f.timezone)}
                </span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </article>
  );
}
