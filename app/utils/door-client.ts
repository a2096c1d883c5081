// The door scanner's browser side: the device token and the last manifest in
// localStorage, the offline queue in IndexedDB, online and offline verdicts.
// Only ids, amounts and ticket tokens (which carry ids, never people) are kept
// on the device: no names, no emails.
import {
  SEARCH_MIN_LENGTH,
  type Direction,
  type DonationChoice,
  type OrderPayment,
  type ScanResult,
  type Verdict,
} from "~/models/door-verdict";
import { normalizeTicketCode, ticketCodeDigest } from "~/utils/ticket-code";
import { parseTicketToken, verifyTicketToken, ed25519Verifier } from "~/utils/ticket-token";

export type DoorResult = ScanResult;
export type { Direction };

/** A verdict as the phone keeps it: with the scan's own nonce (so an admission can be undone). */
export type DoorVerdict = Verdict & { nonce?: string };

export type DoorManifest = {
  festival: {
    id: string;
    name: string;
    currency: string;
    timezone: string;
    /** The festival was cancelled: no ticket admits (absent in manifests of older servers). */
    cancelled?: boolean;
  };
  publicKey: string;
  version: number;
  generatedAt?: string;
  ticketTypes: { id: string; name: string }[];
  revoked: string[];
  /** Tickets admitted at some point… */
  admitted: string[];
  /** …and of those, the ones that went out since (they may come back in). */
  outside?: string[];
  paymentDue: Record<string, number>;
  /**
   * Typed short codes, offline: the salted digest of each ticket's code
   * (app/utils/ticket-code.ts) → [ticket id, ticket type id]. Never the codes
   * themselves (absent in manifests of older servers).
   */
  codes?: Record<string, [string, string]>;
  counters: { sold: number; checkedIn: number; inside: number };
  /** The server's ETag for this content (kept on the phone to ask "changed since?"). */
  etag?: string;
};

/** A scan made offline, to upload: of a QR code (`token`) or a typed short code (`code`). */
export type QueuedScan = {
  token?: string;
  code?: string;
  nonce: string;
  scannedAt: string;
  direction: Direction;
  offlineResult?: "admitted" | "already_admitted" | "invalid";
};

const DEVICE_KEY = "door.device";
const MANIFEST_KEY = "door.manifest";
const LOCAL_KEY = "door.local";
const SYNCED_KEY = "door.syncedAt";
const CHECKED_KEY = "door.manifestCheckedAt";

/** A device token as the server issues it (base64url). */
export const DEVICE_TOKEN_PATTERN = /^[A-Za-z0-9_-]{20,200}$/;

// ---------------------------------------------------------------- storage

function readJson<T>(key: string): T | null {
  try {
    const text = window.localStorage.getItem(key);
    return text ? (JSON.parse(text) as T) : null;
  } catch {
    return null;
  }
}

function writeJson(key: string, value: unknown) {
  try {
    window.localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // storage full or disabled: the scanner still works online
  }
}

export function loadDeviceToken(): string | null {
  try {
    const token = window.localStorage.getItem(DEVICE_KEY);
    return token && DEVICE_TOKEN_PATTERN.test(token) ? token : null;
  } catch {
    return null;
  }
}

export function saveDeviceToken(token: string) {
  window.localStorage.setItem(DEVICE_KEY, token);
}

/**
 * Take `#device=<token>` from the address (the organiser's setup link), store
 * it and remove it from the URL so it is not left in the history or shared by
 * a screenshot.
 */
