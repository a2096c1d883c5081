import type { LoaderFunctionArgs } from "@remix-run/node";
import { festivalDashboard } from "~/models/dashboard.server";
import { getFestivalOrThrow } from "~/models/festival.server";
import { api } from "~/utils/api.server";
import { getLocale } from "~/utils/i18n.server";
import { can, requireApiUserWith } from "~/utils/permissions.server";

/** The dashboard's figures (app/models/dashboard.server.ts) as JSON; money only with `festival:money`. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return api(async () => {
    const user = await requireApiUserWith(request, "festival:view", params.id);
    const festival = await getFestivalOrThrow(params.id);
    const figures = await festivalDashboard(festival, {
      locale: await getLocale(request),
      money: can(user, "festival:money", festival.id),
    });
    return Response.json({
      festival: { id: festival.id, name: festival.name, timezone: festival.timezone },
      ...figures,
    });
  });
}
