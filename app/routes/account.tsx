import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { Field, FocusFirstError, NewPasswordField } from "~/components/field";
import { PASSWORD_MAX_LENGTH } from "~/models/choices";
import {
  changePassword,
  passwordChangeInput,
  profileInput,
  updateProfile,
} from "~/models/user.server";
import { requireSessionUser } from "~/utils/auth.server";
import { field, readForm } from "~/utils/forms.server";
import { errorResponse } from "~/utils/http.server";
import { getTranslator } from "~/utils/i18n.server";
import { readSessionId } from "~/utils/session.server";
import { fieldErrors } from "~/utils/validation";
import { useT } from "~/utils/use-t";

export const meta: MetaFunction = () => [{ title: "Account" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireSessionUser(request);
  return { email: user.email, name: user.name ?? "", role: user.role };
}

type Result = { errors: Record<string, string>; done: "profile" | "password" | null };

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireSessionUser(request);
  const { t } = await getTranslator(request);
  const form = await readForm(request);
  const intent = field(form, "intent");
  if (intent === "profile") {
    const parsed = profileInput.safeParse({ name: field(form, "name") });
    if (!parsed.success)
      return data<Result>({ errors: fieldErrors(parsed.error, t), done: null }, { status: 400 });
    await updateProfile(user, parsed.data);
    return { errors: {}, done: "profile" } satisfies Result;
  }
  if (intent === "password") {
    const parsed = passwordChangeInput.safeParse({
      currentPassword: field(form, "currentPassword"),
      password: field(form, "password"),
    });
    if (!parsed.success)
      return data<Result>({ errors: fieldErrors(parsed.error, t), done: null }, { status: 400 });
    if (!(await changePassword(user, parsed.data, await readSessionId(request)))) {
      return data<Result>(
        { errors: { currentPassword: t("account.wrongPassword") }, done: null },
        { status: 400 },
      );
    }
    return { errors: {}, done: "password" } satisfies Result;
  }
  throw errorResponse(400, "bad_intent", "Unknown action.");
}

export default function Account() {
  const { email, name, role } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const e: Record<string, string> = result?.errors ?? {};
  return (
    <section className="narrow">
      <h1>{t("account.title")}</h1>
      <p>
        {email} · {t(`role.${role}`)}
      </p>
      <p>
        <Link to="/account/security">{t("security.title")}</Link>
      </p>
      {result?.done ? (
        <p role="status" className="notice">
          {t(result.done === "profile" ? "account.profileSaved" : "account.passwordChanged")}
        </p>
      ) : null}
      <Form method="post" noValidate className="card">
        <Field
          label={t("field.name")}
          name="name"
          autoComplete="name"
          maxLength={120}
          defaultValue={name}
          error={e.name}
        />
        <button type="submit" name="intent" value="profile" className="primary">
          {t("festivalForm.save")}
        </button>
      </Form>
      <Form method="post" noValidate className="card">
        <h2>{t("account.changePassword")}</h2>
        <FocusFirstError errors={result?.done === null ? e : null} />
        <input type="hidden" name="username" autoComplete="username" value={email} />
        <Field
          label={t("account.currentPassword")}
          name="currentPassword"
          type="password"
          autoComplete="current-password"
          required
          maxLength={PASSWORD_MAX_LENGTH}
          error={e.currentPassword}
        />
        <NewPasswordField error={e.password} />
        <button type="submit" name="intent" value="password" className="primary">
          {t("account.changePassword")}
        </button>
      </Form>
    </section>
  );
}
