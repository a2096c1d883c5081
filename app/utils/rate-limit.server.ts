// Rate limits, shared by every app process on the database (decision 0039;
// the limits themselves: decisions 0005, 0015, 0016).
import { getEnv } from "./env.server";
import { DomainError } from "./domain-error";
import { SharedLimiter, type LimitWindow } from "./rate-limit-store.server";

const WINDOW_SECONDS = 15 * 60;

/**
 * Sign-in (decision 0015). Nobody can lock the owner out from elsewhere:
 * - each (account, address) pair has a few free failures, then waits twice as
 *   long after each further one (1 s, 2 s, 4 s … at most 15 min); a success clears it;
 * - each address has a ceiling of attempts over all accounts;
 * - each account has a looser ceiling of failures over all addresses; past it,
 *   only addresses that signed in to it (or reset its password) lately may try.
 * Never disabled.
 */
export const SIGN_IN_FREE_FAILURES = 5;
const SIGN_IN_MAX_DELAY_SECONDS = 15 * 60;
const SIGN_IN_ACCOUNT_CEILING = 50;
/** Two weeks. */
const KNOWN_ADDRESS_SECONDS = 14 * 24 * 60 * 60;

/** Failures of an (account, address) pair in a day (cleared by a success). */
const signInPairFailures = new SharedLimiter(
  "signin-pair-fails",
  Number.MAX_SAFE_INTEGER,
  24 * 60 * 60,
);
/** The pair's current wait, set with block(). */
const signInPairDelay = new SharedLimiter("signin-pair-delay", 1, 1);
const signInPerAddress = new SharedLimiter("signin-ip", 60, WINDOW_SECONDS);
const signInAccountFailures = new SharedLimiter(
  "signin-acct",
  SIGN_IN_ACCOUNT_CEILING,
  WINDOW_SECONDS,
);
/** Pairs that proved the account is theirs (a sign-in or a password reset) in the last two weeks. */
const knownPairs = new SharedLimiter("signin-known", 1, KNOWN_ADDRESS_SECONDS);

/**
 * Password reset: requests per address and per (account, address) pair are
 * refused past their limit; emails per account stop silently past theirs (the
 * links already sent stay valid longer than this window, so the owner always
 * has a working one). Opening a link is limited per address only: its token
 * cannot be guessed, and nobody else's traffic can spend the owner's budget.
 */
const RESET_EMAILS_PER_ACCOUNT = 5;
const resetPerAddress = new SharedLimiter("reset-ip", 30, WINDOW_SECONDS);
const resetPerPair = new SharedLimiter("reset-pair", 5, WINDOW_SECONDS);
const resetEmailsPerAccount = new SharedLimiter(
  "reset-acct",
  RESET_EMAILS_PER_ACCOUNT,
  WINDOW_SECONDS,
);

/** An (account, address) key; addresses contain no newline, so it is unambiguous. */
const pair = (email: string, address: string) => `${address}\n${email}`;

/**
 * Door name search, per device (a stolen phone must not list every buyer):
 * a burst per minute and a ceiling per hour. Never disabled — it guards
 * personal data, not load (decision 0016).
 */
const DOOR_SEARCHES_PER_MINUTE = 20;
const DOOR_SEARCHES_PER_HOUR = 120;
const doorSearchPerMinute = new SharedLimiter("door-search-min", DOOR_SEARCHES_PER_MINUTE, 60);
const doorSearchPerHour = new SharedLimiter("door-search-hour", DOOR_SEARCHES_PER_HOUR, 60 * 60);

/**
 * Short codes typed at the door, per device (decision 0049): a burst per
 * minute and a ceiling per hour. Never disabled — like searches, it stops a
 * stolen phone from guessing codes, not load.
 */
export const DOOR_CODES_PER_MINUTE = 30;
const DOOR_CODES_PER_HOUR = 300;
const doorCodePerMinute = new SharedLimiter("door-code-min", DOOR_CODES_PER_MINUTE, 60);
const doorCodePerHour = new SharedLimiter("door-code-hour", DOOR_CODES_PER_HOUR, 60 * 60);

/**
 * Organisers' emails on demand (decision 0049): an order's tickets sent again
 * (per order, and per organiser over all orders), and a template's test sent
 * to oneself. Never disabled: each one is an email to a real mailbox.
 */
export const ORDER_RESENDS_PER_HOUR = 3;
const orderResendPerOrder = new SharedLimiter("resend-order", ORDER_RESENDS_PER_HOUR, 60 * 60);
const orderResendPerUser = new SharedLimiter("resend-user", 30, 60 * 60);
export const TEST_EMAILS_PER_HOUR = 10;
const testEmailPerUser = new SharedLimiter("test-email-user", TEST_EMAILS_PER_HOUR, 60 * 60);

/** A venue's doors share one address: its budget for door-device writes is this many devices' worth. */
const DOORS_PER_ADDRESS = 10;

