// A forged Host or X-Forwarded-Host that is not a host name (spaces, an open
// bracket, a %, a port past 65535) is a client's mistake: a plain 400 before the
// app builds a URL from it — never a 500 and a stack trace in the log. (The app
// trusts forwarding headers from loopback only, where its reverse proxy runs;
// links are never made from them, see tests/http/email-links.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendRaw, startTestApp, type TestApp } from "../helpers/app";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

const HOSTILE = ["a b", "[::1", "x%y", "festival.test:99999", "evil.example/path", "a\tb"];

describe("a hostile host header", () => {
  for (const header of ["X-Forwarded-Host", "Host"] as const)
    for (const value of HOSTILE)
      it(`${header}: ${JSON.stringify(value)} → 400, not a server error`, async () => {
        for (const path of ["/", "/api/v1/festivals", "/login"]) {
          const res = await sendRaw(app.url, "GET", path, Buffer.alloc(0), { [header]: value });
          expect(res.status, `${path}: ${res.text.slice(0, 200)}`).toBe(400);
          expect(res.text).not.toContain(value);
          expect(res.text).not.toMatch(/TypeError|at .*\.js/);
        }
      });

  it("an ordinary forwarded host and port still serve", async () => {
    for (const value of ["festival.test", "festival.test:8443", "[::1]:3000", "127.0.0.1"]) {
      const res = await sendRaw(app.url, "GET", "/api/v1/festivals", Buffer.alloc(0), {
        "X-Forwarded-Host": value,
      });
      expect(res.status, value).toBe(200);
    }
  });
});
