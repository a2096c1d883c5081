import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { EmailField, Field, FormError } from "~/components/field";
import { GLOBAL_ROLES } from "~/models/choices";
import { createUser, deleteUser, newUserInput, setUserDisabled } from "~/models/user.server";
import { prisma } from "~/utils/db.server";
import { field, formFailure, readForm } from "~/utils/forms.server";
import { getTranslator } from "~/utils/i18n.server";
import { requireUserWith } from "~/utils/permissions.server";
import { fieldErrors } from "~/utils/validation";
import { useT } from "~/utils/use-t";
import { Table } from "~/components/table";

// Errors show inside the admin navigation (and the festival's tabs).
export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

export const meta: MetaFunction = () => [{ title: "Users" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const me = await requireUserWith(request, "users:manage");
  const users = await prisma.user.findMany({
    orderBy: { createdAt: "asc" },
    select: { id: true, email: true, name: true, role: true, passwordHash: true, disabledAt: true },
  });
  return {
    users: users.map(({ passwordHash, ...u }) => ({ ...u, active: Boolean(passwordHash) })),
    me: me.id,
  };
}

type Result = {
  errors: Record<string, string>;
  invited: boolean;
  done?: "disabledDone" | "enabledDone" | "deletedDone";
  confirmDelete?: { id: string; email: string };
};

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUserWith(request, "users:manage");
  const { t, locale } = await getTranslator(request);
  const form = await readForm(request);
  const intent = field(form, "intent");
  if (intent === "disable" || intent === "enable" || intent === "delete") {
    const userId = (field(form, "userId") ?? "").slice(0, 64);
    const none: Result = { errors: {}, invited: false };
    try {
      if (intent === "delete") {
        // Irreversible: a second submit (the confirmation form) does it.
        if (field(form, "confirm") !== "yes") {
          const target = await prisma.user.findUnique({
            where: { id: userId },
            select: { id: true, email: true },
          });
          return { ...none, confirmDelete: target ?? undefined };
        }
        await deleteUser(user, userId);
        return { ...none, done: "deletedDone" as const };
      }
      await setUserDisabled(user, userId, intent === "disable");
      return { ...none, done: intent === "disable" ? "disabledDone" : "enabledDone" } as Result;
    } catch (e) {
      const failed = formFailure(e, t, { self_action: t("users.notSelf") });
      return data({ ...none, errors: failed.errors } as Result, { status: failed.status });
    }
  }
  const raw = { email: field(form, "email"), name: field(form, "name"), role: field(form, "role") };
  const parsed = newUserInput.safeParse(raw);
  if (!parsed.success)
    return data({ errors: fieldErrors(parsed.error, t), invited: false } as Result, {
      status: 400,
    });
  try {
    await createUser(user, parsed.data, { locale });
  } catch (e) {
    const failed = formFailure(e, t, { email_taken: { email: t("users.emailTaken") } });
    return data({ errors: failed.errors, invited: false } as Result, { status: failed.status });
  }
  return { errors: {}, invited: true } as Result;
}

export default function Users() {
  const { users, me } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const e = result?.errors ?? {};
  return (
    <section>
      <h1>{t("admin.users")}</h1>
      {result?.invited ? (
        <p role="status" className="notice">
          {t("users.invited")}
        </p>
      ) : null}
      {result?.done ? (
        <p role="status" className="notice">
          {t(`users.${result.done}`)}
        </p>
      ) : null}
      <FormError error={e._form} />
      {result?.confirmDelete ? (
        <Form method="post" className="card" role="alertdialog" aria-labelledby="delete-confirm">
          <p id="delete-confirm">
            {t("users.deleteConfirm", { email: result.confirmDelete.email })}
          </p>
          <input type="hidden" name="userId" value={result.confirmDelete.id} />
          <input type="hidden" name="confirm" value="yes" />
          <button type="submit" name="intent" value="delete" className="danger">
            {t("users.deleteConfirmSubmit")}
          </button>{" "}
          <a href="/admin/users">{t("users.deleteCancel")}</a>
        </Form>
      ) : null}
      <Table label={t("admin.users")}>
        <thead>
          <tr>
            <th>{t("field.email")}</th>
            <th>{t("field.name")}</th>
            <th>{t("users.role")}</th>
            <th>{t("users.state")}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.id}>
              <td>{u.email}</td>
              <td>{u.name}</td>
              <td>{t(`role.${u.role as "admin" | "treasurer" | "member"}`)}</td>
              <td>
                {u.disabledAt
                  ? t("users.disabled")
                  : u.active
                    ? t("users.active")
                    : t("users.pending")}
              </td>
              <td>
                {u.id === me ? null : (
                  <Form method="post" className="inline">
                    <input type="hidden" name="userId" value={u.id} />
                    <button
                      type="submit"
                      name="intent"
                      value={u.disabledAt ? "enable" : "disable"}
                      className="link"
                    >
                      {t(u.disabledAt ? "users.enable" : "users.disable")}
                    </button>{" "}
                    <button type="submit" name="intent" value="delete" className="link danger">
                      {t("users.delete")}
                    </button>
                  </Form>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </Table>
      <Form method="post" noValidate className="card">
        <h2>{t("users.invite")}</h2>
        <EmailField label={t("field.email")} error={e.email} />
        <Field label={t("field.name")} name="name" maxLength={120} error={e.name} />
        <div className="field">
          <label htmlFor="role">{t("users.role")}</label>
          <select id="role" name="role" defaultValue="member">
            {GLOBAL_ROLES.map((r) => (
              <option key={r} value={r}>
                {t(`role.${r}`)}
              </option>
            ))}
          </select>
          {e.role ? <p className="field-error">{e.role}</p> : null}
        </div>
        <button type="submit" className="primary">
          {t("users.inviteSubmit")}
        </button>
      </Form>
    </section>
  );
}
