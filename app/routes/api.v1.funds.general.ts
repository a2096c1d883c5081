import type { LoaderFunctionArgs } from "@remix-run/node";
import { fundView } from "~/models/funds.server";
import { api, methodNotAllowed } from "~/utils/api.server";
import { requireApiUserWith } from "~/utils/permissions.server";

/** The general fund: `{prisonerId: null, balances: […], byFestival: […]}` (treasurers with a second factor). */
export async function loader({ request }: LoaderFunctionArgs) {
  return api(async () => {
    await requireApiUserWith(request, "treasury");
    return Response.json(await fundView(null));
  });
}

export async function action() {
  return methodNotAllowed(["GET"]);
}
