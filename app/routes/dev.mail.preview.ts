// One development mail's HTML part as a document of its own, for /dev/mail's
// preview frame (served under the preview's strict policy: server/index.ts).
// Development only, like /dev/mail.
import type { LoaderFunctionArgs } from "@remix-run/node";
import { devMailPreview } from "~/utils/dev-mail.server";
import { previewResponse } from "~/utils/email-preview.server";
import { getEnv } from "~/utils/env.server";
import { notFound } from "~/utils/http.server";

export async function loader({ request }: LoaderFunctionArgs) {
  if (getEnv().NODE_ENV !== "development") throw notFound();
  const document = await devMailPreview(new URL(request.url).searchParams.get("file"));
  if (document === null) throw notFound();
  return previewResponse(document);
}
