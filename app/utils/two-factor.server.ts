// The second factor (decision 0035): TOTP (RFC 6238: SHA-1, 6 digits, 30 s,
// the parameters every authenticator app uses) with single-use recovery codes.
//
// - The secret is sealed with the envelope encryption, context "totp:<userId>"
//   (encryption.server.ts). Enrolment writes a new secret with totpEnabledAt
//   null ("pending"); a correct code confirms it (totpEnabledAt set) and issues
//   RECOVERY_CODE_COUNT recovery codes, shown once, stored as SHA-256 only.
// - A code is accepted within ±1 time step, and only once: the step it matched
//   must be after totpLastStep, and moving totpLastStep is one conditional
//   UPDATE, so two requests with the same code cannot both pass.
// - Attempts (codes and recovery codes together) are limited per account:
//   MAX_FAILURES wrong ones in FAILURE_WINDOW_SECONDS, then 429 until the
//   window passes. A success clears the count.
// - A session or API token that proved the factor carries secondFactorAt; it
//   counts only when it is not older than totpEnabledAt (auth.server.ts), so a
//   reset makes every earlier proof worthless.
import crypto from "node:crypto";
import * as OTPAuth from "otpauth";
import type { CurrentUser } from "./auth.server";
import { audit } from "./change.server";
import { sha256 } from "./crypto.server";
import { prisma, type TransactionClient } from "./db.server";
import { DomainError } from "./domain-error";
import { decryptString, encrypt } from "./encryption.server";
import { RateLimitedError } from "./rate-limit.server";
import { SharedLimiter } from "./rate-limit-store.server";

export const TOTP_ISSUER = "Solidarity festivals";
export const TOTP_PERIOD_SECONDS = 30;
export const RECOVERY_CODE_COUNT = 10;
const MAX_FAILURES = 10;
const FAILURE_WINDOW_SECONDS = 15 * 60;

/** The encryption context of a user's TOTP secret. */
export const totpContext = (userId: string) => `totp:${userId}`;

function totpOf(secret: string, label = "") {
  return new OTPAuth.TOTP({
    issuer: TOTP_ISSUER,
    label,
    secret: OTPAuth.Secret.fromBase32(secret),
    algorithm: "SHA1",
    digits: 6,
    period: TOTP_PERIOD_SECONDS,
  });
}

/** A new random secret (160 bits, as RFC 4226 recommends), base32 as apps take it. */
export function newTotpSecret(): string {
  return new OTPAuth.Secret({ size: 20 }).base32;
}

/** The otpauth:// address an authenticator app reads from the QR code. */
export function totpUri(secret: string, accountLabel: string): string {
  return totpOf(secret, accountLabel).toString();
}

/** The time step a code matches at `at`, or null (±1 step). Pure: no replay guard. */
export function matchingStep(secret: string, code: string, at: Date = new Date()): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totpOf(secret).validate({ token: code, timestamp: at.getTime(), window: 1 });
  if (delta === null) return null;
  return Math.floor(at.getTime() / 1000 / TOTP_PERIOD_SECONDS) + delta;
}

/** What people type: spaces and dashes dropped (apps show "123 456"). */
export function normaliseOtp(code: string): string {
  return code.replace(/[\s-]/g, "");
}

// ---------------------------------------------------------------- errors

/** The account has a second factor and the request brought no code (401). */
export class OtpRequiredError extends DomainError {
  constructor() {
    super(
      401,
      "otp_required",
      "This account has a second factor: send the one-time code from the authenticator app as `otp` (or a `recoveryCode`).",
    );
  }
}

/** The code (or recovery code) is wrong, expired or was used already (401). */
export class OtpInvalidError extends DomainError {
  constructor() {
    super(401, "otp_invalid", "The one-time code is wrong, expired or was already used.");
  }
}

// ---------------------------------------------------------------- rate limits

/** Shared by every app process (decision 0039): a second process is not a second budget. */
const failures = new SharedLimiter("second-factor-fails", MAX_FAILURES, FAILURE_WINDOW_SECONDS);

async function beforeAttempt(userId: string) {
  const res = await failures.get(userId);
  if (res && res.remainingPoints <= 0)
    throw new RateLimitedError(Math.max(1, Math.ceil(res.msBeforeNext / 1000)));
}

