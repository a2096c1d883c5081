import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { Field, FocusFirstError, FormError } from "~/components/field";
import { PROGRAMME_KINDS } from "~/models/choices";
import {
  addProgrammeItem,
  getFestivalOrThrow,
  removeProgrammeItem,
} from "~/models/festival.server";
import { prisma } from "~/utils/db.server";
import { formatDateTime } from "~/utils/format";
import { cancelledReadOnly, field, formFailure, readForm } from "~/utils/forms.server";
import { errorResponse } from "~/utils/http.server";
import { getTranslator } from "~/utils/i18n.server";
import { can, requireUserWith } from "~/utils/permissions.server";
import { useLocale, useT } from "~/utils/use-t";

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
    canEdit: can(user, "festival:edit", festival.id) && festival.status !== "cancelled",
    items: items.map((i) => ({
      ...i,
      startsAt: i.startsAt.toISOString(),
      endsAt: i.endsAt?.toISOString() ?? null,
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
  const { items, timezone, canEdit } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  const e = result?.errors ?? {};
  const v = result?.values;
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
          </li>
        ))}
      </ol>
      {canEdit ? (
        <Form method="post" noValidate className="card">
          <h3>{t("programme.add")}</h3>
          <FocusFirstError errors={e} />
          <p className="hint">{t("programme.timeHint", { zone: timezone })}</p>
          <Field
            label={t("programme.titleField")}
            name="title"
            required
            maxLength={200}
            defaultValue={v?.title}
            error={e.title}
          />
          <Field
            label={t("programme.person")}
            name="person"
            maxLength={200}
            defaultValue={v?.person}
            error={e.person}
          />
          <div className="field">
            <label htmlFor="kind">{t("programme.kindField")}</label>
            <select id="kind" name="kind" defaultValue={v?.kind ?? "talk"}>
              {PROGRAMME_KINDS.map((k) => (
                <option key={k} value={k}>
                  {t(`programme.kind.${k}`)}
                </option>
              ))}
            </select>
            {e.kind ? <p className="field-error">{e.kind}</p> : null}
          </div>
          <div className="row">
            <Field
              label={t("field.startsAt")}
              name="startsAt"
              type="datetime-local"
              required
              defaultValue={v?.startsAt}
              error={e.startsAt}
            />
            <Field
              label={t("field.endsAt")}
              name="endsAt"
              type="datetime-local"
              defaultValue={v?.endsAt}
              error={e.endsAt}
            />
          </div>
          <button type="submit" name="intent" value="add" className="primary">
            {t("programme.add")}
          </button>
        </Form>
      ) : null}
    </>
  );
}
