import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { Field, FocusFirstError, FormError } from "~/components/field";
import { TicketTypeFields } from "~/components/ticket-type-fields";
import { getFestivalOrThrow } from "~/models/festival.server";
import { listPrisoners, setSupportedPrisoners, supportedPrisoners } from "~/models/prisoner.server";
import { soldPerType } from "~/models/sales.server";
import { accessCodeLink } from "~/models/shop.server";
import { publicUrl } from "~/utils/env.server";
import {
  createQuota,
  createTicketType,
  listTicketTypes,
  pickLanguage,
  quotaInput,
  quotaPatch,
  ticketTypeInput,
  updateQuota,
} from "~/models/ticket-type.server";
import { prisma } from "~/utils/db.server";
import { formatDateTime } from "~/utils/format";
import {
  cancelledReadOnly,
  field,
  fields,
  formFailure,
  integerField,
  moneyField,
  moneyFieldError,
  readForm,
} from "~/utils/forms.server";
import { errorResponse } from "~/utils/http.server";
import { LOCALES } from "~/utils/i18n";
import { getTranslator } from "~/utils/i18n.server";
import { formatMoney } from "~/utils/money";
import { can, requireUserWith } from "~/utils/permissions.server";
import { fieldErrors, localizeMessage } from "~/utils/validation";
import { useLocale, useT } from "~/utils/use-t";
import { Table } from "~/components/table";

// Errors show inside the admin navigation (and the festival's tabs).
export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUserWith(request, "festival:view", params.id);
  const festival = await getFestivalOrThrow(params.id);
  const { locale } = await getTranslator(request);
  const [types, sold, quotas, prisoners, supported] = await Promise.all([
    listTicketTypes(festival.id),
    soldPerType(festival.id),
    prisma.quota.findMany({ where: { festivalId: festival.id }, orderBy: { createdAt: "asc" } }),
    listPrisoners(locale),
    supportedPrisoners(festival.id, locale),
  ]);
  return {
    festivalId: festival.id,
    currency: festival.currency,
    timezone: festival.timezone,
    canEdit: can(user, "festival:edit", festival.id) && festival.status !== "cancelled",
    types: types.map((t) => ({
      id: t.id,
      name: pickLanguage(t.name, locale),
      priceMinor: t.priceMinor,
      payWhatYouWant: t.payWhatYouWant,
      minPriceMinor: t.minPriceMinor,
      capacity: t.capacity,
      reserved: t.reserved,
      available: t.available,
      sold: sold.get(t.id) ?? 0,
      quotaName: t.quota?.name ?? null,
      visibility: t.visibility,
      shareLink:
        t.visibility === "hidden" && t.accessCode
          ? accessCodeLink(publicUrl(), festival.slug, t.accessCode)
          : null,
      salesStartAt: t.salesStartAt?.toISOString() ?? null,
      salesEndAt: t.salesEndAt?.toISOString() ?? null,
    })),
    quotas: quotas.map((q) => ({
      id: q.id,
      name: q.name,
      capacity: q.capacity,
      reserved: q.reserved,
    })),
    prisoners,
    supported: supported.map((p) => p.id),
  };
}

