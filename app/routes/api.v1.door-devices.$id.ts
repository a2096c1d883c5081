import type { ActionFunctionArgs } from "@remix-run/node";
import { findDevice, revokeDoorDevice } from "~/models/door.server";
import { api, methodNotAllowed } from "~/utils/api.server";
import { requireApiUser } from "~/utils/auth.server";
import { notFound } from "~/utils/http.server";
import { requirePermission } from "~/utils/permissions.server";

export async function loader() {
  return methodNotAllowed(["DELETE"]);
}

/** Revoke a door device; it is refused at its next request. */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "DELETE") return methodNotAllowed(["DELETE"]);
    const user = await requireApiUser(request);
    const device = await findDevice(params.id ?? "");
    if (!device) throw notFound();
    requirePermission(user, "festival:edit", device.festivalId);
    await revokeDoorDevice(user, device);
    return new Response(null, { status: 204 });
  });
}
