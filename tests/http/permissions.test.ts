// Who may read and change what, over HTTP, for every route of the app.
//
// ROUTES below classifies every route file (public, signed-in, festival-create,
// admin-only, festival-scoped, dev-only) and lists the calls that reach its
// loader and action: document GETs, single-fetch `.data` GETs that run one
// loader alone, each form intent, each API method. The first test checks the
// table against app/routes/ and against the built app's route manifest, so a
// route added without a row here fails the suite.
//
// Every call is made as each actor: admin, treasurer, organiser of A,
// organiser of B, door staff of A, a member with no festival, anonymous.
// Festival-scoped calls aim at festival B (a draft run by organiser B), and door
// staff of A also try A's organiser pages. Denied writes must leave the database
// as it was; no response to anyone without a tie to B may contain B's name,
// programme or team; API errors are JSON {error, message}, never HTML.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { root } from "../../scripts/lib.js";
import { Client, startTestApp, type HttpResponse, type TestApp } from "../helpers/app";
import {
  addMember,
  apiToken,
  createFestivalRow,
  createUserRow,
  festivalBody,
  signedInClient,
  uniqueEmail,
} from "../helpers/fixtures";
import sharp from "sharp";
import { prisma, sqlClient, sqlDate } from "~/utils/db.server";
import { addAvailability, availabilityInput } from "~/models/tattoo-slot.server";

// ------------------------------------------------------------------ actors and festivals

const ACTORS = [
  "admin",
  "treasurer",
  "organiserA",
  "organiserB",
  "doorA",
  "member",
  "anonymous",
] as const;
type ActorName = (typeof ACTORS)[number];
/** The only actors that may ever see festival B's private details. */
const MAY_SEE_B: readonly ActorName[] = ["admin", "treasurer", "organiserB"];

type Target = {
  label: "A" | "B" | "fresh" | "unknown";
  id: string;
  slug: string;
  name: string;
  itemId: string;
  itemTitle: string;
  doorUserId: string;
  doorEmail: string;
  /** Emails of pending invitations to the team. */
  invitees: string[];
  /** A ticket type and a confirmed pay-at-the-door order for one of its tickets. */
  ticketTypeId: string;
  ticketTypeName: string;
  /** A quota (shared capacity) of the festival. */
  quotaId: string;
  orderId: string;
  /** The tattoo artist's one availability window (its slots free). */
  availabilityId: string;
  buyerName: string;
  buyerEmail: string;
  /** A tattoo artist of the festival (named after it), one portfolio picture and one flash design. */
  artistId: string;
  artistName: string;
  imageId: string;
  flashId: string;
  /** The tattoo corner's rows: bookings for each action, free slots for walk-ins. */
  corner: TattooRows;
};
type TattooRows = {
  doneId: string;
  pageDoneId: string;
  noShowId: string;
  collectId: string;
  /** A no-show still holding its slot. */
  releaseId: string;
  apiWalkInSlotId: string;
  pageWalkInSlotId: string;
};
type Ctx = {
  A: Target;
  B: Target;
  bystanderEmail: string;
  prisonerId: string;
  /** The treasurer actor's account id (cash handovers name a treasurer). */
  treasurerId: string;
};

// ------------------------------------------------------------------ the route table

/**
 * page: a document request with the session cookie; data: a single-fetch `.data`
 * request; download: a file (CSV) with the session cookie, refused with a JSON
 * error like the API; api: bearer token.
 */
type Kind = "page" | "data" | "download" | "api";
type FestivalPermission =
  "view" | "edit" | "publish" | "team" | "door" | "money" | "tattoo" | "corner" | "allocation";
type Access =
  /** Same answer whatever the account; `status` says which. */
  | { type: "public"; status: (actor: ActorName) => number }
  | { type: "signed-in" }
  /** festival:create — admins and organisers of any festival. */
  | { type: "create" }
  | { type: "admin" }
  /** ledger:check — treasurers and admins (the whole ledger, every festival). */
  | { type: "treasurer" }
  | { type: "festival"; permission: FestivalPermission }
  | { type: "dev-only" }
  /** treasury — money roles with a proved second factor (nobody here has proved one). */
  | { type: "money" };

type Call = {
  label: string;
  kind: Kind;
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  path: (t: Target, ctx: Ctx) => string;
  form?: (t: Target, ctx: Ctx) => Record<string, string | string[]>;
  json?: (t: Target, ctx: Ctx) => unknown;
  /** A multipart body (an upload), sent instead of `form` or `json`. */
  multipart?: (t: Target, ctx: Ctx) => FormData;
  access: Access;
  /** Status when allowed (default 200). */
  okStatus?: number;
  /** Whether an allowed call changes the database (default: any non-GET). */
  changes?: boolean;
  /** Status of the fresh festival an allowed write runs against (default draft). */
  freshStatus?: "draft" | "published";
  /** Limit the call to some actors (e.g. signing out only as a throwaway visitor). */
  only?: ActorName[];
};

type Category =
  | "public"
  | "signed-in"
  | "festival-create"
  | "admin-only"
  | "treasurer-only"
  | "festival-scoped"
  | "dev-only"
  | "money-only"
  /**
   * Money routes (festival costs): treasury, or festival:costs, which a
   * treasurer holds only with a proved second factor. The actors here prove
   * none, so their calls are refused to the treasurer (and treasury to the
   * admin too); the allowed side is tested in tests/http/costs.test.ts.
   */
  | "money";
type RouteRow = { category: Category; calls: Call[] };

const pub = (status: number | ((actor: ActorName) => number)): Access => ({
  type: "public",
  status: typeof status === "number" ? () => status : status,
});
const fest = (permission: FestivalPermission): Access => ({ type: "festival", permission });
const data = (pathname: string, routeId: string, index = false) =>
  `${pathname}.data?${index ? "index&" : ""}_routes=${encodeURIComponent(routeId)}`;

let formCounter = 0;
function festivalForm(name: string): Record<string, string | string[]> {
  return {
    name,
    city: "Vilnius",
    country: "LT",
    venueName: "Changed hall",
    venueAddress: "Changed street 9",
    mapUrl: "",
    timezone: "Europe/Vilnius",
    currency: "EUR",
    // The festivals' own day: their programme items must stay within the dates (issue 13).
    startsAt: "2030-01-26T15:00",
    endsAt: "2030-01-26T23:00",
    languages: ["en"],
    "description.en": "Changed.",
    paymentMethods: ["door"],
  };
}
const changedName = () => `Changed name ${++formCounter}`;

