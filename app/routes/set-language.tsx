import type { ActionFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { setPreferredLocale } from "~/models/user.server";
import { getSessionUser } from "~/utils/auth.server";
import { field, readForm } from "~/utils/forms.server";
import { isLocale } from "~/utils/i18n";
import { errorResponse } from "~/utils/http.server";
import { languageCookie, safeRedirect } from "~/utils/session.server";

export async function loader() {
  return redirect("/");
}

/** Remember the chosen language in a cookie and go back where the person was. */
export async function action({ request }: ActionFunctionArgs) {
  const form = await readForm(request);
  const lang = field(form, "lang");
  if (!isLocale(lang)) throw errorResponse(400, "bad_language", "Unknown language.");
  // Signed-in people also get their emails in this language.
  const user = await getSessionUser(request);
  if (user && user.locale !== lang) await setPreferredLocale(user.id, lang);
  return redirect(safeRedirect(field(form, "redirectTo"), "/"), {
    headers: { "Set-Cookie": await languageCookie.serialize(lang) },
  });
}
