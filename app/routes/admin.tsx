import type { LoaderFunctionArgs } from "@remix-run/node";
import { NavLink, Outlet, useRouteLoaderData } from "@remix-run/react";
import type { ReactNode } from "react";
import { ErrorMessage } from "~/components/error-message";
import { requireSessionUser } from "~/utils/auth.server";
import { can } from "~/utils/permissions.server";
import { useT } from "~/utils/use-t";

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireSessionUser(request);
  return {
    canManageUsers: can(user, "users:manage"),
    canReadAudit: can(user, "audit:read"),
    canCreate: can(user, "festival:create"),
    canPreviewEmails: can(user, "emails:preview"),
    canManagePrisoners: can(user, "prisoners:manage"),
    // Money roles; the treasury asks for the second factor itself when it is not proved yet.
    canTreasury: user.role === "admin" || user.role === "treasurer",
  };
}

/** The admin navigation around a page, or around the error that replaced it. */
function AdminFrame({ children }: { children: ReactNode }) {
  const data = useRouteLoaderData<typeof loader>("routes/admin");
  const t = useT();
  return (
    <div className="admin">
      <nav className="subnav" aria-label={t("admin.nav")}>
        <NavLink to="/admin" end>
          {t("admin.festivals")}
        </NavLink>
        {data?.canManagePrisoners ? (
          <NavLink to="/admin/prisoners">{t("admin.prisoners")}</NavLink>
        ) : null}
        {data?.canManageUsers ? <NavLink to="/admin/users">{t("admin.users")}</NavLink> : null}
        {data?.canTreasury ? <NavLink to="/admin/treasury">{t("treasury.nav")}</NavLink> : null}
        {data?.canReadAudit ? <NavLink to="/admin/audit">{t("admin.audit")}</NavLink> : null}
        {data?.canPreviewEmails ? <NavLink to="/admin/emails">{t("emails.nav")}</NavLink> : null}
        {data?.canManageUsers ? <NavLink to="/admin/privacy">{t("admin.privacy")}</NavLink> : null}
      </nav>
      {children}
    </div>
  );
}

export default function AdminLayout() {
  return (
    <AdminFrame>
      <Outlet />
    </AdminFrame>
  );
}

/** An error in an admin page keeps the admin navigation. */
export function ErrorBoundary() {
  return (
    <AdminFrame>
      <ErrorMessage />
    </AdminFrame>
  );
}
