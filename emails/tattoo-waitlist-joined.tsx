// "You are on the waitlist": sent when someone joins an artist's line for a
// day (or a design). Carries the secret link to leave the line; only its hash
// is stored (app/models/tattoo-waitlist.server.ts).
import { waitlistEmailData } from "~/models/tattoo-waitlist-emails.server";
import { publicUrl } from "~/utils/env.server";
import { formatDate } from "~/utils/format";
import { isLocale, type Translate } from "~/utils/i18n";
import { LinesEmail, linesText } from "./layout";

export type TattooWaitlistJoinedPayload = { waitlistId: string; token: string };
type Place = NonNullable<Awaited<ReturnType<typeof waitlistEmailData>>>;
export type TattooWaitlistJoinedData = Place & { leaveUrl: string; dayText: string };

export async function load(payload: TattooWaitlistJoinedPayload, locale: string) {
  const place = await waitlistEmailData(payload.waitlistId);
  if (!place) throw new Error(`waitlist place ${payload.waitlistId} not found`);
  return {
    ...place,
    // The festival's own local date, written out (not shifted by any zone).
    dayText: formatDate(`${place.day}T12:00:00Z`, isLocale(locale) ? locale : "en", "UTC"),
    leaveUrl: `${publicUrl()}/tattoo/waitlist/${payload.token}/leave`,
  } satisfies TattooWaitlistJoinedData;
}

export function subject(t: Translate, data: TattooWaitlistJoinedData) {
  return t("email.tattooWaitlist.joinedSubject", {
    artist: data.artistName,
    festival: data.festivalName,
  });
}

function lines(t: Translate, data: TattooWaitlistJoinedData) {
  return [
    data.designTitle
      ? t("email.tattooWaitlist.joinedDesign", {
          artist: data.artistName,
          day: data.dayText,
          design: data.designTitle,
        })
      : t("email.tattooWaitlist.joined", { artist: data.artistName, day: data.dayText }),
    t("email.tattooWaitlist.joinedHow"),
  ];
}

const link = (t: Translate, data: TattooWaitlistJoinedData) => ({
  href: data.leaveUrl,
  label: t("email.tattooWaitlist.leave"),
});

export function Html({
  t,
  lang,
  data,
}: {
  t: Translate;
  lang: string;
  data: TattooWaitlistJoinedData;
}) {
  return (
    <LinesEmail lang={lang} title={subject(t, data)} lines={lines(t, data)} link={link(t, data)} />
  );
}

export function text(t: Translate, data: TattooWaitlistJoinedData) {
  return linesText(lines(t, data), link(t, data));
}
