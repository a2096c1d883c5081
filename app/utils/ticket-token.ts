// Signed ticket tokens: what a ticket's QR code carries. Isomorphic — the server
// page and the browser door scanner verify with the same code, offline, using
// only the festival's public key.
//
//   T1.<base64url(payload JSON)>.<base64url(64-byte Ed25519 signature)>
//
// The signature covers the ASCII text "T1.<payload part>" (prefix included, so
// the version cannot be swapped). The payload names a ticket, never a person:
//   { v: 1, t: ticketId, y: ticketTypeId, f: festivalId, nb: notBefore, na: notAfter }
// with times in epoch seconds; no other keys are allowed.
//
// Verification uses Web Crypto Ed25519 where the platform has it (Node 20+,
// current browsers) and otherwise falls back, automatically and lazily, to the
// pure-JS @noble/curves implementation with RFC 8032 (non-ZIP-215) rules.

export const TICKET_TOKEN_PREFIX = "T1.";
/** Longer input is refused before any decoding (a QR code holds far less anyway). */
export const MAX_TICKET_TOKEN_LENGTH = 1024;
const SIGNATURE_BYTES = 64;
const MAX_ID_LENGTH = 64;
const PAYLOAD_KEYS = ["v", "t", "y", "f", "nb", "na"] as const;

export type TicketTokenPayload = {
  v: 1;
  /** Ticket id. */
  t: string;
  /** Ticket type id. */
  y: string;
  /** Festival id. */
  f: string;
  /** Not valid before, epoch seconds. */
  nb: number;
  /** Not valid after, epoch seconds. */
  na: number;
};

export type ParsedTicketToken = {
  payload: TicketTokenPayload;
  /** The exact bytes the signature covers. */
  signedData: Uint8Array;
  signature: Uint8Array;
};

export type ParseResult =
  { ok: true; token: ParsedTicketToken } | { ok: false; reason: "malformed"; detail: string };

export type VerifyFailure =
  "malformed" | "bad_signature" | "wrong_festival" | "not_yet_valid" | "expired";

export type VerifyResult =
  | { ok: true; payload: TicketTokenPayload }
  /** `payload` is given only when the signature was valid (wrong_festival, not_yet_valid, expired). */
  | { ok: false; reason: VerifyFailure; detail?: string; payload?: TicketTokenPayload };

/** Which Ed25519 implementation verifies: "auto" prefers Web Crypto and falls back to JS. */
export type Ed25519Engine = "auto" | "webcrypto" | "js";

export type VerifyOptions = {
  /** The festival whose door this is; a token for another festival is refused. */
  festivalId: string;
  /** The current time (Date or epoch milliseconds); defaults to Date.now(). */
  now?: Date | number;
  /** Tolerated clock difference of the scanning device, in seconds (default 0). */
  leewaySeconds?: number;
  engine?: Ed25519Engine;
};

/** Build a payload from ids and a validity window (Date or epoch milliseconds). */
export function ticketTokenPayload(input: {
  ticketId: string;
  ticketTypeId: string;
  festivalId: string;
  notBefore: Date | number;
  notAfter: Date | number;
}): TicketTokenPayload {
  const payload: TicketTokenPayload = {
    v: 1,
    t: input.ticketId,
    y: input.ticketTypeId,
    f: input.festivalId,
    nb: Math.floor(toMillis(input.notBefore) / 1000),
    na: Math.floor(toMillis(input.notAfter) / 1000),
  };
  const problem = payloadProblem(payload);
  if (problem) throw new TypeError(`Invalid ticket token payload: ${problem}.`);
  return payload;
}

/** The unsigned part of a token, "T1.<payload>"; the signer signs its UTF-8 (ASCII) bytes. */
export function encodeTicketTokenBody(payload: TicketTokenPayload): string {
  const problem = payloadProblem(payload);
  if (problem) throw new TypeError(`Invalid ticket token payload: ${problem}.`);
  // Fixed key order, so the same payload always gives the same token.
  const ordered = {
    v: payload.v,
    t: payload.t,
    y: payload.y,
    f: payload.f,
    nb: payload.nb,
    na: payload.na,
  };
  return TICKET_TOKEN_PREFIX + base64urlEncode(new TextEncoder().encode(JSON.stringify(ordered)));
}