const ROUTES: Record<string, RouteRow> = {
  // ---------------------------------------------------------------- public
  "routes/_index": {
    category: "public",
    calls: [{ label: "GET /", kind: "page", method: "GET", path: () => "/", access: pub(200) }],
  },
  "routes/festivals.$slug": {
    category: "public",
    calls: [
      {
        label: "GET /festivals/:slug (published A)",
        kind: "page",
        method: "GET",
        path: (_t, c) => `/festivals/${c.A.slug}`,
        access: pub(200),
      },
      // A draft has no public page, whoever asks (organisers use /admin).
      {
        label: "GET /festivals/:slug (draft B)",
        kind: "page",
        method: "GET",
        path: (_t, c) => `/festivals/${c.B.slug}`,
        access: pub(404),
      },
      {
        label: "GET /festivals/:slug.data (draft B)",
        kind: "data",
        method: "GET",
        path: (_t, c) => data(`/festivals/${c.B.slug}`, "routes/festivals.$slug"),
        access: pub(404),
      },
      // The checkout form: a draft sells nothing, whoever asks.
      {
        label: "POST /festivals/:slug checkout (draft B)",
        kind: "page",
        method: "POST",
        path: (_t, c) => `/festivals/${c.B.slug}`,
        form: (_t, c) => ({
          [`qty.${c.B.ticketTypeId}`]: "1",
          email: "buyer@example.test",
          paymentMethod: "door",
        }),
        access: pub(404),
      },
      {
        label: "POST /festivals/:slug checkout (published A, nothing chosen)",
        kind: "page",
        method: "POST",
        path: (_t, c) => `/festivals/${c.A.slug}`,
        form: () => ({ email: "buyer@example.test", paymentMethod: "door" }),
        access: pub(400),
      },
    ],
  },
  "routes/login": {
    category: "public",
    calls: [
      {
        label: "GET /login",
        kind: "page",
        method: "GET",
        path: () => "/login",
        access: pub((a) => (a === "anonymous" ? 200 : 302)),
      },
      {
        label: "POST /login (wrong password)",
        kind: "page",
        method: "POST",
        path: () => "/login",
        form: (_t, c) => ({
          email: c.bystanderEmail,
          password: "not the password",
          redirectTo: "/admin",
        }),
        access: pub(401),
        only: ["anonymous"],
      },
    ],
  },
  "routes/logout": {
    category: "public",
    calls: [
      {
        label: "GET /logout",
        kind: "page",
        method: "GET",
        path: () => "/logout",
        access: pub(302),
      },
      {
        label: "POST /logout",
        kind: "page",
        method: "POST",
        path: () => "/logout",
        form: () => ({}),
        access: pub(302),
        only: ["anonymous"],
      },
    ],
  },
  "routes/forgot-password": {
    category: "public",
    calls: [
      {
        label: "GET /forgot-password",
        kind: "page",
        method: "GET",
        path: () => "/forgot-password",
        access: pub(200),
      },
      {
        // Same answer for an unknown account, and nothing stored.
        label: "POST /forgot-password (unknown account)",
        kind: "page",
        method: "POST",
        path: () => "/forgot-password",
        form: () => ({ email: "nobody-here@example.test" }),
        access: pub(302),
        only: ["anonymous"],
      },
    ],
  },
  "routes/reset-password.$token": {
    category: "public",
    calls: [
      {
        label: "GET /reset-password/:token (unknown)",
        kind: "page",
        method: "GET",
        path: () => "/reset-password/not-a-real-reset-token-0123456789abcdefghijk",
        access: pub(404),
      },
      {
        label: "POST /reset-password/:token (unknown)",
        kind: "page",
        method: "POST",
        path: () => "/reset-password/not-a-real-reset-token-0123456789abcdefghijk",
        form: () => ({ password: "long enough password 123" }),
        access: pub(400),
        only: ["anonymous"],
      },
    ],
  },
  "routes/invite.$token": {
    category: "public",
    calls: [
      {
        label: "GET /invite/:token (unknown)",
        kind: "page",
        method: "GET",
        path: () => "/invite/not-a-real-invitation-token",
        access: pub(404),
      },
      {
        label: "POST /invite/:token (unknown)",
        kind: "page",
        method: "POST",
        path: () => "/invite/not-a-real-invitation-token",
        form: () => ({ name: "Intruder", password: "long enough password 123" }),
        access: pub(404),
      },
      {
        label: "POST /invite/:token intent=accept (unknown)",
        kind: "page",
        method: "POST",
        path: () => "/invite/not-a-real-invitation-token",
        form: () => ({ intent: "accept" }),
        access: pub(404),
      },
    ],
  },
  "routes/set-language": {
    category: "public",
    calls: [
      {
        label: "GET /set-language",
        kind: "page",
        method: "GET",
        path: () => "/set-language",
        access: pub(302),
      },
      {
        // Only as a visitor: it sets a language cookie on the client.
        label: "POST /set-language",
        kind: "page",
        method: "POST",
        path: () => "/set-language",
        form: () => ({ lang: "ru", redirectTo: "/" }),
        access: pub(302),
        only: ["anonymous"],
      },
    ],
  },
  "routes/healthz": {
    category: "public",
    calls: [
      {
        label: "GET /healthz",
        kind: "api",
        method: "GET",
        path: () => "/healthz",
        access: pub(200),
      },
    ],
  },
  // Prometheus metrics: without METRICS_TOKEN (as here) the route is not there for anyone.
  "routes/metrics": {
    category: "public",
    calls: [
      {
        label: "GET /metrics (no METRICS_TOKEN)",
        kind: "api",
        method: "GET",
        path: () => "/metrics",
        access: pub(404),
      },
    ],
  },
  "routes/$": {
    category: "public",
    calls: [
      {
        label: "GET /no/such/page",
        kind: "page",
        method: "GET",
        path: () => "/no/such/page",
        access: pub(404),
      },
      {
        label: "GET /admin/festivals/:id/no-such-page",
        kind: "page",
        method: "GET",
        path: (_t, c) => `/admin/festivals/${c.B.id}/no-such-page`,
        access: pub(404),
      },
      {
        label: "POST /no/such/page",
        kind: "page",
        method: "POST",
        path: () => "/no/such/page",
        form: () => ({ x: "1" }),
        access: pub(404),
      },
    ],
  },
  "routes/api.$": {
    category: "public",
    calls: [
      {
        label: "GET /api/v1/no-such-endpoint",
        kind: "api",
        method: "GET",
        path: () => "/api/v1/no-such-endpoint",
        access: pub(404),
      },
      {
        label: "GET /api/v1/festivals/:id/members/:userId",
        kind: "api",
        method: "GET",
        path: (_t, c) => `/api/v1/festivals/${c.B.id}/members/${c.B.doorUserId}`,
        access: pub(404),
      },
      {
        label: "POST /api/v1/no-such-endpoint",
        kind: "api",
        method: "POST",
        path: () => "/api/v1/no-such-endpoint",
        json: () => ({}),
        access: pub(404),
      },
    ],
  },
  "routes/api.v1.tokens": {
    category: "public",
    calls: [
      {
        label: "GET /api/v1/tokens",
        kind: "api",
        method: "GET",
        path: () => "/api/v1/tokens",
        access: pub(405),
      },
      {
        label: "POST /api/v1/tokens (wrong password)",
        kind: "api",
        method: "POST",
        path: () => "/api/v1/tokens",
        json: (_t, c) => ({ email: c.bystanderEmail, password: "not the password" }),
        access: pub(401),
        only: ["anonymous"],
      },
      // DELETE revokes the token it carries; only the anonymous call (no token) is safe to repeat.
      {
        label: "DELETE /api/v1/tokens (no token)",
        kind: "api",
        method: "DELETE",
        path: () => "/api/v1/tokens",
        access: pub(401),
        only: ["anonymous"],
      },
    ],
  },
  "routes/api.v1.festivals._index": {
    category: "festival-create",
    calls: [
      {
        label: "GET /api/v1/festivals",
        kind: "api",
        method: "GET",
        path: () => "/api/v1/festivals",
        access: pub(200),
      },
      {
        label: "POST /api/v1/festivals",
        kind: "api",
        method: "POST",
        path: () => "/api/v1/festivals",
        json: () => festivalBody({ name: changedName() }),
        access: { type: "create" },
        okStatus: 201,
      },
      {
        label: "PUT /api/v1/festivals",
        kind: "api",
        method: "PUT",
        path: () => "/api/v1/festivals",
        json: () => ({}),
        access: pub(405),
      },
    ],
  },
  // ---------------------------------------------------------------- development only
  "routes/dev.mail": {
    category: "dev-only",
    calls: [
      {
        label: "GET /dev/mail",
        kind: "page",
        method: "GET",
        path: () => "/dev/mail",
        access: { type: "dev-only" },
      },
      {
        label: "GET /dev/mail.data",
        kind: "data",
        method: "GET",
        path: () => data("/dev/mail", "routes/dev.mail"),
        access: { type: "dev-only" },
      },
    ],
  },
  "routes/dev.mail.preview": {
    category: "dev-only",
    calls: [
      {
        label: "GET /dev/mail/preview",
        kind: "download",
        method: "GET",
        path: () => "/dev/mail/preview?file=none.eml",
        access: { type: "dev-only" },
      },
    ],
  },
  // ---------------------------------------------------------------- any signed-in account
  "routes/admin": {
    category: "signed-in",
    calls: [
      {
        label: "GET /admin",
        kind: "page",
        method: "GET",
        path: () => "/admin",
        access: { type: "signed-in" },
      },
      {
        label: "GET /admin.data (layout)",
        kind: "data",
        method: "GET",
        path: () => data("/admin", "routes/admin", true),
        access: { type: "signed-in" },
      },
    ],
  },
  "routes/admin._index": {
    category: "signed-in",
    calls: [
      {
        label: "GET /admin (dashboard)",
        kind: "page",
        method: "GET",
        path: () => "/admin",
        access: { type: "signed-in" },
      },
      {
        label: "GET /admin.data (dashboard)",
        kind: "data",
        method: "GET",
        path: () => data("/admin", "routes/admin._index", true),
        access: { type: "signed-in" },
      },
    ],
  },
  "routes/account": {
    category: "signed-in",
    calls: [
      {
        label: "GET /account",
        kind: "page",
        method: "GET",
        path: () => "/account",
        access: { type: "signed-in" },
      },
      {
        label: "GET /account.data",
        kind: "data",
        method: "GET",
        path: () => data("/account", "routes/account"),
        access: { type: "signed-in" },
      },
      {
        // One's own profile only: the form has no field naming another account.
        label: "POST /account intent=profile",
        kind: "page",
        method: "POST",
        path: () => "/account",
        form: () => ({ intent: "profile", name: changedName() }),
        access: { type: "signed-in" },
      },
      {
        label: "POST /account intent=password (wrong current password)",
        kind: "page",
        method: "POST",
        path: () => "/account",
        form: () => ({
          intent: "password",
          currentPassword: "not the password",
          password: "another long password 456",
        }),
        access: { type: "signed-in" },
        okStatus: 400,
        changes: false,
      },
      {
        label: "POST /account intent=(unknown)",
        kind: "page",
        method: "POST",
        path: () => "/account",
        form: () => ({ intent: "make-me-admin", role: "admin" }),
        access: { type: "signed-in" },
        okStatus: 400,
        changes: false,
      },
    ],
  },
  // ---------------------------------------------------------------- festival:create
  "routes/admin.festivals.new": {
    category: "festival-create",
    calls: [
      {
        label: "GET /admin/festivals/new",
        kind: "page",
        method: "GET",
        path: () => "/admin/festivals/new",
        access: { type: "create" },
      },
      {
        label: "GET /admin/festivals/new.data",
        kind: "data",
        method: "GET",
        path: () => data("/admin/festivals/new", "routes/admin.festivals.new"),
        access: { type: "create" },
      },
      {
        label: "POST /admin/festivals/new",
        kind: "page",
        method: "POST",
        path: () => "/admin/festivals/new",
        form: () => festivalForm(changedName()),
        access: { type: "create" },
        okStatus: 302,
      },
    ],
  },
  // Email previews and a test to oneself (decision 0049): the same people as festival:create.
  "routes/admin.emails": {
    category: "festival-create",
    calls: [
      {
        label: "GET /admin/emails",
        kind: "page",
        method: "GET",
        path: () => "/admin/emails?template=order-confirmation&lang=en",
        access: { type: "create" },
      },
      {
        label: "GET /admin/emails.data",
        kind: "data",
        method: "GET",
        path: () => data("/admin/emails", "routes/admin.emails"),
        access: { type: "create" },
      },
      {
        // Queues a test to the caller's own address, with its audit row.
        label: "POST /admin/emails intent=test",
        kind: "page",
        method: "POST",
        path: () => "/admin/emails",
        form: () => ({ intent: "test", template: "password-reset", lang: "en" }),
        access: { type: "create" },
      },
    ],
  },
  "routes/admin.emails.preview": {
    category: "festival-create",
    calls: [
      {
        label: "GET /admin/emails/preview",
        kind: "download",
        method: "GET",
        path: () => "/admin/emails/preview?template=order-confirmation&lang=en",
        access: { type: "create" },
      },
    ],
  },
  // ---------------------------------------------------------------- admin only
  "routes/admin.users": {
    category: "admin-only",
    calls: [
      {
        label: "GET /admin/users",
        kind: "page",
        method: "GET",
        path: () => "/admin/users",
        access: { type: "admin" },
      },
      {
        label: "GET /admin/users.data",
        kind: "data",
        method: "GET",
        path: () => data("/admin/users", "routes/admin.users"),
        access: { type: "admin" },
      },
      {
        label: "POST /admin/users (create an admin)",
        kind: "page",
        method: "POST",
        path: () => "/admin/users",
        form: () => ({ email: uniqueEmail("made-by-form"), name: "New admin", role: "admin" }),
        access: { type: "admin" },
      },
      {
        label: "POST /admin/users intent=disable (unknown account)",
        kind: "page",
        method: "POST",
        path: () => "/admin/users",
        form: () => ({ intent: "disable", userId: "nobody" }),
        access: { type: "admin" },
        changes: false,
      },
      {
        label: "POST /admin/users intent=delete confirm=yes (unknown account)",
        kind: "page",
        method: "POST",
        path: () => "/admin/users",
        form: () => ({ intent: "delete", userId: "nobody", confirm: "yes" }),
        access: { type: "admin" },
        changes: false,
      },
    ],
  },
  "routes/admin.audit": {
    category: "admin-only",
    calls: [
      {
        label: "GET /admin/audit",
        kind: "page",
        method: "GET",
        path: () => "/admin/audit",
        access: { type: "admin" },
      },
      {
        label: "GET /admin/audit.data",
        kind: "data",
        method: "GET",
        path: () => data("/admin/audit", "routes/admin.audit"),
        access: { type: "admin" },
      },
    ],
  },
  "routes/admin.overview": {
    category: "admin-only",
    calls: [
      {
        label: "GET /admin/overview",
        kind: "page",
        method: "GET",
        path: () => "/admin/overview",
        access: { type: "admin" },
      },
      {
        label: "GET /admin/overview.data",
        kind: "data",
        method: "GET",
        path: () => data("/admin/overview", "routes/admin.overview"),
        access: { type: "admin" },
      },
    ],
  },
  "routes/admin.privacy": {
    category: "admin-only",
    calls: [
      {
        label: "GET /admin/privacy",
        kind: "page",
        method: "GET",
        path: () => "/admin/privacy",
        access: { type: "admin" },
      },
      {
        label: "GET /admin/privacy.data",
        kind: "data",
        method: "GET",
        path: () => data("/admin/privacy", "routes/admin.privacy"),
        access: { type: "admin" },
      },
      {
        // Erasing an address nobody used changes nothing but the audit log.
        label: "POST /admin/privacy (erase an address)",
        kind: "page",
        method: "POST",
        path: () => "/admin/privacy",
        form: () => ({ intent: "erase", email: uniqueEmail("nobody"), confirm: "yes" }),
        access: { type: "admin" },
        changes: false,
      },
    ],
  },
  "routes/admin.privacy[.]json": {
    category: "admin-only",
    calls: [
      {
        label: "GET /admin/privacy.json",
        kind: "api",
        method: "GET",
        path: () => "/admin/privacy.json",
        access: pub(405),
      },
      {
        label: "POST /admin/privacy.json (export an address)",
        kind: "download",
        method: "POST",
        path: () => "/admin/privacy.json",
        form: (_t, ctx) => ({ email: ctx.bystanderEmail }),
        access: { type: "admin" },
        changes: false,
      },
    ],
  },
  "routes/api.v1.users": {
    category: "admin-only",
    calls: [
      {
        label: "GET /api/v1/users",
        kind: "api",
        method: "GET",
        path: () => "/api/v1/users",
        access: pub(405),
      },
      {
        label: "POST /api/v1/users (create an admin)",
        kind: "api",
        method: "POST",
        path: () => "/api/v1/users",
        json: () => ({ email: uniqueEmail("made-by-api"), role: "admin" }),
        access: { type: "admin" },
        okStatus: 201,
      },
    ],
  },
  // ---------------------------------------------------------------- one festival's organiser pages
  "routes/admin.festivals.$id": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /admin/festivals/:id",
        kind: "page",
        method: "GET",
        path: (t) => `/admin/festivals/${t.id}`,
        access: fest("view"),
      },
      {
        label: "GET /admin/festivals/:id.data (layout)",
        kind: "data",
        method: "GET",
        path: (t) => data(`/admin/festivals/${t.id}`, "routes/admin.festivals.$id"),
        access: fest("view"),
      },
    ],
  },
  "routes/admin.festivals.$id._index": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /admin/festivals/:id (details)",
        kind: "page",
        method: "GET",
        path: (t) => `/admin/festivals/${t.id}`,
        access: fest("view"),
      },
      {
        label: "GET /admin/festivals/:id.data (details)",
        kind: "data",
        method: "GET",
        path: (t) => data(`/admin/festivals/${t.id}`, "routes/admin.festivals.$id._index", true),
        access: fest("view"),
      },
      {
        label: "POST intent=save",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}?index`,
        form: () => ({ intent: "save", ...festivalForm(changedName()) }),
        access: fest("edit"),
      },
      {
        label: "POST intent=publish",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}?index`,
        form: () => ({ intent: "publish" }),
        access: fest("publish"),
      },
      {
        label: "POST intent=unpublish",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}?index`,
        form: () => ({ intent: "unpublish" }),
        access: fest("publish"),
        freshStatus: "published",
      },
      {
        label: "POST intent=cancel",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}?index`,
        form: () => ({ intent: "cancel", confirm: "yes" }),
        access: fest("publish"),
      },
      {
        label: "POST intent=(unknown)",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}?index`,
        form: () => ({ intent: "delete-everything" }),
        access: fest("publish"),
        okStatus: 400,
        changes: false,
      },
    ],
  },
  "routes/admin.festivals.$id.programme": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /admin/festivals/:id/programme",
        kind: "page",
        method: "GET",
        path: (t) => `/admin/festivals/${t.id}/programme`,
        access: fest("view"),
      },
      {
        label: "GET /admin/festivals/:id/programme.data",
        kind: "data",
        method: "GET",
        path: (t) =>
          data(`/admin/festivals/${t.id}/programme`, "routes/admin.festivals.$id.programme"),
        access: fest("view"),
      },
      {
        label: "POST programme intent=add",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/programme`,
        form: () => ({
          intent: "add",
          title: "Injected talk",
          person: "",
          kind: "talk",
          startsAt: "2030-01-26T16:00",
          endsAt: "",
        }),
        access: fest("edit"),
      },
      {
        label: "POST programme intent=remove",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/programme`,
        form: (t) => ({ intent: "remove", itemId: t.itemId }),
        access: fest("edit"),
      },
    ],
  },
  "routes/admin.festivals.$id.clone": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /admin/festivals/:id/clone",
        kind: "page",
        method: "GET",
        path: (t) => `/admin/festivals/${t.id}/clone`,
        access: fest("edit"),
      },
      {
        label: "POST /admin/festivals/:id/clone",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/clone`,
        form: () => ({
          name: "Cloned festival",
          city: "Kaunas",
          country: "LT",
          timezone: "Europe/Vilnius",
          startsAt: "2031-04-01T15:00",
          endsAt: "2031-04-01T23:00",
        }),
        access: fest("edit"),
        okStatus: 302,
      },
    ],
  },
  "routes/admin.festivals.$id.team": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /admin/festivals/:id/team",
        kind: "page",
        method: "GET",
        path: (t) => `/admin/festivals/${t.id}/team`,
        access: fest("team"),
      },
      {
        label: "GET /admin/festivals/:id/team.data",
        kind: "data",
        method: "GET",
        path: (t) => data(`/admin/festivals/${t.id}/team`, "routes/admin.festivals.$id.team"),
        access: fest("team"),
      },
      {
        label: "POST team intent=add (an existing account: invited)",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/team`,
        form: (_t, c) => ({ intent: "add", email: c.bystanderEmail, role: "organiser" }),
        access: fest("team"),
      },
      {
        label: "POST team intent=add (invite a new email)",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/team`,
        form: () => ({ intent: "add", email: uniqueEmail("invited"), role: "door" }),
        access: fest("team"),
      },
      {
        label: "POST team intent=remove",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/team`,
        form: (t) => ({ intent: "remove", userId: t.doorUserId, confirm: "yes" }),
        access: fest("team"),
      },
    ],
  },
  "routes/admin.festivals.$id.tickets": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /admin/festivals/:id/tickets",
        kind: "page",
        method: "GET",
        path: (t) => `/admin/festivals/${t.id}/tickets`,
        access: fest("view"),
      },
      {
        label: "GET /admin/festivals/:id/tickets.data",
        kind: "data",
        method: "GET",
        path: (t) => data(`/admin/festivals/${t.id}/tickets`, "routes/admin.festivals.$id.tickets"),
        access: fest("view"),
      },
      {
        label: "POST tickets intent=add-type",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/tickets`,
        form: () => ({
          intent: "add-type",
          "name.en": "Injected ticket type",
          "name.ru": "",
          price: "12.50",
          capacity: "40",
          maxPerOrder: "4",
          visibility: "public",
        }),
        access: fest("edit"),
      },
      {
        label: "POST tickets intent=add-quota",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/tickets`,
        form: () => ({ intent: "add-quota", quotaName: "Injected quota", quotaCapacity: "120" }),
        access: fest("edit"),
      },
      {
        label: "POST tickets intent=edit-quota",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/tickets`,
        form: (t) => ({
          intent: "edit-quota",
          quotaId: t.quotaId,
          quotaName: "Renamed quota",
          quotaCapacity: "90",
        }),
        access: fest("edit"),
      },
      {
        label: "POST tickets intent=set-prisoners",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/tickets`,
        form: (_t, c) => ({ intent: "set-prisoners", prisonerIds: [c.prisonerId] }),
        access: fest("edit"),
      },
      {
        label: "POST tickets intent=(unknown)",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/tickets`,
        form: () => ({ intent: "drop-all-types" }),
        access: fest("edit"),
        okStatus: 400,
        changes: false,
      },
    ],
  },
  "routes/admin.festivals.$id.tickets_.$typeId": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /admin/festivals/:id/tickets/:typeId",
        kind: "page",
        method: "GET",
        path: (t) => `/admin/festivals/${t.id}/tickets/${t.ticketTypeId}`,
        access: fest("view"),
      },
      {
        label: "GET /admin/festivals/:id/tickets/:typeId.data",
        kind: "data",
        method: "GET",
        path: (t) =>
          data(
            `/admin/festivals/${t.id}/tickets/${t.ticketTypeId}`,
            "routes/admin.festivals.$id.tickets_.$typeId",
          ),
        access: fest("view"),
      },
      {
        label: "POST /admin/festivals/:id/tickets/:typeId",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/tickets/${t.ticketTypeId}`,
        form: () => ({
          "name.en": "Injected new name",
          "name.ru": "",
          price: "13.00",
          capacity: "60",
          maxPerOrder: "4",
          visibility: "public",
        }),
        access: fest("edit"),
      },
    ],
  },
  "routes/admin.festivals.$id.orders._index": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /admin/festivals/:id/orders",
        kind: "page",
        method: "GET",
        path: (t) => `/admin/festivals/${t.id}/orders`,
        access: fest("view"),
      },
      {
        label: "GET /admin/festivals/:id/orders.data",
        kind: "data",
        method: "GET",
        path: (t) =>
          data(`/admin/festivals/${t.id}/orders`, "routes/admin.festivals.$id.orders._index", true),
        access: fest("view"),
      },
      {
        label: "POST /admin/festivals/:id/orders (search for the buyer's email)",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/orders?index`,
        form: (t) => ({ q: t.buyerEmail }),
        access: fest("view"),
        changes: false, // a search posts its text (never in a URL) and writes nothing
      },
    ],
  },
  "routes/admin.festivals.$id.orders.$orderId": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /admin/festivals/:id/orders/:orderId",
        kind: "page",
        method: "GET",
        path: (t) => `/admin/festivals/${t.id}/orders/${t.orderId}`,
        access: fest("view"),
      },
      {
        label: "GET /admin/festivals/:id/orders/:orderId.data",
        kind: "data",
        method: "GET",
        path: (t) =>
          data(
            `/admin/festivals/${t.id}/orders/${t.orderId}`,
            "routes/admin.festivals.$id.orders.$orderId",
          ),
        access: fest("view"),
      },
      {
        // Cancels the door order: its ticket is revoked, its place released.
        label: "POST order intent=cancel",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/orders/${t.orderId}`,
        form: () => ({ intent: "cancel", confirm: "yes" }),
        access: fest("edit"),
      },
      {
        // Queues the ticket email again, with its audit row (decision 0049).
        label: "POST order intent=resend",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/orders/${t.orderId}`,
        form: () => ({ intent: "resend" }),
        access: fest("edit"),
      },
      {
        label: "POST order intent=(unknown)",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/orders/${t.orderId}`,
        form: () => ({ intent: "mark-paid" }),
        access: fest("edit"),
        okStatus: 400,
        changes: false,
      },
    ],
  },
  "routes/admin.festivals.$id.orders[.]csv": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /admin/festivals/:id/orders.csv",
        kind: "download",
        method: "GET",
        path: (t) => `/admin/festivals/${t.id}/orders.csv`,
        access: fest("view"),
      },
    ],
  },
  "routes/admin.festivals.$id.door": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /admin/festivals/:id/door",
        kind: "page",
        method: "GET",
        path: (t) => `/admin/festivals/${t.id}/door`,
        access: fest("view"),
      },
      {
        label: "GET /admin/festivals/:id/door.data",
        kind: "data",
        method: "GET",
        path: (t) => data(`/admin/festivals/${t.id}/door`, "routes/admin.festivals.$id.door"),
        access: fest("view"),
      },
      {
        label: "POST door intent=add-device",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/door`,
        form: () => ({ intent: "add-device", name: "Injected door" }),
        access: fest("edit"),
      },
      {
        label: "POST door intent=revoke-device (unknown device)",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/door`,
        form: () => ({ intent: "revoke-device", deviceId: "no-such-device", confirm: "yes" }),
        access: fest("edit"),
        changes: false,
      },
    ],
  },
  // Door cash and custody (issue 9): the festival's money page.
  "routes/admin.festivals.$id.money": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /admin/festivals/:id/money",
        kind: "page",
        method: "GET",
        path: (t) => `/admin/festivals/${t.id}/money`,
        access: fest("money"),
      },
      {
        label: "GET /admin/festivals/:id/money.data",
        kind: "data",
        method: "GET",
        path: (t) => data(`/admin/festivals/${t.id}/money`, "routes/admin.festivals.$id.money"),
        access: fest("money"),
      },
      {
        // Organisers only; a person who is not a treasurer is refused, nothing written.
        label: "POST money intent=handover (not a treasurer)",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/money`,
        form: () => ({
          intent: "handover",
          confirm: "yes",
          deviceId: "",
          treasurerId: "no-such-person",
          expectedMinor: "100",
          counted: "1",
        }),
        access: fest("edit"),
        okStatus: 422,
        changes: false,
      },
      {
        label: "POST money intent=confirm (unknown handover)",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/money`,
        form: () => ({ intent: "confirm", confirm: "yes", handoverId: "no-such-handover" }),
        access: fest("money"),
        okStatus: 400,
        changes: false,
      },
      {
        // Festival cancellation: festival B is a draft, so even its organisers get a 409, nothing written.
        label: "POST money intent=refund_all (festival not cancelled)",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/money`,
        form: () => ({ intent: "refund_all", confirm: "yes", cash: "return" }),
        access: fest("edit"),
        okStatus: 409,
        changes: false,
      },
    ],
  },
  "routes/admin.festivals.$id.check-ins[.]csv": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /admin/festivals/:id/check-ins.csv",
        kind: "download",
        method: "GET",
        path: (t) => `/admin/festivals/${t.id}/check-ins.csv`,
        access: fest("view"),
        changes: false,
      },
    ],
  },
  // The other festival exports (app/models/exports.server.ts): each with its page's permission.
  "routes/admin.festivals.$id.tickets[.]csv": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /admin/festivals/:id/tickets.csv",
        kind: "download",
        method: "GET",
        path: (t) => `/admin/festivals/${t.id}/tickets.csv`,
        access: fest("view"),
      },
    ],
  },
  "routes/admin.festivals.$id.tattoo-schedule[.]csv": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /admin/festivals/:id/tattoo-schedule.csv",
        kind: "download",
        method: "GET",
        path: (t) => `/admin/festivals/${t.id}/tattoo-schedule.csv`,
        access: fest("tattoo"),
      },
    ],
  },
  "routes/admin.festivals.$id.costs[.]csv": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /admin/festivals/:id/costs.csv",
        kind: "download",
        method: "GET",
        path: (t) => `/admin/festivals/${t.id}/costs.csv`,
        access: fest("money"),
        only: notTreasurer(),
      },
      {
        label: "GET /admin/festivals/:id/costs.csv (treasurer without a second factor)",
        kind: "download",
        method: "GET",
        path: (t) => `/admin/festivals/${t.id}/costs.csv`,
        access: pub(302),
        only: ["treasurer"],
      },
    ],
  },
  // The books: treasurers (and admins) with a proved second factor only.
  "routes/admin.festivals.$id.ledger[.]csv": {
    category: "money-only",
    calls: [
      {
        label: "GET /admin/festivals/:id/ledger.csv",
        kind: "download",
        method: "GET",
        path: (t) => `/admin/festivals/${t.id}/ledger.csv`,
        access: { type: "money" },
      },
    ],
  },
  "routes/admin.festivals.$id.payouts[.]csv": {
    category: "money-only",
    calls: [
      {
        label: "GET /admin/festivals/:id/payouts.csv",
        kind: "download",
        method: "GET",
        path: (t) => `/admin/festivals/${t.id}/payouts.csv`,
        access: { type: "money" },
      },
    ],
  },
  // ---------------------------------------------------------------- one festival's API
  "routes/api.v1.festivals.$id._index": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /api/v1/festivals/:id",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/festivals/${t.id}`,
        access: fest("view"),
      },
      {
        label: "PATCH /api/v1/festivals/:id",
        kind: "api",
        method: "PATCH",
        path: (t) => `/api/v1/festivals/${t.id}`,
        json: () => ({ name: changedName() }),
        access: fest("edit"),
      },
      {
        label: "DELETE /api/v1/festivals/:id",
        kind: "api",
        method: "DELETE",
        path: (t) => `/api/v1/festivals/${t.id}`,
        access: pub(405),
      },
    ],
  },
  "routes/api.v1.festivals.$id.clone": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /api/v1/festivals/:id/clone",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/festivals/${t.id}/clone`,
        access: pub(405),
      },
      {
        label: "POST /api/v1/festivals/:id/clone",
        kind: "api",
        method: "POST",
        path: (t) => `/api/v1/festivals/${t.id}/clone`,
        json: () => ({
          name: "Cloned festival",
          city: "Kaunas",
          country: "LT",
          timezone: "Europe/Vilnius",
          startsAt: "2031-04-01T15:00",
          endsAt: "2031-04-01T23:00",
        }),
        access: fest("edit"),
        okStatus: 201,
      },
    ],
  },
  "routes/api.v1.festivals.$id.$transition": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /api/v1/festivals/:id/publish",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/festivals/${t.id}/publish`,
        access: pub(405),
      },
      {
        label: "POST /api/v1/festivals/:id/publish",
        kind: "api",
        method: "POST",
        path: (t) => `/api/v1/festivals/${t.id}/publish`,
        access: fest("publish"),
      },
      {
        label: "POST /api/v1/festivals/:id/unpublish",
        kind: "api",
        method: "POST",
        path: (t) => `/api/v1/festivals/${t.id}/unpublish`,
        access: fest("publish"),
        freshStatus: "published",
      },
      {
        label: "POST /api/v1/festivals/:id/cancel",
        kind: "api",
        method: "POST",
        path: (t) => `/api/v1/festivals/${t.id}/cancel`,
        access: fest("publish"),
      },
      {
        // Not a transition: the same 404 for everyone, before any account is looked at.
        label: "POST /api/v1/festivals/:id/delete",
        kind: "api",
        method: "POST",
        path: (t) => `/api/v1/festivals/${t.id}/delete`,
        access: pub(404),
      },
    ],
  },
  // Festival cancellation: every open order cancelled or refunded, once the festival is cancelled.
  "routes/api.v1.festivals.$id.refund-all": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /api/v1/festivals/:id/refund-all",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/festivals/${t.id}/refund-all`,
        access: pub(405),
      },
      {
        // Festival B is a draft: 409 for those allowed, nothing written.
        label: "POST /api/v1/festivals/:id/refund-all (festival not cancelled)",
        kind: "api",
        method: "POST",
        path: (t) => `/api/v1/festivals/${t.id}/refund-all`,
        json: () => ({ cash: "return" }),
        access: fest("edit"),
        okStatus: 409,
        changes: false,
      },
    ],
  },
  "routes/api.v1.festivals.$id.ticket-types": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /api/v1/festivals/:id/ticket-types",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/festivals/${t.id}/ticket-types`,
        access: fest("view"),
      },
      {
        label: "POST /api/v1/festivals/:id/ticket-types",
        kind: "api",
        method: "POST",
        path: (t) => `/api/v1/festivals/${t.id}/ticket-types`,
        json: () => ({ name: "General admission", priceMinor: 1500, capacity: 100 }),
        access: fest("edit"),
        okStatus: 201,
      },
    ],
  },
  "routes/api.v1.festivals.$id.quotas": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /api/v1/festivals/:id/quotas",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/festivals/${t.id}/quotas`,
        access: pub(405),
      },
      {
        label: "POST /api/v1/festivals/:id/quotas",
        kind: "api",
        method: "POST",
        path: (t) => `/api/v1/festivals/${t.id}/quotas`,
        json: () => ({ name: "Venue", capacity: 300 }),
        access: fest("edit"),
        okStatus: 201,
      },
    ],
  },
  // Ticket types and quotas by id: the permission is that of their festival.
  "routes/api.v1.ticket-types.$id": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /api/v1/ticket-types/:id",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/ticket-types/${t.ticketTypeId}`,
        access: pub(405),
      },
      {
        label: "PATCH /api/v1/ticket-types/:id",
        kind: "api",
        method: "PATCH",
        path: (t) => `/api/v1/ticket-types/${t.ticketTypeId}`,
        json: () => ({ priceMinor: 1300, capacity: 70 }),
        access: fest("edit"),
      },
    ],
  },
  "routes/api.v1.quotas.$id": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /api/v1/quotas/:id",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/quotas/${t.quotaId}`,
        access: pub(405),
      },
      {
        label: "PATCH /api/v1/quotas/:id",
        kind: "api",
        method: "PATCH",
        path: (t) => `/api/v1/quotas/${t.quotaId}`,
        json: () => ({ name: "Renamed", capacity: 80 }),
        access: fest("edit"),
      },
    ],
  },
  "routes/api.v1.festivals.$id.stats": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /api/v1/festivals/:id/stats",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/festivals/${t.id}/stats`,
        access: fest("view"),
      },
    ],
  },
  "routes/api.v1.festivals.$id.dashboard": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /api/v1/festivals/:id/dashboard",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/festivals/${t.id}/dashboard`,
        access: fest("view"),
      },
    ],
  },
  "routes/admin.festivals.$id.dashboard": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /admin/festivals/:id/dashboard",
        kind: "page",
        method: "GET",
        path: (t) => `/admin/festivals/${t.id}/dashboard`,
        access: fest("view"),
      },
      {
        label: "GET /admin/festivals/:id/dashboard.data",
        kind: "data",
        method: "GET",
        path: (t) =>
          data(`/admin/festivals/${t.id}/dashboard`, "routes/admin.festivals.$id.dashboard"),
        access: fest("view"),
      },
    ],
  },
  "routes/api.v1.festivals.$id.ledger": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /api/v1/festivals/:id/ledger",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/festivals/${t.id}/ledger`,
        access: fest("money"),
      },
      {
        label: "POST /api/v1/festivals/:id/ledger",
        kind: "api",
        method: "POST",
        path: (t) => `/api/v1/festivals/${t.id}/ledger`,
        json: () => ({}),
        access: pub(405),
      },
    ],
  },
  "routes/api.v1.ledger.check": {
    category: "treasurer-only",
    calls: [
      {
        label: "GET /api/v1/ledger/check",
        kind: "api",
        method: "GET",
        path: () => "/api/v1/ledger/check",
        access: { type: "treasurer" },
      },
      {
        label: "POST /api/v1/ledger/check",
        kind: "api",
        method: "POST",
        path: () => "/api/v1/ledger/check",
        json: () => ({}),
        access: pub(405),
      },
    ],
  },
  // Orders by id: the permission is that of the order's festival.
  "routes/api.v1.orders.$id._index": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /api/v1/orders/:id",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/orders/${t.orderId}`,
        access: fest("view"),
      },
      {
        label: "POST /api/v1/orders/:id",
        kind: "api",
        method: "POST",
        path: (t) => `/api/v1/orders/${t.orderId}`,
        json: () => ({ status: "cancelled" }),
        access: pub(405),
      },
    ],
  },
  "routes/api.v1.orders.$id.refund": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /api/v1/orders/:id/refund",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/orders/${t.orderId}/refund`,
        access: pub(405),
      },
      {
        // A door order: cancelled, its ticket revoked.
        label: "POST /api/v1/orders/:id/refund",
        kind: "api",
        method: "POST",
        path: (t) => `/api/v1/orders/${t.orderId}/refund`,
        access: fest("edit"),
      },
    ],
  },
  "routes/api.v1.festivals.$id.orders": {
    // Public checkout; festival B is a draft, so it does not exist for buyers.
    category: "public",
    calls: [
      {
        label: "GET /api/v1/festivals/:id/orders",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/festivals/${t.id}/orders`,
        access: pub(405),
      },
      {
        label: "POST /api/v1/festivals/:id/orders (draft festival)",
        kind: "api",
        method: "POST",
        path: (_t, c) => `/api/v1/festivals/${c.B.id}/orders`,
        json: () => ({
          email: "buyer@example.test",
          paymentMethod: "door",
          donation: { amountMinor: 500 },
        }),
        access: pub(404),
      },
    ],
  },
  "routes/orders.$token": {
    // The order page: its unguessable link is the credential, whoever is signed in.
    category: "public",
    calls: [
      {
        label: "GET /orders/:token (unknown)",
        kind: "page",
        method: "GET",
        path: () => "/orders/unknown-order-token-0123456789",
        access: pub(404),
      },
      {
        label: "GET /orders/:token.data (unknown)",
        kind: "data",
        method: "GET",
        path: () => data("/orders/unknown-order-token-0123456789", "routes/orders.$token"),
        access: pub(404),
      },
      {
        label: "POST /orders/:token (erase, unknown)",
        kind: "page",
        method: "POST",
        path: () => "/orders/unknown-order-token-0123456789",
        form: () => ({ intent: "erase", confirm: "yes" }),
        access: pub(404),
      },
    ],
  },
  // ---- tattoo cancel and reschedule, tattoo settings (branch manage)
  "routes/admin.festivals.$id.tattoo-settings": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /admin/festivals/:id/tattoo-settings",
        kind: "page",
        method: "GET",
        path: (t) => `/admin/festivals/${t.id}/tattoo-settings`,
        access: fest("tattoo"),
      },
      {
        label: "GET /admin/festivals/:id/tattoo-settings.data",
        kind: "data",
        method: "GET",
        path: (t) =>
          data(
            `/admin/festivals/${t.id}/tattoo-settings`,
            "routes/admin.festivals.$id.tattoo-settings",
          ),
        access: fest("tattoo"),
      },
      {
        label: "POST /admin/festivals/:id/tattoo-settings",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/tattoo-settings`,
        form: () => ({
          bookingsPerArtist: "2",
          cancelHours: "24",
          cancelPolicy: "keep",
          offerMinutes: "30",
        }),
        access: fest("tattoo"),
      },
    ],
  },
  "routes/api.v1.festivals.$id.tattoo-settings": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /api/v1/festivals/:id/tattoo-settings",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/festivals/${t.id}/tattoo-settings`,
        access: fest("tattoo"),
      },
      {
        label: "PATCH /api/v1/festivals/:id/tattoo-settings",
        kind: "api",
        method: "PATCH",
        path: (t) => `/api/v1/festivals/${t.id}/tattoo-settings`,
        json: () => ({ cancelHours: 36 }),
        access: fest("tattoo"),
      },
    ],
  },
  "routes/orders.$token.tattoo.$itemId": {
    // The order's unguessable link is the credential, whoever is signed in.
    category: "public",
    calls: [
      {
        label: "GET /orders/:token/tattoo/:itemId (unknown)",
        kind: "page",
        method: "GET",
        path: () => "/orders/unknown-order-token-0123456789/tattoo/unknown-item",
        access: pub(404),
      },
      {
        label: "POST /orders/:token/tattoo/:itemId cancel (unknown)",
        kind: "page",
        method: "POST",
        path: () => "/orders/unknown-order-token-0123456789/tattoo/unknown-item",
        form: () => ({ intent: "cancel", confirm: "yes" }),
        access: pub(404),
      },
    ],
  },
  "routes/api.v1.orders.$token.tattoo.$itemId.cancel": {
    category: "public",
    calls: [
      {
        label: "GET /api/v1/orders/:token/tattoo/:itemId/cancel",
        kind: "api",
        method: "GET",
        path: () => "/api/v1/orders/unknown-order-token-0123456789/tattoo/unknown-item/cancel",
        access: pub(405),
      },
      {
        label: "POST /api/v1/orders/:token/tattoo/:itemId/cancel (unknown)",
        kind: "api",
        method: "POST",
        path: () => "/api/v1/orders/unknown-order-token-0123456789/tattoo/unknown-item/cancel",
        access: pub(404),
      },
    ],
  },
  "routes/api.v1.orders.$token.tattoo.$itemId.reschedule": {
    category: "public",
    calls: [
      {
        label: "GET /api/v1/orders/:token/tattoo/:itemId/reschedule",
        kind: "api",
        method: "GET",
        path: () => "/api/v1/orders/unknown-order-token-0123456789/tattoo/unknown-item/reschedule",
        access: pub(405),
      },
      {
        label: "POST /api/v1/orders/:token/tattoo/:itemId/reschedule (unknown)",
        kind: "api",
        method: "POST",
        path: () => "/api/v1/orders/unknown-order-token-0123456789/tattoo/unknown-item/reschedule",
        json: () => ({ slotId: "unknown-slot" }),
        access: pub(404),
      },
    ],
  },
  // ---- end tattoo cancel and reschedule
  // ---- Tattoo waitlist (branch waitlist): public, the links' secrets are the credentials.
  "routes/api.v1.tattoo-slots.$id.waitlist": {
    category: "public",
    calls: [
      {
        label: "GET /api/v1/tattoo-slots/:id/waitlist",
        kind: "api",
        method: "GET",
        path: () => "/api/v1/tattoo-slots/unknown-slot/waitlist",
        access: pub(405),
      },
      {
        label: "POST /api/v1/tattoo-slots/:id/waitlist (unknown slot)",
        kind: "api",
        method: "POST",
        path: () => "/api/v1/tattoo-slots/unknown-slot/waitlist",
        json: () => ({ email: "waiter@example.test" }),
        access: pub(404),
      },
    ],
  },
  "routes/tattoo.offers.$token": {
    category: "public",
    calls: [
      {
        label: "GET /tattoo/offers/:token (unknown)",
        kind: "page",
        method: "GET",
        path: () => "/tattoo/offers/unknown-offer-token-0123456789",
        access: pub(404),
      },
      {
        label: "GET /tattoo/offers/:token.data (unknown)",
        kind: "data",
        method: "GET",
        path: () =>
          data("/tattoo/offers/unknown-offer-token-0123456789", "routes/tattoo.offers.$token"),
        access: pub(404),
      },
      {
        label: "POST /tattoo/offers/:token (unknown)",
        kind: "page",
        method: "POST",
        path: () => "/tattoo/offers/unknown-offer-token-0123456789",
        form: () => ({ email: "waiter@example.test", donation: "25", paymentMethod: "door" }),
        access: pub(404),
      },
    ],
  },
  "routes/tattoo.waitlist.$token.leave": {
    category: "public",
    calls: [
      {
        label: "GET /tattoo/waitlist/:token/leave (unknown)",
        kind: "page",
        method: "GET",
        path: () => "/tattoo/waitlist/unknown-leave-token-0123456789/leave",
        access: pub(404),
      },
      {
        label: "POST /tattoo/waitlist/:token/leave (unknown)",
        kind: "page",
        method: "POST",
        path: () => "/tattoo/waitlist/unknown-leave-token-0123456789/leave",
        form: () => ({ intent: "leave", confirm: "yes" }),
        access: pub(404),
      },
    ],
  },
  // ---- end Tattoo waitlist
  "routes/orders.erased": {
    category: "public",
    calls: [
      {
        label: "GET /orders/erased",
        kind: "page",
        method: "GET",
        path: () => "/orders/erased",
        access: pub(200),
      },
    ],
  },
  "routes/orders.$token.calendar[.]ics": {
    category: "public",
    calls: [
      {
        label: "GET /orders/:token/calendar.ics (unknown)",
        kind: "api",
        method: "GET",
        path: () => "/orders/unknown-order-token-0123456789/calendar.ics",
        access: pub(404),
      },
    ],
  },
  "routes/orders.$token.tattoo.$itemId.calendar[.]ics": {
    category: "public",
    calls: [
      {
        label: "GET /orders/:token/tattoo/:itemId/calendar.ics (unknown)",
        kind: "api",
        method: "GET",
        path: () => "/orders/unknown-order-token-0123456789/tattoo/unknown-item/calendar.ics",
        access: pub(404),
      },
    ],
  },
  "routes/door": {
    // The scanner page itself is public: the device token lives on the phone and
    // is sent only to the door API.
    category: "public",
    calls: [
      { label: "GET /door", kind: "page", method: "GET", path: () => "/door", access: pub(200) },
    ],
  },
  // The tattoo corner (issue 10): the board page and its API (tattoo:corner: organisers,
  // door staff; a linked artist for their own artist, tested in tests/http/tattoo-corner.test.ts).
  "routes/tattoo-corner.$festivalId": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /tattoo-corner/:id",
        kind: "page",
        method: "GET",
        path: (t) => `/tattoo-corner/${t.id}`,
        access: fest("corner"),
      },
      {
        label: "GET /tattoo-corner/:id.data",
        kind: "data",
        method: "GET",
        path: (t) => data(`/tattoo-corner/${t.id}`, "routes/tattoo-corner.$festivalId"),
        access: fest("corner"),
      },
      {
        label: "POST tattoo corner intent=done",
        kind: "page",
        method: "POST",
        path: (t) => `/tattoo-corner/${t.id}`,
        form: (t) => ({ intent: "done", bookingId: t.corner.pageDoneId }),
        access: fest("corner"),
      },
      {
        label: "POST tattoo corner intent=walk_in (cash)",
        kind: "page",
        method: "POST",
        path: (t) => `/tattoo-corner/${t.id}`,
        form: (t) => ({
          intent: "walk_in",
          slotId: t.corner.pageWalkInSlotId,
          email: uniqueEmail("walk-in-page"),
          donation: "25",
          payment: "cash",
        }),
        access: fest("corner"),
        freshStatus: "published",
      },
    ],
  },
  "routes/api.v1.festivals.$id.tattoo-board": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /api/v1/festivals/:id/tattoo-board",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/festivals/${t.id}/tattoo-board`,
        access: fest("corner"),
      },
    ],
  },
  "routes/api.v1.festivals.$id.tattoo-walk-ins": {
    category: "festival-scoped",
    calls: [
      {
        label: "POST /api/v1/festivals/:id/tattoo-walk-ins (cash)",
        kind: "api",
        method: "POST",
        path: (t) => `/api/v1/festivals/${t.id}/tattoo-walk-ins`,
        json: (t) => ({
          tattooSlotId: t.corner.apiWalkInSlotId,
          donationMinor: 2500,
          email: uniqueEmail("walk-in-api"),
          payment: "cash",
        }),
        access: fest("corner"),
        okStatus: 201,
        freshStatus: "published",
      },
      {
        label: "GET /api/v1/festivals/:id/tattoo-walk-ins",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/festivals/${t.id}/tattoo-walk-ins`,
        access: pub(405),
      },
    ],
  },
  "routes/api.v1.tattoo-bookings.$id.$action": {
    category: "festival-scoped",
    calls: [
      {
        label: "POST /api/v1/tattoo-bookings/:id/done",
        kind: "api",
        method: "POST",
        path: (t) => `/api/v1/tattoo-bookings/${t.corner.doneId}/done`,
        access: fest("corner"),
      },
      {
        label: "POST /api/v1/tattoo-bookings/:id/no-show",
        kind: "api",
        method: "POST",
        path: (t) => `/api/v1/tattoo-bookings/${t.corner.noShowId}/no-show`,
        access: fest("corner"),
      },
      {
        label: "POST /api/v1/tattoo-bookings/:id/release",
        kind: "api",
        method: "POST",
        path: (t) => `/api/v1/tattoo-bookings/${t.corner.releaseId}/release`,
        json: () => ({ to: "walk_ins" }),
        access: fest("corner"),
      },
      {
        label: "POST /api/v1/tattoo-bookings/:id/collect",
        kind: "api",
        method: "POST",
        path: (t) => `/api/v1/tattoo-bookings/${t.corner.collectId}/collect`,
        json: () => ({ amountMinor: 2500 }),
        access: fest("corner"),
      },
      {
        label: "GET /api/v1/tattoo-bookings/:id/done",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/tattoo-bookings/${t.corner.doneId}/done`,
        access: pub(405),
      },
    ],
  },
  "routes/door.setup": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /door/setup",
        kind: "page",
        method: "GET",
        path: () => "/door/setup",
        access: pub(302),
      },
      {
        label: "POST /door/setup (this phone becomes a door device)",
        kind: "page",
        method: "POST",
        path: () => "/door/setup",
        form: (t) => ({ festivalId: t.id }),
        access: fest("door"),
        okStatus: 302,
      },
    ],
  },
  "routes/webhooks.stripe": {
    // Stripe is not configured in this file's app: the endpoint does not exist.
    category: "public",
    calls: [
      {
        label: "GET /webhooks/stripe",
        kind: "api",
        method: "GET",
        path: () => "/webhooks/stripe",
        access: pub(405),
      },
      {
        label: "POST /webhooks/stripe",
        kind: "api",
        method: "POST",
        path: () => "/webhooks/stripe",
        json: () => ({ id: "evt_x" }),
        access: pub(404),
      },
    ],
  },
  "routes/api.v1.festivals.$id.door-devices": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /api/v1/festivals/:id/door-devices",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/festivals/${t.id}/door-devices`,
        access: fest("edit"),
      },
      {
        label: "POST /api/v1/festivals/:id/door-devices",
        kind: "api",
        method: "POST",
        path: (t) => `/api/v1/festivals/${t.id}/door-devices`,
        json: () => ({ name: "Injected door" }),
        access: fest("edit"),
        okStatus: 201,
      },
    ],
  },
  // Cash custody (issue 9).
  "routes/api.v1.festivals.$id.cash-handovers": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /api/v1/festivals/:id/cash-handovers",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/festivals/${t.id}/cash-handovers`,
        access: fest("money"),
      },
      {
        // A festival holding no door cash: nothing to hand over (409), nothing written.
        label: "POST /api/v1/festivals/:id/cash-handovers (no cash)",
        kind: "api",
        method: "POST",
        path: (t) => `/api/v1/festivals/${t.id}/cash-handovers`,
        json: (_t, c) => ({
          deviceId: null,
          treasurerId: c.treasurerId,
          expectedMinor: 100,
          countedMinor: 100,
        }),
        access: fest("edit"),
        okStatus: 409,
        changes: false,
      },
    ],
  },
  "routes/api.v1.cash-handovers.$id.confirm": {
    // A handover id nobody has: everyone signed in gets 404, anonymous 401.
    category: "public",
    calls: [
      {
        label: "GET /api/v1/cash-handovers/:id/confirm",
        kind: "api",
        method: "GET",
        path: () => "/api/v1/cash-handovers/no-such-handover/confirm",
        access: pub(405),
      },
      {
        label: "POST /api/v1/cash-handovers/:id/confirm (unknown)",
        kind: "api",
        method: "POST",
        path: () => "/api/v1/cash-handovers/no-such-handover/confirm",
        access: pub((actor) => (actor === "anonymous" ? 401 : 404)),
      },
    ],
  },
  "routes/api.v1.door-devices.$id": {
    // A device id nobody has: strangers and organisers alike get 404, anonymous 401.
    category: "public",
    calls: [
      {
        label: "GET /api/v1/door-devices/:id",
        kind: "api",
        method: "GET",
        path: () => "/api/v1/door-devices/no-such-device",
        access: pub(405),
      },
      {
        label: "DELETE /api/v1/door-devices/:id (unknown)",
        kind: "api",
        method: "DELETE",
        path: () => "/api/v1/door-devices/no-such-device",
        access: pub((actor) => (actor === "anonymous" ? 401 : 404)),
      },
    ],
  },
  "routes/api.v1.door.scans": {
    // Door devices only: no account token is a device token.
    category: "public",
    calls: [
      {
        label: "GET /api/v1/door/scans",
        kind: "api",
        method: "GET",
        path: () => "/api/v1/door/scans",
        access: pub(405),
      },
      {
        label: "POST /api/v1/door/scans",
        kind: "api",
        method: "POST",
        path: () => "/api/v1/door/scans",
        json: () => ({ token: "T1.x.y", nonce: "nonce-permission", scans: [] }),
        access: pub(401),
      },
    ],
  },
  "routes/api.v1.door.scans.batch": {
    // Door devices only: no account token is a device token.
    category: "public",
    calls: [
      {
        label: "GET /api/v1/door/scans/batch",
        kind: "api",
        method: "GET",
        path: () => "/api/v1/door/scans/batch",
        access: pub(405),
      },
      {
        label: "POST /api/v1/door/scans/batch",
        kind: "api",
        method: "POST",
        path: () => "/api/v1/door/scans/batch",
        json: () => ({ token: "T1.x.y", nonce: "nonce-permission", scans: [] }),
        access: pub(401),
      },
    ],
  },
  "routes/api.v1.door.payments": {
    // Door devices only: no account token is a device token.
    category: "public",
    calls: [
      {
        label: "GET /api/v1/door/payments",
        kind: "api",
        method: "GET",
        path: () => "/api/v1/door/payments",
        access: pub(405),
      },
      {
        label: "POST /api/v1/door/payments",
        kind: "api",
        method: "POST",
        path: () => "/api/v1/door/payments",
        json: () => ({ token: "T1.x.y", nonce: "nonce-permission", scans: [] }),
        access: pub(401),
      },
    ],
  },
  "routes/api.v1.door.undo": {
    // Door devices only: no account token is a device token.
    category: "public",
    calls: [
      {
        label: "GET /api/v1/door/undo",
        kind: "api",
        method: "GET",
        path: () => "/api/v1/door/undo",
        access: pub(405),
      },
      {
        label: "POST /api/v1/door/undo",
        kind: "api",
        method: "POST",
        path: () => "/api/v1/door/undo",
        json: () => ({ token: "T1.x.y", nonce: "nonce-permission", scans: [] }),
        access: pub(401),
      },
    ],
  },
  "routes/api.v1.door.manifest": {
    category: "public",
    calls: [
      {
        label: "GET /api/v1/door/manifest",
        kind: "api",
        method: "GET",
        path: () => "/api/v1/door/manifest?q=ab",
        access: pub(401),
      },
    ],
  },
  "routes/api.v1.door.search": {
    category: "public",
    calls: [
      {
        label: "GET /api/v1/door/search",
        kind: "api",
        method: "GET",
        path: () => "/api/v1/door/search",
        access: pub(405),
      },
      {
        label: "POST /api/v1/door/search",
        kind: "api",
        method: "POST",
        path: () => "/api/v1/door/search",
        json: () => ({ q: "abc" }),
        access: pub(401),
      },
    ],
  },
  // Tattoo availability (issue 10): festival:tattoo (organisers; the linked artist for their own).
  "routes/api.v1.artists.$id.availability": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /api/v1/artists/:id/availability",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/artists/${t.artistId}/availability`,
        access: pub(405),
      },
      {
        label: "POST /api/v1/artists/:id/availability",
        kind: "api",
        method: "POST",
        path: (t) => `/api/v1/artists/${t.artistId}/availability`,
        json: () => ({
          startsAt: "2030-01-26T18:00",
          endsAt: "2030-01-26T19:00",
          slotMinutes: 30,
          bufferMinutes: 0,
          minDonationMinor: 1000,
        }),
        access: fest("tattoo"),
        okStatus: 201,
      },
    ],
  },
  "routes/api.v1.availability.$id": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /api/v1/availability/:id",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/availability/${t.availabilityId}`,
        access: pub(405),
      },
      {
        label: "PATCH /api/v1/availability/:id",
        kind: "api",
        method: "PATCH",
        path: (t) => `/api/v1/availability/${t.availabilityId}`,
        json: () => ({ slotMinutes: 60, minDonationMinor: 3000 }),
        access: fest("tattoo"),
      },
      {
        label: "DELETE /api/v1/availability/:id",
        kind: "api",
        method: "DELETE",
        path: (t) => `/api/v1/availability/${t.availabilityId}`,
        access: fest("tattoo"),
      },
    ],
  },
  "routes/api.v1.festivals.$id.tattoo-slots": {
    // Public: a published festival's slots; a draft's do not exist for anyone.
    category: "public",
    calls: [
      {
        label: "GET /api/v1/festivals/:id/tattoo-slots (published A)",
        kind: "api",
        method: "GET",
        path: (_t, c) => `/api/v1/festivals/${c.A.id}/tattoo-slots`,
        access: pub(200),
      },
      {
        label: "GET /api/v1/festivals/:id/tattoo-slots (draft B)",
        kind: "api",
        method: "GET",
        path: (_t, c) => `/api/v1/festivals/${c.B.id}/tattoo-slots`,
        access: pub(404),
      },
      {
        label: "POST /api/v1/festivals/:id/tattoo-slots",
        kind: "api",
        method: "POST",
        path: (_t, c) => `/api/v1/festivals/${c.A.id}/tattoo-slots`,
        json: () => ({}),
        access: pub(405),
      },
    ],
  },
  "routes/admin.festivals.$id.tattoo_.$artistId.availability": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /admin/festivals/:id/tattoo/:artistId/availability",
        kind: "page",
        method: "GET",
        path: (t) => `/admin/festivals/${t.id}/tattoo/${t.artistId}/availability`,
        access: fest("tattoo"),
      },
      {
        label: "GET /admin/festivals/:id/tattoo/:artistId/availability.data",
        kind: "data",
        method: "GET",
        path: (t) =>
          data(
            `/admin/festivals/${t.id}/tattoo/${t.artistId}/availability`,
            "routes/admin.festivals.$id.tattoo_.$artistId.availability",
          ),
        access: fest("tattoo"),
      },
      {
        label: "POST /admin/festivals/:id/tattoo/:artistId/availability intent=add",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/tattoo/${t.artistId}/availability`,
        form: () => ({
          intent: "add",
          startsAt: "2030-01-26T18:00",
          endsAt: "2030-01-26T19:00",
          slotMinutes: "30",
          bufferMinutes: "0",
          minDonation: "10",
          minNoticeMinutes: "0",
        }),
        access: fest("tattoo"),
      },
      {
        label: "POST /admin/festivals/:id/tattoo/:artistId/availability intent=delete",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/tattoo/${t.artistId}/availability`,
        form: (t) => ({ intent: "delete", availabilityId: t.availabilityId, confirm: "yes" }),
        access: fest("tattoo"),
      },
    ],
  },
  "routes/api.v1.festivals.$id.members": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /api/v1/festivals/:id/members",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/festivals/${t.id}/members`,
        access: fest("team"),
      },
      {
        label: "POST /api/v1/festivals/:id/members (an existing account: invited)",
        kind: "api",
        method: "POST",
        path: (t) => `/api/v1/festivals/${t.id}/members`,
        json: (_t, c) => ({ email: c.bystanderEmail, role: "organiser" }),
        access: fest("team"),
        okStatus: 202,
      },
      {
        label: "POST /api/v1/festivals/:id/members (invite a new email)",
        kind: "api",
        method: "POST",
        path: (t) => `/api/v1/festivals/${t.id}/members`,
        json: () => ({ email: uniqueEmail("invited-api"), role: "door" }),
        access: fest("team"),
        okStatus: 202,
      },
    ],
  },

  // ---------------------------------------------------------------- tattoo artists (issue 10)
  "routes/api.v1.festivals.$id.artists": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /api/v1/festivals/:id/artists (published A)",
        kind: "api",
        method: "GET",
        path: (_t, c) => `/api/v1/festivals/${c.A.id}/artists`,
        access: pub(200),
      },
      {
        label: "GET /api/v1/festivals/:id/artists (draft B)",
        kind: "api",
        method: "GET",
        path: (_t, c) => `/api/v1/festivals/${c.B.id}/artists`,
        access: pub(404),
      },
      {
        label: "POST /api/v1/festivals/:id/artists",
        kind: "api",
        method: "POST",
        path: (t) => `/api/v1/festivals/${t.id}/artists`,
        json: () => ({ name: "Injected artist", contact: "injected" }),
        access: fest("tattoo"),
        okStatus: 201,
      },
      {
        label: "PUT /api/v1/festivals/:id/artists",
        kind: "api",
        method: "PUT",
        path: (t) => `/api/v1/festivals/${t.id}/artists`,
        json: () => ({}),
        access: pub(405),
      },
    ],
  },
  "routes/api.v1.artists.$id._index": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /api/v1/artists/:id",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/artists/${t.artistId}`,
        access: fest("tattoo"),
      },
      {
        label: "PATCH /api/v1/artists/:id",
        kind: "api",
        method: "PATCH",
        path: (t) => `/api/v1/artists/${t.artistId}`,
        json: () => ({ name: "Renamed artist", contact: "changed" }),
        access: fest("tattoo"),
      },
      {
        label: "DELETE /api/v1/artists/:id",
        kind: "api",
        method: "DELETE",
        path: (t) => `/api/v1/artists/${t.artistId}`,
        access: fest("tattoo"),
        okStatus: 204,
      },
    ],
  },
  "routes/api.v1.artists.$id.account": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /api/v1/artists/:id/account",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/artists/${t.artistId}/account`,
        access: pub(405),
      },
      {
        label: "POST /api/v1/artists/:id/account (link)",
        kind: "api",
        method: "POST",
        path: (t) => `/api/v1/artists/${t.artistId}/account`,
        json: (_t, c) => ({ email: c.bystanderEmail }),
        access: fest("tattoo"),
      },
      {
        // Nobody is linked: nothing to undo.
        label: "DELETE /api/v1/artists/:id/account (unlink)",
        kind: "api",
        method: "DELETE",
        path: (t) => `/api/v1/artists/${t.artistId}/account`,
        access: fest("tattoo"),
        changes: false,
      },
    ],
  },
  "routes/api.v1.artists.$id.images": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /api/v1/artists/:id/images",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/artists/${t.artistId}/images`,
        access: pub(405),
      },
      {
        label: "POST /api/v1/artists/:id/images (multipart)",
        kind: "api",
        method: "POST",
        path: (t) => `/api/v1/artists/${t.artistId}/images`,
        multipart: () => pictureForm(),
        access: fest("tattoo"),
        okStatus: 201,
      },
      {
        label: "PUT /api/v1/artists/:id/images (order)",
        kind: "api",
        method: "PUT",
        path: (t) => `/api/v1/artists/${t.artistId}/images`,
        json: (t) => ({ imageIds: [t.imageId] }),
        access: fest("tattoo"),
        okStatus: 204,
        changes: false,
      },
    ],
  },
  "routes/api.v1.artist-images.$id": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /api/v1/artist-images/:id",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/artist-images/${t.imageId}`,
        access: pub(405),
      },
      {
        label: "DELETE /api/v1/artist-images/:id",
        kind: "api",
        method: "DELETE",
        path: (t) => `/api/v1/artist-images/${t.imageId}`,
        access: fest("tattoo"),
        okStatus: 204,
      },
    ],
  },
  "routes/api.v1.artists.$id.flash": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /api/v1/artists/:id/flash",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/artists/${t.artistId}/flash`,
        access: pub(405),
      },
      {
        label: "POST /api/v1/artists/:id/flash (JSON)",
        kind: "api",
        method: "POST",
        path: (t) => `/api/v1/artists/${t.artistId}/flash`,
        json: () => ({ title: "Injected flash", minDonationMinor: 1000, maxUses: 2 }),
        access: fest("tattoo"),
        okStatus: 201,
      },
      {
        label: "POST /api/v1/artists/:id/flash (multipart)",
        kind: "api",
        method: "POST",
        path: (t) => `/api/v1/artists/${t.artistId}/flash`,
        multipart: () => pictureForm({ title: "Injected flash", minDonationMinor: "1000" }),
        access: fest("tattoo"),
        okStatus: 201,
      },
    ],
  },
  "routes/api.v1.flash.$id": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /api/v1/flash/:id",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/flash/${t.flashId}`,
        access: pub(405),
      },
      {
        label: "PATCH /api/v1/flash/:id",
        kind: "api",
        method: "PATCH",
        path: (t) => `/api/v1/flash/${t.flashId}`,
        json: () => ({ status: "gone", maxUses: 7 }),
        access: fest("tattoo"),
      },
    ],
  },
  "routes/media.$file": {
    category: "public",
    calls: [
      {
        label: "GET /media/:file (not stored)",
        kind: "page",
        method: "GET",
        path: () => "/media/AAAAAAAAAAAAAAAAAAAAAA.webp",
        access: pub(404),
      },
      {
        label: "GET /media/:file (not a media name)",
        kind: "page",
        method: "GET",
        path: () => "/media/test.db",
        access: pub(404),
      },
    ],
  },
  "routes/admin.festivals.$id.tattoo": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /admin/festivals/:id/tattoo",
        kind: "page",
        method: "GET",
        path: (t) => `/admin/festivals/${t.id}/tattoo`,
        access: fest("tattoo"),
      },
      {
        label: "GET /admin/festivals/:id/tattoo.data",
        kind: "data",
        method: "GET",
        path: (t) => data(`/admin/festivals/${t.id}/tattoo`, "routes/admin.festivals.$id.tattoo"),
        access: fest("tattoo"),
      },
      {
        label: "POST tattoo intent=add-artist",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/tattoo`,
        form: () => ({ intent: "add-artist", name: "Injected artist", contact: "injected" }),
        access: fest("tattoo"),
        okStatus: 302,
      },
      {
        label: "POST tattoo intent=(unknown)",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/tattoo`,
        form: () => ({ intent: "drop-all-artists" }),
        access: fest("tattoo"),
        okStatus: 400,
        changes: false,
      },
    ],
  },
  "routes/admin.festivals.$id.tattoo_.$artistId": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /admin/festivals/:id/tattoo/:artistId",
        kind: "page",
        method: "GET",
        path: (t) => `/admin/festivals/${t.id}/tattoo/${t.artistId}`,
        access: fest("tattoo"),
      },
      {
        label: "GET /admin/festivals/:id/tattoo/:artistId.data",
        kind: "data",
        method: "GET",
        path: (t) =>
          data(
            `/admin/festivals/${t.id}/tattoo/${t.artistId}`,
            "routes/admin.festivals.$id.tattoo_.$artistId",
          ),
        access: fest("tattoo"),
      },
      {
        label: "POST artist intent=save-artist",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/tattoo/${t.artistId}`,
        form: () => ({ intent: "save-artist", name: "Renamed artist", contact: "changed" }),
        access: fest("tattoo"),
      },
      {
        label: "POST artist intent=link",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/tattoo/${t.artistId}`,
        form: (_t, c) => ({ intent: "link", email: c.bystanderEmail }),
        access: fest("tattoo"),
      },
      {
        label: "POST artist intent=upload-image (multipart)",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/tattoo/${t.artistId}`,
        multipart: () => pictureForm({ intent: "upload-image" }),
        access: fest("tattoo"),
      },
      {
        label: "POST artist intent=add-flash",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/tattoo/${t.artistId}`,
        form: () => ({ intent: "add-flash", title: "Injected flash", minDonation: "10" }),
        access: fest("tattoo"),
      },
      {
        label: "POST artist intent=flash-status",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/tattoo/${t.artistId}`,
        form: (t) => ({ intent: "flash-status", flashId: t.flashId, status: "gone" }),
        access: fest("tattoo"),
      },
      {
        label: "POST artist intent=remove-image",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/tattoo/${t.artistId}`,
        form: (t) => ({ intent: "remove-image", imageId: t.imageId, confirm: "yes" }),
        access: fest("tattoo"),
      },
      {
        label: "POST artist intent=delete-artist",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/tattoo/${t.artistId}`,
        form: () => ({ intent: "delete-artist", confirm: "yes" }),
        access: fest("tattoo"),
        okStatus: 302,
      },
      {
        label: "POST artist intent=(unknown)",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/tattoo/${t.artistId}`,
        form: () => ({ intent: "make-me-organiser" }),
        access: fest("tattoo"),
        okStatus: 400,
        changes: false,
      },
    ],
  },
  // --- reports: public transparency reports (no login; drafts are 404 for everyone)
  "routes/transparency._index": {
    category: "public",
    calls: [
      {
        label: "GET /transparency",
        kind: "page",
        method: "GET",
        path: () => "/transparency",
        access: pub(200),
      },
    ],
  },
  // ---- public pages (issue 13): robots, sitemap, the festival poster
  "routes/robots[.]txt": {
    category: "public",
    calls: [
      {
        label: "GET /robots.txt",
        kind: "api",
        method: "GET",
        path: () => "/robots.txt",
        access: pub(200),
      },
    ],
  },
  "routes/sitemap[.]xml": {
    category: "public",
    calls: [
      {
        label: "GET /sitemap.xml",
        kind: "api",
        method: "GET",
        path: () => "/sitemap.xml",
        access: pub(200),
      },
    ],
  },
  "routes/admin.festivals.$id.poster": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /admin/festivals/:id/poster",
        kind: "page",
        method: "GET",
        path: (t) => `/admin/festivals/${t.id}/poster`,
        access: fest("view"),
      },
      {
        label: "POST /admin/festivals/:id/poster intent=upload (multipart)",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/poster`,
        multipart: () => pictureForm({ intent: "upload" }),
        access: fest("edit"),
      },
    ],
  },
  "routes/api.v1.festivals.$id.poster": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /api/v1/festivals/:id/poster",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/festivals/${t.id}/poster`,
        access: pub(405),
      },
      {
        label: "PUT /api/v1/festivals/:id/poster (multipart)",
        kind: "api",
        method: "PUT",
        path: (t) => `/api/v1/festivals/${t.id}/poster`,
        multipart: () => pictureForm(),
        access: fest("edit"),
      },
      {
        label: "DELETE /api/v1/festivals/:id/poster",
        kind: "api",
        method: "DELETE",
        path: (t) => `/api/v1/festivals/${t.id}/poster`,
        access: fest("edit"),
        okStatus: 204,
        // A fresh festival has no poster to remove: allowed, and nothing changes.
        changes: false,
      },
    ],
  },
  "routes/transparency.festivals.$slug": {
    category: "public",
    calls: [
      {
        label: "GET /transparency/festivals/:slug (published A)",
        kind: "page",
        method: "GET",
        path: (_t, c) => `/transparency/festivals/${c.A.slug}`,
        access: pub(200),
      },
      {
        label: "GET /transparency/festivals/:slug (draft B)",
        kind: "page",
        method: "GET",
        path: (_t, c) => `/transparency/festivals/${c.B.slug}`,
        access: pub(404),
      },
    ],
  },
  "routes/transparency.festivals.$slug[.]csv": {
    category: "public",
    calls: [
      {
        label: "GET /transparency/festivals/:slug.csv (published A)",
        kind: "download",
        method: "GET",
        path: (_t, c) => `/transparency/festivals/${c.A.slug}.csv`,
        access: pub(200),
      },
      {
        label: "GET /transparency/festivals/:slug.csv (draft B)",
        kind: "download",
        method: "GET",
        path: (_t, c) => `/transparency/festivals/${c.B.slug}.csv`,
        access: pub(404),
      },
    ],
  },
  "routes/transparency.$month": {
    category: "public",
    calls: [
      { label: "GET /transparency/:month", kind: "page", method: "GET", path: () => "/transparency/2026-12", access: pub(200) }, // prettier-ignore
      { label: "GET /transparency/:month (not a month)", kind: "page", method: "GET", path: () => "/transparency/2026-13", access: pub(404) }, // prettier-ignore
    ],
  },
  "routes/transparency.$month[.]csv": {
    category: "public",
    calls: [
      { label: "GET /transparency/:month.csv", kind: "download", method: "GET", path: () => "/transparency/2026-12.csv", access: pub(200) }, // prettier-ignore
    ],
  },
  "routes/api.v1.reports.festivals.$id": {
    category: "public",
    calls: [
      {
        label: "GET /api/v1/reports/festivals/:id (published A)",
        kind: "api",
        method: "GET",
        path: (_t, c) => `/api/v1/reports/festivals/${c.A.id}`,
        access: pub(200),
      },
      {
        label: "GET /api/v1/reports/festivals/:id (draft B)",
        kind: "api",
        method: "GET",
        path: (_t, c) => `/api/v1/reports/festivals/${c.B.id}`,
        access: pub(404),
      },
    ],
  },
  "routes/api.v1.reports.months.$month": {
    category: "public",
    calls: [
      { label: "GET /api/v1/reports/months/:month", kind: "api", method: "GET", path: () => "/api/v1/reports/months/2026-12", access: pub(200) }, // prettier-ignore
      { label: "GET /api/v1/reports/months/:month (not a month)", kind: "api", method: "GET", path: () => "/api/v1/reports/months/2026-1", access: pub(400) }, // prettier-ignore
    ],
  },
  // ---------------------------------------------------------------- prisoner registry (issue 11)
  "routes/prisoners._index": {
    category: "public",
    calls: [
      {
        label: "GET /prisoners",
        kind: "page",
        method: "GET",
        path: () => "/prisoners",
        access: pub(200),
      },
    ],
  },
  "routes/prisoners.$slug": {
    category: "public",
    calls: [
      {
        label: "GET /prisoners/:slug",
        kind: "page",
        method: "GET",
        path: () => "/prisoners/permissions-test-prisoner",
        access: pub(200),
      },
      {
        label: "GET /prisoners/:slug (unknown)",
        kind: "page",
        method: "GET",
        path: () => "/prisoners/no-such-prisoner",
        access: pub(404),
      },
    ],
  },
  "routes/admin.prisoners._index": {
    category: "treasurer-only",
    calls: [
      {
        label: "GET /admin/prisoners",
        kind: "page",
        method: "GET",
        path: () => "/admin/prisoners",
        access: { type: "treasurer" },
      },
    ],
  },
  "routes/admin.prisoners.new": {
    category: "treasurer-only",
    calls: [
      {
        label: "GET /admin/prisoners/new",
        kind: "page",
        method: "GET",
        path: () => "/admin/prisoners/new",
        access: { type: "treasurer" },
      },
      {
        label: "POST /admin/prisoners/new",
        kind: "page",
        method: "POST",
        path: () => "/admin/prisoners/new",
        form: () => ({ "name.en": "Permission Page Prisoner", status: "detained" }),
        access: { type: "treasurer" },
        okStatus: 302,
      },
    ],
  },
  "routes/admin.prisoners.$id": {
    category: "treasurer-only",
    calls: [
      {
        label: "GET /admin/prisoners/:id",
        kind: "page",
        method: "GET",
        path: (_t, c) => `/admin/prisoners/${c.prisonerId}`,
        access: { type: "treasurer" },
      },
      {
        label: "POST /admin/prisoners/:id intent=save",
        kind: "page",
        method: "POST",
        path: (_t, c) => `/admin/prisoners/${c.prisonerId}`,
        form: () => ({
          intent: "save",
          "name.en": "Test Prisoner",
          "heldAt.en": "Permission test colony",
          status: "detained",
        }),
        access: { type: "treasurer" },
      },
      {
        label: "POST /admin/prisoners/:id intent=upload-photo (multipart)",
        kind: "page",
        method: "POST",
        path: (_t, c) => `/admin/prisoners/${c.prisonerId}`,
        multipart: () => pictureForm({ intent: "upload-photo" }),
        access: { type: "treasurer" },
      },
      {
        // The treasurer, second, would find no photo left to remove (nothing changes).
        label: "POST /admin/prisoners/:id intent=remove-photo",
        kind: "page",
        method: "POST",
        path: (_t, c) => `/admin/prisoners/${c.prisonerId}`,
        form: () => ({ intent: "remove-photo", confirm: "yes" }),
        access: { type: "treasurer" },
        only: ["admin", "organiserA", "organiserB", "doorA", "member", "anonymous"],
      },
      {
        label: "POST /admin/prisoners/:id intent=(unknown)",
        kind: "page",
        method: "POST",
        path: (_t, c) => `/admin/prisoners/${c.prisonerId}`,
        form: () => ({ intent: "make-me-admin" }),
        access: { type: "treasurer" },
        okStatus: 400,
        changes: false,
      },
    ],
  },
  "routes/api.v1.prisoners._index": {
    category: "treasurer-only",
    calls: [
      {
        label: "GET /api/v1/prisoners",
        kind: "api",
        method: "GET",
        path: () => "/api/v1/prisoners",
        access: pub(200),
      },
      {
        label: "POST /api/v1/prisoners",
        kind: "api",
        method: "POST",
        path: () => "/api/v1/prisoners",
        json: () => ({ name: { en: "Permission Api Prisoner" } }),
        access: { type: "treasurer" },
        okStatus: 201,
      },
    ],
  },
  "routes/api.v1.prisoners.$id._index": {
    category: "treasurer-only",
    calls: [
      {
        label: "GET /api/v1/prisoners/:id",
        kind: "api",
        method: "GET",
        path: (_t, c) => `/api/v1/prisoners/${c.prisonerId}`,
        access: pub(200),
      },
      {
        label: "PATCH /api/v1/prisoners/:id",
        kind: "api",
        method: "PATCH",
        path: (_t, c) => `/api/v1/prisoners/${c.prisonerId}`,
        json: () => ({ sentence: "Permission test sentence" }),
        access: { type: "treasurer" },
      },
    ],
  },
  "routes/api.v1.prisoners.$id.photo": {
    category: "treasurer-only",
    calls: [
      {
        label: "GET /api/v1/prisoners/:id/photo",
        kind: "api",
        method: "GET",
        path: (_t, c) => `/api/v1/prisoners/${c.prisonerId}/photo`,
        access: pub(405),
      },
      {
        label: "PUT /api/v1/prisoners/:id/photo (multipart)",
        kind: "api",
        method: "PUT",
        path: (_t, c) => `/api/v1/prisoners/${c.prisonerId}/photo`,
        multipart: () => pictureForm(),
        access: { type: "treasurer" },
      },
      {
        // The treasurer, second, would find no photo left to remove (nothing changes).
        label: "DELETE /api/v1/prisoners/:id/photo",
        kind: "api",
        method: "DELETE",
        path: (_t, c) => `/api/v1/prisoners/${c.prisonerId}/photo`,
        access: { type: "treasurer" },
        okStatus: 204,
        only: ["admin", "organiserA", "organiserB", "doorA", "member", "anonymous"],
      },
    ],
  },
  // ---------------------------------------------------------------- festival costs
  // festival:costs is festival:money's reach for organisers and admins; a treasurer
  // needs a proved second factor, which the actors here lack: refused apart.
  "routes/admin.festivals.$id.costs": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /admin/festivals/:id/costs",
        kind: "page",
        method: "GET",
        path: (t) => `/admin/festivals/${t.id}/costs`,
        access: fest("money"),
        only: notTreasurer(),
      },
      {
        label: "GET /admin/festivals/:id/costs (treasurer without a second factor: to enrol)",
        kind: "page",
        method: "GET",
        path: (t) => `/admin/festivals/${t.id}/costs`,
        access: pub(302),
        only: ["treasurer"],
      },
      {
        label: "POST costs intent=submit",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/costs`,
        form: () => ({
          intent: "submit",
          category: "venue",
          description: "Permissions test hall",
          amount: "10",
        }),
        access: fest("money"),
        only: notTreasurer(),
      },
      {
        label: "POST costs intent=submit (treasurer without a second factor)",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/costs`,
        form: () => ({ intent: "submit", category: "venue", description: "x", amount: "10" }),
        access: pub(302),
        only: ["treasurer"],
      },
      {
        // Approving is treasury: organisers 403, money roles without a second factor to enrol.
        label: "POST costs intent=approve",
        kind: "page",
        method: "POST",
        path: (t) => `/admin/festivals/${t.id}/costs`,
        form: (t) => ({ intent: "approve", costId: costOf(t).id }),
        access: pub((a) =>
          a === "anonymous" || a === "admin" || a === "treasurer"
            ? 302
            : a === "organiserB"
              ? 403
              : 404,
        ),
      },
    ],
  },
  "routes/admin.festivals.$id.costs.$costId.receipt": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /admin/festivals/:id/costs/:costId/receipt",
        kind: "download",
        method: "GET",
        path: (t) => `/admin/festivals/${t.id}/costs/${costOf(t).id}/receipt`,
        access: fest("money"),
        only: notTreasurer(),
      },
      {
        label: "GET /admin/festivals/:id/costs/:costId/receipt (treasurer without a second factor)",
        kind: "download",
        method: "GET",
        path: (t) => `/admin/festivals/${t.id}/costs/${costOf(t).id}/receipt`,
        access: pub(302),
        only: ["treasurer"],
      },
      {
        // A's cost under B's address: nobody gets it.
        label: "GET B's address with A's cost",
        kind: "download",
        method: "GET",
        path: (_t, c) => `/admin/festivals/${c.B.id}/costs/${costOf(c.A).id}/receipt`,
        access: pub((a) => (a === "anonymous" || a === "treasurer" ? 302 : 404)),
      },
    ],
  },
  "routes/api.v1.festivals.$id.costs": {
    category: "festival-scoped",
    calls: [
      {
        label: "GET /api/v1/festivals/:id/costs",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/festivals/${t.id}/costs`,
        access: fest("money"),
        only: notTreasurer(),
      },
      {
        label: "GET /api/v1/festivals/:id/costs (treasurer without a second factor)",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/festivals/${t.id}/costs`,
        access: pub(403),
        only: ["treasurer"],
      },
      {
        label: "POST /api/v1/festivals/:id/costs",
        kind: "api",
        method: "POST",
        path: (t) => `/api/v1/festivals/${t.id}/costs`,
        json: () => ({
          category: "venue",
          description: "Permissions test hall",
          amountMinor: 1000,
        }),
        access: fest("money"),
        okStatus: 201,
        only: notTreasurer(),
      },
      {
        label: "POST /api/v1/festivals/:id/costs (treasurer without a second factor)",
        kind: "api",
        method: "POST",
        path: (t) => `/api/v1/festivals/${t.id}/costs`,
        json: () => ({ category: "venue", description: "x", amountMinor: 1000 }),
        access: pub(403),
        only: ["treasurer"],
      },
    ],
  },
  "routes/api.v1.costs.$id.$action": {
    category: "money",
    calls: [
      ...(["approve", "reject", "paid"] as const).map((action): Call => ({
        // treasury: organisers and door staff 403; admins and treasurers without a second factor 403.
        label: `POST /api/v1/costs/:id/${action}`,
        kind: "api",
        method: "POST",
        path: (t) => `/api/v1/costs/${costOf(t).id}/${action}`,
        json: () =>
          action === "reject" ? { note: "no" } : action === "paid" ? { reference: "x" } : {},
        access: pub((a) => (a === "anonymous" ? 401 : 403)),
      })),
      {
        // The submitter's (none of the actors): 404 without a tie to the festival, else 403.
        label: "POST /api/v1/costs/:id/cancel",
        kind: "api",
        method: "POST",
        path: (t) => `/api/v1/costs/${costOf(t).id}/cancel`,
        json: () => ({}),
        access: pub((a) =>
          a === "anonymous"
            ? 401
            : a === "admin" || a === "treasurer" || a === "organiserB"
              ? 403
              : 404,
        ),
      },
      {
        label: "GET /api/v1/costs/:id/approve",
        kind: "api",
        method: "GET",
        path: (t) => `/api/v1/costs/${costOf(t).id}/approve`,
        access: pub(405),
      },
    ],
  },
  // ---------------------------------------------------------------- twofactor (decision 0035)
  "routes/account_.security": {
    category: "signed-in",
    calls: [
      {
        label: "GET /account/security",
        kind: "page",
        method: "GET",
        path: () => "/account/security",
        access: { type: "signed-in" },
      },
      {
        label: "GET /account/security.data",
        kind: "data",
        method: "GET",
        path: () => data("/account/security", "routes/account_.security"),
        access: { type: "signed-in" },
      },
      {
        // One's own account only: the form names no other.
        label: "POST /account/security intent=start",
        kind: "page",
        method: "POST",
        path: () => "/account/security",
        form: () => ({ intent: "start" }),
        access: { type: "signed-in" },
        okStatus: 302,
        // It writes only the account's own pending secret, which the snapshot does not cover.
        changes: false,
      },
      {
        label: "POST /account/security intent=verify (wrong code)",
        kind: "page",
        method: "POST",
        path: () => "/account/security",
        form: () => ({ intent: "verify", code: "000000" }),
        access: { type: "signed-in" },
        okStatus: 401,
        changes: false,
      },
      {
        label: "POST /account/security intent=(unknown)",
        kind: "page",
        method: "POST",
        path: () => "/account/security",
        form: () => ({ intent: "disable-for", userId: "someone" }),
        access: { type: "signed-in" },
        okStatus: 400,
        changes: false,
      },
    ],
  },
  "routes/api.v1.users_.$id.second-factor": {
    category: "admin-only",
    calls: [
      {
        label: "GET /api/v1/users/:id/second-factor",
        kind: "api",
        method: "GET",
        path: (_t, c) => `/api/v1/users/${c.treasurerId}/second-factor`,
        access: pub(405),
      },
      {
        // Resetting a real account also needs the admin's own second factor (tests/http/two-factor.test.ts).
        label: "DELETE /api/v1/users/:id/second-factor (unknown account)",
        kind: "api",
        method: "DELETE",
        path: () => "/api/v1/users/nobody/second-factor",
        access: { type: "admin" },
        okStatus: 404,
        changes: false,
      },
    ],
  },
  // ---------------------------------------------------------------- prisoner registry (issue 11)
  ...payoutApiRows(),
  // ---------------------------------------------------------------- funds API (issue 11, H1)
  ...fundsApiRows(),
  // ---------------------------------------------------------------- treasury (issue 11, pages)
  ...treasuryPageRows(),
};

