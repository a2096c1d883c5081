// A labelled form control with its error message right beside it.
import {
  useId,
  type InputHTMLAttributes,
  type ReactNode,
  type TextareaHTMLAttributes,
} from "react";
import { PASSWORD_MAX_LENGTH } from "~/models/choices";
import { useT } from "~/utils/use-t";

type Common = { label: ReactNode; error?: string | null; hint?: ReactNode };

export function Field({
  label,
  error,
  hint,
  ...input
}: Common & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  return (
    <div className={`field${error ? " has-error" : ""}`}>
      <label htmlFor={id}>{label}</label>
      {hint ? (
        <p id={hintId} className="hint">
          {hint}
        </p>
      ) : null}
      <input
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={
          [error ? errorId : "", hint ? hintId : ""].filter(Boolean).join(" ") || undefined
        }
        {...input}
      />
      {error ? (
        <p id={errorId} className="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

export function TextArea({
  label,
  error,
  hint,
  ...input
}: Common & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const id = useId();
  const errorId = `${id}-error`;
  return (
    <div className={`field${error ? " has-error" : ""}`}>
      <label htmlFor={id}>{label}</label>
      {hint ? <p className="hint">{hint}</p> : null}
      <textarea
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
        {...input}
      />
      {error ? (
        <p id={errorId} className="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

export function FormError({ error }: { error?: string | null }) {
  return error ? (
    <p className="form-error" role="alert">
      {error}
    </p>
  ) : null;
}

/** Choosing a new password (account, invitation, reset): the rules beside it, the browser's password manager told. */
export function NewPasswordField({ error }: { error?: string | null }) {
  const t = useT();
  return (
    <Field
      label={t("field.newPassword")}
      name="password"
      type="password"
      autoComplete="new-password"
      required
      maxLength={PASSWORD_MAX_LENGTH}
      hint={t("field.passwordHint")}
      error={error}
    />
  );
}
