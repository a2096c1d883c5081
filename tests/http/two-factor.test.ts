// The second factor over HTTP (decision 0035): enrolling through the pages
// with a real code (the QR code decodes to the key), the sign-in's second
// step, a replayed code refused, recovery codes single-use, tokens with and
// without `otp`, the users API handing out `totpSecret` once, the admin reset,
// and money roles refused without a proved factor.
import jsQR from "jsqr";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, startTestApp, type HttpResponse, type TestApp } from "../helpers/app";
import {
  apiToken,
  createUserRow,
  PASSWORD,
  signedInClient,
  uniqueEmail,
} from "../helpers/fixtures";
import {
  createMoneyUser,
  moneyBrowser,
  moneyToken,
  moneyTokenDirect,
  totpCode,
} from "../helpers/treasury";
import { randomToken, sha256 } from "~/utils/crypto.server";
import { prisma } from "~/utils/db.server";
import { requireApiUserWith, requireUserWith } from "~/utils/permissions.server";

let app: TestApp;
let adminToken: string;

beforeAll(async () => {
  app = await startTestApp();
  const admin = await createUserRow({ role: "admin" });
  adminToken = await apiToken(app.url, admin.email);
});
afterAll(() => app.close());

const STEP_MS = 30_000;

/**
 * A code the app accepts now: this step's, or the next one's when this step's
 * was used already (both are inside the ±1 window); waits for the clock when
 * both were used.
 */
async function freshCode(userId: string, secret: string): Promise<string> {
  for (;;) {
    const { totpLastStep } = await prisma.user.findUniqueOrThrow({ where: { id: userId } });
    const now = Math.floor(Date.now() / STEP_MS);
    const step = Math.max(now, (totpLastStep ?? -1) + 1);
    // Not at the very end of a step: the server must see the same step.
    if (step <= now + 1 && Date.now() % STEP_MS < STEP_MS - 1500)
      return totpCode(secret, new Date(step * STEP_MS + 1));
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function html(res: HttpResponse) {
  return res.text
    .replace(/&amp;/g, "&")
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&quot;/g, '"');
}

function recoveryCodesIn(res: HttpResponse): string[] {
  return [...res.text.matchAll(/<code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})<\/code>/g)].map(
    (m) => m[1]!,
  );
}

/** The QR code image of the page, decoded (it must really scan). */
function decodeQr(res: HttpResponse): string | undefined {
  const src = /<img src="data:image\/png;base64,([^"]+)"/.exec(res.text)?.[1];
  if (!src) return undefined;
  const png = PNG.sync.read(Buffer.from(src, "base64"));
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data;
}

/** A signed-in browser's request, for calling the permission check as a page would. */
function pageRequest(client: Client, path: string) {
  const cookie = [...client.cookies.entries()].map(([k, v]) => `${k}=${v}`).join("; ");
  return new Request(app.url + path, { headers: { Cookie: cookie } });
}

async function refusal(promise: Promise<unknown>): Promise<Response> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof Response) return e;
    throw e;
  }
  throw new Error("expected a refusal");
}

