// Issue 2, HTML forms half (all forms but the festival form, which has its own
// file): every field with missing, oversized, script and unicode-edge values.
// Each rejection is a 4xx page with the message next to the field (or as the
// form's error), nothing is written, and nothing the visitor sent is rendered
// as markup.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DECOMPOSED,
  COMPOSED,
  escapeHtml,
  expectEscaped,
  expectFormError,
  IMG,
  MB,
  NUL,
  RTL,
  SCRIPT,
  unchanged,
  ZWJ_EMOJI,
} from "../helpers/bad-input";
import { Client, sendRaw, startTestApp, type HttpResponse, type TestApp } from "../helpers/app";
import {
  createFestivalRow,
  createUserRow,
  PASSWORD,
  signedInClient,
  uniqueEmail,
} from "../helpers/fixtures";
import { randomToken, sha256 } from "~/utils/crypto.server";
import { prisma } from "~/utils/db.server";
import { translator } from "~/utils/i18n";

const t = translator("en");
const ru = translator("ru");

let app: TestApp;
let admin: Awaited<ReturnType<typeof createUserRow>>;
let adminClient: Client;
let festival: Awaited<ReturnType<typeof createFestivalRow>>;

beforeAll(async () => {
  app = await startTestApp();
  admin = await createUserRow({ role: "admin", name: "Admin" });
  adminClient = await signedInClient(app.url, admin.email);
  festival = await createFestivalRow({
    status: "published",
    publishedAt: new Date(),
    createdById: admin.id,
  });
});
afterAll(() => app.close());

type Fields = Record<string, string | string[]>;

/** Post a form as multipart with `fileField` sent as a file instead of text. */
function postWithFile(client: Client, path: string, fields: Fields, fileField: string) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields))
    for (const one of Array.isArray(v) ? v : [v]) form.append(k, one);
  form.append(fileField, new Blob(["<script>alert(1)</script>"], { type: "text/html" }), "x.html");
  return client.request("POST", path, { body: form });
}

const rawPost = (
  path: string,
  body: Buffer | (() => AsyncGenerator<Buffer>),
  headers: Record<string, string>,
) => sendRaw(app.url, "POST", path, body, headers);

/**
 * A thrown 4xx: the error page (HTML) with a title and a message on pages; a
 * JSON {error, message} from resource routes (/set-language has no page).
 */
function expectErrorPage(res: HttpResponse, status: number) {
  expect(res.status, res.text.slice(0, 300)).toBe(status);
  if (res.headers.get("content-type")?.includes("application/json")) {
    expect(res.json()).toMatchObject({
      error: expect.any(String),
      message: expect.stringMatching(/./),
    });
    return;
  }
  expect(res.headers.get("content-type")).toContain("text/html");
  expect(res.text).toMatch(/<section class="error-page"><h([12])>[^<]+<\/h\1><p>[^<]+<\/p>/);
}

