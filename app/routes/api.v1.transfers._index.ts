import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { listTransfers, proposeTransfer, transferInput } from "~/models/funds.server";
import { api, created, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { requireApiUserWith } from "~/utils/permissions.server";

const listQuery = z
  .object({ status: z.enum(["proposed", "done", "rejected", "cancelled"]).optional() })
  .strict();

/** `{transfers: [...]}`, newest first; `?status=proposed` for those waiting (treasurers with a second factor). */
export async function loader({ request }: LoaderFunctionArgs) {
  return api(async () => {
    await requireApiUserWith(request, "treasury");
    const query = parseOrThrow(listQuery, Object.fromEntries(new URL(request.url).searchParams));
    return Response.json({ transfers: await listTransfers(query) });
  });
}

/**
 * POST `{fromPrisonerId | null, toPrisonerId | null, currency, amountMinor,
 * reason}` → 201 `{id, status: "proposed", …}`; it moves once PAYOUT_APPROVALS
 * other treasurers approve it. 409 insufficient_funds, 422 for bad input.
 */
export async function action({ request }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["GET", "POST"]);
    const user = await requireApiUserWith(request, "treasury");
    const input = parseOrThrow(transferInput, await readJsonBody(request, 4 * 1024));
    return created(await proposeTransfer(user, input));
  });
}
