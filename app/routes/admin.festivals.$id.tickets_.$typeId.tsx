// Edit one ticket type (organisers). A plain form: works without JavaScript,
// errors beside the fields, money in major units, times in the festival's zone.
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { ShareLink, TicketTypeFields } from "~/components/ticket-type-fields";
import { getFestivalOrThrow, parseJsonObject } from "~/models/festival.server";
import { accessCodeLink } from "~/models/shop.server";
import { publicUrl } from "~/utils/env.server";
import {
  findTicketType,
  NO_OWN_CAPACITY,
  pickLanguage,
  ticketTypePatch,
  updateTicketType,
} from "~/models/ticket-type.server";
import { prisma } from "~/utils/db.server";
import {
  cancelledReadOnly,
  field,
  formFailure,
  integerField,
  moneyField,
  moneyFieldError,
  readForm,
} from "~/utils/forms.server";
import { notFound } from "~/utils/http.server";
import { LOCALES, type Locale } from "~/utils/i18n";
import { getTranslator } from "~/utils/i18n.server";
import { toMajorInput } from "~/utils/money";
import { can, requireUserWith } from "~/utils/permissions.server";
import { fieldErrors, localizeMessage, toLocalInput } from "~/utils/validation";
import { useT } from "~/utils/use-t";

// Errors show inside the admin navigation (and the festival's tabs).
export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

/** A name and a description in every language of the interface. */
const LANGUAGE_FIELDS = LOCALES.flatMap(
  (l) => [`name.${l}`, `description.${l}`] as [`name.${Locale}`, `description.${Locale}`],
);
const TEXT_FIELDS = [
  ...LANGUAGE_FIELDS,
  "price",
  "minPrice",
  "suggestedPrice",
  "capacity",
  "maxPerOrder",
  "quotaId",
  "salesStartAt",
  "salesEndAt",
  "visibility",
  "accessCode",
] as const;
type FormValues = Partial<Record<(typeof TEXT_FIELDS)[number] | "payWhatYouWant", string>>;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUserWith(request, "festival:view", params.id);
  const festival = await getFestivalOrThrow(params.id);
  const type = await findTicketType(festival.id, params.typeId);
  if (!type) throw notFound();
  const { locale } = await getTranslator(request);
  const quotas = await prisma.quota.findMany({
    where: { festivalId: festival.id },
    orderBy: { createdAt: "asc" },
    select: { id: true, name: true, capacity: true, reserved: true },
  });
  const name = parseJsonObject(type.name);
  const description = parseJsonObject(type.description);
  const currency = festival.currency;
  const tz = festival.timezone;
  const values: FormValues = {
    ...Object.fromEntries(
      LOCALES.flatMap((l) => [
        [`name.${l}`, name[l] ?? name["*"] ?? ""],
        [`description.${l}`, description[l] ?? description["*"] ?? ""],
      ]),
    ),
    price: toMajorInput(type.priceMinor, currency),
    payWhatYouWant: type.payWhatYouWant ? "on" : "",
    minPrice: type.minPriceMinor === null ? "" : toMajorInput(type.minPriceMinor, currency),
    suggestedPrice:
      type.suggestedPriceMinor === null ? "" : toMajorInput(type.suggestedPriceMinor, currency),
    capacity: type.quotaId && type.capacity >= NO_OWN_CAPACITY ? "" : String(type.capacity),
    maxPerOrder: String(type.maxPerOrder),
    quotaId: type.quotaId ?? "",
    salesStartAt: type.salesStartAt ? toLocalInput(type.salesStartAt, tz) : "",
    salesEndAt: type.salesEndAt ? toLocalInput(type.salesEndAt, tz) : "",
    visibility: type.visibility,
    accessCode: type.accessCode ?? "",
  };
  return {
    festivalId: festival.id,
    shareLink:
      type.visibility === "hidden" && type.accessCode
        ? accessCodeLink(publicUrl(), festival.slug, type.accessCode)
        : null,
    currency,
    timezone: tz,
    canEdit: can(user, "festival:edit", festival.id) && festival.status !== "cancelled",
    type: { id: type.id, name: pickLanguage(type.name, locale), reserved: type.reserved },
    values,
    quotas,
  };
}

