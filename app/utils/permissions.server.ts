// The one permission check. Every loader and action that reads or changes
// anything private calls `requirePermission` (pages) through `requireUserWith`
// or `requireApiUserWith` (API).
//
// Global roles: admin (everything), treasurer (money across festivals, read-only
// festival view), member (only what festival memberships grant).
// Festival roles: organiser (runs the festival), door (scans at its door only),
// artist (a linked tattoo artist: runs their own schedule, flash and slots at the
// tattoo corner, and sees nothing else; which artist is theirs is checked by
// `artistScope` in app/models/tattoo-artist.server.ts).
import { requireApiUser, requireSessionUser, type CurrentUser } from "./auth.server";
import { redirect } from "@remix-run/node";
import { errorResponse, forbidden, notFound } from "./http.server";

export type Permission =
  | "festival:create"
  | "festival:view" // the organiser pages of one festival
  | "festival:edit"
  | "festival:publish"
  | "festival:team"
  | "festival:door"
  | "festival:money" // the festival's books: money page, ledger balances (organisers, treasurers)
  | "ledger:check" // the whole ledger's invariant check (treasurers)
  | "festival:tattoo" // the festival's tattoo artists, their flash and availability, tattoo settings (organisers)
  | "tattoo:artist" // one artist's own flash, availability and schedule (organisers; the linked artist for theirs)
  | "tattoo:corner" // the tattoo corner's board: done, no-show, walk-ins, cash (organisers, door staff, linked artists)
  | "festival:costs" // submit and follow the festival's costs (organisers; treasurers with a second factor)
  | "festival:allocation" // the festival's allocation rule: how its proceeds split between funds (organisers, treasurers)
  | "prisoners:manage" // the prisoner registry's public profiles (admins, treasurers)
  | "treasury" // recipients, payouts, fund balances, transfers, exchanges, allocating, approving and paying costs (treasurers and admins, with a second factor)
  | "users:manage"
  | "audit:read"
  | "festivals:overview" // every festival's totals by country and city (admins)
  | "emails:preview"; // every email template with sample data, and a test to oneself (organisers of some festival, admins)

type Decision = "allow" | "forbidden" | "not_found" | "second_factor";

/** Permissions that touch where money goes: they need a money role AND a proved second factor. */
const NEEDS_SECOND_FACTOR = new Set<Permission>(["treasury"]);

function festivalRole(user: CurrentUser, festivalId: string) {
  return user.memberships.find((m) => m.festivalId === festivalId)?.role ?? null;
}

/**
 * Decide. For festival permissions a user with no tie to the festival gets
 * "not_found" (its existence is not revealed); door staff get "forbidden" for
 * everything but the door.
 */
export function decide(user: CurrentUser, permission: Permission, festivalId?: string): Decision {
  if (NEEDS_SECOND_FACTOR.has(permission)) {
    if (user.role !== "admin" && user.role !== "treasurer") return "forbidden";
    return user.secondFactor === true ? "allow" : "second_factor";
  }
  if (user.role === "admin") return "allow";
  switch (permission) {
    case "prisoners:manage":
      return user.role === "treasurer" ? "allow" : "forbidden";
    case "users:manage":
    case "audit:read":
    case "festivals:overview":
      return "forbidden";
    case "ledger:check":
      return user.role === "treasurer" ? "allow" : "forbidden";
    case "festival:create":
    case "emails:preview":
      return user.memberships.some((m) => m.role === "organiser") ? "allow" : "forbidden";
    default: {
      if (!festivalId) return "forbidden";
      const role = festivalRole(user, festivalId);
      if (role === "organiser") return "allow";
      if (role === "door" && (permission === "festival:door" || permission === "tattoo:corner"))
        return "allow";
      if (role === "artist")
        return permission === "tattoo:artist" || permission === "tattoo:corner"
          ? "allow"
          : "forbidden";
      // Treasurers see every festival (read-only), so refusing them is a 403, not a 404.
      if (user.role === "treasurer") {
        if (permission === "festival:costs")
          return user.secondFactor === true ? "allow" : "second_factor";
        return permission === "festival:view" ||
          permission === "festival:money" ||
          permission === "festival:allocation"
          ? "allow"
          : "forbidden";
      }
      if (role === "door") return "forbidden";
      return "not_found";
    }
  }
}

export function can(user: CurrentUser, permission: Permission, festivalId?: string) {
  return decide(user, permission, festivalId) === "allow";
}

/** Throws a 404 or 403 JSON response unless allowed. */
export function requirePermission(user: CurrentUser, permission: Permission, festivalId?: string) {
  const decision = decide(user, permission, festivalId);
  if (decision === "not_found") throw notFound();
  if (decision === "forbidden") throw forbidden("You do not have permission to do this.");
  if (decision === "second_factor")
    throw errorResponse(
      403,
      "second_factor_required",
      user.totpEnrolled
        ? "Sign in with your one-time code (POST /api/v1/tokens with otp) to do this."
        : "Enrol a second factor (an authenticator app) before you touch money.",
    );
}

/** Where a page sends a money role that has not proved its second factor. */
export const SECOND_FACTOR_PAGE = "/account/security";

/** Page loaders/actions: signed-in user who holds the permission. */
export async function requireUserWith(
  request: Request,
  permission: Permission,
  festivalId?: string,
) {
  const user = await requireSessionUser(request);
  if (decide(user, permission, festivalId) === "second_factor") {
    const url = new URL(request.url);
    throw redirect(
      `${SECOND_FACTOR_PAGE}?${new URLSearchParams({ redirectTo: url.pathname + url.search })}`,
    );
  }
  requirePermission(user, permission, festivalId);
  return user;
}

/** API loaders/actions: bearer-token user who holds the permission. */
export async function requireApiUserWith(
  request: Request,
  permission: Permission,
  festivalId?: string,
) {
  const user = await requireApiUser(request);
  requirePermission(user, permission, festivalId);
  return user;
}

/** Festivals whose organiser pages the user may open (null = all). */
export function visibleFestivalIds(user: CurrentUser): string[] | null {
  if (user.role === "admin" || user.role === "treasurer") return null;
  return user.memberships.filter((m) => m.role === "organiser").map((m) => m.festivalId);
}
