// Browser sessions: a signed cookie holding a session id; the session row lives in
// the database so signing out (or an admin) can revoke it. Cookie is `__Host-`
// prefixed when served over HTTPS; plain-HTTP localhost gets an unprefixed cookie.
import { createCookie, createCookieSessionStorage, redirect } from "@remix-run/node";
import { prisma } from "./db.server";
import { getEnv } from "./env.server";

export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;

function isSecureRequest(request: Request) {
  const configured = getEnv().PUBLIC_URL;
  if (configured) return configured.startsWith("https://");
  return new URL(request.url).protocol === "https:";
}

type SessionData = { sessionId: string };
type Storage = ReturnType<typeof createCookieSessionStorage<SessionData>>;
const storages = new Map<boolean, Storage>();

function storageFor(request: Request): Storage {
  const secure = isSecureRequest(request);
  let storage = storages.get(secure);
  if (!storage) {
    storage = createCookieSessionStorage<SessionData>({
      cookie: {
        name: secure ? "__Host-session" : "festival_session",
        httpOnly: true,
        sameSite: "lax",
        path: "/",
        secure,
        secrets: getEnv().sessionSecrets,
        maxAge: SESSION_TTL_MS / 1000,
      },
    });
    storages.set(secure, storage);
  }
  return storage;
}

/** The session id from the request's cookie, or null. */
export async function readSessionId(request: Request): Promise<string | null> {
  const session = await storageFor(request).getSession(request.headers.get("Cookie"));
  const id = session.get("sessionId");
  return typeof id === "string" ? id : null;
}

/** Start a session for a user and redirect with the cookie set. */
export async function signIn(request: Request, userId: string, redirectTo: string) {
  const row = await prisma.session.create({
    data: { userId, expiresAt: new Date(Date.now() + SESSION_TTL_MS) },
  });
  const storage = storageFor(request);
  const session = await storage.getSession();
  session.set("sessionId", row.id);
  return redirect(safeRedirect(redirectTo), {
    headers: { "Set-Cookie": await storage.commitSession(session) },
  });
}

export async function signOut(request: Request, redirectTo = "/") {
  const id = await readSessionId(request);
  if (id) await prisma.session.deleteMany({ where: { id } });
  const storage = storageFor(request);
  const session = await storage.getSession(request.headers.get("Cookie"));
  return redirect(redirectTo, { headers: { "Set-Cookie": await storage.destroySession(session) } });
}

/**
 * Only same-site relative paths: never an open redirect. Only printable ASCII and
 * a sane length too (a Location header cannot carry CR/LF, NUL or non-Latin-1 text:
 * those made the redirect itself fail with a 500).
 */
export function safeRedirect(
  to: FormDataEntryValue | string | null | undefined,
  fallback = "/admin",
) {
  if (
    typeof to !== "string" ||
    !to.startsWith("/") ||
    to.startsWith("//") ||
    to.includes("\\") ||
    to.length > 2000 ||
    /[^\x20-\x7e]/.test(to)
  ) {
    return fallback;
  }
  return to;
}

/** Language preference cookie (a plain, non-secret cookie; one year). */
export const languageCookie = createCookie("lang", {
  path: "/",
  sameSite: "lax",
  httpOnly: true,
  maxAge: 365 * 24 * 60 * 60,
});
