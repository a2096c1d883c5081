import type { ActionFunctionArgs } from "@remix-run/node";
import { requireDevice, undoCheckIn, undoInput } from "~/models/door.server";
import { api, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";

export async function loader() {
  return methodNotAllowed(["POST"]);
}

/** Undo this device's admission recorded under `nonce` (within 15 minutes). */
export async function action({ request }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["POST"]);
    const device = await requireDevice(request);
    const input = parseOrThrow(undoInput, await readJsonBody(request, 1024));
    return Response.json(await undoCheckIn(device, input.nonce));
  });
}
