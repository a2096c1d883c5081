import type { ActionFunctionArgs } from "@remix-run/node";
import { removeFestivalPoster, setFestivalPoster } from "~/models/festival-poster.server";
import { api, methodNotAllowed, validationError } from "~/utils/api.server";
import { formFile, readUploadForm } from "~/utils/images.server";
import { requireApiUserWith } from "~/utils/permissions.server";

export async function loader() {
  return methodNotAllowed(["PUT", "DELETE"]);
}

/**
 * PUT multipart `image` (JPEG, PNG or WebP, at most 10 MB; stored re-encoded as
 * WebP without metadata at a few widths) → 200 `{poster}`, replacing any earlier
 * one; DELETE → 204 (festival:edit).
 */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "PUT" && request.method !== "DELETE")
      return methodNotAllowed(["PUT", "DELETE"]);
    // Access first: a refused upload is not read.
    const user = await requireApiUserWith(request, "festival:edit", params.id);
    if (request.method === "DELETE") {
      await removeFestivalPoster(user, params.id);
      return new Response(null, { status: 204 });
    }
    const image = await formFile(await readUploadForm(request));
    if (!image) throw validationError({ image: "Choose a picture to upload." });
    return Response.json({ poster: await setFestivalPoster(user, params.id, image) });
  });
}
