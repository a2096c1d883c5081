// Accounts: creating users, invitations, festival teams and password resets.
import { z } from "zod";
import { audit, enqueueEmail } from "~/utils/change.server";
import type { CurrentUser, FestivalRole, GlobalRole } from "~/utils/auth.server";
import { randomToken, sha256 } from "~/utils/crypto.server";
import { prisma } from "~/utils/db.server";
import { kickEmailWorker } from "~/utils/email.server";
import { DomainError } from "~/utils/domain-error";
import { publicUrl } from "~/utils/env.server";
import { enrolAtCreation, SecondFactorRequiredError } from "~/utils/two-factor.server";
import { isLocale, translate, type Locale } from "~/utils/i18n";
import {
  hashPassword,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  verifyPassword,
} from "~/utils/password.server";
import { email, optionalText } from "~/utils/validation";

import { FESTIVAL_ROLES, GLOBAL_ROLES, RESET_LINK_MINUTES } from "./choices";
import { revokeDevicesOf } from "./door.server";

// Routes' components import these from ~/models/choices (this module is server-only).
export { FESTIVAL_ROLES, GLOBAL_ROLES };

/** Longer than the window of the per-account email limit, so a recent link always works (decision 0015). */
const RESET_LINK_TTL_MS = RESET_LINK_MINUTES * 60_000;
export const INVITATION_TTL_MS = 7 * 24 * 60 * 60_000;

export const password = z
  .string({ error: "v.password" })
  .min(PASSWORD_MIN_LENGTH, { error: `v.minLength|${PASSWORD_MIN_LENGTH}` })
  .max(PASSWORD_MAX_LENGTH, { error: `v.maxLength|${PASSWORD_MAX_LENGTH}` });

export const newUserInput = z
  .object({
    email,
    name: optionalText({ max: 120 }),
    role: z.enum(GLOBAL_ROLES, { error: "v.globalRole" }),
    password: password.optional(),
  })
  .strict();

/** The record already exists or clashes with another (409 with the code given). */
export class ConflictError extends DomainError {
  constructor(code: string, message: string) {
    super(409, code, message);
  }
}

/**
 * An organiser tried to change the team standing of the festival's creator or
 * of an admin: only admins may (the API answers 403 `protected_member`).
 */
export class ProtectedMemberError extends DomainError {
  constructor() {
    super(
      403,
      "protected_member",
      "The festival's creator and administrators keep their role: only an administrator can change it.",
    );
  }
}

function localeOf(value: string | null | undefined, fallback: Locale): Locale {
  return isLocale(value) ? value : fallback;
}

/**
 * Create an account. With a password it is ready to use; without one an
 * invitation is emailed so the person sets their own. `enrolSecondFactor`
 * (the API): a treasurer or admin is created with a second factor enrolled and
 * its base32 `totpSecret` is returned, once (decision 0035).
 */
export async function createUser(
  actor: CurrentUser,
  input: z.output<typeof newUserInput>,
  context: { locale: Locale; enrolSecondFactor?: boolean },
): Promise<{ id: string; totpSecret?: string }> {
  const enrol = context.enrolSecondFactor === true && input.role !== "member";
  // An admin with a second factor proves it before making another money role.
  if (enrol && actor.totpEnrolled && !actor.secondFactor) throw new SecondFactorRequiredError();
  const existing = await prisma.user.findUnique({
    where: { email: input.email },
    select: { id: true },
  });
  if (existing)
    throw new ConflictError("email_taken", "An account with this email already exists.");
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  const user = await prisma.$transaction(async (tx) => {
    const created = await tx.user.create({
      data: { email: input.email, name: input.name ?? null, role: input.role, passwordHash },
      select: { id: true },
    });
    await audit(
      {
        actorUserId: actor.id,
        action: "user.create",
        targetType: "user",
        targetId: created.id,
        details: {
          role: input.role,
          invited: !passwordHash,
          ...(enrol ? { secondFactor: true } : {}),
        },
      },
      tx,
    );
    if (!passwordHash) {
      await createInvitation(tx, {
        email: input.email,
        role: input.role,
        invitedBy: actor,
        locale: context.locale,
      });
    }
    if (enrol) return { id: created.id, totpSecret: await enrolAtCreation(tx, created.id) };
    return { id: created.id };
  });
  kickEmailWorker();
  return user;
}

type Tx = Parameters<Parameters<typeof prisma.$transaction>[0]>[0];