async function attemptFailed(userId: string) {
  await failures.add(userId);
}

async function attemptSucceeded(userId: string) {
  await failures.delete(userId);
}

// ---------------------------------------------------------------- recovery codes

const RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"; // no i, l, o, 0, 1

/** "k7qm-3rzp-x2ab": 12 characters, about 59 bits. */
function newRecoveryCode(): string {
  let out = "";
  for (let i = 0; i < 12; i++)
    out += RECOVERY_ALPHABET[crypto.randomInt(0, RECOVERY_ALPHABET.length)];
  return `${out.slice(0, 4)}-${out.slice(4, 8)}-${out.slice(8)}`;
}

/** The form a recovery code is hashed in: lower case, without spaces and dashes. */
export function normaliseRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, "");
}

const recoveryHash = (code: string) => sha256(`recovery:${normaliseRecoveryCode(code)}`);

/** Replace a user's recovery codes with new ones, inside `tx`; returns them (show once). */
async function issueRecoveryCodes(tx: TransactionClient, userId: string): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await tx.recoveryCode.deleteMany({ where: { userId } });
  await tx.recoveryCode.createMany({
    data: codes.map((code) => ({
      id: crypto.randomUUID(),
      userId,
      codeHash: recoveryHash(code),
    })),
  });
  return codes;
}

// ---------------------------------------------------------------- state

export type SecondFactorState = {
  /** A secret confirmed with a code. */
  enrolled: boolean;
  enabledAt: Date | null;
  /** A secret made by startEnrolment and not confirmed yet. */
  pending: boolean;
  recoveryCodesLeft: number;
};

export async function secondFactorState(userId: string): Promise<SecondFactorState> {
  const user = await prisma.user.findUniqueOrThrow({
    where: { id: userId },
    select: {
      totpSecretSealed: true,
      totpEnabledAt: true,
      _count: { select: { recoveryCodes: { where: { usedAt: null } } } },
    },
  });
  return {
    enrolled: user.totpEnabledAt !== null && user.totpSecretSealed !== null,
    enabledAt: user.totpEnabledAt,
    pending: user.totpEnabledAt === null && user.totpSecretSealed !== null,
    recoveryCodesLeft: user.totpEnabledAt ? user._count.recoveryCodes : 0,
  };
}

/** The account already has a confirmed second factor (409): only an admin can reset it. */
export class AlreadyEnrolledError extends DomainError {
  constructor() {
    super(
      409,
      "second_factor_enrolled",
      "This account already has a second factor; an administrator can reset it.",
    );
  }
}

export type Enrolment = { secret: string; uri: string };

/** Start (or start over) enrolment: a new pending secret, replacing an unconfirmed one. */
export async function startEnrolment(user: Pick<CurrentUser, "id" | "email">): Promise<Enrolment> {
  const secret = newTotpSecret();
  const { count } = await prisma.user.updateMany({
    where: { id: user.id, totpEnabledAt: null },
    data: { totpSecretSealed: encrypt(secret, totpContext(user.id)), totpLastStep: null },
  });
  if (count === 0) throw new AlreadyEnrolledError();
  return { secret, uri: totpUri(secret, user.email) };
}

/** The pending (unconfirmed) secret, for showing the QR code again; null when there is none. */
export async function pendingEnrolment(
  user: Pick<CurrentUser, "id" | "email">,
): Promise<Enrolment | null> {
  const row = await prisma.user.findUniqueOrThrow({
    where: { id: user.id },
    select: { totpSecretSealed: true, totpEnabledAt: true },
  });
  if (row.totpEnabledAt || !row.totpSecretSealed) return null;
  const secret = decryptString(row.totpSecretSealed, totpContext(user.id));
  return { secret, uri: totpUri(secret, user.email) };
}

/** No enrolment was started (409): start one first. */
export class NoPendingEnrolmentError extends DomainError {
  constructor() {
    super(409, "no_pending_enrolment", "Start setting up the authenticator app first.");
  }
}

/**
 * Confirm the pending secret with a code from the app: enables the factor,
 * marks `sessionId` (the session confirming it) as proved, and returns the
 * recovery codes — the only time they are shown.
 */
