// A template's test, sent by an organiser to their own address from the
// preview page (admin.emails.tsx): the template itself with its sample data
// (emails/samples.ts), under a subject that says it is a test. Through the
// outbox like every email (decision 0049).
import { publicUrl } from "~/utils/env.server";
import { isLocale, type Translate } from "~/utils/i18n";
import { templates, type TemplateName } from "./index";
import { sampleData } from "./samples";

export type TestEmailPayload = { template: TemplateName };
export type TestEmailData = { template: TemplateName; sample: unknown };

export async function load(payload: TestEmailPayload, locale: string): Promise<TestEmailData> {
  if (!(payload.template in templates) || payload.template === ("test-email" as TemplateName))
    throw new Error(`no sample for template ${String(payload.template)}`);
  const lang = isLocale(locale) ? locale : "en";
  return { template: payload.template, sample: sampleData(payload.template, lang, publicUrl()) };
}

export async function attachments(data: TestEmailData) {
  const tpl = templates[data.template];
  return tpl.attachments ? await tpl.attachments(data.sample) : [];
}

export function subject(t: Translate, data: TestEmailData) {
  return t("emails.testSubject", { subject: templates[data.template].subject(t, data.sample) });
}

export function Html({ t, lang, data }: { t: Translate; lang: string; data: TestEmailData }) {
  const Inner = templates[data.template].Html;
  return <Inner t={t} lang={lang} data={data.sample} />;
}

export function text(t: Translate, data: TestEmailData) {
  return `${t("emails.testNote")}\n\n${templates[data.template].text(t, data.sample)}`;
}
