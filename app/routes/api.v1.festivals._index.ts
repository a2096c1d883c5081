import type { ActionFunctionArgs } from "@remix-run/node";
import {
  createFestival,
  festivalApiInput,
  festivalsNamedLike,
  listPublicFestivals,
} from "~/models/festival.server";
import { api, created, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { requireApiUserWith } from "~/utils/permissions.server";

/** Public: published festivals, upcoming and past. */
export async function loader() {
  return api(async () => {
    const { upcoming, past } = await listPublicFestivals();
    return Response.json({
      festivals: [...upcoming, ...past],
      upcoming: upcoming.map((f) => f.id),
      past: past.map((f) => f.id),
    });
  });
}

export async function action({ request }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["GET", "POST"]);
    const user = await requireApiUserWith(request, "festival:create");
    const input = parseOrThrow(festivalApiInput, await readJsonBody(request));
    const festival = await createFestival(user, input);
    // Another festival of the same name is allowed (a yearly festival), but said.
    const sameName = await festivalsNamedLike(input.name, festival.id);
    return created({
      id: festival.id,
      slug: festival.slug,
      warnings: sameName.length
        ? [{ code: "duplicate_name", festivals: sameName.map((f) => f.id) }]
        : [],
    });
  });
}
