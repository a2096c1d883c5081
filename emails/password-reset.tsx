import { RESET_LINK_MINUTES } from "~/models/choices";
import type { Translate } from "~/utils/i18n";
import { EmailLayout } from "./layout";

/** Only an opaque link: no code to type, no email address in it (decision 0015). */
export type PasswordResetData = { resetUrl: string };

export function subject(t: Translate, _data?: PasswordResetData) {
  return t("email.reset.subject");
}

export function Html({ t, lang, data }: { t: Translate; lang: string; data: PasswordResetData }) {
  return (
    <EmailLayout lang={lang} title={subject(t)}>
      <p>{t("email.reset.intro")}</p>
      <p>
        <a href={data.resetUrl}>{data.resetUrl}</a>
      </p>
      <p>{t("email.reset.expiry", { minutes: RESET_LINK_MINUTES })}</p>
      <p>{t("email.reset.ignore")}</p>
    </EmailLayout>
  );
}

export function text(t: Translate, data: PasswordResetData) {
  return [
    t("email.reset.intro"),
    "",
    data.resetUrl,
    "",
    t("email.reset.expiry", { minutes: RESET_LINK_MINUTES }),
    "",
    t("email.reset.ignore"),
  ].join("\n");
}
