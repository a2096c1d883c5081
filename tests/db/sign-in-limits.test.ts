// The sign-in and reset limits themselves (decision 0015), without HTTP: many
// addresses, long delays and the account ceiling are cheap to reach here. The
// counters live in the database (decision 0039): a fresh one for this file.
import { freshTestEnv } from "../helpers/env";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { disconnectDatabase, prepareDatabase } from "~/utils/db.server";
import { RateLimitedError, rateLimits, SIGN_IN_FREE_FAILURES } from "~/utils/rate-limit.server";

freshTestEnv();
beforeAll(() => prepareDatabase());
afterAll(() => disconnectDatabase());

let n = 0;
const account = () => `owner-${++n}@example.test`;

/** The wait a refusal asks for, or 0 when the attempt may go ahead. */
async function waitBefore(email: string, address: string) {
  try {
    await rateLimits.beforeSignIn(email, address);
    return 0;
  } catch (e) {
    if (e instanceof RateLimitedError) return e.retryAfterSeconds;
    throw e;
  }
}

describe("sign-in limits", () => {
  it("give an (account, address) pair a few free failures, then double its wait up to 15 minutes", async () => {
    const email = account();
    const address = "203.0.113.1";
    const waits: number[] = [];
    for (let i = 0; i < SIGN_IN_FREE_FAILURES + 12; i++) {
      await rateLimits.signInFailed(email, address);
      waits.push(await waitBefore(email, address));
    }
    expect(waits.slice(0, SIGN_IN_FREE_FAILURES)).toEqual(Array(SIGN_IN_FREE_FAILURES).fill(0));
    expect(waits.slice(SIGN_IN_FREE_FAILURES)).toEqual([
      1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900,
    ]);
    // Another address, and the same address for another account, are not affected.
    expect(await waitBefore(email, "198.51.100.1")).toBe(0);
    expect(await waitBefore(account(), address)).toBe(0);
    // The right password from the pair clears its wait.
    await rateLimits.accountProven(email, address);
    expect(await waitBefore(email, address)).toBe(0);
  });

  it("past the account's ceiling (failures from many addresses), only addresses that proved the account may try", async () => {
    const email = account();
    const home = "198.51.100.10";
    await rateLimits.accountProven(email, home); // the owner signed in from home last week
    // A botnet: every address stays within its free failures.
    for (let a = 1; a <= 10; a++)
      for (let i = 0; i < SIGN_IN_FREE_FAILURES; i++)
        await rateLimits.signInFailed(email, `203.0.113.${100 + a}`);
    expect(await waitBefore(email, "203.0.113.200")).toBeGreaterThan(0);
    // The owner at home is not locked out.
    expect(await waitBefore(email, home)).toBe(0);
    // The owner on a new network waits too, until a password reset from there proves the account.
    const cafe = "198.51.100.11";
    expect(await waitBefore(email, cafe)).toBeGreaterThan(0);
    await rateLimits.accountProven(email, cafe);
    expect(await waitBefore(email, cafe)).toBe(0);
    // Other accounts are not affected.
    expect(await waitBefore(account(), "203.0.113.200")).toBe(0);
  });
});

describe("password-reset limits", () => {
  it("refuse one address asking for one account too often, and stop emails per account silently", async () => {
    const email = account();
    const sends: boolean[] = [];
    for (let i = 0; i < 5; i++)
      sends.push(await rateLimits.passwordResetRequest(email, "203.0.113.50"));
    expect(sends).toEqual([true, true, true, true, true]);
    await expect(rateLimits.passwordResetRequest(email, "203.0.113.50")).rejects.toBeInstanceOf(
      RateLimitedError,
    );
    // From elsewhere: accepted, but no further email (the five sent are still valid).
    expect(await rateLimits.passwordResetRequest(email, "198.51.100.20")).toBe(false);
    // Another account from the flooding address: its own budget.
    expect(await rateLimits.passwordResetRequest(account(), "203.0.113.50")).toBe(true);
  });
});
