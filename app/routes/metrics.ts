import type { LoaderFunctionArgs } from "@remix-run/node";
import { metricsResponse } from "~/utils/metrics.server";

/** Prometheus text format for a scraper holding METRICS_TOKEN (404 when it is unset). */
export function loader({ request }: LoaderFunctionArgs) {
  return metricsResponse(request);
}
