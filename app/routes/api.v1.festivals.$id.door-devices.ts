import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { createDoorDevice, deviceInput, listDoorDevices } from "~/models/door.server";
import { getFestivalOrThrow } from "~/models/festival.server";
import { api, created, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { publicUrl } from "~/utils/env.server";
import { requireApiUserWith } from "~/utils/permissions.server";

/** Organisers: the festival's door devices with their last-seen time. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return api(async () => {
    await requireApiUserWith(request, "festival:edit", params.id);
    const festival = await getFestivalOrThrow(params.id);
    return Response.json({
      festival: { id: festival.id, name: festival.name },
      devices: await listDoorDevices(festival.id),
    });
  });
}

/** `{name}` → `{id, token, setupUrl}`; the token is shown once (only its hash is kept). */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["GET", "POST"]);
    const user = await requireApiUserWith(request, "festival:edit", params.id);
    const festival = await getFestivalOrThrow(params.id);
    const input = parseOrThrow(deviceInput, await readJsonBody(request, 4 * 1024));
    const device = await createDoorDevice(user, festival, input.name);
    // The token travels in the fragment: browsers never send it to the server or in Referer.
    return created({ ...device, setupUrl: `${publicUrl()}/door#device=${device.token}` });
  });
}
