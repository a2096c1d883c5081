// The logger and what no log line may hold (decision 0043): JSON lines with
// the request id of the request they belong to (across awaits and timers),
// known fields redacted, and every line scrubbed of email addresses, full IP
// addresses and token-like values, which the test run's log search looks for.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findLogLeaks, redactLogText, truncateIp } from "~/utils/log-safety";
import { createLogger, requestIdFrom, runWithRequestId } from "~/utils/logger.server";

function memoryLogger(level = "info") {
  const lines: string[] = [];
  const log = createLogger(level, { write: (l: string) => void lines.push(l) });
  return { log, lines, json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe("truncateIp", () => {
  it.each([
    ["203.0.113.77", "203.0.113.0/24"],
    ["::ffff:198.51.100.9", "198.51.100.0/24"],
    ["2001:db8:85a3:8d3:1319:8a2e:370:7348", "2001:db8:85a3::/48"],
    ["2001:db8::1", "2001:db8:0::/48"],
    ["::1", "0:0:0::/48"],
    [undefined, "unknown"],
    ["not an address", "unknown"],
  ])("%s → %s", (ip, expected) => expect(truncateIp(ip)).toBe(expected));
});

describe("findLogLeaks", () => {
  it("finds emails, full IPv4 and IPv6 addresses, credentials, cookies and long tokens", () => {
    const kinds = (line: string) => findLogLeaks(line).map((l) => l.kind);
    expect(kinds('{"msg":"mail to anna.k+tickets@example.org failed"}')).toEqual(["email"]);
    expect(kinds('{"msg":"from 203.0.113.7"}')).toEqual(["ip"]);
    expect(kinds('{"msg":"from 2001:db8:85a3::8a2e:370:7334"}')).toEqual(["ip"]);
    expect(kinds('{"addr":"::ffff:127.0.0.1"}')).toContain("ip");
    expect(kinds('{"addr":"::1"}')).toEqual(["ip"]);
    expect(kinds("Authorization: Bearer abc.def")).toEqual(["secret"]);
    expect(kinds("key sk_test_51HxYzAbCdEf0123")).toEqual(["secret"]);
    expect(kinds("whsec_test_0123456789abcdef")).toEqual(["secret"]);
    expect(kinds("Cookie: __session=eyJ1c2VyIjoxfQ")).toEqual(["secret"]);
    expect(kinds("/reset-password/Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXhxdQ")).toEqual([
      "token",
    ]);
  });

  it("leaves what logs do hold: networks, the server's own URL, ids, times, paths, route patterns", () => {
    for (const line of [
      '{"level":"info","time":"2026-12-01T19:04:16.123Z","pid":4242,"reqId":"0847e7f5-6365-4fb8-86a3-769bf8389f51","method":"GET","route":"/orders/:token","status":200,"ms":3.2,"clientNet":"203.0.113.0/24","msg":"request"}',
      '{"clientNet":"2001:db8:85a3::/48"}',
      '{"msg":"Solidarity festivals is running at http://127.0.0.1:41234 (NODE_ENV=test)."}',
      '{"orderId":"cmiabc123def456ghi789jkl0","eventId":"evt_test_1a2b3c4d5e6f7a8b9c0d"}',
      "    at fulfilCardOrder (file:///work/app/build/index.js:1234:56)",
      "node_modules/@prisma/client/runtime/library.js",
      "sha 0123456789abcdef0123456789abcdef0123", // 38: shorter than a token
    ])
      expect(findLogLeaks(line), line).toEqual([]);
  });

  it("reports the line and a masked excerpt, never the whole value", () => {
    const [leak] = findLogLeaks("ok\nok\nto someone.secret@example.org");
    expect(leak).toEqual({ kind: "email", line: 3, excerpt: "som…(26 chars)" });
  });
});

describe("redactLogText", () => {
  it("leaves nothing findLogLeaks would report, keeping IP addresses as their networks", () => {
    expect(redactLogText('{"msg":"from 203.0.113.7 for a@b.example"}')).toBe(
      '{"msg":"from 203.0.113.0/24 for [email]"}',
    );
    const arbitrary = fc.array(
      fc.oneof(
        fc.emailAddress(),
        fc.ipV4(),
        fc.ipV6(),
        fc.string({ unit: fc.constantFrom(..."abcXYZ019_-"), minLength: 40, maxLength: 80 }),
        fc.constantFrom("Bearer x.y", "sk_live_abcdefgh1234", "__session=abc", " ", '"', ":", "/"),
        fc.string(),
      ),
      { maxLength: 12 },
    );
    fc.assert(
      fc.property(arbitrary, (parts) => {
        const text = parts.join(" ");
        expect(findLogLeaks(redactLogText(text))).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });
});

describe("the logger", () => {
  it("writes one JSON object per line with level, ISO time, pid and message", () => {
    const { log, lines, json } = memoryLogger();
    log.info({ orderId: "o1" }, "order placed");
    log.debug("not at info");
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith("\n")).toBe(true);
    expect(json()[0]).toEqual({
      level: "info",
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      pid: process.pid,
      orderId: "o1",
      msg: "order placed",
    });
  });

  it("puts the request id on every line of the request, across awaits and timers, and on no other", async () => {
    const { log, json } = memoryLogger();
    log.info("before");
    await runWithRequestId("req-aaaaaaaa", async () => {
      log.info("first");
      await new Promise((r) => setTimeout(r, 5));
      log.child({ worker: "x" }).warn("after a timer");
    });
    await Promise.all(
      ["req-bbbbbbbb", "req-cccccccc"].map((id) =>
        runWithRequestId(id, async () => {
          await new Promise((r) => setImmediate(r));
          log.info(id);
        }),
      ),
    );
    log.info("after");
    expect(json().map((l) => [l.msg, l.reqId])).toEqual([
      ["before", undefined],
      ["first", "req-aaaaaaaa"],
      ["after a timer", "req-aaaaaaaa"],
      ["req-bbbbbbbb", "req-bbbbbbbb"],
      ["req-cccccccc", "req-cccccccc"],
      ["after", undefined],
    ]);
  });

  it("redacts personal and secret fields by name, and scrubs messages, nested values and errors", () => {
    const { log, lines, json } = memoryLogger();
    log.info(
      {
        email: "buyer@example.org",
        details: "the prisoner's sister, calls after 8 pm",
        password: "correct horse",
        authorization: "Bearer abc",
        headers: { cookie: "__session=abc" },
        order: { email: "x@example.org", accessToken: "t".repeat(43) },
      },
      "checkout",
    );
    log.error(
      { err: new Error("550 mailbox anna@example.org unavailable (from 198.51.100.23)") },
      "email worker failed for bob@example.org",
    );
    const [first, second] = json();
    expect(first).toMatchObject({
      email: "[redacted]",
      details: "[redacted]",
      password: "[redacted]",
      authorization: "[redacted]",
      headers: "[redacted]",
      // Nested values are not redacted by name, but scrubbed by shape.
      order: { email: "[email]", accessToken: "[token]" },
    });
    expect(second).toMatchObject({
      level: "error",
      msg: "email worker failed for [email]",
      err: {
        type: "Error",
        message: "550 mailbox [email] unavailable (from 198.51.100.0/24)",
        stack: expect.stringContaining("logger.test.ts"),
      },
    });
    expect(findLogLeaks(lines.join(""))).toEqual([]);
  });
});

describe("requestIdFrom", () => {
  it("keeps a proxy's plain id, replaces anything that could carry data", () => {
    expect(requestIdFrom("0847e7f5-6365-4fb8-86a3-769bf8389f51")).toBe(
      "0847e7f5-6365-4fb8-86a3-769bf8389f51",
    );
    expect(requestIdFrom("abc12345")).toBe("abc12345");
    for (const bad of [
      undefined,
      "",
      "short",
      "a@b.example",
      "1.2.3.4",
      "x".repeat(37),
      "a b c d e",
    ])
      expect(requestIdFrom(bad)).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      );
  });
});
