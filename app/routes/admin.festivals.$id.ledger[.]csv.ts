import type { LoaderFunctionArgs } from "@remix-run/node";
import { festivalExportResponse } from "~/models/exports.server";

/** The festival's ledger as CSV (convention, permission and audit: app/models/exports.server.ts). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return festivalExportResponse(request, params.id, "ledger");
}