type Result = { intent: string; errors: Record<string, string>; ok: boolean; quotaId?: string };

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUserWith(request, "festival:edit", params.id);
  const festival = await getFestivalOrThrow(params.id);
  const { t } = await getTranslator(request);
  const form = await readForm(request);
  const intent = field(form, "intent") ?? "";
  const integer = (name: string) => integerField(form, name);
  try {
    if (intent === "add-quota") {
      const parsed = quotaInput.safeParse({
        name: field(form, "quotaName"),
        capacity: integer("quotaCapacity"),
      });
      if (!parsed.success)
        return data<Result>(
          { intent, ok: false, errors: prefix(fieldErrors(parsed.error, t), "quota") },
          { status: 400 },
        );
      await createQuota(user, festival.id, parsed.data);
      return { intent, ok: true, errors: {} } satisfies Result;
    }
    if (intent === "edit-quota") {
      const quotaId = field(form, "quotaId") ?? "";
      const parsed = quotaPatch.safeParse({
        name: field(form, "quotaName"),
        capacity: integer("quotaCapacity"),
      });
      if (!parsed.success)
        return data<Result>(
          { intent, quotaId, ok: false, errors: prefix(fieldErrors(parsed.error, t), "quota") },
          { status: 400 },
        );
      try {
        await updateQuota(user, festival.id, quotaId, parsed.data);
      } catch (error) {
        // Broken rules show beside the quota's fields; anything else as below.
        const failed = formFailure(error, t, {}, { fieldStatus: 400 });
        return data<Result>(
          { intent, quotaId, ok: false, errors: prefix(failed.errors, "quota") },
          { status: failed.status },
        );
      }
      return { intent, ok: true, errors: {} } satisfies Result;
    }
    if (intent === "add-type") {
      // name.<lang> and description.<lang> for every language of the interface; empty ones left out.
      const perLanguage = (prefix: "name" | "description") =>
        Object.fromEntries(
          LOCALES.map((l) => [l, field(form, `${prefix}.${l}`)?.trim() ?? ""] as const).filter(
            ([, v]) => v !== "",
          ),
        );
      const payWhatYouWant = field(form, "payWhatYouWant") === "on";
      const visibility = field(form, "visibility") === "hidden" ? "hidden" : "public";
      // Amounts are typed in major units; an unreadable one is reported with the schema's errors.
      const moneyErrors: Record<string, string> = {};
      const money = (name: string, key: string) => {
        const minor = moneyField(form, name, festival.currency);
        if (minor === null)
          moneyErrors[key] = localizeMessage(moneyFieldError(festival.currency), t);
        return minor ?? undefined;
      };
      const parsed = ticketTypeInput.safeParse({
        name: perLanguage("name"),
        description: perLanguage("description"),
        priceMinor: money("price", "priceMinor") ?? 0,
        payWhatYouWant,
        // The minimum and suggested prices belong to pay-what-you-want only: otherwise ignored.
        ...(payWhatYouWant
          ? {
              minPriceMinor: money("minPrice", "minPriceMinor"),
              suggestedPriceMinor: money("suggestedPrice", "suggestedPriceMinor"),
            }
          : {}),
        capacity: integer("capacity"),
        quotaId: field(form, "quotaId") || undefined,
        salesStartAt: field(form, "salesStartAt") || undefined,
        salesEndAt: field(form, "salesEndAt") || undefined,
        visibility,
        accessCode: visibility === "hidden" ? field(form, "accessCode") : undefined,
        maxPerOrder: integer("maxPerOrder") ?? 10,
      });
      if (!parsed.success || Object.keys(moneyErrors).length)
        return data<Result>(
          {
            intent,
            ok: false,
            errors: { ...(parsed.success ? {} : fieldErrors(parsed.error, t)), ...moneyErrors },
          },
          { status: 400 },
        );
      await createTicketType(user, festival, parsed.data);
      return { intent, ok: true, errors: {} } satisfies Result;
    }
    if (intent === "set-prisoners") {
      await setSupportedPrisoners(user, festival.id, fields(form, "prisonerIds"));
      return { intent, ok: true, errors: {} } satisfies Result;
    }
  } catch (error) {
    const failed = formFailure(error, t, cancelledReadOnly(t), { fieldStatus: 400 });
    return data<Result>({ intent, ok: false, errors: failed.errors }, { status: failed.status });
  }
  throw errorResponse(400, "bad_intent", "Unknown action.");
}

function prefix(errors: Record<string, string>, p: string) {
  return Object.fromEntries(Object.entries(errors).map(([k, v]) => [`${p}.${k}`, v]));
}

