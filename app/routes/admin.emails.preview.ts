// One email template's HTML part with sample data, as a document of its own for
// the preview frame of /admin/emails: served under the preview's strict policy
// and framed by this site only (server/index.ts, utils/email-preview.server.ts).
import type { LoaderFunctionArgs } from "@remix-run/node";
import { emailPreview } from "~/models/order-emails.server";
import { previewResponse } from "~/utils/email-preview.server";
import { requireUserWith } from "~/utils/permissions.server";

export async function loader({ request }: LoaderFunctionArgs) {
  await requireUserWith(request, "emails:preview");
  const params = new URL(request.url).searchParams;
  const preview = await emailPreview(params.get("template") ?? "", params.get("lang") ?? "");
  return previewResponse(preview.document);
}
