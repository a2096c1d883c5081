import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { PrisonerCard } from "~/components/prisoner-card";
import { publicPrisoners } from "~/models/prisoner.server";
import { publicPage } from "~/utils/headers";
import { getTranslator } from "~/utils/i18n.server";
import { useT } from "~/utils/use-t";
import prisonerStyles from "~/styles/prisoners.css";
import { rootShareData, shareMeta } from "~/utils/share-meta";

/** The same for every visitor: cacheable for visitors without a session (utils/headers.ts). */
export const headers = publicPage;

export const links: LinksFunction = () => [{ rel: "stylesheet", href: prisonerStyles }];

export const meta: MetaFunction<typeof loader> = ({ data, matches }) =>
  shareMeta(rootShareData(matches), {
    title: data?.title ?? "Political prisoners",
    path: "/prisoners",
  });

/** Every prisoner of the registry, with what has been raised for them and paid out (no login). */
export async function loader({ request }: LoaderFunctionArgs) {
  const { t, locale } = await getTranslator(request);
  return { title: t("prisoners.title"), prisoners: await publicPrisoners(locale) };
}

export default function Prisoners() {
  const { prisoners } = useLoaderData<typeof loader>();
  const t = useT();
  return (
    <section aria-labelledby="prisoners-title">
      <h1 id="prisoners-title">{t("prisoners.title")}</h1>
      <p>{t("prisoners.intro")}</p>
      <p className="hint">
        {t("prisoners.figuresNote")} <Link to="/transparency">{t("prisoners.reports")}</Link>
      </p>
      {prisoners.length === 0 ? <p>{t("prisoners.none")}</p> : null}
      <ul className="prisoner-cards">
        {prisoners.map((p) => (
          <PrisonerCard key={p.id} prisoner={p} />
        ))}
      </ul>
      <p>
        <Link to="/">{t("prisoners.toFestivals")}</Link>
      </p>
    </section>
  );
}
