// A labelled form control with its error message right beside it.
import { useActionData } from "@remix-run/react";
import {
  useEffect,
  useId,
  useRef,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
} from "react";
import { PASSWORD_MAX_LENGTH } from "~/models/choices";
import { useT } from "~/utils/use-t";

type Common = { label: ReactNode; error?: string | null; hint?: ReactNode };

/**
 * The id of a control that has an error, from its name, so the error summary
 * can link to it (without JavaScript too). Controls without an error keep a
 * generated id: the same name may appear in several forms of a page.
 */
export function fieldId(name: string) {
  return `field-${name.replace(/[^A-Za-z0-9_.-]/g, "_")}`;
}

function useFieldId(name: string | undefined, error: string | null | undefined, given?: string) {
  const generated = useId();
  return given ?? (error && name ? fieldId(name) : generated);
}

/**
 * The frame every labelled control shares: its label, its hint and its error
 * beside it; `control` gets the id and the aria attributes to wire them up.
 */
function Labelled({
  id,
  label,
  error,
  hint,
  control,
}: Common & {
  id: string;
  control: (aria: { id: string; "aria-invalid"?: true; "aria-describedby"?: string }) => ReactNode;
}) {
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy = [error ? errorId : "", hint ? hintId : ""].filter(Boolean).join(" ");
  return (
    <div className={`field${error ? " has-error" : ""}`}>
      <label htmlFor={id}>{label}</label>
      {hint ? (
        <p id={hintId} className="hint">
          {hint}
        </p>
      ) : null}
      {control({
        id,
        ...(error ? { "aria-invalid": true as const } : {}),
        ...(describedBy ? { "aria-describedby": describedBy } : {}),
      })}
      {error ? (
        <p id={errorId} className="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

export function Field({
  label,
  error,
  hint,
  ...input
}: Common & InputHTMLAttributes<HTMLInputElement>) {
  const id = useFieldId(input.name, error, input.id);
  return (
    <Labelled
      id={id}
      label={label}
      error={error}
      hint={hint}
      control={(aria) => <input {...input} {...aria} />}
    />
  );
}

/** A labelled select; `placeholder` adds a first, empty choice so nothing is picked by accident. */
export function SelectField({
  label,
  error,
  hint,
  options,
  placeholder,
  ...select
}: Common & {
  options: readonly { value: string; label: string }[];
  placeholder?: string;
} & SelectHTMLAttributes<HTMLSelectElement>) {
  const id = useFieldId(select.name, error, select.id);
  return (
    <Labelled
      id={id}
      label={label}
      error={error}
      hint={hint}
      control={(aria) => (
        <select {...select} {...aria}>
          {placeholder !== undefined ? <option value="">{placeholder}</option> : null}
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    />
  );
}

/** Someone else's email address (invitations, the privacy desk): required, at most 254 characters. */
export function EmailField({
  label,
  error,
  ...input
}: Omit<Common, "hint"> & Omit<InputHTMLAttributes<HTMLInputElement>, "name" | "type">) {
  return (
    <Field
      label={label}
      name="email"
      type="email"
      required
      maxLength={254}
      error={error}
      {...input}
    />
  );
}

export function TextArea({
  label,
  error,
  hint,
  ...input
}: Common & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const id = useFieldId(input.name, error, input.id);
  return (
    <Labelled
      id={id}
      label={label}
      error={error}
      hint={hint}
      control={(aria) => <textarea {...input} {...aria} />}
    />
  );
}

/**
 * With JavaScript: when a form comes back with errors, its first invalid control
 * gets the focus and is scrolled into view. Render it inside the form.
 */
export function FocusFirstError({ errors }: { errors?: Record<string, string> | null }) {
  const ref = useRef<HTMLSpanElement>(null);
  // Each answer of the action is a new object: focus once per submission, not per render.
  const answer = useActionData();
  const hasErrors = Boolean(errors && Object.values(errors).some(Boolean));
  useEffect(() => {
    if (!hasErrors) return;
    const form = ref.current?.closest("form");
    const first = form?.querySelector<HTMLElement>(
      '[aria-invalid="true"], .has-error input, .has-error select, .has-error textarea',
    );
    if (!first) return;
    first.focus({ preventScroll: true });
    first.scrollIntoView({ block: "center" });
  }, [answer, hasErrors]);
  return <span ref={ref} hidden />;
}

/**
 * Every error of a form at its top, each linking to its field (works without
 * JavaScript), in the order of `fields`; also moves the focus (FocusFirstError).
 * Render it inside the form.
 */
export function ErrorSummary({
  errors,
  fields,
}: {
  errors?: Record<string, string> | null;
  fields: { name: string; label: string; id?: string }[];
}) {
  const t = useT();
  const listed = fields.filter((f) => errors?.[f.name]);
  return (
    <>
      <FocusFirstError errors={errors} />
      {listed.length > 0 ? (
        <div className="error-summary" role="alert">
          <p className="error-summary-title">{t("form.errorSummary", { count: listed.length })}</p>
          <ul>
            {listed.map((f) => (
              <li key={f.name}>
                <a href={`#${f.id ?? fieldId(f.name)}`}>
                  {f.label}: {errors?.[f.name]}
                </a>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </>
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
