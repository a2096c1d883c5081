import type { ActionFunctionArgs } from "@remix-run/node";
import { rescheduleInput, rescheduleTattooBooking } from "~/models/tattoo-manage.server";
import { api, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";

export async function loader() {
  return methodNotAllowed(["POST"]);
}

/**
 * The booker moves a tattoo booking of their order to another free slot of the
 * same artist: `{slotId}`. The order's access token is the authority.
 */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["POST"]);
    const { slotId } = parseOrThrow(rescheduleInput, await readJsonBody(request, 1024));
    const moved = await rescheduleTattooBooking({
      accessToken: params.token ?? "",
      orderItemId: params.itemId ?? "",
      slotId,
    });
    return Response.json(moved);
  });
}
