// The scanner's search for someone without their phone: by name or order code,
// online only. Names stay on screen only while the search is open; they are
// never stored on the phone.
import { useState, type FormEvent } from "react";
import { SEARCH_MAX_RESULTS, SEARCH_MIN_LENGTH } from "~/models/door-verdict";
import {
  DeviceRejectedError,
  RateLimitedError,
  SearchTooShortError,
  searchOnline,
  type Direction,
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
}) {
  const t = useT();
  const locale = useLocale();
  const [open, setOpen] = useState(false);
  const [query, setQuery] = useState("");
  const [found, setFound] = useState<FoundTicket[] | null>(null);
  const [note, setNote] = useState<{ key: MessageKey; values?: MessageValues } | null>(null);
  const [truncated, setTruncated] = useState(false);
  const [searching, setSearching] = useState(false);

  const close = () => {
    setOpen(false);
    setFound(null);
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
      setTruncated(answer.truncated);
      if (answer.results.length === 0) setNote({ key: "door.searchNothing" });
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
                    : f.amountDueMinor > 0
                      ? t("door.result.payment_due", {
                          amount: formatMoney(f.amountDueMinor, f.currency, locale),
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
      <button type="button" className="door-small-button" onClick={close}>
        {t("door.searchClose")}
      </button>
    </section>
  );
}
