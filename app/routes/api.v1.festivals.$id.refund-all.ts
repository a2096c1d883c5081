import type { ActionFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { CASH_CHOICES } from "~/models/cash.server";
import { cancelFestivalOrders } from "~/models/festival-refunds.server";
import { getFestivalOrThrow } from "~/models/festival.server";
import { api, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { requireApiUserWith } from "~/utils/permissions.server";

export async function loader() {
  return methodNotAllowed(["POST"]);
}

/** `{cash}`: what happens to door cash already taken (required when any order took some). */
const refundAllInput = z
  .object({ cash: z.enum(CASH_CHOICES, { error: "v.cashChoice" }).optional() })
  .strict();

/**
 * POST /api/v1/festivals/:id/refund-all — a cancelled festival's open orders,
 * each cancelled or refunded through Stripe; answers the counts and the orders
 * that failed (unchanged: run it again). 409 unless the festival is cancelled.
 */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["POST"]);
    const user = await requireApiUserWith(request, "festival:edit", params.id);
    const festival = await getFestivalOrThrow(params.id);
    // No body (or an empty one) is no choice; anything sent must be a JSON object.
    const sent =
      request.headers.get("Content-Type") || Number(request.headers.get("Content-Length") ?? "0")
        ? await readJsonBody(request, 1024)
        : {};
    const { cash } = parseOrThrow(refundAllInput, sent);
    const outcome = await cancelFestivalOrders(user, festival.id, { cash });
    return Response.json({ id: festival.id, ...outcome });
  });
}
