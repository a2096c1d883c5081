// One artist's availability windows and their slots (organisers; the linked
// artist for their own). Plain forms that work without JavaScript: times typed
// and shown in the festival's zone, a refusal that names the held slots, and
// the choice to move only the free ones. Order codes for organisers only;
// never a booker's name or email.
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { ConfirmButton } from "~/components/confirm-button";
import { Field, FocusFirstError, FormError } from "~/components/field";
import { Table } from "~/components/table";
import { FestivalCancelledError, getFestivalOrThrow } from "~/models/festival.server";
import {
  addAvailability,
  artistSchedule,
  availabilityDelete,
  availabilityInput,
  availabilityPatch,
  deleteAvailability,
  SlotOverlapError,
  SlotsBookedError,
  updateAvailability,
  type NamedSlot,
} from "~/models/tattoo-slot.server";
import type { DomainError } from "~/utils/domain-error";
import { formatDate, formatDateTime, formatTime } from "~/utils/format";
import {
  confirmationError,
  field,
  formFailure,
  integerField,
  moneyField,
  moneyFieldError,
  readForm,
} from "~/utils/forms.server";
import { notFound } from "~/utils/http.server";
import type { Locale, Translate } from "~/utils/i18n";
import { getTranslator } from "~/utils/i18n.server";
import { formatMoney, toMajorInput } from "~/utils/money";
import { requireUserWith } from "~/utils/permissions.server";
import { useLocale, useT } from "~/utils/use-t";
import { fieldErrors, localizeMessage, toLocalInput } from "~/utils/validation";

export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `${data.artist.name} · ${data.festivalName}` : "Availability" },
];

const BREAK_ROWS = 3;
const TEXT_FIELDS = [
  "startsAt",
  "endsAt",
  "slotMinutes",
  "bufferMinutes",
  "minDonation",
  "minNoticeMinutes",
  ...Array.from({ length: BREAK_ROWS }, (_, i) => [
    `breaks.${i}.startsAt`,
    `breaks.${i}.endsAt`,
  ]).flat(),
];
type FormValues = Record<string, string>;

async function load(request: Request, params: LoaderFunctionArgs["params"]) {
  const user = await requireUserWith(request, "tattoo:artist", params.id);
  const festival = await getFestivalOrThrow(params.id);
  const schedule = await artistSchedule(user, params.artistId);
  if (schedule.artist.festivalId !== festival.id) throw notFound();
  return { user, festival, schedule };
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { festival, schedule } = await load(request, params);
  const tz = festival.timezone;
  return {
    festivalId: festival.id,
    festivalName: festival.name,
    currency: festival.currency,
    timezone: tz,
    cancelled: festival.status === "cancelled",
    artist: { id: schedule.artist.id, name: schedule.artist.name },
    organiser: schedule.organiser,
    windows: schedule.windows.map((w) => ({
      ...w,
      values: {
        startsAt: toLocalInput(w.startsAt, tz),
        endsAt: toLocalInput(w.endsAt, tz),
        slotMinutes: String(w.slotMinutes),
        bufferMinutes: String(w.bufferMinutes),
        minDonation: toMajorInput(w.minDonationMinor, festival.currency),
        minNoticeMinutes: String(w.minNoticeMinutes),
        ...Object.fromEntries(
          w.breaks.flatMap((b, i) => [
            [`breaks.${i}.startsAt`, toLocalInput(b.startsAt, tz)],
            [`breaks.${i}.endsAt`, toLocalInput(b.endsAt, tz)],
          ]),
        ),
      } satisfies FormValues,
    })),
    loose: schedule.loose,
    addDefaults: {
      startsAt: toLocalInput(festival.startsAt, tz),
      endsAt: toLocalInput(new Date(festival.startsAt.getTime() + 4 * 3_600_000), tz),
      slotMinutes: "45",
      bufferMinutes: "15",
      minDonation: "",
      minNoticeMinutes: "60",
    } satisfies FormValues,
  };
}

type Result = {
  /** Which form answered: "add" or a window's id. */
  form: string;
  ok: boolean;
  notice?: string;
  errors: Record<string, string>;
  values?: FormValues;
};

