// The second factor's rules (decision 0035): codes match within ±1 time step
// and only once, recovery codes work once, attempts are limited, and the
// treasury permission needs a proved factor. The pure parts first, then the
// domain module on a real SQLite file (the replay guard is a database rule).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshTestEnv } from "../helpers/env";
import { createUserRow } from "../helpers/fixtures";
import { totpCode, totpFor } from "../helpers/treasury";
import type { CurrentUser } from "~/utils/auth.server";
import { disconnectDatabase, prisma } from "~/utils/db.server";
import { decryptString } from "~/utils/encryption.server";
import { decide } from "~/utils/permissions.server";
import { RateLimitedError } from "~/utils/rate-limit.server";
import {
  confirmEnrolment,
  matchingStep,
  newTotpSecret,
  normaliseOtp,
  normaliseRecoveryCode,
  OtpInvalidError,
  OtpRequiredError,
  proveSecondFactor,
  RECOVERY_CODE_COUNT,
  regenerateRecoveryCodes,
  resetSecondFactor,
  secondFactorState,
  startEnrolment,
  totpUri,
  redeemRecoveryCode,
  verifyTotp,
} from "~/utils/two-factor.server";

const STEP = 30_000;
/** The middle of a time step, so ±1 step is unambiguous. */
const at = new Date(Math.floor(Date.UTC(2030, 0, 26, 12) / STEP) * STEP + STEP / 2);
const stepOf = (d: Date) => Math.floor(d.getTime() / STEP);

describe("codes (pure)", () => {
  const secret = newTotpSecret();

  it("makes 160-bit base32 secrets and an otpauth address apps read (SHA1, 6 digits, 30 s)", () => {
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(newTotpSecret()).not.toBe(secret);
    const uri = new URL(totpUri(secret, "treasurer@example.test"));
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.host).toBe("totp");
    expect(decodeURIComponent(uri.pathname)).toBe("/Solidarity festivals:treasurer@example.test");
    expect(uri.searchParams.get("secret")).toBe(secret);
    expect(uri.searchParams.get("algorithm")).toBe("SHA1");
    expect(uri.searchParams.get("digits")).toBe("6");
    expect(uri.searchParams.get("period")).toBe("30");
  });

  it("accepts the code of this step and of one step either side, nothing further", () => {
    const now = stepOf(at);
    expect(matchingStep(secret, totpCode(secret, at), at)).toBe(now);
    expect(matchingStep(secret, totpCode(secret, new Date(at.getTime() - STEP)), at)).toBe(now - 1);
    expect(matchingStep(secret, totpCode(secret, new Date(at.getTime() + STEP)), at)).toBe(now + 1);
    for (const off of [-3, -2, 2, 3]) {
      const code = totpCode(secret, new Date(at.getTime() + off * STEP));
      // (a different step's code could equal one in the window by chance: 3 in a million)
      if ([-1, 0, 1].some((d) => totpCode(secret, new Date(at.getTime() + d * STEP)) === code))
        continue;
      expect(matchingStep(secret, code, at), `offset ${off}`).toBeNull();
    }
  });

  it("refuses what is not six digits, and another secret's code", () => {
    const code = totpCode(secret, at);
    for (const bad of ["", "12345", "1234567", "abcdef", ` ${code}`, `${code}\n`, "１２３４５６"])
      expect(matchingStep(secret, bad, at), JSON.stringify(bad)).toBeNull();
    const other = newTotpSecret();
    const otherCode = totpCode(other, at);
    if (otherCode !== code) expect(matchingStep(secret, otherCode, at)).toBeNull();
  });

  it("is the same TOTP as the tests' helper and any RFC 6238 app", () => {
    const helper = totpFor(secret);
    expect(helper.algorithm).toBe("SHA1");
    expect(helper.digits).toBe(6);
    expect(helper.period).toBe(30);
    // RFC 6238 appendix B, SHA-1 seed "12345678901234567890", 59 s → 94287082 (8 digits; 6: 287082).
    const rfc = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    expect(matchingStep(rfc, "287082", new Date(59_000))).toBe(1);
  });

  it("normalises what people type", () => {
    expect(normaliseOtp("123 456")).toBe("123456");
    expect(normaliseOtp("123-456")).toBe("123456");
    expect(normaliseRecoveryCode(" K7QM-3RZP-X2AB ")).toBe("k7qm3rzpx2ab");
  });
});