/** The treasury's pages: GET and every form intent (the bodies are refused before they matter). */
function treasuryPageRows(): Record<string, RouteRow> {
  const money: Access = { type: "money" };
  const page = (path: string, intents: [string, Record<string, string>][]): RouteRow => ({
    category: "money-only",
    calls: [
      { label: `GET ${path}`, kind: "page", method: "GET", path: () => path, access: money },
      ...intents.map(([intent, form]): Call => ({
        label: `POST ${path} intent=${intent}`,
        kind: "page",
        method: "POST",
        // The overview is an index route: its forms post to `?index`.
        path: () => (path === "/admin/treasury" ? "/admin/treasury?index" : path),
        form: () => ({ ...(intent ? { intent } : {}), ...form }),
        access: money,
      })),
    ],
  });
  return {
    "routes/admin.treasury": page("/admin/treasury", []),
    "routes/admin.treasury._index": page("/admin/treasury", [
      ["allocate", { festivalId: "x", confirm: "yes" }],
    ]),
    "routes/admin.treasury.recipients._index": page("/admin/treasury/recipients", [
      ["", { prisonerId: "x", kind: "lawyer", displayName: "Someone", details: "Account" }],
    ]),
    "routes/admin.treasury.recipients.$id": page("/admin/treasury/recipients/c000000000000nope", [
      ["archive", { confirm: "yes" }],
    ]),
    "routes/admin.treasury.payouts": page("/admin/treasury/payouts", [
      [
        "propose",
        { prisonerId: "x", recipientId: "x", category: "lawyer", amount: "1", currency: "EUR" },
      ],
      ["approve", { payoutId: "x" }],
      ["reject", { payoutId: "x", confirm: "yes" }],
      ["cancel", { payoutId: "x", confirm: "yes" }],
      ["paid", { payoutId: "x", reference: "r", paidAt: "2026-12-01" }],
    ]),
    "routes/admin.treasury.plan": page("/admin/treasury/plan", [
      ["accept", { prisonerId: "x", recipientId: "x", category: "lawyer", confirm: "yes" }],
    ]),
    "routes/admin.treasury.transfers": page("/admin/treasury/transfers", [
      ["propose", { from: "general", to: "x", amount: "1", currency: "EUR", reason: "r" }],
      ["approve", { transferId: "x" }],
    ]),
    "routes/admin.treasury.exchanges": page("/admin/treasury/exchanges", [
      [
        "",
        {
          fund: "general",
          fromAmount: "1",
          fromCurrency: "EUR",
          toCurrency: "RUB",
          rate: "90",
          ratedOn: "2026-12-01",
        },
      ],
    ]),
    "routes/admin.festivals.$id.allocation": {
      category: "festival-scoped",
      calls: [
        {
          label: "GET /admin/festivals/:id/allocation",
          kind: "page",
          method: "GET",
          path: (t) => `/admin/festivals/${t.id}/allocation`,
          access: fest("allocation"),
        },
        {
          label: "POST /admin/festivals/:id/allocation (all to the general fund)",
          kind: "page",
          method: "POST",
          path: (t) => `/admin/festivals/${t.id}/allocation`,
          form: () => ({ mode: "shares", generalPercent: "100" }),
          access: fest("allocation"),
        },
      ],
    },
  };
}

