import type { ActionFunctionArgs } from "@remix-run/node";
import { batchInput, requireDevice, scanTicket } from "~/models/door.server";
import { api, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { getLocale } from "~/utils/i18n.server";
import { parseMoment } from "~/utils/validation";

export async function loader() {
  return methodNotAllowed(["POST"]);
}

/** Scans queued while offline, uploaded later; idempotent by nonce. */
export async function action({ request }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["POST"]);
    const device = await requireDevice(request);
    const input = parseOrThrow(batchInput, await readJsonBody(request, 512 * 1024));
    const locale = await getLocale(request);
    const now = new Date();
    const results = [];
    for (const scan of input.scans) {
      // Valid by the schema; a device clock in the future is not trusted: the upload time stands in.
      const scannedAt = parseMoment(scan.scannedAt, "UTC") ?? now;
      const at = scannedAt <= now ? scannedAt : now;
      const verdict = await scanTicket(
        device,
        { ...scan, scannedAt: at, offline: true },
        locale,
        now,
      );
      results.push({ nonce: scan.nonce, ...verdict });
    }
    return Response.json({ results });
  });
}
