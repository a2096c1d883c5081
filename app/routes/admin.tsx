import type { LoaderFunctionArgs } from "@remix-run/node";
import { NavLink, Outlet, useLoaderData } from "@remix-run/react";
import { requireSessionUser } from "~/utils/auth.server";
import { can } from "~/utils/permissions.server";
import { useT } from "~/utils/use-t";

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireSessionUser(request);
  return {
    canManageUsers: can(user, "users:manage"),
    canReadAudit: can(user, "audit:read"),
    canCreate: can(user, "festival:create"),
  };
}

export default function AdminLayout() {
  const { canManageUsers, canReadAudit } = useLoaderData<typeof loader>();
  const t = useT();
  return (
    <div className="admin">
      <nav className="subnav" aria-label={t("admin.nav")}>
        <NavLink to="/admin" end>
          {t("admin.festivals")}
        </NavLink>
        {canManageUsers ? <NavLink to="/admin/users">{t("admin.users")}</NavLink> : null}
        {canReadAudit ? <NavLink to="/admin/audit">{t("admin.audit")}</NavLink> : null}
        {canManageUsers ? <NavLink to="/admin/privacy">{t("admin.privacy")}</NavLink> : null}
      </nav>
      <Outlet />
    </div>
  );
}
