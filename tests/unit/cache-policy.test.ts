// The one Cache-Control rule (app/utils/cache-policy.server.ts), called directly.
import { describe, expect, it } from "vitest";
import { carriesCredentials, decideCacheControl } from "~/utils/cache-policy.server";
import { PUBLIC_PAGE_CACHE } from "~/utils/headers";

const base = {
  method: "GET",
  status: 200,
  routeValue: PUBLIC_PAGE_CACHE,
  credentials: false,
  setsCookie: false,
};

describe("decideCacheControl", () => {
  it("is no-store when the route said nothing", () => {
    expect(decideCacheControl({ ...base, routeValue: undefined })).toEqual({
      cacheControl: "no-store",
      shared: false,
    });
  });

  it("keeps a public page's value for an anonymous GET, as shared", () => {
    expect(decideCacheControl(base)).toEqual({ cacheControl: PUBLIC_PAGE_CACHE, shared: true });
    expect(decideCacheControl({ ...base, method: "HEAD" }).cacheControl).toBe(PUBLIC_PAGE_CACHE);
  });

  it.each([
    ["a session or token", { credentials: true }],
    ["a Set-Cookie", { setsCookie: true }],
    ["a POST", { method: "POST" }],
    ["a 404", { status: 404 }],
    ["a 500", { status: 500 }],
    ["a redirect", { status: 302 }],
  ])("refuses to loosen with %s", (_label, change) => {
    expect(decideCacheControl({ ...base, ...change }).cacheControl).toBe("no-store");
  });

  it("keeps a stricter value the route chose", () => {
    expect(decideCacheControl({ ...base, routeValue: "private, no-store" }).cacheControl).toBe(
      "private, no-store",
    );
  });

  it("treats private caching as loosening too", () => {
    const value = "private, max-age=600";
    expect(decideCacheControl({ ...base, routeValue: value, credentials: true }).cacheControl).toBe(
      "no-store",
    );
    expect(decideCacheControl({ ...base, routeValue: value })).toEqual({
      cacheControl: value,
      shared: false,
    });
  });
});

describe("carriesCredentials", () => {
  it("sees a bearer token or any cookie but the language choice", () => {
    expect(carriesCredentials({})).toBe(false);
    expect(carriesCredentials({ cookie: "lang=ru" })).toBe(false);
    expect(carriesCredentials({ cookie: "lang=ru; festival_session=abc" })).toBe(true);
    expect(carriesCredentials({ cookie: "__Host-session=abc" })).toBe(true);
    expect(carriesCredentials({ cookie: "anything=1" })).toBe(true);
    expect(carriesCredentials({ authorization: "Bearer x" })).toBe(true);
  });
});
