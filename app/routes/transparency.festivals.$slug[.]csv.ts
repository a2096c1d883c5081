import type { LoaderFunctionArgs } from "@remix-run/node";
import { festivalReportTable, publicReportResponse } from "~/models/exports.server";
import { festivalReport, publicFestivalBySlug } from "~/models/transparency.server";
import { notFound } from "~/utils/http.server";
import { getLocale } from "~/utils/i18n.server";

/** A public festival's report as CSV (the page's numbers, major units); 404 for drafts. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const festival = await publicFestivalBySlug(params.slug ?? "");
  const report = festival
    ? await festivalReport(festival.id, { locale: await getLocale(request) })
    : null;
  if (!report) throw notFound("No such festival.");
  return publicReportResponse(`${report.festival.slug}-report.csv`, festivalReportTable(report));
}
