import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import {
  artistFor,
  artistPatch,
  deleteArtist,
  getArtistView,
  updateArtist,
} from "~/models/tattoo-artist.server";
import { api, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { requireApiUser } from "~/utils/auth.server";

/** One artist as organisers (and the linked artist) see it, contact included. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return api(async () => {
    const user = await requireApiUser(request);
    const artist = await artistFor(user, params.id, "tattoo:artist");
    return Response.json(await getArtistView(artist));
  });
}

/**
 * PATCH `{name?, bio?, contact?, prisonerId?}` (tattoo:artist: organisers, or the
 * linked artist for their own); DELETE (festival:tattoo), refused 409 while any
 * booking names the artist.
 */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    const user = await requireApiUser(request);
    if (request.method === "PATCH") {
      const artist = await artistFor(user, params.id, "tattoo:artist");
      const patch = parseOrThrow(artistPatch, await readJsonBody(request, 64 * 1024));
      return Response.json(await updateArtist(user, artist, patch));
    }
    if (request.method === "DELETE") {
      const artist = await artistFor(user, params.id, "festival:tattoo");
      await deleteArtist(user, artist);
      return new Response(null, { status: 204 });
    }
    return methodNotAllowed(["GET", "PATCH", "DELETE"]);
  });
}
