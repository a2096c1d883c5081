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
import { forbidden, notFound } from "./http.server";

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
  | "users:manage"
  | "audit:read";

type Decision = "allow" | "forbidden" | "not_found";

function festivalRole(user: CurrentUser, festivalId: string) {
  return user.memberships.find((m) => m.festivalId === festivalId)?.role ?? null;
}

/**
 * Decide. For festival permissions a user with no tie to the festival gets
 * "not_found" (its existence is not revealed); door staff get "forbidden" for
 * everything but the door.
 */
export function decide(user: CurrentUser, permission: Permission, festivalId?: string): Decision {
  if (user.role === "admin") return "allow";
  switch (permission) {
    case "users:manage":
    case "audit:read":
      return "forbidden";
    case "ledger:check":
      return user.role === "treasurer" ? "allow" : "forbidden";
    case "festival:create":
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
      if (user.role === "treasurer")
        return permission === "festival:view" || permission === "festival:money"
          ? "allow"
          : "forbidden";
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
}

/** Page loaders/actions: signed-in user who holds the permission. */
export async function requireUserWith(
  request: Request,
  permission: Permission,
  festivalId?: string,
) {
  const user = await requireSessionUser(request);
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
