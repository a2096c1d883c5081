// The page a reset email links to: its URL carries only an opaque token
// (decision 0015); the person chooses a new password.
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { FormError, NewPasswordField } from "~/components/field";
import { completePasswordReset, isPasswordResetLive, resetInput } from "~/models/user.server";
import { field, formFailure, rateLimitedMessage, readForm } from "~/utils/forms.server";
import { clientAddress } from "~/utils/http.server";
import { getTranslator } from "~/utils/i18n.server";
import { rateLimits } from "~/utils/rate-limit.server";
import { fieldErrors } from "~/utils/validation";
import { useT } from "~/utils/use-t";
import { passActionHeaders } from "~/utils/headers";

export const headers = passActionHeaders;

export const meta: MetaFunction = () => [{ title: "Choose a new password" }];

export async function loader({ params }: LoaderFunctionArgs) {
  const live = await isPasswordResetLive(params.token ?? "");
  return data({ live }, { status: live ? 200 : 404 });
}

type Result = { errors: Record<string, string>; error: string | null };

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { t } = await getTranslator(request);
  const form = await readForm(request);
  const parsed = resetInput.safeParse({ password: field(form, "password") });
  if (!parsed.success)
    return data<Result>({ errors: fieldErrors(parsed.error, t), error: null }, { status: 400 });
  const address = clientAddress(context);
  try {
    await rateLimits.passwordResetLink(address);
  } catch (e) {
    const failed = formFailure(e, t, rateLimitedMessage(t));
    return data<Result>(
      { errors: {}, error: failed.errors._form ?? null },
      { status: failed.status, headers: failed.headers },
    );
  }
  const done = await completePasswordReset(params.token ?? "", parsed.data);
  if (!done) return data<Result>({ errors: {}, error: t("reset.badLink") }, { status: 400 });
  // The owner proved the account is theirs from here: this address may sign in at once.
  await rateLimits.accountProven(done.email, address);
  return redirect("/login?reset=1");
}

export default function ResetPassword() {
  const { live } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  return (
    <section className="narrow">
      <h1>{t("reset.newTitle")}</h1>
      {live ? (
        <Form method="post" noValidate>
          <FormError error={result?.error} />
          <NewPasswordField error={result?.errors.password} />
          <button type="submit" className="primary">
            {t("reset.submit")}
          </button>
        </Form>
      ) : (
        <FormError error={t("reset.badLink")} />
      )}
      <p>
        <Link to="/forgot-password">{t("reset.again")}</Link>
      </p>
    </section>
  );
}
