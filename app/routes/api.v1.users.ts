import type { ActionFunctionArgs } from "@remix-run/node";
import { createUser, newUserInput } from "~/models/user.server";
import { api, created, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { getLocale } from "~/utils/i18n.server";
import { requireApiUserWith } from "~/utils/permissions.server";

export async function loader() {
  return methodNotAllowed(["POST"]);
}

/**
 * Admin: create an account; without a password an invitation is emailed. A
 * treasurer or admin is enrolled in the second factor at once: the answer
 * carries its base32 `totpSecret`, this one time.
 */
export async function action({ request }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["POST"]);
    const user = await requireApiUserWith(request, "users:manage");
    const input = parseOrThrow(newUserInput, await readJsonBody(request, 64 * 1024));
    const createdUser = await createUser(user, input, {
      locale: await getLocale(request),
      enrolSecondFactor: true,
    });
    return created(createdUser);
  });
}