export function adoptDeviceTokenFromHash(): string | null {
  const match = /(?:^#|&)device=([A-Za-z0-9_-]{20,200})(?:&|$)/.exec(window.location.hash);
  if (!match?.[1]) return null;
  saveDeviceToken(match[1]);
  window.history.replaceState(
    window.history.state,
    "",
    window.location.pathname + window.location.search,
  );
  return match[1];
}

export async function forgetDevice() {
  for (const key of [DEVICE_KEY, MANIFEST_KEY, LOCAL_KEY, SYNCED_KEY, CHECKED_KEY]) {
    try {
      window.localStorage.removeItem(key);
    } catch {
      // nothing stored
    }
  }
  await clearQueue();
}

export function loadManifest(): DoorManifest | null {
  return readJson<DoorManifest>(MANIFEST_KEY);
}

/** Is the ticket inside according to the manifest alone? */
function insideByManifest(manifest: DoorManifest, ticketId: string) {
  return manifest.admitted.includes(ticketId) && !(manifest.outside ?? []).includes(ticketId);
}

/**
 * Store a fresh manifest. What this phone remembers of its own scans is
 * dropped once the server's view covers it: when the manifest agrees, or when
 * the manifest was requested (`requestedAt`, this phone's clock) after an
 * upload that left the queue empty and the scan was made before that upload.
 */
export function saveManifest(manifest: DoorManifest, requestedAt?: number) {
  writeJson(MANIFEST_KEY, manifest);
  const local = loadLocalState();
  const syncedAt = readJson<number>(SYNCED_KEY) ?? 0;
  const uploaded = requestedAt !== undefined && syncedAt > 0 && requestedAt >= syncedAt;
  let changed = false;
  for (const [id, mine] of Object.entries(local)) {
    const agrees = (mine.state === "in") === insideByManifest(manifest, id);
    if (agrees || (uploaded && Date.parse(mine.at) <= syncedAt)) {
      delete local[id];
      changed = true;
    }
  }
  if (changed) writeJson(LOCAL_KEY, local);
}

/** What this phone did to a ticket that the last manifest may not show yet. */
export type LocalTicketState = { state: "in" | "out"; at: string };

/** This phone's own admissions and exits not yet in the manifest: ticket id → state. */
export function loadLocalState(): Record<string, LocalTicketState> {
  const stored = readJson<Record<string, unknown>>(LOCAL_KEY);
  const out: Record<string, LocalTicketState> = {};
  if (!stored || typeof stored !== "object") return out;
  for (const [id, v] of Object.entries(stored)) {
    const entry = v as Partial<LocalTicketState> | null;
    if (
      entry &&
      (entry.state === "in" || entry.state === "out") &&
      typeof entry.at === "string" &&
      !Number.isNaN(Date.parse(entry.at))
    )
      out[id] = { state: entry.state, at: entry.at };
  }
  return out;
}

/** Note this phone's own scan of a ticket: it went in (never admitted twice offline) or out. */
function remember(
  ticketId: string,
  state: LocalTicketState["state"],
  at = new Date().toISOString(),
) {
  const local = loadLocalState();
  local[ticketId] = { state, at };
  writeJson(LOCAL_KEY, local);
}

/** Inside as far as this phone knows: its own last scan, else the manifest. */
export function isInside(manifest: DoorManifest, ticketId: string) {
  const mine = loadLocalState()[ticketId];
  return mine ? mine.state === "in" : insideByManifest(manifest, ticketId);
}

// ---------------------------------------------------------------- IndexedDB queue

const DB_NAME = "door";
const STORE = "queue";

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error("IndexedDB request failed"));
  });
}

let dbPromise: Promise<IDBDatabase> | null = null;

function openDb(): Promise<IDBDatabase> {
  if (!dbPromise) {
    const open = window.indexedDB.open(DB_NAME, 1);
    open.onupgradeneeded = () => {
      if (!open.result.objectStoreNames.contains(STORE))
        open.result.createObjectStore(STORE, { keyPath: "nonce" });
    };
    dbPromise = request(open);
    dbPromise.catch(() => (dbPromise = null));
  }
  return dbPromise;
}

async function withStore<T>(
  mode: IDBTransactionMode,
  run: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<T> {
  const db = await openDb();
  const tx = db.transaction(STORE, mode);
  const result = request(run(tx.objectStore(STORE)));
  await new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error("IndexedDB transaction failed"));
    tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
  });
  return result;
}

