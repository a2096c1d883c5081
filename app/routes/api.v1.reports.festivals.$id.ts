import type { LoaderFunctionArgs } from "@remix-run/node";
import { festivalReport } from "~/models/transparency.server";
import { api } from "~/utils/api.server";
import { notFound } from "~/utils/http.server";
import { getLocale } from "~/utils/i18n.server";

/** Public: a festival's report from the ledger (decision 0037); 404 for unknown and draft festivals. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return api(async () => {
    const report = await festivalReport(params.id ?? "", { locale: await getLocale(request) });
    if (!report) throw notFound("No such festival.");
    return Response.json(report);
  });
}
