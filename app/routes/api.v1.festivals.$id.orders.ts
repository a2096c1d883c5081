import type { ActionFunctionArgs } from "@remix-run/node";
import { checkoutSchema, placeOrder, readIdempotencyKey } from "~/models/order.server";
import { api, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { publicUrl } from "~/utils/env.server";
import { getLocale } from "~/utils/i18n.server";
import { stripeAvailable } from "~/utils/stripe.server";
import { cardCheckoutUrl } from "~/models/payment.server";

export async function loader() {
  return methodNotAllowed(["POST"]);
}

/** Public checkout (rate-limited with all API writes). */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["POST"]);
    const idempotencyKey = readIdempotencyKey(request.headers.get("Idempotency-Key"));
    const input = parseOrThrow(checkoutSchema(), await readJsonBody(request, 32 * 1024));
    const locale = await getLocale(request);
    const placed = await placeOrder(params.id ?? "", input, {
      locale,
      stripeAvailable: stripeAvailable(),
      idempotencyKey,
    });
    const base = publicUrl();
    const checkoutUrl = await cardCheckoutUrl(placed);
    const body = {
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
    };
    // A repeat gets the same answer as the request it repeats (IETF idempotency-key draft).
    return Response.json(body, {
      status: 201,
      headers: placed.replayed ? { "Idempotent-Replayed": "true" } : undefined,
    });
  });
}
