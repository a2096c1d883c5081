import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { Field, FocusFirstError, FormError, TextArea } from "~/components/field";
import { Table } from "~/components/table";
import { getFestivalOrThrow, parseJsonArray } from "~/models/festival.server";
import { supportedPrisoners } from "~/models/prisoner.server";
import {
  artistFormInput,
  artistInput,
  createArtist,
  listArtists,
} from "~/models/tattoo-artist.server";
import { cancelledReadOnly, field, formFailure, readForm } from "~/utils/forms.server";
import { languageName } from "~/utils/format";
import { errorResponse } from "~/utils/http.server";
import { getTranslator } from "~/utils/i18n.server";
import { requireUserWith } from "~/utils/permissions.server";
import { ExportLinks } from "~/components/export-links";
import { useLocale, useT } from "~/utils/use-t";
import { fieldErrors } from "~/utils/validation";

// Errors show inside the admin navigation (and the festival's tabs).
export { SectionErrorBoundary as ErrorBoundary } from "~/components/error-message";

/** The festival's tattoo corner: its artists, and a form to add one (festival:tattoo). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireUserWith(request, "festival:tattoo", params.id);
  const festival = await getFestivalOrThrow(params.id);
  const { locale } = await getTranslator(request);
  const [artists, prisoners] = await Promise.all([
    listArtists(festival.id),
    supportedPrisoners(festival.id, locale),
  ]);
  return {
    festivalId: festival.id,
    languages: parseJsonArray(festival.languages),
    canEdit: festival.status !== "cancelled",
    prisoners: prisoners.map((p) => ({ id: p.id, name: p.name })),
    artists: artists.map((a) => ({
      id: a.id,
      name: a.name,
      account: a.account?.email ?? null,
      portfolio: a.images.length,
      flash: a.flash.length,
      bookings: a.bookings,
      thumbUrl: a.images[0]?.thumbUrl ?? null,
    })),
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUserWith(request, "festival:tattoo", params.id);
  const festival = await getFestivalOrThrow(params.id);
  const { t } = await getTranslator(request);
  const form = await readForm(request);
  if (field(form, "intent") !== "add-artist")
    throw errorResponse(400, "bad_intent", "Unknown action.");
  const parsed = artistInput.safeParse(artistFormInput(form, parseJsonArray(festival.languages)));
  if (!parsed.success)
    return data(
      { errors: fieldErrors(parsed.error, t) as Record<string, string> },
      { status: 400 },
    );
  try {
    const { id } = await createArtist(user, festival.id, parsed.data);
    return redirect(`/admin/festivals/${festival.id}/tattoo/${id}`);
  } catch (error) {
    const failed = formFailure(error, t, cancelledReadOnly(t), { fieldStatus: 400 });
    return data({ errors: failed.errors }, { status: failed.status });
  }
}

/** The festival's tattoo artists (each artist's own page is a route of its own, for linked artists too). */
export default function ArtistList() {
  const { festivalId, artists, languages, prisoners, canEdit } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  const e: Record<string, string> = result?.errors ?? {};
  return (
    <>
      <h2>{t("tattoo.title")}</h2>
      <p className="hint">{t("tattoo.intro")}</p>
      <ExportLinks festivalId={festivalId} kinds={["tattoo-schedule"]} />
      {artists.length === 0 ? <p>{t("tattoo.none")}</p> : null}
      {artists.length > 0 ? (
        <Table label={t("tattoo.artists")}>
          <thead>
            <tr>
              <th>{t("tattoo.name")}</th>
              <th>{t("tattoo.portfolioCount")}</th>
              <th>{t("tattoo.flashCount")}</th>
              <th>{t("tattoo.bookings")}</th>
              <th>{t("tattoo.account")}</th>
            </tr>
          </thead>
          <tbody>
            {artists.map((a) => (
              <tr key={a.id}>
                <td>
                  {a.thumbUrl ? (
                    <img src={a.thumbUrl} alt="" width={40} height={40} className="thumb" />
                  ) : null}{" "}
                  <Link to={`/admin/festivals/${festivalId}/tattoo/${a.id}`}>{a.name}</Link>
                </td>
                <td>{a.portfolio}</td>
                <td>{a.flash}</td>
                <td>{a.bookings}</td>
                <td className="muted">{a.account ?? t("tattoo.notLinked")}</td>
              </tr>
            ))}
          </tbody>
        </Table>
      ) : null}
      {canEdit ? (
        <Form method="post" noValidate className="card">
          <h3>{t("tattoo.addArtist")}</h3>
          <FocusFirstError errors={e} />
          <FormError error={e._form} />
          <Field
            label={t("tattoo.name")}
            hint={t("tattoo.nameHint")}
            name="name"
            maxLength={80}
            required
            error={e.name}
          />
          {languages.map((lang) => (
            <TextArea
              key={lang}
              label={t("tattoo.bio", { language: languageName(lang, locale) })}
              name={`bio.${lang}`}
              maxLength={4000}
              rows={3}
              error={e[`bio.${lang}`]}
            />
          ))}
          <TextArea
            label={t("tattoo.contact")}
            hint={t("tattoo.contactHint")}
            name="contact"
            maxLength={500}
            rows={2}
            error={e.contact}
          />
          {prisoners.length > 0 ? (
            <div className={`field${e.prisonerId ? " has-error" : ""}`}>
              <label htmlFor="artist-prisoner">{t("tattoo.earmark")}</label>
              <select id="artist-prisoner" name="prisonerId" defaultValue="">
                <option value="">{t("tattoo.noEarmark")}</option>
                {prisoners.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
              </select>
              {e.prisonerId ? (
                <p className="field-error" role="alert">
                  {e.prisonerId}
                </p>
              ) : null}
            </div>
          ) : null}
          <button type="submit" name="intent" value="add-artist" className="primary">
            {t("tattoo.addArtist")}
          </button>
        </Form>
      ) : null}
    </>
  );
}
