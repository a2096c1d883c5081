import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useOutlet } from "@remix-run/react";
import { ConfirmButton } from "~/components/confirm-button";
import { EmailField, Field, FocusFirstError, FormError, TextArea } from "~/components/field";
import { Table } from "~/components/table";
import { getFestivalOrThrow, parseJsonArray } from "~/models/festival.server";
import { supportedPrisoners } from "~/models/prisoner.server";
import {
  addPortfolioImage,
  ArtistHasBookingsError,
  artistFor,
  artistFormInput,
  artistPatch,
  createFlash,
  deleteArtist,
  flashInput,
  flashPatch,
  getArtistView,
  linkArtistAccount,
  linkInput,
  removeImage,
  reorderPortfolio,
  unlinkArtistAccount,
  updateArtist,
  updateFlash,
} from "~/models/tattoo-artist.server";
import { DomainError } from "~/utils/domain-error";
import {
  cancelledReadOnly,
  confirmationError,
  field,
  formFailure,
  integerField,
  moneyField,
  moneyFieldError,
} from "~/utils/forms.server";
import { languageName } from "~/utils/format";
import { errorResponse } from "~/utils/http.server";
import { getTranslator } from "~/utils/i18n.server";
import { formFile, readUploadForm } from "~/utils/images.server";
import { formatMoney, toMajorInput } from "~/utils/money";
import { can, requireUserWith } from "~/utils/permissions.server";
import { useLocale, useT } from "~/utils/use-t";
import { fieldErrors, localizeMessage } from "~/utils/validation";

// Errors show inside the admin navigation (and the festival's tabs).
export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

async function artistOfPage(request: Request, params: LoaderFunctionArgs["params"]) {
  const user = await requireUserWith(request, "tattoo:artist", params.id);
  const artist = await artistFor(user, params.artistId, "tattoo:artist");
  // Another festival's artist under this festival's address looks like no artist.
  if (artist.festivalId !== params.id) throw DomainError.notFound();
  return { user, artist };
}

