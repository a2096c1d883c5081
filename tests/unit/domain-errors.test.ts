// Domain errors and their two translations: `errorResponseOf` (the API's
// `api()` and every route's uncaught errors, via `withDomainErrors`) and
// `formFailure` (a page's form). Statuses, codes, messages and headers are the
// ones the API documents.
import type { ServerBuild } from "@remix-run/node";
import { describe, expect, it } from "vitest";
import { FestivalCancelledError, FestivalStateError } from "~/models/festival.server";
import { IdempotencyError, SoldOutError } from "~/models/order.server";
import {
  ConflictError,
  ProtectedMemberError,
  SelfActionError,
  SignInToAcceptError,
} from "~/models/user.server";
import { api } from "~/utils/api.server";
import { DomainError, FieldRulesError } from "~/utils/domain-error";
import { cancelledReadOnly, formFailure, rateLimitedMessage } from "~/utils/forms.server";
import { errorResponseOf, withDomainErrors } from "~/utils/http.server";
import { translator } from "~/utils/i18n";
import { RateLimitedError } from "~/utils/rate-limit.server";

async function answer(response: Response) {
  return {
    status: response.status,
    body: (await response.json()) as unknown,
    retryAfter: response.headers.get("Retry-After"),
    authenticate: response.headers.get("WWW-Authenticate"),
  };
}

const plain = { retryAfter: null, authenticate: null };

/** Each domain error with the answer the API gives it (pinned by the HTTP tests too). */
const CASES: [string, DomainError, Awaited<ReturnType<typeof answer>>][] = [
  [
    "sold out",
    new SoldOutError(),
    {
      status: 409,
      body: { error: "sold_out", message: "Not enough places are left for this order." },
      ...plain,
    },
  ],
  [
    "idempotency key reused",
    new IdempotencyError(422, "idempotency_key_reused", "Used for another request."),
    {
      status: 422,
      body: { error: "idempotency_key_reused", message: "Used for another request." },
      ...plain,
    },
  ],
  [
    "idempotency in progress",
    new IdempotencyError(409, "idempotency_in_progress", "Still placing."),
    {
      status: 409,
      body: { error: "idempotency_in_progress", message: "Still placing." },
      retryAfter: "1",
      authenticate: null,
    },
  ],
  [
    "broken field rules, in English",
    new FieldRulesError({ "items.0.quantity": "v.quantity", email: "no.such.key" }),
    {
      status: 422,
      body: {
        error: "validation_failed",
        message: "Some fields are missing or invalid.",
        fields: {
          "items.0.quantity": translator("en")("v.quantity"),
          email: translator("en")("v.invalid"),
        },
      },
      ...plain,
    },
  ],
  [
    "festival state",
    new FestivalStateError("invalid_state", "Cannot publish."),
    { status: 409, body: { error: "invalid_state", message: "Cannot publish." }, ...plain },
  ],
  [
    "cancelled festival",
    new FestivalCancelledError(),
    {
      status: 409,
      body: { error: "invalid_state", message: "A cancelled festival cannot be changed." },
      ...plain,
    },
  ],
  [
    "conflict",
    new ConflictError("email_taken", "An account with this email already exists."),
    {
      status: 409,
      body: { error: "email_taken", message: "An account with this email already exists." },
      ...plain,
    },
  ],
  [
    "protected member",
    new ProtectedMemberError(),
    {
      status: 403,
      body: {
        error: "protected_member",
        message:
          "The festival's creator and administrators keep their role: only an administrator can change it.",
      },
      ...plain,
    },
  ],
  [
    "rate limited",
    new RateLimitedError(7),
    {
      status: 429,
      body: { error: "rate_limited", message: "Too many requests; try again in 7 s." },
      retryAfter: "7",
      authenticate: null,
    },
  ],
  [
    "not found",
    DomainError.notFound("No such order."),
    { status: 404, body: { error: "not_found", message: "No such order." }, ...plain },
  ],
  [
    "forbidden",
    DomainError.forbidden("This invitation is for another address."),
    {
      status: 403,
      body: { error: "forbidden", message: "This invitation is for another address." },
      ...plain,
    },
  ],
  [
    "unauthorized",
    DomainError.unauthorized("A door device token is required."),
    {
      status: 401,
      body: { error: "unauthorized", message: "A door device token is required." },
      retryAfter: null,
      authenticate: "Bearer",
    },
  ],
  [
    "payment unavailable",
    new DomainError(503, "payment_unavailable", "Try later.", { headers: { "Retry-After": "30" } }),
    {
      status: 503,
      body: { error: "payment_unavailable", message: "Try later." },
      retryAfter: "30",
      authenticate: null,
    },
  ],
];

