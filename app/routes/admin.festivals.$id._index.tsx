import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { FestivalForm, type FestivalFormValues } from "~/components/festival-form";
import { ConfirmButton } from "~/components/confirm-button";
import { FormError } from "~/components/field";
import { FESTIVAL_LANGUAGES } from "~/models/choices";
import { festivalRefundsDue } from "~/models/festival-refunds.server";
import {
  changeFestivalStatus,
  CurrencyLockedError,
  festivalAsInput,
  festivalFormToInput,
  festivalInput,
  festivalsNamedLike,
  FestivalStateError,
  getFestivalOrThrow,
  isCurrencyLocked,
  updateFestival,
} from "~/models/festival.server";
import {
  cancelledReadOnly,
  confirmationError,
  field,
  formFailure,
  readForm,
} from "~/utils/forms.server";
import { errorResponse } from "~/utils/http.server";
import { getTranslator } from "~/utils/i18n.server";
import { can, requireUserWith } from "~/utils/permissions.server";
import { festivalFormChoices } from "~/utils/places.server";
import { fieldErrors, toLocalInput } from "~/utils/validation";
import { formatMoney } from "~/utils/money";
import { formatDate } from "~/utils/format";
import { useLocale, useT } from "~/utils/use-t";

// Errors show inside the admin navigation (and the festival's tabs).
export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUserWith(request, "festival:view", params.id);
  const festival = await getFestivalOrThrow(params.id);
  const input = festivalAsInput(festival);
  const { locale } = await getTranslator(request);
  return {
    id: festival.id,
    status: festival.status,
    values: {
      ...input,
      slug: festival.slug,
      startsAt: toLocalInput(festival.startsAt, festival.timezone),
      endsAt: toLocalInput(festival.endsAt, festival.timezone),
    },
    canEdit: can(user, "festival:edit", festival.id),
    currencyLocked: await isCurrencyLocked(festival.id),
    canPublish: can(user, "festival:publish", festival.id),
    // Cancelling refunds nothing by itself: what is left to give back (the Money page does it).
    refundsDue:
      festival.status === "cancelled" && can(user, "festival:edit", festival.id)
        ? { ...(await festivalRefundsDue(festival.id)), currency: festival.currency }
        : null,
    choices: festivalFormChoices(locale, festival.timezone),
    // Another festival with the same name: said, never refused (a yearly festival keeps its name).
    sameName: await festivalsNamedLike(festival.name, festival.id),
    canClone: can(user, "festival:edit", festival.id) && can(user, "festival:create"),
  };
}

const STATUS_INTENTS = ["publish", "unpublish", "cancel"] as const;

export async function action({ request, params }: ActionFunctionArgs) {
  const form = await readForm(request);
  const intent = field(form, "intent");
  const { t } = await getTranslator(request);
  if (intent === "save") {
    const user = await requireUserWith(request, "festival:edit", params.id);
    const festival = await getFestivalOrThrow(params.id);
    const raw = festivalFormToInput(form);
    const parsed = festivalInput.safeParse(raw);
    if (!parsed.success)
      return data(
        { errors: fieldErrors(parsed.error, t), values: raw, saved: false },
        { status: 400 },
      );
    try {
      await updateFestival(user, festival.id, parsed.data);
    } catch (e) {
      if (e instanceof CurrencyLockedError)
        return data(
          {
            errors: { currency: t("festivalAdmin.currencyLocked") } as Record<string, string>,
            values: raw,
            saved: false,
          },
          { status: 409 },
        );
      const failed = formFailure(e, t, cancelledReadOnly(t));
      // A field refused (a taken slug, dates that leave programme items out): the input stays.
      const keep = !failed.errors._form;
      return data(
        { errors: failed.errors, values: keep ? raw : null, saved: false },
        { status: failed.status === 422 ? 400 : failed.status },
      );
    }
    return { errors: {} as Record<string, string>, values: null, saved: true };
  }
  const change = STATUS_INTENTS.find((i) => i === intent);
  // Permission first: an outsider learns nothing from the form it sent.
  const user = await requireUserWith(request, "festival:publish", params.id);
  if (!change) throw errorResponse(400, "bad_intent", "Unknown action.");
  // Cancelling cannot be undone: only from its confirmation step.
  const refused = change === "cancel" ? confirmationError(form, t) : null;
  if (refused)
    return data({ errors: { _form: refused }, values: null, saved: false }, { status: 400 });
  const festival = await getFestivalOrThrow(params.id);
  try {
    await changeFestivalStatus(user, festival.id, change);
    return { errors: {} as Record<string, string>, values: null, saved: true };
  } catch (e) {
    const failed = formFailure(
      e,
      t,
      (error) =>
        cancelledReadOnly(t)(error) ??
        (error instanceof FestivalStateError ? t("festivalAdmin.invalidTransition") : undefined),
    );
    return data({ errors: failed.errors, values: null, saved: false }, { status: failed.status });
  }
}

export default function FestivalDetails() {
  const {
    id,
    status,
    values,
    canEdit,
    canPublish,
    choices,
    currencyLocked,
    refundsDue,
    sameName,
    canClone,
  } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  return (
    <>
      {result?.saved ? (
        <p role="status" className="notice">
          {t("festivalAdmin.saved")}
        </p>
      ) : null}
      <FormError error={result?.errors._form} />
      {refundsDue && refundsDue.orders > 0 ? (
        <p className="notice" data-testid="refunds-due">
          <Link to={`/admin/festivals/${id}/money`}>
            {t("festivalAdmin.refundsDue", {
              count: refundsDue.orders,
              amount: formatMoney(refundsDue.heldMinor, refundsDue.currency, locale),
            })}
          </Link>
        </p>
      ) : null}
      {sameName.length > 0 ? (
        <div className="notice" data-testid="same-name">
          <p>{t("festivalAdmin.sameName", { count: sameName.length })}</p>
          <ul>
            {sameName.map((f) => (
              <li key={f.id}>
                <Link to={`/admin/festivals/${f.id}`}>
                  {f.name} — {f.city}, {formatDate(f.startsAt, locale, values.timezone ?? "UTC")}
                </Link>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {canClone ? (
        <p>
          <Link to={`/admin/festivals/${id}/clone`}>{t("festivalClone.action")}</Link>
        </p>
      ) : null}
      {canPublish && status !== "cancelled" ? (
        <div className="actions">
          <Form method="post" className="inline">
            {status === "draft" ? (
              <button type="submit" name="intent" value="publish" className="primary">
                {t("festivalAdmin.publish")}
              </button>
            ) : (
              <button type="submit" name="intent" value="unpublish">
                {t("festivalAdmin.unpublish")}
              </button>
            )}
          </Form>
          <ConfirmButton
            label={t("festivalAdmin.cancel")}
            warning={t("festivalAdmin.cancelWarning")}
            confirmLabel={t("festivalAdmin.cancelConfirm")}
            intent="cancel"
          />
        </div>
      ) : null}
      <FestivalForm
        key={JSON.stringify(values)}
        values={(result?.values as FestivalFormValues | null) ?? (values as FestivalFormValues)}
        errors={result?.errors}
        languages={FESTIVAL_LANGUAGES}
        choices={choices}
        submitLabel={t("festivalForm.save")}
        disabled={!canEdit || status === "cancelled"}
        currencyLocked={currencyLocked}
      />
    </>
  );
}
