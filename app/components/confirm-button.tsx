// An irreversible action behind a confirmation step that needs no JavaScript: the
// first button only opens the step (a native disclosure), which says what will
// happen; the button inside it posts with `confirm=yes`. The server refuses a
// post without it (`confirmationError` in forms.server.ts), so an old page, a
// double click or a hand-made request cannot act on one click.
import { Form } from "@remix-run/react";
import type { ReactNode } from "react";

export function ConfirmButton({
  label,
  warning,
  confirmLabel,
  intent,
  action,
  children,
}: {
  /** What opens the confirmation step ("Cancel the festival"). */
  label: ReactNode;
  /** What happens, and that it cannot be undone. */
  warning: ReactNode;
  /** The button that does it ("Yes, cancel the festival"). */
  confirmLabel: ReactNode;
  intent: string;
  /** Where the form posts (default: the current route). */
  action?: string;
  /** Hidden inputs that say what to act on. */
  children?: ReactNode;
}) {
  return (
    <details className="confirm">
      <summary>{label}</summary>
      <Form method="post" action={action} className="confirm-step">
        {children}
        <input type="hidden" name="confirm" value="yes" />
        <p>{warning}</p>
        <button type="submit" name="intent" value={intent} className="danger">
          {confirmLabel}
        </button>
      </Form>
    </details>
  );
}