describe("/login", () => {
  const missing = t("login.missing");
  const wrong = t("login.invalid");
  it.each([
    ["nothing", {}],
    ["no password", { email: "someone@example.org" }],
    ["no email", { password: PASSWORD }],
    ["empty values", { email: "", password: "" }],
  ] as [string, Fields][])("%s → 400 with a message", async (_label, fields) => {
    const res = await unchanged(() => new Client(app.url).postForm("/login", fields));
    expectFormError(res, 400, null, missing);
  });

  it("the email sent as a file counts as missing (400)", async () => {
    const res = await unchanged(() =>
      postWithFile(new Client(app.url), "/login", { password: PASSWORD }, "email"),
    );
    expectFormError(res, 400, null, missing);
    expectEscaped(res.text, []);
  });

  it.each([
    ["unknown account", uniqueEmail("nobody"), PASSWORD],
    ["script email", SCRIPT, PASSWORD],
    ["img email", IMG, PASSWORD],
    ["NUL in email", `nobody\u0000@example.org`, PASSWORD],
    ["RTL override in email", `nobody\u202e@example.org`, PASSWORD],
    ["1 MB email", MB, PASSWORD],
    ["1 MB password", "nobody@example.org", MB],
  ])("%s → 401 with a message, the email shown back escaped", async (_label, email, password) => {
    const res = await unchanged(() => new Client(app.url).postForm("/login", { email, password }));
    expectFormError(res, 401, null, wrong);
    expectEscaped(res.text, email === SCRIPT ? [SCRIPT] : email === IMG ? [IMG] : []);
  });

  it("answers in the reader's language", async () => {
    const res = await unchanged(() =>
      new Client(app.url).postForm("/login", {}, { "Accept-Language": "ru" }),
    );
    expectFormError(res, 400, null, ru("login.missing"));
  });

  it.each([
    ["javascript:", "javascript:alert(1)", "/admin"],
    ["protocol-relative", "//evil.example/", "/admin"],
    ["backslash", "/\\evil.example", "/admin"],
    ["absolute", "https://evil.example/", "/admin"],
    ["CR LF header injection", "/admin\r\nSet-Cookie: pwned=1", "/admin"],
    ["NUL", "/admin\u0000", "/admin"],
    ["non-Latin-1 text", "/\u0444\u0435\u0441\u0442\u0438\u0432\u0430\u043b\u044c", "/admin"],
    ["1 MB path", `/${MB}`, "/admin"],
    ["a normal path", "/admin/users?x=1", "/admin/users?x=1"],
  ])("redirectTo %s: signs in and stays on this site", async (_label, redirectTo, expected) => {
    const user = await createUserRow();
    const res = await new Client(app.url).postForm("/login", {
      email: user.email,
      password: PASSWORD,
      redirectTo,
    });
    expect(res.status).toBe(302);
    expect(res.location).toBe(expected);
    expect(res.headers.getSetCookie().join("\n")).not.toContain("pwned");
  });
});

describe("/forgot-password", () => {
  const invalid = t("field.emailInvalid");
  it.each([
    ["missing", {}],
    ["empty", { email: "" }],
    ["not an email", { email: "not-an-email" }],
    ["no domain dot", { email: "user@localhost" }],
    ["1 MB", { email: `${MB}@example.org` }],
    ["script", { email: SCRIPT }],
    ["img", { email: IMG }],
    ["NUL", { email: "a\u0000@example.org" }],
    ["RTL override", { email: "a\u202e@example.org" }],
    ["two addresses", { email: "a@example.org, b@example.org" }],
  ] as [string, Fields][])(
    "%s → 400 with the message next to the field",
    async (_label, fields) => {
      const res = await unchanged(() => new Client(app.url).postForm("/forgot-password", fields));
      expectFormError(res, 400, "email", invalid);
      expectEscaped(res.text, []);
    },
  );

  it("an email sent as a file → 400", async () => {
    const res = await unchanged(() =>
      postWithFile(new Client(app.url), "/forgot-password", {}, "email"),
    );
    expectFormError(res, 400, "email", invalid);
  });

  it("a valid address in odd case and spaces is normalised (and answered the same whether it exists)", async () => {
    const res = await new Client(app.url).postForm("/forgot-password", {
      email: `  ${admin.email.toUpperCase()}  `,
    });
    expect(res.status).toBe(302);
    expect(res.location).toBe("/forgot-password?sent=1");
    expect(await prisma.outboxEmail.count({ where: { to: admin.email } })).toBe(1);
  });
});

describe("/reset-password/:token", () => {
  const valid = { password: "a new long password" };
  let path: string;
  beforeAll(async () => {
    const user = await createUserRow();
    const token = randomToken(32);
    await prisma.passwordReset.create({
      data: {
        userId: user.id,
        tokenHash: sha256(token),
        expiresAt: new Date(Date.now() + 600_000),
      },
    });
    path = `/reset-password/${token}`;
  });

  it.each([
    ["missing", {}, t("v.password")],
    ["too short", { password: "short" }, t("v.minLength", { n: 10 })],
    ["1 MB", { password: MB }, t("v.maxLength", { n: 200 })],
  ] as [string, Fields, string][])(
    "password: %s → 400 next to the field",
    async (_l, f, message) => {
      const res = await unchanged(() => new Client(app.url).postForm(path, f));
      expectFormError(res, 400, "password", message);
      expectEscaped(res.text, []);
    },
  );

  it.each([
    ["unknown", `/reset-password/${randomToken(32)}`],
    ["too short", "/reset-password/abc"],
    ["markup", `/reset-password/${encodeURIComponent(SCRIPT)}`],
    ["1 kB", `/reset-password/${"a".repeat(1000)}`],
  ])(
    "a %s token: the page says the link is dead (404), a submission → 400, nothing changes",
    async (_l, bad) => {
      const page = await new Client(app.url).get(bad);
      expectFormError(page, 404, null, t("reset.badLink"));
      expect(page.text).not.toContain('name="password"');
      const res = await unchanged(() => new Client(app.url).postForm(bad, valid));
      expectFormError(res, 400, null, t("reset.badLink"));
    },
  );

  it("answers in the reader's language", async () => {
    const res = await unchanged(() =>
      new Client(app.url).postForm(path, { password: "x" }, { "Accept-Language": "ru" }),
    );
    expectFormError(res, 400, "password", ru("v.minLength", { n: 10 }));
  });
});

