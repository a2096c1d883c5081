import type { ActionFunctionArgs } from "@remix-run/node";
import { getFestivalOrThrow } from "~/models/festival.server";
import { createQuota, quotaInput } from "~/models/ticket-type.server";
import { api, created, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { requireApiUserWith } from "~/utils/permissions.server";

export async function loader() {
  return methodNotAllowed(["POST"]);
}

/** A capacity shared by several ticket types: `{name, capacity}` → `{id}`. */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["POST"]);
    const user = await requireApiUserWith(request, "festival:edit", params.id);
    const festival = await getFestivalOrThrow(params.id);
    const input = parseOrThrow(quotaInput, await readJsonBody(request, 16 * 1024));
    return created(await createQuota(user, festival.id, input));
  });
}