describe("the treasury permission needs a proved second factor", () => {
  const user = (role: CurrentUser["role"], totpEnrolled: boolean, secondFactor: boolean) =>
    ({ id: "u", email: "u@example.test", name: null, role, locale: null, memberships: [], totpEnrolled, secondFactor }) satisfies CurrentUser; // prettier-ignore

  it("allows treasurers and admins only with the factor proved", () => {
    expect(decide(user("treasurer", true, true), "treasury")).toBe("allow");
    expect(decide(user("admin", true, true), "treasury")).toBe("allow");
    expect(decide(user("treasurer", true, false), "treasury")).toBe("second_factor");
    expect(decide(user("treasurer", false, false), "treasury")).toBe("second_factor");
    expect(decide(user("admin", false, false), "treasury")).toBe("second_factor");
    expect(decide(user("member", true, true), "treasury")).toBe("forbidden");
  });
});

describe("the domain module", () => {
  beforeAll(() => {
    freshTestEnv();
  });
  afterAll(() => disconnectDatabase());

  async function enrolled() {
    const row = await createUserRow({ role: "treasurer" });
    const { secret } = await startEnrolment(row);
    const { recoveryCodes } = await confirmEnrolment(row, totpCode(secret, at), { at });
    return { ...row, secret, recoveryCodes };
  }

  it("enrols: a pending sealed secret, confirmed by a code, with ten recovery codes stored as hashes", async () => {
    const row = await createUserRow({ role: "treasurer" });
    const { secret, uri } = await startEnrolment(row);
    expect(uri).toContain(secret);
    let state = await secondFactorState(row.id);
    expect(state).toMatchObject({ enrolled: false, pending: true });
    const stored = await prisma.user.findUniqueOrThrow({ where: { id: row.id } });
    expect(stored.totpSecretSealed).toMatch(/^v1\./);
    expect(stored.totpSecretSealed).not.toContain(secret);
    expect(decryptString(stored.totpSecretSealed!, `totp:${row.id}`)).toBe(secret);
    // Starting over replaces the pending secret.
    const again = await startEnrolment(row);
    expect(again.secret).not.toBe(secret);
    await expect(confirmEnrolment(row, totpCode(secret, at), { at })).rejects.toThrow(
      OtpInvalidError,
    );
    const { recoveryCodes } = await confirmEnrolment(row, totpCode(again.secret, at), { at });
    expect(recoveryCodes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(new Set(recoveryCodes).size).toBe(RECOVERY_CODE_COUNT);
    for (const c of recoveryCodes) expect(c).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
    const rows = await prisma.recoveryCode.findMany({ where: { userId: row.id } });
    expect(rows).toHaveLength(RECOVERY_CODE_COUNT);
    const hashes = rows.map((r) => r.codeHash).join(" ");
    for (const c of recoveryCodes) {
      expect(hashes).not.toContain(c);
      expect(hashes).not.toContain(normaliseRecoveryCode(c));
    }
    state = await secondFactorState(row.id);
    expect(state).toMatchObject({ enrolled: true, pending: false, recoveryCodesLeft: 10 });
    // Enrolled: starting again is refused (only an admin resets it).
    await expect(startEnrolment(row)).rejects.toMatchObject({ code: "second_factor_enrolled" });
  });

  it("accepts a code once: the same code, or an older step's, is refused afterwards", async () => {
    const u = await enrolled(); // the confirming code used this step
    expect(await verifyTotp(u.id, totpCode(u.secret, at), at)).toBe(false);
    const next = new Date(at.getTime() + STEP);
    expect(await verifyTotp(u.id, totpCode(u.secret, next), next)).toBe(true);
    expect(await verifyTotp(u.id, totpCode(u.secret, next), next)).toBe(false);
    // The previous step's code is still inside the window, but older than the last accepted.
    expect(await verifyTotp(u.id, totpCode(u.secret, at), next)).toBe(false);
    const row = await prisma.user.findUniqueOrThrow({ where: { id: u.id } });
    expect(row.totpLastStep).toBe(stepOf(next));
  });

  it("lets only one of two simultaneous uses of a code through", async () => {
    const u = await enrolled();
    const later = new Date(at.getTime() + 5 * STEP);
    const code = totpCode(u.secret, later);
    const results = await Promise.all(
      Array.from({ length: 6 }, () => verifyTotp(u.id, code, later)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it("uses a recovery code once, in any case and spacing, and audits it without the code", async () => {
    const u = await enrolled();
    const code = u.recoveryCodes[3]!;
    expect(await redeemRecoveryCode(u.id, ` ${code.toUpperCase().replace(/-/g, " ")} `)).toBe(true);
    expect(await redeemRecoveryCode(u.id, code)).toBe(false);
    expect((await secondFactorState(u.id)).recoveryCodesLeft).toBe(9);
    const audit = await prisma.auditEvent.findMany({ where: { targetId: u.id } });
    expect(audit.map((a) => a.action)).toContain("second_factor.recovery_code");
    expect(JSON.stringify(audit)).not.toContain(normaliseRecoveryCode(code));
    // Another account's code is no use here.
    const other = await enrolled();
    expect(await redeemRecoveryCode(u.id, other.recoveryCodes[0]!)).toBe(false);
    expect(await redeemRecoveryCode(other.id, other.recoveryCodes[0]!)).toBe(true);
  });

  it("proveSecondFactor: required without a code, invalid with a wrong one", async () => {
    const u = await enrolled();
    await expect(proveSecondFactor(u.id, {})).rejects.toThrow(OtpRequiredError);
    await expect(proveSecondFactor(u.id, { otp: "  " })).rejects.toThrow(OtpRequiredError);
    await expect(proveSecondFactor(u.id, { otp: "000000" }, at)).rejects.toThrow(OtpInvalidError);
    await expect(proveSecondFactor(u.id, { recoveryCode: "nope" })).rejects.toThrow(
      OtpInvalidError,
    );
    const later = new Date(at.getTime() + 9 * STEP);
    expect(await proveSecondFactor(u.id, { otp: totpCode(u.secret, later) }, later)).toBe("otp");
    expect(await proveSecondFactor(u.id, { recoveryCode: u.recoveryCodes[0] })).toBe(
      "recovery_code",
    );
  });

  it("limits wrong attempts per account: ten, then 429 even for the right code", async () => {
    const u = await enrolled();
    const later = new Date(at.getTime() + 20 * STEP);
    const wrong = totpCode(u.secret, later) === "000000" ? "111111" : "000000";
    for (let i = 0; i < 10; i++) expect(await verifyTotp(u.id, wrong, later)).toBe(false);
    await expect(verifyTotp(u.id, totpCode(u.secret, later), later)).rejects.toThrow(
      RateLimitedError,
    );
    await expect(redeemRecoveryCode(u.id, u.recoveryCodes[0]!)).rejects.toThrow(RateLimitedError);
    // Another account is not affected.
    const other = await enrolled();
    expect(await verifyTotp(other.id, totpCode(other.secret, later), later)).toBe(true);
  });

  it("new recovery codes need a proved factor and replace the old ones", async () => {
    const u = await enrolled();
    const actor = (secondFactor: boolean): CurrentUser => ({
      id: u.id,
      email: u.email,
      name: null,
      role: "treasurer",
      locale: null,
      memberships: [],
      totpEnrolled: true,
      secondFactor,
    });
    await expect(regenerateRecoveryCodes(actor(false))).rejects.toMatchObject({
      status: 403,
      code: "second_factor_required",
    });
    const codes = await regenerateRecoveryCodes(actor(true));
    expect(await redeemRecoveryCode(u.id, u.recoveryCodes[0]!)).toBe(false);
    expect(await redeemRecoveryCode(u.id, codes[0]!)).toBe(true);
  });

  it("an admin with a proved factor resets someone's factor (audited); nobody else can", async () => {
    const u = await enrolled();
    const admin = await createUserRow({ role: "admin" });
    const as = (role: CurrentUser["role"], secondFactor: boolean, id = admin.id): CurrentUser => ({
      id,
      email: admin.email,
      name: null,
      role,
      locale: null,
      memberships: [],
      totpEnrolled: secondFactor,
      secondFactor,
    });
    await expect(resetSecondFactor(as("treasurer", true, "x"), u.id)).rejects.toMatchObject({
      status: 403,
    });
    await expect(resetSecondFactor(as("admin", false), u.id)).rejects.toMatchObject({
      code: "second_factor_required",
    });
    await expect(resetSecondFactor(as("admin", true, u.id), u.id)).rejects.toMatchObject({
      code: "self_action",
    });
    expect(await resetSecondFactor(as("admin", true), "no-such-user")).toBe(false);
    expect(await resetSecondFactor(as("admin", true), u.id)).toBe(true);
    expect(await secondFactorState(u.id)).toMatchObject({ enrolled: false, pending: false });
    expect(await prisma.recoveryCode.count({ where: { userId: u.id } })).toBe(0);
    const audit = await prisma.auditEvent.findFirst({
      where: { action: "second_factor.reset", targetId: u.id },
    });
    expect(audit?.actorUserId).toBe(admin.id);
  });
});
