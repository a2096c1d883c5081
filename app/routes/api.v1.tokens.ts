import type { ActionFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { api, created, methodNotAllowed, readJsonBody, validationError } from "~/utils/api.server";
import {
  checkCredentials,
  createApiToken,
  requireApiUser,
  revokeApiTokenOf,
} from "~/utils/auth.server";
import { errorResponse, clientAddress } from "~/utils/http.server";
import { hasSecondFactor, proveSecondFactor } from "~/utils/two-factor.server";
import { optionalText } from "~/utils/validation";

const body = z
  .object({
    email: z.string({ error: "v.email" }).max(254, { error: "v.maxLength|254" }),
    password: z.string({ error: "v.password" }).max(1000, { error: "v.maxLength|1000" }),
    // A label people read later: the same text rules as every other name.
    name: optionalText({ max: 100 }),
    // The second factor of an account that has one: a code from the app, or a recovery code.
    otp: z
      .string({ error: "v.otp" })
      .regex(/^\d{6}$/, { error: "v.otp" })
      .optional(),
    recoveryCode: z
      .string({ error: "v.recoveryCode" })
      .max(64, { error: "v.maxLength|64" })
      .regex(/^[A-Za-z0-9 -]+$/, { error: "v.recoveryCode" })
      .optional(),
  })
  .strict();

export async function loader() {
  return methodNotAllowed(["POST", "DELETE"]);
}

/**
 * POST: email + password (+ `otp` or `recoveryCode` for an account with a
 * second factor) → bearer token; with the second factor proved, the token may
 * touch money (permission "treasury"). DELETE: revoke the token the request carries.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method === "DELETE") {
      await requireApiUser(request);
      await revokeApiTokenOf(request);
      return new Response(null, { status: 204 });
    }
    if (request.method !== "POST") return methodNotAllowed(["POST", "DELETE"]);
    const parsed = body.safeParse(await readJsonBody(request, 64 * 1024));
    if (!parsed.success) throw validationError(parsed.error);
    const userId = await checkCredentials(
      parsed.data.email,
      parsed.data.password,
      clientAddress(context),
    );
    if (!userId) return errorResponse(401, "invalid_credentials", "Wrong email or password.");
    // Only after the password: whether an account has a second factor is not for strangers.
    const proved = (await hasSecondFactor(userId))
      ? Boolean(await proveSecondFactor(userId, parsed.data))
      : false;
    return created({ token: await createApiToken(userId, parsed.data.name, proved) });
  });
}
