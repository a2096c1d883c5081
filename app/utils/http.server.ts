// One shape for errors, pages and API alike: JSON {error, message, fields?} with a 4xx.
// Thrown from loaders/actions; API routes return it as is, pages show it in their
// error boundary. Domain code throws DomainErrors instead (app/utils/domain-error.ts),
// turned into this shape here, by `errorResponseOf`.
import type { ServerBuild } from "@remix-run/node";
import { DomainError } from "./domain-error";
import { translator } from "./i18n";
import { storageFaultOf } from "./storage-faults.server";
import { localizeMessage } from "./validation";
import { logger } from "./logger.server";

export type FieldErrors = Record<string, string>;

export type ApiErrorBody = { error: string; message: string; fields?: FieldErrors };

export function errorResponse(
  status: number,
  error: string,
  message: string,
  init?: { fields?: FieldErrors; headers?: HeadersInit },
): Response {
  const body: ApiErrorBody = { error, message };
  if (init?.fields && Object.keys(init.fields).length > 0) body.fields = init.fields;
  return Response.json(body, { status, headers: init?.headers });
}

export const notFound = (message = "Not found") => errorResponse(404, "not_found", message);
export const forbidden = (message = "Forbidden") => errorResponse(403, "forbidden", message);
export const unauthorized = (message = "Authentication required") =>
  errorResponse(401, "unauthorized", message, { headers: { "WWW-Authenticate": "Bearer" } });
export const tooManyRequests = (retryAfterSeconds: number) =>
  errorResponse(429, "rate_limited", `Too many requests; try again in ${retryAfterSeconds} s.`, {
    headers: { "Retry-After": String(retryAfterSeconds) },
  });

/** The client's address as the server saw it (set by server/index.ts in the load context). */
export function clientAddress(context: unknown): string {
  const value = (context as { clientAddress?: unknown } | undefined)?.clientAddress;
  return typeof value === "string" && value ? value : "unknown";
}

/**
 * The one translation of a domain error into HTTP (app/utils/domain-error.ts):
 * its status, code, message and headers, and its fields' messages in English.
 * The API's `api()` answers with it; `withDomainErrors` does for every other route.
 */
export function errorResponseOf(error: DomainError): Response {
  const t = translator("en");
  const fields = error.fields
    ? Object.fromEntries(Object.entries(error.fields).map(([k, v]) => [k, localizeMessage(v, t)]))
    : undefined;
  return errorResponse(error.status, error.code, error.message, {
    fields,
    headers: error.headers,
  });
}

/**
 * The server build with every route's loader and action answering a domain
 * error it lets through with `errorResponseOf` (pages show it in their error
 * boundary, as any thrown response), and a storage fault as its 503
 * (app/utils/storage-faults.server.ts); server/index.ts serves this build.
 */
export function withDomainErrors(build: ServerBuild): ServerBuild {
  const translated =
    <A extends unknown[], R>(fn: (...args: A) => R) =>
    async (...args: A): Promise<Awaited<R>> => {
      try {
        return await fn(...args);
      } catch (error) {
        if (error instanceof DomainError) throw errorResponseOf(error);
        // The database locked or the disk full: a 503 page or answer with Retry-After.
        const fault = storageFaultOf(error);
        if (fault) {
          logger.warn({ err: error, fault: fault.kind }, "storage fault");
          throw errorResponseOf(fault);
        }
        throw error;
      }
    };
  const routes: ServerBuild["routes"] = {};
  for (const [id, route] of Object.entries(build.routes)) {
    if (!route) continue;
    const { loader, action } = route.module;
    routes[id] = {
      ...route,
      module: {
        ...route.module,
        ...(loader ? { loader: translated(loader) } : {}),
        ...(action ? { action: translated(action) } : {}),
      },
    };
  }
  return { ...build, routes };
}

/**
 * Read a request body, refusing it (the `tooLarge` response) as soon as it passes
 * `maxBytes` — also for chunked bodies that declare no Content-Length.
 */
export async function readBodyLimited(
  request: Request,
  maxBytes: number,
  tooLarge: () => Response,
): Promise<Buffer> {
  if (!request.body) return Buffer.alloc(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      // Not reader.cancel(): that destroys the socket, and the client would get a
      // reset instead of this answer (server/index.ts closes the connection after it).
      reader.releaseLock();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
