// The catalogue of email templates. Each has a subject, an HTML component and a
// plain-text version; all strings come from the message catalog. A template may
// `load` its data from the database at sending time (the outbox row then holds
// only an id) and add `attachments` (inline images referenced by cid).
import type { ComponentType } from "react";
import type { Translate } from "~/utils/i18n";
import * as invitation from "./invitation";
import * as orderCancelled from "./order-cancelled";
import * as orderConfirmation from "./order-confirmation";
import * as passwordReset from "./password-reset";
import * as tattooReminder from "./tattoo-reminder";
import * as tattooCancelled from "./tattoo-cancelled";
import * as tattooMoved from "./tattoo-moved";
import * as tattooWaitlistJoined from "./tattoo-waitlist-joined";
import * as tattooWaitlistOffer from "./tattoo-waitlist-offer";
import * as testEmail from "./test-email";

/** An inline image (referenced by `cid`) or a file to open, such as a calendar (.ics) file. */
export type Attachment = { filename: string; content: Buffer; contentType: string; cid?: string };

export type EmailTemplate<P, D = P> = {
  load?: (payload: P, locale: string) => Promise<D>;
  attachments?: (data: D) => Promise<Attachment[]>;
  subject: (t: Translate, data: D) => string;
  Html: ComponentType<{ t: Translate; lang: string; data: D }>;
  text: (t: Translate, data: D) => string;
};

/** What the outbox row stores for each template. */
export type TemplateData = {
  "password-reset": passwordReset.PasswordResetData;
  invitation: invitation.InvitationData;
  "order-confirmation": orderConfirmation.OrderEmailPayload;
  "order-cancelled": orderConfirmation.OrderEmailPayload;
  "tattoo-reminder": tattooReminder.TattooReminderPayload;
  "tattoo-cancelled": tattooCancelled.TattooCancelledPayload;
  "tattoo-moved": tattooMoved.TattooMovedPayload;
  "tattoo-waitlist-joined": tattooWaitlistJoined.TattooWaitlistJoinedPayload;
  "tattoo-waitlist-offer": tattooWaitlistOffer.TattooWaitlistOfferPayload;
  /** A template's test with its sample data, to the organiser who asked (emails/test-email.tsx). */
  "test-email": testEmail.TestEmailPayload;
};
export type TemplateName = keyof TemplateData;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each entry's data type differs; TemplateData ties payloads to names
export const templates: { [K in TemplateName]: EmailTemplate<TemplateData[K], any> } = {
  "password-reset": passwordReset,
  invitation,
  "order-confirmation": orderConfirmation,
  "order-cancelled": orderCancelled,
  "tattoo-reminder": tattooReminder,
  "tattoo-cancelled": tattooCancelled,
  "tattoo-moved": tattooMoved,
  "tattoo-waitlist-joined": tattooWaitlistJoined,
  "tattoo-waitlist-offer": tattooWaitlistOffer,
  "test-email": testEmail,
};

/** The templates people receive, each previewed with sample data (not the test wrapper itself). */
export const PREVIEWED_TEMPLATES = (Object.keys(templates) as TemplateName[]).filter(
  (name) => name !== "test-email",
);
