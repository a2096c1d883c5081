// The real production build, served on a random port in this test process,
// over a fresh database, with mail going to an in-process SMTP server.
import http from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { root } from "../../scripts/lib.js";
import { freshTestEnv, type TestEnv } from "./env";
import { assertLedgerBalanced } from "./ledger";
import { recipients, startSmtpServer, type Mailbox } from "./smtp";

export type TestApp = TestEnv & {
  url: string;
  mail: Mailbox;
  close: () => Promise<void>;
  /** Stop the server and start it again on the same database and mailbox (a restart). */
  restart: () => Promise<TestApp>;
};

type Built = {
  startServer: (o: {
    port?: number;
    host?: string;
    quiet?: boolean;
  }) => Promise<{ url: string; close: () => Promise<void> }>;
};

/** Start the app (call once per test file, in beforeAll). */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const mail = await startSmtpServer();
  return serve(freshTestEnv({ SMTP_URL: mail.url, ...env }), mail);
}

async function serve(testEnv: TestEnv, mail: Mailbox): Promise<TestApp> {
  const built = (await import(pathToFileURL(path.join(root, "build", "index.js")).href)) as Built;
  const server = await built.startServer({ port: 0, host: "127.0.0.1", quiet: true });
  return {
    ...testEnv,
    url: server.url,
    mail,
    /** Stops the app, then checks the books: no test file may leave them unbalanced. */
    async close() {
      await server.close();
      await mail.close();
      await assertLedgerBalanced(testEnv.databaseUrl);
    },
    async restart() {
      await server.close();
      return serve(testEnv, mail);
    },
  };
}

export type HttpResponse = {
  status: number;
  headers: Headers;
  text: string;
  json: <T = unknown>() => T;
  location: string | null;
};

/**
 * A browser-like client: keeps cookies, sends same-origin headers on posts,
 * does not follow redirects (tests look at them).
 */
export class Client {
  cookies = new Map<string, string>();
  constructor(
    readonly base: string,
    readonly defaults: Record<string, string> = {},
  ) {}

  private cookieHeader() {
    return [...this.cookies.entries()].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  async request(
    method: string,
    pathname: string,
    init: { body?: BodyInit; headers?: Record<string, string> } = {},
  ): Promise<HttpResponse> {
    const headers: Record<string, string> = { ...this.defaults, ...init.headers };
    if (this.cookies.size) headers.Cookie = this.cookieHeader();
    if (method !== "GET" && method !== "HEAD" && !("Origin" in headers)) headers.Origin = this.base;
    const res = await fetch(this.base + pathname, {
      method,
      headers,
      body: init.body,
      redirect: "manual",
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (!value || /max-age=0|expires=thu, 01 jan 1970/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      text,
      location: res.headers.get("location"),
      json: <T>() => JSON.parse(text) as T,
    };
  }

  get(pathname: string, headers?: Record<string, string>) {
    return this.request("GET", pathname, { headers });
  }

  /** Submit an HTML form (urlencoded), like a browser without JavaScript. */
  postForm(
    pathname: string,
    fields: Record<string, string | string[]> | [string, string][],
    headers?: Record<string, string>,
  ) {
    const body = new URLSearchParams();
    const entries = Array.isArray(fields) ? fields : Object.entries(fields);
    for (const [k, v] of entries) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
    return this.request("POST", pathname, {
      body: body.toString(),
      headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    });
  }

  /** JSON API call; `token` adds a bearer token. */
  api(
    method: string,
    pathname: string,
    body?: unknown,
    token?: string,
    headers?: Record<string, string>,
  ) {
    return this.request(method, pathname, {
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      headers: {
        ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
    });
  }
}

/**
 * Send a body with a raw HTTP request — with a declared size, streamed in
 * chunks, or with headers fetch() will not send (a forged `Host`) — and read
 * the answer, tolerating a server that answers (413) and closes before it has
 * read the whole body. A header given as `undefined` is not sent (e.g. no `Origin`).
 */
export function sendRaw(
  baseUrl: string,
  method: string,
  path: string,
  body: Buffer | (() => AsyncGenerator<Buffer>),
  headers: Record<string, string | undefined>,
) {
  const sent = Object.fromEntries(
    Object.entries({ Origin: baseUrl, ...headers }).filter(
      (e): e is [string, string] => e[1] !== undefined,
    ),
  );
  const base = new URL(baseUrl);
  return new Promise<{
    status: number;
    text: string;
    contentType: string;
    location: string | null;
    headers: http.IncomingHttpHeaders;
  }>((resolve, reject) => {
    // The path goes out exactly as given (dot segments, "//", escapes), as a hostile client sends it.
    const req = http.request(
      {
        hostname: base.hostname,
        port: base.port,
        path,
        method,
        headers: sent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString(),
            contentType: res.headers["content-type"] ?? "",
            location: res.headers.location ?? null,
            headers: res.headers,
          }),
        );
      },
    );
    req.on("error", (e: NodeJS.ErrnoException) =>
      e.code === "EPIPE" || e.code === "ECONNRESET" ? undefined : reject(e),
    );
    if (Buffer.isBuffer(body)) req.end(body);
    else
      void (async () => {
        for await (const chunk of body())
          if (!req.write(chunk)) await new Promise((r) => req.once("drain", r));
        req.end();
      })().catch(() => undefined);
  });
}

/**
 * Ask for a password reset as a browser would and return the path of the link
 * the email carries (`/reset-password/<token>`) with the email itself.
 */
export async function requestPasswordResetLink(app: Pick<TestApp, "url" | "mail">, email: string) {
  const LINK = /https?:\/\/\S+\/reset-password\/[A-Za-z0-9_-]{43}/;
  // Only mail that arrives after this request counts (other mail, e.g. an
  // invitation, may still be on its way to the same address).
  const before = new Set(app.mail.messages);
  const isReset = (m: Mailbox["messages"][number]) =>
    !before.has(m) && recipients(m).includes(email) && LINK.test(m.text ?? "");
  const res = await new Client(app.url).postForm("/forgot-password", { email });
  if (res.status !== 302) throw new Error(`/forgot-password answered ${res.status}`);
  const mail = await app.mail.waitFor(isReset);
  return { path: new URL(LINK.exec(mail.text ?? "")![0]).pathname, mail };
}
