// The outbox through an SMTP outage of an hour on a simulated clock
// (`deliverDueEmails(now)` takes `now`): the SMTP server is really closed
// (connections refused) and later listens again on the same port. Mail keeps
// being written during the outage; after the server returns every email goes
// out, none lost, none twice, each recipient's in the order they were written,
// each with the Message-ID derived from its outbox row.
import type { ParsedMail } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as ChangeServer from "~/utils/change.server";
import type * as DbServer from "~/utils/db.server";
import type * as EmailServer from "~/utils/email.server";
import { freshTestEnv } from "../helpers/env";
import { recipients, startSmtpServer, type Mailbox } from "../helpers/smtp";

let mail: Mailbox;
let port: number;
let outbox: typeof EmailServer;
let db: typeof DbServer;
let change: typeof ChangeServer;

beforeAll(async () => {
  mail = await startSmtpServer();
  port = Number(new URL(mail.url).port);
  freshTestEnv({ SMTP_URL: mail.url });
  outbox = await import("~/utils/email.server");
  db = await import("~/utils/db.server");
  change = await import("~/utils/change.server");
});
afterAll(async () => {
  await mail.close();
  await db.disconnectDatabase();
});

const MINUTE = 60_000;
const STEP = 30_000; // the worker's passes on the simulated clock
const PEOPLE = ["ana", "boris", "chen", "dara", "emil", "farida"].map((p) => `${p}@example.test`);

/** What was written, in order: the outbox row id and its recipient. */
const written: { id: string; to: string }[] = [];
let n = 0;

/** Write one email at simulated time `at`, as the app does (a change of its own). */
async function write(to: string, at: Date) {
  n++;
  const id = `outage-${String(n).padStart(3, "0")}`;
  await change.writeChange(
    db.sqlClient(),
    {
      emails: {
        id,
        to,
        template: "password-reset",
        locale: n % 2 ? "en" : "ru",
        data: { resetUrl: `https://festival.example/reset-password/${id}` },
      },
    },
    at,
  );
  written.push({ id, to });
}

const outboxId = (m: ParsedMail) => String(m.headers.get("x-outbox-id") ?? "");

describe("SMTP outages", () => {
  it("of an hour: loses nothing, sends nothing twice, keeps each recipient's order and the Message-IDs", async () => {
    const t0 = Date.now();
    const at = (ms: number) => new Date(t0 + ms);
    const totals = { sent: 0, failed: 0 };
    const pass = async (ms: number) => {
      const r = await outbox.deliverDueEmails(at(ms));
      totals.sent += r.sent;
      totals.failed += r.failed;
    };

    // Before: one email each, delivered at once.
    for (const p of PEOPLE) await write(p, at(0));
    await pass(0);
    expect(mail.messages).toHaveLength(PEOPLE.length);

    // The server goes away: connections are refused from now on.
    await mail.close();
    const received = mail.messages;
    const downFrom = MINUTE;
    const downUntil = downFrom + 60 * MINUTE;
    let clock = downFrom;
    // Mail keeps being written through the hour, several to each person, interleaved.
    for (; clock < downUntil; clock += STEP) {
      if (clock % (5 * MINUTE) === 0)
        for (const [i, p] of PEOPLE.entries())
          if ((clock / MINUTE + i) % 2 === 0) await write(p, at(clock));
      await pass(clock);
    }
    expect(received).toHaveLength(PEOPLE.length); // nothing got through while down
    const waiting = await db.prisma.outboxEmail.count({ where: { status: "pending" } });
    expect(waiting).toBe(written.length - PEOPLE.length);

    // Back on the same address; more mail is written right after it returns.
    mail = await startSmtpServer({ port });
    for (const p of PEOPLE) await write(p, at(clock));
    const end = clock + 3 * 60 * MINUTE;
    for (; clock <= end; clock += STEP) {
      await pass(clock);
      if ((await db.prisma.outboxEmail.count({ where: { status: "pending" } })) === 0) break;
    }

    // None lost, none failed for good, none twice.
    const rows = await db.prisma.outboxEmail.findMany();
    expect(rows.filter((r) => r.status !== "sent")).toEqual([]);
    const all = [...received, ...mail.messages];
    expect(all.map(outboxId).sort()).toEqual(written.map((w) => w.id).sort());
    expect(totals.sent).toBe(written.length);

    // The Message-ID is derived from the row (a resend is the same message) and recorded.
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const m of all) {
      const id = outboxId(m);
      expect(m.messageId).toBe(`<${id}@example.test>`); // the MAIL_FROM domain
      expect(byId.get(id)?.messageId).toBe(m.messageId);
    }
    expect(new Set(all.map((m) => m.messageId)).size).toBe(all.length);

    // Each person's mail arrived in the order it was written.
    for (const p of PEOPLE) {
      const arrived = all.filter((m) => recipients(m).includes(p)).map(outboxId);
      const order = written.filter((w) => w.to === p).map((w) => w.id);
      expect(arrived, p).toEqual(order);
    }
    // And it all went out soon after the server returned (within the capped backoff).
    expect(clock - downUntil).toBeLessThanOrEqual(90 * MINUTE);
  });

  it("a longer outage (three hours) loses nothing either: temporary failures are retried for days", async () => {
    const t0 = Date.now() + 10 * 60 * MINUTE; // after the first test's clock
    const at = (ms: number) => new Date(t0 + ms);
    const port2 = port;
    await mail.close();
    const ids: string[] = [];
    for (const p of PEOPLE.slice(0, 2)) {
      await write(p, at(0));
      ids.push(written.at(-1)!.id);
    }
    let clock = 0;
    for (; clock < 3 * 60 * MINUTE; clock += 2 * STEP) await outbox.deliverDueEmails(at(clock));
    const rows = await db.prisma.outboxEmail.findMany({ where: { id: { in: ids } } });
    expect(rows.map((r) => r.status)).toEqual(["pending", "pending"]);
    mail = await startSmtpServer({ port: port2 });
    for (const end = clock + 2 * 60 * MINUTE; clock <= end; clock += STEP) {
      await outbox.deliverDueEmails(at(clock));
      if (mail.messages.length === ids.length) break;
    }
    expect(mail.messages.map(outboxId).sort()).toEqual([...ids].sort());
  });
});
