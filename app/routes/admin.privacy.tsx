import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { EmailField, FormError } from "~/components/field";
import {
  addressErasurePlan,
  addressInput,
  eraseEmailAddress,
  retentionDays,
} from "~/models/privacy.server";
import { confirmationError, field, readForm } from "~/utils/forms.server";
import { errorResponse } from "~/utils/http.server";
import { getTranslator } from "~/utils/i18n.server";
import { requireUserWith } from "~/utils/permissions.server";
import { fieldErrors } from "~/utils/validation";
import { useT } from "~/utils/use-t";

export const meta: MetaFunction = () => [{ title: "Personal data" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireUserWith(request, "users:manage");
  return { retentionDays: retentionDays() };
}

/**
 * Erase in two steps: `preview` shows what would go, `erase` does it. The export
 * is a download from admin.privacy[.]json.ts. The address travels in the form
 * body, never in a URL.
 */
export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUserWith(request, "users:manage");
  const { t } = await getTranslator(request);
  const form = await readForm(request);
  const intent = field(form, "intent");
  const parsed = addressInput.safeParse({ email: field(form, "email") });
  if (!parsed.success) return data({ errors: fieldErrors(parsed.error, t) }, { status: 400 });
  const address = parsed.data.email;
  switch (intent) {
    case "preview":
      return { preview: { ...(await addressErasurePlan(address)), email: address } };
    case "erase": {
      const refused = confirmationError(form, t);
      if (refused)
        return data({ errors: { _form: refused } as Record<string, string> }, { status: 400 });
      return { erased: await eraseEmailAddress(user, address) };
    }
    default:
      throw errorResponse(400, "bad_intent", "Unknown action.");
  }
}

export default function Privacy() {
  const { retentionDays } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const errors = result && "errors" in result ? result.errors : {};
  const preview = result && "preview" in result ? result.preview : null;
  const erased = result && "erased" in result ? result.erased : null;
  return (
    <section>
      <h1>{t("privacy.title")}</h1>
      <p className="hint">{t("privacy.intro", { days: retentionDays })}</p>
      <FormError error={errors._form} />
      {erased ? (
        <p role="status" className="notice">
          {t("privacy.erased", erased)}
        </p>
      ) : null}
      {preview ? (
        <Form method="post" className="card danger-zone">
          <h2>{t("privacy.confirmTitle", { email: preview.email })}</h2>
          <ul>
            <li>
              {t("privacy.orders", { count: preview.orders })}
              {preview.cancels ? `; ${t("privacy.cancels", { count: preview.cancels })}` : ""}
              {preview.refunds ? `; ${t("privacy.refunds", { count: preview.refunds })}` : ""}
            </li>
            <li>{t("privacy.emails", { count: preview.emails })}</li>
            <li>{t("privacy.invitations", { count: preview.invitations })}</li>
          </ul>
          {preview.hasAccount ? <p>{t("privacy.account")}</p> : null}
          <input type="hidden" name="email" value={preview.email} />
          <input type="hidden" name="confirm" value="yes" />
          <button type="submit" name="intent" value="erase" className="danger">
            {t("privacy.confirm")}
          </button>{" "}
          <a href="/admin/privacy">{t("privacy.back")}</a>
        </Form>
      ) : (
        // reloadDocument: the export is a file download, not page data.
        <Form method="post" reloadDocument className="card">
          <EmailField label={t("field.email")} autoComplete="off" error={errors.email} />
          <button type="submit" formAction="/admin/privacy.json">
            {t("privacy.export")}
          </button>{" "}
          <button type="submit" name="intent" value="preview" className="danger">
            {t("privacy.preview")}
          </button>
        </Form>
      )}
    </section>
  );
}
