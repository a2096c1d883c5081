// What a door scan answers, shared by the server (app/models/door.server.ts)
// and the scanner in the browser (app/utils/door-client.ts). Not a `.server`
// module: the browser bundle needs it.

export const SCAN_RESULTS = [
  "admitted",
  "already_admitted",
  "payment_due",
  "revoked",
  "invalid",
  "wrong_festival",
  "not_yet_valid",
  "exited",
  "conflict",
  "undone",
  // The ticket's festival was cancelled: nobody is let in (online, uploads, offline manifest).
  "festival_cancelled",
] as const;
export type ScanResult = (typeof SCAN_RESULTS)[number];

export type Verdict = {
  result: ScanResult;
  ticketId?: string;
  ticketType?: string;
  amountDueMinor?: number;
  /**
   * Payment due: the order's pledged donation still to collect, on top of the
   * ticket's `amountDueMinor` (asked once per order, with its first ticket paid).
   */
  donationDueMinor?: number;
  currency?: string;
  admittedAt?: string;
  admittedBy?: string;
};

export type Direction = "in" | "out";

/** A name/code search needs this many characters: two let 1,296 queries list every buyer. */
export const SEARCH_MIN_LENGTH = 3;
/** A search answers at most this many tickets (and says when there were more). */
export const SEARCH_MAX_RESULTS = 10;

/** What staff do with a pledged donation when they take the cash: take it too, or the buyer declines. */
export const DONATION_CHOICES = ["collect", "decline"] as const;
export type DonationChoice = (typeof DONATION_CHOICES)[number];

/** The answer to collecting a door order's donation by order (a donation-only order, found by search). */
export type OrderPayment = {
  result: "donation_collected" | "donation_declined" | "nothing_due";
  orderId: string;
  orderCode: string;
  /** Taken in cash now (0 when declined or nothing was due). */
  amountMinor: number;
  currency: string;
  orderStatus: string;
};
