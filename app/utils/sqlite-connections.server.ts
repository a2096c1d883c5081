// A libSQL client for a local SQLite file whose every connection carries our
// connection pragmas. @libsql/client ≥ 0.9 pools its connections privately and
// opens new ones without a hook, and `PRAGMA synchronous` cannot be set inside a
// transaction, so the pragmas could not reach a pooled connection reliably.
// Instead this keeps a small set of single-connection clients, each prepared
// once when it opens: plain statements share any client not held by an open
// transaction; a transaction holds one client until it settles. Connections
// are reused, never leaked (decision 0022).
//
// SQLite allows one writer at a time and the driver is synchronous: a second
// connection that tries to write while a transaction elsewhere in this process
// holds the write lock spins in SQLite's busy handler *on the event loop*, so the
// holder can never finish and both fail after busy_timeout. Writers therefore
// queue on one gate per database file in JavaScript instead (reads never do:
// WAL lets them run beside a writer).
import {
  createClient,
  type Client,
  type InArgs,
  type InStatement,
  type ResultSet,
  type Transaction,
  type TransactionMode,
} from "@libsql/client";
import { storageFaultOf } from "./storage-faults.server";

type Member = { client: Client; heldByTransaction: boolean };

/**
 * Whether a failure may have left its connection unusable: a BEGIN that met
 * another writer's lock past busy_timeout stays an open statement on its
 * connection, and every later transaction there fails with "cannot commit
 * transaction - SQL statements in progress" (tests/db/busy-connection.test.ts);
 * an I/O error (a full disk) is no better. Such a connection is closed and
 * replaced rather than handed out again.
 */
function poisons(error: unknown) {
  return storageFaultOf(error) !== null;
}

/**
 * How long SQLite itself may wait for a lock, per try. Its busy handler sleeps
 * on the calling thread — the event loop, the driver being synchronous — so a
 * lock held by another process would freeze every request for busy_timeout.
 * Instead each connection waits at most this long, and writes that can be
 * tried again whole (a statement on its own, a batch, the BEGIN of a
 * transaction) are retried asynchronously until `busyTimeoutMs` has passed.
 */
export const BUSY_SLICE_MS = 10;

function isBusy(error: unknown) {
  return storageFaultOf(error)?.kind === "database_busy";
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Longest wait for the write gate before giving up like SQLite would (SQLITE_BUSY). */
const GATE_TIMEOUT_MS = 15_000;

/** One writer at a time per database file, first come first served. */
class WriteGate {
  #held = false;
  #queue: Array<() => void> = [];

  async enter(): Promise<() => void> {
    if (this.#held) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.#queue = this.#queue.filter((w) => w !== wake);
          reject(
            Object.assign(new Error("database is locked (write gate timeout)"), {
              code: "SQLITE_BUSY",
            }),
          );
        }, GATE_TIMEOUT_MS);
        const wake = () => {
          clearTimeout(timer);
          resolve();
        };
        this.#queue.push(wake);
      });
    } else {
      this.#held = true;
    }
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const next = this.#queue.shift();
      if (next) next();
      else this.#held = false;
    };
  }
}

const gates = new Map<string, WriteGate>();
function gateFor(url: string) {
  let gate = gates.get(url);
  if (!gate) gates.set(url, (gate = new WriteGate()));
  return gate;
}

/** Statements that only read (they run beside a writer under WAL). */
function onlyReads(sql: string) {
  const head = sql.trimStart().slice(0, 12).toUpperCase();
  if (head.startsWith("SELECT") || head.startsWith("EXPLAIN")) return true;
  // `PRAGMA x` reads; `PRAGMA x = y` sets (journal_mode may write the file header).
  return head.startsWith("PRAGMA") && !sql.includes("=");
}

export type PreparedClientOptions = {
  url: string;
  /** Statements run once on every connection when it opens (outside any transaction). */
  pragmas: readonly string[];
  /** Most connections open at once (transactions beyond that wait for one). */
  connections: number;
  /**
   * Milliseconds a write waits for another process's lock before SQLITE_BUSY
   * (asynchronously, in tries of BUSY_SLICE_MS: see above).
   */
  busyTimeoutMs: number;
};

export class PreparedClient implements Client {
  readonly protocol = "file";
  closed = false;
  #options: PreparedClientOptions;
  #members: Member[] = [];
  #opening = 0;
  #next = 0;
  #waiters: Array<{ exclusive: boolean; resolve: (member: Member) => void }> = [];
  #gate: WriteGate;

