import type { ActionFunctionArgs } from "@remix-run/node";
import { cloneApiInput, cloneFestival } from "~/models/festival-clone.server";
import { festivalsNamedLike } from "~/models/festival.server";
import { api, created, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { requireApiUser } from "~/utils/auth.server";
import { requirePermission } from "~/utils/permissions.server";

export async function loader() {
  return methodNotAllowed(["POST"]);
}

/** POST /api/v1/festivals/:id/clone: a new draft with the festival's set-up, at a new place and date. */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["POST"]);
    const user = await requireApiUser(request);
    // Permission before the body: an outsider learns nothing from what it sent.
    requirePermission(user, "festival:edit", params.id);
    const input = parseOrThrow(cloneApiInput, await readJsonBody(request));
    const result = await cloneFestival(user, params.id, input);
    const sameName = await festivalsNamedLike(input.name, result.id);
    return created({
      ...result,
      warnings: sameName.length
        ? [{ code: "duplicate_name", festivals: sameName.map((f) => f.id) }]
        : [],
    });
  });
}
