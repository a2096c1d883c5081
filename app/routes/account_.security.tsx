// /account/security (not nested in /account's page): the second factor of one's own account (decision 0035): set up an
// authenticator app (QR code drawn on the server, and the key to type in),
// confirm it with a code, see the recovery codes once; and, for a session that
// has not proved it yet (after signing in, or sent here by a money page),
// enter a code or a recovery code. Every form works without JavaScript.
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import type { ShouldRevalidateFunction } from "@remix-run/react";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import QRCode from "qrcode";
import { ConfirmButton } from "~/components/confirm-button";
import { Field, FocusFirstError, FormError } from "~/components/field";
import { requireSessionUser } from "~/utils/auth.server";
import type { DomainError } from "~/utils/domain-error";
import { confirmationError, field, formFailure, readForm } from "~/utils/forms.server";
import { errorResponse } from "~/utils/http.server";
import { getTranslator } from "~/utils/i18n.server";
import type { Translate } from "~/utils/i18n";
import { RateLimitedError } from "~/utils/rate-limit.server";
import { readSessionId, safeRedirect } from "~/utils/session.server";
import {
  confirmEnrolment,
  markSessionProved,
  pendingEnrolment,
  proveSecondFactor,
  regenerateRecoveryCodes,
  secondFactorState,
  startEnrolment,
} from "~/utils/two-factor.server";
import { formatDateTime } from "~/utils/format";
import { useLocale, useT } from "~/utils/use-t";
import { passActionHeaders } from "~/utils/headers";

// Retry-After of a refused attempt reaches the browser.
export const headers = passActionHeaders;

export const meta: MetaFunction = () => [{ title: "Sign-in security" }];

const PAGE = "/account/security";

/** Where to go once the factor is proved: a local path only, never this page again. */
function returnPath(value: string | null | undefined): string {
  const to = safeRedirect(value, "");
  return to.startsWith(PAGE) ? "" : to;
}

const pageWith = (redirectTo: string) =>
  redirectTo ? `${PAGE}?${new URLSearchParams({ redirectTo })}` : PAGE;

/** "ABCD EFGH …": easier to copy by eye. */
const groupKey = (secret: string) => secret.replace(/(.{4})(?=.)/g, "$1 ");

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireSessionUser(request);
  const redirectTo = returnPath(new URL(request.url).searchParams.get("redirectTo"));
  const state = await secondFactorState(user.id);
  // Proved already: nothing to do here for the page that sent them.
  if (state.enrolled && user.secondFactor && redirectTo) throw redirect(redirectTo);
  const pending = state.pending ? await pendingEnrolment(user) : null;
  return {
    redirectTo,
    fromSignIn: new URL(request.url).searchParams.get("signin") === "1",
    moneyRole: user.role === "admin" || user.role === "treasurer",
    status: state.enrolled
      ? user.secondFactor
        ? ("on" as const)
        : ("verify" as const)
      : pending
        ? ("pending" as const)
        : ("off" as const),
    enabledAt: state.enabledAt?.toISOString() ?? null,
    recoveryCodesLeft: state.recoveryCodesLeft,
    enrolment: pending
      ? {
          key: groupKey(pending.secret),
          qr: await QRCode.toDataURL(pending.uri, { margin: 2, width: 240 }),
        }
      : null,
  };
}

/**
 * The recovery codes an action answers with are shown once, from the action's
 * data: reloading the page's data after it would replace them (or, with
 * `redirectTo`, leave the page) before they are read.
 */
export const shouldRevalidate: ShouldRevalidateFunction = ({
  formData,
  defaultShouldRevalidate,
}) => {
  const intent = formData?.get("intent");
  if (intent === "confirm" || intent === "new-codes") return false;
  return defaultShouldRevalidate;
};

type Result = {
  errors: Record<string, string>;
  /** Shown once: after confirming, or after asking for new ones. */
  recoveryCodes?: string[];
  done?: "enabled" | "codes";
};

/** The form's message for a refused code, on the field that was typed in. */
function codeMessages(t: Translate, fieldName: string) {
  return (error: DomainError) => {
    if (error instanceof RateLimitedError)
      return { [fieldName]: t("login.rateLimited", { seconds: error.retryAfterSeconds }) };
    if (error.code === "otp_invalid" || error.code === "otp_required")
      return {
        [fieldName]: t(fieldName === "code" ? "security.codeWrong" : "security.recoveryWrong"),
      };
    if (error.code === "second_factor_enrolled") return { _form: t("security.alreadyOn") };
    if (error.code === "no_pending_enrolment") return { _form: t("security.noPending") };
    if (error.code === "second_factor_required") return { _form: t("security.proveFirst") };
    return undefined;
  };
}

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireSessionUser(request);
  const { t } = await getTranslator(request);
  const form = await readForm(request);
  const intent = field(form, "intent");
  const redirectTo = returnPath(field(form, "redirectTo"));
  const fail = (e: unknown, fieldName: string) => {
    const failed = formFailure(e, t, codeMessages(t, fieldName));
    return data<Result>(
      { errors: failed.errors },
      { status: failed.status, headers: failed.headers },
    );
  };
  const typed = (name: string) => (field(form, name) ?? "").slice(0, 64).trim();
  if (intent === "start") {
    try {
      await startEnrolment(user);
    } catch (e) {
      return fail(e, "code");
    }
    throw redirect(pageWith(redirectTo));
  }
  if (intent === "confirm" || intent === "verify") {
    const code = typed("code");
    if (!code)
      return data<Result>({ errors: { code: t("security.codeMissing") } }, { status: 400 });
    const sessionId = await readSessionId(request);
    try {
      if (intent === "confirm") {
        const { recoveryCodes } = await confirmEnrolment(user, code, { sessionId });
        return { errors: {}, recoveryCodes, done: "enabled" } satisfies Result;
      }
      await proveSecondFactor(user.id, { otp: code });
    } catch (e) {
      return fail(e, "code");
    }
    if (sessionId) await markSessionProved(sessionId, user.id);
    throw redirect(redirectTo || PAGE);
  }
  if (intent === "recovery") {
    const recoveryCode = typed("recoveryCode");
    if (!recoveryCode)
      return data<Result>(
        { errors: { recoveryCode: t("security.recoveryMissing") } },
        { status: 400 },
      );
    try {
      await proveSecondFactor(user.id, { recoveryCode });
    } catch (e) {
      return fail(e, "recoveryCode");
    }
    const sessionId = await readSessionId(request);
    if (sessionId) await markSessionProved(sessionId, user.id);
    throw redirect(redirectTo || PAGE);
  }
  if (intent === "new-codes") {
    const refused = confirmationError(form, t);
    if (refused) return data<Result>({ errors: { _form: refused } }, { status: 400 });
    try {
      const recoveryCodes = await regenerateRecoveryCodes(user);
      return { errors: {}, recoveryCodes, done: "codes" } satisfies Result;
    } catch (e) {
      return fail(e, "_form");
    }
  }
  throw errorResponse(400, "bad_intent", "Unknown action.");
}

