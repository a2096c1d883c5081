// Password reset by emailed link, as a browser without JavaScript does it: the
// forms are read from the pages and submitted as they are. No email address in
// any URL of the flow (issue 8, item 8).
import type { ParsedMail } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "~/utils/db.server";
import { Client, requestPasswordResetLink, startTestApp, type TestApp } from "../helpers/app";
import { apiToken, createUserRow, signedInClient, uniqueEmail } from "../helpers/fixtures";
import { recipients } from "../helpers/smtp";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const NEW_PASSWORD = "a brand new password";

function decode(value: string) {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

function attribute(tag: string, name: string) {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? decode(m[1]!) : undefined;
}

/** Every URL a page points at (links, form targets, scripts, images). */
function urlsIn(html: string) {
  return [...html.matchAll(/\s(?:href|action|src|formaction)="([^"]*)"/g)].map((m) =>
    decode(m[1]!),
  );
}

type HtmlForm = { action?: string; inputs: { name: string; type: string; value: string }[] };

/** The page's POST forms with their inputs. */
function postForms(html: string): HtmlForm[] {
  return [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)]
    .filter((m) => /method="post"/i.test(m[1]!))
    .map((m) => ({
      action: attribute(m[1]!, "action"),
      inputs: [...m[2]!.matchAll(/<input\b[^>]*>/g)].map((i) => ({
        name: attribute(i[0], "name") ?? "",
        type: attribute(i[0], "type") ?? "text",
        value: attribute(i[0], "value") ?? "",
      })),
    }));
}

/** Fill a form like a person: the given values by field name, the rest as the page set them. */
function fill(form: HtmlForm, values: Record<string, string>): [string, string][] {
  return form.inputs
    .filter((i) => i.name)
    .map((i) => [i.name, values[i.name] ?? i.value] as [string, string]);
}

