import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import {
  allocatable,
  allocationRuleInput,
  currentRule,
  setAllocationRule,
} from "~/models/allocation.server";
import { getFestivalOrThrow } from "~/models/festival.server";
import { api, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { requireApiUserWith } from "~/utils/permissions.server";

/** `{festival: {id, name, currency}, rule: {version, equal, generalPercent, shares, …} | null, allocatable: [{currency, …}]}` (organisers, treasurers). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return api(async () => {
    await requireApiUserWith(request, "festival:allocation", params.id);
    const festival = await getFestivalOrThrow(params.id);
    const [rule, amounts] = await Promise.all([currentRule(festival.id), allocatable(festival.id)]);
    return Response.json({
      festival: { id: festival.id, name: festival.name, currency: festival.currency },
      rule,
      allocatable: amounts,
    });
  });
}

/**
 * PUT `{shares: [{prisonerId, percent}], generalPercent}` or `{equal: true,
 * generalPercent?}` → 200 with the new rule version (it applies to money
 * allocated from now on). 422 with the fields for percents that are not whole
 * numbers 0..100 summing to 100, prisoners the festival does not support, duplicates.
 */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "PUT") return methodNotAllowed(["GET", "PUT"]);
    const user = await requireApiUserWith(request, "festival:allocation", params.id);
    const festival = await getFestivalOrThrow(params.id);
    const body = await readJsonBody(request, 16 * 1024);
    const input = parseOrThrow(allocationRuleInput(body), body);
    return Response.json(await setAllocationRule(user, festival.id, input));
  });
}
