import type { ActionFunctionArgs } from "@remix-run/node";
import {
  availabilityPatch,
  deleteAvailability,
  updateAvailability,
} from "~/models/tattoo-slot.server";
import {
  api,
  methodNotAllowed,
  parseOrThrow,
  readJsonBody,
  validationError,
} from "~/utils/api.server";
import { requireApiUser } from "~/utils/auth.server";

export async function loader() {
  return methodNotAllowed(["PATCH", "DELETE"]);
}

/** Change (PATCH) or delete (DELETE, `?freeSlotsOnly=true` to keep held slots) an availability window. */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method === "PATCH") {
      const user = await requireApiUser(request);
      const body = await readJsonBody(request, 64 * 1024);
      return Response.json(
        await updateAvailability(user, params.id, parseOrThrow(availabilityPatch, body)),
      );
    }
    if (request.method === "DELETE") {
      const user = await requireApiUser(request);
      const flag = new URL(request.url).searchParams.get("freeSlotsOnly");
      if (flag !== null && flag !== "true" && flag !== "false")
        throw validationError({ freeSlotsOnly: "Use true or false." });
      return Response.json(
        await deleteAvailability(user, params.id, { freeSlotsOnly: flag === "true" }),
      );
    }
    return methodNotAllowed(["PATCH", "DELETE"]);
  });
}
