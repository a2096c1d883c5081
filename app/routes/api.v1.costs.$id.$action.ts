import type { ActionFunctionArgs } from "@remix-run/node";
import {
  approveCost,
  cancelCost,
  findCost,
  paidInput,
  payCost,
  rejectCost,
  rejectInput,
} from "~/models/festival-costs.server";
import { api, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { requireApiUser } from "~/utils/auth.server";
import { notFound } from "~/utils/http.server";
import { requireApiUserWith, requirePermission } from "~/utils/permissions.server";

const ACTIONS = ["approve", "reject", "paid", "cancel"] as const;

export async function loader() {
  return methodNotAllowed(["POST"]);
}

/**
 * POST /api/v1/costs/:id/approve | reject `{note}` | paid `{reference, paidAt?}`
 * (treasury: treasurers and admins with a second factor; the submitter cannot
 * approve) | cancel (the submitter, festival:costs, before approval) → 200 with the cost.
 */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    const which = ACTIONS.find((a) => a === params.action);
    if (!which) throw notFound("No such API endpoint.");
    if (request.method !== "POST") return methodNotAllowed(["POST"]);
    if (which === "cancel") {
      const user = await requireApiUser(request);
      const cost = await findCost(params.id ?? "");
      // An unknown cost answers as one of a festival the caller has no tie to.
      if (!cost) throw notFound();
      requirePermission(user, "festival:costs", cost.festivalId);
      return Response.json(await cancelCost(user, cost.id));
    }
    const user = await requireApiUserWith(request, "treasury");
    const cost = await findCost(params.id ?? "");
    if (!cost) throw notFound("No such cost.");
    switch (which) {
      case "approve":
        return Response.json(await approveCost(user, cost.id));
      case "reject": {
        const { note } = parseOrThrow(rejectInput, await readJsonBody(request, 8 * 1024));
        return Response.json(await rejectCost(user, cost.id, note));
      }
      case "paid": {
        const input = parseOrThrow(paidInput, await readJsonBody(request, 4 * 1024));
        return Response.json(await payCost(user, cost.id, input));
      }
    }
  });
}
