import type { LoaderFunctionArgs } from "@remix-run/node";
import { findCost } from "~/models/festival-costs.server";
import { auditRead } from "~/utils/change.server";
import { notFound } from "~/utils/http.server";
import { can, requireUserWith } from "~/utils/permissions.server";
import { requireSessionUser } from "~/utils/auth.server";
import { readReceiptFile, receiptDownloadName } from "~/utils/receipts.server";

/**
 * A cost's receipt, as a download only (never shown inline, never cached), to
 * the festival's organisers and to treasurers (festival:costs or treasury).
 * Every download is in the audit log.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireSessionUser(request);
  if (!can(user, "treasury")) await requireUserWith(request, "festival:costs", params.id);
  const cost = await findCost(params.costId ?? "");
  // Another festival's cost under this festival's address looks like no cost.
  if (!cost || cost.festivalId !== params.id || !cost.receiptFile || !cost.receiptType)
    throw notFound();
  const bytes = await readReceiptFile(cost.receiptFile);
  if (!bytes) throw notFound();
  await auditRead({
    actorUserId: user.id,
    action: "cost.receipt.download",
    targetType: "festivalCost",
    targetId: cost.id,
    festivalId: cost.festivalId,
  });
  return new Response(new Uint8Array(bytes), {
    status: 200,
    headers: {
      "Content-Type": cost.receiptType,
      "Content-Length": String(bytes.length),
      "Content-Disposition": `attachment; filename="${receiptDownloadName(cost.id, cost.receiptType)}"`,
      "Cache-Control": "no-store",
      // X-Content-Type-Options: nosniff comes with every answer (helmet, server/index.ts).
      "Content-Security-Policy": "default-src 'none'; sandbox",
      "Cross-Origin-Resource-Policy": "same-origin",
    },
  });
}
