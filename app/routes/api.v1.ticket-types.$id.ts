import type { ActionFunctionArgs } from "@remix-run/node";
import { getFestivalOrThrow } from "~/models/festival.server";
import { ticketTypePatch, updateTicketType } from "~/models/ticket-type.server";
import { api, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { requireApiUser } from "~/utils/auth.server";
import { prisma } from "~/utils/db.server";
import { errorResponse, notFound } from "~/utils/http.server";
import { requirePermission } from "~/utils/permissions.server";

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
    if (!type) throw notFound();
    requirePermission(user, "festival:edit", type.festivalId);
    const festival = await getFestivalOrThrow(type.festivalId);
    if (festival.status === "cancelled")
      throw errorResponse(409, "invalid_state", "A cancelled festival cannot be changed.");
    const input = parseOrThrow(ticketTypePatch, await readJsonBody(request, 64 * 1024));
    return Response.json(await updateTicketType(user, festival, id, input));
  });
}
