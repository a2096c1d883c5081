import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import {
  festivalAsInput,
  festivalInput,
  festivalPatch,
  getFestivalOrThrow,
  publicFestival,
  updateFestival,
} from "~/models/festival.server";
import { api, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { requireApiUserWith } from "~/utils/permissions.server";

/** GET (organiser view, includes drafts). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return api(async () => {
    await requireApiUserWith(request, "festival:view", params.id);
    const festival = await getFestivalOrThrow(params.id);
    return Response.json({
      ...publicFestival(festival),
      paymentMethods: festivalAsInput(festival).paymentMethods,
    });
  });
}

/** PATCH: change some fields; the result is checked as a whole festival. */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "PATCH") return methodNotAllowed(["GET", "PATCH"]);
    const user = await requireApiUserWith(request, "festival:edit", params.id);
    const festival = await getFestivalOrThrow(params.id);
    const patch = parseOrThrow(festivalPatch, await readJsonBody(request));
    const merged = { ...festivalAsInput(festival), ...patch };
    const input = parseOrThrow(festivalInput, merged);
    await updateFestival(user, festival.id, input);
    const updated = await getFestivalOrThrow(festival.id);
    return Response.json(publicFestival(updated));
  });
}
