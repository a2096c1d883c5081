// A real SMTP server in-process; messages are parsed with mailparser.
import { simpleParser, type ParsedMail } from "mailparser";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export type Mailbox = {
  url: string;
  messages: ParsedMail[];
  /** Wait for a message matching `match` (default: any new one). */
  waitFor: (match?: (m: ParsedMail) => boolean, timeoutMs?: number) => Promise<ParsedMail>;
  /** Make the next `n` deliveries fail with a temporary SMTP error (451), or `code`. */
  failNext: (n: number, code?: number) => void;
  close: () => Promise<void>;
};

/** `port`: listen there (a server brought back after an outage keeps its address); default any free one. */
export async function startSmtpServer(options: { port?: number } = {}): Promise<Mailbox> {
  const messages: ParsedMail[] = [];
  const waiters: { match: (m: ParsedMail) => boolean; resolve: (m: ParsedMail) => void }[] = [];
  let failures = 0;
  let failureCode = 451;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        if (failures > 0) {
          failures--;
          const err = new Error(
            failureCode < 500 ? "Temporary failure, try later" : "Mailbox unavailable",
          ) as Error & { responseCode: number };
          err.responseCode = failureCode;
          return callback(err);
        }
        simpleParser(Buffer.concat(chunks))
          .then((mail) => {
            messages.push(mail);
            for (const w of [...waiters]) {
              if (w.match(mail)) {
                waiters.splice(waiters.indexOf(w), 1);
                w.resolve(mail);
              }
            }
            callback();
          })
          .catch(callback);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    failNext(n, code = 451) {
      failures = n;
      failureCode = code;
    },
    waitFor(match = () => true, timeoutMs = 15_000) {
      const found = messages.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no matching email arrived")), timeoutMs);
        waiters.push({
          match,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export function recipients(mail: ParsedMail): string[] {
  const to = Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : [];
  return to.flatMap((a) => a.value.map((v) => v.address ?? ""));
}
