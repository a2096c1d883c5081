import type { LoaderFunctionArgs } from "@remix-run/node";
import { monthReportTable, publicReportResponse } from "~/models/exports.server";
import { isReportMonth, monthReport } from "~/models/transparency.server";
import { notFound } from "~/utils/http.server";
import { getLocale } from "~/utils/i18n.server";

/** One month's report (UTC) as CSV: the page's numbers, in major units with their currency. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const month = params.month ?? "";
  if (!isReportMonth(month)) throw notFound("No such month.");
  const report = await monthReport(month, { locale: await getLocale(request) });
  return publicReportResponse(`report-${month}.csv`, monthReportTable(report));
}
