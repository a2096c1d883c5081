import type { LoaderFunctionArgs } from "@remix-run/node";
import { orderCalendarEvent } from "~/models/order-calendar";
import { getOrderView } from "~/models/order-view.server";
import { publicUrl } from "~/utils/env.server";
import { notFound } from "~/utils/http.server";
import { getLocale } from "~/utils/i18n.server";
import { calendarFile } from "~/utils/ics";

/** The festival as a calendar event (times in UTC, so every calendar shows them right). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const order = await getOrderView({ accessToken: params.token ?? "" }, await getLocale(request));
  if (!order) throw notFound();
  const f = order.festival;
  const file = calendarFile([
    orderCalendarEvent({
      orderId: order.id,
      festival: f,
      festivalUrl: `${publicUrl()}/festivals/${f.slug}`,
    }),
  ]);
  return new Response(file, {
    headers: {
      "Content-Type": "text/calendar; charset=utf-8",
      "Content-Disposition": `attachment; filename="${f.slug}.ics"`,
    },
  });
}
