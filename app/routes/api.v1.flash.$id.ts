import type { ActionFunctionArgs } from "@remix-run/node";
import { flashArtistFor, flashPatch, updateFlash } from "~/models/tattoo-artist.server";
import { api, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { requireApiUser } from "~/utils/auth.server";

export async function loader() {
  return methodNotAllowed(["PATCH"]);
}

/**
 * PATCH `{title?, size?, minDonationMinor?, maxUses?, status?}` (tattoo:artist);
 * a `maxUses` below the uses already held or booked is refused 409.
 */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "PATCH") return methodNotAllowed(["PATCH"]);
    const user = await requireApiUser(request);
    const artist = await flashArtistFor(user, params.id);
    const patch = parseOrThrow(flashPatch, await readJsonBody(request, 64 * 1024));
    return Response.json(await updateFlash(user, artist, params.id ?? "", patch));
  });
}