async function createInvitation(
  tx: Tx,
  args: {
    email: string;
    role: GlobalRole;
    invitedBy: CurrentUser;
    locale: Locale;
    festival?: { id: string; name: string };
    festivalRole?: FestivalRole;
  },
) {
  const token = randomToken(32);
  await tx.invitation.create({
    data: {
      email: args.email,
      role: args.role,
      festivalId: args.festival?.id ?? null,
      festivalRole: args.festivalRole ?? null,
      tokenHash: sha256(token),
      invitedById: args.invitedBy.id,
      expiresAt: new Date(Date.now() + INVITATION_TTL_MS),
    },
  });
  await enqueueEmail(
    {
      to: args.email,
      template: "invitation",
      locale: args.locale,
      data: {
        inviteUrl: `${publicUrl()}/invite/${token}`,
        inviterName: args.invitedBy.name ?? args.invitedBy.email,
        festivalName: args.festival?.name,
        role: args.festivalRole
          ? translate(args.locale, args.festivalRole === "door" ? "role.door" : "role.organiser")
          : "",
      },
    },
    tx,
  );
}

/**
 * Find a live invitation by the token from its link, with whether its address
 * already has an account with a password (that account accepts by signing in;
 * the link never sets its password). Only the link's holder learns this.
 */
export async function findInvitation(token: string) {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
  const invitation = await prisma.invitation.findUnique({
    where: { tokenHash: sha256(token) },
    include: { festival: { select: { name: true, createdById: true } } },
  });
  if (!invitation || invitation.acceptedAt || invitation.expiresAt < new Date()) return null;
  const account = await prisma.user.findUnique({
    where: { email: invitation.email },
    select: { passwordHash: true },
  });
  return { ...invitation, hasAccount: Boolean(account?.passwordHash) };
}

type LiveInvitation = NonNullable<Awaited<ReturnType<typeof findInvitation>>>;

export const acceptInvitationInput = z.object({ name: optionalText({ max: 120 }), password });

/** The address already has an account: accept by signing in as it (the link sets no password). */
export class SignInToAcceptError extends DomainError {
  constructor(readonly email: string) {
    super(403, "sign_in_to_accept", "This address already has an account: sign in to accept.");
  }
}

/**
 * Accept as a newcomer (or an account that never chose a password): set the
 * password, creating the account if needed, and join the festival team.
 */
export async function acceptInvitation(
  token: string,
  input: z.output<typeof acceptInvitationInput>,
) {
  const invitation = await findInvitation(token);
  if (!invitation) return null;
  if (invitation.hasAccount) throw new SignInToAcceptError(invitation.email);
  const passwordHash = await hashPassword(input.password);
  return prisma.$transaction(async (tx) => {
    if (!(await takeInvitation(tx, invitation))) return null;
    const existing = await tx.user.findUnique({
      where: { email: invitation.email },
      select: { id: true, passwordHash: true },
    });
    if (existing?.passwordHash) throw new SignInToAcceptError(invitation.email); // set concurrently
    const user = existing
      ? await tx.user.update({
          where: { id: existing.id },
          data: { passwordHash, ...(input.name ? { name: input.name } : {}) },
          select: { id: true },
        })
      : await tx.user.create({
          data: {
            email: invitation.email,
            name: input.name ?? null,
            role: invitation.role,
            passwordHash,
          },
          select: { id: true },
        });
    await joinTeam(tx, invitation, user.id);
    return user;
  });
}

/**
 * Accept as the signed-in account the invitation was sent to (confirmed on the
 * invitation page): join the festival team. Null when the link is dead; 403
 * when signed in as someone else.
 */
export async function acceptInvitationAs(token: string, user: CurrentUser) {
  const invitation = await findInvitation(token);
  if (!invitation) return null;
  if (invitation.email !== user.email)
    throw DomainError.forbidden("This invitation is for another address.");
  return prisma.$transaction(async (tx) => {
    if (!(await takeInvitation(tx, invitation))) return null;
    await joinTeam(tx, invitation, user.id);
    return { id: user.id };
  });
}

/** Mark the invitation used; false when it was accepted concurrently. */
async function takeInvitation(tx: Tx, invitation: LiveInvitation) {
  const taken = await tx.invitation.updateMany({
    where: { id: invitation.id, acceptedAt: null },
    data: { acceptedAt: new Date() },
  });
  return taken.count > 0;
}

