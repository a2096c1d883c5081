import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { listPayouts, listQuery, payoutInput, proposePayout } from "~/models/payouts.server";
import { api, created, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { requireApiUserWith } from "~/utils/permissions.server";

/** Treasury: payouts, newest first, `?status=&prisonerId=&recipientId=&planId=`. */
export async function loader({ request }: LoaderFunctionArgs) {
  return api(async () => {
    const user = await requireApiUserWith(request, "treasury");
    const filter = parseOrThrow(listQuery, queryOf(request));
    return Response.json({ payouts: await listPayouts(user, filter) });
  });
}

/**
 * Treasury: `{prisonerId, recipientId, category, amountMinor, currency, note?,
 * month?}` → 201 `{id, status: "proposed"}`; 409 `cap_exceeded` /
 * `insufficient_funds` with what is left; 422 for invalid input.
 */
export async function action({ request }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["GET", "POST"]);
    const user = await requireApiUserWith(request, "treasury");
    const input = parseOrThrow(payoutInput, await readJsonBody(request, 16 * 1024));
    return created(await proposePayout(user, input));
  });
}

/** The query's parameters, an empty one as absent (a form's "any"). */
function queryOf(request: Request) {
  return Object.fromEntries(
    [...new URL(request.url).searchParams].filter(([, value]) => value !== ""),
  );
}