export function enqueueScan(scan: QueuedScan) {
  return withStore("readwrite", (s) => s.put(scan));
}

export async function queuedScans(): Promise<QueuedScan[]> {
  const all = await withStore("readonly", (s) => s.getAll() as IDBRequest<QueuedScan[]>);
  return all.sort((a, b) => a.scannedAt.localeCompare(b.scannedAt));
}

/** One queued scan by its nonce (undefined once uploaded). */
export function queuedScan(nonce: string): Promise<QueuedScan | undefined> {
  return withStore("readonly", (s) => s.get(nonce) as IDBRequest<QueuedScan | undefined>);
}

export function queueLength(): Promise<number> {
  return withStore("readonly", (s) => s.count());
}

export async function removeQueued(nonces: string[]) {
  if (nonces.length === 0) return;
  const db = await openDb();
  const tx = db.transaction(STORE, "readwrite");
  const store = tx.objectStore(STORE);
  for (const nonce of nonces) store.delete(nonce);
  await new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error("IndexedDB transaction failed"));
  });
}

async function clearQueue() {
  try {
    await withStore("readwrite", (s) => s.clear());
  } catch {
    // no database yet
  }
}

// ---------------------------------------------------------------- network

/** A fresh nonce: 32 hex characters (or base64url of 16 random bytes). */
export function newNonce(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID().replace(/-/g, "");
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** The network is gone (or the server cannot answer): decide offline. */
export class NetworkError extends Error {}
/** The server asks this phone to wait (429); for a scan that is like the network being gone. */
export class RateLimitedError extends NetworkError {
  constructor(readonly retryAfterSeconds: number) {
    super("HTTP 429");
  }
}
/** The server does not know this device (revoked or never set up). */
export class DeviceRejectedError extends Error {}
/** The server knows no ticket of this festival with the typed code (a typo, or another festival's). */
export class UnknownCodeError extends Error {}
/** What is due changed between the verdict and the cash (another door was quicker): scan again. */
export class AmountChangedError extends Error {}

export function isOnline() {
  return typeof navigator === "undefined" || navigator.onLine !== false;
}

async function send(
  deviceToken: string,
  method: "GET" | "POST",
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  // Everything goes to the same origin as the page.
  if (!isOnline()) throw new NetworkError("offline");
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: {
        Authorization: `Bearer ${deviceToken}`,
        Accept: "application/json",
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
    });
  } catch (e) {
    throw new NetworkError(e instanceof Error ? e.message : "network error");
  }
  if (res.status === 401) throw new DeviceRejectedError("device rejected");
  if (res.status === 429)
    throw new RateLimitedError(Math.max(1, Number(res.headers.get("Retry-After")) || 60));
  if (res.status >= 500) throw new NetworkError(`HTTP ${res.status}`);
  if (res.status === 404 && path === "/api/v1/door/scans")
    throw new UnknownCodeError("unknown code");
  if (res.status === 409 && path === "/api/v1/door/payments")
    throw new AmountChangedError("amount changed");
  if (!res.ok && res.status !== 304) throw new Error(`HTTP ${res.status}`);
  return res;
}

async function call<T>(
  deviceToken: string,
  method: "GET" | "POST",
  path: string,
  body?: unknown,
): Promise<T> {
  return (await (await send(deviceToken, method, path, body)).json()) as T;
}

/** When this phone last had the server's manifest confirmed (ms, its own clock), or null. */
export function manifestCheckedAt(): number | null {
  return readJson<number>(CHECKED_KEY);
}

/**
 * Fetch the manifest, or have the stored one confirmed (304: nothing changed,
 * nothing downloaded) — the phones ask every few seconds over venue Wi-Fi.
 */
