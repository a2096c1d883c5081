import type { ActionFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, useActionData } from "@remix-run/react";
import { Field, FormError } from "~/components/field";
import { requestPasswordReset } from "~/models/user.server";
import { field, readForm } from "~/utils/forms.server";
import { clientAddress } from "~/utils/http.server";
import { getTranslator } from "~/utils/i18n.server";
import { RateLimitedError, rateLimits } from "~/utils/rate-limit.server";
import { email as emailSchema } from "~/utils/validation";
import { useT } from "~/utils/use-t";
import { passActionHeaders } from "~/utils/headers";

export const headers = passActionHeaders;

export const meta: MetaFunction = () => [{ title: "Reset password" }];

export async function action({ request, context }: ActionFunctionArgs) {
  const { t, locale } = await getTranslator(request);
  const form = await readForm(request);
  const parsed = emailSchema.safeParse(field(form, "email") ?? "");
  if (!parsed.success) return data({ fieldError: t("field.emailInvalid") }, { status: 400 });
  try {
    await rateLimits.passwordReset(parsed.data, clientAddress(context));
  } catch (e) {
    if (!(e instanceof RateLimitedError)) throw e;
    return data(
      { fieldError: null, error: t("login.rateLimited", { seconds: e.retryAfterSeconds }) },
      { status: 429, headers: { "Retry-After": String(e.retryAfterSeconds) } },
    );
  }
  await requestPasswordReset(parsed.data, locale, request);
  // Same answer whether or not the account exists.
  return redirect(`/reset-password?${new URLSearchParams({ email: parsed.data, sent: "1" })}`);
}

export default function ForgotPassword() {
  const result = useActionData<typeof action>();
  const t = useT();
  return (
    <section className="narrow">
      <h1>{t("reset.title")}</h1>
      <p>{t("reset.requestIntro")}</p>
      <Form method="post" noValidate>
        <FormError error={result && "error" in result ? result.error : null} />
        <Field
          label={t("field.email")}
          name="email"
          type="email"
          autoComplete="email"
          required
          maxLength={254}
          error={result?.fieldError}
        />
        <button type="submit" className="primary">
          {t("reset.send")}
        </button>
      </Form>
    </section>
  );
}