/**
 * Funds, allocation, exchanges and transfers. Treasury calls need a proved
 * second factor, which no actor here has (403 second_factor_required for
 * admin and treasurer, 403 for everyone else); the allocation rule is a
 * festival permission (organisers and treasurers).
 */
function fundsApiRows(): Record<string, RouteRow> {
  const money: Access = { type: "money" };
  const call = (
    method: Call["method"],
    path: string,
    json?: (t: Target, ctx: Ctx) => unknown,
    access: Access = money,
  ): Call => ({
    label: `${method} ${path}`,
    kind: "api",
    method,
    path: () => path,
    ...(json ? { json } : {}),
    access,
  });
  const row = (...calls: Call[]): RouteRow => ({ category: "money-only", calls });
  return {
    "routes/api.v1.festivals.$id.allocation": {
      category: "festival-scoped",
      calls: [
        {
          label: "GET /api/v1/festivals/:id/allocation",
          kind: "api",
          method: "GET",
          path: (t) => `/api/v1/festivals/${t.id}/allocation`,
          access: fest("allocation"),
        },
        {
          label: "PUT /api/v1/festivals/:id/allocation (all to the general fund)",
          kind: "api",
          method: "PUT",
          path: (t) => `/api/v1/festivals/${t.id}/allocation`,
          json: () => ({ shares: [], generalPercent: 100 }),
          access: fest("allocation"),
        },
      ],
    },
    "routes/api.v1.festivals.$id.allocate": {
      category: "money-only",
      calls: [
        {
          label: "POST /api/v1/festivals/:id/allocate",
          kind: "api",
          method: "POST",
          path: (t) => `/api/v1/festivals/${t.id}/allocate`,
          access: money,
        },
        {
          label: "GET /api/v1/festivals/:id/allocate",
          kind: "api",
          method: "GET",
          path: (t) => `/api/v1/festivals/${t.id}/allocate`,
          access: pub(405),
        },
      ],
    },
    "routes/api.v1.prisoners.$id.fund": row(
      {
        label: "GET /api/v1/prisoners/:id/fund",
        kind: "api",
        method: "GET",
        path: (_t, c) => `/api/v1/prisoners/${c.prisonerId}/fund`,
        access: money,
      },
      call("POST", "/api/v1/prisoners/c000000000000nope/fund", () => ({}), pub(405)),
    ),
    "routes/api.v1.funds.general": row(
      call("GET", "/api/v1/funds/general"),
      call("POST", "/api/v1/funds/general", () => ({}), pub(405)),
    ),
    "routes/api.v1.exchanges": row(
      call("GET", "/api/v1/exchanges"),
      call("POST", "/api/v1/exchanges", () => ({
        prisonerId: null,
        fromCurrency: "EUR",
        toCurrency: "RUB",
        amountMinor: 100,
        rate: "95.25",
        ratedOn: "2026-12-01",
      })),
    ),
    "routes/api.v1.transfers._index": row(
      call("GET", "/api/v1/transfers"),
      call("POST", "/api/v1/transfers", (_t, c) => ({
        fromPrisonerId: null,
        toPrisonerId: c.prisonerId,
        currency: "EUR",
        amountMinor: 100,
        reason: "permissions test",
      })),
    ),
    "routes/api.v1.transfers.$id.$action": row(
      call("GET", "/api/v1/transfers/c000000000000nope/approve", undefined, pub(405)),
      call("POST", "/api/v1/transfers/c000000000000nope/approve"),
      call("POST", "/api/v1/transfers/c000000000000nope/reject"),
      call("POST", "/api/v1/transfers/c000000000000nope/cancel"),
    ),
  };
}

