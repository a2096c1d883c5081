import type { ActionFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, useActionData, useSearchParams } from "@remix-run/react";
import { Field, FormError } from "~/components/field";
import { RESET_LINK_MINUTES } from "~/models/choices";
import { requestPasswordReset } from "~/models/user.server";
import { field, formFailure, rateLimitedMessage, readForm } from "~/utils/forms.server";
import { clientAddress } from "~/utils/http.server";
import { getTranslator } from "~/utils/i18n.server";
import { rateLimits } from "~/utils/rate-limit.server";
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
  let send: boolean;
  try {
    send = await rateLimits.passwordResetRequest(parsed.data, clientAddress(context));
  } catch (e) {
    const failed = formFailure(e, t, rateLimitedMessage(t));
    return data(
      { fieldError: null, error: failed.errors._form },
      { status: failed.status, headers: failed.headers },
    );
  }
  if (send) await requestPasswordReset(parsed.data, locale);
  // Same answer whether or not the account exists; the address stays out of the URL.
  return redirect("/forgot-password?sent=1");
}

export default function ForgotPassword() {
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const t = useT();
  return (
    <section className="narrow">
      <h1>{t("reset.title")}</h1>
      {params.get("sent") ? (
        <p role="status">{t("reset.sent", { minutes: RESET_LINK_MINUTES })}</p>
      ) : (
        <p>{t("reset.requestIntro", { minutes: RESET_LINK_MINUTES })}</p>
      )}
      <Form method="post" action="/forgot-password" noValidate>
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
          {params.get("sent") ? t("reset.again") : t("reset.send")}
        </button>
      </Form>
    </section>
  );
}
