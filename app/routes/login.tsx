import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useNavigation, useSearchParams } from "@remix-run/react";
import { Field, FormError } from "~/components/field";
import { PASSWORD_MAX_LENGTH } from "~/models/choices";
import { checkCredentials, getSessionUser } from "~/utils/auth.server";
import { field, formFailure, rateLimitedMessage, readForm } from "~/utils/forms.server";
import { clientAddress } from "~/utils/http.server";
import { getTranslator } from "~/utils/i18n.server";
import { SECOND_FACTOR_PAGE } from "~/utils/permissions.server";
import { safeRedirect, signIn } from "~/utils/session.server";
import { hasSecondFactor } from "~/utils/two-factor.server";
import { useT } from "~/utils/use-t";
import { passActionHeaders } from "~/utils/headers";

export const headers = passActionHeaders;

export const meta: MetaFunction = () => [{ title: "Sign in" }];

export async function loader({ request }: LoaderFunctionArgs) {
  if (await getSessionUser(request)) throw redirect("/admin");
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { t } = await getTranslator(request);
  const form = await readForm(request);
  const email = (field(form, "email") ?? "").slice(0, 254);
  const password = (field(form, "password") ?? "").slice(0, 1000);
  const redirectTo = safeRedirect(field(form, "redirectTo"));
  if (!email || !password) {
    return data({ error: t("login.missing"), email }, { status: 400 });
  }
  try {
    const userId = await checkCredentials(email, password, clientAddress(context));
    if (!userId) return data({ error: t("login.invalid"), email }, { status: 401 });
    // With a second factor: signed in, then its second step (decision 0035). Until
    // it is done the session works, but money pages send it back there.
    if (await hasSecondFactor(userId))
      return signIn(
        request,
        userId,
        `${SECOND_FACTOR_PAGE}?${new URLSearchParams({ redirectTo, signin: "1" })}`,
      );
    return signIn(request, userId, redirectTo);
  } catch (e) {
    const failed = formFailure(e, t, rateLimitedMessage(t));
    return data(
      { error: failed.errors._form, email },
      { status: failed.status, headers: failed.headers },
    );
  }
}

export default function Login() {
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const navigation = useNavigation();
  const t = useT();
  return (
    <section className="narrow">
      <h1>{t("login.title")}</h1>
      <Form method="post" noValidate>
        <input type="hidden" name="redirectTo" value={params.get("redirectTo") ?? "/admin"} />
        <FormError error={result?.error} />
        <Field
          label={t("field.email")}
          name="email"
          type="email"
          autoComplete="username"
          required
          defaultValue={result?.email}
          maxLength={254}
        />
        <Field
          label={t("field.password")}
          name="password"
          type="password"
          autoComplete="current-password"
          required
          maxLength={PASSWORD_MAX_LENGTH}
        />
        <button type="submit" className="primary" disabled={navigation.state === "submitting"}>
          {t("login.submit")}
        </button>
      </Form>
      <p>
        <Link to="/forgot-password">{t("login.forgot")}</Link>
      </p>
    </section>
  );
}
