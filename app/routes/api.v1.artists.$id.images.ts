import type { ActionFunctionArgs } from "@remix-run/node";
import {
  addPortfolioImage,
  artistFor,
  reorderInput,
  reorderPortfolio,
} from "~/models/tattoo-artist.server";
import {
  api,
  created,
  methodNotAllowed,
  parseOrThrow,
  readJsonBody,
  validationError,
} from "~/utils/api.server";
import { requireApiUser } from "~/utils/auth.server";
import { formFile, readUploadForm } from "~/utils/images.server";

export async function loader() {
  return methodNotAllowed(["POST", "PUT"]);
}

/**
 * POST multipart `image` (JPEG, PNG or WebP, at most 10 MB) → 201 `{id, url,
 * thumbUrl}`; PUT `{imageIds}` puts the portfolio in that order (tattoo:artist).
 */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    const user = await requireApiUser(request);
    // Access first: a refused upload is not read.
    const artist = await artistFor(user, params.id, "tattoo:artist");
    if (request.method === "POST") {
      const image = await formFile(await readUploadForm(request));
      if (!image) throw validationError({ image: "Choose a picture to upload." });
      return created(await addPortfolioImage(user, artist, image));
    }
    if (request.method === "PUT") {
      const input = parseOrThrow(reorderInput, await readJsonBody(request, 64 * 1024));
      await reorderPortfolio(user, artist, input.imageIds);
      return new Response(null, { status: 204 });
    }
    return methodNotAllowed(["POST", "PUT"]);
  });
}
