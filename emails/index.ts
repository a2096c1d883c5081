// The catalogue of email templates. Each has a subject, an HTML component and a
// plain-text version; all strings come from the message catalog.
import type { ComponentType } from "react";
import type { Translate } from "~/utils/i18n";
import * as invitation from "./invitation";
import * as passwordReset from "./password-reset";

export type EmailTemplate<D> = {
  subject: (t: Translate, data: D) => string;
  Html: ComponentType<{ t: Translate; lang: string; data: D }>;
  text: (t: Translate, data: D) => string;
};

export type TemplateData = {
  "password-reset": passwordReset.PasswordResetData;
  invitation: invitation.InvitationData;
};
export type TemplateName = keyof TemplateData;

export const templates: { [K in TemplateName]: EmailTemplate<TemplateData[K]> } = {
  "password-reset": passwordReset,
  invitation,
};
