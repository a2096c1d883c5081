import type { LoaderFunctionArgs } from "@remix-run/node";
import { getFestivalOrThrow } from "~/models/festival.server";
import { festivalLedger } from "~/models/ledger-view.server";
import { api, methodNotAllowed } from "~/utils/api.server";
import { requireApiUserWith } from "~/utils/permissions.server";

/** `{festival: {id, name, currency}, currencies: {[currency]: {accounts, summary}}}` (organisers, treasurers, admins). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return api(async () => {
    await requireApiUserWith(request, "festival:money", params.id);
    const festival = await getFestivalOrThrow(params.id);
    return Response.json(await festivalLedger(festival));
  });
}

export async function action() {
  return methodNotAllowed(["GET"]);
}
