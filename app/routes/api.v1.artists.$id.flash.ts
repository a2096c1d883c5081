import type { ActionFunctionArgs } from "@remix-run/node";
import { artistFor, createFlash, flashInput } from "~/models/tattoo-artist.server";
import { api, created, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { requireApiUser } from "~/utils/auth.server";
import { formFile, readUploadForm } from "~/utils/images.server";

export async function loader() {
  return methodNotAllowed(["POST"]);
}

/** A multipart text field as the JSON body would carry it: digits become a number, "" absent. */
function formValue(form: FormData, name: string, numeric = false): unknown {
  const value = form.get(name);
  if (typeof value !== "string") return value === null ? undefined : value;
  if (value.trim() === "") return undefined;
  if (numeric) {
    if (value.trim() === "unlimited") return null;
    return /^\d{1,12}$/.test(value.trim()) ? Number(value.trim()) : value;
  }
  return value;
}

/**
 * A flash design (tattoo:artist): multipart with an `image` file and the fields
 * `title`, `minDonationMinor`, `maxUses?` (a number, or absent / "unlimited"),
 * `size?`; or JSON `{title, minDonationMinor, maxUses?, size?}` without a
 * picture → 201 `{id}`.
 */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["POST"]);
    const user = await requireApiUser(request);
    const artist = await artistFor(user, params.id, "tattoo:artist");
    const type = request.headers.get("Content-Type") ?? "";
    if (/^application\/json\b/i.test(type)) {
      const input = parseOrThrow(flashInput, await readJsonBody(request, 64 * 1024));
      return created(await createFlash(user, artist, input, null));
    }
    const form = await readUploadForm(request);
    const fields = Object.fromEntries(
      [...new Set(form.keys())].filter((k) => k !== "image").map((k) => [k, undefined]),
    );
    const input = parseOrThrow(flashInput, {
      ...fields,
      title: formValue(form, "title"),
      size: formValue(form, "size"),
      minDonationMinor: formValue(form, "minDonationMinor", true),
      maxUses: formValue(form, "maxUses", true),
    });
    return created(await createFlash(user, artist, input, await formFile(form)));
  });
}
