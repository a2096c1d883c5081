// Fixed lists of choices that forms render. Kept out of the `.server` modules:
// Remix replaces those with empty modules in the browser bundle, so a value
// imported from one is undefined when the page hydrates or navigates client-side.
import type { FestivalRole, GlobalRole } from "~/utils/auth.server";

export const FESTIVAL_LANGUAGES = [
  "en",
  "ru",
  "uk",
  "be",
  "kk",
  "ka",
  "hy",
  "lv",
  "lt",
  "et",
  "pl",
  "cs",
  "de",
  "fr",
  "es",
  "pt",
  "it",
  "nl",
  "fi",
  "sv",
  "no",
  "da",
  "he",
  "sr",
  "tr",
] as const;

export const PAYMENT_METHODS = ["stripe", "door", "free"] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
export const FESTIVAL_STATUSES = ["draft", "published", "cancelled"] as const;
export type FestivalStatus = (typeof FESTIVAL_STATUSES)[number];
export const PROGRAMME_KINDS = ["talk", "music", "tattoo", "other"] as const;
export type ProgrammeKind = (typeof PROGRAMME_KINDS)[number];

export const GLOBAL_ROLES = [
  "admin",
  "treasurer",
  "member",
] as const satisfies readonly GlobalRole[];
export const FESTIVAL_ROLES = ["organiser", "door"] as const satisfies readonly FestivalRole[];

export const ORDER_STATUSES = [
  "pending",
  "confirmed",
  "paid",
  "expired",
  "cancelled",
  "refunded",
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** An order in one of these still holds its places and can be cancelled (or refunded). */
export function isCancellable(status: string) {
  return status === "pending" || status === "confirmed" || status === "paid";
}

/**
 * What an order's status is called for people (catalog key): a paid order of
 * nothing is "Free". The API and the CSV keep the status code itself.
 */
export function orderStatusKey(order: { status: string; totalMinor: number }) {
  const status = ORDER_STATUSES.find((s) => s === order.status) ?? "pending";
  return status === "paid" && order.totalMinor === 0
    ? ("order.status.free" as const)
    : (`order.status.${status}` as const);
}

/** Password length limits: checked on the server, and `maxLength` of the password inputs. */
export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 200;
/** How long a password-reset link works (decision 0015). */
export const RESET_LINK_MINUTES = 30;
