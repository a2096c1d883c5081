import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, NavLink, Outlet, useRouteLoaderData } from "@remix-run/react";
import type { ReactNode } from "react";
import { ErrorMessage } from "~/components/error-message";
import { getFestivalOrThrow } from "~/models/festival.server";
import { artistScope } from "~/models/tattoo-artist.server";
import { requireSessionUser } from "~/utils/auth.server";
import { can, decide, requirePermission } from "~/utils/permissions.server";
import { useT } from "~/utils/use-t";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data?.festival.name ?? "Festival" },
];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireSessionUser(request);
  // A linked tattoo artist sees only their own artist's pages here (each page
  // checks its own permission; this frame shows them no other tab).
  const artistOnly =
    !can(user, "festival:view", params.id) && can(user, "tattoo:artist", params.id);
  if (!artistOnly) requirePermission(user, "festival:view", params.id);
  const festival = await getFestivalOrThrow(params.id);
  return {
    ownArtists: artistOnly ? await artistScope(user, festival.id) : null,
    festival: {
      id: festival.id,
      name: festival.name,
      slug: festival.slug,
      status: festival.status,
    },
    canTeam: can(user, "festival:team", festival.id),
    canMoney: can(user, "festival:money", festival.id),
    canTattoo: can(user, "festival:tattoo", festival.id),
    canCorner: can(user, "tattoo:corner", festival.id),
    // Treasurers without a proved second factor see the tab too: it leads them to prove it.
    canCosts: ["allow", "second_factor"].includes(decide(user, "festival:costs", festival.id)),
    canAllocation: can(user, "festival:allocation", festival.id),
  };
}

/** The festival's name and tabs around a section, or around the error that replaced it. */
function FestivalFrame({ children }: { children: ReactNode }) {
  const data = useRouteLoaderData<typeof loader>("routes/admin.festivals.$id");
  const t = useT();
  if (!data) return <>{children}</>; // the festival itself could not be loaded
  const { festival, canTeam, canMoney, canTattoo, canCorner, canCosts, canAllocation, ownArtists } =
    data;
  return (
    <section>
      <p className="eyebrow">
        <Link to="/admin">{t("admin.festivals")}</Link> /
      </p>
      <h1>
        {festival.name}{" "}
        <span className={`badge status-${festival.status}`}>
          {t(`status.${festival.status as "draft" | "published" | "cancelled"}`)}
        </span>
      </h1>
      {festival.status !== "draft" ? (
        <p>
          <Link to={`/festivals/${festival.slug}`}>{t("festivalAdmin.publicPage")}</Link>
        </p>
      ) : null}
      {ownArtists ? (
        <nav className="tabs" aria-label={t("festivalAdmin.sections")}>
          {ownArtists.map((artistId) => (
            <NavLink key={artistId} to={`/admin/festivals/${festival.id}/tattoo/${artistId}`}>
              {t("festivalAdmin.ownArtist")}
            </NavLink>
          ))}
          <NavLink to={`/tattoo-corner/${festival.id}`}>{t("festivalAdmin.tattooCorner")}</NavLink>
        </nav>
      ) : (
        <nav className="tabs" aria-label={t("festivalAdmin.sections")}>
          <NavLink to={`/admin/festivals/${festival.id}`} end>
            {t("festivalAdmin.details")}
          </NavLink>
          <NavLink to={`/admin/festivals/${festival.id}/dashboard`}>{t("dash.tab")}</NavLink>
          <NavLink to={`/admin/festivals/${festival.id}/programme`}>
            {t("festivalAdmin.programme")}
          </NavLink>
          <NavLink to={`/admin/festivals/${festival.id}/tickets`}>
            {t("festivalAdmin.tickets")}
          </NavLink>
          <NavLink to={`/admin/festivals/${festival.id}/orders`}>
            {t("festivalAdmin.orders")}
          </NavLink>
          <NavLink to={`/admin/festivals/${festival.id}/door`}>{t("festivalAdmin.door")}</NavLink>
          <NavLink to={`/admin/festivals/${festival.id}/poster`}>{t("admin.poster.title")}</NavLink>
          {canTattoo ? (
            <NavLink to={`/admin/festivals/${festival.id}/tattoo`}>
              {t("festivalAdmin.tattoo")}
            </NavLink>
          ) : null}
          {canCorner ? (
            <NavLink to={`/tattoo-corner/${festival.id}`}>
              {t("festivalAdmin.tattooCorner")}
            </NavLink>
          ) : null}
          {canMoney ? (
            <NavLink to={`/admin/festivals/${festival.id}/money`}>
              {t("festivalAdmin.money")}
            </NavLink>
          ) : null}
          {canCosts ? (
            <NavLink to={`/admin/festivals/${festival.id}/costs`}>
              {t("festivalAdmin.costs")}
            </NavLink>
          ) : null}
          {canAllocation ? (
            <NavLink to={`/admin/festivals/${festival.id}/allocation`}>
              {t("allocation.tab")}
            </NavLink>
          ) : null}
          {canTeam ? (
            <NavLink to={`/admin/festivals/${festival.id}/team`}>{t("festivalAdmin.team")}</NavLink>
          ) : null}
        </nav>
      )}
      {children}
    </section>
  );
}

export default function FestivalAdminLayout() {
  return (
    <FestivalFrame>
      <Outlet />
    </FestivalFrame>
  );
}

/**
 * The festival could not be loaded (unknown, not allowed): the admin navigation
 * stays. The sections have boundaries of their own, inside the festival's tabs.
 */
export function ErrorBoundary() {
  return <ErrorMessage />;
}
