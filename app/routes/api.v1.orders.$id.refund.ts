import type { ActionFunctionArgs } from "@remix-run/node";
import { cancelOrRefundOrder } from "~/models/payment.server";
import { api, methodNotAllowed } from "~/utils/api.server";
import { requireApiUser } from "~/utils/auth.server";
import { prisma } from "~/utils/db.server";
import { notFound } from "~/utils/http.server";
import { requirePermission } from "~/utils/permissions.server";

export async function loader() {
  return methodNotAllowed(["POST"]);
}

/** Refund a card order through Stripe, or cancel a door/free one; its tickets are revoked. */
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
    const status = await cancelOrRefundOrder(user, order.id);
    return Response.json({ id: order.id, status });
  });
}