export async function fetchManifest(deviceToken: string): Promise<DoorManifest> {
  const requestedAt = Date.now();
  const stored = loadManifest();
  const res = await send(
    deviceToken,
    "GET",
    "/api/v1/door/manifest",
    undefined,
    stored?.etag ? { "If-None-Match": stored.etag } : {},
  );
  let manifest: DoorManifest;
  if (res.status === 304 && stored) manifest = stored;
  else {
    if (res.status === 304) throw new Error("HTTP 304 without a stored manifest");
    manifest = (await res.json()) as DoorManifest;
    manifest.etag = res.headers.get("ETag") ?? undefined;
  }
  saveManifest(manifest, requestedAt);
  writeJson(CHECKED_KEY, requestedAt);
  // Load the signature verifier while the network is up (its JS fallback is a separate file).
  ed25519Verifier(manifest.publicKey).catch(() => undefined);
  return manifest;
}

/** What a verdict from the server changes on this phone. */
function noteVerdict(verdict: DoorVerdict, direction: Direction) {
  if (!verdict.ticketId) return;
  // Noted at this phone's time, like the upload time it is compared with in saveManifest.
  if (
    verdict.result === "admitted" ||
    (verdict.result === "already_admitted" && direction === "in")
  )
    remember(verdict.ticketId, "in");
  else if (verdict.result === "exited") remember(verdict.ticketId, "out");
}

/** One door write with a fresh nonce; the verdict comes back with that nonce (for undo). */
async function postVerdict(
  deviceToken: string,
  path: "/api/v1/door/scans" | "/api/v1/door/payments",
  body: Record<string, unknown>,
  direction: Direction,
): Promise<DoorVerdict> {
  const nonce = newNonce();
  const verdict = await call<DoorVerdict>(deviceToken, "POST", path, { ...body, nonce });
  noteVerdict(verdict, direction);
  return { ...verdict, nonce };
}

/**
 * Ask the server for a verdict. Scans reach it in the order they were made: what
 * waits in the offline queue is uploaded first, so a ticket this phone admitted
 * offline is not admitted again by the first online scan after the network returns.
 */
export async function scanOnline(
  deviceToken: string,
  token: string,
  direction: Direction,
): Promise<DoorVerdict> {
  if ((await queueLength().catch(() => 0)) > 0) await syncQueue(deviceToken);
  return postVerdict(deviceToken, "/api/v1/door/scans", { token, direction }, direction);
}

/**
 * A short code typed by staff (already normalised: normalizeTicketCode), asked
 * of the server like a scan — the queue goes first, as for scans. Unknown to
 * the server: UnknownCodeError.
 */
export async function scanCodeOnline(
  deviceToken: string,
  code: string,
  direction: Direction,
): Promise<DoorVerdict> {
  if ((await queueLength().catch(() => 0)) > 0) await syncQueue(deviceToken);
  return postVerdict(deviceToken, "/api/v1/door/scans", { code, direction }, direction);
}

/** Admit (or let out) a ticket found by search; online only. */
export function scanFoundTicket(
  deviceToken: string,
  ticketId: string,
  direction: Direction,
): Promise<DoorVerdict> {
  return postVerdict(deviceToken, "/api/v1/door/scans", { ticketId, direction }, direction);
}

/**
 * Staff took the cash: for a scanned code (`{token}`) or a ticket found by
 * search (`{ticketId}`) — the ticket's price and the order's pledged donation
 * (or the buyer declined it). `amountMinor` is what they took: the server
 * refuses (AmountChangedError) if that is no longer what is due.
 */
export function payOnline(
  deviceToken: string,
  ticket: { token: string } | { ticketId: string },
  cash: { donation: DonationChoice; amountMinor: number },
): Promise<DoorVerdict> {
  return postVerdict(deviceToken, "/api/v1/door/payments", { ...ticket, ...cash }, "in");
}

/** Collect (or record declined) a door order's pledged donation by the order: a donation-only order. */
export function payOrderOnline(
  deviceToken: string,
  order: { orderId: string; donation: DonationChoice; amountMinor: number },
): Promise<OrderPayment> {
  return call<OrderPayment>(deviceToken, "POST", "/api/v1/door/payments", order);
}

