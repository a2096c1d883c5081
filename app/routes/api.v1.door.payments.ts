import type { ActionFunctionArgs } from "@remix-run/node";
import { manualPaymentInput, payAtDoor, paymentInput, requireDevice } from "~/models/door.server";
import { api, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { getLocale } from "~/utils/i18n.server";

export async function loader() {
  return methodNotAllowed(["POST"]);
}

/** Staff took the cash for a pay-at-the-door ticket (`{token}` or `{ticketId}`): record it, then admit. */
export async function action({ request }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["POST"]);
    const device = await requireDevice(request);
    const body = await readJsonBody(request, 4 * 1024);
    const input =
      "ticketId" in body
        ? parseOrThrow(manualPaymentInput, body)
        : parseOrThrow(paymentInput, body);
    return Response.json(await payAtDoor(device, input, await getLocale(request)));
  });
}
