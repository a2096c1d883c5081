import type { ActionFunctionArgs } from "@remix-run/node";
import { api, methodNotAllowed } from "~/utils/api.server";
import { notFound } from "~/utils/http.server";
import { requireApiUserWith } from "~/utils/permissions.server";
import { resetSecondFactor } from "~/utils/two-factor.server";

export async function loader() {
  return methodNotAllowed(["DELETE"]);
}

/**
 * Admin (with their own second factor proved): reset an account's second
 * factor (a lost phone). The person enrols again at /account/security.
 */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "DELETE") return methodNotAllowed(["DELETE"]);
    const user = await requireApiUserWith(request, "users:manage");
    if (!(await resetSecondFactor(user, params.id ?? ""))) throw notFound();
    return new Response(null, { status: 204 });
  });
}
