import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { FestivalForm } from "~/components/festival-form";
import { FESTIVAL_LANGUAGES } from "~/models/choices";
import { createFestival, festivalFormToInput, newFestivalInput } from "~/models/festival.server";
import { formFailure } from "~/utils/forms.server";
import { festivalFormChoices } from "~/utils/places.server";
import { readForm } from "~/utils/forms.server";
import { getTranslator } from "~/utils/i18n.server";
import { requireUserWith } from "~/utils/permissions.server";
import { fieldErrors } from "~/utils/validation";
import { useT } from "~/utils/use-t";

// Errors show inside the admin navigation (and the festival's tabs).
export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

export const meta: MetaFunction = () => [{ title: "New festival" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireUserWith(request, "festival:create");
  const { locale } = await getTranslator(request);
  return { choices: festivalFormChoices(locale) };
}

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUserWith(request, "festival:create");
  const { t } = await getTranslator(request);
  const raw = festivalFormToInput(await readForm(request));
  const parsed = newFestivalInput.safeParse(raw);
  if (!parsed.success) {
    return data({ errors: fieldErrors(parsed.error, t), values: raw }, { status: 400 });
  }
  try {
    const festival = await createFestival(user, parsed.data);
    return redirect(`/admin/festivals/${festival.id}`);
  } catch (error) {
    // A slug someone else has: said beside the field, nothing written.
    const failed = formFailure(error, t);
    return data({ errors: failed.errors, values: raw }, { status: failed.status });
  }
}

export default function NewFestival() {
  const { choices } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  return (
    <section>
      <h1>{t("festivalForm.newTitle")}</h1>
      <FestivalForm
        values={(result?.values as Record<string, never> | undefined) ?? {}}
        errors={result?.errors}
        languages={FESTIVAL_LANGUAGES}
        choices={choices}
        submitLabel={t("festivalForm.create")}
      />
    </section>
  );
}
