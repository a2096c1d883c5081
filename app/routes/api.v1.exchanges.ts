import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { createExchange, exchangeInput, listExchanges } from "~/models/funds.server";
import { api, created, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { requireApiUserWith } from "~/utils/permissions.server";

/** `{exchanges: [...]}`, newest first (treasurers with a second factor). */
export async function loader({ request }: LoaderFunctionArgs) {
  return api(async () => {
    await requireApiUserWith(request, "treasury");
    return Response.json({ exchanges: await listExchanges() });
  });
}

/**
 * POST `{prisonerId | null, fromCurrency, toCurrency, amountMinor, rate: "95.25",
 * ratedOn: "YYYY-MM-DD"}` → 201 with the exchange (toAmountMinor rounded half
 * up). 409 insufficient_funds when the fund lacks it; 422 for bad input.
 */
export async function action({ request }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["GET", "POST"]);
    const user = await requireApiUserWith(request, "treasury");
    const input = parseOrThrow(exchangeInput, await readJsonBody(request, 4 * 1024));
    return created(await createExchange(user, input));
  });
}