describe("/invite/:token", () => {
  let token: string;
  let email: string;
  beforeAll(async () => {
    token = randomToken(32);
    email = uniqueEmail("invitee");
    await prisma.invitation.create({
      data: {
        email,
        role: "member",
        festivalId: festival.id,
        festivalRole: "door",
        tokenHash: sha256(token),
        invitedById: admin.id,
        expiresAt: new Date(Date.now() + 86_400_000),
      },
    });
  });

  it.each([
    ["password: missing", {}, "password", t("v.password")],
    ["password: too short", { password: "short" }, "password", t("v.minLength", { n: 10 })],
    ["password: 1 MB", { password: MB }, "password", t("v.maxLength", { n: 200 })],
    ["name: 1 MB", { name: MB, password: PASSWORD }, "name", t("v.maxLength", { n: 120 })],
    [
      "name: 121 characters",
      { name: "n".repeat(121), password: PASSWORD },
      "name",
      t("v.maxLength", { n: 120 }),
    ],
    ["name: NUL", { name: NUL, password: PASSWORD }, "name", t("v.controlChars")],
    ["name: RTL override", { name: RTL, password: PASSWORD }, "name", t("v.controlChars")],
    ["name: a tab", { name: "Ann\tLee", password: PASSWORD }, "name", t("v.controlChars")],
  ] as [string, Fields, string, string][])(
    "%s → 400 next to the field",
    async (_label, fields, field, message) => {
      const res = await unchanged(() => new Client(app.url).postForm(`/invite/${token}`, fields));
      expectFormError(res, 400, field, message);
    },
  );

  it("the password sent as a file counts as missing", async () => {
    const res = await unchanged(() =>
      postWithFile(new Client(app.url), `/invite/${token}`, { name: "Ann" }, "password"),
    );
    expectFormError(res, 400, "password", t("v.password"));
  });

  it("answers field errors in the reader's language", async () => {
    const res = await unchanged(() =>
      new Client(app.url).postForm(
        `/invite/${token}`,
        { password: "x" },
        { "Accept-Language": "ru" },
      ),
    );
    expectFormError(res, 400, "password", ru("v.minLength", { n: 10 }));
  });

  it.each([
    ["unknown token", "a".repeat(43)],
    ["script token", encodeURIComponent(SCRIPT)],
    ["over-long token", "b".repeat(5000)],
  ])("%s → 404 page", async (_label, bad) => {
    const res = await unchanged(() =>
      new Client(app.url).postForm(`/invite/${bad}`, { name: "Ann", password: PASSWORD }),
    );
    expectErrorPage(res, 404);
  });

  it("a script-like name is accepted as text and shown escaped everywhere it appears", async () => {
    const name = `${SCRIPT}${IMG}`;
    const client = new Client(app.url);
    const res = await client.postForm(`/invite/${token}`, { name, password: PASSWORD });
    expect(res.status).toBe(302);
    expect((await prisma.user.findUniqueOrThrow({ where: { email } })).name).toBe(name);
    for (const page of ["/admin", "/account"]) expectEscaped((await client.get(page)).text, [name]);
    expectEscaped((await adminClient.get(`/admin/festivals/${festival.id}/team`)).text, [name]);
    expectEscaped((await adminClient.get("/admin/users")).text, [name]);
  });
});

