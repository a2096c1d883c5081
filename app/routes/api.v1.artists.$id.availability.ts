import type { ActionFunctionArgs } from "@remix-run/node";
import { addAvailability, availabilityInput } from "~/models/tattoo-slot.server";
import { api, created, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { requireApiUser } from "~/utils/auth.server";

export async function loader() {
  return methodNotAllowed(["POST"]);
}

/**
 * A new availability window for an artist (organisers; the linked artist for
 * their own): `201 {id, slots}`. The domain module checks which artist.
 */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["POST"]);
    const user = await requireApiUser(request);
    const body = await readJsonBody(request, 64 * 1024);
    return created(await addAvailability(user, params.id, parseOrThrow(availabilityInput, body)));
  });
}
