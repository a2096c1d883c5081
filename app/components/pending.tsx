// Feedback while the app works, on every page (mounted once in app/root.tsx):
// - a thin progress bar at the top of the page during any navigation or
//   submission (Remix's navigation and fetchers), shown after a short delay so a
//   fast answer does not flicker it;
// - the button that sent a form is marked busy (aria-busy, aria-disabled, a
//   spinner, no second click) until the app is idle again. Every form, the
//   ConfirmButton's included, gets this without changing it. The button is not
//   `disabled`: a disabled submitter would drop its name=value (the intent)
//   from the very submission it started.
// Without JavaScript none of this runs and the browser shows its own loading.
import { useFetchers, useNavigation } from "@remix-run/react";
import { useEffect, useRef } from "react";
import { useT } from "~/utils/use-t";

const BUSY = "data-busy";

function clearBusy() {
  for (const el of document.querySelectorAll(`[${BUSY}]`)) {
    el.removeAttribute(BUSY);
    el.removeAttribute("aria-busy");
    el.removeAttribute("aria-disabled");
  }
}

/** Whether a navigation or a fetcher is under way. */
function useAppBusy() {
  const navigation = useNavigation();
  const fetchers = useFetchers();
  // Fetcher loads are the pages' own background refreshes (live counters): not the person's wait.
  return navigation.state !== "idle" || fetchers.some((f) => f.state === "submitting");
}

export function PendingFeedback() {
  const t = useT();
  const busy = useAppBusy();
  const busyRef = useRef(busy);

  useEffect(() => {
    const onSubmit = (event: SubmitEvent) => {
      const form = event.target instanceof HTMLFormElement ? event.target : null;
      const button =
        event.submitter ??
        form?.querySelector<HTMLElement>('button[type="submit"], button:not([type])');
      if (!button) return;
      button.setAttribute(BUSY, "");
      button.setAttribute("aria-busy", "true");
      button.setAttribute("aria-disabled", "true");
      // A submission that never started (a handler that stopped it) leaves no busy button.
      window.setTimeout(() => {
        if (!busyRef.current && event.defaultPrevented) clearBusy();
      }, 1000);
    };
    document.addEventListener("submit", onSubmit);
    return () => document.removeEventListener("submit", onSubmit);
  }, []);

  useEffect(() => {
    busyRef.current = busy;
    if (!busy) clearBusy();
  }, [busy]);

  return (
    <div
      className="page-progress"
      role="progressbar"
      aria-label={t("nav.loading")}
      aria-hidden={busy ? undefined : true}
      data-active={busy ? "" : undefined}
    />
  );
}
