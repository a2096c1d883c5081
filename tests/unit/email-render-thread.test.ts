// The email render thread (decision 0042): emails — a QR image per ticket, the
// HTML, the MIME message — are built in one worker thread, off the event loop
// that answers requests. These tests run the real thread (build/email-render-worker.js,
// built by the global setup) on a 50-ticket order confirmation.
import { simpleParser } from "mailparser";
import { performance } from "node:perf_hooks";
import { afterAll, describe, expect, it } from "vitest";
import { renderTemplate } from "../../emails/render";
import {
  closeEmailRenderer,
  messageInThread,
  QUEUE_LIMIT,
  RenderQueueFullError,
  renderInThread,
} from "~/utils/email-render.server";

afterAll(() => closeEmailRenderer());

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** An order confirmation's data as its `load` gives it, with `n` tickets. */
function order(n: number, typeName = "Day ticket") {
  return {
    id: "order-1",
    code: "ABC-123",
    accessToken: "a".repeat(32),
    paymentMethod: "free",
    currency: "EUR",
    totalMinor: 0,
    items: [],
    festival: {
      name: "Festival of solidarity",
      slug: "festival-of-solidarity",
      timezone: "Europe/Riga",
      startsAt: new Date("2030-01-26T13:00:00Z"),
      endsAt: new Date("2030-01-26T21:00:00Z"),
      venueName: "Hall",
      venueAddress: "Street 1",
    },
    tickets: Array.from({ length: n }, (_, i) => ({
      id: `ticket-${i}`,
      status: "valid",
      typeName,
      amountDueMinor: 0,
      qrToken: `v1.${"Q".repeat(100)}.${i}`,
    })),
    tattoos: [],
    orderUrl: "https://festival.example/orders/aaaa",
    festivalUrl: "https://festival.example/festivals/festival-of-solidarity",
    lang: "en",
  };
}

/** The main event loop's utilisation (0 idle … 1 busy) while `fn` runs. */
async function loopBusy<T>(fn: () => Promise<T>): Promise<{ result: T; busy: number; ms: number }> {
  const before = performance.eventLoopUtilization();
  const t0 = performance.now();
  const result = await fn();
  const ms = performance.now() - t0;
  return { result, busy: performance.eventLoopUtilization(before).utilization, ms };
}

describe("the email render thread", () => {
  it("builds a 50-ticket confirmation (50 QR images) while the main event loop stays free", async () => {
    await renderInThread("order-confirmation", "en", order(1)); // the thread's start-up
    const inThread = await loopBusy(() => renderInThread("order-confirmation", "en", order(50)));
    const pngs = inThread.result.attachments.filter((a) => a.contentType === "image/png");
    expect(pngs).toHaveLength(50);
    for (const png of pngs) expect(png.content.subarray(0, 8).equals(PNG)).toBe(true);
    expect(inThread.result.html).toContain('src="cid:ticket-ticket-49@festival"');
    // The same work on this thread, for comparison (the floor of the same run).
    const inline = await loopBusy(() => renderTemplate("order-confirmation", "en", order(50)));
    // 50 QR images and the festival's calendar file.
    expect(inline.result.attachments).toHaveLength(51);
    expect(inline.busy).toBeGreaterThan(0.6);
    expect(inThread.busy).toBeLessThan(0.3);
  });

  it("builds the whole MIME message there: headers, inline images by cid, bare envelope", async () => {
    const message = await messageInThread("order-confirmation", "ru", order(3), {
      from: "Solidarity festivals <no-reply@festival.example>",
      to: "buyer@example.test",
      headers: { "X-Outbox-Id": "row-42" },
    });
    expect(message.envelope).toEqual({
      from: "no-reply@festival.example",
      to: ["buyer@example.test"],
    });
    const parsed = await simpleParser(message.raw);
    expect(parsed.messageId).toBe(message.messageId);
    expect(parsed.headers.get("x-outbox-id")).toBe("row-42");
    expect(parsed.subject).toContain("ABC-123");
    expect(parsed.html).toContain('lang="ru"');
    const images = parsed.attachments.filter((a) => a.contentType === "image/png");
    expect(images.map((a) => a.cid)).toEqual([0, 1, 2].map((i) => `ticket-ticket-${i}@festival`));
    for (const image of images) expect(image.content.subarray(0, 8).equals(PNG)).toBe(true);
  });

  it("fails a job whose template throws, and goes on with the next", async () => {
    await expect(renderInThread("order-confirmation", "en", { tickets: null })).rejects.toThrow();
    const ok = await renderInThread("password-reset", "en", { resetUrl: "https://x.example/r" });
    expect(ok.text).toContain("https://x.example/r");
  });

  it("survives the thread running out of its own heap: that job fails, a new thread takes the next", async () => {
    // ~100 MB of ticket names: more than the thread's heap cap, so the thread dies.
    const huge = order(100, "x".repeat(1024 * 1024));
    await expect(renderInThread("order-confirmation", "en", huge)).rejects.toThrow(
      /memory|exited/i,
    );
    const ok = await renderInThread("order-confirmation", "en", order(2));
    expect(ok.attachments.filter((a) => a.contentType === "image/png")).toHaveLength(2);
  });

  it("refuses jobs beyond its bounded queue instead of piling them up", async () => {
    const jobs = Array.from({ length: QUEUE_LIMIT + 10 }, () =>
      renderInThread("password-reset", "en", { resetUrl: "https://x.example/r" }).then(
        () => "done",
        (e: unknown) => (e instanceof RenderQueueFullError ? "refused" : `error ${String(e)}`),
      ),
    );
    const outcomes = await Promise.all(jobs);
    // One in the thread, QUEUE_LIMIT waiting, the rest refused.
    expect(outcomes.filter((o) => o === "done")).toHaveLength(QUEUE_LIMIT + 1);
    expect(outcomes.filter((o) => o === "refused")).toHaveLength(9);
  });
});