/** A held or overlapping slot as a person reads it: local day and times, and order codes if shown. */
function namedList(slots: NamedSlot[], zone: string, t: Translate, locale: Locale) {
  return slots
    .map(
      (s) =>
        `${formatDateTime(s.startsAt, locale, zone)}–${formatTime(s.endsAt, locale, zone)}` +
        (s.orderCodes.length
          ? ` (${t("tattooAvailability.orderCodes", { codes: s.orderCodes.join(", ") })})`
          : ""),
    )
    .join("; ");
}

function messages(t: Translate, zone: string, locale: Locale) {
  return (error: DomainError) => {
    if (error instanceof SlotsBookedError)
      return t("tattooAvailability.slotsBooked", { list: namedList(error.slots, zone, t, locale) });
    if (error instanceof SlotOverlapError)
      return t("tattooAvailability.overlap", { list: namedList(error.slots, zone, t, locale) });
    if (error instanceof FestivalCancelledError) return t("festivalAdmin.cancelledReadOnly");
    if (error.code === "slots_booked") return t("tattooAvailability.raced");
    return undefined;
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, festival, schedule } = await load(request, params);
  const { t, locale } = await getTranslator(request);
  const form = await readForm(request);
  const intent = field(form, "intent");
  const windowId = (field(form, "availabilityId") ?? "").slice(0, 64);
  const zone = festival.timezone;
  const fail = (
    formName: string,
    errors: Record<string, string>,
    status: number,
    values?: FormValues,
  ) => data<Result>({ form: formName, ok: false, errors, values }, { status });

  if (intent === "delete") {
    const refused = confirmationError(form, t);
    if (refused) return fail(windowId, { _form: refused }, 400);
    const options = availabilityDelete.parse({
      freeSlotsOnly: field(form, "freeSlotsOnly") === "on",
    });
    try {
      const out = await deleteAvailability(user, windowId, options);
      return data<Result>({
        form: out.deleted ? "add" : windowId,
        ok: true,
        notice: t(out.deleted ? "tattooAvailability.deleted" : "tattooAvailability.deletedKept"),
        errors: {},
      });
    } catch (error) {
      const failed = formFailure(error, t, messages(t, zone, locale));
      return fail(windowId, failed.errors, failed.status);
    }
  }
  if (intent !== "add" && intent !== "update") return fail("add", { _form: t("v.invalid") }, 400);
  const formName = intent === "add" ? "add" : windowId;
  const values: FormValues = {};
  for (const name of TEXT_FIELDS) values[name] = (field(form, name) ?? "").trim().slice(0, 100);
  const minDonationMinor = moneyField(form, "minDonation", festival.currency);
  const moneyErrors: Record<string, string> =
    minDonationMinor === null
      ? { minDonation: localizeMessage(moneyFieldError(festival.currency), t) }
      : {};
  const breaks = Array.from({ length: BREAK_ROWS }, (_, i) => ({
    startsAt: values[`breaks.${i}.startsAt`] ?? "",
    endsAt: values[`breaks.${i}.endsAt`] ?? "",
  })).filter((b) => b.startsAt || b.endsAt);
  const input = {
    startsAt: values.startsAt,
    endsAt: values.endsAt,
    slotMinutes: integerField(form, "slotMinutes") ?? Number.NaN,
    bufferMinutes: integerField(form, "bufferMinutes") ?? 0,
    breaks,
    minDonationMinor: minDonationMinor ?? 0,
    minNoticeMinutes: integerField(form, "minNoticeMinutes") ?? 0,
  };
  const parsed =
    intent === "add"
      ? availabilityInput.safeParse(input)
      : availabilityPatch.safeParse({
          ...input,
          freeSlotsOnly: field(form, "freeSlotsOnly") === "on",
        });
  if (!parsed.success || Object.keys(moneyErrors).length)
    return fail(
      formName,
      renameFields({ ...(parsed.success ? {} : fieldErrors(parsed.error, t)), ...moneyErrors }),
      400,
      values,
    );
  try {
    const out =
      intent === "add"
        ? await addAvailability(user, schedule.artist.id, availabilityInput.parse(input))
        : await updateAvailability(
            user,
            windowId,
            availabilityPatch.parse({
              ...input,
              freeSlotsOnly: field(form, "freeSlotsOnly") === "on",
            }),
          );
    return data<Result>({
      form: formName,
      ok: true,
      notice: t(intent === "add" ? "tattooAvailability.added" : "tattooAvailability.saved", {
        count: out.slots.length,
      }),
      errors: {},
    });
  } catch (error) {
    const failed = formFailure(error, t, messages(t, zone, locale), { fieldStatus: 400 });
    return fail(formName, renameFields(failed.errors), failed.status, values);
  }
}

