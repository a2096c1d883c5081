import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import {
  Form,
  useActionData,
  useLoaderData,
  type ShouldRevalidateFunction,
} from "@remix-run/react";
import QRCode from "qrcode";
import { ConfirmButton } from "~/components/confirm-button";
import { Field, FormError } from "~/components/field";
import {
  arrivalsPer10Minutes,
  createDoorDevice,
  deviceInput,
  doorCounters,
  findDevice,
  listCheckIns,
  listDoorDevices,
  revokeDoorDevice,
} from "~/models/door.server";
import { FestivalStateError, getFestivalOrThrow } from "~/models/festival.server";
import { pickLanguage } from "~/models/ticket-type.server";
import { publicUrl } from "~/utils/env.server";
import { formatDateTime, formatTime } from "~/utils/format";
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
import { fieldErrors } from "~/utils/validation";
import { useLocale, useT } from "~/utils/use-t";
import { Table } from "~/components/table";
import { ExportLinks } from "~/components/export-links";

// Errors show inside the admin navigation (and the festival's tabs).
export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUserWith(request, "festival:view", params.id);
  const festival = await getFestivalOrThrow(params.id);
  const { locale } = await getTranslator(request);
  // The check-in search text (a buyer's name) comes only in a POST body, never from the URL.
  const [devices, counters, arrivals, checkIns] = await Promise.all([
    listDoorDevices(festival.id),
    doorCounters(festival.id),
    arrivalsPer10Minutes(festival.id),
    checkInsFor(festival, "", locale),
  ]);
  return {
    festivalId: festival.id,
    timezone: festival.timezone,
    canManage: can(user, "festival:edit", festival.id),
    devices,
    counters,
    arrivals,
    checkIns,
  };
}

/** The check-ins matching `q` (all when empty), ticket type names in the reader's language. */
async function checkInsFor(festival: { id: string }, q: string, locale: string) {
  return (await listCheckIns(festival.id, q)).map((c) => ({
    ...c,
    typeName: c.typeName ? pickLanguage(c.typeName, locale) : null,
  }));
}

/** A check-in search answers with its own list: the page's loader need not run again for it. */
export const shouldRevalidate: ShouldRevalidateFunction = ({
  formData,
  defaultShouldRevalidate,
}) => (formData?.get("intent") === "search" ? false : defaultShouldRevalidate);

type Result = {
  errors: Record<string, string>;
  created?: { name: string; setupUrl: string; qr: string };
  search?: { q: string; checkIns: Awaited<ReturnType<typeof checkInsFor>> };
};

export async function action({ request, params }: ActionFunctionArgs) {
  await requireUserWith(request, "festival:view", params.id);
  const form = await readForm(request);
  const intent = field(form, "intent");
  if (intent === "search") {
    const festival = await getFestivalOrThrow(params.id);
    const { locale } = await getTranslator(request);
    const q = (field(form, "q") ?? "").slice(0, 60);
    return { errors: {}, search: { q, checkIns: await checkInsFor(festival, q, locale) } };
  }
  const user = await requireUserWith(request, "festival:edit", params.id);
  const festival = await getFestivalOrThrow(params.id);
  const { t } = await getTranslator(request);
  if (intent === "add-device") {
    const parsed = deviceInput.safeParse({ name: field(form, "name") });
    if (!parsed.success)
      return data<Result>({ errors: fieldErrors(parsed.error, t) }, { status: 400 });
    let device: { token: string };
    try {
      device = await createDoorDevice(user, festival, parsed.data.name);
    } catch (error) {
      const failed = formFailure(
        error,
        t,
        (e) =>
          cancelledReadOnly(t)(e) ??
          (e instanceof FestivalStateError ? { name: t("door.festivalOver") } : undefined),
      );
      return data<Result>({ errors: failed.errors }, { status: failed.status });
    }
    const setupUrl = `${publicUrl()}/door#device=${device.token}`;
    // Shown once: the token is stored only as a hash.
    return {
      errors: {},
      created: {
        name: parsed.data.name,
        setupUrl,
        qr: await QRCode.toDataURL(setupUrl, { margin: 2, width: 320 }),
      },
    } satisfies Result;
  }
  if (intent === "revoke-device") {
    const refused = confirmationError(form, t);
    if (refused) return data<Result>({ errors: { _form: refused } }, { status: 400 });
    const device = await findDevice((field(form, "deviceId") ?? "").slice(0, 64));
    if (device && device.festivalId === festival.id) await revokeDoorDevice(user, device);
    return { errors: {} } satisfies Result;
  }
  throw errorResponse(400, "bad_intent", "Unknown action.");
}

