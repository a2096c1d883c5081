// Who is making this request: a browser session or an API bearer token.
import { redirect } from "@remix-run/node";
import { randomToken, sha256 } from "./crypto.server";
import { prisma } from "./db.server";
import { unauthorized } from "./http.server";
import { verifyPassword } from "./password.server";
import { rateLimits } from "./rate-limit.server";
import { readSessionId } from "./session.server";

export type GlobalRole = "admin" | "treasurer" | "member";
/** "artist": linked to a tattoo artist of the festival; runs only that artist's schedule. */
export type FestivalRole = "organiser" | "door" | "artist";

export type CurrentUser = {
  id: string;
  email: string;
  name: string | null;
  role: GlobalRole;
  locale: string | null;
  memberships: { festivalId: string; role: FestivalRole }[];
  /** The account has a second factor (TOTP) enrolled. */
  totpEnrolled?: boolean;
  /** This session or token proved the second factor (money roles need it: permission "treasury"). */
  secondFactor?: boolean;
};

export const API_TOKEN_TTL_MS = 90 * 24 * 60 * 60 * 1000;

const userSelect = {
  id: true,
  email: true,
  name: true,
  role: true,
  locale: true,
  disabledAt: true,
  totpEnabledAt: true,
  memberships: { select: { festivalId: true, role: true } },
} as const;

type UserRow = {
  id: string;
  email: string;
  name: string | null;
  role: string;
  locale: string | null;
  disabledAt: Date | null;
  totpEnabledAt: Date | null;
  memberships: { festivalId: string; role: string }[];
};

function toCurrentUser(
  row: UserRow | null | undefined,
  secondFactorAt: Date | null = null,
): CurrentUser | null {
  if (!row || row.disabledAt) return null;
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role as GlobalRole,
    locale: row.locale,
    memberships: row.memberships.map((m) => ({
      festivalId: m.festivalId,
      role: m.role as FestivalRole,
    })),
    totpEnrolled: row.totpEnabledAt !== null,
    // Proved with the factor enrolled now (a factor reset makes older proofs worthless).
    secondFactor:
      row.totpEnabledAt !== null &&
      secondFactorAt !== null &&
      secondFactorAt.getTime() >= row.totpEnabledAt.getTime(),
  };
}

/** The signed-in user of a browser request, or null. */
export async function getSessionUser(request: Request): Promise<CurrentUser | null> {
  const sessionId = await readSessionId(request);
  if (!sessionId) return null;
  const session = await prisma.session.findUnique({
    where: { id: sessionId },
    select: { expiresAt: true, secondFactorAt: true, user: { select: userSelect } },
  });
  if (!session || session.expiresAt < new Date()) return null;
  return toCurrentUser(session.user, session.secondFactorAt);
}

/** The signed-in user, or a redirect to the sign-in page that comes back here. */
export async function requireSessionUser(request: Request): Promise<CurrentUser> {
  const user = await getSessionUser(request);
  if (user) return user;
  const url = new URL(request.url);
  throw redirect(`/login?${new URLSearchParams({ redirectTo: url.pathname + url.search })}`);
}

/** The user behind an API bearer token, or a 401 JSON error. */
export async function requireApiUser(request: Request): Promise<CurrentUser> {
  const header = request.headers.get("Authorization") ?? "";
  const match = /^Bearer\s+([A-Za-z0-9_-]{20,200})$/.exec(header.trim());
  if (!match?.[1]) throw unauthorized();
  const token = await prisma.apiToken.findUnique({
    where: { tokenHash: sha256(match[1]) },
    select: {
      id: true,
      expiresAt: true,
      revokedAt: true,
      lastUsedAt: true,
      secondFactorAt: true,
      user: { select: userSelect },
    },
  });
  if (!token || token.revokedAt || token.expiresAt < new Date())
    throw unauthorized("Invalid or expired token");
  const user = toCurrentUser(token.user, token.secondFactorAt);
  if (!user) throw unauthorized("Invalid or expired token");
  // Record use at most once a minute (cheap, and good enough for "last used").
  if (!token.lastUsedAt || Date.now() - token.lastUsedAt.getTime() > 60_000) {
    await prisma.apiToken.update({ where: { id: token.id }, data: { lastUsedAt: new Date() } });
  }
  return user;
}

/**
 * Check an email and password, with the sign-in rate limits (which throw
 * RateLimitedError). Returns the user id, or null for a wrong pair.
 */
export async function checkCredentials(email: string, password: string, address: string) {
  const normalised = email.trim().toLowerCase();
  await rateLimits.beforeSignIn(normalised, address);
  const user = await prisma.user.findUnique({
    where: { email: normalised },
    select: { id: true, passwordHash: true, disabledAt: true },
  });
  const ok = await verifyPassword(user?.passwordHash, password);
  if (!ok || !user || user.disabledAt) {
    await rateLimits.signInFailed(normalised, address);
    return null;
  }
  await rateLimits.accountProven(normalised, address);
  return user.id;
}

/**
 * Issue a bearer token. Only its hash is stored; the token itself is returned
 * once. `secondFactor`: the caller checked a one-time code with the password.
 */
export async function createApiToken(userId: string, name?: string, secondFactor = false) {
  const token = randomToken(32);
  await prisma.apiToken.create({
    data: {
      userId,
      tokenHash: sha256(token),
      name: name ?? null,
      secondFactorAt: secondFactor ? new Date() : null,
      expiresAt: new Date(Date.now() + API_TOKEN_TTL_MS),
    },
  });
  return token;
}

/** Revoke the token a request was made with. */
export async function revokeApiTokenOf(request: Request) {
  const header = request.headers.get("Authorization") ?? "";
  const token = header.replace(/^Bearer\s+/i, "").trim();
  if (!token) return false;
  const result = await prisma.apiToken.updateMany({
    where: { tokenHash: sha256(token), revokedAt: null },
    data: { revokedAt: new Date() },
  });
  return result.count > 0;
}
