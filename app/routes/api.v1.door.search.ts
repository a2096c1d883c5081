import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireDevice, searchTickets } from "~/models/door.server";
import { api } from "~/utils/api.server";
import { getLocale } from "~/utils/i18n.server";

/**
 * `?q=` order code or name (3 characters at least) → up to 10 tickets and
 * whether there were more (online only; names never reach the manifest).
 */
export async function loader({ request }: LoaderFunctionArgs) {
  return api(async () => {
    const device = await requireDevice(request);
    const q = new URL(request.url).searchParams.get("q") ?? "";
    return Response.json(await searchTickets(device, q, await getLocale(request)));
  });
}
