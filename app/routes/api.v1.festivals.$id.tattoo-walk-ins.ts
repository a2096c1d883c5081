import type { ActionFunctionArgs } from "@remix-run/node";
import { bookWalkIn, walkInInput } from "~/models/tattoo-corner.server";
import { api, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { getLocale } from "~/utils/i18n.server";
import { requireApiUserWith } from "~/utils/permissions.server";
import { stripeAvailable } from "~/utils/stripe.server";

export async function loader() {
  return methodNotAllowed(["POST"]);
}

/**
 * POST /api/v1/festivals/:id/tattoo-walk-ins `{tattooSlotId, donationMinor,
 * flashDesignId?, email, name?, payment: "cash"|"card"}` → 201: a walk-in booked
 * at the corner (cash: collected at once into the caller's cash; card: the
 * `checkoutUrl` to show as a QR code). An Idempotency-Key header makes a retry
 * answer with the same order.
 */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["POST"]);
    const user = await requireApiUserWith(request, "tattoo:corner", params.id);
    const key = request.headers.get("Idempotency-Key");
    const input = parseOrThrow(walkInInput, await readJsonBody(request, 4 * 1024));
    const walkIn = await bookWalkIn(user, params.id ?? "", input, {
      locale: await getLocale(request),
      stripeAvailable: stripeAvailable(),
      idempotencyKey: key ?? undefined,
    });
    return Response.json(walkIn, {
      status: 201,
      headers: walkIn.replayed ? { "Idempotent-Replayed": "true" } : undefined,
    });
  });
}
