import type { ActionFunctionArgs } from "@remix-run/node";
import {
  codeScanInput,
  manualScanInput,
  requireDevice,
  scanInput,
  scanTicket,
} from "~/models/door.server";
import { api, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { getLocale } from "~/utils/i18n.server";

export async function loader() {
  return methodNotAllowed(["POST"]);
}

/**
 * A door device's scan (`{token}`, a typed short `{code}`, or `{ticketId}`) →
 * the verdict. The same nonce always gets the same answer.
 */
export async function action({ request }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["POST"]);
    const device = await requireDevice(request);
    const body = await readJsonBody(request, 4 * 1024);
    // A scanned code, a typed short code, or (online only) a ticket found by search.
    const input =
      "ticketId" in body
        ? parseOrThrow(manualScanInput, body)
        : "code" in body
          ? parseOrThrow(codeScanInput, body)
          : parseOrThrow(scanInput, body);
    return Response.json(await scanTicket(device, input, await getLocale(request)));
  });
}