/** Join a body from encodeTicketTokenBody() and its 64-byte signature. */
export function assembleTicketToken(body: string, signature: Uint8Array): string {
  if (signature.length !== SIGNATURE_BYTES)
    throw new TypeError("An Ed25519 signature is 64 bytes.");
  return `${body}.${base64urlEncode(signature)}`;
}

/** Check a token's structure (not its signature). */
export function parseTicketToken(token: string): ParseResult {
  const fail = (detail: string): ParseResult => ({ ok: false, reason: "malformed", detail });
  if (typeof token !== "string") return fail("not a string");
  if (token.length > MAX_TICKET_TOKEN_LENGTH) return fail("too long");
  if (!token.startsWith(TICKET_TOKEN_PREFIX))
    return fail(`does not start with ${TICKET_TOKEN_PREFIX}`);
  const parts = token.slice(TICKET_TOKEN_PREFIX.length).split(".");
  if (parts.length !== 2) return fail("expected T1.<payload>.<signature>");
  const [payloadText, signatureText] = parts as [string, string];
  const payloadBytes = base64urlDecode(payloadText);
  if (!payloadBytes || payloadBytes.length === 0) return fail("payload is not canonical base64url");
  const signature = base64urlDecode(signatureText);
  if (!signature) return fail("signature is not canonical base64url");
  if (signature.length !== SIGNATURE_BYTES) return fail("signature is not 64 bytes");
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payloadBytes));
  } catch {
    return fail("payload is not UTF-8 JSON");
  }
  const problem = payloadProblem(json);
  if (problem) return fail(`payload: ${problem}`);
  return {
    ok: true,
    token: {
      payload: json as TicketTokenPayload,
      signedData: new TextEncoder().encode(TICKET_TOKEN_PREFIX + payloadText),
      signature,
    },
  };
}

/**
 * Verify a token against a festival's public key (32 raw bytes, base64url).
 * Checks, in order: structure, signature, festival, validity window — nothing
 * is concluded from a payload whose signature is not valid. (A genuine ticket
 * of another festival therefore fails as bad_signature under this festival's
 * key; a scanner wanting a friendlier hint can parseTicketToken() and compare
 * the unauthenticated `f` itself.)
 */
export async function verifyTicketToken(
  token: string,
  publicKeyB64url: string,
  options: VerifyOptions,
): Promise<VerifyResult> {
  const verifier = ed25519Verifier(publicKeyB64url, options.engine ?? "auto");
  const parsed = parseTicketToken(token);
  if (!parsed.ok) return { ok: false, reason: "malformed", detail: parsed.detail };
  const { payload, signedData, signature } = parsed.token;
  if (!(await (await verifier)(signature, signedData)))
    return { ok: false, reason: "bad_signature" };
  if (payload.f !== options.festivalId) return { ok: false, reason: "wrong_festival", payload };
  const now = Math.floor(toMillis(options.now ?? Date.now()) / 1000);
  const leeway = options.leewaySeconds ?? 0;
  if (now + leeway < payload.nb) return { ok: false, reason: "not_yet_valid", payload };
  if (now - leeway > payload.na) return { ok: false, reason: "expired", payload };
  return { ok: true, payload };
}

// --- Ed25519 verification with automatic fallback -------------------------

type Verify = (signature: Uint8Array, data: Uint8Array) => boolean | Promise<boolean>;

const verifierCache = new Map<string, Promise<Verify>>();
const MAX_CACHED_KEYS = 64;

/**
 * A verifier for one public key, cached per key string (and engine). Throws a
 * TypeError for a key that is not 32 bytes of base64url.
 */
