// Helpers for the JSON API under /api/v1: body parsing with limits, and one
// place that turns domain errors into the documented error shape.
import { z } from "zod";
import { FestivalStateError } from "~/models/festival.server";
import { ConflictError } from "~/models/user.server";
import { errorResponse, tooManyRequests } from "./http.server";
import { RateLimitedError } from "./rate-limit.server";
import { fieldErrors } from "./validation";

export const MAX_JSON_BYTES = 2 * 1024 * 1024;

/** Read a JSON object body; 415/400/413 JSON errors otherwise. */
export async function readJsonBody(request: Request, maxBytes = MAX_JSON_BYTES): Promise<Record<string, unknown>> {
  const type = request.headers.get("Content-Type") ?? "";
  if (!/^application\/json\b/i.test(type)) {
    throw errorResponse(415, "unsupported_media_type", "Send a JSON body with Content-Type: application/json.");
  }
  const declared = Number(request.headers.get("Content-Length") ?? "0");
  if (declared > maxBytes) throw errorResponse(413, "payload_too_large", `The body may be at most ${maxBytes} bytes.`);
  const text = await readLimited(request, maxBytes);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw errorResponse(400, "invalid_json", "The body is not valid JSON.");
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw errorResponse(400, "invalid_json", "The body must be a JSON object.");
  }
  return value as Record<string, unknown>;
}

async function readLimited(request: Request, maxBytes: number) {
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw errorResponse(413, "payload_too_large", `The body may be at most ${maxBytes} bytes.`);
    }
    chunks.push(value);
  }
  return new TextDecoder("utf-8", { fatal: false }).decode(Buffer.concat(chunks));
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
    if (error instanceof RateLimitedError) return tooManyRequests(error.retryAfterSeconds);
    if (error instanceof ConflictError || error instanceof FestivalStateError)
      return errorResponse(409, error.code, error.message);
    console.error("API error:", error instanceof Error ? error.stack : error);
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
