import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { acceptPayoutPlan, payoutPlan, planAcceptInput, planQuery } from "~/models/payouts.server";
import { api, created, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { requireApiUserWith } from "~/utils/permissions.server";

/**
 * Treasury: `?prisonerId=…&recipientId=…` → `{currency, capMinor, startMonth,
 * availableMinor, tranches: [{month, amountMinor}], leftOverMinor}`.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  return api(async () => {
    const user = await requireApiUserWith(request, "treasury");
    const query = parseOrThrow(planQuery, Object.fromEntries(new URL(request.url).searchParams));
    return Response.json(await payoutPlan(user, query));
  });
}

/**
 * Treasury: accept the plan `{prisonerId, recipientId, category, note?,
 * tranches?}` → 201 `{planId, payouts}`: one proposed payout per month.
 */
export async function action({ request }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["GET", "POST"]);
    const user = await requireApiUserWith(request, "treasury");
    const input = parseOrThrow(planAcceptInput, await readJsonBody(request, 16 * 1024));
    return created(await acceptPayoutPlan(user, input));
  });
}
