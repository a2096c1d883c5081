// The treasury (treasurers and admins with a proved second factor): fund
// balances, recipients, payouts, the tranche planner, exchanges and transfers.
// Each page checks the permission itself too (loaders run in parallel).
import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { NavLink, Outlet } from "@remix-run/react";
import { ErrorMessage } from "~/components/error-message";
import { requireUserWith } from "~/utils/permissions.server";
import { useT } from "~/utils/use-t";
import treasuryStyles from "~/styles/treasury.css";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: treasuryStyles }];

export const meta: MetaFunction = () => [{ title: "Treasury" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireUserWith(request, "treasury");
  return null;
}

const TABS = [
  ["/admin/treasury", "treasury.tab.funds"],
  ["/admin/treasury/recipients", "treasury.tab.recipients"],
  ["/admin/treasury/payouts", "treasury.tab.payouts"],
  ["/admin/treasury/plan", "treasury.tab.plan"],
  ["/admin/treasury/transfers", "treasury.tab.transfers"],
  ["/admin/treasury/exchanges", "treasury.tab.exchanges"],
] as const;

export default function TreasuryLayout() {
  const t = useT();
  return (
    <section className="treasury">
      <h1>{t("treasury.title")}</h1>
      <nav className="tabs" aria-label={t("treasury.sections")}>
        {TABS.map(([to, key]) => (
          <NavLink key={to} to={to} end={to === "/admin/treasury"}>
            {t(key)}
          </NavLink>
        ))}
      </nav>
      <Outlet />
    </section>
  );
}

/** Refused (not a money role) or failed: the admin navigation stays (admin.tsx). */
export function ErrorBoundary() {
  return <ErrorMessage />;
}
