import type { ActionFunctionArgs } from "@remix-run/node";
import { festivalToChange } from "~/models/festival.server";
import { quotaPatch, updateQuota } from "~/models/ticket-type.server";
import { api, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { requireApiUser } from "~/utils/auth.server";
import { prisma } from "~/utils/db.server";

export async function loader() {
  return methodNotAllowed(["PATCH"]);
}

/** Rename a quota or change its capacity: `{name?, capacity?}` → `{id}`. */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "PATCH") return methodNotAllowed(["PATCH"]);
    const user = await requireApiUser(request);
    const id = params.id ?? "";
    const quota =
      id.length <= 64
        ? await prisma.quota.findUnique({ where: { id }, select: { festivalId: true } })
        : null;
    // Unknown quota and another festival's quota look the same.
    const festival = await festivalToChange(user, quota?.festivalId);
    const input = parseOrThrow(quotaPatch, await readJsonBody(request, 16 * 1024));
    return Response.json(await updateQuota(user, festival.id, id, input));
  });
}
