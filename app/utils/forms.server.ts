// Reading HTML form posts with a size limit (pages; the API uses api.server.ts).
import { errorResponse } from "./http.server";

export const MAX_FORM_BYTES = 2 * 1024 * 1024;

const tooLarge = () => errorResponse(413, "payload_too_large", "The form is too large.");

export async function readForm(request: Request): Promise<FormData> {
  const declared = Number(request.headers.get("Content-Length") ?? "0");
  if (declared > MAX_FORM_BYTES) throw tooLarge();
  // The limit holds for bodies without a Content-Length (chunked) too.
  const body = await readLimited(request, MAX_FORM_BYTES);
  try {
    return await new Response(body, { headers: { "Content-Type": request.headers.get("Content-Type") ?? "" } }).formData();
  } catch {
    throw errorResponse(400, "bad_form", "The form could not be read.");
  }
}

async function readLimited(request: Request, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  if (!request.body) return new Uint8Array();
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

/** A single text value of a form field (files and missing fields become undefined). */
export function field(form: FormData, name: string): string | undefined {
  const value = form.get(name);
  return typeof value === "string" ? value : undefined;
}

export function fields(form: FormData, name: string): string[] {
  return form.getAll(name).filter((v): v is string => typeof v === "string");
}
