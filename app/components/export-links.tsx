// Links to a festival's CSV exports (app/models/exports.server.ts). Without
// JavaScript each is a plain download link. With it, a click fetches the file
// and shows a progress bar of the bytes received against the size the server
// announced (`X-Export-Bytes`, the body before compression), then hands the
// file to the browser as a download; a refusal is shown next to the link.
import { useRef, useState, type MouseEvent } from "react";
import type { FestivalExport } from "~/models/exports.server";
import type { MessageKey } from "~/utils/i18n";
import { useT } from "~/utils/use-t";

type Progress =
  | { state: "idle" }
  | { state: "loading"; received: number; total: number | null }
  | { state: "error"; status: number };

const LABELS: Record<FestivalExport, MessageKey> = {
  orders: "exports.orders",
  tickets: "exports.tickets",
  "check-ins": "exports.checkIns",
  "tattoo-schedule": "exports.tattooSchedule",
  costs: "exports.costs",
  ledger: "exports.ledger",
  payouts: "exports.payouts",
};

function filenameOf(response: Response, fallback: string) {
  const match = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") ?? "");
  return match?.[1] ?? fallback;
}

function ExportLink({ festivalId, kind }: { festivalId: string; kind: FestivalExport }) {
  const t = useT();
  const [progress, setProgress] = useState<Progress>({ state: "idle" });
  const busy = useRef(false);
  const href = `/admin/festivals/${festivalId}/${kind}.csv`;

  async function download(event: MouseEvent<HTMLAnchorElement>) {
    // Let the browser handle a modified click (new tab, save as…) its own way.
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey)
      return;
    event.preventDefault();
    if (busy.current) return;
    busy.current = true;
    // Until the answer starts, the bar has nothing to measure: it shows it is waiting.
    setProgress({ state: "loading", received: 0, total: null });
    try {
      const response = await fetch(href, { credentials: "same-origin" });
      // A sign-in or second-factor step answers with a page: let the browser follow it.
      if (response.redirected || !response.headers.get("Content-Type")?.startsWith("text/csv")) {
        if (response.ok || response.redirected) {
          setProgress({ state: "idle" });
          window.location.assign(response.url);
        } else setProgress({ state: "error", status: response.status });
        return;
      }
      const announced = Number(response.headers.get("X-Export-Bytes"));
      const total = Number.isSafeInteger(announced) && announced > 0 ? announced : null;
      const chunks: BlobPart[] = [];
      let received = 0;
      setProgress({ state: "loading", received, total });
      const reader = response.body?.getReader();
      if (reader) {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          // Fetch bodies are never shared memory.
          chunks.push(value as Uint8Array<ArrayBuffer>);
          received += value.byteLength;
          setProgress({ state: "loading", received, total });
        }
      }
      const blob = new Blob(chunks, { type: "text/csv;charset=utf-8" });
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = filenameOf(response, `${kind}.csv`);
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      setProgress({ state: "idle" });
    } catch {
      setProgress({ state: "error", status: 0 });
    } finally {
      busy.current = false;
    }
  }

  const label = t(LABELS[kind]);
  return (
    <li>
      <a
        href={href}
        download
        onClick={download}
        aria-busy={progress.state === "loading" ? true : undefined}
      >
        {label}
      </a>
      {progress.state === "loading" ? (
        <>
          {" "}
          <progress
            className="export-progress"
            aria-label={t("exports.progress", { name: label })}
            value={
              progress.total === null ? undefined : Math.min(progress.received, progress.total)
            }
            max={progress.total ?? undefined}
          />{" "}
          <span className="muted" aria-live="polite">
            {progress.total === null
              ? progress.received === 0
                ? t("nav.loading")
                : t("exports.receivedBytes", { kb: Math.ceil(progress.received / 1024) })
              : t("exports.percent", {
                  n: Math.floor(
                    (100 * Math.min(progress.received, progress.total)) / progress.total,
                  ),
                })}
          </span>
        </>
      ) : null}
      {progress.state === "error" ? (
        <span role="alert" className="field-error">
          {" "}
          {t(progress.status === 403 ? "exports.forbidden" : "exports.failed")}
        </span>
      ) : null}
    </li>
  );
}

/** The exports of a festival this page offers (the loader says which the user may download). */
export function ExportLinks({
  festivalId,
  kinds,
}: {
  festivalId: string;
  kinds: readonly FestivalExport[];
}) {
  const t = useT();
  if (kinds.length === 0) return null;
  return (
    <nav aria-label={t("exports.title")} className="exports">
      <ul>
        {kinds.map((kind) => (
          <ExportLink key={kind} festivalId={festivalId} kind={kind} />
        ))}
      </ul>
    </nav>
  );
}
