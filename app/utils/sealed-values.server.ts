// Every value sealed with the envelope encryption (encryption.server.ts), in
// one list: where it lives and the context it was sealed with. Used by
// `npm run keys:rotate` (re-encrypt everything under the newest key) and by the
// start-up check (a wrong or missing DATA_ENCRYPTION_KEY fails at start, not at
// the first payout). Decision 0035. Never logs or returns a decrypted value.
import type { Client, InValue } from "@libsql/client";
import { ConfigError, dataEncryptionKeys } from "./env.server";
import {
  decrypt,
  DecryptionError,
  isEncryptedWithCurrentKey,
  reencrypt,
} from "./encryption.server";

type SealedColumn = {
  table: string;
  /** The row's key column (also what the context is made from). */
  id: string;
  column: string;
  context: (id: string) => string;
};

/** Add a row here when a new column holds sealed values. */
export const SEALED_COLUMNS: readonly SealedColumn[] = [
  {
    table: "FestivalKey",
    id: "festivalId",
    column: "privateKeySealed",
    context: (id) => `festival-key:${id}`,
  },
  { table: "Recipient", id: "id", column: "sealed", context: (id) => `recipient:${id}` },
  { table: "Payout", id: "id", column: "noteSealed", context: (id) => `payout:${id}` },
  { table: "Payout", id: "id", column: "referenceSealed", context: (id) => `payout:${id}` },
  { table: "User", id: "id", column: "totpSecretSealed", context: (id) => `totp:${id}` },
];

const nameOf = (c: SealedColumn) => `${c.table}.${c.column}`;
const q = (identifier: string) => `"${identifier}"`;

/** The key id a ciphertext names ("v1.<keyId>.…"), in SQL. */
const keyIdSql = (column: string) =>
  `substr(${q(column)}, 4, instr(substr(${q(column)}, 4), '.') - 1)`;

export type RotationCounts = Record<string, { total: number; reencrypted: number }>;

const BATCH = 200;

/**
 * Re-encrypt every sealed value under the current (first) key of
 * DATA_ENCRYPTION_KEY. Values already under it are left as they are, so a
 * second run changes nothing. Each batch is one write transaction, and a row
 * changed meanwhile (its value is no longer the one read) is left for the next
 * run. Throws (naming the table, column and row id, never the value) when a
 * value cannot be decrypted with the configured keys: nothing of that batch is written.
 */
export async function rotateSealedValues(db: Client): Promise<RotationCounts> {
  const counts: RotationCounts = {};
  for (const c of SEALED_COLUMNS) {
    const name = nameOf(c);
    counts[name] = { total: 0, reencrypted: 0 };
    const total = await db.execute(
      `SELECT COUNT(*) AS n FROM ${q(c.table)} WHERE ${q(c.column)} IS NOT NULL`,
    );
    counts[name].total = Number(total.rows[0]?.n ?? 0);
    let after = "";
    for (;;) {
      const rows = await db.execute({
        sql: `SELECT ${q(c.id)} AS id, ${q(c.column)} AS value FROM ${q(c.table)}
              WHERE ${q(c.column)} IS NOT NULL AND ${q(c.id)} > ? ORDER BY ${q(c.id)} LIMIT ${BATCH}`,
        args: [after],
      });
      if (rows.rows.length === 0) break;
      const updates: { sql: string; args: InValue[] }[] = [];
      for (const row of rows.rows) {
        const id = String(row.id);
        const value = String(row.value);
        after = id;
        if (isEncryptedWithCurrentKey(value)) continue;
        let next: string;
        try {
          next = reencrypt(value, c.context(id));
        } catch (error) {
          throw unreadable(name, id, error);
        }
        updates.push({
          sql: `UPDATE ${q(c.table)} SET ${q(c.column)} = ? WHERE ${q(c.id)} = ? AND ${q(c.column)} = ?`,
          args: [next, id, value],
        });
      }
      if (updates.length) {
        const results = await db.batch(updates, "write");
        counts[name].reencrypted += results.reduce((n, r) => n + r.rowsAffected, 0);
      }
      if (rows.rows.length < BATCH) break;
    }
  }
  return counts;
}

function unreadable(name: string, id: string, error: unknown) {
  const why =
    error instanceof DecryptionError
      ? error.reason === "unknown_key"
        ? error.message
        : "the key with that id is not the one that sealed it, or the value was altered"
      : "it could not be read";
  return new ConfigError(
    `DATA_ENCRYPTION_KEY cannot decrypt ${name} of row ${id}: ${why}. ` +
      "Configure every key the data was sealed with (the newest first), then try again.",
  );
}

/**
 * At start: if anything sealed exists, decrypt one value per column and key id
 * with the configured keys, so a wrong, missing or dropped key fails loudly
 * now — with the table, column and key id, never a secret. Returns how many
 * samples were checked.
 */
export async function checkSealedValues(db: Client): Promise<number> {
  const samples: { column: SealedColumn; id: string; value: string; keyId: string }[] = [];
  for (const c of SEALED_COLUMNS) {
    const rows = await db.execute(
      `SELECT ${keyIdSql(c.column)} AS keyId, MIN(${q(c.id)}) AS id FROM ${q(c.table)}
       WHERE ${q(c.column)} IS NOT NULL GROUP BY keyId`,
    );
    for (const row of rows.rows) {
      const id = String(row.id);
      const value = await db.execute({
        sql: `SELECT ${q(c.column)} AS value FROM ${q(c.table)} WHERE ${q(c.id)} = ?`,
        args: [id],
      });
      samples.push({
        column: c,
        id,
        value: String(value.rows[0]?.value ?? ""),
        keyId: String(row.keyId ?? ""),
      });
    }
  }
  if (samples.length === 0) return 0;
  // Only now: a deployment with nothing sealed needs no key yet (and a missing one in production throws ConfigError here).
  dataEncryptionKeys();
  for (const s of samples) {
    try {
      decrypt(s.value, s.column.context(s.id)).fill(0);
    } catch (error) {
      const why =
        error instanceof DecryptionError && error.reason === "unknown_key"
          ? `it was sealed with key "${s.keyId}", which is not configured`
          : error instanceof DecryptionError && error.reason === "malformed"
            ? "the stored value is not a sealed value"
            : `the configured key "${s.keyId}" is not the one that sealed it`;
      throw new ConfigError(
        `DATA_ENCRYPTION_KEY cannot decrypt the data in this database (${nameOf(s.column)}): ${why}. ` +
          "Start with the keys the data was sealed with (the newest first); nothing was changed.",
      );
    }
  }
  return samples.length;
}
