import type { LoaderFunctionArgs } from "@remix-run/node";
import { getOrderView } from "~/models/order-view.server";
import { orderTattoos } from "~/models/tattoo-booking.server";
import { tattooCalendarEvent } from "~/models/tattoo-calendar";
import { publicUrl } from "~/utils/env.server";
import { notFound } from "~/utils/http.server";
import { getLocale } from "~/utils/i18n.server";
import { calendarFile } from "~/utils/ics";

/**
 * `/orders/<token>/tattoo/<itemId>/calendar.ics`: one standing tattoo booking of
 * the order as a calendar file (beside the booking's own page for cancel/move).
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const itemId = /^[A-Za-z0-9_-]{1,64}$/.test(params.itemId ?? "") ? params.itemId! : null;
  if (!itemId) throw notFound();
  const lang = await getLocale(request);
  const order = await getOrderView({ accessToken: params.token ?? "" }, lang);
  if (!order) throw notFound();
  const booking = (await orderTattoos(order.id)).find(
    (b) => b.orderItemId === itemId && (b.status === "booked" || b.status === "held"),
  );
  if (!booking) throw notFound();
  const file = calendarFile([
    tattooCalendarEvent({
      booking,
      festival: order.festival,
      festivalUrl: `${publicUrl()}/festivals/${order.festival.slug}`,
      currency: order.currency,
      lang,
    }),
  ]);
  return new Response(file, {
    headers: {
      "Content-Type": "text/calendar; charset=utf-8",
      "Content-Disposition": `attachment; filename="tattoo-${itemId}.ics"`,
    },
  });
}
