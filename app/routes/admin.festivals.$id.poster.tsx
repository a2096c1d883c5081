import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { FormError } from "~/components/field";
import { getFestivalOrThrow } from "~/models/festival.server";
import {
  posterView,
  removeFestivalPoster,
  setFestivalPoster,
} from "~/models/festival-poster.server";
import { cancelledReadOnly, field, formFailure } from "~/utils/forms.server";
import { errorResponse } from "~/utils/http.server";
import { getTranslator } from "~/utils/i18n.server";
import { formFile, readUploadForm } from "~/utils/images.server";
import { can, requireUserWith } from "~/utils/permissions.server";
import { useT } from "~/utils/use-t";

// Errors show inside the admin navigation (and the festival's tabs).
export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUserWith(request, "festival:view", params.id);
  const festival = await getFestivalOrThrow(params.id);
  return {
    name: festival.name,
    poster: posterView(festival),
    canEdit: can(user, "festival:edit", festival.id) && festival.status !== "cancelled",
  };
}

type Result = { ok: boolean; intent: string; errors: Record<string, string> };

/** Upload (multipart, the upload's size cap: 413 past it) or remove the poster (festival:edit). */
export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUserWith(request, "festival:edit", params.id);
  const { t } = await getTranslator(request);
  const form = await readUploadForm(request);
  const intent = field(form, "intent") ?? "";
  try {
    if (intent === "remove") {
      await removeFestivalPoster(user, params.id);
      return data<Result>({ ok: true, intent, errors: {} });
    }
    if (intent !== "upload") throw errorResponse(400, "bad_intent", "Unknown action.");
    const image = await formFile(form);
    if (!image)
      return data<Result>(
        { ok: false, intent, errors: { image: t("v.image.required") } },
        { status: 400 },
      );
    await setFestivalPoster(user, params.id, image);
    return data<Result>({ ok: true, intent, errors: {} });
  } catch (error) {
    const failed = formFailure(error, t, cancelledReadOnly(t));
    return data<Result>({ ok: false, intent, errors: failed.errors }, { status: failed.status });
  }
}

export default function Poster() {
  const { poster, name, canEdit } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state === "submitting";
  const t = useT();
  const e = result?.errors ?? {};
  return (
    <>
      <h2>{t("admin.poster.title")}</h2>
      <FormError error={e._form} />
      {result?.ok ? (
        <p role="status" className="notice">
          {t(result.intent === "remove" ? "admin.poster.removed" : "admin.poster.saved")}
        </p>
      ) : null}
      {poster ? (
        <figure className="poster-preview">
          <img
            src={poster.src}
            srcSet={poster.srcSet}
            sizes="(min-width: 40rem) 30rem, 100vw"
            width={poster.width}
            height={poster.height}
            alt={t("festival.posterAlt", { name })}
          />
          <figcaption className="muted">{t("admin.poster.current")}</figcaption>
        </figure>
      ) : null}
      {canEdit ? (
        <>
          <Form method="post" encType="multipart/form-data" className="card" noValidate>
            <p className="hint" id="poster-hint">
              {t("admin.poster.hint")}
            </p>
            <div className={`field${e.image ? " has-error" : ""}`}>
              <label htmlFor="poster-image">{t("admin.poster.file")}</label>
              <input
                id="poster-image"
                type="file"
                name="image"
                accept="image/jpeg,image/png,image/webp"
                aria-describedby="poster-hint"
                aria-invalid={e.image ? true : undefined}
              />
              {e.image ? <p className="field-error">{e.image}</p> : null}
            </div>
            <button type="submit" name="intent" value="upload" className="primary" disabled={busy}>
              {t("admin.poster.upload")}
            </button>
          </Form>
          {poster ? (
            <Form method="post" encType="multipart/form-data">
              <button type="submit" name="intent" value="remove" className="danger">
                {t("admin.poster.remove")}
              </button>
            </Form>
          ) : null}
        </>
      ) : null}
    </>
  );
}