/** Recipients and payouts: the treasury permission, which no actor here holds (no second factor). */
function payoutApiRows(): Record<string, RouteRow> {
  const money: Access = { type: "money" };
  const call = (
    method: Call["method"],
    path: string,
    json?: (t: Target, ctx: Ctx) => unknown,
    access: Access = money,
  ): Call => ({
    label: `${method} ${path}`,
    kind: "api",
    method,
    path: () => path,
    ...(json ? { json } : {}),
    access,
  });
  const row = (...calls: Call[]): RouteRow => ({ category: "money-only", calls });
  return {
    "routes/api.v1.recipients._index": row(
      call("GET", "/api/v1/recipients"),
      call("POST", "/api/v1/recipients", (_t, c) => ({
        prisonerId: c.prisonerId,
        kind: "lawyer",
        displayName: "Permission Test Recipient",
        details: "Account 0000",
      })),
    ),
    "routes/api.v1.recipients.$id._index": row(
      call("GET", "/api/v1/recipients/c000000000000nope"),
      call("PATCH", "/api/v1/recipients/c000000000000nope", () => ({ details: "changed" })),
    ),
    "routes/api.v1.recipients.$id.archive": row(
      call("GET", "/api/v1/recipients/c000000000000nope/archive", undefined, pub(405)),
      call("POST", "/api/v1/recipients/c000000000000nope/archive"),
    ),
    "routes/api.v1.payouts._index": row(
      call("GET", "/api/v1/payouts"),
      call("POST", "/api/v1/payouts", (_t, c) => ({
        prisonerId: c.prisonerId,
        recipientId: "c000000000000nope",
        category: "lawyer",
        amountMinor: 100,
        currency: "EUR",
      })),
    ),
    "routes/api.v1.payouts.$id._index": row(
      call("GET", "/api/v1/payouts/c000000000000nope"),
      call("POST", "/api/v1/payouts/c000000000000nope", undefined, pub(405)),
    ),
    "routes/api.v1.payouts.$id.$action": row(
      call("GET", "/api/v1/payouts/c000000000000nope/approve", undefined, pub(405)),
      call("POST", "/api/v1/payouts/c000000000000nope/approve"),
      call("POST", "/api/v1/payouts/c000000000000nope/reject", () => ({ reason: "no" })),
      call("POST", "/api/v1/payouts/c000000000000nope/cancel", () => ({})),
      call("POST", "/api/v1/payouts/c000000000000nope/paid", () => ({
        reference: "r",
        paidAt: "2026-12-01T10:00:00Z",
      })),
    ),
    "routes/api.v1.payouts.plan": row(
      call("GET", "/api/v1/payouts/plan?prisonerId=x&recipientId=y"),
      call("POST", "/api/v1/payouts/plan", (_t, c) => ({
        prisonerId: c.prisonerId,
        recipientId: "c000000000000nope",
        category: "lawyer",
      })),
    ),
  };
}

