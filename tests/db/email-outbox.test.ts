// The outbox against a real SMTP server: retries with backoff, gives up after
// MAX_ATTEMPTS, and writes .eml files when no SMTP_URL is configured.
import { simpleParser } from "mailparser";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type * as ChangeServer from "~/utils/change.server";
import type * as DbServer from "~/utils/db.server";
import type * as EmailServer from "~/utils/email.server";
import type * as EnvServer from "~/utils/env.server";
import { freshTestEnv, type TestEnv } from "../helpers/env";
import { recipients, startSmtpServer, type Mailbox } from "../helpers/smtp";

let env: TestEnv;
let mail: Mailbox;
// Imported after the environment is set (they read it when first used).
let outbox: typeof EmailServer;
let db: typeof DbServer;
let envModule: typeof EnvServer;
let change: typeof ChangeServer;
/** Queue one email: in `tx` when given, else as a write of its own. */
const enqueue = (
  message: Parameters<typeof ChangeServer.enqueueEmail>[0],
  tx: ChangeServer.ChangeTx = db.sqlClient(),
) => change.enqueueEmail(message, tx);

beforeAll(async () => {
  mail = await startSmtpServer();
  env = freshTestEnv({ SMTP_URL: mail.url });
  outbox = await import("~/utils/email.server");
  db = await import("~/utils/db.server");
  envModule = await import("~/utils/env.server");
  change = await import("~/utils/change.server");
});
afterAll(async () => {
  await mail.close();
  await db.disconnectDatabase();
});
beforeEach(async () => {
  await db.prisma.outboxEmail.deleteMany();
});

const data = {
  resetUrl: "https://festival.example/reset-password/0123456789abcdefghijABCDEFGHIJ_-0123456789a",
};

