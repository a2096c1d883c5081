// The fault tests' pause points (app/utils/fault-points.server.ts) are inert
// unless FAULT_POINTS names them, refuse names they do not know, and refuse
// production outright. (Reaching an armed point freezes the process: that part
// is exercised by tests/faults/crash-fulfilment.test.ts on a process of its own.)
import { afterEach, describe, expect, it, vi } from "vitest";

async function freshModule(env: Record<string, string | undefined>) {
  vi.resetModules();
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v ?? "");
  return import("~/utils/fault-points.server");
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe("fault points", () => {
  it("are inert without FAULT_POINTS: reaching one returns at once", async () => {
    const m = await freshModule({ FAULT_POINTS: undefined, NODE_ENV: "test" });
    expect(m.armedFaultPoints().size).toBe(0);
    const started = performance.now();
    for (const point of m.FAULT_POINTS) m.faultPoint(point);
    expect(performance.now() - started).toBeLessThan(50);
  });

  it("arm the points FAULT_POINTS names", async () => {
    const m = await freshModule({
      FAULT_POINTS: " card-fulfilment:after-commit , payout-paid:before-commit",
      NODE_ENV: "test",
    });
    expect([...m.armedFaultPoints()]).toEqual([
      "card-fulfilment:after-commit",
      "payout-paid:before-commit",
    ]);
  });

  it("refuse an unknown name, and any name in production", async () => {
    const unknown = await freshModule({ FAULT_POINTS: "card-fulfilment:never", NODE_ENV: "test" });
    expect(() => unknown.armedFaultPoints()).toThrow(/unknown point\(s\) card-fulfilment:never/);
    const production = await freshModule({
      FAULT_POINTS: "door-cash:before-commit",
      NODE_ENV: "production",
      SESSION_SECRET: "a-production-session-secret-0123456789",
    });
    expect(() => production.armedFaultPoints()).toThrow(/must not be set in production/);
  });
});
