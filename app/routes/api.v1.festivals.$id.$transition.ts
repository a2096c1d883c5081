import type { ActionFunctionArgs } from "@remix-run/node";
import { changeFestivalStatus, getFestivalOrThrow } from "~/models/festival.server";
import { api, methodNotAllowed } from "~/utils/api.server";
import { requireApiUserWith } from "~/utils/permissions.server";

export async function loader() {
  return methodNotAllowed(["POST"]);
}

export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["POST"]);
    const user = await requireApiUserWith(request, "festival:publish", params.id);
    const festival = await getFestivalOrThrow(params.id);
    const status = await changeFestivalStatus(user, festival.id, "publish");
    return Response.json({ id: festival.id, slug: festival.slug, status });
  });
}
