import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { prisma } from "~/utils/db.server";
import { requireUserWith } from "~/utils/permissions.server";
import { useT } from "~/utils/use-t";
import { Table } from "~/components/table";

// Errors show inside the admin navigation (and the festival's tabs).
export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

export const meta: MetaFunction = () => [{ title: "Audit log" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireUserWith(request, "audit:read");
  const events = await prisma.auditEvent.findMany({ orderBy: { id: "desc" }, take: 200 });
  const actorIds = [
    ...new Set(events.map((e) => e.actorUserId).filter((x): x is string => Boolean(x))),
  ];
  const actors = await prisma.user.findMany({
    where: { id: { in: actorIds } },
    select: { id: true, email: true },
  });
  const emailOf = new Map(actors.map((a) => [a.id, a.email]));
  return {
    events: events.map((e) => ({
      id: e.id,
      at: e.at.toISOString(),
      actor: e.actorUserId ? (emailOf.get(e.actorUserId) ?? e.actorUserId) : "system",
      action: e.action,
      target: [e.targetType, e.targetId].filter(Boolean).join(" "),
      details: e.details === "{}" ? "" : e.details,
    })),
  };
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
              <td>{e.actor}</td>
              <td>{e.action}</td>
              <td className="mono">{e.target}</td>
              <td className="mono">{e.details}</td>
            </tr>
          ))}
        </tbody>
      </Table>
    </section>
  );
}
