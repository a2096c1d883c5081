// The booker cancels or moves one tattoo booking of their order (the order's
// secret link is the authority, as for the order page). Forms of
// app/components/tattoo-booking-actions.tsx post here; a change redirects back
// to the order page, a refusal renders inside it (this route is its child) with
// a 4xx and the reason.
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { useActionData } from "@remix-run/react";
import { FormError } from "~/components/field";
import {
  cancelTattooBooking,
  isOrderBooking,
  rescheduleInput,
  rescheduleTattooBooking,
} from "~/models/tattoo-manage.server";
import { confirmationError, field, formFailure, readForm } from "~/utils/forms.server";
import { errorResponse, notFound } from "~/utils/http.server";
import { getTranslator } from "~/utils/i18n.server";
import { fieldErrors } from "~/utils/validation";

/**
 * Nothing of its own to load but that the booking is the order's: the order page (its parent) is the page. (Not a
 * redirect: after a refused post the loaders run again, and the refusal must
 * stay on screen.)
 */
export async function loader({ params }: LoaderFunctionArgs) {
  // Only the order's own bookings have a page here (anything else is unknown).
  if (!(await isOrderBooking(params.token ?? "", params.itemId ?? ""))) throw notFound();
  return null;
}

type Result = { itemId: string; errors: Record<string, string> };

export async function action({ request, params }: ActionFunctionArgs) {
  const token = params.token ?? "";
  const itemId = params.itemId ?? "";
  const form = await readForm(request);
  const { t } = await getTranslator(request);
  const intent = field(form, "intent");
  const back = (done: string) =>
    redirect(`/orders/${encodeURIComponent(token)}?tattoo=${done}#tattoo-${itemId}`, 303);
  const messages = {
    cancel_window_closed: t("tattooManage.error.closed"),
    not_booked: t("tattooManage.error.notBooked"),
    festival_cancelled: t("tattooManage.error.notBooked"),
    changed: t("tattooManage.error.changed"),
    sold_out: { slotId: t("tattoo.slotTaken") },
    tattoo_booking_limit: { slotId: t("tattoo.bookingLimit") },
    paid_in_cash: t("tattooManage.paidInCash"),
    disputed: t("tattooManage.error.disputed"),
    payment_unavailable: t("tattooManage.error.unavailable"),
  };
  try {
    if (intent === "cancel") {
      const refused = confirmationError(form, t);
      if (refused) return data<Result>({ itemId, errors: { _form: refused } }, { status: 400 });
      await cancelTattooBooking({ accessToken: token, orderItemId: itemId });
      return back("cancelled");
    }
    if (intent === "move") {
      const parsed = rescheduleInput.safeParse({ slotId: field(form, "slotId") ?? "" });
      if (!parsed.success)
        return data<Result>({ itemId, errors: fieldErrors(parsed.error, t) }, { status: 422 });
      await rescheduleTattooBooking({
        accessToken: token,
        orderItemId: itemId,
        slotId: parsed.data.slotId,
      });
      return back("moved");
    }
  } catch (error) {
    const failed = formFailure(error, t, messages);
    return data<Result>(
      { itemId, errors: failed.errors },
      { status: failed.status, headers: failed.headers },
    );
  }
  throw errorResponse(400, "bad_intent", "Unknown action.");
}

/** A refused change, shown on the order page above the bookings. */
export default function TattooChangeRefused() {
  const result = useActionData<typeof action>();
  if (!result) return null;
  return (
    <div className="card" id="tattoo-refused">
      {Object.values(result.errors).map((message) => (
        <FormError key={message} error={message} />
      ))}
    </div>
  );
}
