// The pure permission matrix: decide() for every kind of account, every
// permission, and the festival the question is about (its own, another, none).
import { describe, expect, it } from "vitest";
import type { CurrentUser, FestivalRole, GlobalRole } from "~/utils/auth.server";
import {
  can,
  decide,
  requirePermission,
  visibleFestivalIds,
  type Permission,
} from "~/utils/permissions.server";

const A = "festival-a";
const B = "festival-b";

function user(role: GlobalRole, memberships: [string, FestivalRole][] = []): CurrentUser {
  return {
    id: `${role}-${memberships.map(([f, r]) => `${f}:${r}`).join(",") || "none"}`,
    email: "someone@example.test",
    name: null,
    role,
    locale: null,
    memberships: memberships.map(([festivalId, r]) => ({ festivalId, role: r })),
  };
}

const actors = {
  admin: user("admin"),
  treasurer: user("treasurer"),
  organiserA: user("member", [[A, "organiser"]]),
  doorA: user("member", [[A, "door"]]),
  member: user("member"),
  // Mixed accounts: the strongest tie to the festival asked about wins.
  organiserAdoorB: user("member", [
    [A, "organiser"],
    [B, "door"],
  ]),
  treasurerOrganiserA: user("treasurer", [[A, "organiser"]]),
  treasurerDoorA: user("treasurer", [[A, "door"]]),
  adminDoorA: user("admin", [[A, "door"]]),
} satisfies Record<string, CurrentUser>;
type Actor = keyof typeof actors;

const FESTIVAL_PERMISSIONS = [
  "festival:view",
  "festival:edit",
  "festival:publish",
  "festival:team",
  "festival:door",
  "festival:money",
] as const satisfies readonly Permission[];
const GLOBAL_PERMISSIONS = [
  "festival:create",
  "users:manage",
  "audit:read",
  "ledger:check",
  "festivals:overview",
] as const satisfies readonly Permission[];

type D = "allow" | "forbidden" | "not_found";
type Row = Record<(typeof FESTIVAL_PERMISSIONS)[number], D>;
const all = (d: D): Row => ({
  "festival:view": d,
  "festival:edit": d,
  "festival:publish": d,
  "festival:team": d,
  "festival:door": d,
  "festival:money": d,
});
const doorOnly: Row = { ...all("forbidden"), "festival:door": "allow" };
// Treasurers see every festival and its books, and change nothing.
const treasurerView: Row = {
  ...all("forbidden"),
  "festival:view": "allow",
  "festival:money": "allow",
};

/** Expected decision for festival permissions, asked about festival A and about festival B. */
const festivalMatrix: Record<Actor, { A: Row; B: Row }> = {
  admin: { A: all("allow"), B: all("allow") },
  treasurer: { A: treasurerView, B: treasurerView },
  organiserA: { A: all("allow"), B: all("not_found") },
  doorA: { A: doorOnly, B: all("not_found") },
  member: { A: all("not_found"), B: all("not_found") },
  organiserAdoorB: { A: all("allow"), B: doorOnly },
  treasurerOrganiserA: { A: all("allow"), B: treasurerView },
  treasurerDoorA: { A: { ...treasurerView, "festival:door": "allow" }, B: treasurerView },
  adminDoorA: { A: all("allow"), B: all("allow") },
};

/** Expected decision for permissions that are not about one festival. */
const globalMatrix: Record<Actor, Record<(typeof GLOBAL_PERMISSIONS)[number], D>> = {
  admin: {
    "festival:create": "allow",
    "users:manage": "allow",
    "audit:read": "allow",
    "ledger:check": "allow",
    "festivals:overview": "allow",
  },
  treasurer: {
    "festival:create": "forbidden",
    "users:manage": "forbidden",
    "audit:read": "forbidden",
    "ledger:check": "allow",
    "festivals:overview": "forbidden",
  },
  organiserA: {
    "festival:create": "allow",
    "users:manage": "forbidden",
    "audit:read": "forbidden",
    "ledger:check": "forbidden",
    "festivals:overview": "forbidden",
  },
  doorA: {
    "festival:create": "forbidden",
    "users:manage": "forbidden",
    "audit:read": "forbidden",
    "ledger:check": "forbidden",
    "festivals:overview": "forbidden",
  },
  member: {
    "festival:create": "forbidden",
    "users:manage": "forbidden",
    "audit:read": "forbidden",
    "ledger:check": "forbidden",
    "festivals:overview": "forbidden",
  },
  organiserAdoorB: {
    "festival:create": "allow",
    "users:manage": "forbidden",
    "audit:read": "forbidden",
    "ledger:check": "forbidden",
    "festivals:overview": "forbidden",
  },
  treasurerOrganiserA: {
    "festival:create": "allow",
    "users:manage": "forbidden",
    "audit:read": "forbidden",
    "ledger:check": "allow",
    "festivals:overview": "forbidden",
  },
  treasurerDoorA: {
    "festival:create": "forbidden",
    "users:manage": "forbidden",
    "audit:read": "forbidden",
    "ledger:check": "allow",
    "festivals:overview": "forbidden",
  },
  adminDoorA: {
    "festival:create": "allow",
    "users:manage": "allow",
    "audit:read": "allow",
    "ledger:check": "allow",
    "festivals:overview": "allow",
  },
};

