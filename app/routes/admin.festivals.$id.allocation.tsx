// A festival's allocation rule (permission festival:allocation: its organisers
// and treasurers): how its net proceeds split between the prisoners it
// supports and the general fund, by percentages or equally. Every save is a new
// version (append-only); allocating uses the version in force at that moment,
// so a change applies to money allocated afterwards only.
import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { ErrorSummary, Field, FormError } from "~/components/field";
import { Table } from "~/components/table";
import { setAllocationRule, type AllocationShare } from "~/models/allocation.server";
import { getFestivalOrThrow } from "~/models/festival.server";
import { supportedPrisoners } from "~/models/prisoner.server";
import { prisma } from "~/utils/db.server";
import { formatDateTime } from "~/utils/format";
import {
  cancelledReadOnly,
  field,
  formFailure,
  integerField,
  readForm,
} from "~/utils/forms.server";
import { treasuryFieldStatus } from "~/utils/treasury-forms.server";
import { getTranslator } from "~/utils/i18n.server";
import { requireUserWith } from "~/utils/permissions.server";
import { useLocale, useT } from "~/utils/use-t";
import treasuryStyles from "~/styles/treasury.css";

export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: treasuryStyles }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireUserWith(request, "festival:allocation", params.id);
  const festival = await getFestivalOrThrow(params.id);
  const { locale } = await getTranslator(request);
  const [prisoners, rows] = await Promise.all([
    supportedPrisoners(festival.id, locale),
    // Every version, oldest first (the table is append-only; the newest is in force).
    prisma.allocationRule.findMany({
      where: { festivalId: festival.id },
      orderBy: { version: "asc" },
    }),
  ]);
  const rules = rows.map((r) => ({
    version: r.version,
    equal: r.equal,
    generalPercent: r.generalPercent,
    shares: JSON.parse(r.shares) as AllocationShare[],
    createdById: r.createdById,
    createdAt: r.createdAt.toISOString(),
  }));
  const users = await prisma.user.findMany({
    where: { id: { in: rules.flatMap((r) => (r.createdById ? [r.createdById] : [])) } },
    select: { id: true, name: true, email: true },
  });
  return {
    festival: { id: festival.id, timezone: festival.timezone, status: festival.status },
    prisoners,
    rules,
    names: Object.fromEntries(users.map((u) => [u.id, u.name ?? u.email])),
  };
}

type Result = { errors: Record<string, string>; version?: number };

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUserWith(request, "festival:allocation", params.id);
  const festival = await getFestivalOrThrow(params.id);
  const { t, locale } = await getTranslator(request);
  const form = await readForm(request);
  const prisoners = await supportedPrisoners(festival.id, locale);
  const generalPercent = integerField(form, "generalPercent") ?? 0;
  const equal = field(form, "mode") === "equal";
  const shares = prisoners.map((p) => ({
    prisonerId: p.id,
    percent: integerField(form, `percent.${p.id}`) ?? 0,
  }));
  try {
    const saved = await setAllocationRule(
      user,
      festival.id,
      equal ? { equal: true, generalPercent } : { shares, generalPercent },
    );
    return { errors: {}, version: saved.version } satisfies Result;
  } catch (error) {
    const failed = formFailure(error, t, cancelledReadOnly(t), treasuryFieldStatus(error));
    // "shares.2.percent" → the field of the third supported prisoner.
    const errors = Object.fromEntries(
      Object.entries(failed.errors).map(([k, v]) => {
        const m = /^shares\.(\d+)(?:\.percent)?$/.exec(k);
        const id = m ? shares[Number(m[1])]?.prisonerId : undefined;
        return [id ? `percent.${id}` : k, v];
      }),
    );
    return data<Result>({ errors }, { status: failed.status });
  }
}

type Rule = ReturnType<typeof useLoaderData<typeof loader>>["rules"][number];

