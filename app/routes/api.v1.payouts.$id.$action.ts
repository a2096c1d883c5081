import type { ActionFunctionArgs } from "@remix-run/node";
import {
  approvePayout,
  cancelInput,
  cancelPayout,
  markPayoutPaid,
  paidInput,
  rejectInput,
  rejectPayout,
} from "~/models/payouts.server";
import { api, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { notFound } from "~/utils/http.server";
import { requireApiUserWith } from "~/utils/permissions.server";

const ACTIONS = ["approve", "reject", "cancel", "paid"] as const;
type Action = (typeof ACTIONS)[number];
const isAction = (value: string | undefined): value is Action =>
  (ACTIONS as readonly string[]).includes(value ?? "");

export async function loader({ params }: ActionFunctionArgs) {
  return api(async () => {
    if (!isAction(params.action)) throw notFound();
    return methodNotAllowed(["POST"]);
  });
}

/**
 * Treasury: POST `/api/v1/payouts/:id/approve` (no body), `/reject`
 * `{reason}`, `/cancel` `{reason?}`, `/paid` `{reference, paidAt}` → the payout.
 */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (!isAction(params.action)) throw notFound();
    if (request.method !== "POST") return methodNotAllowed(["POST"]);
    const user = await requireApiUserWith(request, "treasury");
    const id = params.id ?? "";
    const body = async () => readJsonBody(request, 8 * 1024);
    switch (params.action) {
      case "approve":
        return Response.json({ payout: await approvePayout(user, id) });
      case "reject":
        return Response.json({
          payout: await rejectPayout(user, id, parseOrThrow(rejectInput, await body())),
        });
      case "cancel": {
        const input = request.headers.get("Content-Type")
          ? parseOrThrow(cancelInput, await body())
          : {};
        return Response.json({ payout: await cancelPayout(user, id, input) });
      }
      case "paid":
        return Response.json({
          payout: await markPayoutPaid(user, id, parseOrThrow(paidInput, await body())),
        });
    }
  });
}
