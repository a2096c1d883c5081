import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { prisonerPatch, publicPrisonerJson, updatePrisoner } from "~/models/prisoner.server";
import { api, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { requireApiUserWith } from "~/utils/permissions.server";

/** Public: one profile (the letters address only while marked safe). */
export async function loader({ params }: LoaderFunctionArgs) {
  return api(async () => Response.json(await publicPrisonerJson(params.id)));
}

/** PATCH any of POST's fields (prisoners:manage) → 200 `{id, slug}`. */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "PATCH") return methodNotAllowed(["GET", "PATCH"]);
    const user = await requireApiUserWith(request, "prisoners:manage");
    const patch = parseOrThrow(prisonerPatch, await readJsonBody(request, 256 * 1024));
    return Response.json(await updatePrisoner(user, params.id, patch));
  });
}