function ArrivalsChart({
  arrivals,
  timezone,
}: {
  arrivals: { at: string; count: number }[];
  timezone: string;
}) {
  const t = useT();
  const locale = useLocale();
  if (arrivals.length === 0) return <p className="muted">{t("door.noArrivals")}</p>;
  const max = Math.max(...arrivals.map((a) => a.count), 1);
  const width = Math.max(300, arrivals.length * 14);
  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${width} 120`}
        role="img"
        aria-label={t("door.arrivalsChart")}
        width="100%"
        height="140"
      >
        {arrivals.map((a, i) => {
          const h = Math.round((a.count / max) * 100);
          return (
            <g key={a.at}>
              <rect x={i * 14 + 2} y={105 - h} width={10} height={h} className="bar">
                <title>{`${formatTime(a.at, locale, timezone)}: ${a.count}`}</title>
              </rect>
              {i % 6 === 0 ? (
                <text x={i * 14 + 2} y={118} className="tick">
                  {formatTime(a.at, locale, timezone)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <figcaption className="muted">{t("door.arrivalsCaption")}</figcaption>
    </figure>
  );
}

export default function DoorAdmin() {
  const { festivalId, timezone, canManage, devices, counters, arrivals, ...loaded } =
    useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const checkIns = result?.search?.checkIns ?? loaded.checkIns;
  const t = useT();
  const locale = useLocale();
  const e: Record<string, string> = result?.errors ?? {};
  return (
    <>
      <h2>{t("door.title")}</h2>
      <FormError error={e._form} />
      <dl className="stats">
        <div>
          <dt>{t("door.checkedIn")}</dt>
          <dd>
            {counters.checkedIn} / {counters.sold}
          </dd>
        </div>
        <div>
          <dt>{t("door.inside")}</dt>
          <dd>{counters.inside}</dd>
        </div>
      </dl>
      <ArrivalsChart arrivals={arrivals} timezone={timezone} />
      <h3>{t("door.devices")}</h3>
      {result?.created ? (
        <div className="card" role="status">
          <p>{t("door.deviceCreated", { name: result.created.name })}</p>
          <img src={result.created.qr} alt={t("door.setupQr")} width={240} height={240} />
          <p className="mono">{result.created.setupUrl}</p>
        </div>
      ) : null}
      {devices.length === 0 ? <p className="muted">{t("door.noDevices")}</p> : null}
      <ul>
        {devices.map((d) => (
          <li key={d.id}>
            <strong>{d.name}</strong> —{" "}
            {d.revoked
              ? t("door.revoked")
              : d.expired
                ? t("door.expired")
                : d.lastSeenAt
                  ? t("door.lastSeen", { time: formatDateTime(d.lastSeenAt, locale, timezone) })
                  : t("door.neverSeen")}
            <br />
            <span className="muted">
              {d.createdBy
                ? t("door.setUpBy", { name: d.createdBy.name ?? d.createdBy.email })
                : t("door.setUpByNobody")}
              {" · "}
              {t("door.searchCounts", { today: d.searches.today, total: d.searches.total })}
              {d.searches.lastAt
                ? ` · ${t("door.lastSearch", { time: formatDateTime(d.searches.lastAt, locale, timezone) })}`
                : null}
            </span>
            {canManage && !d.revoked && !d.expired ? (
              <>
                {" "}
                <ConfirmButton
                  label={t("door.revoke")}
                  warning={t("door.revokeWarning")}
                  confirmLabel={t("door.revokeConfirm", { name: d.name })}
                  intent="revoke-device"
                >
                  <input type="hidden" name="deviceId" value={d.id} />
                </ConfirmButton>
              </>
            ) : null}
          </li>
        ))}
      </ul>
      {canManage ? (
        <Form method="post" noValidate className="card">
          <Field
            label={t("door.deviceName")}
            name="name"
            maxLength={60}
            placeholder={t("door.deviceNameExample")}
            error={e.name}
          />
          <button type="submit" name="intent" value="add-device" className="primary">
            {t("door.addDevice")}
          </button>
        </Form>
      ) : null}
      <h3>{t("door.checkIns")}</h3>
      <Form method="post" className="filters row">
        <div className="field">
          <label htmlFor="q">{t("door.search")}</label>
          <input
            id="q"
            name="q"
            type="search"
            maxLength={60}
            defaultValue={result?.search?.q ?? ""}
          />
        </div>
        <button type="submit" name="intent" value="search">
          {t("orders.filter")}
        </button>
      </Form>
      <ExportLinks festivalId={festivalId} kinds={["check-ins"]} />
      {checkIns.length === 0 ? <p className="muted">{t("door.noCheckIns")}</p> : null}
      {checkIns.length > 0 ? (
        <Table label={t("door.checkIns")}>
          <thead>
            <tr>
              <th>{t("orders.when")}</th>
              <th>{t("door.result")}</th>
              <th>{t("door.device")}</th>
              <th>{t("orders.code")}</th>
              <th>{t("orders.buyer")}</th>
            </tr>
          </thead>
          <tbody>
            {checkIns.map((c) => (
              <tr key={c.id} className={c.result === "conflict" ? "conflict" : undefined}>
                <td>{formatDateTime(c.scannedAt, locale, timezone)}</td>
                <td>
                  {t(`checkin.result.${c.result as "admitted"}`)}
                  {c.offline ? ` (${t("door.offline")})` : ""}
                  {c.direction === "out" ? ` — ${t("door.exit")}` : ""}
                </td>
                <td>{c.device}</td>
                <td className="mono">{c.orderCode}</td>
                <td>
                  {c.buyer ??
                    (c.orderCode ? <span className="muted">{t("orders.anonymous")}</span> : null)}
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      ) : null}
    </>
  );
}