export async function confirmEnrolment(
  user: Pick<CurrentUser, "id">,
  code: string,
  options: { sessionId?: string | null; at?: Date } = {},
): Promise<{ recoveryCodes: string[] }> {
  const at = options.at ?? new Date();
  await beforeAttempt(user.id);
  const row = await prisma.user.findUniqueOrThrow({
    where: { id: user.id },
    select: { totpSecretSealed: true, totpEnabledAt: true },
  });
  if (row.totpEnabledAt) throw new AlreadyEnrolledError();
  if (!row.totpSecretSealed) throw new NoPendingEnrolmentError();
  const sealed = row.totpSecretSealed;
  const step = matchingStep(decryptString(sealed, totpContext(user.id)), normaliseOtp(code), at);
  if (step === null) {
    await attemptFailed(user.id);
    throw new OtpInvalidError();
  }
  const recoveryCodes = await prisma.$transaction(async (tx) => {
    // Only the secret that was shown, and only once (two tabs confirming: one wins).
    const { count } = await tx.user.updateMany({
      where: { id: user.id, totpEnabledAt: null, totpSecretSealed: sealed },
      data: { totpEnabledAt: at, totpLastStep: step },
    });
    if (count === 0) throw new NoPendingEnrolmentError();
    const codes = await issueRecoveryCodes(tx, user.id);
    if (options.sessionId)
      await tx.session.updateMany({
        where: { id: options.sessionId, userId: user.id },
        data: { secondFactorAt: at },
      });
    await audit(
      {
        actorUserId: user.id,
        action: "second_factor.enable",
        targetType: "user",
        targetId: user.id,
      },
      tx,
    );
    return codes;
  });
  await attemptSucceeded(user.id);
  return { recoveryCodes };
}

/**
 * Check a TOTP code of an enrolled account, once: true when it matches a step
 * after the last one accepted (and records that step), false otherwise.
 * Throws RateLimitedError past the failure limit.
 */
export async function verifyTotp(userId: string, code: string, at: Date = new Date()) {
  await beforeAttempt(userId);
  const row = await prisma.user.findUnique({
    where: { id: userId },
    select: { totpSecretSealed: true, totpEnabledAt: true },
  });
  if (!row?.totpEnabledAt || !row.totpSecretSealed) return false;
  const sealed = row.totpSecretSealed;
  const step = matchingStep(decryptString(sealed, totpContext(userId)), normaliseOtp(code), at);
  const accepted =
    step !== null &&
    (
      await prisma.user.updateMany({
        where: {
          id: userId,
          totpSecretSealed: sealed,
          totpEnabledAt: { not: null },
          OR: [{ totpLastStep: null }, { totpLastStep: { lt: step } }],
        },
        data: { totpLastStep: step },
      })
    ).count === 1;
  if (accepted) await attemptSucceeded(userId);
  else await attemptFailed(userId);
  return accepted;
}

/** Use a recovery code of an enrolled account: true once per code (audited), false otherwise. */
export async function redeemRecoveryCode(userId: string, code: string, at: Date = new Date()) {
  await beforeAttempt(userId);
  const normalised = normaliseRecoveryCode(code);
  let used = false;
  if (/^[a-z0-9]{12}$/.test(normalised)) {
    used = await prisma.$transaction(async (tx) => {
      const { count } = await tx.recoveryCode.updateMany({
        where: {
          userId,
          codeHash: recoveryHash(normalised),
          usedAt: null,
          user: { totpEnabledAt: { not: null } },
        },
        data: { usedAt: at },
      });
      if (count !== 1) return false;
      const left = await tx.recoveryCode.count({ where: { userId, usedAt: null } });
      await audit(
        {
          actorUserId: userId,
          action: "second_factor.recovery_code",
          targetType: "user",
          targetId: userId,
          details: { left },
        },
        tx,
      );
      return true;
    });
  }
  if (used) await attemptSucceeded(userId);
  else await attemptFailed(userId);
  return used;
}

/** A code or a recovery code, as a sign-in brings them (either may be missing). */
export type SecondFactorProof = { otp?: string | null; recoveryCode?: string | null };

/**
 * Prove the second factor of an enrolled account with a code or a recovery
 * code: OtpRequiredError without either, OtpInvalidError for a wrong one,
 * RateLimitedError past the limit. Returns which one was used.
 */
