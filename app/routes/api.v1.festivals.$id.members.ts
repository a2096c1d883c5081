import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { getFestivalOrThrow } from "~/models/festival.server";
import { addFestivalMember, memberInput } from "~/models/user.server";
import { api, created, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
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

/** Add an existing account to the team, or invite an unknown email. */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["GET", "POST"]);
    const user = await requireApiUserWith(request, "festival:team", params.id);
    const festival = await getFestivalOrThrow(params.id);
    const input = parseOrThrow(memberInput, await readJsonBody(request, 64 * 1024));
    const result = await addFestivalMember(user, festival, input, {
      locale: await getLocale(request),
    });
    return created(result);
  });
}