export function ed25519Verifier(
  publicKeyB64url: string,
  engine: Ed25519Engine = "auto",
): Promise<Verify> {
  const cacheKey = `${engine}:${publicKeyB64url}`;
  const hit = verifierCache.get(cacheKey);
  if (hit) return hit;
  const raw = base64urlDecode(publicKeyB64url);
  if (!raw || raw.length !== 32)
    throw new TypeError("An Ed25519 public key is 32 bytes in base64url.");
  const made = makeVerifier(raw, engine);
  made.catch(() => verifierCache.delete(cacheKey)); // do not keep a failure
  if (verifierCache.size >= MAX_CACHED_KEYS) {
    const oldest = verifierCache.keys().next();
    if (!oldest.done) verifierCache.delete(oldest.value);
  }
  verifierCache.set(cacheKey, made);
  return made;
}

async function makeVerifier(raw: Uint8Array<ArrayBuffer>, engine: Ed25519Engine): Promise<Verify> {
  if (engine !== "js") {
    const webCrypto = await webCryptoVerifier(raw);
    if (webCrypto) return webCrypto;
    if (engine === "webcrypto")
      throw new Error("Web Crypto Ed25519 is not available on this platform.");
  }
  const { ed25519 } = await import("@noble/curves/ed25519.js");
  return (signature, data) => {
    try {
      return ed25519.verify(signature, data, raw, { zip215: false });
    } catch {
      return false;
    }
  };
}

async function webCryptoVerifier(raw: Uint8Array<ArrayBuffer>): Promise<Verify | undefined> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return undefined; // e.g. a page served over plain HTTP
  let key: CryptoKey;
  try {
    key = await subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
    // Some engines import the key but cannot use it; prove it once.
    await subtle.verify(
      { name: "Ed25519" },
      key,
      new Uint8Array(SIGNATURE_BYTES),
      new Uint8Array(0),
    );
  } catch {
    return undefined;
  }
  return async (signature, data) => {
    try {
      return await subtle.verify({ name: "Ed25519" }, key, copy(signature), copy(data));
    } catch {
      return false;
    }
  };
}

/** Web Crypto wants an ArrayBuffer-backed view. */
function copy(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out;
}

// --- payload rules -----------------------------------------------------------

function payloadProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "not an object";
  const record = value as Record<string, unknown>;
  const extra = Object.keys(record).filter((k) => !(PAYLOAD_KEYS as readonly string[]).includes(k));
  if (extra.length > 0) return `unexpected field ${extra.map((k) => JSON.stringify(k)).join(", ")}`;
  if (record.v !== 1) return "v must be 1";
  for (const key of ["t", "y", "f"] as const) {
    const id = record[key];
    if (typeof id !== "string" || !/^[A-Za-z0-9_-]+$/.test(id) || id.length > MAX_ID_LENGTH) {
      return `${key} must be an id of 1-${MAX_ID_LENGTH} letters, digits, "-" or "_"`;
    }
  }
  for (const key of ["nb", "na"] as const) {
    const t = record[key];
    if (typeof t !== "number" || !Number.isSafeInteger(t) || t < 0)
      return `${key} must be epoch seconds`;
  }
  if ((record.nb as number) > (record.na as number)) return "nb is after na";
  return undefined;
}

function toMillis(time: Date | number): number {
  const ms = typeof time === "number" ? time : time.getTime();
  if (!Number.isFinite(ms)) throw new TypeError("Invalid time.");
  return ms;
}

// --- base64url without padding, strict (one text per byte string) ---------

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const LOOKUP = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

export function base64urlEncode(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out +=
      ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!;
  }
  return out;
}

/**
 * Decode unpadded base64url; undefined for any other character, padding, an
 * impossible length or non-zero unused trailing bits (so a changed last
 * character can never decode to the same bytes).
 */
export function base64urlDecode(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (text.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let buffer = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? LOOKUP[code]! : -1;
    if (value < 0) return undefined;
    buffer = ((buffer << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffer >> bits) & 0xff;
    }
  }
  if (bits > 0 && (buffer & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}