/**
 * The membership an accepted invitation creates (the only way onto a team
 * besides creating the festival). The festival's creator stays organiser;
 * an organiser who accepts a door invitation is demoted, with their devices.
 */
async function joinTeam(tx: Tx, invitation: LiveInvitation, userId: string) {
  if (invitation.festivalId && invitation.festivalRole) {
    const festivalId = invitation.festivalId;
    const role =
      invitation.festival?.createdById === userId ? "organiser" : invitation.festivalRole;
    const before = await tx.festivalMember.findUnique({
      where: { festivalId_userId: { festivalId, userId } },
      select: { role: true },
    });
    await tx.festivalMember.upsert({
      where: { festivalId_userId: { festivalId, userId } },
      create: { festivalId, userId, role },
      update: { role },
    });
    if (before?.role === "organiser" && role === "door")
      await revokeDevicesOf(tx, { id: userId }, userId, "member.demote", festivalId);
  }
  await audit(
    {
      actorUserId: userId,
      action: "invitation.accept",
      targetType: "invitation",
      targetId: invitation.id,
      festivalId: invitation.festivalId,
    },
    tx,
  );
}

// ---------------------------------------------------------------- festival teams

export const memberInput = z
  .object({ email, role: z.enum(FESTIVAL_ROLES, { error: "v.festivalRole" }) })
  .strict();

type TeamFestival = { id: string; name: string; createdById: string | null };

/** Only admins change the standing of the festival's creator or of an admin. */
function refuseIfProtected(
  actor: CurrentUser,
  festival: TeamFestival,
  target: { id: string; role: string },
) {
  if (actor.role !== "admin" && (target.role === "admin" || target.id === festival.createdById))
    throw new ProtectedMemberError();
}

/**
 * Put someone on a festival's team, or change the role of someone already on
 * it. Anyone not on the team is invited — whether or not the address has an
 * account, with the same answer, the same email and the same work — and joins
 * only by accepting. A member's role changes at once (a demotion to door staff
 * ends the devices they set up); the creator's and admins' only by an admin.
 */
export async function addFestivalMember(
  actor: CurrentUser,
  festival: TeamFestival,
  input: z.output<typeof memberInput>,
  context: { locale: Locale },
): Promise<{ status: "invited" } | { status: "updated"; userId: string; role: FestivalRole }> {
  const member = await prisma.festivalMember.findFirst({
    where: { festivalId: festival.id, user: { email: input.email } },
    select: { role: true, user: { select: { id: true, role: true } } },
  });
  if (member) {
    refuseIfProtected(actor, festival, member.user);
    const userId = member.user.id;
    await prisma.$transaction(async (tx) => {
      await tx.festivalMember.update({
        where: { festivalId_userId: { festivalId: festival.id, userId } },
        data: { role: input.role },
      });
      await audit(
        {
          actorUserId: actor.id,
          action: "festival.member.role",
          targetType: "user",
          targetId: userId,
          festivalId: festival.id,
          details: { from: member.role, to: input.role },
        },
        tx,
      );
      if (member.role === "organiser" && input.role === "door")
        await revokeDevicesOf(tx, actor, userId, "member.demote", festival.id);
    });
    return { status: "updated", userId, role: input.role };
  }
  await prisma.$transaction(async (tx) => {
    // A new invitation replaces the address's earlier ones to this team.
    await tx.invitation.deleteMany({
      where: { festivalId: festival.id, email: input.email, acceptedAt: null },
    });
    await createInvitation(tx, {
      email: input.email,
      role: "member",
      invitedBy: actor,
      locale: context.locale,
      festival,
      festivalRole: input.role,
    });
    await audit(
      {
        actorUserId: actor.id,
        action: "festival.member.invite",
        targetType: "invitation",
        festivalId: festival.id,
        details: { role: input.role },
      },
      tx,
    );
  });
  kickEmailWorker();
  return { status: "invited" };
}

/** Take someone off the team; the devices they set up for this festival end with it. */
export async function removeFestivalMember(
  actor: CurrentUser,
  festival: TeamFestival,
  userId: string,
) {
  const member = await prisma.festivalMember.findUnique({
    where: { festivalId_userId: { festivalId: festival.id, userId } },
    select: { user: { select: { id: true, role: true } } },
  });
  if (!member) return false;
  refuseIfProtected(actor, festival, member.user);
  return prisma.$transaction(async (tx) => {
    const { count } = await tx.festivalMember.deleteMany({
      where: { festivalId: festival.id, userId },
    });
    if (count) {
      await audit(
        {
          actorUserId: actor.id,
          action: "festival.member.remove",
          targetType: "user",
          targetId: userId,
          festivalId: festival.id,
        },
        tx,
      );
      await revokeDevicesOf(tx, actor, userId, "member.remove", festival.id);
    }
    return count > 0;
  });
}

