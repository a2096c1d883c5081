import type { ActionFunctionArgs } from "@remix-run/node";
import { archiveRecipient } from "~/models/recipients.server";
import { api, methodNotAllowed } from "~/utils/api.server";
import { requireApiUserWith } from "~/utils/permissions.server";

export async function loader() {
  return methodNotAllowed(["POST"]);
}

/** Treasury: archive a recipient (no new payouts; 409 while one is proposed or approved). */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["POST"]);
    const user = await requireApiUserWith(request, "treasury");
    return Response.json(await archiveRecipient(user, params.id ?? ""));
  });
}
