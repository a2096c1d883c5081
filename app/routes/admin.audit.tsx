import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { auditLog } from "~/models/audit-log.server";
import { getLocale } from "~/utils/i18n.server";
import { requireUserWith } from "~/utils/permissions.server";
import { useT } from "~/utils/use-t";
import { Table } from "~/components/table";

// Errors show inside the admin navigation (and the festival's tabs).
export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

export const meta: MetaFunction = () => [{ title: "Audit log" }];

/** The newest audit rows, in names: app/models/audit-log.server.ts (batched look-ups). */
export async function loader({ request }: LoaderFunctionArgs) {
  await requireUserWith(request, "audit:read");
  return { events: await auditLog(await getLocale(request)) };
}

export default function Audit() {
  const { events } = useLoaderData<typeof loader>();
  const t = useT();
  return (
    <section>
      <h1>{t("admin.audit")}</h1>
      <Table label={t("admin.audit")}>
        <thead>
          <tr>
            <th>{t("audit.when")}</th>
            <th>{t("audit.who")}</th>
            <th>{t("audit.what")}</th>
            <th>{t("audit.festival")}</th>
            <th>{t("audit.target")}</th>
            <th>{t("audit.details")}</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr key={e.id}>
              <td>
                <time dateTime={e.at}>{e.at.replace("T", " ").slice(0, 19)} UTC</time>
              </td>
              <td>{e.actor === null ? t("audit.system") : e.actor || t("audit.deletedUser")}</td>
              <td>{e.action}</td>
              <td>{e.festival}</td>
              <td>
                {e.targetType ? <span className="muted">{e.targetType}</span> : null}
                {e.target ? <> {e.target}</> : null}
              </td>
              <td>
                {e.details.map(([k, v]) => (
                  <span key={k} className="audit-detail">
                    {k}: {v}{" "}
                  </span>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </Table>
    </section>
  );
}
