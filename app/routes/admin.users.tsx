import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { Field, FormError } from "~/components/field";
import { GLOBAL_ROLES } from "~/models/choices";
import { ConflictError, createUser, newUserInput } from "~/models/user.server";
import { prisma } from "~/utils/db.server";
import { field, readForm } from "~/utils/forms.server";
import { getTranslator } from "~/utils/i18n.server";
import { requireUserWith } from "~/utils/permissions.server";
import { fieldErrors } from "~/utils/validation";
import { useT } from "~/utils/use-t";

// Errors show inside the admin navigation (and the festival's tabs).
export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

export const meta: MetaFunction = () => [{ title: "Users" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireUserWith(request, "users:manage");
  const users = await prisma.user.findMany({
    orderBy: { createdAt: "asc" },
    select: { id: true, email: true, name: true, role: true, passwordHash: true, disabledAt: true },
  });
  return {
    users: users.map(({ passwordHash, ...u }) => ({ ...u, active: Boolean(passwordHash) })),
  };
}

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUserWith(request, "users:manage");
  const { t, locale } = await getTranslator(request);
  const form = await readForm(request);
  const raw = { email: field(form, "email"), name: field(form, "name"), role: field(form, "role") };
  const parsed = newUserInput.safeParse(raw);
  if (!parsed.success)
    return data({ errors: fieldErrors(parsed.error, t), invited: false }, { status: 400 });
  try {
    await createUser(user, parsed.data, { locale, request });
  } catch (e) {
    if (e instanceof ConflictError)
      return data(
        { errors: { email: t("users.emailTaken") } as Record<string, string>, invited: false },
        { status: 409 },
      );
    throw e;
  }
  return { errors: {} as Record<string, string>, invited: true };
}

export default function Users() {
  const { users } = useLoaderData<typeof loader>();
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
      <table className="table">
        <thead>
          <tr>
            <th>{t("field.email")}</th>
            <th>{t("field.name")}</th>
            <th>{t("users.role")}</th>
            <th>{t("users.state")}</th>
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
            </tr>
          ))}
        </tbody>
      </table>
      <Form method="post" noValidate className="card">
        <h2>{t("users.invite")}</h2>
        <FormError error={e._form} />
        <Field
          label={t("field.email")}
          name="email"
          type="email"
          required
          maxLength={254}
          error={e.email}
        />
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