export async function proveSecondFactor(
  userId: string,
  proof: SecondFactorProof,
  at: Date = new Date(),
): Promise<"otp" | "recovery_code"> {
  const otp = proof.otp?.trim();
  const recovery = proof.recoveryCode?.trim();
  if (otp) {
    if (await verifyTotp(userId, otp, at)) return "otp";
    throw new OtpInvalidError();
  }
  if (recovery) {
    if (await redeemRecoveryCode(userId, recovery, at)) return "recovery_code";
    throw new OtpInvalidError();
  }
  throw new OtpRequiredError();
}

/** Whether the account has a confirmed second factor. */
export async function hasSecondFactor(userId: string): Promise<boolean> {
  const row = await prisma.user.findUnique({
    where: { id: userId },
    select: { totpEnabledAt: true },
  });
  return Boolean(row?.totpEnabledAt);
}

/** Record that a browser session proved the second factor (after proveSecondFactor). */
export async function markSessionProved(sessionId: string, userId: string, at: Date = new Date()) {
  await prisma.session.updateMany({
    where: { id: sessionId, userId },
    data: { secondFactorAt: at },
  });
}

/** Record that an API token proved the second factor (tokens are issued proved: createApiToken). */
export async function markTokenProved(tokenId: string, userId: string, at: Date = new Date()) {
  await prisma.apiToken.updateMany({
    where: { id: tokenId, userId },
    data: { secondFactorAt: at },
  });
}

/** Proof is needed for this (403 second_factor_required), e.g. to act on others' second factors. */
export class SecondFactorRequiredError extends DomainError {
  constructor(message = "Prove your own second factor (a one-time code) to do this.") {
    super(403, "second_factor_required", message);
  }
}

/**
 * New recovery codes for one's own account (the old ones stop working): only
 * from a session or token that proved the factor.
 */
export async function regenerateRecoveryCodes(actor: CurrentUser): Promise<string[]> {
  if (!actor.secondFactor) throw new SecondFactorRequiredError();
  return prisma.$transaction(async (tx) => {
    const codes = await issueRecoveryCodes(tx, actor.id);
    await audit(
      {
        actorUserId: actor.id,
        action: "second_factor.recovery_codes",
        targetType: "user",
        targetId: actor.id,
      },
      tx,
    );
    return codes;
  });
}

/**
 * An administrator resets someone's second factor (a lost phone): the secret,
 * recovery codes and every proof go; the person enrols again. Admins only,
 * with their own second factor proved; never one's own (ask another admin).
 * Returns false for an unknown account.
 */
export async function resetSecondFactor(actor: CurrentUser, userId: string): Promise<boolean> {
  if (actor.role !== "admin") throw DomainError.forbidden("Only administrators can do this.");
  if (actor.id === userId)
    throw new DomainError(400, "self_action", "You cannot do this to your own account here.");
  if (!(await prisma.user.count({ where: { id: userId } }))) return false;
  if (!actor.secondFactor) throw new SecondFactorRequiredError();
  return prisma.$transaction(async (tx) => {
    const { count } = await tx.user.updateMany({
      where: { id: userId },
      data: { totpSecretSealed: null, totpEnabledAt: null, totpLastStep: null },
    });
    if (count === 0) return false;
    await tx.recoveryCode.deleteMany({ where: { userId } });
    await tx.session.updateMany({ where: { userId }, data: { secondFactorAt: null } });
    await tx.apiToken.updateMany({ where: { userId }, data: { secondFactorAt: null } });
    await audit(
      {
        actorUserId: actor.id,
        action: "second_factor.reset",
        targetType: "user",
        targetId: userId,
      },
      tx,
    );
    return true;
  });
}

/**
 * For account creation (POST /api/v1/users): enrol a new account at once,
 * inside the creating transaction. Returns the base32 secret (give it once).
 */
export async function enrolAtCreation(
  tx: TransactionClient,
  userId: string,
  at: Date = new Date(),
): Promise<string> {
  const secret = newTotpSecret();
  await tx.user.update({
    where: { id: userId },
    data: { totpSecretSealed: encrypt(secret, totpContext(userId)), totpEnabledAt: at },
  });
  return secret;
}
