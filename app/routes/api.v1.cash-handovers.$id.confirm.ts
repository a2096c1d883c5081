import type { ActionFunctionArgs } from "@remix-run/node";
import { confirmHandover, findHandover } from "~/models/cash.server";
import { api, methodNotAllowed } from "~/utils/api.server";
import { notFound } from "~/utils/http.server";
import { requireApiUser } from "~/utils/auth.server";
import { requirePermission } from "~/utils/permissions.server";

export async function loader() {
  return methodNotAllowed(["POST"]);
}

/** The treasurer named in a handover confirms receiving its cash (anyone else: 403). */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["POST"]);
    const user = await requireApiUser(request);
    const handover = params.id ? await findHandover(params.id) : null;
    if (!handover) throw notFound();
    requirePermission(user, "festival:money", handover.festivalId);
    return Response.json(await confirmHandover(user, handover.id));
  });
}
