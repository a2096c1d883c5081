import type { LoaderFunctionArgs } from "@remix-run/node";
import { getFestivalOrThrow } from "~/models/festival.server";
import { ordersCsv } from "~/models/sales.server";
import { audit } from "~/utils/audit.server";
import { getLocale } from "~/utils/i18n.server";
import { requireUserWith } from "~/utils/permissions.server";

/** Orders as CSV (anonymous buyers without their email). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUserWith(request, "festival:view", params.id);
  const festival = await getFestivalOrThrow(params.id);
  const csv = await ordersCsv(festival.id, await getLocale(request));
  await audit({
    actorUserId: user.id,
    action: "orders.export",
    targetType: "festival",
    targetId: festival.id,
    festivalId: festival.id,
  });
  return new Response(csv, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${festival.slug}-orders.csv"`,
      "Cache-Control": "private, no-store",
    },
  });
}