describe("/set-language", () => {
  it.each([
    ["missing", {}],
    ["unknown", { lang: "xx" }],
    ["upper case", { lang: "EN" }],
    ["script", { lang: SCRIPT }],
    ["1 MB", { lang: MB }],
    ["NUL", { lang: "en\u0000" }],
  ] as [string, Fields][])("lang %s → 400 with a message", async (_label, fields) => {
    const res = await unchanged(() => new Client(app.url).postForm("/set-language", fields));
    expectErrorPage(res, 400);
    expectEscaped(res.text, []);
  });

  it.each([
    ["javascript:", "javascript:alert(1)", "/"],
    ["protocol-relative", "//evil.example", "/"],
    ["backslash", "/\\evil.example", "/"],
    ["CR LF header injection", "/\r\nSet-Cookie: pwned=1", "/"],
    ["NUL", "/\u0000", "/"],
    ["euro sign", "/\u20ac", "/"],
    ["1 MB path", `/${MB}`, "/"],
    ["a normal path", "/festivals/x?y=1", "/festivals/x?y=1"],
  ])("redirectTo %s → stays on this site", async (_label, redirectTo, expected) => {
    const res = await new Client(app.url).postForm("/set-language", { lang: "ru", redirectTo });
    expect(res.status).toBe(302);
    expect(res.location).toBe(expected);
    expect(res.headers.getSetCookie().join("\n")).not.toContain("pwned");
  });
});

describe("/account", () => {
  let user: Awaited<ReturnType<typeof createUserRow>>;
  let client: Client;
  beforeAll(async () => {
    user = await createUserRow({ name: "Member" });
    client = await signedInClient(app.url, user.email);
  });

  it.each([
    ["name: 1 MB", { intent: "profile", name: MB }, "name", t("v.maxLength", { n: 120 })],
    [
      "name: 121 characters",
      { intent: "profile", name: "\u00e9".repeat(121) },
      "name",
      t("v.maxLength", { n: 120 }),
    ],
    ["name: NUL", { intent: "profile", name: NUL }, "name", t("v.controlChars")],
    ["name: RTL override", { intent: "profile", name: RTL }, "name", t("v.controlChars")],
    ["name: newline", { intent: "profile", name: "Ann\r\nLee" }, "name", t("v.controlChars")],
    [
      "current password: missing",
      { intent: "password", password: "a new long password" },
      "currentPassword",
      t("v.password"),
    ],
    [
      "current password: 1 MB",
      { intent: "password", currentPassword: MB, password: "a new long password" },
      "currentPassword",
      t("v.maxLength", { n: 200 }),
    ],
    [
      "new password: missing",
      { intent: "password", currentPassword: PASSWORD },
      "password",
      t("v.password"),
    ],
    [
      "new password: too short",
      { intent: "password", currentPassword: PASSWORD, password: "short" },
      "password",
      t("v.minLength", { n: 10 }),
    ],
    [
      "new password: 1 MB",
      { intent: "password", currentPassword: PASSWORD, password: MB },
      "password",
      t("v.maxLength", { n: 200 }),
    ],
    [
      "current password: wrong",
      { intent: "password", currentPassword: "not the password", password: "a new long password" },
      "currentPassword",
      t("account.wrongPassword"),
    ],
  ] as [string, Fields, string, string][])(
    "%s → 400 next to the field",
    async (_label, fields, field, message) => {
      const res = await unchanged(() => client.postForm("/account", fields));
      expectFormError(res, 400, field, message);
      const row = await prisma.user.findUniqueOrThrow({ where: { id: user.id } });
      expect([row.name, row.passwordHash]).toEqual([user.name, user.passwordHash]);
    },
  );

  it.each([
    ["missing", {}],
    ["unknown", { intent: "delete" }],
    ["script", { intent: SCRIPT }],
  ] as [string, Fields][])("intent %s → 400 page", async (_label, fields) => {
    const res = await unchanged(() => client.postForm("/account", fields));
    expectErrorPage(res, 400);
  });

  it("accepts a name with emoji and combining marks, NFC-normalised; a script-like name is shown escaped", async () => {
    expect(
      (await client.postForm("/account", { intent: "profile", name: `${DECOMPOSED} ${ZWJ_EMOJI}` }))
        .status,
    ).toBe(200);
    expect((await prisma.user.findUniqueOrThrow({ where: { id: user.id } })).name).toBe(
      `${COMPOSED} ${ZWJ_EMOJI}`,
    );
    const res = await client.postForm("/account", { intent: "profile", name: `${SCRIPT}${IMG}` });
    expect(res.status).toBe(200);
    expectEscaped(res.text, [`${SCRIPT}${IMG}`]);
  });
});

