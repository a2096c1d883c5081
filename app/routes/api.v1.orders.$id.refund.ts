import type { ActionFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { CASH_CHOICES } from "~/models/cash.server";
import { cancelOrRefundOrder } from "~/models/payment.server";
import { api, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { requireApiUser } from "~/utils/auth.server";
import { prisma } from "~/utils/db.server";
import { notFound } from "~/utils/http.server";
import { requirePermission } from "~/utils/permissions.server";

export async function loader() {
  return methodNotAllowed(["POST"]);
}

/** `{cash}`: what happens to door cash already taken (required then, refused otherwise). */
const refundInput = z
  .object({ cash: z.enum(CASH_CHOICES, { error: "v.cashChoice" }).optional() })
  .strict();

/**
 * Refund a card order through Stripe, or cancel a door/free one; its tickets are
 * revoked. A door order that took cash needs `{"cash": "return" | "keep_as_donation"}`.
 */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["POST"]);
    const user = await requireApiUser(request);
    const order =
      params.id && params.id.length <= 64
        ? await prisma.order.findUnique({
            where: { id: params.id },
            select: { id: true, festivalId: true },
          })
        : null;
    if (!order) throw notFound();
    requirePermission(user, "festival:edit", order.festivalId);
    // No body (or an empty one) is no choice; anything sent must be a JSON object.
    const sent =
      request.headers.get("Content-Type") || Number(request.headers.get("Content-Length") ?? "0")
        ? await readJsonBody(request, 1024)
        : {};
    const { cash } = parseOrThrow(refundInput, sent);
    const status = await cancelOrRefundOrder(user, order.id, new Date(), { cash });
    return Response.json({ id: order.id, status });
  });
}
