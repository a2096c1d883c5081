import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { getFestivalOrThrow } from "~/models/festival.server";
import {
  readTattooSettings,
  tattooSettingsInput,
  updateTattooSettings,
} from "~/models/tattoo-settings.server";
import { api, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { requireApiUserWith } from "~/utils/permissions.server";

/** GET: the festival's tattoo settings (organisers), with the festival they are of. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return api(async () => {
    await requireApiUserWith(request, "festival:tattoo", params.id);
    const festival = await getFestivalOrThrow(params.id);
    return Response.json({
      festival: { id: festival.id, name: festival.name },
      ...(await readTattooSettings(festival.id)),
    });
  });
}

/** PATCH `{bookingsPerArtist?, cancelHours?, cancelPolicy?, offerMinutes?}` → the settings. */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "PATCH") return methodNotAllowed(["GET", "PATCH"]);
    const user = await requireApiUserWith(request, "festival:tattoo", params.id);
    const festival = await getFestivalOrThrow(params.id);
    const patch = parseOrThrow(tattooSettingsInput, await readJsonBody(request, 4096));
    return Response.json({
      festival: { id: festival.id, name: festival.name },
      ...(await updateTattooSettings(user, festival.id, patch)),
    });
  });
}
