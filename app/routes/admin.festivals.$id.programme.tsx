import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { Field, FocusFirstError, FormError, SelectField } from "~/components/field";
import { PROGRAMME_KINDS } from "~/models/choices";
import {
  addProgrammeItem,
  getFestivalOrThrow,
  removeProgrammeItem,
  updateProgrammeItem,
} from "~/models/festival.server";
import { prisma } from "~/utils/db.server";
import { formatDateTime } from "~/utils/format";
import { cancelledReadOnly, field, formFailure, readForm } from "~/utils/forms.server";
import { errorResponse } from "~/utils/http.server";
import { getTranslator } from "~/utils/i18n.server";
import { can, requireUserWith } from "~/utils/permissions.server";
import { useLocale, useT } from "~/utils/use-t";
import { toLocalInput } from "~/utils/validation";

// Errors show inside the admin navigation (and the festival's tabs).
export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUserWith(request, "festival:view", params.id);
  const festival = await getFestivalOrThrow(params.id);
  const items = await prisma.programmeItem.findMany({
    where: { festivalId: festival.id },
    orderBy: { startsAt: "asc" },
  });
  return {
    timezone: festival.timezone,
    startsAt: toLocalInput(festival.startsAt, festival.timezone),
    endsAt: toLocalInput(festival.endsAt, festival.timezone),
    canEdit: can(user, "festival:edit", festival.id) && festival.status !== "cancelled",
    items: items.map((i) => ({
      ...i,
      startsAt: i.startsAt.toISOString(),
      endsAt: i.endsAt?.toISOString() ?? null,
      localStartsAt: toLocalInput(i.startsAt, festival.timezone),
      localEndsAt: i.endsAt ? toLocalInput(i.endsAt, festival.timezone) : "",
    })),
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUserWith(request, "festival:edit", params.id);
  const festival = await getFestivalOrThrow(params.id);
  const { t } = await getTranslator(request);
  const form = await readForm(request);
  const intent = field(form, "intent");
  const raw = {
    title: field(form, "title"),
    person: field(form, "person"),
    kind: field(form, "kind"),
    startsAt: field(form, "startsAt"),
    endsAt: field(form, "endsAt"),
  };
  try {
    if (intent === "remove") {
      await removeProgrammeItem(user, festival.id, (field(form, "itemId") ?? "").slice(0, 64));
      return { errors: {} as Record<string, string>, values: null };
    }
    if (intent === "update") {
      const itemId = (field(form, "itemId") ?? "").slice(0, 64);
      const result = await updateProgrammeItem(user, festival, itemId, raw, t);
      if (!result.ok) return data({ errors: result.errors, values: raw, itemId }, { status: 400 });
      return { errors: {} as Record<string, string>, values: null };
    }
    if (intent !== "add") throw errorResponse(400, "bad_intent", "Unknown action.");
    const result = await addProgrammeItem(user, festival, raw, t);
    if (!result.ok) return data({ errors: result.errors, values: raw }, { status: 400 });
    return { errors: {} as Record<string, string>, values: null };
  } catch (error) {
    const failed = formFailure(error, t, cancelledReadOnly(t));
    return data({ errors: failed.errors, values: null }, { status: failed.status });
  }
}

export default function Programme() {
  const { items, timezone, canEdit, startsAt, endsAt } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  // An edit's errors show in that item's form; the new item's form shows the others.
  const editing = result && "itemId" in result ? result.itemId : null;
  const e = editing ? {} : (result?.errors ?? {});
  const v = editing ? undefined : result?.values;
  return (
    <>
      <h2>{t("festivalAdmin.programme")}</h2>
      <FormError error={e._form} />
      {items.length === 0 ? <p>{t("festival.noProgramme")}</p> : null}
      <ol className="programme">
        {items.map((item) => (
          <li key={item.id}>
            <time dateTime={item.startsAt}>{formatDateTime(item.startsAt, locale, timezone)}</time>{" "}
            <span className={`kind kind-${item.kind}`}>
              {t(`programme.kind.${item.kind as "talk"}`)}
            </span>{" "}
            <strong>{item.title}</strong>
            {item.person ? <span className="muted"> — {item.person}</span> : null}
            {canEdit ? (
              <Form method="post" className="inline">
                <input type="hidden" name="itemId" value={item.id} />
                <button type="submit" name="intent" value="remove" className="link danger">
                  {t("programme.remove")}
                </button>
              </Form>
            ) : null}
            {canEdit ? (
              <details open={editing === item.id}>
                <summary>{t("programme.edit")}</summary>
                <ProgrammeItemForm
                  intent="update"
                  itemId={item.id}
                  values={
                    editing === item.id && result?.values
                      ? result.values
                      : {
                          title: item.title,
                          person: item.person ?? "",
                          kind: item.kind,
                          startsAt: item.localStartsAt,
                          endsAt: item.localEndsAt,
                        }
                  }
                  errors={editing === item.id ? result?.errors : undefined}
                  submitLabel={t("programme.save")}
                />
              </details>
            ) : null}
          </li>
        ))}
      </ol>
      {canEdit ? (
        <div className="card">
          <h3>{t("programme.add")}</h3>
          <p className="hint">
            {t("programme.timeHint", { zone: timezone })}{" "}
            {t("programme.withinDates", {
              from: startsAt.replace("T", " "),
              to: endsAt.replace("T", " "),
            })}
          </p>
          <ProgrammeItemForm
            intent="add"
            values={v ?? undefined}
            errors={e}
            submitLabel={t("programme.add")}
            min={startsAt}
            max={endsAt}
          />
        </div>
      ) : null}
    </>
  );
}

type ItemValues = {
  title?: string;
  person?: string;
  kind?: string;
  startsAt?: string;
  endsAt?: string;
};

/** One programme item's fields: the new one's, or an existing one's to change. */
function ProgrammeItemForm({
  intent,
  itemId,
  values,
  errors,
  submitLabel,
  min,
  max,
}: {
  intent: "add" | "update";
  itemId?: string;
  values?: ItemValues;
  errors?: Record<string, string>;
  submitLabel: string;
  min?: string;
  max?: string;
}) {
  const t = useT();
  const e = errors ?? {};
  return (
    <Form method="post" noValidate>
      <FocusFirstError errors={e} />
      <FormError error={e._form} />
      {itemId ? <input type="hidden" name="itemId" value={itemId} /> : null}
      <Field
        label={t("programme.titleField")}
        name="title"
        required
        maxLength={200}
        defaultValue={values?.title}
        error={e.title}
      />
      <Field
        label={t("programme.person")}
        name="person"
        maxLength={200}
        defaultValue={values?.person}
        error={e.person}
      />
      <SelectField
        label={t("programme.kindField")}
        name="kind"
        defaultValue={values?.kind ?? "talk"}
        error={e.kind}
        options={PROGRAMME_KINDS.map((k) => ({ value: k, label: t(`programme.kind.${k}`) }))}
      />
      <div className="row">
        <Field
          label={t("field.startsAt")}
          name="startsAt"
          type="datetime-local"
          required
          min={min}
          max={max}
          defaultValue={values?.startsAt}
          error={e.startsAt}
        />
        <Field
          label={t("field.endsAt")}
          name="endsAt"
          type="datetime-local"
          min={min}
          max={max}
          defaultValue={values?.endsAt}
          error={e.endsAt}
        />
      </div>
      <button type="submit" name="intent" value={intent} className="primary">
        {submitLabel}
      </button>
    </Form>
  );
}
