// Money roles for tests: treasurers and admins with a second factor (TOTP)
// enrolled, their one-time codes, and their proofs for domain calls and HTTP.
import * as OTPAuth from "otpauth";
import type { CurrentUser, GlobalRole } from "~/utils/auth.server";
import { randomToken, sha256 } from "~/utils/crypto.server";
import { prisma } from "~/utils/db.server";
import { encrypt } from "~/utils/encryption.server";
import { Client } from "./app";
import { createUserRow, PASSWORD, uniqueEmail } from "./fixtures";

/** The TOTP parameters the app uses (RFC 6238 defaults: SHA-1, 6 digits, 30 s). */
export function totpFor(secret: string) {
  return new OTPAuth.TOTP({
    secret: OTPAuth.Secret.fromBase32(secret),
    algorithm: "SHA1",
    digits: 6,
    period: 30,
  });
}

/** The code an authenticator app would show now (or at `at`). */
export function totpCode(secret: string, at: Date = new Date()) {
  return totpFor(secret).generate({ timestamp: at.getTime() });
}

export type MoneyUser = {
  id: string;
  email: string;
  role: GlobalRole;
  /** Base32 TOTP secret, as an authenticator app would hold it. */
  secret: string;
  /** For domain calls: the user with the second factor proved. */
  actor: CurrentUser;
};

/**
 * A treasurer (or admin) with TOTP enrolled, written straight to the database
 * (sealed the way the app seals it: context "totp:<userId>").
 */
export async function createMoneyUser(
  options: { role?: "treasurer" | "admin"; email?: string; name?: string } = {},
): Promise<MoneyUser> {
  const role = options.role ?? "treasurer";
  const user = await createUserRow({
    role,
    email: options.email ?? uniqueEmail(role),
    ...(options.name ? { name: options.name } : {}),
  });
  const secret = new OTPAuth.Secret({ size: 20 }).base32;
  const enabledAt = new Date(Date.now() - 1000);
  await prisma.user.update({
    where: { id: user.id },
    data: { totpSecretSealed: encrypt(secret, `totp:${user.id}`), totpEnabledAt: enabledAt },
  });
  return {
    id: user.id,
    email: user.email,
    role,
    secret,
    actor: {
      id: user.id,
      email: user.email,
      name: user.name,
      role,
      locale: null,
      memberships: [],
      totpEnrolled: true,
      secondFactor: true,
    },
  };
}

/**
 * A bearer token that proved the second factor, written straight to the
 * database (for setting up; tests of the sign-in itself use POST /api/v1/tokens with otp).
 */
export async function moneyTokenDirect(userId: string): Promise<string> {
  const token = randomToken(32);
  await prisma.apiToken.create({
    data: {
      userId,
      tokenHash: sha256(token),
      expiresAt: new Date(Date.now() + 24 * 3600 * 1000),
      secondFactorAt: new Date(),
    },
  });
  return token;
}

/**
 * A code the app accepts now for this account. The app accepts each code once
 * (a step after the last one accepted, within ±1 step), so this is this step's
 * code, or the next step's when this one was used; when both were used it
 * waits for the clock (at most ~30 s). Also avoids the last second of a step.
 */
export async function freshTotpCode(user: { email: string; secret: string }): Promise<string> {
  const STEP = 30_000;
  for (;;) {
    const row = await prisma.user.findUniqueOrThrow({
      where: { email: user.email },
      select: { totpLastStep: true },
    });
    const now = Math.floor(Date.now() / STEP);
    const step = Math.max(now, (row.totpLastStep ?? -1) + 1);
    if (step <= now + 1 && Date.now() % STEP < STEP - 1500)
      return totpCode(user.secret, new Date(step * STEP + 1));
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** A token through the real endpoint, with the one-time code (safe to call repeatedly). */
export async function moneyToken(base: string, user: Pick<MoneyUser, "email" | "secret">) {
  const res = await new Client(base).api("POST", "/api/v1/tokens", {
    email: user.email,
    password: PASSWORD,
    otp: await freshTotpCode(user),
  });
  if (res.status !== 201)
    throw new Error(`token failed for ${user.email}: ${res.status} ${res.text}`);
  return res.json<{ token: string }>().token;
}

/**
 * A browser client signed in through the real pages, second step included:
 * password on /login, then the code on /account/security (a proved session,
 * so money pages let it in).
 */
export async function moneyBrowser(base: string, user: Pick<MoneyUser, "email" | "secret">) {
  const client = new Client(base);
  const login = await client.postForm("/login", {
    email: user.email,
    password: PASSWORD,
    redirectTo: "/admin",
  });
  if (login.status !== 302) throw new Error(`sign-in failed for ${user.email}: ${login.status}`);
  const step = await client.postForm("/account/security", {
    intent: "verify",
    code: await freshTotpCode(user),
    redirectTo: "/admin",
  });
  if (step.status !== 302 || step.location !== "/admin")
    throw new Error(
      `second step failed for ${user.email}: ${step.status} ${step.text.slice(0, 200)}`,
    );
  return client;
}
