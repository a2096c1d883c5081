// Helpers for the JSON API under /api/v1: body parsing with limits, and one
// place (`api()`) that turns domain errors into the documented error shape.
import { z } from "zod";
import { DomainError } from "./domain-error";
import { errorResponse, errorResponseOf, readBodyLimited } from "./http.server";
import { translator } from "./i18n";
import { storageFaultOf } from "./storage-faults.server";
import { fieldErrors, fieldPath, localizeMessage, LONE_SURROGATE } from "./validation";
import { logger } from "./logger.server";

export const MAX_JSON_BYTES = 2 * 1024 * 1024;

/** Read a JSON object body; 415/400/413 JSON errors otherwise. */
export async function readJsonBody(
  request: Request,
  maxBytes = MAX_JSON_BYTES,
): Promise<Record<string, unknown>> {
  const type = request.headers.get("Content-Type") ?? "";
  if (!/^application\/json\b/i.test(type)) {
    throw errorResponse(
      415,
      "unsupported_media_type",
      "Send a JSON body with Content-Type: application/json.",
    );
  }
  const declared = Number(request.headers.get("Content-Length") ?? "0");
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const text = new TextDecoder("utf-8", { fatal: false }).decode(
    await readBodyLimited(request, maxBytes, () => tooLarge(maxBytes)),
  );
  // Counted before parsing: a body that is mostly keys or values costs the
  // server far more than the client (150,000 unknown keys: half a second in
  // JSON.parse alone, then a 5.9 MB answer).
  if (tooManyFields(text))
    throw errorResponse(
      400,
      "too_many_fields",
      `The body has too many fields: at most ${MAX_JSON_KEYS_PER_OBJECT} in an object and ${MAX_JSON_VALUES} in all.`,
    );
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw errorResponse(400, "invalid_json", "The body is not valid JSON.");
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw errorResponse(400, "invalid_json", "The body must be a JSON object.");
  }
  // "\ud800" is valid JSON but not text; the database layer fails on it (a 500),
  // so no string or key holding one gets past here, whatever the endpoint.
  const broken = loneSurrogatePath(value);
  if (broken !== null)
    throw validationError({ [broken]: localizeMessage("v.controlChars", translator("en")) });
  return value as Record<string, unknown>;
}

/** More than any endpoint takes (a festival has a dozen fields; a door batch 500 scans of six). */
export const MAX_JSON_KEYS_PER_OBJECT = 100;
export const MAX_JSON_VALUES = 10_000;

function tooLarge(maxBytes: number) {
  return errorResponse(413, "payload_too_large", `The body may be at most ${maxBytes} bytes.`);
}

/**
 * Whether JSON text has an object with more than MAX_JSON_KEYS_PER_OBJECT keys
 * or more than MAX_JSON_VALUES values (counted from separators and brackets
 * outside strings: never fewer than there are). One pass over the characters,
 * cheap next to JSON.parse on such input; invalid JSON is left to JSON.parse.
 */
export function tooManyFields(text: string): boolean {
  const keys: number[] = []; // per open bracket: keys so far, or -1 for an array
  let values = 1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x2c /* , */ || c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++values > MAX_JSON_VALUES) return true;
      if (c === 0x7b) keys.push(0);
      else if (c === 0x5b) keys.push(-1);
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) keys.pop();
    else if (c === 0x3a /* : */ && keys.length && keys[keys.length - 1]! >= 0) {
      if (++keys[keys.length - 1]! > MAX_JSON_KEYS_PER_OBJECT) return true;
    }
  }
  return false;
}

/** The path of the first string or key holding an unpaired surrogate, or null (iterative: bodies nest deep). */
function loneSurrogatePath(value: unknown): string | null {
  type At = { key: string; parent: At | null } | null;
  const pathOf = (at: At) => {
    const keys: string[] = [];
    for (let a = at; a; a = a.parent) keys.unshift(a.key);
    return fieldPath(keys);
  };
  const stack: [unknown, At][] = [[value, null]];
  while (stack.length) {
    const [v, at] = stack.pop()!;
    if (typeof v === "string") {
      if (LONE_SURROGATE.test(v)) return pathOf(at);
    } else if (v && typeof v === "object") {
      for (const [key, inner] of Object.entries(v)) {
        const here = { key, parent: at };
        if (LONE_SURROGATE.test(key)) return pathOf(here);
        stack.push([inner, here]);
      }
    }
  }
  return null;
}

/** Validate with a zod schema or throw 422 with per-field messages. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationError(parsed.error);
  return parsed.data;
}

export function validationError(error: z.ZodError | Record<string, string>) {
  const fields = error instanceof z.ZodError ? fieldErrors(error) : error;
  return errorResponse(422, "validation_failed", "Some fields are missing or invalid.", { fields });
}

/** Run an API handler; every failure becomes a JSON error (never an HTML page). */
export async function api(fn: () => Promise<Response>): Promise<Response> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof Response) return error;
    if (error instanceof z.ZodError) return validationError(error);
    // Every domain error, one translation (app/utils/domain-error.ts).
    if (error instanceof DomainError) return errorResponseOf(error);
    // The database locked or the disk full: a 503 with Retry-After, not a bug's 500.
    const fault = storageFaultOf(error);
    if (fault) {
      logger.warn({ err: error, fault: fault.kind }, "API storage fault");
      return errorResponseOf(fault);
    }
    logger.error({ err: error }, "API error");
    return errorResponse(500, "internal_error", "Something went wrong on our side.");
  }
}

export function methodNotAllowed(allowed: string[]) {
  return errorResponse(405, "method_not_allowed", `Use ${allowed.join(" or ")}.`, {
    headers: { Allow: allowed.join(", ") },
  });
}

export function created(body: unknown) {
  return Response.json(body, { status: 201 });
}
