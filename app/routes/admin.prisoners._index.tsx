import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Table } from "~/components/table";
import { listPrisonersAdmin } from "~/models/prisoner.server";
import { getTranslator } from "~/utils/i18n.server";
import { requireUserWith } from "~/utils/permissions.server";
import { useT } from "~/utils/use-t";

// Errors show inside the admin navigation.
export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

export const meta: MetaFunction = () => [{ title: "Prisoners" }];

/** The prisoner registry for its managers (prisoners:manage: admins and treasurers). */
export async function loader({ request }: LoaderFunctionArgs) {
  await requireUserWith(request, "prisoners:manage");
  const { locale } = await getTranslator(request);
  return { prisoners: await listPrisonersAdmin(locale) };
}

export default function AdminPrisoners() {
  const { prisoners } = useLoaderData<typeof loader>();
  const t = useT();
  return (
    <section>
      <h1>{t("prisonerAdmin.title")}</h1>
      <p>
        <Link to="/admin/prisoners/new" className="button primary">
          {t("prisonerAdmin.new")}
        </Link>{" "}
        <Link to="/prisoners">{t("prisonerAdmin.publicList")}</Link>
      </p>
      {prisoners.length === 0 ? <p>{t("prisoners.none")}</p> : null}
      {prisoners.length > 0 ? (
        <Table label={t("prisonerAdmin.title")}>
          <thead>
            <tr>
              <th>{t("prisonerAdmin.nameColumn")}</th>
              <th>{t("prisonerAdmin.status")}</th>
              <th>{t("prisonerAdmin.heldAt")}</th>
              <th>{t("prisonerAdmin.letters")}</th>
              <th>{t("prisonerAdmin.festivals")}</th>
            </tr>
          </thead>
          <tbody>
            {prisoners.map((p) => (
              <tr key={p.id}>
                <td>
                  {p.photo ? (
                    <img src={p.photo.thumbUrl} alt="" width={40} className="thumb" />
                  ) : null}{" "}
                  <Link to={`/admin/prisoners/${p.id}`}>{p.name}</Link>
                  <div className="muted mono">{p.slug}</div>
                </td>
                <td>{t(`prisoners.status.${p.status}`)}</td>
                <td>{p.heldAt ?? "—"}</td>
                <td>
                  {!p.lettersAddress
                    ? t("prisonerAdmin.lettersNone")
                    : p.lettersSafe
                      ? t("prisonerAdmin.lettersShown")
                      : t("prisonerAdmin.lettersHidden")}
                </td>
                <td>{p.festivals}</td>
              </tr>
            ))}
          </tbody>
        </Table>
      ) : null}
    </section>
  );
}
