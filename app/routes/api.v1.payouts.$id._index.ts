import type { LoaderFunctionArgs } from "@remix-run/node";
import { getPayout } from "~/models/payouts.server";
import { api, methodNotAllowed } from "~/utils/api.server";
import { requireApiUserWith } from "~/utils/permissions.server";

/** Treasury: one payout with its approvals, note and payment reference. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return api(async () => {
    const user = await requireApiUserWith(request, "treasury");
    return Response.json({ payout: await getPayout(user, params.id ?? "") });
  });
}

export async function action() {
  return methodNotAllowed(["GET"]);
}