describe("/admin/users (admin form)", () => {
  const valid = () => ({ email: uniqueEmail("invited"), name: "Invited", role: "member" });
  it.each([
    ["email: missing", { email: [] }, "email", t("v.email")],
    ["email: invalid", { email: "nope@" }, "email", t("v.email")],
    ["email: 1 MB", { email: `${MB}@example.org` }, "email", t("v.maxLength", { n: 254 })],
    ["email: script", { email: SCRIPT }, "email", t("v.email")],
    ["email: img", { email: IMG }, "email", t("v.email")],
    ["email: NUL", { email: "a\u0000@example.org" }, "email", t("v.email")],
    ["name: 1 MB", { name: MB }, "name", t("v.maxLength", { n: 120 })],
    ["name: NUL", { name: NUL }, "name", t("v.controlChars")],
    ["name: RTL override", { name: RTL }, "name", t("v.controlChars")],
    ["role: missing", { role: [] }, "role", t("v.globalRole")],
    ["role: unknown", { role: "superadmin" }, "role", t("v.globalRole")],
    ["role: script", { role: SCRIPT }, "role", t("v.globalRole")],
    ["role: 1 MB", { role: MB }, "role", t("v.globalRole")],
  ] as [string, Fields, string, string][])(
    "%s → 400 next to the field",
    async (_label, patch, field, message) => {
      const res = await unchanged(() =>
        adminClient.postForm("/admin/users", { ...valid(), ...patch }),
      );
      expectFormError(res, 400, field, message);
      expectEscaped(res.text, []);
    },
  );

  it("an existing email in another case → 409 next to the field", async () => {
    const res = await unchanged(() =>
      adminClient.postForm("/admin/users", { ...valid(), email: admin.email.toUpperCase() }),
    );
    expectFormError(res, 409, "email", t("users.emailTaken"));
  });

  it("answers in the reader's language", async () => {
    const res = await unchanged(() =>
      adminClient.postForm("/admin/users", { ...valid(), role: "x" }, { "Accept-Language": "ru" }),
    );
    expectFormError(res, 400, "role", ru("v.globalRole"));
  });
});

describe("/admin/festivals/:id/team", () => {
  const path = () => `/admin/festivals/${festival.id}/team`;
  it.each([
    ["email: missing", { intent: "add", role: "door" }, "email", t("v.email")],
    ["email: invalid", { intent: "add", email: "door@", role: "door" }, "email", t("v.email")],
    [
      "email: 1 MB",
      { intent: "add", email: MB, role: "door" },
      "email",
      t("v.maxLength", { n: 254 }),
    ],
    ["email: script", { intent: "add", email: SCRIPT, role: "door" }, "email", t("v.email")],
    [
      "email: RTL override",
      { intent: "add", email: "d\u202e@example.org", role: "door" },
      "email",
      t("v.email"),
    ],
    ["role: missing", { intent: "add", email: "door@example.org" }, "role", t("v.festivalRole")],
    [
      "role: a global role",
      { intent: "add", email: "door@example.org", role: "admin" },
      "role",
      t("v.festivalRole"),
    ],
    [
      "role: script",
      { intent: "add", email: "door@example.org", role: SCRIPT },
      "role",
      t("v.festivalRole"),
    ],
  ] as [string, Fields, string, string][])(
    "add, %s → 400 next to the field",
    async (_label, fields, field, message) => {
      const res = await unchanged(() => adminClient.postForm(path(), fields), festival.id);
      expectFormError(res, 400, field, message);
      expectEscaped(res.text, []);
    },
  );

  it("removing yourself → 400 with a message", async () => {
    await prisma.festivalMember.upsert({
      where: { festivalId_userId: { festivalId: festival.id, userId: admin.id } },
      create: { festivalId: festival.id, userId: admin.id, role: "organiser" },
      update: {},
    });
    const res = await unchanged(
      () => adminClient.postForm(path(), { intent: "remove", userId: admin.id, confirm: "yes" }),
      festival.id,
    );
    expectFormError(res, 400, null, t("team.cannotRemoveSelf"));
  });

  it.each([
    ["unknown user", "nobody"],
    ["1 MB user id", MB],
    ["script user id", SCRIPT],
    ["missing user id", ""],
  ])("remove, %s: nothing removed, no error page", async (_label, userId) => {
    const res = await unchanged(
      () => adminClient.postForm(path(), { intent: "remove", userId, confirm: "yes" }),
      festival.id,
    );
    expect(res.status).toBe(200);
    expectEscaped(res.text, []);
  });

  it.each([
    ["missing", {}],
    ["unknown", { intent: "promote" }],
  ] as [string, Fields][])("intent %s → 400 page", async (_label, fields) => {
    expectErrorPage(await unchanged(() => adminClient.postForm(path(), fields), festival.id), 400);
  });
});

