import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import {
  approvedUnpaidCosts,
  costInput,
  listCosts,
  submitCost,
} from "~/models/festival-costs.server";
import { getFestivalOrThrow } from "~/models/festival.server";
import { api, created, methodNotAllowed, parseOrThrow, readJsonBody } from "~/utils/api.server";
import { sqlClient } from "~/utils/db.server";
import { field } from "~/utils/forms.server";
import { readReceiptForm, receiptFromForm } from "~/utils/receipts.server";
import { requireApiUserWith } from "~/utils/permissions.server";

/** The festival's costs, newest first, and what its approved unpaid costs hold back (festival:costs). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  return api(async () => {
    await requireApiUserWith(request, "festival:costs", params.id);
    const festival = await getFestivalOrThrow(params.id);
    const [costs, approvedUnpaid] = await Promise.all([
      listCosts(festival.id),
      approvedUnpaidCosts(sqlClient(), festival.id),
    ]);
    return Response.json({
      festival: { id: festival.id, name: festival.name, currency: festival.currency },
      costs,
      approvedUnpaid,
    });
  });
}

/** A whole number of minor units sent as a form field ("1500"), NaN otherwise (the schema says why). */
function minorField(form: FormData, name: string) {
  const raw = field(form, name)?.trim();
  if (raw === undefined || raw === "") return undefined;
  return /^\d{1,12}$/.test(raw) ? Number(raw) : Number.NaN;
}

/**
 * Submit a cost (festival:costs): JSON `{category, description, amountMinor,
 * currency?}`, or multipart/form-data with the same fields and the file
 * `receipt` (PDF, JPEG, PNG or WebP, at most 10 MB) → 201 with the cost.
 */
export async function action({ request, params }: ActionFunctionArgs) {
  return api(async () => {
    if (request.method !== "POST") return methodNotAllowed(["GET", "POST"]);
    // Access first: a refused upload is not read.
    const user = await requireApiUserWith(request, "festival:costs", params.id);
    const festival = await getFestivalOrThrow(params.id);
    const type = request.headers.get("Content-Type") ?? "";
    if (/^application\/json\b/i.test(type)) {
      const input = parseOrThrow(costInput, await readJsonBody(request, 16 * 1024));
      return created(await submitCost(user, festival, input, null));
    }
    const form = await readReceiptForm(request);
    const currency = field(form, "currency");
    const input = parseOrThrow(costInput, {
      category: field(form, "category"),
      description: field(form, "description"),
      amountMinor: minorField(form, "amountMinor"),
      ...(currency !== undefined && currency.trim() !== "" ? { currency } : {}),
    });
    const receipt = await receiptFromForm(form);
    return created(await submitCost(user, festival, input, receipt));
  });
}
