// Reading HTML form posts with a size limit (pages; the API uses api.server.ts).
import { errorResponse, readBodyLimited } from "./http.server";

export const MAX_FORM_BYTES = 2 * 1024 * 1024;

const tooLarge = () => errorResponse(413, "payload_too_large", "The form is too large.");

export async function readForm(request: Request): Promise<FormData> {
  const declared = Number(request.headers.get("Content-Length") ?? "0");
  if (declared > MAX_FORM_BYTES) throw tooLarge();
  // The limit holds for bodies without a Content-Length (chunked) too.
  const body = await readBodyLimited(request, MAX_FORM_BYTES, tooLarge);
  try {
    return await new Response(new Uint8Array(body), {
      headers: { "Content-Type": request.headers.get("Content-Type") ?? "" },
    }).formData();
  } catch {
    throw errorResponse(400, "bad_form", "The form could not be read.");
  }
}

/** A single text value of a form field (files and missing fields become undefined). */
export function field(form: FormData, name: string): string | undefined {
  const value = form.get(name);
  return typeof value === "string" ? value : undefined;
}

export function fields(form: FormData, name: string): string[] {
  return form.getAll(name).filter((v): v is string => typeof v === "string");
}
