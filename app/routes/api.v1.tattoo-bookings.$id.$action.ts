import type { ActionFunctionArgs } from "@remix-run/node";
import {
  bookingFestival,
  collectDonation,
  collectInput,
  markDone,
  markNoShow,
  releaseBooking,
  releaseInput,
} from "~/models/tattoo-corner.server";
import { api, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { requireApiUser } from "~/utils/auth.server";
import { notFound } from "~/utils/http.server";
import { requirePermission } from "~/utils/permissions.server";

const ACTIONS = ["done", "no-show", "release", "collect"] as const;

export async function loader() {
  return methodNotAllowed(["POST"]);
}

/**
 * POST /api/v1/tattoo-bookings/:id/done | no-show | release `{to}` | collect
 * `{amountMinor}` — the tattoo corner's actions on one booking (`tattoo:corner`;
 * a linked artist only on their own artist's bookings, checked by the domain).
 */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    const which = ACTIONS.find((a) => a === params.action);
    if (!which) throw notFound("No such API endpoint.");
    if (request.method !== "POST") return methodNotAllowed(["POST"]);
    const user = await requireApiUser(request);
    const festivalId = await bookingFestival(params.id ?? "");
    // An unknown booking answers as one of a festival the caller has no tie to.
    if (!festivalId) throw notFound();
    requirePermission(user, "tattoo:corner", festivalId);
    const id = params.id!;
    switch (which) {
      case "done":
        return Response.json(await markDone(user, id));
      case "no-show":
        return Response.json(await markNoShow(user, id));
      case "release": {
        const { to } = parseOrThrow(releaseInput, await readJsonBody(request, 1024));
        return Response.json(await releaseBooking(user, id, to));
      }
      case "collect": {
        const { amountMinor } = parseOrThrow(collectInput, await readJsonBody(request, 1024));
        return Response.json(await collectDonation(user, id, amountMinor));
      }
    }
  });
}