let apiWrites: { perKey: SharedLimiter; doorsPerAddress: SharedLimiter } | null | undefined;
function apiWriteLimiters() {
  if (apiWrites === undefined) {
    const perMinute = getEnv().RATE_LIMIT_PER_MINUTE;
    apiWrites =
      perMinute === 0
        ? null
        : {
            perKey: new SharedLimiter("api-write", perMinute, 60),
            doorsPerAddress: new SharedLimiter("door-address", perMinute * DOORS_PER_ADDRESS, 60),
          };
  }
  return apiWrites;
}

/** Too many attempts: try again after `retryAfterSeconds` (429 `rate_limited` with Retry-After). */
export class RateLimitedError extends DomainError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, "rate_limited", `Too many requests; try again in ${retryAfterSeconds} s.`, {
      headers: { "Retry-After": String(retryAfterSeconds) },
    });
  }
}

const secondsOf = (window: LimitWindow) => Math.max(1, Math.ceil(window.msBeforeNext / 1000));

/** Spend a point; refused (the point still counts) past the limit. */
async function take(limiter: SharedLimiter, key: string) {
  const window = await limiter.add(key);
  if (window.consumedPoints > limiter.points) throw new RateLimitedError(secondsOf(window));
}

/** Refuse while the key's budget is spent, without spending. */
async function check(limiter: SharedLimiter, key: string) {
  const window = await limiter.get(key);
  if (window && window.remainingPoints <= 0) throw new RateLimitedError(secondsOf(window));
}

export const rateLimits = {
  /** Before checking a password: refuse while this pair waits, or this address or account is over its limit. */
  async beforeSignIn(email: string, address: string) {
    await take(signInPerAddress, address);
    await check(signInPairDelay, pair(email, address));
    const account = await signInAccountFailures.get(email);
    if (account && account.remainingPoints <= 0 && !(await knownPairs.get(pair(email, address))))
      throw new RateLimitedError(secondsOf(account));
  },
  async signInFailed(email: string, address: string) {
    const key = pair(email, address);
    const failures = (await signInPairFailures.add(key)).consumedPoints;
    await signInAccountFailures.add(email);
    if (failures > SIGN_IN_FREE_FAILURES)
      await signInPairDelay.block(
        key,
        Math.min(2 ** (failures - SIGN_IN_FREE_FAILURES - 1), SIGN_IN_MAX_DELAY_SECONDS),
      );
  },
  /** The right password, or a completed password reset, from this address. */
  async accountProven(email: string, address: string) {
    const key = pair(email, address);
    await signInPairFailures.delete(key);
    await signInPairDelay.delete(key);
    await knownPairs.set(key, 1, KNOWN_ADDRESS_SECONDS);
  },
  /**
   * A reset request: 429 past the address's or the pair's limit; otherwise
   * whether an email may go out (false past the account's limit: answer as usual, send nothing).
   */
  async passwordResetRequest(email: string, address: string): Promise<boolean> {
    await take(resetPerAddress, address);
    await take(resetPerPair, pair(email, address));
    const sent = await resetEmailsPerAccount.add(email);
    return sent.consumedPoints <= RESET_EMAILS_PER_ACCOUNT;
  },
  /** Opening or submitting a reset link. */
  async passwordResetLink(address: string) {
    await take(resetPerAddress, address);
  },
  /** A write to the JSON API: RATE_LIMIT_PER_MINUTE per address (0 = off). */
  async apiWrite(address: string) {
    const limiters = apiWriteLimiters();
    if (limiters) await take(limiters.perKey, `address:${address}`);
  },
  /** A door device's name search (a read, counted all the same). */
  async doorSearch(deviceId: string) {
    await take(doorSearchPerHour, deviceId);
    await take(doorSearchPerMinute, deviceId);
  },
  /** A short code typed at the door (online, or an unknown one in an offline upload). */
  async doorCode(deviceId: string) {
    await take(doorCodePerHour, deviceId);
    await take(doorCodePerMinute, deviceId);
  },
  /** An organiser sends an order's tickets again. */
  async orderResend(userId: string, orderId: string) {
    await take(orderResendPerUser, userId);
    await take(orderResendPerOrder, orderId);
  },
  /** An organiser sends themselves a template's test email. */
  async testEmail(userId: string) {
    await take(testEmailPerUser, userId);
  },
  /**
   * A door device's write: RATE_LIMIT_PER_MINUTE per device, because all the
   * doors of a venue share its Wi-Fi's address (and a refused scan would push
   * them offline); the address still has a ceiling of DOORS_PER_ADDRESS
   * devices' worth, so made-up tokens cannot get round the limit.
   */
  async doorWrite(deviceTokenHash: string, address: string) {
    const limiters = apiWriteLimiters();
    if (!limiters) return;
    await take(limiters.doorsPerAddress, address);
    await take(limiters.perKey, `door-device:${deviceTokenHash}`);
  },
};
