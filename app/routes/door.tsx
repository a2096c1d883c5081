// The door scanner: a phone's camera reads a ticket's QR code and the screen
// fills with the verdict. Online the server decides (one atomic check-in for
// all doors); offline this phone decides from the last downloaded manifest,
// never admits one ticket twice, and uploads its queue when the network returns.
import type { LinksFunction, MetaFunction } from "@remix-run/node";
import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { signal, unlockAudio } from "~/components/door/feedback";
import { useQrCamera } from "~/components/door/use-qr-camera";
import doorStyles from "~/styles/door.css";
import {
  adoptDeviceTokenFromHash,
  DeviceRejectedError,
  fetchManifest,
  forgetDevice,
  isOnline,
  loadDeviceToken,
  loadManifest,
  manifestCheckedAt,
  NetworkError,
  payOnline,
  queueLength,
  scanFoundTicket,
  scanOffline,
  scanOnline,
  searchOnline,
  syncQueue,
  undoAdmission,
  type Direction,
  type FoundTicket,
  type DoorManifest,
  type DoorResult,
  type DoorVerdict,
} from "~/utils/door-client";
import { formatTime } from "~/utils/format";
import { DEFAULT_LOCALE, isLocale, translator, type MessageKey } from "~/utils/i18n";
import { formatMoney } from "~/utils/money";
import { useLocale, useT } from "~/utils/use-t";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: doorStyles },
  { rel: "manifest", href: "/door.webmanifest" },
  { rel: "apple-touch-icon", href: "/door-icon.svg" },
];

/** Cached by the service worker for offline use: the root renders it without account data. */
export const handle = { deviceShell: true };

export const meta: MetaFunction = ({ matches }) => {
  const data = matches.find((m) => m.id === "root")?.data as { locale?: string } | undefined;
  const t = translator(isLocale(data?.locale) ? data.locale : DEFAULT_LOCALE);
  return [
    { title: t("door.title") },
    { name: "theme-color", content: "#0b0b10" },
    { name: "robots", content: "noindex" },
  ];
};

/** The same code read again within this time is ignored (the camera sees it many times a second). */
const DEBOUNCE_MS = 3000;
/** Manifest refresh (and queue upload retry) while online. */
const REFRESH_MS = 5000;

/** What the verdict screen shows; `token` is the scanned code (absent for a ticket found by search). */
type Shown = DoorVerdict & {
  token?: string;
  offline?: boolean;
  noManifest?: boolean;
  note?: MessageKey;
};

/** This phone's last admission, which staff can take back (a mistaken scan). */
type LastAdmission = { nonce: string; ticketId: string; ticketType?: string; at: number };

/** The server undoes an admission within 15 minutes; the button goes away after that. */
const UNDO_WINDOW_MS = 15 * 60_000;

const RESULT_TONE: Record<DoorResult, "ok" | "warn" | "bad"> = {
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
};

const ICON: Record<"ok" | "warn" | "bad", string> = { ok: "✓", warn: "!", bad: "✕" };

