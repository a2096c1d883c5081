import type { LoaderFunctionArgs } from "@remix-run/node";
import { getFestivalOrThrow } from "~/models/festival.server";
import { festivalStats } from "~/models/sales.server";
import { api } from "~/utils/api.server";
import { requireApiUserWith } from "~/utils/permissions.server";

/** `{capacity, sold, held, checkedIn, revenue: {[currency]: minor}, ticketTypes}` */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return api(async () => {
    await requireApiUserWith(request, "festival:view", params.id);
    const festival = await getFestivalOrThrow(params.id);
    return Response.json(await festivalStats(festival.id));
  });
}
