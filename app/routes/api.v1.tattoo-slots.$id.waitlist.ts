import type { ActionFunctionArgs } from "@remix-run/node";
import { joinWaitlist, waitlistInput } from "~/models/tattoo-waitlist.server";
import { api, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { getLocale } from "~/utils/i18n.server";

export async function loader() {
  return methodNotAllowed(["POST"]);
}

/**
 * Join the waitlist of a slot's artist and local day (public; rate-limited with
 * all API writes): `{email, flashDesignId?}` → `201 {id, position}`; 409
 * `slots_available` while that day still has free slots.
 */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["POST"]);
    const input = parseOrThrow(waitlistInput, await readJsonBody(request, 4 * 1024));
    const slotId = (params.id ?? "").slice(0, 65);
    const place = await joinWaitlist({
      slotId,
      email: input.email,
      ...(input.flashDesignId ? { flashDesignId: input.flashDesignId } : {}),
      locale: await getLocale(request),
    });
    // A repeat answers the same place (never a second one).
    return Response.json({ id: place.id, position: place.position }, { status: 201 });
  });
}
