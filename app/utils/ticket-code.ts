// A ticket's short code (decision 0049): ten characters of Crockford base32,
// printed on the ticket page and in the ticket email as "K7QM3-RZPXA", that
// door staff type at the scanner when a QR code will not scan. Shared by the
// server and the scanner in the browser (no Node imports here).
//
// Typed input is normalised the Crockford way: case, spaces and hyphens do not
// matter, O reads as 0 and I/L as 1. The offline manifest carries only a
// salted digest of each code (`ticketCodeDigest`), never the codes themselves.

export const TICKET_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
export const TICKET_CODE_LENGTH = 10;
/** Longer typed input is refused before it is looked at (spaces and hyphens included). */
export const TICKET_CODE_MAX_INPUT = 32;
/** Hex characters of the digest the manifest keeps per code (64 bits). */
export const TICKET_CODE_DIGEST_LENGTH = 16;

const PATTERN = new RegExp(`^[${TICKET_CODE_ALPHABET}]{${TICKET_CODE_LENGTH}}$`);

/** Typed input → the stored form (10 upper-case characters), or null when it cannot be a code. */
export function normalizeTicketCode(raw: string): string | null {
  if (typeof raw !== "string" || raw.length > TICKET_CODE_MAX_INPUT) return null;
  const code = raw
    .toUpperCase()
    .replace(/[\s-]+/g, "")
    .replace(/O/g, "0")
    .replace(/[IL]/g, "1");
  return PATTERN.test(code) ? code : null;
}

/** Whether a stored code has the right shape. */
export function isTicketCode(code: string) {
  return PATTERN.test(code);
}

/** "K7QM3RZPXA" → "K7QM3-RZPXA": easier to read out and to type. */
export function formatTicketCode(code: string) {
  const half = Math.ceil(code.length / 2);
  return `${code.slice(0, half)}-${code.slice(half)}`;
}

/** What a digest is made of: the festival's id salts it, so one table fits one festival only. */
export function ticketCodeDigestInput(festivalId: string, code: string) {
  return `ticket-code:${festivalId}:${code}`;
}

/**
 * The digest the offline manifest keys a ticket by (SHA-256, first 64 bits in
 * hex), computed in the browser with Web Crypto; the server computes the same
 * with node:crypto (app/models/door.server.ts).
 */
export async function ticketCodeDigest(festivalId: string, code: string): Promise<string> {
  const bytes = new TextEncoder().encode(ticketCodeDigestInput(festivalId, code));
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  let hex = "";
  for (const b of hash) hex += b.toString(16).padStart(2, "0");
  return hex.slice(0, TICKET_CODE_DIGEST_LENGTH);
}
