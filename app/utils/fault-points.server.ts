// A TEST HOOK, inert in normal operation: named pause points for the fault
// tests (tests/faults/crash-fulfilment.test.ts, decision 0040). When the
// FAULT_POINTS environment variable names a point (comma-separated), the
// process reaching it writes a marker line to stderr and then freezes — the
// whole process, synchronously: no commit, no email worker, no answer — so the
// test can `kill -9` it at exactly that moment and check what a restart makes
// of it. Unset (always, outside those tests) a point costs one Set lookup.
// Production refuses to start with FAULT_POINTS set (it would hang requests).
import fs from "node:fs";
import { ConfigError, getEnv } from "./env.server";

/** Every pause point, where it sits (before/after the commit of each fulfilment). */
export const FAULT_POINTS = [
  // A card payment's webhook (payment.server.ts fulfilCardOrder): tickets, ledger, email.
  "card-fulfilment:before-commit",
  "card-fulfilment:after-commit",
  // Door cash (door.server.ts payAtDoor): the cash entry commits, then the admission.
  "door-cash:before-commit",
  "door-cash:after-commit",
  // An order placed at once — door or free tickets, a tattoo booking, a corner walk-in
  // (order.server.ts placeOrder): one atomic batch, so "before" is before it is sent.
  "order-placement:before-commit",
  "order-placement:after-commit",
  // A payout marked paid (payouts.server.ts markPayoutPaid): ledger, seal, audit row.
  "payout-paid:before-commit",
  "payout-paid:after-commit",
] as const;

export type FaultPoint = (typeof FAULT_POINTS)[number];

/** The marker a point writes before it freezes (tests wait for it in the process output). */
export function faultMarker(point: FaultPoint) {
  return `FAULT_POINT ${point} reached`;
}

/** How long a point holds the process before it carries on (a test kills it long before). */
const HOLD_MS = 120_000;

let armed: Set<string> | undefined;

/** The points FAULT_POINTS names (checked once: unknown names are a configuration error). */
export function armedFaultPoints(): Set<string> {
  if (armed) return armed;
  const env = getEnv();
  const names = (env.FAULT_POINTS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length && env.NODE_ENV === "production")
    throw new ConfigError("FAULT_POINTS is a test hook: it must not be set in production.");
  const unknown = names.filter((n) => !(FAULT_POINTS as readonly string[]).includes(n));
  if (unknown.length)
    throw new ConfigError(
      `FAULT_POINTS: unknown point(s) ${unknown.join(", ")}; known: ${FAULT_POINTS.join(", ")}`,
    );
  armed = new Set(names);
  return armed;
}

/** Pause here if FAULT_POINTS names this point (see the top of this file); otherwise nothing. */
export function faultPoint(point: FaultPoint): void {
  if (!armedFaultPoints().has(point)) return;
  // Written synchronously: the marker is out before the process freezes.
  fs.writeSync(2, `${faultMarker(point)} (pid ${process.pid})\n`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, HOLD_MS);
}
