import type { ActionFunctionArgs } from "@remix-run/node";
import {
  manualPaymentInput,
  orderPaymentInput,
  payAtDoor,
  payOrderAtDoor,
  paymentInput,
  requireDevice,
} from "~/models/door.server";
import { api, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { getLocale } from "~/utils/i18n.server";

export async function loader() {
  return methodNotAllowed(["POST"]);
}

/**
 * Staff took the cash: for a pay-at-the-door ticket (`{token}` or `{ticketId}`,
 * with the order's pledged donation unless `donation: "decline"`) — recorded,
 * then admitted — or for a door order's donation by the order (`{orderId}`).
 */
export async function action({ request }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["POST"]);
    const device = await requireDevice(request);
    const body = await readJsonBody(request, 4 * 1024);
    if ("orderId" in body)
      return Response.json(await payOrderAtDoor(device, parseOrThrow(orderPaymentInput, body)));
    const input =
      "ticketId" in body
        ? parseOrThrow(manualPaymentInput, body)
        : parseOrThrow(paymentInput, body);
    return Response.json(await payAtDoor(device, input, await getLocale(request)));
  });
}