// ------------------------------------------------------------------ expected outcomes

type Outcome =
  | { type: "allow"; status: number }
  | { type: "sign-in" }
  | { type: "deny"; status: 403 | 404 }
  | { type: "status"; status: number };
type Case = { actor: ActorName; target: Target["label"]; outcome: Outcome };

const isWrite = (call: Call) => call.method !== "GET";

function cases(call: Call): Case[] {
  const ok = (actor: ActorName, target: Target["label"] = "B"): Case => ({
    actor,
    target,
    outcome: { type: "allow", status: call.okStatus ?? 200 },
  });
  const deny = (actor: ActorName, status: 403 | 404, target: Target["label"] = "B"): Case => ({
    actor,
    target,
    outcome: { type: "deny", status },
  });
  const signIn = (): Case => ({ actor: "anonymous", target: "B", outcome: { type: "sign-in" } });
  const a = call.access;
  let list: Case[];
  switch (a.type) {
    case "public":
      list = ACTORS.map((actor) => ({
        actor,
        target: "B",
        outcome: { type: "status", status: a.status(actor) },
      }));
      break;
    case "dev-only":
      list = ACTORS.map((actor) => ({
        actor,
        target: "B",
        outcome: { type: "status", status: 404 },
      }));
      break;
    case "signed-in":
      list = [signIn(), ...ACTORS.filter((x) => x !== "anonymous").map((actor) => ok(actor))];
      break;
    case "create":
      list = [
        signIn(),
        ok("admin"),
        ok("organiserA"),
        ok("organiserB"),
        deny("treasurer", 403),
        deny("doorA", 403),
        deny("member", 403),
      ];
      break;
    case "admin":
      list = [
        signIn(),
        ok("admin"),
        ...(["treasurer", "organiserA", "organiserB", "doorA", "member"] as const).map((x) =>
          deny(x, 403),
        ),
      ];
      break;
    case "treasurer":
      list = [
        signIn(),
        ok("admin"),
        ok("treasurer"),
        ...(["organiserA", "organiserB", "doorA", "member"] as const).map((x) => deny(x, 403)),
      ];
      break;
    case "money":
      // Nobody here proved a second factor: pages send money roles to prove it,
      // the API refuses them (403 second_factor_required); everyone else is refused.
      list = [
        signIn(),
        ...(["admin", "treasurer"] as const).map((actor): Case => ({
          actor,
          target: "B",
          outcome: { type: "status", status: call.kind === "api" ? 403 : 302 },
        })),
        ...(["organiserA", "organiserB", "doorA", "member"] as const).map((x) => deny(x, 403)),
      ];
      break;
    case "festival": {
      // Allowed writes run against a fresh festival so that B stays as it was.
      const allowedTarget = isWrite(call) ? "fresh" : "B";
      list = [
        signIn(),
        deny("member", 404),
        deny("organiserA", 404),
        deny("doorA", 404),
        a.permission === "door" || a.permission === "corner"
          ? ok("doorA", "A")
          : deny("doorA", 403, "A"),
        a.permission === "view" || a.permission === "money"
          ? ok("treasurer")
          : a.permission === "allocation"
            ? ok("treasurer", allowedTarget)
            : deny("treasurer", 403),
        ok("organiserB", allowedTarget),
        ok("admin", allowedTarget),
        ...(isWrite(call) ? [] : [ok("organiserA", "A")]),
      ];
      break;
    }
  }
  return call.only ? list.filter((c) => call.only!.includes(c.actor)) : list;
}

