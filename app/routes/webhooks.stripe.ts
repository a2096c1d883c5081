import type { ActionFunctionArgs } from "@remix-run/node";
import { applyStripeEvent } from "~/models/payment.server";
import { errorResponse } from "~/utils/http.server";
import { stripeAvailable, verifyWebhook } from "~/utils/stripe.server";
import { logger } from "~/utils/logger.server";
import { observeWebhookLag } from "~/utils/metrics.server";

const MAX_WEBHOOK_BYTES = 512 * 1024;

export async function loader() {
  return errorResponse(405, "method_not_allowed", "Use POST.", { headers: { Allow: "POST" } });
}

/**
 * Stripe → us. The signature is checked on the raw body; each event id is
 * applied once (duplicates and out-of-order events are harmless). A failure
 * while applying answers 500 so Stripe retries later.
 */
export async function action({ request }: ActionFunctionArgs) {
  if (request.method !== "POST") return loader();
  if (!stripeAvailable())
    return errorResponse(404, "not_found", "Card payments are not configured.");
  if (Number(request.headers.get("Content-Length") ?? "0") > MAX_WEBHOOK_BYTES)
    return errorResponse(413, "payload_too_large", "Webhook body too large.");
  const raw = await request.text();
  if (raw.length > MAX_WEBHOOK_BYTES)
    return errorResponse(413, "payload_too_large", "Webhook body too large.");
  let event;
  try {
    event = verifyWebhook(raw, request.headers.get("Stripe-Signature"));
  } catch {
    return errorResponse(400, "bad_signature", "The webhook signature is not valid.");
  }
  try {
    const outcome = await applyStripeEvent(event);
    if (outcome !== "duplicate") observeWebhookLag(event.created);
    return Response.json({ received: true, outcome });
  } catch (error) {
    logger.error({ err: error, eventId: event.id, type: event.type }, "Stripe event failed");
    return errorResponse(500, "retry_later", "The event could not be applied; please retry.");
  }
}
