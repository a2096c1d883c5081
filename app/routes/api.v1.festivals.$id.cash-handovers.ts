import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { cashHolders, handoverInput, listHandovers, recordHandover } from "~/models/cash.server";
import { getFestivalOrThrow } from "~/models/festival.server";
import { api, created, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { requireApiUserWith } from "~/utils/permissions.server";

/** Organisers and treasurers: who holds the festival's cash now, and its handovers. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return api(async () => {
    await requireApiUserWith(request, "festival:money", params.id);
    const festival = await getFestivalOrThrow(params.id);
    const [cash, handovers] = await Promise.all([
      cashHolders(festival.id),
      listHandovers(festival.id),
    ]);
    return Response.json({ festival: { id: festival.id, name: festival.name }, cash, handovers });
  });
}

/**
 * Organisers: `{deviceId, treasurerId, expectedMinor, countedMinor}` — a
 * device's cash handed to a treasurer → 201 with the handover (in transit until
 * the treasurer confirms it).
 */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["GET", "POST"]);
    const user = await requireApiUserWith(request, "festival:edit", params.id);
    const festival = await getFestivalOrThrow(params.id);
    const input = parseOrThrow(handoverInput, await readJsonBody(request, 4 * 1024));
    return created(await recordHandover(user, festival, input));
  });
}