describe("email outbox", () => {
  it("delivers a pending email in the recipient's language, with HTML and text parts", async () => {
    await enqueue({
      to: "ru@example.test",
      template: "password-reset",
      locale: "ru",
      data,
    });
    expect(await outbox.deliverDueEmails()).toEqual({ sent: 1, failed: 0 });
    const m = await mail.waitFor((x) => recipients(x).includes("ru@example.test"));
    expect(m.subject).toBe("Ссылка для сброса пароля");
    expect(m.text).toContain(data.resetUrl);
    expect(m.html).toContain('lang="ru"');
    const row = await db.prisma.outboxEmail.findFirstOrThrow();
    expect(row.status).toBe("sent");
    expect(row.sentAt).not.toBeNull();
  });

  it("retries a temporary failure later with growing backoff, then succeeds", async () => {
    mail.failNext(2);
    await enqueue({
      to: "retry@example.test",
      template: "password-reset",
      locale: "en",
      data,
    });
    const start = new Date(Date.now() + 1);
    expect(await outbox.deliverDueEmails(start)).toEqual({ sent: 0, failed: 1 });
    let row = await db.prisma.outboxEmail.findFirstOrThrow();
    expect(row).toMatchObject({ status: "pending", attempts: 1 });
    expect(row.lastError).toMatch(/451|Temporary/);
    expect(row.nextAttemptAt.getTime() - start.getTime()).toBe(outbox.backoffMs(1));
    // Not due yet: nothing happens.
    expect(await outbox.deliverDueEmails(start)).toEqual({ sent: 0, failed: 0 });
    const later = new Date(row.nextAttemptAt.getTime() + 1);
    expect(await outbox.deliverDueEmails(later)).toEqual({ sent: 0, failed: 1 });
    row = await db.prisma.outboxEmail.findFirstOrThrow();
    expect(row.nextAttemptAt.getTime() - later.getTime()).toBe(outbox.backoffMs(2));
    expect(outbox.backoffMs(2)).toBe(2 * outbox.backoffMs(1));
    expect(await outbox.deliverDueEmails(new Date(row.nextAttemptAt.getTime() + 1))).toEqual({
      sent: 1,
      failed: 0,
    });
    expect((await db.prisma.outboxEmail.findFirstOrThrow()).status).toBe("sent");
  });

  it("gives up a permanent failure after the maximum number of attempts and keeps the row for inspection", async () => {
    mail.failNext(outbox.MAX_ATTEMPTS, 550);
    await enqueue({
      to: "never@example.test",
      template: "password-reset",
      locale: "en",
      data,
    });
    let now = new Date();
    for (let i = 0; i < outbox.MAX_ATTEMPTS; i++) {
      await outbox.deliverDueEmails(now);
      const row = await db.prisma.outboxEmail.findFirstOrThrow();
      now = new Date(row.nextAttemptAt.getTime() + 1);
    }
    const row = await db.prisma.outboxEmail.findFirstOrThrow();
    expect(row).toMatchObject({ status: "failed", attempts: outbox.MAX_ATTEMPTS });
    expect(await outbox.deliverDueEmails(new Date(now.getTime() + 86_400_000))).toEqual({
      sent: 0,
      failed: 0,
    });
  });

  it("retries a temporary failure past the maximum attempts until the email is days old", async () => {
    mail.failNext(1000);
    const start = new Date(Date.now() + 1);
    await change.writeChange(
      db.sqlClient(),
      { emails: { to: "patient@example.test", template: "password-reset", locale: "en", data } },
      start,
    );
    let now = start;
    let row = await db.prisma.outboxEmail.findFirstOrThrow();
    for (let i = 0; i < outbox.MAX_ATTEMPTS + 4; i++) {
      await outbox.deliverDueEmails(now);
      row = await db.prisma.outboxEmail.findFirstOrThrow();
      now = new Date(row.nextAttemptAt.getTime() + 1);
    }
    expect(row).toMatchObject({ status: "pending", attempts: outbox.MAX_ATTEMPTS + 4 });
    // Once it is older than GIVE_UP_AFTER_MS, the next temporary failure gives it up.
    await outbox.deliverDueEmails(new Date(start.getTime() + outbox.GIVE_UP_AFTER_MS));
    row = await db.prisma.outboxEmail.findFirstOrThrow();
    expect(row.status).toBe("failed");
    mail.failNext(0);
  });

  it("does not send a row twice when two workers race for it", async () => {
    await enqueue({
      to: "once@example.test",
      template: "password-reset",
      locale: "en",
      data,
    });
    const before = mail.messages.length;
    const [a, b] = await Promise.all([outbox.deliverDueEmails(), outbox.deliverDueEmails()]);
    expect(a.sent + b.sent).toBe(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(mail.messages.length).toBe(before + 1);
  });

  it("a resend after a crash between sending and recording is the same message (Message-ID)", async () => {
    await enqueue({ to: "crash@example.test", template: "password-reset", locale: "en", data });
    expect(await outbox.deliverDueEmails()).toEqual({ sent: 1, failed: 0 });
    const row = await db.prisma.outboxEmail.findFirstOrThrow();
    expect(row.messageId).toBe(outbox.outboxMessageId(row.id));
    // What a crash after the SMTP server took it, before the row was marked, leaves behind.
    await db.prisma.outboxEmail.update({
      where: { id: row.id },
      data: { status: "pending", sentAt: null, messageId: null },
    });
    expect(await outbox.deliverDueEmails(new Date(row.nextAttemptAt.getTime() + 1))).toEqual({
      sent: 1,
      failed: 0,
    });
    const copies = mail.messages.filter((m) => recipients(m).includes("crash@example.test"));
    expect(copies).toHaveLength(2);
    expect(copies.map((m) => m.messageId)).toEqual([
      outbox.outboxMessageId(row.id),
      outbox.outboxMessageId(row.id),
    ]);
  });

  it("sends a person's mail in order: a later email waits while an earlier one is retried", async () => {
    const to = "order@example.test";
    const reminder = "reminder-later";
    const start = new Date(Date.now() + 1000);
    // Scheduled for tomorrow: holds nothing back before its time.
    await change.writeChange(
      db.sqlClient(),
      {
        emails: {
          id: reminder,
          to,
          template: "password-reset",
          locale: "en",
          data,
          sendAt: new Date(start.getTime() + 86_400_000),
        },
      },
      start,
    );
    for (const id of ["first", "second"])
      await change.writeChange(
        db.sqlClient(),
        { emails: { id, to, template: "password-reset", locale: "en", data } },
        start,
      );
    await change.writeChange(
      db.sqlClient(),
      { emails: { to: "other@example.test", template: "password-reset", locale: "en", data } },
      start,
    );
    mail.failNext(1);
    // The first fails; the second must not overtake it; someone else's mail is not held up.
    expect(await outbox.deliverDueEmails(start)).toEqual({ sent: 1, failed: 1 });
    expect(await outbox.deliverDueEmails(start)).toEqual({ sent: 0, failed: 0 });
    const first = await db.prisma.outboxEmail.findUniqueOrThrow({ where: { id: "first" } });
    const later = new Date(first.nextAttemptAt.getTime() + 1);
    // Then both, in order, in one pass.
    expect(await outbox.deliverDueEmails(later)).toEqual({ sent: 2, failed: 0 });
    const ids = mail.messages
      .filter((m) => recipients(m).includes(to))
      .map((m) => m.headers.get("x-outbox-id"));
    expect(ids).toEqual(["first", "second"]);
    expect(await outbox.hasSendableEmails(later)).toBe(false);
  });

  it("an email enqueued in a transaction that rolls back never exists", async () => {
    await expect(
      db.prisma.$transaction(async (tx) => {
        await enqueue(
          { to: "rollback@example.test", template: "password-reset", locale: "en", data },
          tx,
        );
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await db.prisma.outboxEmail.count()).toBe(0);
  });

  it("writes .eml files under data/mail when SMTP_URL is not set", async () => {
    delete process.env.SMTP_URL;
    envModule.resetEnvCache();
    outbox.resetEmailTransport();
    try {
      await enqueue({
        to: "file@example.test",
        template: "invitation",
        locale: "en",
        data: { inviteUrl: "https://x.example/invite/abc", inviterName: "Ada <script>", role: "" },
      });
      expect(await outbox.deliverDueEmails()).toEqual({ sent: 1, failed: 0 });
      const files = fs.readdirSync(path.join(env.dir, "mail"));
      expect(files).toHaveLength(1);
      const parsed = await simpleParser(fs.readFileSync(path.join(env.dir, "mail", files[0]!)));
      expect(recipients(parsed)).toEqual(["file@example.test"]);
      expect(parsed.html).toContain("Ada &lt;script&gt;");
      expect(parsed.html).not.toContain("Ada <script>");
    } finally {
      process.env.SMTP_URL = mail.url;
      envModule.resetEnvCache();
      outbox.resetEmailTransport();
    }
  });
});
