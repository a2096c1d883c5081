import type { ActionFunctionArgs } from "@remix-run/node";
import { addressInput, exportPersonalData } from "~/models/privacy.server";
import { field, readForm } from "~/utils/forms.server";
import { errorResponse } from "~/utils/http.server";
import { requireUserWith } from "~/utils/permissions.server";

export function loader() {
  return errorResponse(405, "method_not_allowed", "Use POST.", { headers: { Allow: "POST" } });
}

/** Everything stored about one email address, as a JSON download (POST: no address in the URL). */
export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUserWith(request, "users:manage");
  const parsed = addressInput.safeParse({ email: field(await readForm(request), "email") });
  if (!parsed.success)
    return errorResponse(400, "validation_failed", "Give a valid email address.", {
      fields: { email: "Give a valid email address." },
    });
  const body = await exportPersonalData(user, parsed.data.email);
  return new Response(JSON.stringify(body, null, 2), {
    headers: {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Disposition": 'attachment; filename="personal-data.json"',
    },
  });
}