const describeOutcome = (o: Outcome) =>
  o.type === "sign-in"
    ? "sign-in"
    : o.type === "allow"
      ? `allowed ${o.status}`
      : o.type === "deny"
        ? `denied ${o.status}`
        : `${o.status}`;

// ------------------------------------------------------------------ test state

let app: TestApp;
let ctx: Ctx;
const clients = {} as Record<Exclude<ActorName, "anonymous">, Client>;
const tokens = {} as Record<Exclude<ActorName, "anonymous">, string>;
const emails = {} as Record<Exclude<ActorName, "anonymous">, string>;

async function makeFestival(
  label: Target["label"],
  name: string,
  status: "draft" | "published",
  organiser: string | null,
): Promise<Target> {
  const festival = await createFestivalRow({
    name,
    status,
    publishedAt: status === "published" ? new Date() : null,
    venueName: `${name} hall`,
  });
  const itemTitle = `${name} secret programme item`;
  const item = await prisma.programmeItem.create({
    data: {
      festivalId: festival.id,
      title: itemTitle,
      kind: "talk",
      startsAt: new Date("2030-01-26T14:00:00Z"),
    },
  });
  const door = await createUserRow({ email: uniqueEmail(`door-of-${label.toLowerCase()}`) });
  await addMember(festival.id, door.id, "door");
  if (organiser) await addMember(festival.id, organiser, "organiser");
  const order = await makeOrder(festival.id, name);
  const corner = await makeTattoo(festival.id, name);
  const tattoo = await makeArtist(festival.id, name);
  const { id: availabilityId } = await addAvailability(
    {
      id: "permission-fixtures",
      email: "fixtures@example.test",
      name: null,
      role: "admin",
      locale: null,
      memberships: [],
    },
    tattoo.artistId,
    availabilityInput.parse({
      startsAt: "2030-01-26T15:00",
      endsAt: "2030-01-26T17:00",
      slotMinutes: 45,
      minDonationMinor: 2000,
    }),
  );
  return {
    label,
    availabilityId,
    id: festival.id,
    slug: festival.slug,
    name,
    itemId: item.id,
    itemTitle,
    doorUserId: door.id,
    doorEmail: door.email,
    invitees: [],
    ...order,
    ...tattoo,
    corner,
  };
}

/**
 * A tattoo artist with booked slots (paid at the festival, the donation due),
 * one no-show still holding its slot, and two free slots, written directly as
 * the checkout would have (the festival may be a draft).
 */
async function makeTattoo(festivalId: string, festivalName: string): Promise<TattooRows> {
  const artistId = `art_${randomId(12)}`;
  const at = (hour: number) => new Date(Date.UTC(2030, 0, 26, 10 + hour)).toISOString();
  const db = prisma;
  await db.$executeRawUnsafe(
    `INSERT INTO TattooArtist (id, festivalId, name, bio, createdAt, updatedAt) VALUES (?, ?, ?, '{}', ?, ?)`,
    artistId,
    festivalId,
    `${festivalName} needle`,
    new Date().toISOString(),
    new Date().toISOString(),
  );
  const slot = async (hour: number, reserved: number) => {
    const id = `tsl_${randomId(12)}`;
    await db.$executeRawUnsafe(
      `INSERT INTO TattooSlot (id, festivalId, artistId, startsAt, endsAt, minDonationMinor, reserved, createdAt)
       VALUES (?, ?, ?, ?, ?, 2000, ?, ?)`,
      id,
      festivalId,
      artistId,
      at(hour).replace("Z", "+00:00"),
      at(hour + 1).replace("Z", "+00:00"),
      reserved,
      new Date().toISOString().replace("Z", "+00:00"),
    );
    return id;
  };
  const booking = async (hour: number, status: "booked" | "no_show") => {
    const slotId = await slot(hour, 1);
    const n = ++orderCounter;
    const orderId = `ord_${randomId(12)}`;
    const itemId = `itm_${randomId(12)}`;
    await prisma.order.create({
      data: {
        id: orderId,
        festivalId,
        code: `TAT${n}-${randomId(3).toUpperCase()}`,
        accessToken: randomId(24),
        email: `tattoo-${n}-${Date.now().toString(36)}@example.test`,
        name: `Tattoo Booker${n}`,
        status: "confirmed",
        paymentMethod: "door",
        currency: "EUR",
        totalMinor: 2500,
        items: {
          create: {
            id: itemId,
            kind: "tattoo_slot",
            quantity: 1,
            unitPriceMinor: 2500,
            amountMinor: 2500,
            category: `tattoo.${artistId}`,
          },
        },
      },
    });
    const now = new Date().toISOString().replace("Z", "+00:00");
    await db.$executeRawUnsafe(
      `INSERT INTO TattooBooking (orderItemId, orderId, festivalId, artistId, slotId, status, holdsSlot, dueMinor, createdAt, updatedAt)
       VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`,
      itemId,
      orderId,
      festivalId,
      artistId,
      slotId,
      status,
      status === "booked" ? 2500 : 0,
      now,
      now,
    );
    return itemId;
  };
  return {
    doneId: await booking(0, "booked"),
    pageDoneId: await booking(6, "booked"),
    noShowId: await booking(1, "booked"),
    collectId: await booking(2, "booked"),
    releaseId: await booking(3, "no_show"),
    apiWalkInSlotId: await slot(4, 0),
    pageWalkInSlotId: await slot(5, 0),
  };
}

/**
 * A tattoo artist named after the festival, with a portfolio picture (a row
 * only: its files are not needed to remove it) and a flash design, written as
 * the domain module writes them.
 */
async function makeArtist(festivalId: string, festivalName: string) {
  const artistName = `${festivalName} secret artist`;
  const at = sqlDate(new Date());
  const artistId = randomId(16);
  const imageId = randomId(16);
  const flashId = randomId(16);
  const file = randomId(16);
  await sqlClient().batch(
    [
      {
        sql: `INSERT INTO TattooArtist (id, festivalId, name, bio, contact, position, createdAt, updatedAt)
              VALUES (?, ?, ?, '{}', ?, 0, ?, ?)`,
        args: [artistId, festivalId, artistName, `${festivalName} artist contact`, at, at],
      },
      {
        sql: `INSERT INTO TattooImage (id, artistId, kind, file, thumbFile, width, height, bytes, position, createdAt)
              VALUES (?, ?, 'portfolio', ?, ?, 10, 10, 100, 0, ?)`,
        args: [imageId, artistId, `${file}.webp`, `${file}-t.webp`, at],
      },
      {
        sql: `INSERT INTO FlashDesign (id, festivalId, artistId, title, minDonationMinor, maxUses, createdAt)
              VALUES (?, ?, ?, ?, 1000, 3, ?)`,
        args: [flashId, festivalId, artistId, `${festivalName} flash`, at],
      },
    ],
    "write",
  );
  return { artistId, artistName, imageId, flashId };
}

/** A small real picture in a multipart form (field `image`), with other fields. */
let picture: Buffer;
function pictureForm(fields: Record<string, string> = {}) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append("image", new Blob([new Uint8Array(picture)], { type: "image/png" }), "x.png");
  return form;
}

let orderCounter = 0;
const randomId = (bytes = 18) => randomBytes(bytes).toString("base64url");

/**
 * A ticket type and one confirmed pay-at-the-door order for one ticket of it,
 * written directly: the rows the checkout would have made (the held place
 * counted in `reserved`, so that cancelling it releases a real one).
 */
async function makeOrder(festivalId: string, festivalName: string) {
  const n = ++orderCounter;
  const ticketTypeName = `${festivalName} secret ticket type`;
  const type = await prisma.ticketType.create({
    data: {
      festivalId,
      name: JSON.stringify({ en: ticketTypeName, ru: ticketTypeName }),
      priceMinor: 1200,
      capacity: 50,
      reserved: 1,
    },
  });
  // Named, so that the CSV export carries the email too (anonymous buyers' emails are left out).
  const buyerName = `Buyer Number${n} Petrova`;
  const buyerEmail = `buyer-${n}-${Date.now().toString(36)}@example.test`;
  const orderId = `ord_${randomId(12)}`;
  await prisma.order.create({
    data: {
      id: orderId,
      festivalId,
      code: `PRM${n}-${randomId(3).toUpperCase()}`,
      accessToken: randomId(24),
      email: buyerEmail,
      name: buyerName,
      status: "confirmed",
      paymentMethod: "door",
      currency: "EUR",
      totalMinor: 1200,
      items: {
        create: {
          id: `itm_${randomId(12)}`,
          kind: "ticket",
          ticketTypeId: type.id,
          quantity: 1,
          unitPriceMinor: 1200,
          amountMinor: 1200,
        },
      },
    },
  });
  const item = await prisma.orderItem.findFirstOrThrow({ where: { orderId } });
  const ticket = await prisma.ticket.create({
    data: {
      id: `tkt_${randomId(12)}`,
      orderId,
      orderItemId: item.id,
      festivalId,
      ticketTypeId: type.id,
      amountDueMinor: 1200,
      qrToken: `not-a-signed-token-${randomId(12)}`,
    },
  });
  // A scan at a door device named after the festival, for the door pages and exports.
  const device = await prisma.doorDevice.create({
    data: { festivalId, name: `${festivalName} door`, tokenHash: `hash-${randomId(16)}` },
  });
  await prisma.checkIn.create({
    data: {
      festivalId,
      ticketId: ticket.id,
      deviceId: device.id,
      nonce: `${device.id}:perm-${randomId(12)}`,
      result: "payment_due",
      scannedAt: new Date(),
      response: JSON.stringify({ result: "payment_due" }),
    },
  });
  const quota = await prisma.quota.create({
    data: { festivalId, name: `${festivalName} quota`, capacity: 200 },
  });
  return {
    ticketTypeId: type.id,
    ticketTypeName,
    quotaId: quota.id,
    orderId,
    buyerName,
    buyerEmail,
  };
}

let freshCounter = 0;
async function freshFestival(status: "draft" | "published"): Promise<Target> {
  const organiserB = await prisma.user.findUniqueOrThrow({ where: { email: emails.organiserB } });
  return makeFestival("fresh", `Fresh festival ${++freshCounter}`, status, organiserB.id);
}

/**
 * What the organiser pages of a festival show (a treasurer may read these):
 * its name, programme, ticket types, and its buyers' names and emails.
 */
const viewSecretsOf = (t: Target) => [
  t.name,
  t.itemTitle,
  t.ticketTypeName,
  t.buyerName,
  t.buyerEmail,
  t.artistName,
];
/** Who is on a festival's team (only its organisers and admins). */
const teamSecretsOf = (t: Target) => [t.doorEmail, ...t.invitees];
const secretsOf = (t: Target) => [...viewSecretsOf(t), ...teamSecretsOf(t)];

/**
 * What the permission checks watch, table by table: the columns a write could change, each
 * table's rows in a fixed order as one string (or a count). Read by SQLite in one statement —
 * the snapshot is taken before and after every write call, on a database that grows through
 * the file, so building rows as objects made it half of the file's time.
 */
const WATCHED: [name: string, row: string, from: string][] = [
  ["festivals", "json_array(id, name, status, updatedAt, publishedAt, cancelledAt)", "Festival ORDER BY id"],
  ["items", "json_array(id, festivalId, title)", "ProgrammeItem ORDER BY id"],
  ["members", "json_array(festivalId, userId, role)", "FestivalMember ORDER BY id"],
  ["invitations", "COUNT(*)", "Invitation"],
  ["outbox", "COUNT(*)", "OutboxEmail"],
  ["users", "json_array(id, email, name, role, passwordHash, disabledAt)", "User ORDER BY id"],
  ["liveTokens", "COUNT(*)", "ApiToken WHERE revokedAt IS NULL"],
  ["ticketTypes", "json_array(id, festivalId, name, priceMinor, capacity, reserved)", "TicketType ORDER BY id"],
  ["quotas", "json_array(id, festivalId, capacity, reserved)", "Quota ORDER BY id"],
  ["orders", "json_array(id, festivalId, status, cancelledAt, refundedAt)", `"Order" ORDER BY id`],
  ["tickets", "json_array(id, status, revokedAt)", "Ticket ORDER BY id"],
  ["supported", "json_array(festivalId, prisonerId)", "FestivalPrisoner ORDER BY festivalId, prisonerId"],
  ["allocationRules", "json_array(festivalId, version, equal, generalPercent, shares)", "AllocationRule ORDER BY festivalId, version"],
  ["fundMoves", "json_array((SELECT COUNT(*) FROM FundTransfer), (SELECT COUNT(*) FROM FundExchange), (SELECT COUNT(*) FROM LedgerEntry))", ""],
  ["doorDevices", "json_array(id, festivalId, revokedAt)", "DoorDevice ORDER BY id"],
  ["tattooBookings", "json_array(orderItemId, status, holdsSlot, dueMinor)", "TattooBooking ORDER BY orderItemId"],
  ["tattooSlots", "json_array(id, startsAt, endsAt, status, minDonationMinor, reserved, walkInsOnly)", "TattooSlot ORDER BY id"],
  ["artists", "json_array(id, name, bio, contact, userId, prisonerId)", "TattooArtist ORDER BY id"],
  ["images", "json_array(id, position)", "TattooImage ORDER BY id"],
  ["flash", "json_array(id, title, maxUses, status, minDonationMinor)", "FlashDesign ORDER BY id"],
  ["costs", "json_array(id, festivalId, status, amountMinor, receiptFile)", "FestivalCost ORDER BY id"],
  ["approvals", "COUNT(*)", "Approval"],
  // The prisoner registry (issue 11).
  ["prisoners", "json_array(id, slug, name, status, photoFile, updatedAt)", "Prisoner ORDER BY id"],
]; // prettier-ignore
const SNAPSHOT_SQL = `SELECT ${WATCHED.map(
  ([name, row, from]) =>
    `(SELECT group_concat(r, char(10)) FROM (SELECT ${row} AS r${from ? ` FROM ${from}` : ""})) AS "${name}"`,
).join(",\n")}`;

async function snapshot(): Promise<Record<string, string>> {
  const { rows } = await sqlClient().execute(SNAPSHOT_SQL);
  return Object.fromEntries(WATCHED.map(([name]) => [name, String(rows[0]![name] ?? "")]));
}

async function perform(actor: ActorName, call: Call, t: Target): Promise<HttpResponse> {
  const client = actor === "anonymous" ? new Client(app.url) : clients[actor];
  const token = actor === "anonymous" ? undefined : tokens[actor];
  const pathname = call.path(t, ctx);
  if (call.multipart)
    return client.request(call.method, pathname, {
      body: call.multipart(t, ctx),
      headers: call.kind === "api" && token ? { Authorization: `Bearer ${token}` } : {},
    });
  if (call.kind === "api") return client.api(call.method, pathname, call.json?.(t, ctx), token);
  if (call.method === "GET") return client.get(pathname);
  return client.postForm(pathname, call.form?.(t, ctx) ?? {});
}

function expectJsonError(res: HttpResponse, error?: string) {
  expect(res.headers.get("content-type") ?? "").toMatch(/^application\/json/);
  expect(res.text.trimStart().startsWith("<")).toBe(false);
  const body = res.json<Record<string, unknown>>();
  expect(Object.keys(body).sort()).toEqual(["error", "message"]);
  expect(typeof body.message).toBe("string");
  if (error) expect(body.error).toBe(error);
}

