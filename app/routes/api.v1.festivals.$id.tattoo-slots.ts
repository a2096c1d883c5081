import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { dayRange } from "~/models/tattoo-schedule";
import { listSlots, publicFestivalForSlots } from "~/models/tattoo-slot.server";
import { api, methodNotAllowed, validationError } from "~/utils/api.server";
import { notFound } from "~/utils/http.server";

/**
 * Public: a published festival's tattoo slots (time, artist, minimum donation,
 * free or not), optionally of one artist and one local day. Never who booked.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return api(async () => {
    const festival = await publicFestivalForSlots(params.id);
    if (!festival) throw notFound();
    const query = new URL(request.url).searchParams;
    const artistId = query.get("artistId") || undefined;
    const day = query.get("day") || undefined;
    const fields: Record<string, string> = {};
    if (artistId !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(artistId))
      fields.artistId = "Use an artist id of this festival.";
    if (day !== undefined && !dayRange(day, festival.timezone))
      fields.day = "Use a date such as 2026-06-13.";
    if (Object.keys(fields).length) throw validationError(fields);
    const slots = await listSlots(festival, { artistId, day });
    return Response.json({ festival: { id: festival.id, timezone: festival.timezone }, slots });
  });
}

export async function action(_args: ActionFunctionArgs) {
  return methodNotAllowed(["GET"]);
}
