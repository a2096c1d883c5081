import type { LoaderFunctionArgs } from "@remix-run/node";
import { getFestivalOrThrow } from "~/models/festival.server";
import { ordersCsv } from "~/models/sales.server";
import { auditRead } from "~/utils/change.server";
import { csvResponse } from "~/utils/csv.server";
import { getLocale } from "~/utils/i18n.server";
import { requireUserWith } from "~/utils/permissions.server";

/** Orders as CSV (anonymous buyers without their email). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUserWith(request, "festival:view", params.id);
  const festival = await getFestivalOrThrow(params.id);
  const csv = await ordersCsv(festival.id, await getLocale(request));
  await auditRead({
    actorUserId: user.id,
    action: "orders.export",
    targetType: "festival",
    targetId: festival.id,
    festivalId: festival.id,
  });
  return csvResponse(`${festival.slug}-orders.csv`, csv);
}
