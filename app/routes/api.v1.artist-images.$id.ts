import type { ActionFunctionArgs } from "@remix-run/node";
import { imageArtistFor, removeImage } from "~/models/tattoo-artist.server";
import { api, methodNotAllowed } from "~/utils/api.server";
import { requireApiUser } from "~/utils/auth.server";

export async function loader() {
  return methodNotAllowed(["DELETE"]);
}

/** DELETE: remove a picture and its files (tattoo:artist of its artist) → 204. */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "DELETE") return methodNotAllowed(["DELETE"]);
    const user = await requireApiUser(request);
    const artist = await imageArtistFor(user, params.id);
    await removeImage(user, artist, params.id ?? "");
    return new Response(null, { status: 204 });
  });
}
