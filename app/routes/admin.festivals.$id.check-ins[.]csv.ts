import type { LoaderFunctionArgs } from "@remix-run/node";
import { listCheckIns } from "~/models/door.server";
import { getFestivalOrThrow } from "~/models/festival.server";
import { auditRead } from "~/utils/change.server";
import { csvResponse, toCsv } from "~/utils/csv.server";
import { requireUserWith } from "~/utils/permissions.server";

/** Check-ins as CSV: ids, times, verdicts, devices and order codes — no names or emails. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUserWith(request, "festival:view", params.id);
  const festival = await getFestivalOrThrow(params.id);
  const rows = await listCheckIns(festival.id, "", 100_000);
  await auditRead({
    actorUserId: user.id,
    action: "checkins.export",
    targetType: "festival",
    targetId: festival.id,
    festivalId: festival.id,
  });
  const csv = toCsv(
    [
      "scanned_at",
      "recorded_at",
      "result",
      "direction",
      "offline",
      "device",
      "order_code",
      "ticket_id",
    ],
    rows.map((r) => ({
      scanned_at: r.scannedAt,
      recorded_at: r.recordedAt,
      result: r.result,
      direction: r.direction,
      offline: r.offline ? "yes" : "no",
      device: r.device,
      order_code: r.orderCode,
      ticket_id: r.ticketId,
    })),
  );
  return csvResponse(`${festival.slug}-check-ins.csv`, csv);
}
