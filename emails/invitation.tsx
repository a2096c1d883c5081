import type { Translate } from "~/utils/i18n";
import { EmailLayout } from "./layout";

export type InvitationData = {
  inviteUrl: string;
  inviterName: string;
  festivalName?: string;
  role: string;
};

export function subject(t: Translate, data: InvitationData) {
  return data.festivalName
    ? t("email.invite.subjectFestival", { festival: data.festivalName })
    : t("email.invite.subject");
}

function intro(t: Translate, data: InvitationData) {
  return data.festivalName
    ? t("email.invite.introFestival", {
        inviter: data.inviterName,
        festival: data.festivalName,
        role: data.role,
      })
    : t("email.invite.intro", { inviter: data.inviterName });
}

export function Html({ t, lang, data }: { t: Translate; lang: string; data: InvitationData }) {
  return (
    <EmailLayout lang={lang} title={subject(t, data)}>
      <p>{intro(t, data)}</p>
      <p>
        <a href={data.inviteUrl}>{t("email.invite.accept")}</a>
      </p>
      <p>{t("email.invite.expiry", { days: 7 })}</p>
    </EmailLayout>
  );
}

export function text(t: Translate, data: InvitationData) {
  return [
    intro(t, data),
    "",
    `${t("email.invite.accept")}: ${data.inviteUrl}`,
    "",
    t("email.invite.expiry", { days: 7 }),
  ].join("\n");
}
