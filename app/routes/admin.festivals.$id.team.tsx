import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { ConfirmButton } from "~/components/confirm-button";
import { EmailField } from "~/components/field";
import { getFestivalOrThrow } from "~/models/festival.server";
import { FESTIVAL_ROLES } from "~/models/choices";
import { addFestivalMember, memberInput, removeFestivalMember } from "~/models/user.server";
import { prisma } from "~/utils/db.server";
import { confirmationError, field, formFailure, readForm } from "~/utils/forms.server";
import { errorResponse } from "~/utils/http.server";
import { getTranslator } from "~/utils/i18n.server";
import { requireUserWith } from "~/utils/permissions.server";
import { fieldErrors } from "~/utils/validation";
import { useT } from "~/utils/use-t";
import { Table } from "~/components/table";

// Errors show inside the admin navigation (and the festival's tabs).
export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUserWith(request, "festival:team", params.id);
  const festival = await getFestivalOrThrow(params.id);
  const rows = await prisma.festivalMember.findMany({
    where: { festivalId: festival.id },
    select: { role: true, user: { select: { id: true, email: true, name: true, role: true } } },
    orderBy: { createdAt: "asc" },
  });
  // The creator's and admins' standing is for admins to change (addFestivalMember).
  const members = rows.map(({ role, user: { role: globalRole, ...person } }) => ({
    role,
    user: person,
    fixed: user.role !== "admin" && (globalRole === "admin" || person.id === festival.createdById),
  }));
  const invitations = await prisma.invitation.findMany({
    where: { festivalId: festival.id, acceptedAt: null, expiresAt: { gt: new Date() } },
    select: { id: true, email: true, festivalRole: true },
  });
  return { members, invitations };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUserWith(request, "festival:team", params.id);
  const festival = await getFestivalOrThrow(params.id);
  const { t, locale } = await getTranslator(request);
  const form = await readForm(request);
  const intent = field(form, "intent");
  if (intent === "remove") {
    const refused = confirmationError(form, t);
    if (refused)
      return data(
        { errors: { _form: refused } as Record<string, string>, status: null },
        { status: 400 },
      );
    const userId = (field(form, "userId") ?? "").slice(0, 64);
    if (userId === user.id)
      return data(
        { errors: { _form: t("team.cannotRemoveSelf") } as Record<string, string>, status: null },
        { status: 400 },
      );
    try {
      await removeFestivalMember(user, festival, userId);
    } catch (e) {
      return refusal(formFailure(e, t, { protected_member: t("team.protected") }));
    }
    return { errors: {} as Record<string, string>, status: null };
  }
  if (intent !== "add") throw errorResponse(400, "bad_intent", "Unknown action.");
  const parsed = memberInput.safeParse({ email: field(form, "email"), role: field(form, "role") });
  if (!parsed.success)
    return data({ errors: fieldErrors(parsed.error, t), status: null }, { status: 400 });
  try {
    const result = await addFestivalMember(user, festival, parsed.data, { locale });
    return { errors: {} as Record<string, string>, status: result.status };
  } catch (e) {
    return refusal(formFailure(e, t, { protected_member: t("team.protected") }));
  }
}

function refusal(failed: ReturnType<typeof formFailure>) {
  return data({ errors: failed.errors, status: null }, { status: failed.status });
}

export default function Team() {
  const { members, invitations } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const e = result?.errors ?? {};
  return (
    <>
      <h2>{t("festivalAdmin.team")}</h2>
      {result?.status ? (
        <p role="status" className="notice">
          {t(result.status === "updated" ? "team.updated" : "team.invited")}
        </p>
      ) : null}
      {e._form ? <p className="form-error">{e._form}</p> : null}
      <Table label={t("festivalAdmin.team")}>
        <thead>
          <tr>
            <th>{t("field.email")}</th>
            <th>{t("field.name")}</th>
            <th>{t("team.role")}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {members.map((m) => (
            <tr key={m.user.id}>
              <td>{m.user.email}</td>
              <td>{m.user.name}</td>
              <td>
                {t(
                  m.role === "door"
                    ? "role.door"
                    : m.role === "artist"
                      ? "role.artist"
                      : "role.organiser",
                )}
              </td>
              <td>
                {m.fixed ? (
                  <span className="muted">{t("team.fixed")}</span>
                ) : (
                  <ConfirmButton
                    label={t("team.remove")}
                    warning={t("team.removeWarning", { name: m.user.name ?? m.user.email })}
                    confirmLabel={t("team.removeConfirm")}
                    intent="remove"
                  >
                    <input type="hidden" name="userId" value={m.user.id} />
                  </ConfirmButton>
                )}
              </td>
            </tr>
          ))}
          {invitations.map((i) => (
            <tr key={i.id}>
              <td>{i.email}</td>
              <td className="muted">{t("team.pending")}</td>
              <td>{t(i.festivalRole === "door" ? "role.door" : "role.organiser")}</td>
              <td />
            </tr>
          ))}
        </tbody>
      </Table>
      <Form method="post" noValidate className="card">
        <h3>{t("team.add")}</h3>
        <EmailField label={t("field.email")} error={e.email} />
        <div className="field">
          <label htmlFor="role">{t("team.role")}</label>
          <select id="role" name="role" defaultValue="door">
            {FESTIVAL_ROLES.map((r) => (
              <option key={r} value={r}>
                {t(r === "door" ? "role.door" : "role.organiser")}
              </option>
            ))}
          </select>
          {e.role ? <p className="field-error">{e.role}</p> : null}
        </div>
        <button type="submit" name="intent" value="add" className="primary">
          {t("team.addSubmit")}
        </button>
      </Form>
    </>
  );
}