  constructor(options: PreparedClientOptions) {
    this.#options = options;
    this.#gate = gateFor(options.url);
  }

  async #open(heldByTransaction: boolean): Promise<Member> {
    this.#opening++;
    try {
      const client = createClient({
        url: this.#options.url,
        concurrency: 1,
        timeout: BUSY_SLICE_MS,
      });
      for (const sql of this.#options.pragmas) await client.execute(sql);
      await client.execute(`PRAGMA busy_timeout = ${BUSY_SLICE_MS}`);
      const member = { client, heldByTransaction };
      this.#members.push(member);
      return member;
    } finally {
      this.#opening--;
    }
  }

  #checkOpen() {
    if (this.closed) throw new Error("The database client is closed");
  }

  /**
   * A client for one operation. Exclusive (a transaction or batch): marked held
   * before anything else can run, so no shared statement lands on a connection
   * inside an open transaction. Shared: any client that no transaction holds.
   * Opens a new connection below the limit, else waits for a release.
   */
  async #acquire(exclusive: boolean): Promise<Member> {
    this.#checkOpen();
    const free = this.#members.filter((m) => !m.heldByTransaction);
    if (free.length > 0) {
      const member = exclusive ? free[0]! : free[this.#next++ % free.length]!;
      if (exclusive) member.heldByTransaction = true;
      return member;
    }
    if (this.#members.length + this.#opening < this.#options.connections)
      return this.#open(exclusive);
    return new Promise<Member>((resolve) => this.#waiters.push({ exclusive, resolve }));
  }

  #release(member: Member) {
    member.heldByTransaction = false;
    // Hand the client straight to waiters: every shared one, up to the first exclusive.
    while (this.#waiters.length > 0 && !member.heldByTransaction) {
      const waiter = this.#waiters.shift()!;
      member.heldByTransaction = waiter.exclusive;
      waiter.resolve(member);
    }
  }

  /** Close a connection a failure may have broken; a waiter for one gets a new one. */
  #retire(member: Member) {
    this.#members = this.#members.filter((m) => m !== member);
    try {
      member.client.close();
    } catch {
      // Already unusable: dropping it is all that is left to do.
    }
    const waiter = this.#waiters.shift();
    if (waiter && !this.closed)
      void this.#open(waiter.exclusive).then(waiter.resolve, () => this.#waiters.unshift(waiter));
  }

  /**
   * Try `run` again while it fails with SQLITE_BUSY (another process holds the
   * write lock), with growing pauses, until `deadline`: busyTimeoutMs after
   * the write was asked for, its wait at the write gate included — writes queued
   * behind one that waits for a lock held elsewhere do not each wait the whole
   * time again. Tried at least once. Only for operations that fail whole:
   * nothing of them was written.
   */
  async #retryWhileBusy<T>(run: () => Promise<T>, deadline: number): Promise<T> {
    for (let pause = 2; ; pause = Math.min(pause * 2, 50)) {
      try {
        return await run();
      } catch (error) {
        if (!isBusy(error) || Date.now() + pause >= deadline) throw error;
        await sleep(pause);
      }
    }
  }

  /** Run a write alone: through the write gate, on a client held meanwhile. */
  async #exclusively<T>(fn: (client: Client) => Promise<T>, retry = true): Promise<T> {
    const deadline = Date.now() + this.#options.busyTimeoutMs;
    const leave = await this.#gate.enter();
    const once = async () => {
      const member = await this.#acquire(true);
      let broken = false;
      try {
        return await fn(member.client);
      } catch (error) {
        broken = poisons(error);
        throw error;
      } finally {
        if (broken) this.#retire(member);
        else this.#release(member);
      }
    };
    try {
      return await (retry ? this.#retryWhileBusy(once, deadline) : once());
    } finally {
      leave();
    }
  }

  execute(stmt: InStatement): Promise<ResultSet>;
  execute(sql: string, args?: InArgs): Promise<ResultSet>;
  async execute(stmtOrSql: InStatement | string, args?: InArgs): Promise<ResultSet> {
    const stmt: InStatement =
      typeof stmtOrSql === "string" ? { sql: stmtOrSql, args: args ?? [] } : stmtOrSql;
    const sql = typeof stmt === "string" ? stmt : stmt.sql;
    if (!onlyReads(sql)) return this.#exclusively((client) => client.execute(stmt));
    const { client } = await this.#acquire(false);
    return client.execute(stmt);
  }

  async batch(
    stmts: Array<InStatement | [string, InArgs?]>,
    mode?: TransactionMode,
  ): Promise<ResultSet[]> {
    // A batch is a transaction on its connection: hold the client meanwhile.
    if (mode === "read") {
      const member = await this.#acquire(true);
      try {
        return await member.client.batch(stmts, mode);
      } finally {
        this.#release(member);
      }
    }
    const deadline = Date.now() + this.#options.busyTimeoutMs;
    const leave = await this.#gate.enter();
    // All or nothing (the driver rolls a failed batch back), so a batch that met
    // another process's lock is tried again whole until the deadline.
    const once = async () => {
      const member = await this.#acquire(true);
      try {
        const results = await member.client.batch(stmts, mode);
        this.#release(member);
        return results;
      } catch (error) {
        // A statement refused (a trigger, a constraint) is reported with its index
        // and leaves the connection clean; a refused COMMIT (no index) leaves it
        // unusable for writes, as in a transaction's commit() below: retired.
        if (
          typeof (error as { statementIndex?: unknown }).statementIndex === "number" &&
          !poisons(error)
        )
          this.#release(member);
        else this.#retire(member);
        throw error;
      }
    };
    try {
      return await this.#retryWhileBusy(once, deadline);
    } finally {
      leave();
    }
  }

  async migrate(stmts: InStatement[]): Promise<ResultSet[]> {
    return this.#exclusively((client) => client.migrate(stmts));
  }

  async executeMultiple(sql: string): Promise<void> {
    // Statement by statement, not all or nothing: not tried again.
    return this.#exclusively((client) => client.executeMultiple(sql), false);
  }

  async transaction(mode?: TransactionMode): Promise<Transaction> {
    // A deferred transaction may write (Prisma's always are deferred): gate it
    // too, and begin it as a write (BEGIN IMMEDIATE), so that the only wait for
    // another process's lock is at its start, where it can be tried again —
    // never in the middle, where SQLite would fail it or wait on the event loop.
    const deadline = Date.now() + this.#options.busyTimeoutMs;
    const leave = mode === "read" ? () => undefined : await this.#gate.enter();
    const begin: TransactionMode = mode === "read" ? "read" : "write";
    let member!: Member;
    let tx!: Transaction;
    try {
      await this.#retryWhileBusy(async () => {
        member = await this.#acquire(true);
        try {
          tx = await member.client.transaction(begin);
        } catch (error) {
          if (poisons(error)) this.#retire(member);
          else this.#release(member);
          throw error;
        }
      }, deadline);
    } catch (error) {
      leave();
      throw error;
    }
    let settled = false;
    let broken = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      if (broken) this.#retire(member);
      else this.#release(member);
      leave();
    };
    /** Note a failure that may have broken the connection (it is replaced when the transaction settles). */
    const watch = async <T>(run: () => Promise<T>): Promise<T> => {
      try {
        return await run();
      } catch (error) {
        if (poisons(error)) broken = true;
        throw error;
      }
    };
    return {
      execute: (stmt) => watch(() => tx.execute(stmt)),
      batch: (stmts) => watch(() => tx.batch(stmts)),
      executeMultiple: (sql) => watch(() => tx.executeMultiple(sql)),
      // COMMIT as a statement of the transaction, not `tx.commit()`: when SQLite
      // refuses it (a deferred foreign key, SQLITE_BUSY, a full disk) the
      // transaction stays open, and libSQL would hand its connection back to the
      // pool still holding the write lock — every later writer, here and in other
      // processes, would wait for it until SQLITE_BUSY. It is rolled back, and the
      // connection retired: the refused COMMIT statement is never reset and keeps
      // an old read snapshot, so that connection could not write again (the next
      // BEGIN IMMEDIATE answers SQLITE_BUSY_SNAPSHOT once anyone else has written).
      commit: async () => {
        try {
          await tx.execute("COMMIT");
        } catch (error) {
          await tx.rollback().catch(() => undefined);
          broken = true;
          settle();
          throw error;
        }
        // Committed: close() only gives the connection back.
        try {
          tx.close();
        } finally {
          settle();
        }
      },
      async rollback() {
        try {
          await watch(() => tx.rollback());
        } finally {
          settle();
        }
      },
      close() {
        try {
          tx.close();
        } finally {
          settle();
        }
      },
      get closed() {
        return tx.closed;
      },
    };
  }

  async sync(): Promise<never> {
    throw new Error("sync() is for embedded replicas; this is a local file");
  }

  reconnect() {
    for (const m of this.#members) m.client.close();
    this.#members = [];
  }

  close() {
    this.closed = true;
    for (const m of this.#members) m.client.close();
    this.#members = [];
  }
}
