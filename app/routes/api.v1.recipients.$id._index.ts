import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { getRecipient, recipientUpdateInput, updateRecipient } from "~/models/recipients.server";
import { api, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { requireApiUserWith } from "~/utils/permissions.server";

/** Treasury: one recipient, decrypted (the read is audited, ids only). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return api(async () => {
    const user = await requireApiUserWith(request, "treasury");
    return Response.json({ recipient: await getRecipient(user, params.id ?? "") });
  });
}

/** Treasury: PATCH `{kind?, displayName?, details?, notes?, monthlyCap?: {…}|null, timezone?}` (re-sealed). */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "PATCH") return methodNotAllowed(["GET", "PATCH"]);
    const user = await requireApiUserWith(request, "treasury");
    const input = parseOrThrow(recipientUpdateInput, await readJsonBody(request, 16 * 1024));
    return Response.json({ recipient: await updateRecipient(user, params.id ?? "", input) });
  });
}