function RecoveryCodes({ codes, continueTo }: { codes: string[]; continueTo: string }) {
  const t = useT();
  return (
    <div className="card" role="status">
      <h2>{t("security.codesTitle")}</h2>
      <p>{t("security.codesOnce")}</p>
      <ol className="recovery-codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ol>
      <p>
        <Link to={continueTo} className="button primary">
          {t("security.continue")}
        </Link>
      </p>
    </div>
  );
}

function CodeField({ error }: { error?: string }) {
  const t = useT();
  return (
    <Field
      label={t("security.code")}
      hint={t("security.codeHint")}
      name="code"
      inputMode="numeric"
      autoComplete="one-time-code"
      pattern="[0-9 ]*"
      required
      maxLength={8}
      error={error}
    />
  );
}

export default function Security() {
  const page = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  const e: Record<string, string> = result?.errors ?? {};
  const hidden = page.redirectTo ? (
    <input type="hidden" name="redirectTo" value={page.redirectTo} />
  ) : null;
  if (result?.recoveryCodes) {
    return (
      <section className="narrow">
        <h1>{t("security.title")}</h1>
        {result.done === "enabled" ? <p className="notice">{t("security.enabled")}</p> : null}
        <RecoveryCodes codes={result.recoveryCodes} continueTo={page.redirectTo || PAGE} />
      </section>
    );
  }
  return (
    <section className="narrow">
      <h1>{t("security.title")}</h1>
      <FocusFirstError errors={result ? e : null} />
      <FormError error={e._form} />
      {page.status === "off" ? (
        <>
          <p>{t(page.moneyRole ? "security.neededForMoney" : "security.explain")}</p>
          <Form method="post" noValidate className="card">
            {hidden}
            <p>{t("security.startHint")}</p>
            <button type="submit" name="intent" value="start" className="primary">
              {t("security.start")}
            </button>
          </Form>
        </>
      ) : null}
      {page.status === "pending" && page.enrolment ? (
        <>
          <div className="card">
            <h2>{t("security.scanTitle")}</h2>
            <p>{t("security.scan")}</p>
            <img src={page.enrolment.qr} alt={t("security.qrAlt")} width={240} height={240} />
            <p>{t("security.manual")}</p>
            <p>
              <code className="mono" aria-label={t("security.keyLabel")}>
                {page.enrolment.key}
              </code>
            </p>
          </div>
          <Form method="post" noValidate className="card">
            {hidden}
            <h2>{t("security.confirmTitle")}</h2>
            <CodeField error={e.code} />
            <button type="submit" name="intent" value="confirm" className="primary">
              {t("security.confirm")}
            </button>
          </Form>
          <Form method="post" noValidate>
            {hidden}
            <button type="submit" name="intent" value="start">
              {t("security.startOver")}
            </button>
          </Form>
        </>
      ) : null}
      {page.status === "verify" ? (
        <>
          <p>{t(page.fromSignIn ? "security.signinStep" : "security.verifyExplain")}</p>
          <Form method="post" noValidate className="card">
            {hidden}
            <CodeField error={e.code} />
            <button type="submit" name="intent" value="verify" className="primary">
              {t("security.verify")}
            </button>
          </Form>
          <Form method="post" noValidate className="card">
            {hidden}
            <h2>{t("security.recoveryTitle")}</h2>
            <Field
              label={t("security.recoveryCode")}
              hint={t("security.recoveryHint")}
              name="recoveryCode"
              autoComplete="off"
              autoCapitalize="none"
              spellCheck={false}
              required
              maxLength={32}
              error={e.recoveryCode}
            />
            <button type="submit" name="intent" value="recovery">
              {t("security.useRecovery")}
            </button>
          </Form>
          <p>
            <Link to="/admin">{t("security.notNow")}</Link>
          </p>
        </>
      ) : null}
      {page.status === "on" ? (
        <>
          <p className="notice">
            {t("security.on", {
              since: page.enabledAt ? formatDateTime(page.enabledAt, locale, "UTC") : "",
            })}
          </p>
          <div className="card">
            <p>{t("security.codesLeft", { n: page.recoveryCodesLeft })}</p>
            <ConfirmButton
              label={t("security.newCodes")}
              warning={t("security.newCodesWarning")}
              confirmLabel={t("security.newCodesConfirm")}
              intent="new-codes"
            />
          </div>
        </>
      ) : null}
    </section>
  );
}
