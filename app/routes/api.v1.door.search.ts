import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireDevice, searchTickets } from "~/models/door.server";
import { api } from "~/utils/api.server";
import { getLocale } from "~/utils/i18n.server";

/** `?q=` order code or name → up to 20 tickets (online only; names never reach the manifest). */
export async function loader({ request }: LoaderFunctionArgs) {
  return api(async () => {
    const device = await requireDevice(request);
    const q = new URL(request.url).searchParams.get("q") ?? "";
    return Response.json({ results: await searchTickets(device, q, await getLocale(request)) });
  });
}
