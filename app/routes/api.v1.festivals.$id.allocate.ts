import type { ActionFunctionArgs } from "@remix-run/node";
import { allocate } from "~/models/allocation.server";
import { getFestivalOrThrow } from "~/models/festival.server";
import { api, methodNotAllowed } from "~/utils/api.server";
import { requireApiUserWith } from "~/utils/permissions.server";

export async function loader() {
  return methodNotAllowed(["POST"]);
}

/**
 * POST (treasurers with a second factor; no body) → 200 `{entryId, allocated:
 * [{fund: prisonerId | null, currency, amountMinor}], rule: version | null}`:
 * everything the festival can allocate now, split by the rule in force.
 * Nothing to allocate → 200 with an empty list.
 */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["POST"]);
    const user = await requireApiUserWith(request, "treasury");
    const festival = await getFestivalOrThrow(params.id);
    return Response.json(await allocate(user, festival.id));
  });
}
