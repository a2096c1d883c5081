import type { LoaderFunctionArgs } from "@remix-run/node";
import { cornerBoard, parseDay } from "~/models/tattoo-corner.server";
import { api } from "~/utils/api.server";
import { requireApiUserWith } from "~/utils/permissions.server";

/**
 * GET /api/v1/festivals/:id/tattoo-board?day=YYYY-MM-DD&artistId= — the tattoo
 * corner's board of the day (organisers, door staff; a linked artist: their own).
 * Staff only: it names bookers.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return api(async () => {
    const user = await requireApiUserWith(request, "tattoo:corner", params.id);
    const url = new URL(request.url);
    const day = parseDay(url.searchParams.get("day"));
    const artistId = url.searchParams.get("artistId") || undefined;
    const board = await cornerBoard(user, params.id ?? "", day, {
      artistId: artistId?.slice(0, 64),
    });
    return Response.json(board, { headers: { "Cache-Control": "no-store" } });
  });
}
