// One convention for domain errors. Domain code (app/models/*) throws a
// DomainError — an HTTP status, a stable code, an English message, and for
// broken input rules the fields as catalog keys — and never builds an HTTP
// Response. It is translated in one place each: for the API and for anything
// a route lets through, `errorResponseOf` (app/utils/http.server.ts: the JSON
// shape {error, message, fields?} with the status and headers); for a page's
// form, `formFailure` (app/utils/forms.server.ts: messages in the reader's
// language). Subclasses name the errors callers tell apart.

export type DomainErrorInit = {
  /** Broken rules by field, as catalog keys ("v.required", "v.belowMinimum|500|EUR"). */
  fields?: Record<string, string>;
  /** Headers the answer carries (Retry-After, WWW-Authenticate). */
  headers?: Record<string, string>;
};

export class DomainError extends Error {
  readonly fields?: Record<string, string>;
  readonly headers?: Record<string, string>;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    init: DomainErrorInit = {},
  ) {
    super(message);
    this.name = new.target.name;
    if (init.fields) this.fields = init.fields;
    if (init.headers) this.headers = init.headers;
  }

  static notFound(message = "Not found") {
    return new DomainError(404, "not_found", message);
  }

  static forbidden(message = "Forbidden") {
    return new DomainError(403, "forbidden", message);
  }

  static unauthorized(message = "Authentication required") {
    return new DomainError(401, "unauthorized", message, {
      headers: { "WWW-Authenticate": "Bearer" },
    });
  }

  /** The state of a record forbids the change (409). */
  static conflict(code: string, message: string) {
    return new DomainError(409, code, message);
  }
}

/**
 * Broken input rules found by domain code, as {field: catalog key}; the API
 * answers 422 with the messages in English, pages show them in the reader's language.
 */
export class FieldRulesError extends DomainError {
  declare readonly fields: Record<string, string>;
  constructor(fields: Record<string, string>) {
    super(422, "validation_failed", "Some fields are missing or invalid.", { fields });
  }
}
