import type { ActionFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { createDoorDevice } from "~/models/door.server";
import { getFestivalOrThrow } from "~/models/festival.server";
import { field, readForm } from "~/utils/forms.server";
import { requireUserWith } from "~/utils/permissions.server";

export async function loader() {
  return redirect("/door");
}

/**
 * A signed-in door-staff account turns this phone into a door device for its
 * festival: the device is listed (and revocable) on the organisers' door page
 * like any other, and the scanner receives its token in the URL fragment.
 */
export async function action({ request }: ActionFunctionArgs) {
  const form = await readForm(request);
  const festivalId = (field(form, "festivalId") ?? "").slice(0, 64);
  const user = await requireUserWith(request, "festival:door", festivalId);
  const festival = await getFestivalOrThrow(festivalId);
  // A festival that is over or cancelled answers 409 (its domain error, as a page).
  const { token } = await createDoorDevice(
    user,
    festival,
    `${user.name ?? user.email} (${new Date().toISOString().slice(0, 10)})`.slice(0, 60),
  );
  return redirect(`/door#device=${token}`);
}

/** A page route (not a resource route), so refusals render as pages. */
export default function DoorSetup() {
  return null;
}
