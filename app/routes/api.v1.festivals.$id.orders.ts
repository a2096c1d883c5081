import type { ActionFunctionArgs } from "@remix-run/node";
import { checkoutInput, placeOrder } from "~/models/order.server";
import { api, created, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { publicUrl } from "~/utils/env.server";
import { getLocale } from "~/utils/i18n.server";
import { stripeAvailable } from "~/utils/stripe.server";
import { startCardPayment } from "~/models/payment.server";

export async function loader() {
  return methodNotAllowed(["POST"]);
}

/** Public checkout (rate-limited with all API writes). */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["POST"]);
    const input = parseOrThrow(checkoutInput, await readJsonBody(request, 32 * 1024));
    const locale = await getLocale(request);
    const placed = await placeOrder(params.id ?? "", input, {
      locale,
      stripeAvailable: stripeAvailable(),
    });
    const base = publicUrl();
    const checkoutUrl =
      placed.order.status === "pending" ? await startCardPayment(placed) : undefined;
    return created({
      id: placed.order.id,
      code: placed.order.code,
      status: placed.order.status,
      totalMinor: placed.order.totalMinor,
      currency: placed.order.currency,
      ...(checkoutUrl ? { checkoutUrl } : {}),
      orderUrl: `${base}/orders/${placed.order.accessToken}`,
      tickets: placed.order.tickets.map((t) => ({
        id: t.id,
        qrToken: t.qrToken,
        url: `${base}/orders/${placed.order.accessToken}#ticket-${t.id}`,
      })),
    });
  });
}
