// The booker's "Cancel" and "Move to another time" for one tattoo booking on
// the order page (app/models/tattoo-booking.server.ts, tattooManageViews). Both
// post to the order's own tattoo route (orders.$token.tattoo.$itemId), which
// redirects back here. Cancelling is irreversible: a confirmation step that
// states what happens to the donation (refunded, kept, or no longer due).
// After the cut-off the buttons are gone and a line says why.
import { Form } from "@remix-run/react";
import type { ManageView } from "~/models/tattoo-manage.server";
import { formatDateTime, formatTime } from "~/utils/format";
import { formatMoney } from "~/utils/money";
import { useLocale, useT } from "~/utils/use-t";
import { ConfirmButton } from "./confirm-button";

export function TattooBookingActions({
  token,
  view,
  timezone,
  currency,
}: {
  token: string;
  view: ManageView;
  timezone: string;
  currency: string;
}) {
  const t = useT();
  const locale = useLocale();
  const action = `/orders/${token}/tattoo/${view.orderItemId}`;
  if (view.locked === "cancel_window_closed")
    return (
      <p className="hint tattoo-actions-closed">
        {t("tattooManage.closed", {
          hours: view.cancelHours,
          time: formatDateTime(view.closesAt, locale, timezone),
        })}
      </p>
    );
  if (view.locked) return null;
  const amount = formatMoney(view.plan.amountMinor, currency, locale);
  const warning =
    view.plan.outcome === "refunded"
      ? t("tattooManage.warnRefund", { amount })
      : view.plan.outcome === "kept"
        ? t("tattooManage.warnKeep", { amount })
        : t("tattooManage.warnNothingDue");
  return (
    <div className="tattoo-actions">
      <p className="hint">
        {t("tattooManage.until", { time: formatDateTime(view.closesAt, locale, timezone) })}{" "}
        {t(view.policy === "keep" ? "tattooManage.policyKeep" : "tattooManage.policyRefund")}
      </p>
      {view.plan.outcome === "ask_the_corner" ? (
        <p className="hint">{t("tattooManage.paidInCash")}</p>
      ) : (
        <ConfirmButton
          label={t("tattooManage.cancel")}
          warning={warning}
          confirmLabel={t("tattooManage.confirmCancel")}
          intent="cancel"
          action={action}
        />
      )}
      <details className="tattoo-move">
        <summary>{t("tattooManage.move")}</summary>
        {view.slots.length === 0 ? (
          <p className="muted">{t("tattooManage.noSlots")}</p>
        ) : (
          <Form method="post" action={action} noValidate>
            <fieldset className="choices">
              <legend>{t("tattooManage.pickTime")}</legend>
              {view.slots.map((slot) => (
                <label key={slot.id} className="choice">
                  <input type="radio" name="slotId" value={slot.id} />
                  {formatDateTime(slot.startsAt, locale, timezone)}–
                  {formatTime(slot.endsAt, locale, timezone)}
                </label>
              ))}
            </fieldset>
            <button type="submit" name="intent" value="move">
              {t("tattooManage.confirmMove")}
            </button>
          </Form>
        )}
      </details>
    </div>
  );
}
