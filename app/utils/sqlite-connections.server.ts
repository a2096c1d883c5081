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

type Member = { client: Client; heldByTransaction: boolean };

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
  /** Milliseconds SQLite waits for a lock before SQLITE_BUSY. */
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
        timeout: this.#options.busyTimeoutMs,
      });
      for (const sql of this.#options.pragmas) await client.execute(sql);
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

  /** Run a write alone: through the write gate, on a client held meanwhile. */
  async #exclusively<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    const leave = await this.#gate.enter();
    try {
      const member = await this.#acquire(true);
      try {
        return await fn(member.client);
      } finally {
        this.#release(member);
      }
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
    return this.#exclusively((client) => client.batch(stmts, mode));
  }

  async migrate(stmts: InStatement[]): Promise<ResultSet[]> {
    return this.#exclusively((client) => client.migrate(stmts));
  }

  async executeMultiple(sql: string): Promise<void> {
    return this.#exclusively((client) => client.executeMultiple(sql));
  }

  async transaction(mode?: TransactionMode): Promise<Transaction> {
    // A deferred transaction may write (Prisma's always are deferred): gate it too.
    const leave = mode === "read" ? () => undefined : await this.#gate.enter();
    let member: Member;
    let tx: Transaction;
    try {
      member = await this.#acquire(true);
      try {
        tx = await member.client.transaction(mode);
      } catch (error) {
        this.#release(member);
        throw error;
      }
    } catch (error) {
      leave();
      throw error;
    }
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      this.#release(member);
      leave();
    };
    return {
      execute: (stmt) => tx.execute(stmt),
      batch: (stmts) => tx.batch(stmts),
      executeMultiple: (sql) => tx.executeMultiple(sql),
      async commit() {
        try {
          await tx.commit();
        } finally {
          settle();
        }
      },
      async rollback() {
        try {
          await tx.rollback();
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
