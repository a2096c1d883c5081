import type { ActionFunctionArgs } from "@remix-run/node";
import { festivalToChange } from "~/models/festival.server";
import { ticketTypePatch, updateTicketType } from "~/models/ticket-type.server";
import { api, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { requireApiUser } from "~/utils/auth.server";
import { prisma } from "~/utils/db.server";

export async function loader() {
  return methodNotAllowed(["PATCH"]);
}

/** Change a ticket type (festival:edit of its festival); `{id}` back. */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "PATCH") return methodNotAllowed(["PATCH"]);
    const user = await requireApiUser(request);
    const id = params.id ?? "";
    const type =
      id.length <= 64
        ? await prisma.ticketType.findUnique({ where: { id }, select: { festivalId: true } })
        : null;
    // Unknown type and another festival's type look the same.
    const festival = await festivalToChange(user, type?.festivalId);
    const input = parseOrThrow(ticketTypePatch, await readJsonBody(request, 64 * 1024));
    return Response.json(await updateTicketType(user, festival, id, input));
  });
}
