import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { getFestivalOrThrow } from "~/models/festival.server";
import {
  createTicketType,
  listTicketTypes,
  ticketTypeForApi,
  ticketTypeInput,
} from "~/models/ticket-type.server";
import { api, created, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { requireApiUserWith } from "~/utils/permissions.server";

/** Organisers: the festival's ticket types with sold/held counts. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return api(async () => {
    await requireApiUserWith(request, "festival:view", params.id);
    const festival = await getFestivalOrThrow(params.id);
    const types = await listTicketTypes(festival.id);
    return Response.json({
      festival: { id: festival.id, name: festival.name, currency: festival.currency },
      ticketTypes: types.map(({ quota: _q, ...t }) => ticketTypeForApi(t)),
    });
  });
}

export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["GET", "POST"]);
    const user = await requireApiUserWith(request, "festival:edit", params.id);
    const festival = await getFestivalOrThrow(params.id);
    const input = parseOrThrow(ticketTypeInput, await readJsonBody(request, 64 * 1024));
    return created(await createTicketType(user, festival, input));
  });
}
