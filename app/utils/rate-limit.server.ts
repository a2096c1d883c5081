// Rate limits. In-memory (one process serves one collective); see docs/decisions/0005.
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { getEnv } from "./env.server";

const WINDOW_SECONDS = 15 * 60;

/** Sign-in: failed attempts per account, all attempts per address. Never disabled. */
const signInPerAccount = new RateLimiterMemory({
  keyPrefix: "signin-acct",
  points: 10,
  duration: WINDOW_SECONDS,
});
const signInPerAddress = new RateLimiterMemory({
  keyPrefix: "signin-ip",
  points: 60,
  duration: WINDOW_SECONDS,
});
/** Password reset requests and code guesses. Never disabled. */
const resetPerAccount = new RateLimiterMemory({
  keyPrefix: "reset-acct",
  points: 5,
  duration: WINDOW_SECONDS,
});
const resetPerAddress = new RateLimiterMemory({
  keyPrefix: "reset-ip",
  points: 30,
  duration: WINDOW_SECONDS,
});

/**
 * Door name search, per device (a stolen phone must not list every buyer):
 * a burst per minute and a ceiling per hour. Never disabled — it guards
 * personal data, not load (decision 0016).
 */
export const DOOR_SEARCHES_PER_MINUTE = 20;
export const DOOR_SEARCHES_PER_HOUR = 120;
const doorSearchPerMinute = new RateLimiterMemory({
  keyPrefix: "door-search-min",
  points: DOOR_SEARCHES_PER_MINUTE,
  duration: 60,
});
const doorSearchPerHour = new RateLimiterMemory({
  keyPrefix: "door-search-hour",
  points: DOOR_SEARCHES_PER_HOUR,
  duration: 60 * 60,
});

/** A venue's doors share one address: its budget for door-device writes is this many devices' worth. */
const DOORS_PER_ADDRESS = 10;

let apiWrites: { perKey: RateLimiterMemory; doorsPerAddress: RateLimiterMemory } | null | undefined;
function apiWriteLimiters() {
  if (apiWrites === undefined) {
    const perMinute = getEnv().RATE_LIMIT_PER_MINUTE;
    apiWrites =
      perMinute === 0
        ? null
        : {
            perKey: new RateLimiterMemory({
              keyPrefix: "api-write",
              points: perMinute,
              duration: 60,
            }),
            doorsPerAddress: new RateLimiterMemory({
              keyPrefix: "door-address",
              points: perMinute * DOORS_PER_ADDRESS,
              duration: 60,
            }),
          };
  }
  return apiWrites;
}

export class RateLimitedError extends Error {
  constructor(public readonly retryAfterSeconds: number) {
    super("Too many requests");
  }
}

async function take(limiter: RateLimiterMemory, key: string) {
  try {
    await limiter.consume(key);
  } catch (e) {
    if (e instanceof RateLimiterRes)
      throw new RateLimitedError(Math.max(1, Math.ceil(e.msBeforeNext / 1000)));
    throw e;
  }
}

async function check(limiter: RateLimiterMemory, key: string) {
  const res = await limiter.get(key);
  if (res && res.remainingPoints <= 0)
    throw new RateLimitedError(Math.max(1, Math.ceil(res.msBeforeNext / 1000)));
}

export const rateLimits = {
  /** Before checking a password: refuse if this address or account is over its limit. */
  async beforeSignIn(email: string, address: string) {
    await take(signInPerAddress, address);
    await check(signInPerAccount, email);
  },
  async signInFailed(email: string) {
    await signInPerAccount.consume(email).catch(() => undefined);
  },
  async signInSucceeded(email: string) {
    await signInPerAccount.delete(email);
  },
  async passwordReset(email: string, address: string) {
    await take(resetPerAddress, address);
    await take(resetPerAccount, email);
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
