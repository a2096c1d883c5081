import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData } from "@remix-run/react";
import { FocusFirstError, FormError } from "~/components/field";
import { EMPTY_PRISONER, PrisonerFields } from "~/components/prisoner-fields";
import { isPrisonerStatus } from "~/models/prisoner-choices";
import { createPrisoner, prisonerFormInput, prisonerInput } from "~/models/prisoner.server";
import { formFailure, readForm } from "~/utils/forms.server";
import { getTranslator } from "~/utils/i18n.server";
import { requireUserWith } from "~/utils/permissions.server";
import { useT } from "~/utils/use-t";
import { fieldErrors } from "~/utils/validation";

// Errors show inside the admin navigation.
export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

export const meta: MetaFunction = () => [{ title: "New prisoner" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireUserWith(request, "prisoners:manage");
  return null;
}

type Values = ReturnType<typeof prisonerFormInput>;
type Result = { errors: Record<string, string>; values: Values };

/** Create a profile (prisoners:manage), then edit it (its photo) on its own page. */
export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUserWith(request, "prisoners:manage");
  const { t } = await getTranslator(request);
  const values = prisonerFormInput(await readForm(request));
  const parsed = prisonerInput.safeParse(values);
  if (!parsed.success)
    return data<Result>({ errors: fieldErrors(parsed.error, t), values }, { status: 400 });
  try {
    const { id } = await createPrisoner(user, parsed.data);
    return redirect(`/admin/prisoners/${id}?created=1`);
  } catch (error) {
    const failed = formFailure(error, t);
    return data<Result>({ errors: failed.errors, values }, { status: failed.status });
  }
}

export default function NewPrisoner() {
  const result = useActionData<typeof action>();
  const t = useT();
  const e = result?.errors ?? {};
  const v = result?.values;
  return (
    <section>
      <p>
        <Link to="/admin/prisoners">← {t("prisonerAdmin.back")}</Link>
      </p>
      <h1>{t("prisonerAdmin.new")}</h1>
      <Form method="post" noValidate className="card">
        <FocusFirstError errors={e} />
        <FormError error={e._form} />
        <PrisonerFields
          errors={e}
          values={
            v
              ? {
                  ...EMPTY_PRISONER,
                  ...v,
                  status: isPrisonerStatus(v.status) ? v.status : "detained",
                }
              : EMPTY_PRISONER
          }
        />
        <button type="submit" className="primary">
          {t("prisonerAdmin.create")}
        </button>
      </Form>
    </section>
  );
}