export default function DoorScanner() {
  const t = useT();
  const locale = useLocale();
  /** undefined until the browser has read its storage (the server cannot). */
  const [deviceToken, setDeviceToken] = useState<string | null | undefined>(undefined);
  const [badSetupLink, setBadSetupLink] = useState(false);
  const [rejected, setRejected] = useState(false);
  const [manifest, setManifest] = useState<DoorManifest | null>(null);
  /** When the server last confirmed this phone's ticket list (shown while offline). */
  const [checkedAt, setCheckedAt] = useState<number | null>(null);
  const [online, setOnline] = useState(true);
  const [queued, setQueued] = useState(0);
  const [direction, setDirection] = useState<Direction>("in");
  const [shown, setShown] = useState<Shown | null>(null);
  const [busy, setBusy] = useState(false);
  const [manualCode, setManualCode] = useState("");
  const [lastAdmission, setLastAdmission] = useState<LastAdmission | null>(null);
  const [searchOpen, setSearchOpen] = useState(false);
  const [query, setQuery] = useState("");
  const [found, setFound] = useState<FoundTicket[] | null>(null);
  const [searchNote, setSearchNote] = useState<MessageKey | null>(null);

  const videoRef = useRef<HTMLVideoElement>(null);
  const busyRef = useRef(false);
  const lastCode = useRef<{ text: string; at: number } | null>(null);
  const shownRef = useRef<Shown | null>(null);
  const directionRef = useRef<Direction>("in");
  useEffect(() => {
    shownRef.current = shown;
  }, [shown]);
  useEffect(() => {
    directionRef.current = direction;
  }, [direction]);

  // Setup link → stored token; the token leaves the address bar.
  useEffect(() => {
    const fromHash = adoptDeviceTokenFromHash();
    const badLink = !fromHash && /device=/.test(window.location.hash);
    if (badLink) window.history.replaceState(window.history.state, "", window.location.pathname);
    // Browser storage exists only after hydration; reading it here is the point of this effect.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    setDeviceToken(fromHash ?? loadDeviceToken());
    setBadSetupLink(badLink);
    setManifest(loadManifest());
    setCheckedAt(manifestCheckedAt());
    setOnline(isOnline());
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/door-sw.js", { scope: "/door" }).catch(() => undefined);
    }
    const unlock = () => unlockAudio();
    window.addEventListener("pointerdown", unlock, { once: true });
    return () => window.removeEventListener("pointerdown", unlock);
  }, []);

  const refreshQueue = useCallback(async () => {
    try {
      setQueued(await queueLength());
    } catch {
      // IndexedDB unavailable (private mode in some browsers)
    }
  }, []);

  // Keep the manifest fresh and the queue uploaded while the network is up.
  const syncing = useRef(false);
  const refresh = useCallback(async () => {
    if (!deviceToken || syncing.current) return;
    if (!isOnline()) {
      setOnline(false);
      return;
    }
    syncing.current = true;
    try {
      if ((await queueLength().catch(() => 0)) > 0) await syncQueue(deviceToken);
      setManifest(await fetchManifest(deviceToken));
      setCheckedAt(manifestCheckedAt());
      setOnline(true);
    } catch (e) {
      if (e instanceof DeviceRejectedError) setRejected(true);
      else if (e instanceof NetworkError) setOnline(false);
    } finally {
      syncing.current = false;
      await refreshQueue();
    }
  }, [deviceToken, refreshQueue]);

  useEffect(() => {
    if (!deviceToken) return;
    const first = setTimeout(() => void refresh(), 0);
    const timer = setInterval(() => void refresh(), REFRESH_MS);
    const goneOnline = () => {
      setOnline(true);
      void refresh();
    };
    const goneOffline = () => setOnline(false);
    window.addEventListener("online", goneOnline);
    window.addEventListener("offline", goneOffline);
    return () => {
      clearTimeout(first);
      clearInterval(timer);
      window.removeEventListener("online", goneOnline);
      window.removeEventListener("offline", goneOffline);
    };
  }, [deviceToken, refresh]);

  const show = useCallback((verdict: Shown) => {
    setShown(verdict);
    signal(RESULT_TONE[verdict.result]);
    if (verdict.result === "admitted" && verdict.nonce && verdict.ticketId)
      setLastAdmission({
        nonce: verdict.nonce,
        ticketId: verdict.ticketId,
        ticketType: verdict.ticketType,
        at: Date.now(),
      });
  }, []);

  // The undo button disappears when the server would no longer accept it.
  useEffect(() => {
    if (!lastAdmission) return;
    const timer = setTimeout(
      () => setLastAdmission(null),
      Math.max(0, lastAdmission.at + UNDO_WINDOW_MS - Date.now()),
    );
    return () => clearTimeout(timer);
  }, [lastAdmission]);

  const handleCode = useCallback(
    async (raw: string, fromCamera: boolean) => {
      const text = raw.trim();
      if (!deviceToken || !text) return;
      const now = Date.now();
      if (fromCamera) {
        if (busyRef.current) return;
        const last = lastCode.current;
        if (
          last &&
          last.text === text &&
          (now - last.at < DEBOUNCE_MS || shownRef.current?.token === text)
        )
          return;
      }
      lastCode.current = { text, at: now };
      busyRef.current = true;
      setBusy(true);
      const dir = directionRef.current;
      try {
        let verdict: Shown;
        try {
          verdict = { ...(await scanOnline(deviceToken, text, dir)), token: text };
          setOnline(true);
          void refresh();
        } catch (e) {
          if (e instanceof DeviceRejectedError) {
            setRejected(true);
            return;
          }
          if (e instanceof NetworkError) {
            setOnline(false);
            verdict = { ...(await scanOffline(text, dir, loadManifest())), token: text };
            await refreshQueue();
          } else {
            verdict = { result: "invalid", token: text };
          }
        }
        show(verdict);
      } finally {
        busyRef.current = false;
        setBusy(false);
      }
    },
    [deviceToken, refresh, refreshQueue, show],
  );

  const onCameraCode = useCallback((text: string) => void handleCode(text, true), [handleCode]);
  const camera = useQrCamera(videoRef, Boolean(deviceToken) && !rejected, onCameraCode);

  const dismiss = () => {
    if (lastCode.current) lastCode.current.at = Date.now();
    setShown(null);
  };

  const takeCash = async () => {
    if (!deviceToken || !shown) return;
    const ticket = shown.token
      ? { token: shown.token }
      : shown.ticketId
        ? { ticketId: shown.ticketId }
        : null;
    if (!ticket) return;
    setBusy(true);
    try {
      show({ ...(await payOnline(deviceToken, ticket)), token: shown.token });
      void refresh();
    } catch (e) {
      if (e instanceof DeviceRejectedError) setRejected(true);
      else setShown({ ...shown, note: "door.cashNeedsNetwork" });
    } finally {
      setBusy(false);
    }
  };

  const undoLast = async () => {
    if (!deviceToken || !lastAdmission) return;
    setBusy(true);
    try {
      const outcome = await undoAdmission(deviceToken, lastAdmission);
      if (outcome === "undone") {
        setLastAdmission(null);
        show({
          result: "undone",
          ticketId: lastAdmission.ticketId,
          ticketType: lastAdmission.ticketType,
        });
        void refresh();
      } else {
        if (outcome === "too_late") setLastAdmission(null);
        show({
          result: "undone",
          ticketType: lastAdmission.ticketType,
          note: outcome === "too_late" ? "door.undoTooLate" : "door.undoNeedsNetwork",
        });
      }
    } catch (e) {
      if (e instanceof DeviceRejectedError) setRejected(true);
    } finally {
      await refreshQueue();
      setBusy(false);
    }
  };

  const submitSearch = async (e: FormEvent) => {
    e.preventDefault();
    if (!deviceToken) return;
    if (query.trim().length < 2) {
      setSearchNote("door.searchTooShort");
      return;
    }
    setBusy(true);
    setSearchNote(null);
    try {
      const results = await searchOnline(deviceToken, query);
      setFound(results);
      if (results.length === 0) setSearchNote("door.searchNothing");
    } catch (e) {
      if (e instanceof DeviceRejectedError) setRejected(true);
      else {
        setFound(null);
        setSearchNote("door.searchNeedsNetwork");
      }
    } finally {
      setBusy(false);
    }
  };

  const scanFound = async (ticket: FoundTicket) => {
    if (!deviceToken) return;
    setBusy(true);
    try {
      show(await scanFoundTicket(deviceToken, ticket.ticketId, directionRef.current));
      // Names stay on screen only as long as the search does.
      setFound(null);
      setQuery("");
      setSearchOpen(false);
      void refresh();
    } catch (e) {
      if (e instanceof DeviceRejectedError) setRejected(true);
      else setSearchNote("door.searchNeedsNetwork");
    } finally {
      setBusy(false);
    }
  };

  const closeSearch = () => {
    setSearchOpen(false);
    setFound(null);
    setQuery("");
    setSearchNote(null);
  };

  const submitManual = (e: FormEvent) => {
    e.preventDefault();
    const code = manualCode;
    setManualCode("");
    void handleCode(code, false);
  };

  const forget = async () => {
    const count = await queueLength().catch(() => 0);
    if (!window.confirm(t("door.forgetConfirm", { count }))) return;
    await forgetDevice();
    setLastAdmission(null);
    closeSearch();
    setDeviceToken(null);
    setManifest(null);
    setQueued(0);
    setRejected(false);
    setShown(null);
  };

  if (deviceToken === undefined) {
    return (
      <div className="door-app">
        <h1 className="door-title">{t("door.title")}</h1>
      </div>
    );
  }

  if (!deviceToken) {
    return (
      <div className="door-app door-setup">
        <h1 className="door-title">{t("door.setupTitle")}</h1>
        {badSetupLink ? (
          <p className="door-error" role="alert">
            {t("door.setupInvalid")}
          </p>
        ) : null}
        <p>{t("door.setupHelp")}</p>
        <p className="door-muted">{t("door.install")}</p>
      </div>
    );
  }

  const zone = manifest?.festival.timezone ?? "UTC";
  const time = (iso: string) => formatTime(iso, locale, zone);

  return (
    <div className="door-app">
      <div className="door-status">
        <p className="door-festival">{manifest?.festival.name ?? t("door.title")}</p>
        {manifest ? (
          <dl className="door-counters" aria-label={t("door.counters")}>
            <div>
              <dt>{t("door.checkedIn")}</dt>
              <dd data-counter="checkedIn">{manifest.counters.checkedIn}</dd>
            </div>
            <div>
              <dt>{t("door.sold")}</dt>
              <dd data-counter="sold">{manifest.counters.sold}</dd>
            </div>
            <div>
              <dt>{t("door.inside")}</dt>
              <dd data-counter="inside">{manifest.counters.inside}</dd>
            </div>
          </dl>
        ) : null}
      </div>

      {!online ? (
        <div className="door-offline" role="status" data-testid="door-offline">
          <strong>{t("door.offline")}</strong>
          <span data-testid="door-queue">{t("door.queue", { count: queued })}</span>
          {checkedAt ? (
            <span data-testid="door-list-age">
              {t("door.listFrom", { time: time(new Date(checkedAt).toISOString()) })}
            </span>
          ) : null}
        </div>
      ) : queued > 0 ? (
        <div className="door-pending" role="status">
          <span data-testid="door-queue">{t("door.queue", { count: queued })}</span>
          <button type="button" className="door-small-button" onClick={() => void refresh()}>
            {t("door.syncNow")}
          </button>
        </div>
      ) : null}

      {rejected ? (
        <p className="door-error" role="alert">
          {t("door.deviceRejected")}
        </p>
      ) : null}

      <div className={`door-camera${direction === "out" ? " door-camera-out" : ""}`}>
        <video
          ref={videoRef}
          className="door-video"
          muted
          playsInline
          aria-label={t("door.camera")}
        />
        <p className="door-camera-hint" aria-live="polite">
          {busy
            ? t("door.checking")
            : camera.state === "running"
              ? t("door.pointAtCode")
              : camera.state === "denied"
                ? t("door.cameraDenied")
                : camera.state === "unavailable"
                  ? t("door.cameraUnavailable")
                  : t("door.cameraStarting")}
        </p>
        {camera.state === "denied" || camera.state === "unavailable" ? (
          <button type="button" className="door-small-button" onClick={camera.retry}>
            {t("door.cameraRetry")}
          </button>
        ) : null}
      </div>

      <div className="door-controls">
        <fieldset className="door-mode">
          <legend className="sr-only">{t("door.mode")}</legend>
          <button
            type="button"
            aria-pressed={direction === "in"}
            className={direction === "in" ? "active" : ""}
            onClick={() => setDirection("in")}
          >
            ⬇ {t("door.modeIn")}
          </button>
          <button
            type="button"
            aria-pressed={direction === "out"}
            className={direction === "out" ? "active" : ""}
            onClick={() => setDirection("out")}
          >
            ⬆ {t("door.modeOut")}
          </button>
        </fieldset>

        {lastAdmission ? (
          <button
            type="button"
            className="door-undo"
            disabled={busy}
            onClick={() => void undoLast()}
            data-testid="door-undo"
          >
            ↶{" "}
            {t("door.undoLast", {
              what: lastAdmission.ticketType ?? t("door.ticket"),
              time: time(new Date(lastAdmission.at).toISOString()),
            })}
          </button>
        ) : null}

        {searchOpen ? (
          <section className="door-search" aria-labelledby="door-search-title">
            <h2 id="door-search-title" className="door-search-title">
              {t("door.searchTitle")}
            </h2>
            <form className="door-manual-row" onSubmit={(e) => void submitSearch(e)}>
              <input
                id="door-search"
                name="q"
                type="search"
                autoComplete="off"
                maxLength={60}
                value={query}
                onChange={(e) => setQuery(e.target.value)}
                aria-label={t("door.searchLabel")}
                placeholder={t("door.searchPlaceholder")}
              />
              <button type="submit" disabled={busy}>
                {t("door.searchSubmit")}
              </button>
            </form>
            {searchNote ? (
              <p className="door-muted" role="status">
                {t(searchNote)}
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
                    <button type="button" disabled={busy} onClick={() => void scanFound(f)}>
                      {direction === "in" ? t("door.admit") : t("door.letOut")}
                    </button>
                  </li>
                ))}
              </ul>
            ) : null}
            <button type="button" className="door-small-button" onClick={closeSearch}>
              {t("door.searchClose")}
            </button>
          </section>
        ) : (
          <button
            type="button"
            className="door-search-open"
            onClick={() => setSearchOpen(true)}
            disabled={!online}
          >
            {online ? t("door.searchOpen") : t("door.searchNeedsNetwork")}
          </button>
        )}

        <form className="door-manual" onSubmit={submitManual}>
          <label htmlFor="door-code">{t("door.manual")}</label>
          <div className="door-manual-row">
            <input
              id="door-code"
              name="code"
              autoComplete="off"
              autoCapitalize="off"
              spellCheck={false}
              placeholder="T1.…"
              value={manualCode}
              onChange={(e) => setManualCode(e.target.value)}
              aria-label={t("door.manualLabel")}
            />
            <button type="submit" disabled={busy || !manualCode.trim()}>
              {t("door.manualSubmit")}
            </button>
          </div>
        </form>

        <button type="button" className="door-forget" onClick={() => void forget()}>
          {t("door.forget")}
        </button>
      </div>

      {shown ? (
        <Verdict
          shown={shown}
          time={time}
          onDismiss={dismiss}
          onCash={() => void takeCash()}
          busy={busy}
        />
      ) : null}
    </div>
  );
}

function Verdict({
  shown,
  time,
  onDismiss,
  onCash,
  busy,
}: {
  shown: Shown;
  time: (iso: string) => string;
  onDismiss: () => void;
  onCash: () => void;
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
  const title =
    shown.result === "payment_due"
      ? t("door.result.payment_due", {
          amount: formatMoney(shown.amountDueMinor ?? 0, shown.currency ?? "EUR", locale),
        })
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
            onCash();
          }}
        >
          {t("door.cashReceived")}
        </button>
      ) : null}
      <button type="button" ref={dismissRef} className="door-dismiss" onClick={onDismiss}>
        {t("door.tapToDismiss")}
      </button>
    </div>
  );
}
