import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { Field, NewPasswordField } from "~/components/field";
import { acceptInvitation, acceptInvitationInput, findInvitation } from "~/models/user.server";
import { field, readForm } from "~/utils/forms.server";
import { notFound } from "~/utils/http.server";
import { getTranslator } from "~/utils/i18n.server";
import { signIn } from "~/utils/session.server";
import { fieldErrors } from "~/utils/validation";
import { useT } from "~/utils/use-t";

export const meta: MetaFunction = () => [{ title: "Invitation" }];

export async function loader({ params }: LoaderFunctionArgs) {
  const invitation = await findInvitation(params.token ?? "");
  if (!invitation) throw notFound("This invitation does not exist or has expired.");
  return {
    email: invitation.email,
    festivalName: invitation.festival?.name ?? null,
    festivalRole: invitation.festivalRole,
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { t } = await getTranslator(request);
  const form = await readForm(request);
  const parsed = acceptInvitationInput.safeParse({
    name: field(form, "name"),
    password: field(form, "password"),
  });
  if (!parsed.success) return data({ errors: fieldErrors(parsed.error, t) }, { status: 400 });
  const user = await acceptInvitation(params.token ?? "", parsed.data);
  if (!user) throw notFound("This invitation does not exist or has expired.");
  return signIn(request, user.id, "/admin");
}

export default function Invite() {
  const invitation = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
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
