import type { ActionFunctionArgs } from "@remix-run/node";
import { changeFestivalStatus, getFestivalOrThrow } from "~/models/festival.server";
import { api, methodNotAllowed } from "~/utils/api.server";
import { notFound } from "~/utils/http.server";
import { requireApiUserWith } from "~/utils/permissions.server";

const TRANSITIONS = ["publish", "unpublish", "cancel"] as const;

export async function loader() {
  return methodNotAllowed(["POST"]);
}

/** POST /api/v1/festivals/:id/publish | unpublish | cancel */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    const transition = TRANSITIONS.find((t) => t === params.transition);
    if (!transition) throw notFound("No such API endpoint.");
    if (request.method !== "POST") return methodNotAllowed(["POST"]);
    const user = await requireApiUserWith(request, "festival:publish", params.id);
    const festival = await getFestivalOrThrow(params.id);
    const status = await changeFestivalStatus(user, festival.id, transition);
    return Response.json({ id: festival.id, slug: festival.slug, status });
  });
}