function expectNoSecrets(res: HttpResponse, secrets: string[], why: string) {
  for (const secret of secrets) {
    expect(res.text.includes(secret), `${why}: response must not contain "${secret}"`).toBe(false);
  }
}

async function check(routeId: string, call: Call, c: Case) {
  const target =
    c.target === "fresh"
      ? await freshFestival(call.freshStatus ?? "draft")
      : c.target === "A"
        ? ctx.A
        : ctx.B;
  const before = isWrite(call) ? await snapshot() : null;
  const res = await perform(c.actor, call, target);
  const where = `${routeId} ${call.label} as ${c.actor} on ${c.target}`;
  const o = c.outcome;

  expect(res.status, `${where}: ${res.text.slice(0, 300)}`).toBe(
    o.type === "sign-in"
      ? call.kind === "api"
        ? 401
        : call.kind === "data"
          ? 202
          : 302
      : o.status,
  );

  // The shape of the answer.
  if (call.kind === "api" && res.status >= 400) expectJsonError(res);
  if (o.type === "sign-in") {
    if (call.kind === "api") {
      expectJsonError(res, "unauthorized");
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    } else if (call.kind === "data") {
      expect(res.text).toContain("SingleFetchRedirect");
      expect(res.text).toContain("/login?redirectTo=");
    } else {
      expect(res.location ?? "").toMatch(/^\/login\?redirectTo=/);
    }
  }
  if (o.type === "deny") {
    if (call.kind === "api" || call.kind === "download")
      expectJsonError(res, o.status === 403 ? "forbidden" : "not_found");
    else if (call.kind === "page")
      expect(res.headers.get("content-type") ?? "").toContain("text/html");
    // A refusal shows nothing of the festival it refused. A treasurer, who may
    // read every festival, is refused the team: it still sees no team member.
    const mayView = c.actor === "treasurer";
    expectNoSecrets(res, mayView ? teamSecretsOf(target) : secretsOf(target), `${where} (denied)`);
  }

  // Nobody without a tie to B ever sees B's private details, on any route;
  // only B's organisers and admins see its team.
  if (!MAY_SEE_B.includes(c.actor)) expectNoSecrets(res, secretsOf(ctx.B), where);
  if (c.actor === "treasurer") expectNoSecrets(res, teamSecretsOf(ctx.B), where);

  // Reads that are allowed really show the festival (so the leak checks above can bite).
  if (o.type === "allow" && !isWrite(call) && call.access.type === "festival") {
    expect(
      secretsOf(target).some((s) => res.text.includes(s)),
      `${where}: an allowed read should show something of festival ${target.label}`,
    ).toBe(true);
  }

  // Denied writes change nothing; allowed writes do (so the denied ones would have been seen).
  if (before) {
    const after = await snapshot();
    if (o.type === "allow" && call.changes !== false)
      expect(after, `${where}: an allowed write should change the database`).not.toEqual(before);
    else expect(after, `${where}: the database must not change`).toEqual(before);
  }

  // Someone with no tie to B cannot tell B from a festival that does not exist.
  if (o.type === "deny" && o.status === 404 && call.access.type === "festival") {
    const unknown: Target = {
      ...ctx.B,
      label: "unknown",
      id: "c0000000000000000000nope",
      itemId: "c0000000000000000000nope",
      ticketTypeId: "c0000000000000000000nope",
      quotaId: "c0000000000000000000nope",
      orderId: "ord_000000000000000nope",
      corner: {
        doneId: "itm_000000000000000nope",
        pageDoneId: "itm_000000000000000nope",
        noShowId: "itm_000000000000000nope",
        collectId: "itm_000000000000000nope",
        releaseId: "itm_000000000000000nope",
        apiWalkInSlotId: "tsl_000000000000000nope",
        pageWalkInSlotId: "tsl_000000000000000nope",
      },
      artistId: "c0000000000000000000nope",
      imageId: "c0000000000000000000nope",
      flashId: "c0000000000000000000nope",
    };
    const other = await perform(c.actor, call, unknown);
    expect(other.status, `${where}: same status as for an unknown festival`).toBe(res.status);
    if (call.kind === "api" || call.kind === "download")
      expect(other.text, `${where}: same body as for an unknown festival`).toBe(res.text);
  }
}

// ------------------------------------------------------------------ setup

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  picture = await sharp({ create: { width: 8, height: 8, channels: 3, background: "#c33" } })
    .png()
    .toBuffer();
  const admin = await createUserRow({ role: "admin", email: uniqueEmail("admin") });
  const treasurer = await createUserRow({ role: "treasurer", email: uniqueEmail("treasurer") });
  const organiserA = await createUserRow({ email: uniqueEmail("organiser-a") });
  const organiserB = await createUserRow({ email: uniqueEmail("organiser-b") });
  const doorA = await createUserRow({ email: uniqueEmail("door-a") });
  const member = await createUserRow({ email: uniqueEmail("member") });
  const bystander = await createUserRow({ email: uniqueEmail("bystander") });
  const A = await makeFestival("A", "Alpha Riga Benefit", "published", organiserA.id);
  const B = await makeFestival("B", "Bravo Hidden Draft Festival", "draft", organiserB.id);
  await addMember(A.id, doorA.id, "door");
  // A pending invitation to B's team: its email must not leak either.
  await prisma.invitation.create({
    data: {
      email: "pending-invitee-of-b@example.test",
      role: "member",
      tokenHash: "0".repeat(64),
      festivalId: B.id,
      festivalRole: "door",
      expiresAt: new Date(Date.now() + 86_400_000),
    },
  });
  B.invitees.push("pending-invitee-of-b@example.test");
  // A prisoner a festival may say it supports (public registry data, not a secret).
  const prisoner = await prisma.prisoner.create({
    data: { slug: "permissions-test-prisoner", name: JSON.stringify({ en: "Test Prisoner" }) },
  });
  ctx = {
    A,
    B,
    bystanderEmail: bystander.email,
    prisonerId: prisoner.id,
    treasurerId: treasurer.id,
  };
  const accounts = { admin, treasurer, organiserA, organiserB, doorA, member };
  for (const [name, user] of Object.entries(accounts) as [
    keyof typeof accounts,
    { email: string },
  ][]) {
    emails[name] = user.email;
    clients[name] = await signedInClient(app.url, user.email);
    tokens[name] = await apiToken(app.url, user.email);
  }
});
afterAll(() => app?.close());

// ------------------------------------------------------------------ the tests

function routeIdsFromFiles(): string[] {
  const dir = path.join(root, "app", "routes");
  const ids: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".")) continue;
    if (entry.isDirectory()) {
      // Folder routes: app/routes/<id>/route.tsx
      if (fs.readdirSync(path.join(dir, entry.name)).some((f) => /^route\.(tsx?|jsx?)$/.test(f)))
        ids.push(`routes/${entry.name}`);
      continue;
    }
    if (/\.test\.(tsx?|jsx?)$/.test(entry.name)) continue;
    const match = /^(.*)\.(tsx?|jsx?|mdx?)$/.exec(entry.name);
    if (match) ids.push(`routes/${match[1]}`);
  }
  return ids.sort();
}

type BuiltRoute = { id: string; hasLoader: boolean; hasAction: boolean };

/** The routes of the running production build, from the route manifest its pages load. */
async function builtRoutes(): Promise<BuiltRoute[]> {
  const page = await new Client(app.url).get("/");
  const manifestUrl = /\/build\/manifest-[A-Za-z0-9]+\.js/.exec(page.text)?.[0];
  expect(manifestUrl, "the page names the built route manifest").toBeTruthy();
  const text = (await new Client(app.url).get(manifestUrl!)).text;
  const manifest = JSON.parse(text.slice(text.indexOf("{"), text.lastIndexOf("}") + 1)) as {
    routes: Record<string, BuiltRoute>;
  };
  return Object.values(manifest.routes)
    .filter((r) => r.id !== "root")
    .sort((a, b) => a.id.localeCompare(b.id));
}

describe("route table", () => {
  it("classifies every route of the app (add a row to ROUTES for a new route)", async () => {
    const table = Object.keys(ROUTES).sort();
    const files = routeIdsFromFiles();
    const built = (await builtRoutes()).map((r) => r.id);
    const missing = [...new Set([...files, ...built])].filter((id) => !table.includes(id));
    expect(
      missing,
      `routes with no permission row in tests/http/permissions.test.ts: ${missing.join(", ")}`,
    ).toEqual([]);
    const stale = table.filter((id) => !files.includes(id) || !built.includes(id));
    expect(stale, `permission rows for routes that no longer exist: ${stale.join(", ")}`).toEqual(
      [],
    );
  });

  it("calls every loader (GET) and every action (another method) of the build", async () => {
    for (const route of await builtRoutes()) {
      const calls = ROUTES[route.id]?.calls ?? [];
      if (route.hasLoader)
        expect(
          calls.some((c) => c.method === "GET"),
          `${route.id} has a loader but no GET call in ROUTES`,
        ).toBe(true);
      if (route.hasAction)
        expect(
          calls.some((c) => c.method !== "GET"),
          `${route.id} has an action but no POST/PATCH/… call in ROUTES`,
        ).toBe(true);
    }
  });

  it("gives every route a call whose access matches its category", () => {
    for (const [id, row] of Object.entries(ROUTES)) {
      expect(row.calls.length, `${id} has no calls`).toBeGreaterThan(0);
    }
    // Every festival-scoped call says which permission it needs; every admin-only route has a denied call.
    for (const [id, row] of Object.entries(ROUTES)) {
      if (row.category === "festival-scoped")
        expect(
          row.calls.some((c) => c.access.type === "festival"),
          id,
        ).toBe(true);
      if (row.category === "admin-only")
        expect(
          row.calls.some((c) => c.access.type === "admin"),
          id,
        ).toBe(true);
      if (row.category === "treasurer-only")
        expect(
          row.calls.some((c) => c.access.type === "treasurer"),
          id,
        ).toBe(true);
      if (row.category === "money-only")
        expect(
          row.calls.some((c) => c.access.type === "money"),
          id,
        ).toBe(true);
      if (row.category === "festival-create")
        expect(
          row.calls.some((c) => c.access.type === "create"),
          id,
        ).toBe(true);
      if (row.category === "signed-in")
        expect(
          row.calls.every((c) => c.access.type === "signed-in"),
          id,
        ).toBe(true);
      if (row.category === "dev-only")
        expect(
          row.calls.every((c) => c.access.type === "dev-only"),
          id,
        ).toBe(true);
      if (row.category === "public")
        expect(
          row.calls.every((c) => c.access.type === "public"),
          id,
        ).toBe(true);
    }
  });
});

for (const [routeId, row] of Object.entries(ROUTES)) {
  describe(`${routeId} [${row.category}]`, () => {
    for (const call of row.calls) {
      for (const c of cases(call)) {
        it(`${call.label} as ${c.actor}${c.target === "B" ? "" : ` on ${c.target}`} → ${describeOutcome(c.outcome)}`, async () => {
          await check(routeId, call, c);
        });
      }
    }
  });
}

describe("cross-festival references through one's own festival", () => {
  it("an organiser of A cannot remove B's programme item or team member through A's pages or API", async () => {
    const before = await snapshot();
    const item = await clients.organiserA.postForm(`/admin/festivals/${ctx.A.id}/programme`, {
      intent: "remove",
      itemId: ctx.B.itemId,
    });
    expect(item.status).toBe(200);
    const member = await clients.organiserA.postForm(`/admin/festivals/${ctx.A.id}/team`, {
      intent: "remove",
      userId: ctx.B.doorUserId,
      confirm: "yes",
    });
    expect(member.status).toBe(200);
    expect(await snapshot()).toEqual(before);
  });

  it("the dashboard lists a door account's own door, and nothing of B", async () => {
    const res = await clients.doorA.get("/admin");
    expect(res.status).toBe(200);
    expect(res.text).toContain(ctx.A.name);
    expect(res.text).not.toContain(ctx.B.name);
    // …but no link into A's organiser pages.
    expect(res.text).not.toContain(`/admin/festivals/${ctx.A.id}`);
  });

  it("a treasurer sees B read-only: the form is disabled and there is no team link", async () => {
    const res = await clients.treasurer.get(`/admin/festivals/${ctx.B.id}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain(ctx.B.name);
    expect(res.text).toMatch(/<fieldset[^>]*disabled/);
    expect(res.text).not.toContain(`/admin/festivals/${ctx.B.id}/team`);
  });

  it("an organiser of A cannot read or cancel B's order through A's order pages", async () => {
    const before = await snapshot();
    const path = `/admin/festivals/${ctx.A.id}/orders/${ctx.B.orderId}`;
    for (const res of [
      await clients.organiserA.get(path),
      await clients.organiserA.get(data(path, "routes/admin.festivals.$id.orders.$orderId")),
      await clients.organiserA.postForm(path, { intent: "cancel", confirm: "yes" }),
    ]) {
      expect(res.status).toBe(404);
      expectNoSecrets(res, secretsOf(ctx.B), "B's order through A's pages");
    }
    // Searching A's orders for B's buyer finds nothing (the search box echoes the email typed in).
    const search = await clients.organiserA.postForm(`/admin/festivals/${ctx.A.id}/orders?index`, {
      q: ctx.B.buyerEmail,
    });
    expect(search.status).toBe(200);
    expectNoSecrets(
      search,
      [...secretsOf(ctx.B).filter((x) => x !== ctx.B.buyerEmail), ctx.B.orderId],
      "searching A's orders",
    );
    // Nothing matches (the page's own data for hydration lists A's orders, which A may see).
    expect(search.text.split("<script")[0]).not.toContain(ctx.A.orderId);
    expect(await snapshot()).toEqual(before);
  });

  it("B's buyers' emails are in B's order detail and CSV for admin, treasurer and organiser B, and in nobody else's", async () => {
    for (const actor of MAY_SEE_B) {
      const client = clients[actor as Exclude<ActorName, "anonymous">];
      const detail = await client.get(`/admin/festivals/${ctx.B.id}/orders/${ctx.B.orderId}`);
      expect(detail.status, actor).toBe(200);
      expect(detail.text, actor).toContain(ctx.B.buyerEmail);
      const csv = await client.get(`/admin/festivals/${ctx.B.id}/orders.csv`);
      expect(csv.status, actor).toBe(200);
      expect(csv.headers.get("content-type"), actor).toMatch(/^text\/csv/);
      expect(csv.text, actor).toContain(ctx.B.buyerEmail);
    }
    // Organiser A's own export: A's buyer, nobody of B's.
    const csvA = await clients.organiserA.get(`/admin/festivals/${ctx.A.id}/orders.csv`);
    expect(csvA.status).toBe(200);
    expect(csvA.text).toContain(ctx.A.buyerEmail);
    expectNoSecrets(csvA, secretsOf(ctx.B), "A's CSV");
  });

  it("the CSV export leaves out anonymous buyers' emails, even for admins", async () => {
    const email = uniqueEmail("anonymous-buyer");
    await prisma.order.create({
      data: {
        id: `ord_${randomId(12)}`,
        festivalId: ctx.A.id,
        code: `ANON-${randomId(3).toUpperCase()}`,
        accessToken: randomId(24),
        email,
        name: null,
        status: "confirmed",
        paymentMethod: "free",
        currency: "EUR",
        totalMinor: 0,
      },
    });
    for (const actor of ["admin", "organiserA"] as const) {
      const csv = await clients[actor].get(`/admin/festivals/${ctx.A.id}/orders.csv`);
      expect(csv.status, actor).toBe(200);
      expect(csv.text, actor).toContain(ctx.A.buyerEmail);
      expect(csv.text, actor).not.toContain(email);
    }
  });

  it("A's checkout refuses B's ticket type, writes nothing and names nothing of B", async () => {
    const before = await snapshot();
    const res = await new Client(app.url).postForm(`/festivals/${ctx.A.slug}`, {
      [`qty.${ctx.B.ticketTypeId}`]: "1",
      email: "cross-buyer@example.test",
      paymentMethod: "door",
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expectNoSecrets(res, secretsOf(ctx.B), "A's checkout with B's ticket type");
    expect(await snapshot()).toEqual(before);
  });
});

// ------------------------------------------------------------------ festival costs (setup)

/** Every actor but the treasurer (who has no second factor here: refused apart). */
function notTreasurer(): ActorName[] {
  return ACTORS.filter((a) => a !== "treasurer");
}
/** Each festival's cost (submitted by someone outside the actors, with a receipt naming the festival). */
const festivalCosts = new Map<string, { id: string }>();
const costOf = (t: Target) => festivalCosts.get(t.id) ?? { id: "c0000000000000000000nope" };

beforeAll(async () => {
  const { storeReceipt } = await import("~/utils/receipts.server");
  const submitter = await createUserRow({ email: uniqueEmail("cost-submitter") });
  for (const t of [ctx.A, ctx.B]) {
    // The receipt names its festival, so an allowed download shows something of it.
    const receipt = await storeReceipt(
      Buffer.from(
        `%PDF-1.4\n1 0 obj << /Title (${t.name} invoice) >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n`,
      ),
    );
    const cost = await prisma.festivalCost.create({
      data: {
        id: `cost${t.label}${randomBytes(6).toString("hex")}`,
        festivalId: t.id,
        category: "venue",
        // Named after its festival, so an allowed costs.csv shows something of it.
        description: `Hall rent for ${t.name}`,
        amountMinor: 1000,
        currency: "EUR",
        receiptFile: receipt.file,
        receiptType: receipt.type,
        receiptBytes: receipt.bytes,
        submittedById: submitter.id,
      },
    });
    festivalCosts.set(t.id, { id: cost.id });
  }
});
