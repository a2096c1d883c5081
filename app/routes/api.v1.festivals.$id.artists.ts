import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { FESTIVAL_LANGUAGES } from "~/models/choices";
import { getFestivalOrThrow } from "~/models/festival.server";
import { artistInput, createArtist, publicArtists } from "~/models/tattoo-artist.server";
import { api, created, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { prisma } from "~/utils/db.server";
import { notFound } from "~/utils/http.server";
import { getLocale } from "~/utils/i18n.server";
import { requireApiUserWith } from "~/utils/permissions.server";

/**
 * Public: a published festival's artists with their bio (in `?lang=`, else the
 * reader's language), portfolio and the flash still available. Never a
 * contact, an account, or anything about who booked. A draft is a 404 to all.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return api(async () => {
    const id = params.id ?? "";
    const festival =
      id.length <= 64
        ? await prisma.festival.findUnique({
            where: { id },
            select: { id: true, status: true, publishedAt: true, currency: true },
          })
        : null;
    if (!festival || festival.status === "draft" || !festival.publishedAt) throw notFound();
    const asked = new URL(request.url).searchParams.get("lang") ?? "";
    const locale = (FESTIVAL_LANGUAGES as readonly string[]).includes(asked)
      ? asked
      : await getLocale(request);
    return Response.json({
      festival: { id: festival.id, currency: festival.currency },
      artists: await publicArtists(festival.id, locale),
    });
  });
}

/** Organisers (festival:tattoo): `{name, bio?, contact?, prisonerId?}` → 201 `{id}`. */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["GET", "POST"]);
    const user = await requireApiUserWith(request, "festival:tattoo", params.id);
    const festival = await getFestivalOrThrow(params.id);
    const input = parseOrThrow(artistInput, await readJsonBody(request, 64 * 1024));
    return created(await createArtist(user, festival.id, input));
  });
}
