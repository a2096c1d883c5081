// The door scanner: a phone's camera reads a ticket's QR code and the screen
// fills with the verdict. Online the server decides (one atomic check-in for
// all doors); offline this phone decides from the last downloaded manifest,
// never admits one ticket twice, and uploads its queue when the network returns.
import type { LinksFunction, MetaFunction } from "@remix-run/node";
import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { DoorSearch } from "~/components/door/door-search";
import { signal, unlockAudio } from "~/components/door/feedback";
import { RESULT_TONE, Verdict, type Shown } from "~/components/door/verdict";
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
  AmountChangedError,
  cashDue,
  NetworkError,
  payOnline,
  payOrderOnline,
  queueLength,
  scanCodeOffline,
  scanCodeOnline,
  scanFoundTicket,
  scanOffline,
  scanOnline,
  UnknownCodeError,
  syncQueue,
  undoAdmission,
  type Direction,
  type FoundDonation,
  type FoundTicket,
  type DoorManifest,
} from "~/utils/door-client";
import type { DonationChoice } from "~/models/door-verdict";
import { formatTime } from "~/utils/format";
import { normalizeTicketCode } from "~/utils/ticket-code";
import { DEFAULT_LOCALE, isLocale, translator } from "~/utils/i18n";
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

/** This phone's last admission, which staff can take back (a mistaken scan). */
type LastAdmission = { nonce: string; ticketId: string; ticketType?: string; at: number };

/** The server undoes an admission within 15 minutes; the button goes away after that. */
const UNDO_WINDOW_MS = 15 * 60_000;

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
      // Typed by hand: a ticket's short code (decision 0049), else a whole QR code's text.
      const code = fromCamera ? null : normalizeTicketCode(text);
      try {
        let verdict: Shown;
        try {
          verdict = code
            ? await scanCodeOnline(deviceToken, code, dir)
            : { ...(await scanOnline(deviceToken, text, dir)), token: text };
          setOnline(true);
          void refresh();
        } catch (e) {
          if (e instanceof DeviceRejectedError) {
            setRejected(true);
            return;
          }
          if (e instanceof UnknownCodeError) {
            verdict = { result: "invalid", note: "door.codeUnknown" };
          } else if (e instanceof NetworkError) {
            setOnline(false);
            verdict = code
              ? await scanCodeOffline(code, dir, loadManifest())
              : { ...(await scanOffline(text, dir, loadManifest())), token: text };
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

  const takeCash = async (donation: DonationChoice) => {
    if (!deviceToken || !shown) return;
    const ticket = shown.token
      ? { token: shown.token }
      : shown.ticketId
        ? { ticketId: shown.ticketId }
        : null;
    if (!ticket) return;
    setBusy(true);
    try {
      show({
        ...(await payOnline(deviceToken, ticket, {
          donation,
          amountMinor: cashDue(shown, donation),
        })),
        token: shown.token,
      });
      void refresh();
    } catch (e) {
      if (e instanceof DeviceRejectedError) setRejected(true);
      else if (e instanceof AmountChangedError) setShown({ ...shown, note: "door.amountChanged" });
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

  /** Admit (or let out) a ticket found by search. */
  const scanFound = async (ticket: FoundTicket) => {
    if (!deviceToken) return "rejected" as const;
    setBusy(true);
    try {
      show(await scanFoundTicket(deviceToken, ticket.ticketId, directionRef.current));
      void refresh();
      return "done" as const;
    } catch (e) {
      if (!(e instanceof DeviceRejectedError)) return "offline" as const;
      setRejected(true);
      return "rejected" as const;
    } finally {
      setBusy(false);
    }
  };

  /** A door order's pledged donation, by the order (a donation-only order found by search). */
  const collectDonation = async (found: FoundDonation, donation: DonationChoice) => {
    if (!deviceToken) return "rejected" as const;
    setBusy(true);
    try {
      return await payOrderOnline(deviceToken, {
        orderId: found.orderId,
        donation,
        amountMinor: donation === "collect" ? found.donationDueMinor : 0,
      });
    } catch (e) {
      if (e instanceof AmountChangedError) return "changed" as const;
      if (!(e instanceof DeviceRejectedError)) return "offline" as const;
      setRejected(true);
      return "rejected" as const;
    } finally {
      setBusy(false);
    }
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
    setDeviceToken(null);
    setManifest(null);
    setQueued(0);
    setRejected(false);
    setShown(null);
  };

  if (deviceToken === undefined) {
    // What the server renders (the phone's storage is read in the browser): without
    // JavaScript the page would stay empty, so it says what it needs.
    return (
      <div className="door-app">
        <h1 className="door-title">{t("door.title")}</h1>
        <noscript>
          <p className="door-error" role="alert">
            {t("door.needsJavaScript")}
          </p>
        </noscript>
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
        <h1 className="door-festival">{manifest?.festival.name ?? t("door.title")}</h1>
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

        <DoorSearch
          key={deviceToken}
          deviceToken={deviceToken}
          online={online}
          busy={busy}
          direction={direction}
          onRejected={() => setRejected(true)}
          onChoose={scanFound}
          onDonation={collectDonation}
        />

        <form className="door-manual" onSubmit={submitManual}>
          <label htmlFor="door-code">{t("door.manual")}</label>
          <div className="door-manual-row">
            <input
              id="door-code"
              name="code"
              autoComplete="off"
              autoCapitalize="off"
              spellCheck={false}
              placeholder="K7QM3-RZPXA"
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
          onCash={(donation) => void takeCash(donation)}
          busy={busy}
        />
      ) : null}
    </div>
  );
}