/** The domain's field names as the form's: minDonationMinor is typed as minDonation. */
function renameFields(errors: Record<string, string>) {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(errors)) {
    const name =
      k === "minDonationMinor" ? "minDonation" : k === "breaks" ? "breaks.0.startsAt" : k;
    out[TEXT_FIELDS.includes(name) ? name : "_form"] ??= v;
  }
  return out;
}

function WindowFields({
  values,
  errors,
  currency,
}: {
  values: FormValues;
  errors: Record<string, string>;
  currency: string;
}) {
  const t = useT();
  const f = (name: string) => ({ name, defaultValue: values[name] ?? "", error: errors[name] });
  return (
    <>
      <FocusFirstError errors={errors} />
      <Field
        label={t("tattooAvailability.startsAt")}
        type="datetime-local"
        required
        {...f("startsAt")}
      />
      <Field
        label={t("tattooAvailability.endsAt")}
        type="datetime-local"
        required
        {...f("endsAt")}
      />
      <Field
        label={t("tattooAvailability.slotMinutes")}
        type="number"
        min={5}
        max={720}
        inputMode="numeric"
        required
        {...f("slotMinutes")}
      />
      <Field
        label={t("tattooAvailability.bufferMinutes")}
        type="number"
        min={0}
        max={240}
        inputMode="numeric"
        {...f("bufferMinutes")}
      />
      <Field
        label={t("tattooAvailability.minDonation", { currency })}
        inputMode="decimal"
        required
        {...f("minDonation")}
      />
      <Field
        label={t("tattooAvailability.minNotice")}
        type="number"
        min={0}
        max={10080}
        inputMode="numeric"
        {...f("minNoticeMinutes")}
      />
      <fieldset className="choices">
        <legend>{t("tattooAvailability.breaksHint")}</legend>
        {Array.from({ length: BREAK_ROWS }, (_, i) => (
          <div key={i} className="inline-fields">
            <Field
              label={t("tattooAvailability.breakStart", { n: i + 1 })}
              type="datetime-local"
              {...f(`breaks.${i}.startsAt`)}
            />
            <Field
              label={t("tattooAvailability.breakEnd", { n: i + 1 })}
              type="datetime-local"
              {...f(`breaks.${i}.endsAt`)}
            />
          </div>
        ))}
      </fieldset>
    </>
  );
}

type Slot = ReturnType<typeof useLoaderData<typeof loader>>["loose"][number];

function SlotTable({
  slots,
  timezone,
  organiser,
}: {
  slots: Slot[];
  timezone: string;
  organiser: boolean;
}) {
  const t = useT();
  const locale = useLocale();
  const days = new Map<string, Slot[]>();
  for (const s of slots) days.set(s.day, [...(days.get(s.day) ?? []), s]);
  return (
    <>
      {[...days.entries()].map(([day, list]) => (
        <Table
          key={day}
          label={t("tattooAvailability.slotsOf", {
            day: formatDate(list[0]!.startsAt, locale, timezone),
          })}
        >
          <caption>
            {t("tattooAvailability.slotsOf", {
              day: formatDate(list[0]!.startsAt, locale, timezone),
            })}
          </caption>
          <thead>
            <tr>
              <th scope="col">{t("tattooAvailability.slot")}</th>
              <th scope="col">{t("tattooAvailability.state")}</th>
              {organiser ? <th scope="col">{t("tattooAvailability.order")}</th> : null}
            </tr>
          </thead>
          <tbody>
            {list.map((s) => (
              <tr key={s.id} className={`slot-${s.state}`}>
                <td>
                  {formatTime(s.startsAt, locale, timezone)}–
                  {formatTime(s.endsAt, locale, timezone)}
                </td>
                <td>{t(`tattooAvailability.state.${s.state}`)}</td>
                {organiser ? <td>{s.orderCodes.join(", ")}</td> : null}
              </tr>
            ))}
          </tbody>
        </Table>
      ))}
    </>
  );
}

