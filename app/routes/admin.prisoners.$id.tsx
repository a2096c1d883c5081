import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { ConfirmButton } from "~/components/confirm-button";
import { Field, FocusFirstError, FormError } from "~/components/field";
import { PrisonerFields } from "~/components/prisoner-fields";
import { isPrisonerStatus } from "~/models/prisoner-choices";
import {
  prisonerAdminView,
  prisonerFormInput,
  prisonerPatch,
  removePrisonerPhoto,
  setPrisonerPhoto,
  updatePrisoner,
} from "~/models/prisoner.server";
import { confirmationError, field, formFailure } from "~/utils/forms.server";
import { errorResponse } from "~/utils/http.server";
import { getTranslator } from "~/utils/i18n.server";
import { formFile, readUploadForm } from "~/utils/images.server";
import { requireUserWith } from "~/utils/permissions.server";
import { useT } from "~/utils/use-t";
import { fieldErrors } from "~/utils/validation";

// Errors show inside the admin navigation.
export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `${data.prisoner.name.en ?? data.prisoner.slug}` : "Prisoner" },
];

/** One profile with every field, the letters address too (prisoners:manage). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireUserWith(request, "prisoners:manage");
  return { prisoner: await prisonerAdminView(params.id) };
}

type Values = ReturnType<typeof prisonerFormInput>;
type Result = { intent: string; ok: boolean; errors: Record<string, string>; values?: Values };

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUserWith(request, "prisoners:manage");
  const { t } = await getTranslator(request);
  // The photo comes in a multipart form: read with the upload's size cap (413 past it).
  const form = await readUploadForm(request);
  const intent = field(form, "intent") ?? "";
  const ok = (): Result => ({ intent, ok: true, errors: {} });
  const fail = (errors: Record<string, string>, status = 400, values?: Values) =>
    data<Result>({ intent, ok: false, errors, ...(values ? { values } : {}) }, { status });
  try {
    if (intent === "save") {
      const values = prisonerFormInput(form);
      const parsed = prisonerPatch.safeParse(values);
      if (!parsed.success) return fail(fieldErrors(parsed.error, t), 400, values);
      try {
        await updatePrisoner(user, params.id, parsed.data);
      } catch (error) {
        const failed = formFailure(error, t);
        return fail(failed.errors, failed.status, values);
      }
      return ok();
    }
    if (intent === "upload-photo") {
      const image = await formFile(form);
      if (!image) return fail({ image: t("v.image.required") });
      await setPrisonerPhoto(user, params.id, image);
      return ok();
    }
    if (intent === "remove-photo") {
      const refused = confirmationError(form, t);
      if (refused) return fail({ _form: refused });
      await removePrisonerPhoto(user, params.id);
      return ok();
    }
  } catch (error) {
    const failed = formFailure(error, t, {}, { fieldStatus: 400 });
    return fail(failed.errors, failed.status);
  }
  throw errorResponse(400, "bad_intent", "Unknown action.");
}

export default function EditPrisoner() {
  const { prisoner } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const t = useT();
  const e = result?.errors ?? {};
  const on = (intent: string) => (result?.intent === intent ? e : {});
  const v = result?.intent === "save" && !result.ok ? result.values : undefined;
  const title = prisoner.name.en ?? prisoner.slug;
  return (
    <section>
      <p>
        <Link to="/admin/prisoners">← {t("prisonerAdmin.back")}</Link>
      </p>
      <h1>{title}</h1>
      <p>
        <Link to={`/prisoners/${prisoner.slug}`}>{t("prisonerAdmin.publicProfile")}</Link>
      </p>
      {params.get("created") && !result ? (
        <p role="status" className="notice">
          {t("prisonerAdmin.created")}
        </p>
      ) : null}
      {result?.ok ? (
        <p role="status" className="notice">
          {t("prisonerAdmin.saved")}
        </p>
      ) : null}
      <FormError error={e._form} />

      <Form method="post" noValidate className="card">
        <FocusFirstError errors={on("save")} />
        <PrisonerFields
          errors={on("save")}
          values={
            v
              ? {
                  ...v,
                  slug: v.slug ?? "",
                  status: isPrisonerStatus(v.status) ? v.status : prisoner.status,
                }
              : prisoner
          }
        />
        <button type="submit" name="intent" value="save" className="primary">
          {t("prisonerAdmin.save")}
        </button>
      </Form>

      <section className="card" aria-labelledby="photo">
        <h2 id="photo">{t("prisonerAdmin.photo")}</h2>
        {prisoner.photo ? (
          <>
            <p>
              <img
                src={prisoner.photo.thumbUrl}
                alt={t("prisoners.photoAlt", { name: title })}
                width={prisoner.photo.thumbWidth}
                height={prisoner.photo.thumbHeight}
                className="thumb"
              />
            </p>
            <ConfirmButton
              label={t("prisonerAdmin.removePhoto")}
              warning={t("prisonerAdmin.removePhotoWarning")}
              confirmLabel={t("prisonerAdmin.removePhotoConfirm")}
              intent="remove-photo"
            />
          </>
        ) : (
          <p>{t("prisonerAdmin.noPhoto")}</p>
        )}
        <Form method="post" encType="multipart/form-data" noValidate>
          <FocusFirstError errors={on("upload-photo")} />
          <Field
            label={prisoner.photo ? t("prisonerAdmin.replacePhoto") : t("prisonerAdmin.addPhoto")}
            hint={t("prisonerAdmin.photoHint")}
            name="image"
            type="file"
            accept="image/jpeg,image/png,image/webp"
            required
            error={on("upload-photo").image}
          />
          <button type="submit" name="intent" value="upload-photo">
            {t("prisonerAdmin.upload")}
          </button>
        </Form>
      </section>
    </section>
  );
}
