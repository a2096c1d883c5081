// The full-screen verdict of the door scanner: colour, icon and words (never
// colour alone), readable at arm's length; a tap anywhere goes on to the next.
import { useEffect, useRef } from "react";
import type { DonationChoice } from "~/models/door-verdict";
import { cashDue, type DoorResult, type DoorVerdict } from "~/utils/door-client";
import type { MessageKey } from "~/utils/i18n";
import { formatMoney } from "~/utils/money";
import { useLocale, useT } from "~/utils/use-t";

/** What the verdict screen shows; `token` is the scanned code (absent for a ticket found by search). */
export type Shown = DoorVerdict & {
  token?: string;
  offline?: boolean;
  noManifest?: boolean;
  note?: MessageKey;
};

export const RESULT_TONE: Record<DoorResult, "ok" | "warn" | "bad"> = {
  admitted: "ok",
  exited: "ok",
  payment_due: "warn",
  already_admitted: "bad",
  revoked: "bad",
  invalid: "bad",
  wrong_festival: "bad",
  not_yet_valid: "bad",
  conflict: "bad",
  undone: "warn",
  festival_cancelled: "bad",
};

const ICON: Record<"ok" | "warn" | "bad", string> = { ok: "✓", warn: "!", bad: "✕" };

export function Verdict({
  shown,
  time,
  onDismiss,
  onCash,
  busy,
}: {
  shown: Shown;
  time: (iso: string) => string;
  onDismiss: () => void;
  /** Staff took the cash: with the pledged donation, or the buyer declined it. */
  onCash: (donation: DonationChoice) => void;
  busy: boolean;
}) {
  const t = useT();
  const locale = useLocale();
  // An undo the server refused (or that needs the network) is not an "Undone".
  const undoFailed = shown.result === "undone" && Boolean(shown.note);
  const tone = undoFailed ? "bad" : RESULT_TONE[shown.result];
  const dismissRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    dismissRef.current?.focus();
  }, [shown]);
  const money = (minor: number) => formatMoney(minor, shown.currency ?? "EUR", locale);
  const pledged = shown.result === "payment_due" ? (shown.donationDueMinor ?? 0) : 0;
  const title =
    shown.result === "payment_due"
      ? t("door.result.payment_due", { amount: money(cashDue(shown, "collect")) })
      : undoFailed
        ? t("door.undoFailed")
        : t(`door.result.${shown.result}`);
  return (
    // The whole panel dismisses on a tap (one hand, dark room); the button is there for keyboards.
    <div
      className={`door-verdict door-verdict-${tone}`}
      role="alert"
      data-result={undoFailed ? "undo_failed" : shown.result}
      onClick={onDismiss}
    >
      <div className="door-verdict-icon" aria-hidden="true">
        {ICON[tone]}
      </div>
      <h2 className="door-verdict-title">{title}</h2>
      {shown.ticketType ? <p className="door-verdict-type">{shown.ticketType}</p> : null}
      {pledged > 0 ? (
        <p className="door-verdict-detail" data-testid="door-donation-line">
          {(shown.amountDueMinor ?? 0) > 0
            ? t("door.ticketPlusDonation", {
                ticket: money(shown.amountDueMinor ?? 0),
                donation: money(pledged),
              })
            : t("door.freeTicketDonation", { donation: money(pledged) })}
        </p>
      ) : null}
      {shown.admittedAt && shown.result !== "admitted" ? (
        <p className="door-verdict-detail">
          {shown.admittedBy
            ? t("door.admittedAtBy", { time: time(shown.admittedAt), door: shown.admittedBy })
            : t("door.admittedAt", { time: time(shown.admittedAt) })}
        </p>
      ) : null}
      {shown.noManifest ? <p className="door-verdict-detail">{t("door.noManifest")}</p> : null}
      {shown.offline ? <p className="door-verdict-detail">{t("door.offlineVerdict")}</p> : null}
      {shown.note ? <p className="door-verdict-detail">{t(shown.note)}</p> : null}
      {shown.result === "payment_due" && shown.offline ? (
        <p className="door-verdict-detail">{t("door.cashNeedsNetwork")}</p>
      ) : null}
      {shown.result === "payment_due" ? (
        <button
          type="button"
          className="door-cash"
          disabled={busy || shown.offline}
          onClick={(e) => {
            e.stopPropagation();
            onCash("collect");
          }}
        >
          {pledged > 0
            ? t("door.cashReceivedAmount", { amount: money(cashDue(shown, "collect")) })
            : t("door.cashReceived")}
        </button>
      ) : null}
      {shown.result === "payment_due" && pledged > 0 ? (
        <button
          type="button"
          className="door-cash door-cash-decline"
          disabled={busy || shown.offline}
          onClick={(e) => {
            e.stopPropagation();
            onCash("decline");
          }}
        >
          {t("door.donationDeclined", { amount: money(cashDue(shown, "decline")) })}
        </button>
      ) : null}
      <button type="button" ref={dismissRef} className="door-dismiss" onClick={onDismiss}>
        {t("door.tapToDismiss")}
      </button>
    </div>
  );
}
