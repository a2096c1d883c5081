import type { LoaderFunctionArgs } from "@remix-run/node";
import { fundView } from "~/models/funds.server";
import { api, methodNotAllowed } from "~/utils/api.server";
import { requireApiUserWith } from "~/utils/permissions.server";

/**
 * `{prisonerId, balances: [{currency, balanceMinor, reservedMinor, availableMinor}],
 * byFestival: [{festivalId, currency, balanceMinor}]}` (treasurers with a second factor).
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return api(async () => {
    await requireApiUserWith(request, "treasury");
    return Response.json(await fundView(params.id ?? ""));
  });
}

export async function action() {
  return methodNotAllowed(["GET"]);
}