describe("decide(): festival permissions", () => {
  for (const actor of Object.keys(actors) as Actor[]) {
    for (const festival of ["A", "B"] as const) {
      for (const permission of FESTIVAL_PERMISSIONS) {
        const expected = festivalMatrix[actor][festival][permission];
        it(`${actor} ${permission} on festival ${festival} → ${expected}`, () => {
          expect(decide(actors[actor], permission, festival === "A" ? A : B)).toBe(expected);
          expect(can(actors[actor], permission, festival === "A" ? A : B)).toBe(
            expected === "allow",
          );
        });
      }
    }
  }
});

describe("decide(): permissions that are not about one festival", () => {
  for (const actor of Object.keys(actors) as Actor[]) {
    for (const permission of GLOBAL_PERMISSIONS) {
      const expected = globalMatrix[actor][permission];
      it(`${actor} ${permission} → ${expected}`, () => {
        expect(decide(actors[actor], permission)).toBe(expected);
        // A festival id does not change a global permission.
        expect(decide(actors[actor], permission, A)).toBe(expected);
        expect(decide(actors[actor], permission, B)).toBe(expected);
      });
    }
  }
});

describe("decide(): edge cases", () => {
  it("a festival permission asked without a festival is refused for everyone but admins", () => {
    for (const permission of FESTIVAL_PERMISSIONS) {
      expect(decide(actors.admin, permission)).toBe("allow");
      for (const actor of ["treasurer", "organiserA", "doorA", "member"] as const) {
        expect(decide(actors[actor], permission)).toBe("forbidden");
        expect(decide(actors[actor], permission, "")).toBe("forbidden");
      }
    }
  });

  it("an unknown festival id looks exactly like someone else's festival (no existence oracle)", () => {
    for (const actor of ["organiserA", "doorA", "member"] as const) {
      for (const permission of FESTIVAL_PERMISSIONS) {
        expect(decide(actors[actor], permission, "does-not-exist")).toBe(
          decide(actors[actor], permission, B),
        );
      }
    }
  });

  it("only global role 'admin' grants admin powers, not a membership role named alike", () => {
    const weird = {
      ...actors.member,
      memberships: [{ festivalId: A, role: "admin" as unknown as FestivalRole }],
    };
    expect(decide(weird, "users:manage")).toBe("forbidden");
    expect(decide(weird, "festival:create")).toBe("forbidden");
    for (const permission of FESTIVAL_PERMISSIONS)
      expect(decide(weird, permission, A)).not.toBe("allow");
  });
});

describe("requirePermission()", () => {
  async function thrown(fn: () => void) {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(Response);
      const res = e as Response;
      return {
        status: res.status,
        type: res.headers.get("content-type"),
        body: (await res.json()) as Record<string, unknown>,
      };
    }
    return null;
  }

  it("returns quietly when allowed", async () => {
    expect(await thrown(() => requirePermission(actors.organiserA, "festival:edit", A))).toBeNull();
    expect(await thrown(() => requirePermission(actors.admin, "users:manage"))).toBeNull();
  });

  it("throws a JSON 404 {error, message} for a festival the user has no tie to", async () => {
    const res = await thrown(() => requirePermission(actors.organiserA, "festival:view", B));
    expect(res?.status).toBe(404);
    expect(res?.type).toContain("application/json");
    expect(res?.body).toEqual({ error: "not_found", message: expect.any(String) });
  });

  it("throws a JSON 403 {error, message} when the tie is too weak", async () => {
    for (const [actor, permission, festival] of [
      [actors.doorA, "festival:view", A],
      [actors.treasurer, "festival:edit", B],
      [actors.member, "festival:create", undefined],
      [actors.organiserA, "audit:read", undefined],
    ] as const) {
      const res = await thrown(() => requirePermission(actor, permission, festival));
      expect(res?.status).toBe(403);
      expect(res?.type).toContain("application/json");
      expect(res?.body).toEqual({ error: "forbidden", message: expect.any(String) });
    }
  });
});

describe("visibleFestivalIds()", () => {
  it("admins and treasurers see all festivals; others only those they organise (not their doors)", () => {
    expect(visibleFestivalIds(actors.admin)).toBeNull();
    expect(visibleFestivalIds(actors.treasurer)).toBeNull();
    expect(visibleFestivalIds(actors.organiserA)).toEqual([A]);
    expect(visibleFestivalIds(actors.doorA)).toEqual([]);
    expect(visibleFestivalIds(actors.member)).toEqual([]);
    expect(visibleFestivalIds(actors.organiserAdoorB)).toEqual([A]);
  });
});
