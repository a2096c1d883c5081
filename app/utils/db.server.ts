// The one database client. SQLite through libSQL; Prisma's TypeScript engine
// over the libSQL driver adapter (no engine binary). See docs/decisions/0002.
import { createClient, type Client, type InStatement } from "@libsql/client";
import { PrismaLibSQL } from "@prisma/adapter-libsql";
import { PrismaClient } from "@prisma/client";
import fs from "node:fs";
import path from "node:path";
import { getEnv } from "./env.server";
import { PreparedClient } from "./sqlite-connections.server";

/** Applied to every SQLite connection when it opens (decision 0022). */
// (busy_timeout is PreparedClient's: a short one per try, retried asynchronously up to 5 s.)
const CONNECTION_PRAGMAS = [
  "PRAGMA synchronous = NORMAL",
  "PRAGMA foreign_keys = ON",
  // Erased personal data is overwritten in the file, not left in free space (privacy.server.ts).
  "PRAGMA secure_delete = ON",
];

/**
 * A client for `url`: for a local file, a small set of connections each prepared
 * with the pragmas above (app/utils/sqlite-connections.server.ts); for a libSQL
 * server, the plain remote client (the server owns its connections).
 */
function openClient(url: string, connections: number): Client {
  if (!isLocalFile(url)) return createClient({ url });
  return new PreparedClient({
    url,
    pragmas: CONNECTION_PRAGMAS,
    connections,
    busyTimeoutMs: 5000,
  });
}

function isLocalFile(url: string) {
  return url.startsWith("file:");
}

/** Make sure the folder of a `file:` database exists. */
export function ensureDatabaseFolder(url: string) {
  if (!isLocalFile(url)) return;
  const file = url.slice("file:".length).split("?")[0] ?? "";
  if (file && file !== ":memory:")
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
}

class ConfiguredLibSQL extends PrismaLibSQL {
  override createClient(config: Parameters<PrismaLibSQL["createClient"]>[0]): Client {
    // Prisma's adapter runs one query or transaction at a time: two connections do.
    return openClient(config.url, 2);
  }
}

type Db = { prisma: PrismaClient; sql: Client; url: string };

const globalForDb = globalThis as unknown as { __festivalDb?: Db };

function connect(): Db {
  const url = getEnv().DATABASE_URL;
  ensureDatabaseFolder(url);
  const prisma = new PrismaClient({ adapter: new ConfiguredLibSQL({ url }) });
  // A second, direct client for hot paths and raw SQL (about 10x cheaper per query
  // than going through Prisma). Same pragmas.
  const sql = openClient(url, 8);
  return { prisma, sql, url };
}

function db(): Db {
  globalForDb.__festivalDb ??= connect();
  return globalForDb.__festivalDb;
}

/** The Prisma client (lazily connected to DATABASE_URL). */
export const prisma: PrismaClient = new Proxy({} as PrismaClient, {
  get(_t, prop) {
    const client = db().prisma;
    const value = Reflect.get(client, prop, client) as unknown;
    return typeof value === "function"
      ? (value as (...a: unknown[]) => unknown).bind(client)
      : value;
  },
});

/** Direct libSQL client for raw statements. */
export function sqlClient(): Client {
  return db().sql;
}

export async function rawQuery(stmt: InStatement) {
  return sqlClient().execute(stmt);
}

/** Switch the file to WAL once (the mode is stored in the file itself). */
export async function prepareDatabase() {
  const { sql, url } = db();
  if (isLocalFile(url)) await sql.execute("PRAGMA journal_mode = WAL");
}

export async function disconnectDatabase() {
  const current = globalForDb.__festivalDb;
  if (!current) return;
  globalForDb.__festivalDb = undefined;
  await current.prisma.$disconnect();
  current.sql.close();
}

export type { PrismaClient };
export type TransactionClient = Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0];

/** A Date as Prisma stores DateTime in SQLite (ISO 8601 text), for raw statements. */
export function sqlDate(date: Date): string {
  return date.toISOString().replace("Z", "+00:00");
}

/** Read a DateTime column from a raw row. */
export function dateFromSql(value: unknown): Date {
  return new Date(
    typeof value === "number" || typeof value === "bigint" ? Number(value) : String(value),
  );
}

type WriteTx = Awaited<ReturnType<Client["transaction"]>>;

/** Something that runs SQL statements: the shared client, or a transaction on it. */
export type SqlExecutor = Pick<Client, "execute">;

/**
 * Run `fn` in an interactive write transaction on the direct libSQL client:
 * committed when `fn` returns (unless it committed or rolled back itself),
 * rolled back when it throws. Never write through another client inside `fn`:
 * that waits for this transaction's lock until SQLITE_BUSY.
 */
export async function writeTransaction<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T> {
  const tx = await sqlClient().transaction("write");
  try {
    const result = await fn(tx);
    if (!tx.closed) await tx.commit();
    return result;
  } catch (error) {
    if (!tx.closed) await tx.rollback();
    throw error;
  } finally {
    tx.close();
  }
}
