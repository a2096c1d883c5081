import type { LoaderFunctionArgs } from "@remix-run/node";
import { checkLedger } from "~/models/ledger.server";
import { api, methodNotAllowed } from "~/utils/api.server";
import { requireApiUserWith } from "~/utils/permissions.server";

/** `{balanced, entries, problems: [...]}` for the whole ledger (treasurers, admins). */
export async function loader({ request }: LoaderFunctionArgs) {
  return api(async () => {
    await requireApiUserWith(request, "ledger:check");
    return Response.json(await checkLedger());
  });
}

export async function action() {
  return methodNotAllowed(["GET"]);
}
