// Tickets: one per admitted person, with a random id and a QR token signed by the
// festival's Ed25519 key (no personal data in it). Keys are made on first use and
// their private half is sealed with AES-256-GCM (DATA_ENCRYPTION_KEY).
import type { InStatement } from "@libsql/client";
import type { KeyObject } from "node:crypto";
import { randomToken, ticketShortCode } from "~/utils/crypto.server";
import { sqlClient, sqlDate } from "~/utils/db.server";
import {
  generateFestivalKeyPair,
  openPrivateKey,
  sealPrivateKey,
  signTicketToken,
} from "~/utils/ticket-signing.server";
import { ticketTokenPayload } from "~/utils/ticket-token";

/** Tickets stay valid until this long after the festival ends. */
const VALID_AFTER_END_MS = 12 * 60 * 60_000;

type Signer = { publicKey: string; privateKey: KeyObject };
const signers = new Map<string, Promise<Signer>>();

/** The festival's signing key, created (and sealed) the first time it is needed. */
export function festivalSigner(festivalId: string): Promise<Signer> {
  let signer = signers.get(festivalId);
  if (!signer) {
    signer = loadOrCreateSigner(festivalId);
    signers.set(festivalId, signer);
    signer.catch(() => signers.delete(festivalId));
  }
  return signer;
}

async function loadOrCreateSigner(festivalId: string): Promise<Signer> {
  const existing = await readKey(festivalId);
  if (existing) return existing;
  const pair = generateFestivalKeyPair();
  // INSERT OR IGNORE: if another process made one meanwhile, theirs wins and we read it back.
  await sqlClient().execute({
    sql: "INSERT OR IGNORE INTO FestivalKey (festivalId, publicKey, privateKeySealed, createdAt) VALUES (?, ?, ?, ?)",
    args: [
      festivalId,
      pair.publicKey,
      sealPrivateKey(festivalId, pair.privateKeyPkcs8),
      sqlDate(new Date()),
    ],
  });
  const stored = await readKey(festivalId);
  if (!stored) throw new Error("festival key could not be stored");
  return stored;
}

async function readKey(festivalId: string): Promise<Signer | null> {
  const { rows } = await sqlClient().execute({
    sql: "SELECT publicKey, privateKeySealed FROM FestivalKey WHERE festivalId = ?",
    args: [festivalId],
  });
  const row = rows[0];
  if (!row) return null;
  return {
    publicKey: String(row.publicKey),
    privateKey: openPrivateKey(festivalId, String(row.privateKeySealed)),
  };
}

/** The festival's public key (for door devices and verification). */
export async function festivalPublicKey(festivalId: string) {
  return (await festivalSigner(festivalId)).publicKey;
}

/**
 * Make the tickets of some order lines: ids, signed tokens, and the INSERT
 * statements to run inside the fulfilment transaction.
 */
export async function issueTicketTokens(
  festival: { id: string; endsAt: Date },
  orderId: string,
  lines: { itemId: string; type: { id: string }; quantity: number; unitPriceMinor: number }[],
  now: Date,
  payAtDoor: boolean,
) {
  const { privateKey } = await festivalSigner(festival.id);
  const notAfter = new Date(festival.endsAt.getTime() + VALID_AFTER_END_MS);
  const tickets: { id: string; qrToken: string; ticketTypeId: string; shortCode: string }[] = [];
  const statements: InStatement[] = [];
  for (const line of lines) {
    for (let i = 0; i < line.quantity; i++) {
      const id = randomToken(12);
      const qrToken = signTicketToken(
        privateKey,
        ticketTokenPayload({
          ticketId: id,
          ticketTypeId: line.type.id,
          festivalId: festival.id,
          notBefore: now,
          notAfter,
        }),
      );
      // What door staff can type instead of scanning (unique per festival: decision 0049).
      const shortCode = ticketShortCode();
      tickets.push({ id, qrToken, ticketTypeId: line.type.id, shortCode });
      statements.push({
        sql: `INSERT INTO Ticket (id, orderId, orderItemId, festivalId, ticketTypeId, status, amountDueMinor, qrToken, shortCode, createdAt)
              VALUES (?, ?, ?, ?, ?, 'valid', ?, ?, ?, ?)`,
        args: [
          id,
          orderId,
          line.itemId,
          festival.id,
          line.type.id,
          payAtDoor ? line.unitPriceMinor : 0,
          qrToken,
          shortCode,
          sqlDate(now),
        ],
      });
    }
  }
  return { tickets, statements };
}