/** What staff take for a payment-due verdict: the ticket, plus the pledge unless declined. */
export function cashDue(verdict: Verdict, donation: DonationChoice) {
  return (
    (verdict.amountDueMinor ?? 0) + (donation === "collect" ? (verdict.donationDueMinor ?? 0) : 0)
  );
}

export type FoundTicket = {
  ticketId: string;
  ticketType: string;
  orderCode: string;
  name: string | null;
  status: string;
  admitted: boolean;
  amountDueMinor: number;
  /** The order's pledged donation still due (asked with this ticket's payment). */
  donationDueMinor: number;
  currency: string;
};

/** A door order whose pledged donation is still due (a donation-only order has no ticket to find). */
export type FoundDonation = {
  orderId: string;
  orderCode: string;
  name: string | null;
  donationDueMinor: number;
  currency: string;
  /** The order's valid tickets (0: a donation-only order). */
  tickets: number;
};

export type SearchAnswer = {
  results: FoundTicket[];
  truncated: boolean;
  donations: FoundDonation[];
};

/** Refused before asking: fewer than SEARCH_MIN_LENGTH characters. */
export class SearchTooShortError extends Error {}

/**
 * Order code or name (SEARCH_MIN_LENGTH characters at least) → at most
 * SEARCH_MAX_RESULTS tickets, and whether there were more (online only: names
 * never stay on the phone). Over the device's search budget: RateLimitedError.
 */
export async function searchOnline(deviceToken: string, query: string): Promise<SearchAnswer> {
  const q = query.trim().slice(0, 60);
  if ([...q].length < SEARCH_MIN_LENGTH) throw new SearchTooShortError("too short");
  // POST: a name must not travel in a URL (logs, histories).
  return call<SearchAnswer>(deviceToken, "POST", "/api/v1/door/search", { q });
}

export type UndoOutcome = "undone" | "too_late" | "needs_network";

/**
 * Take back this phone's admission made under `nonce` (a mistaken scan). A scan
 * still waiting in the offline queue is simply dropped; an uploaded one is
 * undone by the server (within 15 minutes), which needs the network.
 */
export async function undoAdmission(
  deviceToken: string,
  admission: { nonce: string; ticketId: string },
): Promise<UndoOutcome> {
  const queued = await queuedScan(admission.nonce).catch(() => undefined);
  if (queued) {
    // Only an admission can be taken back (not a refusal or an exit).
    if (queued.offlineResult !== "admitted" || queued.direction !== "in") return "too_late";
    await removeQueued([admission.nonce]);
    // Not inside: whatever the (possibly older) manifest says.
    remember(admission.ticketId, "out");
    return "undone";
  }
  let verdict: Verdict;
  try {
    verdict = await call<Verdict>(deviceToken, "POST", "/api/v1/door/undo", {
      nonce: admission.nonce,
    });
  } catch (e) {
    if (e instanceof NetworkError) return "needs_network";
    throw e;
  }
  if (verdict.result !== "undone") return "too_late";
  remember(admission.ticketId, "out");
  return "undone";
}

/** Upload the offline queue; acknowledged scans leave it. Returns how many were sent. */
export async function syncQueue(deviceToken: string): Promise<number> {
  const startedAt = Date.now();
  const scans = await queuedScans();
  let sent = 0;
  for (let i = 0; i < scans.length; i += 200) {
    const chunk = scans.slice(i, i + 200);
    const { results } = await call<{ results: { nonce: string }[] }>(
      deviceToken,
      "POST",
      "/api/v1/door/scans/batch",
      { scans: chunk },
    );
    await removeQueued(results.map((r) => r.nonce));
    sent += results.length;
  }
  // Everything scanned before this moment is on the server: the next manifest covers it.
  if ((await queueLength()) === 0) writeJson(SYNCED_KEY, startedAt);
  return sent;
}

// ---------------------------------------------------------------- offline verdicts

let lastScanMs = 0;

