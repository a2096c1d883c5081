// The door scanner's browser side: the device token and the last manifest in
// localStorage, the offline queue in IndexedDB, online and offline verdicts.
// Only ids, amounts and ticket tokens (which carry ids, never people) are kept
// on the device: no names, no emails.
import { parseTicketToken, verifyTicketToken, ed25519Verifier } from "~/utils/ticket-token";

export type DoorResult =
  | "admitted"
  | "already_admitted"
  | "payment_due"
  | "revoked"
  | "invalid"
  | "wrong_festival"
  | "not_yet_valid"
  | "exited"
  | "conflict";

export type DoorVerdict = {
  result: DoorResult;
  ticketId?: string;
  ticketType?: string;
  amountDueMinor?: number;
  currency?: string;
  admittedAt?: string;
  admittedBy?: string;
};

export type Direction = "in" | "out";

export type DoorManifest = {
  festival: { id: string; name: string; currency: string; timezone: string };
  publicKey: string;
  version: number;
  generatedAt?: string;
  ticketTypes: { id: string; name: string }[];
  revoked: string[];
  admitted: string[];
  paymentDue: Record<string, number>;
  counters: { sold: number; checkedIn: number; inside: number };
};

export type QueuedScan = {
  token: string;
  nonce: string;
  scannedAt: string;
  direction: Direction;
  offlineResult?: "admitted" | "already_admitted" | "invalid";
};

const DEVICE_KEY = "door.device";
const MANIFEST_KEY = "door.manifest";
const LOCAL_ADMITTED_KEY = "door.localAdmitted";

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
  for (const key of [DEVICE_KEY, MANIFEST_KEY, LOCAL_ADMITTED_KEY]) {
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

export function saveManifest(manifest: DoorManifest) {
  writeJson(MANIFEST_KEY, manifest);
  // Admissions the server now knows about need not be remembered locally.
  const local = loadLocalAdmitted();
  const known = new Set(manifest.admitted);
  let changed = false;
  for (const id of Object.keys(local)) {
    if (known.has(id)) {
      delete local[id];
      changed = true;
    }
  }
  if (changed) writeJson(LOCAL_ADMITTED_KEY, local);
}

/** Tickets this device let in that the last manifest did not list yet: ticket id → ISO time. */
export function loadLocalAdmitted(): Record<string, string> {
  return readJson<Record<string, string>>(LOCAL_ADMITTED_KEY) ?? {};
}

export function rememberAdmitted(ticketId: string, at: string) {
  const local = loadLocalAdmitted();
  local[ticketId] = at;
  writeJson(LOCAL_ADMITTED_KEY, local);
}

function forgetAdmitted(ticketId: string) {
  const local = loadLocalAdmitted();
  if (ticketId in local) {
    delete local[ticketId];
    writeJson(LOCAL_ADMITTED_KEY, local);
  }
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

export function queueLength(): Promise<number> {
  return withStore("readonly", (s) => s.count());
}

async function removeQueued(nonces: string[]) {
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
/** The server does not know this device (revoked or never set up). */
export class DeviceRejectedError extends Error {}

export function isOnline() {
  return typeof navigator === "undefined" || navigator.onLine !== false;
}

async function call<T>(
  deviceToken: string,
  method: "GET" | "POST",
  path: string,
  body?: unknown,
): Promise<T> {
  if (!isOnline()) throw new NetworkError("offline");
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: {
        Authorization: `Bearer ${deviceToken}`,
        Accept: "application/json",
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
    });
  } catch (e) {
    throw new NetworkError(e instanceof Error ? e.message : "network error");
  }
  if (res.status === 401) throw new DeviceRejectedError("device rejected");
  if (res.status >= 500 || res.status === 429) throw new NetworkError(`HTTP ${res.status}`);
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return (await res.json()) as T;
}

export async function fetchManifest(deviceToken: string): Promise<DoorManifest> {
  const manifest = await call<DoorManifest>(deviceToken, "GET", "/api/v1/door/manifest");
  saveManifest(manifest);
  // Load the signature verifier while the network is up (its JS fallback is a separate file).
  ed25519Verifier(manifest.publicKey).catch(() => undefined);
  return manifest;
}

export async function scanOnline(
  deviceToken: string,
  token: string,
  direction: Direction,
): Promise<DoorVerdict> {
  const verdict = await call<DoorVerdict>(deviceToken, "POST", "/api/v1/door/scans", {
    token,
    nonce: newNonce(),
    direction,
  });
  if (verdict.result === "admitted" && verdict.ticketId)
    rememberAdmitted(verdict.ticketId, verdict.admittedAt ?? new Date().toISOString());
  return verdict;
}

export async function payOnline(deviceToken: string, token: string): Promise<DoorVerdict> {
  const verdict = await call<DoorVerdict>(deviceToken, "POST", "/api/v1/door/payments", {
    token,
    nonce: newNonce(),
  });
  if (verdict.result === "admitted" && verdict.ticketId)
    rememberAdmitted(verdict.ticketId, verdict.admittedAt ?? new Date().toISOString());
  return verdict;
}

/** Upload the offline queue; acknowledged scans leave it. Returns how many were sent. */
export async function syncQueue(deviceToken: string): Promise<number> {
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
  return sent;
}

// ---------------------------------------------------------------- offline verdicts

/**
 * Decide without the network: the signature against the manifest's public
 * key, the revocation list, payment due, and this device's admitted set
 * (the manifest's admitted ∪ those this device let in since) so one phone
 * never admits a ticket twice. Real tickets are queued for upload.
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
  const ticketId = payload.t;
  const base = {
    ticketId,
    ticketType: manifest.ticketTypes.find((t) => t.id === payload.y)?.name,
    offline: true as const,
  };
  const scannedAt = now.toISOString();
  const queue = (offlineResult: QueuedScan["offlineResult"]) =>
    enqueueScan({ token, nonce: newNonce(), scannedAt, direction, offlineResult });

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
    forgetAdmitted(ticketId);
    return { ...base, result: "exited" };
  }
  const local = loadLocalAdmitted();
  if (ticketId in local || manifest.admitted.includes(ticketId)) {
    await queue("already_admitted");
    return { ...base, result: "already_admitted", admittedAt: local[ticketId] };
  }
  rememberAdmitted(ticketId, scannedAt);
  await queue("admitted");
  return { ...base, result: "admitted", admittedAt: scannedAt };
}
