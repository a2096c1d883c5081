import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { FestivalForm } from "~/components/festival-form";
import { FESTIVAL_LANGUAGES } from "~/models/choices";
import { createFestival, festivalFormToInput, festivalInput } from "~/models/festival.server";
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
  return { timeZones: Intl.supportedValuesOf("timeZone") };
}

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUserWith(request, "festival:create");
  const { t } = await getTranslator(request);
  const raw = festivalFormToInput(await readForm(request));
  const parsed = festivalInput.safeParse(raw);
  if (!parsed.success) {
    return data({ errors: fieldErrors(parsed.error, t), values: raw }, { status: 400 });
  }
  const festival = await createFestival(user, parsed.data);
  return redirect(`/admin/festivals/${festival.id}`);
}

export default function NewFestival() {
  const { timeZones } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  return (
    <section>
      <h1>{t("festivalForm.newTitle")}</h1>
      <FestivalForm
        values={(result?.values as Record<string, never> | undefined) ?? {}}
        errors={result?.errors}
        languages={FESTIVAL_LANGUAGES}
        timeZones={timeZones}
        submitLabel={t("festivalForm.create")}
      />
    </section>
  );
}