function linksIn(mail: ParsedMail) {
  const text = `${mail.text ?? ""}\n${typeof mail.html === "string" ? mail.html : ""}`;
  return [...text.matchAll(/https?:\/\/[^\s"'<>]+/g)].map((m) => m[0]);
}

/** Path and query of a URL the server gave (absolute or not). */
function local(url: string) {
  const u = new URL(url, app.url);
  return u.pathname + u.search;
}

describe("password reset", () => {
  it("goes from the request to a new password with no email address in any URL, Location or emailed link", async () => {
    const user = await createUserRow();
    const client = new Client(app.url);
    const seen: string[] = ["/forgot-password"];

    const start = await client.get("/forgot-password");
    expect(start.status).toBe(200);
    seen.push(...urlsIn(start.text));
    const requestForm = postForms(start.text).find((f) =>
      f.inputs.some((i) => i.name === "email"),
    )!;
    const requested = await client.postForm(
      requestForm.action ?? "/forgot-password",
      fill(requestForm, { email: user.email }),
    );
    expect(requested.status).toBe(302);
    seen.push(requested.location!);
    const sent = await client.get(local(requested.location!));
    expect(sent.status).toBe(200);
    seen.push(...urlsIn(sent.text));

    const mail = await app.mail.waitFor((m) => recipients(m).includes(user.email));
    const links = linksIn(mail);
    seen.push(...links);
    const resetLink = links.find((l) => l.includes("/reset-password"));
    expect(resetLink).toBeDefined();
    const code = /\b(\d{6})\b/.exec(mail.text ?? "")?.[1] ?? "";

    const resetPage = await client.get(local(resetLink!));
    expect(resetPage.status).toBe(200);
    seen.push(...urlsIn(resetPage.text));
    const resetForm = postForms(resetPage.text).find((f) =>
      f.inputs.some((i) => i.name === "password"),
    )!;
    const done = await client.postForm(
      resetForm.action ?? local(resetLink!),
      fill(resetForm, { email: user.email, code, password: NEW_PASSWORD }),
    );
    expect(done.status, done.text.slice(0, 300)).toBe(302);
    seen.push(done.location!);
    const login = await client.get(local(done.location!));
    seen.push(...urlsIn(login.text));
    await signedInClient(app.url, user.email, NEW_PASSWORD);

    const forms = [user.email, encodeURIComponent(user.email), user.email.split("@")[0]!];
    for (const url of seen)
      for (const form of forms) expect(url.toLowerCase(), url).not.toContain(form.toLowerCase());
  });

  /** Ask for a link through the form; the path of the link in the newest email. */
  const requestLink = (email: string) => requestPasswordResetLink(app, email);

  it("resets once with the link, ends other sessions and tokens, and the link cannot be reused", async () => {
    const user = await createUserRow();
    const other = await signedInClient(app.url, user.email);
    const token = await apiToken(app.url, user.email);
    const { path, mail } = await requestLink(user.email);
    expect(mail.html).toContain(path);
    expect(mail.text).toContain("30 minutes");
    const client = new Client(app.url);
    const res = await client.postForm(path, { password: NEW_PASSWORD });
    expect(res.status).toBe(302);
    expect(res.location).toBe("/login?reset=1");
    // Old session and API token are gone; the new password works, the old does not.
    expect((await other.get("/admin")).status).toBe(302);
    expect((await client.api("GET", `/api/v1/festivals/x`, undefined, token)).status).toBe(401);
    await signedInClient(app.url, user.email, NEW_PASSWORD);
    await expect(signedInClient(app.url, user.email)).rejects.toThrow();
    expect((await client.get(path)).status).toBe(404);
    const again = await client.postForm(path, { password: "yet another password" });
    expect(again.status).toBe(400);
    expect(again.text).toContain("wrong, used or expired");
  });

  it("refuses an expired link", async () => {
    const user = await createUserRow();
    const { path } = await requestLink(user.email);
    await prisma.passwordReset.updateMany({
      where: { userId: user.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    expect((await new Client(app.url).get(path)).status).toBe(404);
    const res = await new Client(app.url).postForm(path, { password: NEW_PASSWORD });
    expect(res.status).toBe(400);
    const fresh = await prisma.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(fresh.passwordHash).toBe(user.passwordHash);
  });

  it("a later request does not spoil an earlier link; using one ends them all", async () => {
    const user = await createUserRow();
    const first = await requestLink(user.email);
    const second = await requestLink(user.email);
    expect(first.path).not.toBe(second.path);
    expect((await new Client(app.url).get(first.path)).status).toBe(200);
    const res = await new Client(app.url).postForm(first.path, { password: NEW_PASSWORD });
    expect(res.status).toBe(302);
    expect((await new Client(app.url).get(second.path)).status).toBe(404);
  });

  it("answers the same for unknown addresses and sends nothing", async () => {
    const email = uniqueEmail("ghost");
    const before = app.mail.messages.length;
    const res = await new Client(app.url).postForm("/forgot-password", { email });
    expect(res.status).toBe(302);
    expect(res.location).toBe("/forgot-password?sent=1");
    await new Promise((r) => setTimeout(r, 300));
    expect(app.mail.messages.length).toBe(before);
    expect(await prisma.outboxEmail.count({ where: { to: email } })).toBe(0);
  });

  it("refuses an address asking again and again for one account (429 with Retry-After), and sends at most 5 emails per account", async () => {
    const user = await createUserRow();
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++)
      statuses.push(
        (await new Client(app.url).postForm("/forgot-password", { email: user.email })).status,
      );
    expect(statuses).toEqual([302, 302, 302, 302, 302, 429, 429]);
    // From elsewhere the answer is as always, but no sixth email goes out.
    const elsewhere = new Client(app.url, { "X-Forwarded-For": "198.51.100.23" });
    const res = await elsewhere.postForm("/forgot-password", { email: user.email });
    expect(res.status).toBe(302);
    expect(res.location).toBe("/forgot-password?sent=1");
    expect(await prisma.outboxEmail.count({ where: { to: user.email } })).toBe(5);
  });
});
