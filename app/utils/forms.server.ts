// Reading HTML form posts with a size limit, and answering a form with a domain
// error's messages (pages; the API uses api.server.ts).
import { FestivalCancelledError } from "~/models/festival.server";
import { MAX_AMOUNT_MINOR } from "~/models/ticket-type.server";
import { DomainError } from "./domain-error";
import { errorResponse, readBodyLimited } from "./http.server";
import { parseMoneyInput } from "./money";
import type { Translate } from "./i18n";
import { localizeMessage, moneyMessage } from "./validation";
import { RateLimitedError } from "./rate-limit.server";

export const MAX_FORM_BYTES = 2 * 1024 * 1024;
/** More than any page's form has (the checkout: two per ticket type, and a few more). */
const MAX_FORM_FIELDS = 200;

const tooLarge = () => errorResponse(413, "payload_too_large", "The form is too large.");
const tooManyFields = () =>
  errorResponse(400, "too_many_fields", `The form has more than ${MAX_FORM_FIELDS} fields.`);

const AMPERSAND = 0x26;

export async function readForm(request: Request): Promise<FormData> {
  const declared = Number(request.headers.get("Content-Length") ?? "0");
  if (declared > MAX_FORM_BYTES) throw tooLarge();
  // The limit holds for bodies without a Content-Length (chunked) too.
  const body = await readBodyLimited(request, MAX_FORM_BYTES, tooLarge);
  const type = request.headers.get("Content-Type") ?? "";
  // Counted before parsing: a form of 150,000 fields is refused for the price of one scan.
  if (/^application\/x-www-form-urlencoded\b/i.test(type)) {
    let separators = 0;
    for (let i = body.indexOf(AMPERSAND); i !== -1; i = body.indexOf(AMPERSAND, i + 1))
      if (++separators >= MAX_FORM_FIELDS) throw tooManyFields();
  }
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(body), {
      headers: { "Content-Type": type },
    }).formData();
  } catch {
    throw errorResponse(400, "bad_form", "The form could not be read.");
  }
  let count = 0;
  for (const _ of form.keys()) if (++count > MAX_FORM_FIELDS) throw tooManyFields();
  return form;
}

/** A single text value of a form field (files and missing fields become undefined). */
export function field(form: FormData, name: string): string | undefined {
  const value = form.get(name);
  return typeof value === "string" ? value : undefined;
}

export function fields(form: FormData, name: string): string[] {
  return form.getAll(name).filter((v): v is string => typeof v === "string");
}

/**
 * An amount a person typed in major units ("15", "15,50"): undefined when left
 * empty, null when unreadable or above the largest amount (say `moneyFieldError`).
 */
/** What was typed in a form's text fields (each cut to 300 characters), to show it back beside its errors. */
export function typedValues(form: FormData): Record<string, string> {
  return Object.fromEntries(
    [...form.entries()]
      .filter((e): e is [string, string] => typeof e[1] === "string")
      .map(([k, v]) => [k, v.slice(0, 300)]),
  );
}

export function moneyField(
  form: FormData,
  name: string,
  currency: string,
): number | null | undefined {
  const raw = field(form, name)?.trim();
  if (!raw) return undefined;
  const minor = parseMoneyInput(raw, currency);
  return minor !== null && minor <= MAX_AMOUNT_MINOR ? minor : null;
}

/** The message for an unreadable amount: "Enter an amount such as 15 or 15.50, at most €1,000,000.00." */
export function moneyFieldError(currency: string) {
  return moneyMessage("v.money", MAX_AMOUNT_MINOR, currency);
}

/** A whole number typed in a form: undefined when empty, NaN when not one (the schema says why). */
export function integerField(form: FormData, name: string): number | undefined {
  const raw = field(form, name)?.trim();
  if (!raw) return undefined;
  return /^\d{1,9}$/.test(raw) ? Number(raw) : Number.NaN;
}

/**
 * An irreversible action (cancel, refund, revoke, remove) acts only on a post
 * confirmed in its confirmation step (app/components/confirm-button.tsx sends
 * `confirm=yes`). The message to show when it was not, or null when it was.
 */
export function confirmationError(form: FormData, t: Translate): string | null {
  return field(form, "confirm") === "yes" ? null : t("confirm.required");
}

/** What a page's form says for a domain error: one message for the form, or messages by field. */
export type FormMessage = string | Record<string, string>;

/**
 * The one translation of a domain error for a page's form (the API's is
 * `errorResponseOf`): its fields' catalog keys in the reader's language, or the
 * page's own message for the error (by code, or chosen by a function), with the
 * error's status and headers. Anything else — not a domain error, or one the
 * form has nothing to say about — is thrown again: the route answers it with
 * its error page (`withDomainErrors`).
 */
export function formFailure(
  error: unknown,
  t: Translate,
  messages:
    Partial<Record<string, FormMessage>> | ((error: DomainError) => FormMessage | undefined) = {},
  options: { fieldStatus?: number } = {},
): { status: number; errors: Record<string, string>; headers?: Record<string, string> } {
  if (!(error instanceof DomainError)) throw error;
  const said = typeof messages === "function" ? messages(error) : messages[error.code];
  const headers = error.headers ? { headers: error.headers } : {};
  if (said !== undefined)
    return {
      status: error.status,
      errors: typeof said === "string" ? { _form: said } : said,
      ...headers,
    };
  if (error.fields)
    return {
      status: options.fieldStatus ?? error.status,
      errors: Object.fromEntries(
        Object.entries(error.fields).map(([k, v]) => [k, localizeMessage(v, t)]),
      ),
      ...headers,
    };
  throw error;
}

/** The admin pages' message for a change refused because the festival is cancelled. */
export function cancelledReadOnly(t: Translate) {
  return (error: DomainError) =>
    error instanceof FestivalCancelledError ? t("festivalAdmin.cancelledReadOnly") : undefined;
}

/** The sign-in pages' message for too many attempts, with the wait. */
export function rateLimitedMessage(t: Translate) {
  return (error: DomainError) =>
    error instanceof RateLimitedError
      ? t("login.rateLimited", { seconds: error.retryAfterSeconds })
      : undefined;
}