export default function ArtistAvailability() {
  const {
    festivalId,
    currency,
    timezone,
    cancelled,
    artist,
    organiser,
    windows,
    loose,
    addDefaults,
  } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  const answer = (formName: string) => (result && result.form === formName ? result : null);
  const added = answer("add");
  return (
    <>
      <p>
        <Link to={`/admin/festivals/${festivalId}/tattoo`}>← {t("tattooAvailability.back")}</Link>
      </p>
      <h2>{t("tattooAvailability.title", { name: artist.name })}</h2>
      <p>{t("tattooAvailability.intro", { zone: timezone })}</p>
      <p className="hint">{t("tattooAvailability.dstHint")}</p>
      {cancelled ? <p>{t("festivalAdmin.cancelledReadOnly")}</p> : null}

      <h3>{t("tattooAvailability.windows")}</h3>
      {windows.length === 0 ? <p>{t("tattooAvailability.none")}</p> : null}
      {windows.map((w) => {
        const mine = answer(w.id);
        const errors = mine?.errors ?? {};
        return (
          <section key={w.id} className="card" aria-labelledby={`window-${w.id}`}>
            <h4 id={`window-${w.id}`}>
              {t("tattooAvailability.window", {
                from: formatDateTime(w.startsAt, locale, timezone),
                to: formatDateTime(w.endsAt, locale, timezone),
              })}
            </h4>
            <p>
              {t("tattooAvailability.rules", {
                slot: w.slotMinutes,
                buffer: w.bufferMinutes,
                amount: formatMoney(w.minDonationMinor, currency, locale),
                notice: w.minNoticeMinutes,
              })}
            </p>
            {w.breaks.length ? (
              <p>
                {t("tattooAvailability.breaksList", {
                  list: w.breaks
                    .map(
                      (b) =>
                        `${formatTime(b.startsAt, locale, timezone)}–${formatTime(b.endsAt, locale, timezone)}`,
                    )
                    .join(", "),
                })}
              </p>
            ) : null}
            {mine?.ok && mine.notice ? (
              <p role="status" className="notice">
                {mine.notice}
              </p>
            ) : null}
            <FormError error={errors._form} />
            <SlotTable slots={w.slots} timezone={timezone} organiser={organiser} />
            {!cancelled ? (
              <>
                <details open={Boolean(mine && !mine.ok && !errors._form) || undefined}>
                  <summary>{t("tattooAvailability.edit")}</summary>
                  <Form method="post" noValidate>
                    <input type="hidden" name="availabilityId" value={w.id} />
                    <WindowFields
                      values={mine?.values ?? w.values}
                      errors={errors}
                      currency={currency}
                    />
                    <div className="field">
                      <label>
                        <input type="checkbox" name="freeSlotsOnly" />{" "}
                        {t("tattooAvailability.freeSlotsOnly")}
                      </label>
                    </div>
                    <button type="submit" name="intent" value="update" className="primary">
                      {t("tattooAvailability.save")}
                    </button>
                  </Form>
                </details>
                <ConfirmButton
                  label={t("tattooAvailability.delete")}
                  warning={t("tattooAvailability.deleteWarning")}
                  confirmLabel={t("tattooAvailability.deleteConfirm")}
                  intent="delete"
                >
                  <input type="hidden" name="availabilityId" value={w.id} />
                  <label>
                    <input type="checkbox" name="freeSlotsOnly" />{" "}
                    {t("tattooAvailability.freeSlotsOnly")}
                  </label>
                </ConfirmButton>
              </>
            ) : null}
          </section>
        );
      })}
      {loose.length ? (
        <section>
          <h3>{t("tattooAvailability.loose")}</h3>
          <SlotTable slots={loose} timezone={timezone} organiser={organiser} />
        </section>
      ) : null}

      {!cancelled ? (
        <section className="card" aria-labelledby="add-window">
          <h3 id="add-window">{t("tattooAvailability.add")}</h3>
          {added?.ok && added.notice ? (
            <p role="status" className="notice">
              {added.notice}
            </p>
          ) : null}
          <Form method="post" noValidate>
            <WindowFields
              values={added?.values ?? addDefaults}
              errors={added?.errors ?? {}}
              currency={currency}
            />
            <FormError error={added?.errors._form} />
            <button type="submit" name="intent" value="add" className="primary">
              {t("tattooAvailability.create")}
            </button>
          </Form>
        </section>
      ) : null}
    </>
  );
}
