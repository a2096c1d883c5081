import type { ActionFunctionArgs } from "@remix-run/node";
import { createPrisoner, prisonerInput, publicPrisonersJson } from "~/models/prisoner.server";
import { api, created, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { requireApiUserWith } from "~/utils/permissions.server";

/** Public: every prisoner of the registry with the figures of the public page. */
export async function loader() {
  return api(async () => Response.json({ prisoners: await publicPrisonersJson() }));
}

/** POST `{name: {en, ru?}, slug?, summary?, story?, heldAt?, sentence?, status?, lettersAddress?, lettersSafe?}` → 201 `{id, slug}` (prisoners:manage). */
export async function action({ request }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["GET", "POST"]);
    const user = await requireApiUserWith(request, "prisoners:manage");
    const input = parseOrThrow(prisonerInput, await readJsonBody(request, 256 * 1024));
    return created(await createPrisoner(user, input));
  });
}
