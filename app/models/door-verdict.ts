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
] as const;
export type ScanResult = (typeof SCAN_RESULTS)[number];

export type Verdict = {
  result: ScanResult;
  ticketId?: string;
  ticketType?: string;
  amountDueMinor?: number;
  currency?: string;
  admittedAt?: string;
  admittedBy?: string;
};

export type Direction = "in" | "out";

/** A name/code search needs this many characters: two let 1,296 queries list every buyer. */
export const SEARCH_MIN_LENGTH = 3;
/** A search answers at most this many tickets (and says when there were more). */
export const SEARCH_MAX_RESULTS = 10;