export default function Tickets() {
  const { festivalId, types, quotas, currency, timezone, canEdit, prisoners, supported } =
    useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  const e: Record<string, string> = result?.errors ?? {};
  const failedQuota = result && "quotaId" in result ? result.quotaId : undefined;
  return (
    <>
      <h2>{t("tickets.title")}</h2>
      <FormError error={e._form} />
      {result?.ok ? (
        <p role="status" className="notice">
          {t("festivalAdmin.saved")}
        </p>
      ) : null}
      {types.length === 0 ? <p>{t("tickets.none")}</p> : null}
      {types.length > 0 ? (
        <Table label={t("tickets.title")}>
          <thead>
            <tr>
              <th>{t("tickets.name")}</th>
              <th>{t("tickets.price")}</th>
              <th>{t("tickets.sold")}</th>
              <th>{t("tickets.held")}</th>
              <th>{t("tickets.left")}</th>
              <th>{t("tickets.window")}</th>
            </tr>
          </thead>
          <tbody>
            {types.map((tt) => (
              <tr key={tt.id}>
                <td>
                  {canEdit ? (
                    <Link to={`/admin/festivals/${festivalId}/tickets/${tt.id}`}>{tt.name}</Link>
                  ) : (
                    tt.name
                  )}
                  {tt.visibility === "hidden" ? (
                    <span className="badge"> {t("tickets.hidden")}</span>
                  ) : null}
                  {tt.shareLink ? (
                    <div className="muted mono share-link-text">{tt.shareLink}</div>
                  ) : null}
                  {tt.quotaName ? (
                    <div className="muted">{t("tickets.inQuota", { quota: tt.quotaName })}</div>
                  ) : null}
                </td>
                <td>
                  {tt.payWhatYouWant
                    ? t("tickets.pwyw", {
                        min: formatMoney(tt.minPriceMinor ?? tt.priceMinor, currency, locale),
                      })
                    : formatMoney(tt.priceMinor, currency, locale)}
                </td>
                <td>{tt.sold}</td>
                <td>{Math.max(0, tt.reserved - tt.sold)}</td>
                <td>{tt.available}</td>
                <td className="muted">
                  {tt.salesStartAt ? formatDateTime(tt.salesStartAt, locale, timezone) : "—"} →{" "}
                  {tt.salesEndAt ? formatDateTime(tt.salesEndAt, locale, timezone) : "—"}
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      ) : null}
      {quotas.length > 0 ? (
        <>
          <h3>{t("tickets.quotas")}</h3>
          <ul>
            {quotas.map((q) => (
              <li key={q.id}>
                {q.name}: {t("tickets.quotaUse", { reserved: q.reserved, capacity: q.capacity })}
                {canEdit ? (
                  <Form method="post" noValidate className="row">
                    <input type="hidden" name="quotaId" value={q.id} />
                    <FocusFirstError errors={failedQuota === q.id ? e : null} />
                    <Field
                      label={t("tickets.quotaName")}
                      name="quotaName"
                      maxLength={120}
                      defaultValue={q.name}
                      error={failedQuota === q.id ? e["quota.name"] : undefined}
                    />
                    <Field
                      label={t("tickets.capacity")}
                      name="quotaCapacity"
                      inputMode="numeric"
                      defaultValue={String(q.capacity)}
                      error={failedQuota === q.id ? e["quota.capacity"] : undefined}
                    />
                    <button type="submit" name="intent" value="edit-quota">
                      {t("tickets.saveQuota")}
                    </button>
                  </Form>
                ) : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {canEdit ? (
        <>
          <Form method="post" noValidate className="card">
            <h3>{t("tickets.addType")}</h3>
            <TicketTypeFields
              values={{ price: "0", maxPerOrder: "10", visibility: "public", quotaId: "" }}
              errors={e}
              currency={currency}
              timezone={timezone}
              quotas={quotas}
            />
            <button type="submit" name="intent" value="add-type" className="primary">
              {t("tickets.addType")}
            </button>
          </Form>
          <Form method="post" noValidate className="card">
            <h3>{t("tickets.addQuota")}</h3>
            <FocusFirstError errors={result?.intent === "add-quota" ? e : null} />
            <p className="hint">{t("tickets.quotaHint")}</p>
            <div className="row">
              <Field
                label={t("tickets.quotaName")}
                name="quotaName"
                maxLength={120}
                error={result?.intent === "add-quota" ? e["quota.name"] : undefined}
              />
              <Field
                label={t("tickets.capacity")}
                name="quotaCapacity"
                inputMode="numeric"
                error={result?.intent === "add-quota" ? e["quota.capacity"] : undefined}
              />
            </div>
            <button type="submit" name="intent" value="add-quota">
              {t("tickets.addQuota")}
            </button>
          </Form>
          {prisoners.length > 0 ? (
            <Form method="post" className="card">
              <h3>{t("tickets.prisoners")}</h3>
              <p className="hint">{t("tickets.prisonersHint")}</p>
              <fieldset className="choices">
                <legend className="sr-only">{t("tickets.prisoners")}</legend>
                {prisoners.map((p) => (
                  <label key={p.id} className="choice">
                    <input
                      type="checkbox"
                      name="prisonerIds"
                      value={p.id}
                      defaultChecked={supported.includes(p.id)}
                    />{" "}
                    {p.name}
                  </label>
                ))}
              </fieldset>
              <button type="submit" name="intent" value="set-prisoners">
                {t("festivalForm.save")}
              </button>
            </Form>
          ) : null}
        </>
      ) : null}
    </>
  );
}
