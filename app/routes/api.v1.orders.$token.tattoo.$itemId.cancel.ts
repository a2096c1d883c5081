import type { ActionFunctionArgs } from "@remix-run/node";
import { cancelTattooBooking } from "~/models/tattoo-manage.server";
import { z } from "zod";
import { api, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";

export async function loader() {
  return methodNotAllowed(["POST"]);
}

/**
 * The booker cancels a tattoo booking of their order; the order's access token
 * (the secret of its link) is the authority. No body, or `{}`.
 */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["POST"]);
    // Nothing to send; a body, if any, must be an empty JSON object.
    if (request.headers.get("Content-Type") || Number(request.headers.get("Content-Length") ?? "0"))
      parseOrThrow(z.object({}).strict(), await readJsonBody(request, 1024));
    const result = await cancelTattooBooking({
      accessToken: params.token ?? "",
      orderItemId: params.itemId ?? "",
    });
    return Response.json(result);
  });
}
