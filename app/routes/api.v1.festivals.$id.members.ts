import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { getFestivalOrThrow } from "~/models/festival.server";
import { addFestivalMember, memberInput } from "~/models/user.server";
import { api, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { prisma } from "~/utils/db.server";
import { getLocale } from "~/utils/i18n.server";
import { requireApiUserWith } from "~/utils/permissions.server";

export async function loader({ request, params }: LoaderFunctionArgs) {
  return api(async () => {
    await requireApiUserWith(request, "festival:team", params.id);
    const festival = await getFestivalOrThrow(params.id);
    const members = await prisma.festivalMember.findMany({
      where: { festivalId: festival.id },
      select: { role: true, user: { select: { id: true, email: true, name: true } } },
    });
    return Response.json({ members: members.map((m) => ({ ...m.user, role: m.role })) });
  });
}

/**
 * `{email, role}`: someone not on the team is invited (202, the same answer
 * whether or not the address has an account); a member's role changes (200).
 */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["GET", "POST"]);
    const user = await requireApiUserWith(request, "festival:team", params.id);
    const festival = await getFestivalOrThrow(params.id);
    const input = parseOrThrow(memberInput, await readJsonBody(request, 64 * 1024));
    const result = await addFestivalMember(user, festival, input, {
      locale: await getLocale(request),
    });
    return Response.json(result, { status: result.status === "invited" ? 202 : 200 });
  });
}