describe("errorResponseOf and api()", () => {
  it.each(CASES)("%s", async (_name, error, expected) => {
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toBeInstanceOf(Error);
    expect(await answer(errorResponseOf(error))).toEqual(expected);
    expect(
      await answer(
        await api(() => {
          throw error;
        }),
      ),
    ).toEqual(expected);
  });

  it("api() still answers anything else with a 500 that tells nothing", async () => {
    const quiet = console.error;
    console.error = () => undefined;
    try {
      const res = await api(() => Promise.reject(new Error("secret detail")));
      expect(await answer(res)).toEqual({
        status: 500,
        body: { error: "internal_error", message: "Something went wrong on our side." },
        ...plain,
      });
    } finally {
      console.error = quiet;
    }
  });
});

describe("formFailure", () => {
  const ru = translator("ru");

  it("shows broken rules in the reader's language, with the page's status for fields", () => {
    const error = new FieldRulesError({ capacity: "v.required" });
    expect(formFailure(error, ru)).toEqual({
      status: 422,
      errors: { capacity: ru("v.required") },
    });
    expect(formFailure(error, ru, {}, { fieldStatus: 400 }).status).toBe(400);
  });

  it("says the page's message for an error's code, as the form's or a field's", () => {
    expect(formFailure(new SoldOutError(), ru, { sold_out: "нет мест" })).toEqual({
      status: 409,
      errors: { _form: "нет мест" },
    });
    expect(
      formFailure(new ConflictError("email_taken", "taken"), ru, {
        email_taken: { email: "занято" },
      }),
    ).toEqual({ status: 409, errors: { email: "занято" } });
  });

  it("lets a page choose by the error itself, and keeps the error's headers", () => {
    expect(formFailure(new FestivalCancelledError(), ru, cancelledReadOnly(ru))).toEqual({
      status: 409,
      errors: { _form: ru("festivalAdmin.cancelledReadOnly") },
    });
    // The same code from another state error is not the cancelled festival's message.
    expect(() =>
      formFailure(new FestivalStateError("invalid_state", "x"), ru, cancelledReadOnly(ru)),
    ).toThrow(FestivalStateError);
    expect(formFailure(new RateLimitedError(9), ru, rateLimitedMessage(ru))).toEqual({
      status: 429,
      errors: { _form: ru("login.rateLimited", { seconds: 9 }) },
      headers: { "Retry-After": "9" },
    });
    const signIn = new SignInToAcceptError("a@example.test");
    expect(
      formFailure(signIn, ru, (e) => (e instanceof SignInToAcceptError ? e.email : undefined)),
    ).toEqual({ status: 403, errors: { _form: "a@example.test" } });
    expect(formFailure(new SelfActionError(), ru, { self_action: "сам" }).status).toBe(400);
  });

  it("throws again what the form has nothing to say about", () => {
    const notFound = DomainError.notFound();
    expect(() => formFailure(notFound, ru, { sold_out: "x" })).toThrow(notFound);
    const bug = new Error("bug");
    expect(() => formFailure(bug, ru, () => "never")).toThrow(bug);
    const response = new Response("x", { status: 404 });
    expect(() => formFailure(response, ru)).toThrow();
  });
});

describe("withDomainErrors", () => {
  const build = (module: Record<string, unknown>) =>
    ({
      routes: { r: { id: "r", path: "x", module } },
      mode: "production",
    }) as unknown as ServerBuild;
  const run = (b: ServerBuild, name: "loader" | "action") =>
    (b.routes.r!.module[name] as (args: unknown) => Promise<unknown>)({});

  it("answers a domain error a loader or action lets through with its response", async () => {
    const wrapped = withDomainErrors(
      build({
        loader: () => {
          throw DomainError.notFound("No such festival.");
        },
        action: async () => {
          await Promise.resolve();
          throw new RateLimitedError(3);
        },
        default: "Component",
      }),
    );
    const thrownBy = (name: "loader" | "action") =>
      run(wrapped, name).then(
        () => null,
        (e: unknown) => e,
      );
    const fromLoader = await thrownBy("loader");
    expect(fromLoader).toBeInstanceOf(Response);
    expect(await answer(fromLoader as Response)).toEqual({
      status: 404,
      body: { error: "not_found", message: "No such festival." },
      ...plain,
    });
    const fromAction = await thrownBy("action");
    expect(await answer(fromAction as Response)).toMatchObject({ status: 429, retryAfter: "3" });
    expect(wrapped.routes.r!.module.default).toBe("Component");
  });

  it("leaves answers, thrown responses, other errors and routes without loaders alone", async () => {
    const redirect = new Response(null, { status: 302 });
    const bug = new Error("bug");
    const wrapped = withDomainErrors(
      build({
        loader: () => ({ ok: true }),
        action: () => {
          throw redirect;
        },
      }),
    );
    await expect(run(wrapped, "loader")).resolves.toEqual({ ok: true });
    await expect(run(wrapped, "action")).rejects.toBe(redirect);
    const failing = withDomainErrors(
      build({
        loader: () => {
          throw bug;
        },
      }),
    );
    await expect(run(failing, "loader")).rejects.toBe(bug);
    expect(failing.routes.r!.module.action).toBeUndefined();
  });
});
