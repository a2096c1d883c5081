import type { ActionFunctionArgs } from "@remix-run/node";
import { approveTransfer, closeTransfer } from "~/models/funds.server";
import { api, methodNotAllowed } from "~/utils/api.server";
import { notFound } from "~/utils/http.server";
import { requireApiUserWith } from "~/utils/permissions.server";

const ACTIONS = ["approve", "reject", "cancel"] as const;

export async function loader() {
  return methodNotAllowed(["POST"]);
}

/**
 * POST /api/v1/transfers/:id/approve | reject | cancel (treasurers with a
 * second factor; no body). approve → `{…transfer, approvals, needed}` (status
 * done once it has them; 403 self_approval for the proposer); reject (any
 * treasurer), cancel (the proposer or an admin); 409 transfer_not_proposed
 * once it is done, rejected or cancelled.
 */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    const which = ACTIONS.find((a) => a === params.action);
    if (!which) throw notFound("No such API endpoint.");
    if (request.method !== "POST") return methodNotAllowed(["POST"]);
    const user = await requireApiUserWith(request, "treasury");
    const id = params.id ?? "";
    switch (which) {
      case "approve":
        return Response.json(await approveTransfer(user, id));
      case "reject":
        return Response.json(await closeTransfer(user, id, "rejected"));
      case "cancel":
        return Response.json(await closeTransfer(user, id, "cancelled"));
    }
  });
}
