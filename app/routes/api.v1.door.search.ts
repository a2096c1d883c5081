import type { ActionFunctionArgs } from "@remix-run/node";
import { requireDevice, searchTickets } from "~/models/door.server";
import { api, methodNotAllowed, readJsonBody } from "~/utils/api.server";
import { getLocale } from "~/utils/i18n.server";

export async function loader() {
  // A name in a query string lands in logs and histories: the query travels in the body.
  return methodNotAllowed(["POST"]);
}

/**
 * `{ q }`: order code or name (3 characters at least) → up to 10 tickets and
 * whether there were more (online only; names never reach the manifest).
 */
export async function action({ request }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["POST"]);
    const device = await requireDevice(request);
    const body = await readJsonBody(request, 16 * 1024);
    const q = typeof body.q === "string" ? body.q : "";
    return Response.json(await searchTickets(device, q, await getLocale(request)));
  });
}