// ---------------------------------------------------------------- accounts (admins)

/** An admin acting on their own account here (disable, delete) would lock themselves out. */
export class SelfActionError extends DomainError {
  constructor() {
    super(400, "self_action", "You cannot do this to your own account here.");
  }
}

/** End an account's sessions (but `keepSessionId`) and API tokens, inside `tx`. */
async function endSignIns(tx: Tx, userId: string, keepSessionId?: string | null) {
  await tx.session.deleteMany({
    where: { userId, ...(keepSessionId ? { id: { not: keepSessionId } } : {}) },
  });
  await tx.apiToken.updateMany({
    where: { userId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
}

/**
 * Disable an account (or enable it again). Disabling signs it out everywhere,
 * ends its API tokens and the door devices it set up, in one transaction.
 */
export async function setUserDisabled(actor: CurrentUser, userId: string, disabled: boolean) {
  if (userId === actor.id) throw new SelfActionError();
  return prisma.$transaction(async (tx) => {
    const { count } = await tx.user.updateMany({
      where: { id: userId, disabledAt: disabled ? null : { not: null } },
      data: { disabledAt: disabled ? new Date() : null },
    });
    if (count === 0) return false;
    if (disabled) {
      await endSignIns(tx, userId);
      await revokeDevicesOf(tx, actor, userId, "account.disable");
    }
    await audit(
      {
        actorUserId: actor.id,
        action: disabled ? "user.disable" : "user.enable",
        targetType: "user",
        targetId: userId,
      },
      tx,
    );
    return true;
  });
}

/**
 * Delete an account: its sessions, tokens and memberships go with it; the
 * door devices it set up are revoked first (they stay listed, by nobody).
 */
export async function deleteUser(actor: CurrentUser, userId: string) {
  if (userId === actor.id) throw new SelfActionError();
  return prisma.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { id: userId }, select: { id: true } });
    if (!user) return false;
    await revokeDevicesOf(tx, actor, userId, "account.delete");
    await tx.user.delete({ where: { id: userId } });
    await audit(
      { actorUserId: actor.id, action: "user.delete", targetType: "user", targetId: userId },
      tx,
    );
    return true;
  });
}

// ---------------------------------------------------------------- password reset

const RESET_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Email a reset link (valid RESET_LINK_TTL_MS, single use) carrying only an
 * opaque 256-bit token. Earlier links stay valid until they expire or one is
 * used, so requests made by others cannot spoil the owner's link. Answers the
 * same whether or not the account exists. Rate limits are the caller's (they
 * need the address).
 */
export async function requestPasswordReset(emailAddress: string, locale: Locale) {
  const user = await prisma.user.findUnique({
    where: { email: emailAddress },
    select: { id: true, locale: true, disabledAt: true },
  });
  if (!user || user.disabledAt) return;
  const token = randomToken(32);
  await prisma.$transaction(async (tx) => {
    await tx.passwordReset.create({
      data: {
        userId: user.id,
        tokenHash: sha256(token),
        expiresAt: new Date(Date.now() + RESET_LINK_TTL_MS),
      },
    });
    await enqueueEmail(
      {
        to: emailAddress,
        template: "password-reset",
        locale: localeOf(user.locale, locale),
        data: { resetUrl: `${publicUrl()}/reset-password/${token}` },
      },
      tx,
    );
    await audit(
      {
        actorUserId: user.id,
        action: "password.reset.request",
        targetType: "user",
        targetId: user.id,
      },
      tx,
    );
  });
  kickEmailWorker();
}

function liveResetWhere(token: string) {
  return { tokenHash: sha256(token), usedAt: null, expiresAt: { gt: new Date() } };
}

/** Whether a reset link's token is live (unknown, used and expired tokens are not). */
export async function isPasswordResetLive(token: string): Promise<boolean> {
  if (!RESET_TOKEN.test(token)) return false;
  return (await prisma.passwordReset.count({ where: liveResetWhere(token) })) > 0;
}

export const resetInput = z.object({ password });

