import type { LoaderFunctionArgs } from "@remix-run/node";
import { doorManifest, requireDevice } from "~/models/door.server";
import { api } from "~/utils/api.server";
import { getLocale } from "~/utils/i18n.server";

/** Everything a device needs to decide offline; ids and amounts, no personal data. */
export async function loader({ request }: LoaderFunctionArgs) {
  return api(async () => {
    const device = await requireDevice(request);
    return Response.json(await doorManifest(device, await getLocale(request)), {
      headers: { "Cache-Control": "no-store" },
    });
  });
}
