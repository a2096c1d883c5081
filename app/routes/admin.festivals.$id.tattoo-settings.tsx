// The festival's tattoo settings (organisers): bookings per person and artist,
// the cancellation terms stated to bookers up front, and how long a waitlist
// offer holds its slot (app/models/tattoo-settings.server.ts).
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { Field, FormError } from "~/components/field";
import { getFestivalOrThrow } from "~/models/festival.server";
import { TATTOO_LIMITS } from "~/models/tattoo-limits";
import {
  readTattooSettings,
  tattooSettingsInput,
  updateTattooSettings,
} from "~/models/tattoo-settings.server";
import {
  cancelledReadOnly,
  field,
  formFailure,
  integerField,
  readForm,
} from "~/utils/forms.server";
import { getTranslator } from "~/utils/i18n.server";
import { requireUserWith } from "~/utils/permissions.server";
import { fieldErrors } from "~/utils/validation";
import { useT } from "~/utils/use-t";

export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data?.festivalName ?? "Festival" },
];

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireUserWith(request, "festival:tattoo", params.id);
  const festival = await getFestivalOrThrow(params.id);
  return {
    festivalId: festival.id,
    festivalName: festival.name,
    settings: await readTattooSettings(festival.id),
  };
}

type Result = { errors: Record<string, string>; saved?: boolean };

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUserWith(request, "festival:tattoo", params.id);
  const festival = await getFestivalOrThrow(params.id);
  const { t } = await getTranslator(request);
  const form = await readForm(request);
  // The form sends all four (the API may send some).
  const parsed = tattooSettingsInput.required().safeParse({
    bookingsPerArtist: integerField(form, "bookingsPerArtist"),
    cancelHours: integerField(form, "cancelHours"),
    cancelPolicy: field(form, "cancelPolicy"),
    offerMinutes: integerField(form, "offerMinutes"),
  });
  if (!parsed.success)
    return data<Result>({ errors: fieldErrors(parsed.error, t) }, { status: 422 });
  try {
    await updateTattooSettings(user, festival.id, parsed.data);
  } catch (error) {
    const failed = formFailure(error, t, cancelledReadOnly(t));
    return data<Result>({ errors: failed.errors }, { status: failed.status });
  }
  return { errors: {}, saved: true } satisfies Result;
}

export default function TattooSettingsPage() {
  const { settings } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const e: Record<string, string> = result?.errors ?? {};
  return (
    <>
      <h2>{t("tattooSettings.title")}</h2>
      <FormError error={e._form} />
      {result?.saved ? (
        <p className="notice" role="status">
          {t("tattooSettings.saved")}
        </p>
      ) : null}
      <Form method="post" noValidate className="card">
        <Field
          label={t("tattooSettings.bookingsPerArtist")}
          hint={t("tattooSettings.bookingsPerArtistHint")}
          name="bookingsPerArtist"
          type="number"
          inputMode="numeric"
          min={TATTOO_LIMITS.bookingsPerArtist.min}
          max={TATTOO_LIMITS.bookingsPerArtist.max}
          required
          defaultValue={settings.bookingsPerArtist}
          error={e.bookingsPerArtist}
        />
        <Field
          label={t("tattooSettings.cancelHours")}
          hint={t("tattooSettings.cancelHoursHint")}
          name="cancelHours"
          type="number"
          inputMode="numeric"
          min={TATTOO_LIMITS.cancelHours.min}
          max={TATTOO_LIMITS.cancelHours.max}
          required
          defaultValue={settings.cancelHours}
          error={e.cancelHours}
        />
        <p className="hint">{t("tattooSettings.cancelPolicyHint")}</p>
        <fieldset className={`choices${e.cancelPolicy ? " has-error" : ""}`}>
          <legend>{t("tattooSettings.cancelPolicy")}</legend>
          {(["refund", "keep"] as const).map((policy) => (
            <label key={policy} className="choice">
              <input
                type="radio"
                name="cancelPolicy"
                value={policy}
                defaultChecked={settings.cancelPolicy === policy}
              />{" "}
              {t(policy === "refund" ? "tattooSettings.policyRefund" : "tattooSettings.policyKeep")}
            </label>
          ))}
          {e.cancelPolicy ? (
            <p className="field-error" role="alert">
              {e.cancelPolicy}
            </p>
          ) : null}
        </fieldset>
        <Field
          label={t("tattooSettings.offerMinutes")}
          hint={t("tattooSettings.offerMinutesHint")}
          name="offerMinutes"
          type="number"
          inputMode="numeric"
          min={TATTOO_LIMITS.offerMinutes.min}
          max={TATTOO_LIMITS.offerMinutes.max}
          required
          defaultValue={settings.offerMinutes}
          error={e.offerMinutes}
        />
        <button type="submit">{t("tattooSettings.save")}</button>
      </Form>
    </>
  );
}