describe("/admin/festivals/:id/programme", () => {
  const path = () => `/admin/festivals/${festival.id}/programme`;
  const valid = {
    intent: "add",
    title: "Talk",
    person: "Speaker",
    kind: "talk",
    startsAt: "2030-01-26T16:00",
    endsAt: "2030-01-26T17:00",
  };
  it.each([
    ["title: missing", { title: [] }, "title", t("v.text")],
    ["title: empty", { title: "" }, "title", t("v.required")],
    ["title: spaces", { title: "   " }, "title", t("v.required")],
    ["title: 1 MB", { title: MB }, "title", t("v.maxLength", { n: 200 })],
    ["title: 201 characters", { title: "t".repeat(201) }, "title", t("v.maxLength", { n: 200 })],
    ["title: NUL", { title: NUL }, "title", t("v.controlChars")],
    ["title: RTL override", { title: RTL }, "title", t("v.controlChars")],
    ["title: newline", { title: "a\nb" }, "title", t("v.controlChars")],
    ["person: 1 MB", { person: MB }, "person", t("v.maxLength", { n: 200 })],
    ["person: NUL", { person: NUL }, "person", t("v.controlChars")],
    ["person: RTL override", { person: RTL }, "person", t("v.controlChars")],
    ["kind: missing", { kind: [] }, "kind", t("v.programmeKind")],
    ["kind: unknown", { kind: "concert" }, "kind", t("v.programmeKind")],
    ["kind: script", { kind: SCRIPT }, "kind", t("v.programmeKind")],
    ["startsAt: missing", { startsAt: [] }, "startsAt", t("v.dateTime")],
    ["startsAt: empty", { startsAt: "" }, "startsAt", t("v.dateTime")],
    ["startsAt: 30 February", { startsAt: "2030-02-30T16:00" }, "startsAt", t("v.dateTime")],
    ["startsAt: hour 24:30", { startsAt: "2030-01-26T24:30" }, "startsAt", t("v.dateTime")],
    ["startsAt: words", { startsAt: "after lunch" }, "startsAt", t("v.dateTime")],
    ["startsAt: 1 MB", { startsAt: MB }, "startsAt", t("v.dateTime")],
    ["startsAt: script", { startsAt: SCRIPT }, "startsAt", t("v.dateTime")],
    ["endsAt: before the start", { endsAt: "2030-01-26T15:00" }, "endsAt", t("v.endBeforeStart")],
    ["endsAt: equal to the start", { endsAt: "2030-01-26T16:00" }, "endsAt", t("v.endBeforeStart")],
    ["endsAt: invalid", { endsAt: "2030-01-26T99:00" }, "endsAt", t("v.dateTime")],
    ["endsAt: 1 MB", { endsAt: MB }, "endsAt", t("v.dateTime")],
  ] as [string, Fields, string, string][])(
    "add, %s → 400 next to the field",
    async (_label, patch, field, message) => {
      const res = await unchanged(
        () => adminClient.postForm(path(), { ...valid, ...patch }),
        festival.id,
      );
      expectFormError(res, 400, field, message);
      expectEscaped(res.text, []);
    },
  );

  it("answers in the reader's language", async () => {
    const res = await unchanged(
      () => adminClient.postForm(path(), { ...valid, kind: "x" }, { "Accept-Language": "ru" }),
      festival.id,
    );
    expectFormError(res, 400, "kind", ru("v.programmeKind"));
  });

  it.each([
    ["unknown item", "nope"],
    ["1 MB item id", MB],
    ["script item id", SCRIPT],
    ["another festival's item", "OTHER"],
  ])("remove, %s: nothing removed", async (_label, itemId) => {
    const other = await createFestivalRow();
    const item = await prisma.programmeItem.create({
      data: {
        festivalId: other.id,
        title: "Other",
        kind: "talk",
        startsAt: new Date("2030-01-26T14:00:00Z"),
      },
    });
    const res = await unchanged(
      () =>
        adminClient.postForm(path(), {
          intent: "remove",
          itemId: itemId === "OTHER" ? item.id : itemId,
        }),
      festival.id,
    );
    expect(res.status).toBe(200);
    expect(await prisma.programmeItem.count({ where: { id: item.id } })).toBe(1);
  });

  it.each([
    ["missing", {}],
    ["unknown", { intent: "reorder" }],
  ] as [string, Fields][])("intent %s → 400 page", async (_label, fields) => {
    expectErrorPage(await unchanged(() => adminClient.postForm(path(), fields), festival.id), 400);
  });

  it("a cancelled festival's programme cannot change (409, said on the page)", async () => {
    const cancelled = await createFestivalRow({ status: "cancelled", cancelledAt: new Date() });
    const res = await unchanged(
      () => adminClient.postForm(`/admin/festivals/${cancelled.id}/programme`, valid),
      cancelled.id,
    );
    expectFormError(res, 409, null, t("festivalAdmin.cancelledReadOnly"));
  });

  it("script-like titles and names are stored as text and escaped on the admin and public pages", async () => {
    const res = await adminClient.postForm(path(), {
      ...valid,
      title: `${SCRIPT} ${DECOMPOSED}`,
      person: IMG,
    });
    expect(res.status).toBe(200);
    const item = await prisma.programmeItem.findFirstOrThrow({
      where: { festivalId: festival.id, person: IMG },
    });
    expect(item.title).toBe(`${SCRIPT} ${COMPOSED}`);
    expectEscaped((await adminClient.get(path())).text);
    expectEscaped((await new Client(app.url).get(`/festivals/${festival.slug}`)).text);
  });
});

