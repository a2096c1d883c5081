import type { LoaderFunctionArgs } from "@remix-run/node";
import { isReportMonth, monthReport } from "~/models/transparency.server";
import { api } from "~/utils/api.server";
import { errorResponse } from "~/utils/http.server";
import { getLocale } from "~/utils/i18n.server";

/** Public: one calendar month (UTC) across festivals, from the ledger (decision 0037). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return api(async () => {
    const month = params.month ?? "";
    if (!isReportMonth(month))
      throw errorResponse(400, "invalid_month", "Give the month as YYYY-MM, e.g. 2026-12.");
    return Response.json(await monthReport(month, { locale: await getLocale(request) }));
  });
}
