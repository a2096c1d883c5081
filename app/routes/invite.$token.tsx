import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { Field, NewPasswordField } from "~/components/field";
import {
  acceptInvitation,
  acceptInvitationAs,
  acceptInvitationInput,
  findInvitation,
  SignInToAcceptError,
} from "~/models/user.server";
import { getSessionUser } from "~/utils/auth.server";
import { field, formFailure, readForm } from "~/utils/forms.server";
import { notFound } from "~/utils/http.server";
import { getTranslator } from "~/utils/i18n.server";
import { signIn } from "~/utils/session.server";
import { fieldErrors } from "~/utils/validation";
import { useT } from "~/utils/use-t";

export const meta: MetaFunction = () => [{ title: "Invitation" }];

const deadLink = () => notFound("This invitation does not exist or has expired.");

/**
 * A newcomer chooses a password here. An address that already has an account
 * accepts by signing in as it and confirming: the link never sets its password.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const invitation = await findInvitation(params.token ?? "");
  if (!invitation) throw deadLink();
  const signedIn = invitation.hasAccount ? await getSessionUser(request) : null;
  return {
    email: invitation.email,
    festivalName: invitation.festival?.name ?? null,
    festivalRole: invitation.festivalRole,
    hasAccount: invitation.hasAccount,
    signedInAs: signedIn?.email ?? null,
    path: new URL(request.url).pathname,
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { t } = await getTranslator(request);
  const token = params.token ?? "";
  const form = await readForm(request);
  if (field(form, "intent") === "accept") {
    const user = await getSessionUser(request);
    if (!user) {
      if (!(await findInvitation(token))) throw deadLink();
      throw redirect(
        `/login?${new URLSearchParams({ redirectTo: new URL(request.url).pathname })}`,
      );
    }
    const accepted = await acceptInvitationAs(token, user);
    if (!accepted) throw deadLink();
    return redirect("/admin");
  }
  const parsed = acceptInvitationInput.safeParse({
    name: field(form, "name"),
    password: field(form, "password"),
  });
  if (!parsed.success) return data({ errors: fieldErrors(parsed.error, t) }, { status: 400 });
  try {
    const user = await acceptInvitation(token, parsed.data);
    if (!user) throw deadLink();
    return signIn(request, user.id, "/admin");
  } catch (e) {
    const failed = formFailure(e, t, (error) =>
      error instanceof SignInToAcceptError
        ? t("invite.signInToAccept", { email: error.email })
        : undefined,
    );
    return data({ errors: failed.errors }, { status: failed.status });
  }
}

export default function Invite() {
  const invitation = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const role = invitation.festivalRole
    ? t(invitation.festivalRole === "door" ? "role.door" : "role.organiser")
    : "";
  if (invitation.hasAccount) {
    const mine = invitation.signedInAs === invitation.email;
    return (
      <section className="narrow">
        <h1>{t("invite.title")}</h1>
        {result?.errors._form ? <p className="form-error">{result.errors._form}</p> : null}
        {invitation.festivalName ? (
          <p>{t("invite.confirmFestival", { festival: invitation.festivalName, role })}</p>
        ) : null}
        {mine ? (
          <Form method="post">
            <button type="submit" name="intent" value="accept" className="primary">
              {t("invite.accept")}
            </button>
          </Form>
        ) : invitation.signedInAs ? (
          <>
            <p>
              {t("invite.wrongAccount", {
                email: invitation.email,
                current: invitation.signedInAs,
              })}
            </p>
            <Form method="post" action="/logout">
              <button type="submit">{t("nav.signOut")}</button>
            </Form>
          </>
        ) : (
          <>
            <p>{t("invite.signInToAccept", { email: invitation.email })}</p>
            <a
              className="button primary"
              href={`/login?${new URLSearchParams({ redirectTo: invitation.path })}`}
            >
              {t("invite.signIn")}
            </a>
          </>
        )}
      </section>
    );
  }
  return (
    <section className="narrow">
      <h1>{t("invite.title")}</h1>
      <p>
        {invitation.festivalName
          ? t("invite.introFestival", { festival: invitation.festivalName })
          : t("invite.intro")}
      </p>
      <p className="muted">{invitation.email}</p>
      <Form method="post" noValidate>
        <Field
          label={t("field.name")}
          name="name"
          autoComplete="name"
          maxLength={120}
          error={result?.errors.name}
        />
        <NewPasswordField error={result?.errors.password} />
        <button type="submit" className="primary">
          {t("invite.accept")}
        </button>
      </Form>
    </section>
  );
}