type Result = { ok: boolean; errors: Record<string, string>; values?: FormValues };

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUserWith(request, "festival:edit", params.id);
  const festival = await getFestivalOrThrow(params.id);
  const type = await findTicketType(festival.id, params.typeId);
  if (!type) throw notFound();
  const { t } = await getTranslator(request);
  const form = await readForm(request);
  const values: FormValues = {};
  for (const name of TEXT_FIELDS) values[name] = (field(form, name) ?? "").slice(0, 4000);
  values.payWhatYouWant = field(form, "payWhatYouWant") === "on" ? "on" : "";
  const raw = (name: (typeof TEXT_FIELDS)[number]) => values[name]?.trim() ?? "";
  // Empty money fields clear the value; an unreadable one is reported with the schema's errors.
  const moneyErrors: Record<string, string> = {};
  const money = (name: "price" | "minPrice" | "suggestedPrice", key: string) => {
    const minor = moneyField(form, name, festival.currency);
    if (minor === null) moneyErrors[key] = localizeMessage(moneyFieldError(festival.currency), t);
    return minor ?? null;
  };
  const integer = (name: "capacity" | "maxPerOrder") => integerField(form, name) ?? Number.NaN;
  const perLanguage = (prefix: "name" | "description") =>
    Object.fromEntries(
      LOCALES.map((l) => [l, raw(`${prefix}.${l}`)] as const).filter(([, v]) => v !== ""),
    );
  const payWhatYouWant = values.payWhatYouWant === "on";
  const visibility = raw("visibility") === "hidden" ? "hidden" : "public";
  const parsed = ticketTypePatch.safeParse({
    name: perLanguage("name"),
    description: perLanguage("description"),
    priceMinor: money("price", "priceMinor") ?? 0,
    payWhatYouWant,
    minPriceMinor: payWhatYouWant ? money("minPrice", "minPriceMinor") : null,
    suggestedPriceMinor: payWhatYouWant ? money("suggestedPrice", "suggestedPriceMinor") : null,
    // Empty: no capacity of its own (allowed on a shared capacity only).
    capacity: raw("capacity") ? integer("capacity") : null,
    maxPerOrder: integer("maxPerOrder"),
    quotaId: raw("quotaId") || null,
    salesStartAt: raw("salesStartAt") || null,
    salesEndAt: raw("salesEndAt") || null,
    visibility,
    accessCode: visibility === "hidden" ? raw("accessCode") || null : null,
  });
  if (!parsed.success || Object.keys(moneyErrors).length) {
    const errors = formErrors({
      ...(parsed.success ? {} : fieldErrors(parsed.error, t)),
      ...moneyErrors,
    });
    return data<Result>({ ok: false, errors, values }, { status: 400 });
  }
  try {
    await updateTicketType(user, festival, type.id, parsed.data);
  } catch (error) {
    const failed = formFailure(error, t, cancelledReadOnly(t), { fieldStatus: 400 });
    return data<Result>(
      { ok: false, errors: formErrors(failed.errors), values },
      { status: failed.status },
    );
  }
  return { ok: true, errors: {} } satisfies Result;
}

/** Errors on the whole `name` (no language given) show beside the English name. */
function formErrors(errors: Record<string, string>) {
  const out = { ...errors };
  if (out.name && !out["name.en"]) out["name.en"] = out.name;
  return out;
}

export default function EditTicketType() {
  const { festivalId, shareLink, currency, timezone, canEdit, type, values, quotas } =
    useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const e: Record<string, string> = result?.errors ?? {};
  const v: FormValues = (result && "values" in result ? result.values : undefined) ?? values;
  const list = `/admin/festivals/${festivalId}/tickets`;
  return (
    <>
      <p>
        <Link to={list}>← {t("tickets.title")}</Link>
      </p>
      <h2>{t("tickets.editType", { name: type.name })}</h2>
      {result?.ok ? (
        <p role="status" className="notice">
          {t("festivalAdmin.saved")}
        </p>
      ) : null}
      <p className="hint">{t("tickets.reservedNow", { n: type.reserved })}</p>
      {shareLink ? <ShareLink link={shareLink} /> : null}
      {!canEdit ? <p>{t("tickets.readOnly")}</p> : null}
      <Form method="post" noValidate className="card">
        <fieldset disabled={!canEdit}>
          <legend className="sr-only">{t("tickets.editType", { name: type.name })}</legend>
          <TicketTypeFields
            values={v}
            errors={e}
            currency={currency}
            timezone={timezone}
            quotas={quotas}
            priceChangeHint
          />
          {e._form ? <p className="form-error">{e._form}</p> : null}
          <button type="submit" className="primary">
            {t("festivalForm.save")}
          </button>
        </fieldset>
      </Form>
    </>
  );
}
