import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { prisma } from "~/utils/db.server";
import { formatDateRange } from "~/utils/format";
import { requireSessionUser } from "~/utils/auth.server";
import { can, visibleFestivalIds } from "~/utils/permissions.server";
import { useLocale, useT } from "~/utils/use-t";
import { Table } from "~/components/table";

// Errors show inside the admin navigation (and the festival's tabs).
export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

export const meta: MetaFunction = () => [{ title: "Dashboard" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireSessionUser(request);
  const ids = visibleFestivalIds(user);
  const festivals = await prisma.festival.findMany({
    where: ids === null ? {} : { id: { in: ids } },
    orderBy: { startsAt: "desc" },
    select: {
      id: true,
      name: true,
      city: true,
      status: true,
      startsAt: true,
      endsAt: true,
      timezone: true,
    },
  });
  const doorIds = user.memberships.filter((m) => m.role === "door").map((m) => m.festivalId);
  const doors = doorIds.length
    ? await prisma.festival.findMany({
        where: { id: { in: doorIds } },
        select: { id: true, name: true, city: true },
      })
    : [];
  // The tattoo corner's board, for door staff and linked artists (organisers reach it from the festival's tabs).
  const cornerIds = user.memberships
    .filter((m) => m.role === "door" || m.role === "artist")
    .map((m) => m.festivalId);
  const corners = cornerIds.length
    ? await prisma.festival.findMany({
        where: { id: { in: cornerIds }, status: { not: "draft" } },
        select: { id: true, name: true, city: true },
      })
    : [];
  const moneyRole = user.role === "admin" || user.role === "treasurer";
  return {
    // Money roles without a (proved) second factor see a prompt (decision 0035).
    secondFactor: !moneyRole
      ? null
      : !user.totpEnrolled
        ? ("enrol" as const)
        : user.secondFactor
          ? null
          : ("verify" as const),
    name: user.name ?? user.email,
    canCreate: can(user, "festival:create"),
    canOverview: can(user, "festivals:overview"),
    festivals: festivals.map((f) => ({
      ...f,
      startsAt: f.startsAt.toISOString(),
      endsAt: f.endsAt.toISOString(),
    })),
    doors,
    corners,
  };
}

export default function Dashboard() {
  const { name, canCreate, canOverview, festivals, doors, corners, secondFactor } =
    useLoaderData<typeof loader>();
  const t = useT();
  const locale = useLocale();
  return (
    <section>
      <h1>{t("dashboard.title", { name })}</h1>
      {secondFactor ? (
        <p className="notice second-factor-prompt">
          {t(secondFactor === "enrol" ? "security.bannerEnrol" : "security.bannerVerify")}{" "}
          <Link to="/account/security?redirectTo=%2Fadmin">{t("security.bannerLink")}</Link>
        </p>
      ) : null}
      {canCreate ? (
        <p>
          <Link to="/admin/festivals/new" className="button primary">
            {t("dashboard.newFestival")}
          </Link>
        </p>
      ) : null}
      {canOverview ? (
        <p>
          <Link to="/admin/overview">{t("overview.link")}</Link>
        </p>
      ) : null}
      {festivals.length === 0 && doors.length === 0 && corners.length === 0 ? (
        <p>{t("dashboard.empty")}</p>
      ) : null}
      {festivals.length > 0 ? (
        <Table label={t("admin.festivals")}>
          <thead>
            <tr>
              <th>{t("field.festivalName")}</th>
              <th>{t("field.city")}</th>
              <th>{t("dashboard.dates")}</th>
              <th>{t("dashboard.status")}</th>
            </tr>
          </thead>
          <tbody>
            {festivals.map((f) => (
              <tr key={f.id}>
                <td>
                  <Link to={`/admin/festivals/${f.id}`}>{f.name}</Link>
                </td>
                <td>{f.city}</td>
                <td>{formatDateRange(f.startsAt, f.endsAt, locale, f.timezone)}</td>
                <td>
                  <span className={`badge status-${f.status}`}>
                    {t(`status.${f.status as "draft" | "published" | "cancelled"}`)}
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      ) : null}
      {doors.length > 0 ? (
        <>
          <h2>{t("dashboard.doors")}</h2>
          <ul>
            {doors.map((d) => (
              <li key={d.id}>
                {d.name} — {d.city}{" "}
                <Form method="post" action="/door/setup" className="inline">
                  <input type="hidden" name="festivalId" value={d.id} />
                  <button type="submit" className="primary">
                    {t("dashboard.openScanner")}
                  </button>
                </Form>
              </li>
            ))}
          </ul>
          <p className="muted">{t("dashboard.doorsHint")}</p>
        </>
      ) : null}
      {corners.length > 0 ? (
        <>
          <h2>{t("dashboard.tattooCorners")}</h2>
          <ul>
            {corners.map((c) => (
              <li key={c.id}>
                {c.name} — {c.city}{" "}
                <Link to={`/tattoo-corner/${c.id}`} className="button primary">
                  {t("dashboard.openCorner")}
                </Link>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
