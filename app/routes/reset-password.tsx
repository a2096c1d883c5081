import type { ActionFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useSearchParams } from "@remix-run/react";
import { Field, NewPasswordField, FormError } from "~/components/field";
import { resetInput, resetPassword } from "~/models/user.server";
import { field, readForm } from "~/utils/forms.server";
import { clientAddress } from "~/utils/http.server";
import { getTranslator } from "~/utils/i18n.server";
import { RateLimitedError, rateLimits } from "~/utils/rate-limit.server";
import { fieldErrors } from "~/utils/validation";
import { useT } from "~/utils/use-t";
import { passActionHeaders } from "~/utils/headers";

export const headers = passActionHeaders;

export const meta: MetaFunction = () => [{ title: "Choose a new password" }];

export async function action({ request, context }: ActionFunctionArgs) {
  const { t } = await getTranslator(request);
  const form = await readForm(request);
  const parsed = resetInput.safeParse({
    email: field(form, "email"),
    code: field(form, "code"),
    password: field(form, "password"),
  });
  if (!parsed.success)
    return data({ errors: fieldErrors(parsed.error, t), error: null }, { status: 400 });
  try {
    // Code guesses count against the same strict limits as reset requests.
    await rateLimits.passwordReset(parsed.data.email, clientAddress(context));
  } catch (e) {
    if (!(e instanceof RateLimitedError)) throw e;
    return data(
      {
        errors: {} as Record<string, string>,
        error: t("login.rateLimited", { seconds: e.retryAfterSeconds }),
      },
      { status: 429, headers: { "Retry-After": String(e.retryAfterSeconds) } },
    );
  }
  if (!(await resetPassword(parsed.data))) {
    return data(
      { errors: { code: t("reset.badCode") } as Record<string, string>, error: null },
      { status: 400 },
    );
  }
  return redirect("/login?reset=1");
}

export default function ResetPassword() {
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const t = useT();
  return (
    <section className="narrow">
      <h1>{t("reset.newTitle")}</h1>
      {params.get("sent") ? <p role="status">{t("reset.sent")}</p> : null}
      <Form method="post" noValidate>
        <FormError error={result?.error} />
        <Field
          label={t("field.email")}
          name="email"
          type="email"
          autoComplete="username"
          required
          defaultValue={params.get("email") ?? ""}
          maxLength={254}
          error={result?.errors.email}
        />
        <Field
          label={t("reset.code")}
          name="code"
          inputMode="numeric"
          autoComplete="one-time-code"
          required
          maxLength={6}
          error={result?.errors.code}
        />
        <NewPasswordField error={result?.errors.password} />
        <button type="submit" className="primary">
          {t("reset.submit")}
        </button>
      </Form>
      <p>
        <Link to="/forgot-password">{t("reset.again")}</Link>
      </p>
    </section>
  );
}
