import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import {
  createRecipient,
  idField,
  listRecipients,
  recipientInput,
} from "~/models/recipients.server";
import { api, created, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { requireApiUserWith } from "~/utils/permissions.server";
import { z } from "zod";

const listQuery = z
  .object({ prisonerId: idField.optional(), archived: z.enum(["0", "1"]).optional() })
  .strict();

/** Treasury: recipients (display names decrypted, never the details), `?prisonerId=&archived=1`. */
export async function loader({ request }: LoaderFunctionArgs) {
  return api(async () => {
    const user = await requireApiUserWith(request, "treasury");
    const query = parseOrThrow(listQuery, queryOf(request));
    const recipients = await listRecipients(user, {
      ...(query.prisonerId ? { prisonerId: query.prisonerId } : {}),
      includeArchived: query.archived === "1",
    });
    return Response.json({ recipients });
  });
}

/**
 * Treasury: `{prisonerId, kind, displayName, details, notes?, monthlyCap?:
 * {amountMinor, currency}, timezone?}` → 201 `{id}` (details sealed at rest).
 */
export async function action({ request }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["GET", "POST"]);
    const user = await requireApiUserWith(request, "treasury");
    const input = parseOrThrow(recipientInput, await readJsonBody(request, 16 * 1024));
    return created(await createRecipient(user, input));
  });
}

/** The query's parameters, an empty one as absent (a form's "any"). */
function queryOf(request: Request) {
  return Object.fromEntries(
    [...new URL(request.url).searchParams].filter(([, value]) => value !== ""),
  );
}