describe("enrolling through the pages", () => {
  let treasurer: { id: string; email: string };
  let browser: Client;
  let secret: string;
  let recoveryCodes: string[];

  it("prompts a treasurer without a second factor on /admin", async () => {
    treasurer = await createUserRow({ role: "treasurer" });
    browser = await signedInClient(app.url, treasurer.email);
    const admin = await browser.get("/admin");
    expect(admin.status).toBe(200);
    expect(html(admin)).toContain("set up a second factor");
    expect(admin.text).toContain('href="/account/security?redirectTo=%2Fadmin"');
    // A member sees no such prompt.
    const member = await createUserRow();
    const plain = await (await signedInClient(app.url, member.email)).get("/admin");
    expect(html(plain)).not.toContain("second factor");
  });

  it("a money page sends the session to the security page (and back afterwards)", async () => {
    const res = await refusal(
      requireUserWith(pageRequest(browser, "/admin/treasury?x=1"), "treasury"),
    );
    expect(res.status).toBe(302);
    expect(res.headers.get("Location")).toBe(
      "/account/security?redirectTo=%2Fadmin%2Ftreasury%3Fx%3D1",
    );
  });

  it("shows a QR code that scans to the otpauth address, and the key to type in", async () => {
    const page = await browser.get("/account/security?redirectTo=%2Fadmin");
    expect(page.status).toBe(200);
    expect(html(page)).toContain("Set up an authenticator app");
    const start = await browser.postForm("/account/security", {
      intent: "start",
      redirectTo: "/admin",
    });
    expect(start.status).toBe(302);
    expect(start.location).toBe("/account/security?redirectTo=%2Fadmin");
    const pending = await browser.get(start.location!);
    expect(pending.status).toBe(200);
    const uri = decodeQr(pending);
    expect(uri).toMatch(/^otpauth:\/\/totp\//);
    const url = new URL(uri!);
    secret = url.searchParams.get("secret")!;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(url.searchParams.get("algorithm")).toBe("SHA1");
    expect(url.searchParams.get("digits")).toBe("6");
    expect(url.searchParams.get("period")).toBe("30");
    expect(decodeURIComponent(url.pathname)).toContain(treasurer.email);
    // The same key, grouped for typing.
    expect(pending.text).toContain(secret.replace(/(.{4})(?=.)/g, "$1 "));
    // Labelled: the image has a text alternative, the code field a label.
    expect(pending.text).toMatch(/<img [^>]*alt="QR code to add this account/);
    expect(pending.text).toMatch(/<label for="[^"]+">Code from the authenticator app<\/label>/);
    // Not enabled yet: no proof, the money page still refuses.
    const row = await prisma.user.findUniqueOrThrow({ where: { id: treasurer.id } });
    expect(row.totpEnabledAt).toBeNull();
    expect(row.totpSecretSealed).not.toContain(secret);
  });

  it("refuses a wrong or missing code, then confirms a real one and shows ten recovery codes once", async () => {
    const missing = await browser.postForm("/account/security", {
      intent: "confirm",
      code: "",
      redirectTo: "/admin",
    });
    expect(missing.status).toBe(400);
    expect(html(missing)).toContain("Enter the 6-digit code from the app.");
    const right = totpCode(secret);
    const wrong = right === "000000" ? "111111" : "000000";
    const bad = await browser.postForm("/account/security", {
      intent: "confirm",
      code: wrong,
      redirectTo: "/admin",
    });
    expect(bad.status).toBe(401);
    expect(html(bad)).toContain("This code is wrong, expired or already used.");
    const ok = await browser.postForm("/account/security", {
      intent: "confirm",
      code: await freshCode(treasurer.id, secret),
      redirectTo: "/admin",
    });
    expect(ok.status).toBe(200);
    recoveryCodes = recoveryCodesIn(ok);
    expect(recoveryCodes).toHaveLength(10);
    expect(ok.text).toContain('href="/admin"'); // continue where they were going
    // Never again: the page no longer shows them (only hashes are stored).
    const later = await browser.get("/account/security");
    expect(later.status).toBe(200);
    for (const c of recoveryCodes) expect(later.text).not.toContain(c);
    expect(html(later)).toContain("10 recovery codes left");
    const stored = await prisma.recoveryCode.findMany({ where: { userId: treasurer.id } });
    expect(stored.map((s) => s.codeHash).join()).not.toContain(recoveryCodes[0]!.slice(0, 4) + recoveryCodes[0]!.slice(5, 9)); // prettier-ignore
  });

  it("the confirming session has proved the factor: money pages let it in", async () => {
    const user = await requireUserWith(pageRequest(browser, "/admin/treasury"), "treasury");
    expect(user.secondFactor).toBe(true);
    const back = await browser.get("/account/security?redirectTo=%2Fadmin%2Ftreasury");
    expect(back.status).toBe(302);
    expect(back.location).toBe("/admin/treasury");
    // No more prompt on /admin.
    expect(html(await browser.get("/admin"))).not.toContain("second factor");
  });

  it("signing in again asks for the second step; a replayed code is refused; the money page waits for it", async () => {
    const usedCode = totpCode(secret, new Date((await lastStepOf(treasurer.id)) * STEP_MS + 1));
    const again = new Client(app.url);
    const login = await again.postForm("/login", {
      email: treasurer.email,
      password: PASSWORD,
      redirectTo: "/admin/treasury",
    });
    expect(login.status).toBe(302);
    expect(login.location).toBe("/account/security?redirectTo=%2Fadmin%2Ftreasury&signin=1");
    const step = await again.get(login.location!);
    expect(step.status).toBe(200);
    expect(html(step)).toContain("One more step");
    expect(step.text).toMatch(/<label for="[^"]+">Recovery code<\/label>/);
    // Signed in all the same: non-money pages work, money pages send it back.
    expect((await again.get("/admin")).status).toBe(200);
    const money = await refusal(requireUserWith(pageRequest(again, "/admin/treasury"), "treasury"));
    expect(money.headers.get("Location")).toBe("/account/security?redirectTo=%2Fadmin%2Ftreasury");
    // The code the enrolment used: refused now.
    const replay = await again.postForm("/account/security", {
      intent: "verify",
      code: usedCode,
      redirectTo: "/admin/treasury",
    });
    expect(replay.status).toBe(401);
    expect(html(replay)).toContain("This code is wrong, expired or already used.");
    const fresh = await freshCode(treasurer.id, secret);
    const ok = await again.postForm("/account/security", {
      intent: "verify",
      code: fresh,
      redirectTo: "/admin/treasury",
    });
    expect(ok.status).toBe(302);
    expect(ok.location).toBe("/admin/treasury");
    expect((await requireUserWith(pageRequest(again, "/admin/treasury"), "treasury")).secondFactor).toBe(true); // prettier-ignore
    // The same code once more, from a third session: refused.
    const third = new Client(app.url);
    await third.postForm("/login", { email: treasurer.email, password: PASSWORD });
    const twice = await third.postForm("/account/security", { intent: "verify", code: fresh });
    expect(twice.status).toBe(401);
  });

  it("a recovery code works once (in any case), then never again", async () => {
    const first = new Client(app.url);
    await first.postForm("/login", { email: treasurer.email, password: PASSWORD });
    const used = await first.postForm("/account/security", {
      intent: "recovery",
      recoveryCode: recoveryCodes[0]!.toUpperCase(),
      redirectTo: "/admin",
    });
    expect(used.status).toBe(302);
    expect(used.location).toBe("/admin");
    expect((await requireUserWith(pageRequest(first, "/admin/treasury"), "treasury")).secondFactor).toBe(true); // prettier-ignore
    const second = new Client(app.url);
    await second.postForm("/login", { email: treasurer.email, password: PASSWORD });
    const again = await second.postForm("/account/security", {
      intent: "recovery",
      recoveryCode: recoveryCodes[0]!,
    });
    expect(again.status).toBe(401);
    expect(html(again)).toContain("This recovery code is wrong or has been used.");
    expect(html(await first.get("/account/security"))).toContain("9 recovery codes left");
  });

  it("sends back only to local paths", async () => {
    for (const redirectTo of [
      "https://evil.example/x",
      "//evil.example",
      "/\\evil",
      "/account/security",
    ]) {
      const c = new Client(app.url);
      await c.postForm("/login", { email: treasurer.email, password: PASSWORD, redirectTo });
      const ok = await c.postForm("/account/security", {
        intent: "recovery",
        recoveryCode: recoveryCodes.pop()!,
        redirectTo,
      });
      expect(ok.status, redirectTo).toBe(302);
      expect(ok.location, redirectTo).toBe("/account/security");
    }
  });

  it("limits wrong codes: 429 with Retry-After, in the form", async () => {
    const c = new Client(app.url);
    await c.postForm("/login", { email: treasurer.email, password: PASSWORD });
    let res: HttpResponse | undefined;
    for (let i = 0; i < 11; i++)
      res = await c.postForm("/account/security", { intent: "verify", code: "12345" });
    expect(res!.status).toBe(429);
    expect(Number(res!.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(html(res!)).toContain("Too many attempts");
  });
});

async function lastStepOf(userId: string) {
  return (await prisma.user.findUniqueOrThrow({ where: { id: userId } })).totpLastStep!;
}

describe("POST /api/v1/tokens with a second factor", () => {
  const client = () => new Client(app.url);

  it("an enrolled account needs otp (or a recovery code); the token it gets may touch money", async () => {
    const t = await createMoneyUser();
    const body = { email: t.email, password: PASSWORD };
    const none = await client().api("POST", "/api/v1/tokens", body);
    expect(none.status).toBe(401);
    expect(none.json()).toMatchObject({ error: "otp_required" });
    // The password is checked first: a wrong one says nothing about the factor.
    const wrongPassword = await client().api("POST", "/api/v1/tokens", {
      ...body,
      password: "wrong password here",
      otp: "123456",
    });
    expect(wrongPassword.status).toBe(401);
    expect(wrongPassword.json()).toMatchObject({ error: "invalid_credentials" });
    const right = await freshCode(t.id, t.secret);
    const wrong = await client().api("POST", "/api/v1/tokens", {
      ...body,
      otp: right === "000000" ? "111111" : "000000",
    });
    expect(wrong.status).toBe(401);
    expect(wrong.json()).toMatchObject({ error: "otp_invalid" });
    const ok = await client().api("POST", "/api/v1/tokens", { ...body, otp: right, name: "cli" });
    expect(ok.status).toBe(201);
    const token = ok.json<{ token: string }>().token;
    const user = await requireApiUserWith(bearer(token), "treasury");
    expect(user.secondFactor).toBe(true);
    // The same code again: refused.
    const replay = await client().api("POST", "/api/v1/tokens", { ...body, otp: right });
    expect(replay.status).toBe(401);
    expect(replay.json()).toMatchObject({ error: "otp_invalid" });
  });

  it("the helpers other tests use: several tokens in a row, and a proved browser session", async () => {
    const t = await createMoneyUser();
    const tokens = [await moneyToken(app.url, t), await moneyToken(app.url, t)];
    for (const token of tokens)
      expect((await requireApiUserWith(bearer(token), "treasury")).secondFactor).toBe(true);
    const browser = await moneyBrowser(app.url, t);
    const user = await requireUserWith(pageRequest(browser, "/admin/treasury"), "treasury");
    expect(user.secondFactor).toBe(true);
  }, 90_000);

  it("takes a recovery code, once", async () => {
    const t = await createMoneyUser();
    const browser = await signedInClient(app.url, t.email); // → the second step
    const proved = await browser.postForm("/account/security", {
      intent: "verify",
      code: await freshCode(t.id, t.secret),
    });
    expect(proved.status).toBe(302);
    const unconfirmed = await browser.postForm("/account/security", { intent: "new-codes" });
    expect(unconfirmed.status).toBe(400);
    const made = await browser.postForm("/account/security", {
      intent: "new-codes",
      confirm: "yes",
    });
    expect(made.status).toBe(200);
    const codes = recoveryCodesIn(made);
    expect(codes).toHaveLength(10);
    const body = { email: t.email, password: PASSWORD, recoveryCode: codes[0] };
    const ok = await client().api("POST", "/api/v1/tokens", body);
    expect(ok.status).toBe(201);
    const again = await client().api("POST", "/api/v1/tokens", body);
    expect(again.status).toBe(401);
    expect(again.json()).toMatchObject({ error: "otp_invalid" });
  });

  it("a treasurer without a second factor still gets a token, which the treasury permission refuses (403 second_factor_required)", async () => {
    const t = await createUserRow({ role: "treasurer" });
    const token = await apiToken(app.url, t.email);
    const res = await refusal(requireApiUserWith(bearer(token), "treasury"));
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: "second_factor_required" });
    // otp sent for an account without a factor changes nothing.
    const withOtp = await client().api("POST", "/api/v1/tokens", {
      email: t.email,
      password: PASSWORD,
      otp: "123456",
    });
    expect(withOtp.status).toBe(201);
    const plain = withOtp.json<{ token: string }>().token;
    expect((await refusal(requireApiUserWith(bearer(plain), "treasury"))).status).toBe(403);
    // An enrolled treasurer's token made without a code (set up directly) is refused too.
    const m = await createMoneyUser();
    const unproved = await prisma.apiToken.findMany({ where: { userId: m.id } });
    expect(unproved).toHaveLength(0);
    const direct = await moneyTokenDirect(m.id);
    expect((await requireApiUserWith(bearer(direct), "treasury")).secondFactor).toBe(true);
  });

  it("refuses bad input with 422 (413 past the body limit) and writes nothing", async () => {
    const t = await createMoneyUser();
    const before = await prisma.apiToken.count();
    for (const extra of [
      { otp: 123456 },
      { otp: "12345" },
      { otp: "1234567" },
      { otp: "12 456" },
      { otp: "<script>" },
      { otp: "1".repeat(1000) },
      { recoveryCode: "x".repeat(65) },
      { recoveryCode: "'; DROP TABLE User; --" },
      { recoveryCode: 42 },
    ]) {
      const res = await client().api("POST", "/api/v1/tokens", {
        email: t.email,
        password: PASSWORD,
        ...extra,
      });
      expect(res.status, JSON.stringify(extra).slice(0, 40)).toBe(422);
      expect(res.json()).toMatchObject({ error: "validation_failed" });
    }
    const huge = await client().api("POST", "/api/v1/tokens", {
      email: t.email,
      password: PASSWORD,
      otp: "1".repeat(100_000),
    });
    expect(huge.status).toBe(413);
    expect(await prisma.apiToken.count()).toBe(before);
  });
});

function bearer(token: string) {
  return new Request(`${app.url}/api/v1/anything`, {
    headers: { Authorization: `Bearer ${token}` },
  });
}

describe("POST /api/v1/users for money roles", () => {
  it("returns the base32 totpSecret once for a treasurer (enrolled at creation); none for a member", async () => {
    const email = uniqueEmail("api-treasurer");
    const res = await new Client(app.url).api(
      "POST",
      "/api/v1/users",
      { email, role: "treasurer", password: PASSWORD },
      adminToken,
    );
    expect(res.status).toBe(201);
    const { id, totpSecret } = res.json<{ id: string; totpSecret: string }>();
    expect(totpSecret).toMatch(/^[A-Z2-7]{32}$/);
    const row = await prisma.user.findUniqueOrThrow({ where: { id } });
    expect(row.totpEnabledAt).not.toBeNull();
    expect(row.totpSecretSealed).toMatch(/^v1\./);
    expect(row.totpSecretSealed).not.toContain(totpSecret);
    const audit = await prisma.auditEvent.findMany({ where: { targetId: id } });
    expect(JSON.stringify(audit)).not.toContain(totpSecret);
    // It signs in with a code from that secret.
    const noCode = await new Client(app.url).api("POST", "/api/v1/tokens", {
      email,
      password: PASSWORD,
    });
    expect(noCode.json()).toMatchObject({ error: "otp_required" });
    const token = await new Client(app.url).api("POST", "/api/v1/tokens", {
      email,
      password: PASSWORD,
      otp: await freshCode(id, totpSecret),
    });
    expect(token.status).toBe(201);
    // An admin too; a member gets no secret.
    const admin = await new Client(app.url).api(
      "POST",
      "/api/v1/users",
      { email: uniqueEmail("api-admin"), role: "admin" },
      adminToken,
    );
    expect(admin.json<{ totpSecret?: string }>().totpSecret).toMatch(/^[A-Z2-7]{32}$/);
    const member = await new Client(app.url).api(
      "POST",
      "/api/v1/users",
      { email: uniqueEmail("api-member"), role: "member", password: PASSWORD },
      adminToken,
    );
    expect(member.status).toBe(201);
    expect(Object.keys(member.json<object>())).toEqual(["id"]);
  });

  it("an enrolled admin proves the factor before making money roles", async () => {
    const admin = await createMoneyUser({ role: "admin" });
    const unproved = await new Client(app.url).api(
      "POST",
      "/api/v1/users",
      { email: uniqueEmail("x"), role: "treasurer" },
      await apiTokenWithoutCode(admin.id),
    );
    expect(unproved.status).toBe(403);
    expect(unproved.json()).toMatchObject({ error: "second_factor_required" });
    const proved = await new Client(app.url).api(
      "POST",
      "/api/v1/users",
      { email: uniqueEmail("y"), role: "treasurer" },
      await moneyTokenDirect(admin.id),
    );
    expect(proved.status).toBe(201);
  });
});

/** A token of an enrolled account that did not prove the factor (written directly). */
async function apiTokenWithoutCode(userId: string) {
  const token = randomToken(32);
  await prisma.apiToken.create({
    data: { userId, tokenHash: sha256(token), expiresAt: new Date(Date.now() + 3600_000) },
  });
  return token;
}

describe("DELETE /api/v1/users/:id/second-factor", () => {
  it("an admin with a proved factor resets it; the person enrols again; old proofs are worthless", async () => {
    const admin = await createMoneyUser({ role: "admin" });
    const adminProved = await moneyTokenDirect(admin.id);
    const t = await createMoneyUser();
    const tToken = await moneyTokenDirect(t.id);
    expect((await requireApiUserWith(bearer(tToken), "treasury")).secondFactor).toBe(true);
    const c = new Client(app.url);
    // Refused: no factor proved (the plain admin), another treasurer, unknown account.
    const plain = await c.api(
      "DELETE",
      `/api/v1/users/${t.id}/second-factor`,
      undefined,
      adminToken,
    );
    expect(plain.status).toBe(403);
    expect(plain.json()).toMatchObject({ error: "second_factor_required" });
    const other = await c.api(
      "DELETE",
      `/api/v1/users/${admin.id}/second-factor`,
      undefined,
      tToken,
    );
    expect(other.status).toBe(403);
    const unknown = await c.api(
      "DELETE",
      "/api/v1/users/nobody/second-factor",
      undefined,
      adminProved,
    );
    expect(unknown.status).toBe(404);
    expect((await c.get(`/api/v1/users/${t.id}/second-factor`)).status).toBe(405);
    const ok = await c.api("DELETE", `/api/v1/users/${t.id}/second-factor`, undefined, adminProved);
    expect(ok.status).toBe(204);
    const res = await refusal(requireApiUserWith(bearer(tToken), "treasury"));
    expect(res.status).toBe(403);
    const audit = await prisma.auditEvent.findFirst({
      where: { action: "second_factor.reset", targetId: t.id },
    });
    expect(audit?.actorUserId).toBe(admin.id);
    // A plain token again (no factor to prove), and the page offers enrolment.
    const token = await new Client(app.url).api("POST", "/api/v1/tokens", {
      email: t.email,
      password: PASSWORD,
    });
    expect(token.status).toBe(201);
    const browser = await signedInClient(app.url, t.email);
    expect(html(await browser.get("/account/security"))).toContain("Set up an authenticator app");
  });
});
