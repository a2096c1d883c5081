// Clone a festival to a new city and date (issue 13): its set-up is copied into a
// new draft (app/models/festival-clone.server.ts), which opens next.
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { ErrorSummary, Field, FormError, SelectField } from "~/components/field";
import { cloneFestival, cloneFormInput } from "~/models/festival-clone.server";
import { getFestivalOrThrow } from "~/models/festival.server";
import { requireSessionUser } from "~/utils/auth.server";
import { formFailure, readForm } from "~/utils/forms.server";
import { getTranslator } from "~/utils/i18n.server";
import { requirePermission } from "~/utils/permissions.server";
import { countryOptions, timeZoneOptions } from "~/utils/places.server";
import { fieldErrors } from "~/utils/validation";
import { useT } from "~/utils/use-t";

export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

const FIELDS = [
  "name",
  "city",
  "country",
  "timezone",
  "startsAt",
  "endsAt",
  "venueName",
  "venueAddress",
  "slug",
] as const;
type Values = Partial<Record<(typeof FIELDS)[number], string>>;

async function cloner(request: Request, festivalId: string | undefined) {
  const user = await requireSessionUser(request);
  // Only the festival's organisers (and admins) clone it: others get its 404 or a 403.
  requirePermission(user, "festival:edit", festivalId);
  requirePermission(user, "festival:create");
  return user;
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  await cloner(request, params.id);
  const festival = await getFestivalOrThrow(params.id);
  const { locale } = await getTranslator(request);
  const values: Values = {
    name: festival.name,
    city: festival.city,
    country: festival.country,
    timezone: festival.timezone,
    venueName: festival.venueName,
    venueAddress: festival.venueAddress,
  };
  return {
    values,
    countries: countryOptions(locale),
    timeZones: timeZoneOptions(festival.timezone),
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await cloner(request, params.id);
  const { t } = await getTranslator(request);
  const form = await readForm(request);
  const raw: Values = {};
  for (const name of FIELDS) {
    const value = form.get(name);
    if (typeof value === "string") raw[name] = value;
  }
  const parsed = cloneFormInput.safeParse(raw);
  if (!parsed.success)
    return data({ errors: fieldErrors(parsed.error, t), values: raw }, { status: 400 });
  try {
    const clone = await cloneFestival(user, params.id, parsed.data);
    return redirect(`/admin/festivals/${clone.id}`);
  } catch (error) {
    const failed = formFailure(error, t);
    return data({ errors: failed.errors, values: raw }, { status: failed.status });
  }
}

export default function CloneFestival() {
  const loaded = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const e: Record<string, string> = result?.errors ?? {};
  const v: Values = result?.values ?? loaded.values;
  const labels = {
    name: t("field.festivalName"),
    city: t("field.city"),
    country: t("field.country"),
    timezone: t("field.timezone"),
    startsAt: t("field.startsAt"),
    endsAt: t("field.endsAt"),
    venueName: t("field.venueName"),
    venueAddress: t("field.venueAddress"),
    slug: t("field.slug"),
  };
  return (
    <>
      <h2>{t("festivalClone.title")}</h2>
      <p>{t("festivalClone.intro")}</p>
      <Form method="post" noValidate className="festival-form">
        <FormError error={e._form} />
        <ErrorSummary errors={e} fields={FIELDS.map((name) => ({ name, label: labels[name] }))} />
        <Field
          label={labels.name}
          name="name"
          required
          maxLength={120}
          defaultValue={v.name}
          error={e.name}
        />
        <div className="row">
          <Field
            label={labels.city}
            name="city"
            required
            maxLength={80}
            defaultValue={v.city}
            error={e.city}
          />
          <SelectField
            label={labels.country}
            name="country"
            required
            defaultValue={v.country ?? ""}
            error={e.country}
            placeholder={t("field.countryChoose")}
            options={loaded.countries.map((c) => ({ value: c.code, label: c.name }))}
          />
        </div>
        <SelectField
          label={labels.timezone}
          name="timezone"
          required
          defaultValue={v.timezone ?? ""}
          error={e.timezone}
          hint={t("field.timezoneHint")}
          placeholder={t("field.timezoneChoose")}
          options={loaded.timeZones.map((z) => ({ value: z, label: z.replace(/_/g, " ") }))}
        />
        <div className="row">
          <Field
            label={labels.startsAt}
            name="startsAt"
            type="datetime-local"
            required
            defaultValue={v.startsAt}
            error={e.startsAt}
          />
          <Field
            label={labels.endsAt}
            name="endsAt"
            type="datetime-local"
            required
            defaultValue={v.endsAt}
            error={e.endsAt}
          />
        </div>
        <Field
          label={labels.venueName}
          name="venueName"
          maxLength={160}
          defaultValue={v.venueName}
          error={e.venueName}
        />
        <Field
          label={labels.venueAddress}
          name="venueAddress"
          maxLength={300}
          defaultValue={v.venueAddress}
          error={e.venueAddress}
        />
        <Field
          label={labels.slug}
          name="slug"
          maxLength={80}
          defaultValue={v.slug}
          error={e.slug}
          hint={t("field.slugHint")}
        />
        <p className="hint">{t("festivalClone.what")}</p>
        <button type="submit" className="primary">
          {t("festivalClone.submit")}
        </button>
      </Form>
    </>
  );
}
