// Leave a tattoo waitlist by the link in its confirmation email: GET shows
// the place and a confirm button, POST (confirmed) leaves. An offer held for
// the place goes to the next in line. Works without JavaScript.
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { ConfirmButton } from "~/components/confirm-button";
import { leaveWaitlist, waitlistPlaceByToken } from "~/models/tattoo-waitlist.server";
import { confirmationError, readForm } from "~/utils/forms.server";
import { formatDate } from "~/utils/format";
import { notFound } from "~/utils/http.server";
import { getTranslator } from "~/utils/i18n.server";
import { useLocale, useT } from "~/utils/use-t";

export const meta: MetaFunction = () => [{ title: "Waitlist" }];

const deadLink = () => notFound("This waitlist link does not exist.");

export async function loader({ params }: LoaderFunctionArgs) {
  const place = await waitlistPlaceByToken(params.token ?? "");
  if (!place) throw deadLink();
  return {
    waiting: place.status === "waiting" || place.status === "offered",
    left: place.status === "left",
    day: place.day,
    artistName: place.artistName,
    festivalName: place.festivalName,
    designTitle: place.designTitle,
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { t } = await getTranslator(request);
  const form = await readForm(request);
  const unconfirmed = confirmationError(form, t);
  if (unconfirmed) {
    if (!(await waitlistPlaceByToken(params.token ?? ""))) throw deadLink();
    return data({ error: unconfirmed, done: false }, { status: 400 });
  }
  if (!(await leaveWaitlist(params.token ?? ""))) throw deadLink();
  return { error: null, done: true };
}

export default function LeaveWaitlist() {
  const place = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  const day = formatDate(`${place.day}T12:00:00Z`, locale, "UTC");
  const what = { artist: place.artistName, day, festival: place.festivalName };
  return (
    <section className="narrow">
      <h1>{t("tattooWaitlist.leaveTitle")}</h1>
      <p>
        {place.designTitle
          ? t("tattooWaitlist.waitingForDesign", { ...what, design: place.designTitle })
          : t("tattooWaitlist.waitingFor", what)}
      </p>
      {result?.error ? (
        <p className="form-error" role="alert">
          {result.error}
        </p>
      ) : null}
      {result?.done || place.left ? (
        <p role="status" className="notice">
          {t("tattooWaitlist.left")}
        </p>
      ) : place.waiting ? (
        <ConfirmButton
          label={t("tattooWaitlist.leaveTitle")}
          warning={t("tattooWaitlist.leaveWarning")}
          confirmLabel={t("tattooWaitlist.leaveConfirm")}
          intent="leave"
        />
      ) : (
        <p>{t("tattooWaitlist.notWaiting")}</p>
      )}
    </section>
  );
}