/** One artist: details, account, portfolio, flash (tattoo:artist; festival:tattoo to link or remove). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, artist } = await artistOfPage(request, params);
  const festival = await getFestivalOrThrow(artist.festivalId);
  const { locale } = await getTranslator(request);
  const [view, prisoners] = await Promise.all([
    getArtistView(artist),
    supportedPrisoners(festival.id, locale),
  ]);
  return {
    festivalId: festival.id,
    currency: festival.currency,
    languages: parseJsonArray(festival.languages),
    canEdit: festival.status !== "cancelled",
    canManage: can(user, "festival:tattoo", festival.id),
    prisoners: prisoners.map((p) => ({ id: p.id, name: p.name })),
    artist: view,
  };
}

type Result = { intent: string; ok: boolean; errors: Record<string, string>; flashId?: string };

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, artist } = await artistOfPage(request, params);
  const festival = await getFestivalOrThrow(artist.festivalId);
  const { t } = await getTranslator(request);
  // Pictures come in multipart forms: read with the upload's size cap (413 past it).
  const form = await readUploadForm(request);
  const intent = field(form, "intent") ?? "";
  const fail = (errors: Record<string, string>, status = 400, flashId?: string) =>
    data<Result>({ intent, ok: false, errors, ...(flashId ? { flashId } : {}) }, { status });
  const ok = (): Result => ({ intent, ok: true, errors: {} });
  const manage = () => {
    if (!can(user, "festival:tattoo", festival.id))
      throw errorResponse(403, "forbidden", "You do not have permission to do this.");
  };
  const flashId = (field(form, "flashId") ?? "").slice(0, 64);
  try {
    if (intent === "save-artist") {
      const input = artistFormInput(form, parseJsonArray(festival.languages));
      const parsed = artistPatch.safeParse({
        ...input,
        // Emptied on the form: cleared.
        contact: input.contact.trim() === "" ? null : input.contact,
      });
      if (!parsed.success) return fail(fieldErrors(parsed.error, t));
      await updateArtist(user, artist, parsed.data);
      return ok();
    }
    if (intent === "link") {
      manage();
      const parsed = linkInput.safeParse({ email: field(form, "email") ?? "" });
      if (!parsed.success) return fail(fieldErrors(parsed.error, t));
      await linkArtistAccount(user, artist, parsed.data.email);
      return ok();
    }
    if (intent === "unlink") {
      manage();
      const refused = confirmationError(form, t);
      if (refused) return fail({ _form: refused });
      await unlinkArtistAccount(user, artist);
      return ok();
    }
    if (intent === "upload-image") {
      const image = await formFile(form);
      if (!image) return fail({ image: t("v.image.required") });
      await addPortfolioImage(user, artist, image);
      return ok();
    }
    if (intent === "remove-image") {
      const refused = confirmationError(form, t);
      if (refused) return fail({ _form: refused });
      await removeImage(user, artist, (field(form, "imageId") ?? "").slice(0, 64));
      return ok();
    }
    if (intent === "move-image") {
      // One step earlier or later in the portfolio.
      const ids = (await getArtistView(artist)).images.map((i) => i.id);
      const at = ids.indexOf(field(form, "imageId") ?? "");
      const to = at + (field(form, "direction") === "later" ? 1 : -1);
      if (at >= 0 && to >= 0 && to < ids.length) {
        [ids[at], ids[to]] = [ids[to]!, ids[at]!];
        await reorderPortfolio(user, artist, ids);
      }
      return ok();
    }
    if (intent === "add-flash" || intent === "edit-flash") {
      const moneyErrors: Record<string, string> = {};
      const minor = moneyField(form, "minDonation", festival.currency);
      if (minor === null)
        moneyErrors.minDonationMinor = localizeMessage(moneyFieldError(festival.currency), t);
      const uses = integerField(form, "maxUses");
      const values = {
        title: field(form, "title") ?? "",
        size: field(form, "size")?.trim() ? field(form, "size") : null,
        minDonationMinor: minor ?? 0,
        maxUses: uses === undefined ? null : uses,
      };
      if (intent === "add-flash") {
        const parsed = flashInput.safeParse(values);
        if (!parsed.success || Object.keys(moneyErrors).length)
          return fail({ ...(parsed.success ? {} : fieldErrors(parsed.error, t)), ...moneyErrors });
        await createFlash(user, artist, parsed.data, await formFile(form));
        return ok();
      }
      const parsed = flashPatch.safeParse(values);
      if (!parsed.success || Object.keys(moneyErrors).length)
        return fail(
          { ...(parsed.success ? {} : fieldErrors(parsed.error, t)), ...moneyErrors },
          400,
          flashId,
        );
      try {
        await updateFlash(user, artist, flashId, parsed.data);
      } catch (error) {
        const failed = formFailure(error, t, {}, { fieldStatus: 409 });
        return fail(failed.errors, failed.status, flashId);
      }
      return ok();
    }
    if (intent === "flash-status") {
      const status = field(form, "status") === "gone" ? "gone" : "available";
      await updateFlash(user, artist, flashId, { status });
      return ok();
    }
    if (intent === "delete-artist") {
      manage();
      const refused = confirmationError(form, t);
      if (refused) return fail({ _form: refused });
      await deleteArtist(user, artist);
      return redirect(`/admin/festivals/${festival.id}/tattoo`);
    }
  } catch (error) {
    const failed = formFailure(
      error,
      t,
      (e) => {
        if (e instanceof ArtistHasBookingsError) return t("tattoo.hasBookings");
        if (e.code === "account_linked") return t("tattoo.accountLinked");
        return cancelledReadOnly(t)(e);
      },
      { fieldStatus: 400 },
    );
    return fail(failed.errors, failed.status);
  }
  throw errorResponse(400, "bad_intent", "Unknown action.");
}

export default function ArtistPage() {
  const outlet = useOutlet();
  // A page under this one (the artist's availability) replaces it.
  if (outlet) return outlet;
  return <ArtistDetails />;
}

function ArtistDetails() {
  const { festivalId, currency, languages, canEdit, canManage, prisoners, artist } =
    useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  const e: Record<string, string> = result?.errors ?? {};
  const on = (intent: string) => (result?.intent === intent ? e : {});
  const base = `/admin/festivals/${festivalId}/tattoo`;
  return (
    <>
      <p>
        <Link to={base}>← {t("tattoo.back")}</Link>
      </p>
      <h2>{artist.name}</h2>
      <p>
        <Link to={`${base}/${artist.id}/availability`}>{t("tattoo.availability")}</Link>
      </p>
      <FormError error={e._form} />
      {result?.ok ? (
        <p role="status" className="notice">
          {t("festivalAdmin.saved")}
        </p>
      ) : null}

      {canEdit ? (
        <Form method="post" noValidate className="card">
          <FocusFirstError errors={on("save-artist")} />
          <Field
            label={t("tattoo.name")}
            hint={t("tattoo.nameHint")}
            name="name"
            maxLength={80}
            required
            defaultValue={artist.name}
            error={on("save-artist").name}
          />
          {languages.map((lang) => (
            <TextArea
              key={lang}
              label={t("tattoo.bio", { language: languageName(lang, locale) })}
              name={`bio.${lang}`}
              maxLength={4000}
              rows={3}
              defaultValue={artist.bio[lang] ?? artist.bio["*"] ?? ""}
              error={on("save-artist")[`bio.${lang}`]}
            />
          ))}
          <TextArea
            label={t("tattoo.contact")}
            hint={t("tattoo.contactHint")}
            name="contact"
            maxLength={500}
            rows={2}
            defaultValue={artist.contact ?? ""}
            error={on("save-artist").contact}
          />
          {prisoners.length > 0 ? (
            <div className={`field${on("save-artist").prisonerId ? " has-error" : ""}`}>
              <label htmlFor="artist-prisoner">{t("tattoo.earmark")}</label>
              <select id="artist-prisoner" name="prisonerId" defaultValue={artist.prisonerId ?? ""}>
                <option value="">{t("tattoo.noEarmark")}</option>
                {prisoners.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
              </select>
              {on("save-artist").prisonerId ? (
                <p className="field-error" role="alert">
                  {on("save-artist").prisonerId}
                </p>
              ) : null}
            </div>
          ) : null}
          <button type="submit" name="intent" value="save-artist" className="primary">
            {t("tattoo.save")}
          </button>
        </Form>
      ) : null}

      <section className="card">
        <h3>{t("tattoo.account")}</h3>
        <p>
          {artist.account
            ? t("tattoo.linkedTo", { email: artist.account.email })
            : t("tattoo.notLinked")}
        </p>
        {canManage && canEdit ? (
          <>
            <p className="hint">{t("tattoo.linkHint")}</p>
            <Form method="post" noValidate className="row">
              <FocusFirstError errors={on("link")} />
              <EmailField label={t("field.email")} error={on("link").email} />
              <button type="submit" name="intent" value="link">
                {t("tattoo.link")}
              </button>
            </Form>
            {artist.account ? (
              <ConfirmButton
                label={t("tattoo.unlink")}
                warning={t("tattoo.unlinkWarning")}
                confirmLabel={t("tattoo.unlinkConfirm")}
                intent="unlink"
              />
            ) : null}
          </>
        ) : null}
      </section>

      <section className="card">
        <h3>{t("tattoo.portfolio")}</h3>
        {artist.images.length === 0 ? <p>{t("tattoo.noImages")}</p> : null}
        <ul className="gallery">
          {artist.images.map((img, index) => (
            <li key={img.id}>
              <a href={img.url}>
                <img
                  src={img.thumbUrl}
                  alt={t("tattoo.imageAlt", { name: artist.name })}
                  loading="lazy"
                  width={200}
                  height={Math.round((200 * img.height) / Math.max(1, img.width))}
                />
              </a>
              {canEdit && artist.images.length > 1 ? (
                <Form method="post" className="row">
                  <input type="hidden" name="imageId" value={img.id} />
                  <input type="hidden" name="intent" value="move-image" />
                  {index > 0 ? (
                    <button type="submit" name="direction" value="earlier">
                      {t("tattoo.moveEarlier")}
                    </button>
                  ) : null}
                  {index < artist.images.length - 1 ? (
                    <button type="submit" name="direction" value="later">
                      {t("tattoo.moveLater")}
                    </button>
                  ) : null}
                </Form>
              ) : null}
              {canEdit ? (
                <ConfirmButton
                  label={t("tattoo.removeImage")}
                  warning={t("tattoo.removeImageWarning")}
                  confirmLabel={t("tattoo.removeImageConfirm")}
                  intent="remove-image"
                >
                  <input type="hidden" name="imageId" value={img.id} />
                </ConfirmButton>
              ) : null}
            </li>
          ))}
        </ul>
        {canEdit ? (
          <Form method="post" encType="multipart/form-data" noValidate>
            <FocusFirstError errors={on("upload-image")} />
            <Field
              label={t("tattoo.image")}
              hint={t("tattoo.imageHint")}
              name="image"
              type="file"
              accept="image/jpeg,image/png,image/webp"
              required
              error={on("upload-image").image}
            />
            <button type="submit" name="intent" value="upload-image">
              {t("tattoo.upload")}
            </button>
          </Form>
        ) : null}
      </section>

      <section className="card">
        <h3>{t("tattoo.flash")}</h3>
        {artist.flash.length === 0 ? <p>{t("tattoo.noFlash")}</p> : null}
        {artist.flash.length > 0 ? (
          <Table label={t("tattoo.flash")}>
            <thead>
              <tr>
                <th>{t("tattoo.flashTitle")}</th>
                <th>{t("tattoo.minDonation")}</th>
                <th>{t("tattoo.maxUses")}</th>
                <th>{t("tattoo.status")}</th>
              </tr>
            </thead>
            <tbody>
              {artist.flash.map((f) => {
                const fe = result?.flashId === f.id ? e : {};
                return (
                  <tr key={f.id}>
                    <td>
                      {f.image ? (
                        <img src={f.image.thumbUrl} alt="" width={60} className="thumb" />
                      ) : null}{" "}
                      {f.title}
                      {f.size ? <div className="muted">{f.size}</div> : null}
                      {canEdit ? (
                        <details>
                          <summary>{t("tattoo.saveFlash")}</summary>
                          <Form method="post" noValidate>
                            <input type="hidden" name="flashId" value={f.id} />
                            <FocusFirstError errors={fe} />
                            <Field
                              label={t("tattoo.flashTitle")}
                              name="title"
                              maxLength={120}
                              defaultValue={f.title}
                              error={fe.title}
                            />
                            <Field
                              label={t("tattoo.size")}
                              name="size"
                              maxLength={60}
                              defaultValue={f.size ?? ""}
                              error={fe.size}
                            />
                            <Field
                              label={`${t("tattoo.minDonation")} (${currency})`}
                              name="minDonation"
                              inputMode="decimal"
                              defaultValue={toMajorInput(f.minDonationMinor, currency)}
                              error={fe.minDonationMinor}
                            />
                            <Field
                              label={t("tattoo.maxUses")}
                              hint={t("tattoo.maxUsesHint")}
                              name="maxUses"
                              inputMode="numeric"
                              defaultValue={f.maxUses === null ? "" : String(f.maxUses)}
                              error={fe.maxUses}
                            />
                            <button type="submit" name="intent" value="edit-flash">
                              {t("tattoo.saveFlash")}
                            </button>
                          </Form>
                        </details>
                      ) : null}
                    </td>
                    <td>{formatMoney(f.minDonationMinor, currency, locale)}</td>
                    <td>
                      {f.maxUses === null
                        ? t("tattoo.usesUnlimited", { reserved: f.reserved })
                        : t("tattoo.uses", { reserved: f.reserved, max: f.maxUses })}
                    </td>
                    <td>
                      {t(f.status === "gone" ? "tattoo.status.gone" : "tattoo.status.available")}
                      {canEdit ? (
                        <Form method="post">
                          <input type="hidden" name="flashId" value={f.id} />
                          <input
                            type="hidden"
                            name="status"
                            value={f.status === "gone" ? "available" : "gone"}
                          />
                          <button type="submit" name="intent" value="flash-status">
                            {f.status === "gone" ? t("tattoo.markAvailable") : t("tattoo.markGone")}
                          </button>
                        </Form>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </Table>
        ) : null}
        {canEdit ? (
          <Form method="post" encType="multipart/form-data" noValidate>
            <h4>{t("tattoo.addFlash")}</h4>
            <FocusFirstError errors={on("add-flash")} />
            <Field
              label={t("tattoo.flashTitle")}
              name="title"
              maxLength={120}
              required
              error={on("add-flash").title}
            />
            <Field
              label={t("tattoo.size")}
              hint={t("tattoo.sizeHint")}
              name="size"
              maxLength={60}
              error={on("add-flash").size}
            />
            <Field
              label={`${t("tattoo.minDonation")} (${currency})`}
              name="minDonation"
              inputMode="decimal"
              required
              error={on("add-flash").minDonationMinor}
            />
            <Field
              label={t("tattoo.maxUses")}
              hint={t("tattoo.maxUsesHint")}
              name="maxUses"
              inputMode="numeric"
              error={on("add-flash").maxUses}
            />
            <Field
              label={t("tattoo.image")}
              hint={t("tattoo.imageHint")}
              name="image"
              type="file"
              accept="image/jpeg,image/png,image/webp"
              error={on("add-flash").image}
            />
            <button type="submit" name="intent" value="add-flash" className="primary">
              {t("tattoo.addFlash")}
            </button>
          </Form>
        ) : null}
      </section>

      {canManage && canEdit ? (
        <ConfirmButton
          label={t("tattoo.delete")}
          warning={t("tattoo.deleteWarning")}
          confirmLabel={t("tattoo.deleteConfirm")}
          intent="delete-artist"
        />
      ) : null}
    </>
  );
}
