import type { LoaderFunctionArgs } from "@remix-run/node";
import { orderCardMoney } from "~/models/card-money.server";
import { orderEntries } from "~/models/ledger.server";
import { getOrderView } from "~/models/order-view.server";
import { api, methodNotAllowed } from "~/utils/api.server";
import { requireApiUser } from "~/utils/auth.server";
import { notFound } from "~/utils/http.server";
import { can, requirePermission } from "~/utils/permissions.server";

/**
 * An order with its items, tickets and card money (organisers of its festival,
 * treasurers, admins) and, for those who may see the festival's books, its ledger entries.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return api(async () => {
    const user = await requireApiUser(request);
    const order = await getOrderView({ id: params.id ?? "" }, "en");
    // Unknown order and another festival's order look the same.
    if (!order) throw notFound();
    requirePermission(user, "festival:view", order.festival.id);
    // No door credentials here: QR tokens and the buyer's link stay with the buyer.
    const { accessToken: _link, tickets, ...rest } = order;
    const entries = can(user, "festival:money", order.festival.id)
      ? await orderEntries(order.id)
      : undefined;
    return Response.json({
      ...rest,
      // Stripe's side: refunded and charged-back amounts, dispute status, payment problems.
      ...(await orderCardMoney(order.id)),
      tickets: tickets.map(({ qrToken: _token, ...t }) => t),
      entries,
    });
  });
}

export async function action() {
  return methodNotAllowed(["GET"]);
}