describe("form bodies that are not forms", () => {
  const targets = ["/login", "/forgot-password", "/reset-password/x", "/set-language"];
  it.each(targets)("%s: a JSON body → 400 page", async (path) => {
    const res = await unchanged(() =>
      new Client(app.url).request("POST", path, {
        body: '{"email":"a@example.org"}',
        headers: { "Content-Type": "application/json" },
      }),
    );
    expectErrorPage(res, 400);
  });

  it.each(targets)("%s: a 3 MB form → 413", async (path) => {
    const body = Buffer.from(`email=${"a".repeat(3 * 1024 * 1024)}`);
    const res = await unchanged(() =>
      rawPost(path, body, {
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Length": String(body.length),
      }),
    );
    expect(res.status).toBe(413);
    expect(res.text.length).toBeGreaterThan(0);
  });

  it.each(targets)("%s: a 10 MB form → 413", async (path) => {
    const body = Buffer.alloc(10 * 1024 * 1024, "a");
    const res = await unchanged(() =>
      rawPost(path, body, {
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Length": String(body.length),
      }),
    );
    expect(res.status).toBe(413);
    expect(JSON.parse(res.text)).toMatchObject({
      error: "payload_too_large",
      message: expect.any(String),
    });
  });

  it.each(targets)("%s: a 3 MB chunked form (no Content-Length) → 413", async (path) => {
    async function* chunks() {
      yield Buffer.from("email=");
      for (let i = 0; i < 48; i++) yield Buffer.alloc(64 * 1024, "a");
    }
    const res = await unchanged(() =>
      rawPost(path, chunks, { "Content-Type": "application/x-www-form-urlencoded" }),
    );
    expect(res.status).toBe(413);
    expect(res.text.length).toBeGreaterThan(0);
  });

  it("the connection stays usable after a refused body", async () => {
    const client = new Client(app.url);
    for (let i = 0; i < 3; i++) {
      const big = await client.postForm("/login", { email: "a".repeat(3 * 1024 * 1024) });
      expect(big.status).toBe(413);
      const small = await client.postForm("/login", {});
      expect(small.status).toBe(400);
    }
  });

  it("the escaped form of the payloads is what the helper looks for", () => {
    expect(escapeHtml(IMG)).toBe("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
  });
});
