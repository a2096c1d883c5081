// Organisers preview every email template in every language with sample data
// (emails/samples.ts: nobody's real order; the HTML part in a frame from
// admin.emails.preview.ts), and send themselves a test of one
// through the outbox (to their own address only, rate-limited, audited).
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { PREVIEWED_TEMPLATES } from "../../emails/index";
import { EmailFrame } from "~/components/email-frame";
import { FormError } from "~/components/field";
import { emailPreview, sendTestEmail } from "~/models/order-emails.server";
import { DomainError } from "~/utils/domain-error";
import { field, readForm } from "~/utils/forms.server";
import { LOCALES } from "~/utils/i18n";
import { getLocale, getTranslator } from "~/utils/i18n.server";
import { requireUserWith } from "~/utils/permissions.server";
import { RateLimitedError } from "~/utils/rate-limit.server";
import { useT } from "~/utils/use-t";

export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

export const meta: MetaFunction = () => [{ title: "Emails" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUserWith(request, "emails:preview");
  const params = new URL(request.url).searchParams;
  const { document: _html, ...email } = await emailPreview(
    params.get("template") ?? "order-confirmation",
    params.get("lang") ?? (await getLocale(request)),
  );
  return {
    templates: PREVIEWED_TEMPLATES,
    languages: LOCALES,
    ...email,
    // The HTML part, shown in a frame from its own address (admin.emails.preview.ts).
    frameSrc: `/admin/emails/preview?${new URLSearchParams({ template: email.template, lang: email.lang }).toString()}`,
    ownEmail: user.email,
  };
}

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUserWith(request, "emails:preview");
  const form = await readForm(request);
  const { t } = await getTranslator(request);
  if (field(form, "intent") !== "test")
    return data({ notice: null, error: t("order.actionRefused") }, { status: 400 });
  try {
    const { sentTo } = await sendTestEmail(
      user,
      field(form, "template") ?? "",
      field(form, "lang") ?? "",
    );
    return { notice: t("emails.testSent", { email: sentTo }), error: null };
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    const message =
      error instanceof RateLimitedError ? t("emails.tooManyTests") : t("emails.unknownTemplate");
    return data({ notice: null, error: message }, { status: error.status });
  }
}

export default function EmailPreviews() {
  const page = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  return (
    <section>
      <h1>{t("emails.title")}</h1>
      <p className="hint">{t("emails.intro")}</p>
      <Form method="get" className="email-previews">
        <label>
          {t("emails.template")}{" "}
          <select name="template" defaultValue={page.template}>
            {page.templates.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("emails.language")}{" "}
          <select name="lang" defaultValue={page.lang}>
            {page.languages.map((lang) => (
              <option key={lang} value={lang}>
                {lang}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">{t("emails.show")}</button>
      </Form>
      <h2 data-testid="email-subject">{page.subject}</h2>
      {page.attachments.length > 0 ? (
        <p className="hint">
          {t("emails.attachments")} {page.attachments.map((a) => a.filename).join(", ")}
        </p>
      ) : null}
      <EmailFrame title={page.subject} src={page.frameSrc} />
      <details>
        <summary>{t("emails.textPart")}</summary>
        <pre className="mail-body">{page.text}</pre>
      </details>
      {result?.notice ? (
        <p role="status" className="notice" data-testid="email-notice">
          {result.notice}
        </p>
      ) : null}
      <FormError error={result?.error} />
      <Form method="post" className="email-test">
        <input type="hidden" name="template" value={page.template} />
        <input type="hidden" name="lang" value={page.lang} />
        <button type="submit" name="intent" value="test">
          {t("emails.sendTest", { email: page.ownEmail })}
        </button>
      </Form>
    </section>
  );
}
