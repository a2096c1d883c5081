import type { Translate } from "~/utils/i18n";
import { EmailLayout } from "./layout";

export type PasswordResetData = { code: string; resetUrl: string };

export function subject(t: Translate, _data?: PasswordResetData) {
  return t("email.reset.subject");
}

export function Html({ t, lang, data }: { t: Translate; lang: string; data: PasswordResetData }) {
  return (
    <EmailLayout lang={lang} title={subject(t)}>
      <p>{t("email.reset.intro")}</p>
      <p style={{ fontSize: 28, letterSpacing: 6, fontWeight: 700 }}>{data.code}</p>
      <p>{t("email.reset.expiry", { minutes: 10 })}</p>
      <p>
        <a href={data.resetUrl}>{data.resetUrl}</a>
      </p>
      <p>{t("email.reset.ignore")}</p>
    </EmailLayout>
  );
}

export function text(t: Translate, data: PasswordResetData) {
  return [
    t("email.reset.intro"),
    "",
    data.code,
    "",
    t("email.reset.expiry", { minutes: 10 }),
    data.resetUrl,
    "",
    t("email.reset.ignore"),
  ].join("\n");
}
