// The scanner's search for someone without their phone: by name or order code,
// online only. Names stay on screen only while the search is open; they are
// never stored on the phone.
import { useState, type FormEvent } from "react";
import {
  SEARCH_MAX_RESULTS,
  SEARCH_MIN_LENGTH,
  type DonationChoice,
  type OrderPayment,
} from "~/models/door-verdict";
import {
  DeviceRejectedError,
  RateLimitedError,
  SearchTooShortError,
  searchOnline,
  type Direction,
  type FoundDonation,
  type FoundTicket,
} from "~/utils/door-client";
import type { MessageKey, MessageValues } from "~/utils/i18n";
import { formatMoney } from "~/utils/money";
import { useLocale, useT } from "~/utils/use-t";

export function DoorSearch({
  deviceToken,
  online,
  busy,
  direction,
  onRejected,
  onChoose,
  onDonation,
}: {
  deviceToken: string;
  online: boolean;
  /** A scan is under way: the buttons wait. */
  busy: boolean;
  direction: Direction;
  /** The server no longer knows this device. */
  onRejected: () => void;
  /** Admit (or let out) the ticket: done, the network was gone, or the device was refused. */
  onChoose: (ticket: FoundTicket) => Promise<"done" | "offline" | "rejected">;
  /** Collect a found order's pledged donation (or record that the buyer declined it). */
  onDonation: (
    order: FoundDonation,
    donation: DonationChoice,
  ) => Promise<OrderPayment | "changed" | "offline" | "rejected">;
}) {
  const t = useT();
  const locale = useLocale();
  const [open, setOpen] = useState(false);
  const [query, setQuery] = useState("");
  const [found, setFound] = useState<FoundTicket[] | null>(null);
  const [donations, setDonations] = useState<FoundDonation[]>([]);
  const [note, setNote] = useState<{ key: MessageKey; values?: MessageValues } | null>(null);
  const [truncated, setTruncated] = useState(false);
  const [searching, setSearching] = useState(false);

  const close = () => {
    setOpen(false);
    setFound(null);
    setDonations([]);
    setQuery("");
    setNote(null);
    setTruncated(false);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSearching(true);
    setNote(null);
    setTruncated(false);
    try {
      const answer = await searchOnline(deviceToken, query);
      setFound(answer.results);
      setDonations(answer.donations ?? []);
      setTruncated(answer.truncated);
      if (answer.results.length === 0 && !answer.donations?.length)
        setNote({ key: "door.searchNothing" });
    } catch (e) {
      if (e instanceof DeviceRejectedError) onRejected();
      else if (e instanceof SearchTooShortError)
        setNote({ key: "door.searchTooShort", values: { n: SEARCH_MIN_LENGTH } });
      else if (e instanceof RateLimitedError) {
        setFound(null);
        setNote({ key: "door.searchRateLimited", values: { seconds: e.retryAfterSeconds } });
      } else {
        setFound(null);
        setNote({ key: "door.searchNeedsNetwork" });
      }
    } finally {
      setSearching(false);
    }
  };

  const choose = async (ticket: FoundTicket) => {
    const outcome = await onChoose(ticket);
    if (outcome === "done") close();
    else if (outcome === "offline") setNote({ key: "door.searchNeedsNetwork" });
  };

  const settle = async (order: FoundDonation, donation: DonationChoice) => {
    const outcome = await onDonation(order, donation);
    if (outcome === "rejected") return;
    if (outcome === "offline") setNote({ key: "door.searchNeedsNetwork" });
    else if (outcome === "changed") setNote({ key: "door.amountChanged" });
    else {
      setDonations((list) => list.filter((d) => d.orderId !== order.orderId));
      setNote(
        outcome.result === "donation_collected"
          ? {
              key: "door.donationCollected",
              values: { amount: formatMoney(outcome.amountMinor, outcome.currency, locale) },
            }
          : {
              key:
                outcome.result === "donation_declined"
                  ? "door.donationWithdrawn"
                  : "door.nothingDue",
            },
      );
    }
  };

  if (!open)
    return (
      <button
        type="button"
        className="door-search-open"
        onClick={() => setOpen(true)}
        disabled={!online}
      >
        {online ? t("door.searchOpen") : t("door.searchNeedsNetwork")}
      </button>
    );

  return (
    <section className="door-search" aria-labelledby="door-search-title">
      <h2 id="door-search-title" className="door-search-title">
        {t("door.searchTitle")}
      </h2>
      <form className="door-manual-row" onSubmit={(e) => void submit(e)}>
        <input
          id="door-search"
          name="q"
          type="search"
          autoComplete="off"
          maxLength={60}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          aria-label={t("door.searchLabel")}
          aria-describedby="door-search-hint"
          placeholder={t("door.searchPlaceholder")}
        />
        <button type="submit" disabled={busy || searching}>
          {t("door.searchSubmit")}
        </button>
      </form>
      <p id="door-search-hint" className="door-muted">
        {t("door.searchHint", { n: SEARCH_MIN_LENGTH })}
      </p>
      {note ? (
        <p className="door-muted" role="status">
          {t(note.key, note.values)}
        </p>
      ) : null}
      {truncated ? (
        <p className="door-muted" role="status">
          {t("door.searchTruncated", { n: SEARCH_MAX_RESULTS })}
        </p>
      ) : null}
      {found && found.length > 0 ? (
        <ul className="door-found" aria-label={t("door.searchResults")}>
          {found.map((f) => (
            <li key={f.ticketId}>
              <div>
                <strong>{f.name ?? t("door.noName")}</strong>{" "}
                <span className="mono">{f.orderCode}</span>
                <br />
                <span>{f.ticketType}</span>
                {" · "}
                <span>
                  {f.status !== "valid"
                    ? t("door.result.revoked")
                    : f.amountDueMinor + (f.donationDueMinor ?? 0) > 0
                      ? t("door.result.payment_due", {
                          amount: formatMoney(
                            f.amountDueMinor + (f.donationDueMinor ?? 0),
                            f.currency,
                            locale,
                          ),
                        })
                      : f.admitted
                        ? t("door.foundAdmitted")
                        : t("door.foundNotYet")}
                </span>
              </div>
              <button type="button" disabled={busy || searching} onClick={() => void choose(f)}>
                {direction === "in" ? t("door.admit") : t("door.letOut")}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {donations.length > 0 ? (
        <ul className="door-found" aria-label={t("door.donationsDue")}>
          {donations.map((d) => (
            <li key={d.orderId} className="door-found-donation">
              <div>
                <strong>{d.name ?? t("door.noName")}</strong>{" "}
                <span className="mono">{d.orderCode}</span>
                <br />
                <span>
                  {t("door.pledgedDonation", {
                    amount: formatMoney(d.donationDueMinor, d.currency, locale),
                  })}
                </span>
              </div>
              <div className="door-found-actions">
                <button
                  type="button"
                  disabled={busy || searching}
                  onClick={() => void settle(d, "collect")}
                >
                  {t("door.cashReceivedAmount", {
                    amount: formatMoney(d.donationDueMinor, d.currency, locale),
                  })}
                </button>
                <button
                  type="button"
                  className="door-small-button"
                  disabled={busy || searching}
                  onClick={() => void settle(d, "decline")}
                >
                  {t("door.buyerDeclines")}
                </button>
              </div>
            </li>
          ))}
        </ul>
      ) : null}
      <button type="button" className="door-small-button" onClick={close}>
        {t("door.searchClose")}
      </button>
    </section>
  );
}