export default function Allocation() {
  const { festival, prisoners, rules, names } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  const current: Rule | undefined = rules[rules.length - 1];
  const mode = current?.equal ? "equal" : "shares";
  const e: Record<string, string> = result?.errors ?? {};
  const prisonerName = Object.fromEntries(prisoners.map((p) => [p.id, p.name]));
  const split = (r: Rule) =>
    r.equal
      ? t("allocation.equalSummary", { percent: r.generalPercent })
      : [
          ...r.shares.map((s) =>
            t("allocation.share", {
              name: prisonerName[s.prisonerId] ?? s.prisonerId,
              percent: s.percent,
            }),
          ),
          t("allocation.share", { name: t("treasury.generalFund"), percent: r.generalPercent }),
        ].join(", ");
  const currentShare = (id: string) =>
    current && !current.equal ? (current.shares.find((s) => s.prisonerId === id)?.percent ?? 0) : 0;
  const labels = [
    { name: "mode", label: t("allocation.mode") },
    { name: "generalPercent", label: t("allocation.generalPercent") },
    ...prisoners.map((p) => ({
      name: `percent.${p.id}`,
      label: t("allocation.percentFor", { name: p.name }),
    })),
    { name: "shares", label: t("allocation.shares") },
  ];
  return (
    <>
      <h2>{t("allocation.title")}</h2>
      <p className="muted">{t("allocation.intro")}</p>
      {result?.version !== undefined ? (
        <p role="status" className="notice">
          {t("allocation.saved", { version: result.version })}
        </p>
      ) : null}
      {current ? (
        <p data-testid="allocation-current">
          {t("allocation.current", {
            version: current.version,
            name: current.createdById ? (names[current.createdById] ?? "") : "",
            date: formatDateTime(current.createdAt, locale, festival.timezone),
          })}{" "}
          {split(current)}
        </p>
      ) : (
        <p data-testid="allocation-current">{t("allocation.noRule")}</p>
      )}
      {prisoners.length === 0 ? <p className="notice">{t("allocation.noPrisoners")}</p> : null}
      <Form method="post" noValidate className="card allocation-shares">
        <ErrorSummary errors={e} fields={labels} />
        <FormError error={e._form} />
        <fieldset className="choices">
          <legend>{t("allocation.mode")}</legend>
          <label className="choice">
            <input type="radio" name="mode" value="equal" defaultChecked={mode === "equal"} />{" "}
            {t("allocation.equal")}
          </label>
          <label className="choice">
            <input type="radio" name="mode" value="shares" defaultChecked={mode === "shares"} />{" "}
            {t("allocation.shares")}
          </label>
        </fieldset>
        <Field
          label={t("allocation.generalPercent")}
          name="generalPercent"
          inputMode="numeric"
          required
          defaultValue={String(current?.generalPercent ?? (prisoners.length ? 0 : 100))}
          error={e.generalPercent}
        />
        {prisoners.length > 0 ? (
          <fieldset>
            <legend>{t("allocation.shares")}</legend>
            <p className="hint">{t("allocation.sharesHint")}</p>
            {e.shares ? (
              <p className="field-error" role="alert" id="field-shares">
                {e.shares}
              </p>
            ) : null}
            {prisoners.map((p) => (
              <Field
                key={p.id}
                label={t("allocation.percentFor", { name: p.name })}
                name={`percent.${p.id}`}
                inputMode="numeric"
                defaultValue={String(currentShare(p.id))}
                error={e[`percent.${p.id}`]}
              />
            ))}
          </fieldset>
        ) : null}
        <button type="submit" className="primary">
          {t("allocation.save")}
        </button>
      </Form>
      {rules.length > 0 ? (
        <>
          <h3>{t("allocation.history")}</h3>
          <Table label={t("allocation.history")}>
            <thead>
              <tr>
                <th scope="col">{t("allocation.version")}</th>
                <th scope="col">{t("treasury.when")}</th>
                <th scope="col">{t("treasury.by")}</th>
                <th scope="col">{t("allocation.split")}</th>
              </tr>
            </thead>
            <tbody>
              {[...rules].reverse().map((r) => (
                <tr key={r.version}>
                  <td>{r.version}</td>
                  <td>{formatDateTime(r.createdAt, locale, festival.timezone)}</td>
                  <td>{r.createdById ? (names[r.createdById] ?? "") : ""}</td>
                  <td>{split(r)}</td>
                </tr>
              ))}
            </tbody>
          </Table>
        </>
      ) : null}
    </>
  );
}