/**
 * Decide without the network: the signature against the manifest's public
 * key, the revocation list, payment due, and whether the ticket is inside —
 * this phone's own last scan of it, else the manifest — so one phone never
 * admits a ticket twice, and lets back in someone it saw go out. Real tickets
 * are queued for upload.
 */
export async function scanOffline(
  token: string,
  direction: Direction,
  manifest: DoorManifest | null,
  now = new Date(),
): Promise<DoorVerdict & { offline: true; noManifest?: boolean }> {
  if (!manifest) return { result: "invalid", offline: true, noManifest: true };
  const parsed = parseTicketToken(token);
  if (!parsed.ok) return { result: "invalid", offline: true };
  const payload = parsed.token.payload;
  if (payload.f !== manifest.festival.id) return { result: "wrong_festival", offline: true };
  const check = await verifyTicketToken(token, manifest.publicKey, {
    festivalId: manifest.festival.id,
    now,
    leewaySeconds: 300,
  });
  if (!check.ok) {
    return {
      result: check.reason === "not_yet_valid" ? "not_yet_valid" : "invalid",
      offline: true,
    };
  }
  return decideOffline({ token }, payload.t, payload.y, direction, manifest, now);
}

/**
 * A typed short code without the network: the manifest's digest of it names
 * the ticket, which is then decided exactly as a scan of its QR code. A code
 * that cannot be one, or that the manifest does not know, is invalid (nothing
 * to upload).
 */
export async function scanCodeOffline(
  typed: string,
  direction: Direction,
  manifest: DoorManifest | null,
  now = new Date(),
): Promise<DoorVerdict & { offline: true; noManifest?: boolean }> {
  if (!manifest) return { result: "invalid", offline: true, noManifest: true };
  const code = normalizeTicketCode(typed);
  if (!code) return { result: "invalid", offline: true };
  const found = manifest.codes?.[await ticketCodeDigest(manifest.festival.id, code)];
  if (!found) return { result: "invalid", offline: true };
  return decideOffline({ code }, found[0], found[1], direction, manifest, now);
}

/**
 * The offline verdict for a ticket of this festival (its code's signature or
 * its typed code checked): cancelled festival, revoked, payment due, inside
 * or not — queued for upload as what was scanned or typed.
 */
async function decideOffline(
  what: { token: string } | { code: string },
  ticketId: string,
  ticketTypeId: string,
  direction: Direction,
  manifest: DoorManifest,
  now: Date,
): Promise<DoorVerdict & { offline: true }> {
  const nonce = newNonce();
  const base = {
    ticketId,
    nonce,
    ticketType: manifest.ticketTypes.find((t) => t.id === ticketTypeId)?.name,
    offline: true as const,
  };
  // Strictly increasing scan times on this phone, so the queue keeps the order of scans.
  lastScanMs = Math.max(now.getTime(), lastScanMs + 1);
  const scannedAt = new Date(lastScanMs).toISOString();
  const queue = (offlineResult: QueuedScan["offlineResult"]) =>
    enqueueScan({ ...what, nonce, scannedAt, direction, offlineResult });

  if (manifest.festival.cancelled) {
    await queue("invalid");
    return { ...base, result: "festival_cancelled" };
  }
  if (manifest.revoked.includes(ticketId)) {
    await queue("invalid");
    return { ...base, result: "revoked" };
  }
  const due = manifest.paymentDue[ticketId] ?? 0;
  if (due > 0) {
    return {
      ...base,
      result: "payment_due",
      amountDueMinor: due,
      currency: manifest.festival.currency,
    };
  }
  if (direction === "out") {
    await queue(undefined);
    remember(ticketId, "out", scannedAt);
    return { ...base, result: "exited" };
  }
  if (isInside(manifest, ticketId)) {
    await queue("already_admitted");
    return { ...base, result: "already_admitted", admittedAt: loadLocalState()[ticketId]?.at };
  }
  remember(ticketId, "in", scannedAt);
  await queue("admitted");
  return { ...base, result: "admitted", admittedAt: scannedAt };
}