/**
 * Complete a reset: use the link once and set the new password. Every other
 * reset link, session and API token of the person ends. Returns the account's
 * email (for the caller's rate limits), or null for a dead or unknown link.
 */
export async function completePasswordReset(
  token: string,
  input: z.output<typeof resetInput>,
): Promise<{ userId: string; email: string } | null> {
  if (!RESET_TOKEN.test(token)) return null;
  const reset = await prisma.passwordReset.findFirst({
    where: liveResetWhere(token),
    select: { id: true, user: { select: { id: true, email: true, disabledAt: true } } },
  });
  if (!reset || reset.user.disabledAt) return null;
  const user = reset.user;
  const passwordHash = await hashPassword(input.password);
  return prisma.$transaction(async (tx) => {
    const used = await tx.passwordReset.updateMany({
      where: { id: reset.id, usedAt: null },
      data: { usedAt: new Date() },
    });
    if (used.count === 0) return null; // used concurrently
    await tx.passwordReset.updateMany({
      where: { userId: user.id, usedAt: null },
      data: { usedAt: new Date() },
    });
    await tx.user.update({ where: { id: user.id }, data: { passwordHash } });
    await endSignIns(tx, user.id);
    await revokeDevicesOf(tx, { id: user.id }, user.id, "password.reset");
    await audit(
      { actorUserId: user.id, action: "password.reset", targetType: "user", targetId: user.id },
      tx,
    );
    return { userId: user.id, email: user.email };
  });
}

/** Create or update the admin named by ADMIN_EMAIL/ADMIN_PASSWORD (at start). */
export async function ensureAdmin(emailAddress: string, plainPassword: string) {
  const parsedEmail = email.safeParse(emailAddress);
  if (!parsedEmail.success) throw new Error("ADMIN_EMAIL is not a valid email address.");
  const parsedPassword = password.safeParse(plainPassword);
  if (!parsedPassword.success)
    throw new Error(`ADMIN_PASSWORD: ${parsedPassword.error.issues[0]?.message ?? "invalid"}`);
  const passwordHash = await hashPassword(parsedPassword.data);
  const existing = await prisma.user.findUnique({
    where: { email: parsedEmail.data },
    select: { id: true },
  });
  const user = await prisma.$transaction(async (tx) => {
    const upserted = await tx.user.upsert({
      where: { email: parsedEmail.data },
      create: { email: parsedEmail.data, role: "admin", passwordHash, name: "Admin" },
      update: { role: "admin", passwordHash, disabledAt: null },
      select: { id: true },
    });
    await audit(
      { actorUserId: null, action: "admin.ensure", targetType: "user", targetId: upserted.id },
      tx,
    );
    return upserted;
  });
  return { ...user, created: !existing };
}

// ---------------------------------------------------------------- own account

export const profileInput = z.object({ name: optionalText({ max: 120 }) });

export async function updateProfile(actor: CurrentUser, input: z.output<typeof profileInput>) {
  await prisma.user.update({ where: { id: actor.id }, data: { name: input.name ?? null } });
}

export const passwordChangeInput = z.object({
  currentPassword: z
    .string({ error: "v.password" })
    .min(1, { error: "v.required" })
    .max(PASSWORD_MAX_LENGTH, { error: `v.maxLength|${PASSWORD_MAX_LENGTH}` }),
  password,
});

/**
 * Change one's own password (the current one is required). Every other session
 * and all API tokens end; the session making the change stays.
 */
export async function changePassword(
  actor: CurrentUser,
  input: z.output<typeof passwordChangeInput>,
  keepSessionId: string | null,
) {
  const row = await prisma.user.findUniqueOrThrow({
    where: { id: actor.id },
    select: { passwordHash: true },
  });
  if (!(await verifyPassword(row.passwordHash, input.currentPassword))) return false;
  const passwordHash = await hashPassword(input.password);
  await prisma.$transaction(async (tx) => {
    await tx.user.update({ where: { id: actor.id }, data: { passwordHash } });
    await endSignIns(tx, actor.id, keepSessionId);
    await audit(
      { actorUserId: actor.id, action: "password.change", targetType: "user", targetId: actor.id },
      tx,
    );
  });
  return true;
}

/** Remember a signed-in person's language (for the emails we send them). */
export async function setPreferredLocale(userId: string, locale: Locale) {
  await prisma.user.update({ where: { id: userId }, data: { locale } });
}
