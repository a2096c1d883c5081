import type { LoaderFunctionArgs } from "@remix-run/node";
import { doorManifest, requireDevice } from "~/models/door.server";
import { api } from "~/utils/api.server";
import { sha256 } from "~/utils/crypto.server";
import { getLocale } from "~/utils/i18n.server";

/**
 * Everything a device needs to decide offline; ids and amounts, no personal
 * data. Phones ask every few seconds over venue Wi-Fi, so an unchanged
 * manifest is answered `304 Not Modified` to `If-None-Match` (its ETag is the
 * digest of everything but `generatedAt`).
 */
export async function loader({ request }: LoaderFunctionArgs) {
  return api(async () => {
    const device = await requireDevice(request);
    const { generatedAt, ...content } = await doorManifest(device, await getLocale(request));
    const etag = `"${sha256(JSON.stringify(content)).slice(0, 32)}"`;
    const headers = { ETag: etag };
    const known = (request.headers.get("If-None-Match") ?? "").split(",").map((t) => t.trim());
    if (known.includes(etag)) return new Response(null, { status: 304, headers });
    return Response.json({ ...content, generatedAt }, { headers });
  });
}
