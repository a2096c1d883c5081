import type { ActionFunctionArgs } from "@remix-run/node";
import {
  artistFor,
  linkArtistAccount,
  linkInput,
  unlinkArtistAccount,
} from "~/models/tattoo-artist.server";
import { api, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { requireApiUser } from "~/utils/auth.server";

export async function loader() {
  return methodNotAllowed(["POST", "DELETE"]);
}

/**
 * POST `{email}`: link the artist to that existing account (it gets the festival
 * role "artist" unless already on the team); DELETE: unlink (festival:tattoo).
 */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    const user = await requireApiUser(request);
    if (request.method === "POST") {
      const artist = await artistFor(user, params.id, "festival:tattoo");
      const input = parseOrThrow(linkInput, await readJsonBody(request, 16 * 1024));
      return Response.json(await linkArtistAccount(user, artist, input.email));
    }
    if (request.method === "DELETE") {
      const artist = await artistFor(user, params.id, "festival:tattoo");
      return Response.json(await unlinkArtistAccount(user, artist));
    }
    return methodNotAllowed(["POST", "DELETE"]);
  });
}
