// Accounts: creating users, invitations, festival teams and password resets.
import { z } from "zod";
import { audit } from "~/utils/audit.server";
import type { CurrentUser, FestivalRole, GlobalRole } from "~/utils/auth.server";
import { numericCode, randomToken, sha256, timingSafeEqualHex } from "~/utils/crypto.server";
import { prisma } from "~/utils/db.server";
import { enqueueEmail, kickEmailWorker } from "~/utils/email.server";
import { publicUrl } from "~/utils/env.server";
import { isLocale, translate, type Locale } from "~/utils/i18n";
import {
  hashPassword,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  verifyPassword,
} from "~/utils/password.server";
import { email, optionalText } from "~/utils/validation";

import { FESTIVAL_ROLES, GLOBAL_ROLES } from "./choices";

// Routes' components import these from ~/models/choices (this module is server-only).
export { FESTIVAL_ROLES, GLOBAL_ROLES };

export const RESET_CODE_TTL_MS = 10 * 60_000;
export const RESET_MAX_ATTEMPTS = 5;
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

export class ConflictError extends Error {
  constructor(
    public readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function localeOf(value: string | null | undefined, fallback: Locale): Locale {
  return isLocale(value) ? value : fallback;
}

/**
 * Create an account. With a password it is ready to use; without one an
 * invitation is emailed so the person sets their own.
 */
export async function createUser(
  actor: CurrentUser,
  input: z.output<typeof newUserInput>,
  context: { locale: Locale; request?: Request },
) {
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
        details: { role: input.role, invited: !passwordHash },
      },
      tx,
    );
    if (!passwordHash) {
      await createInvitation(tx, {
        email: input.email,
        role: input.role,
        invitedBy: actor,
        locale: context.locale,
        request: context.request,
      });
    }
    return created;
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
    request?: Request;
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
        inviteUrl: `${publicUrl(args.request)}/invite/${token}`,
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

/** Find a live invitation by the token from its link. */
export async function findInvitation(token: string) {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
  const invitation = await prisma.invitation.findUnique({
    where: { tokenHash: sha256(token) },
    include: { festival: { select: { name: true } } },
  });
  if (!invitation || invitation.acceptedAt || invitation.expiresAt < new Date()) return null;
  return invitation;
}

export const acceptInvitationInput = z.object({ name: optionalText({ max: 120 }), password });

/** Accept: set the password (creating the account if needed) and join the festival team. */
export async function acceptInvitation(
  token: string,
  input: z.output<typeof acceptInvitationInput>,
) {
  const invitation = await findInvitation(token);
  if (!invitation) return null;
  const passwordHash = await hashPassword(input.password);
  return prisma.$transaction(async (tx) => {
    const taken = await tx.invitation.updateMany({
      where: { id: invitation.id, acceptedAt: null },
      data: { acceptedAt: new Date() },
    });
    if (taken.count === 0) return null; // accepted concurrently
    const existing = await tx.user.findUnique({
      where: { email: invitation.email },
      select: { id: true },
    });
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
    if (invitation.festivalId && invitation.festivalRole) {
      await tx.festivalMember.upsert({
        where: { festivalId_userId: { festivalId: invitation.festivalId, userId: user.id } },
        create: {
          festivalId: invitation.festivalId,
          userId: user.id,
          role: invitation.festivalRole,
        },
        update: { role: invitation.festivalRole },
      });
    }
    await audit(
      {
        actorUserId: user.id,
        action: "invitation.accept",
        targetType: "invitation",
        targetId: invitation.id,
        festivalId: invitation.festivalId,
      },
      tx,
    );
    return user;
  });
}

// ---------------------------------------------------------------- festival teams

export const memberInput = z
  .object({ email, role: z.enum(FESTIVAL_ROLES, { error: "v.festivalRole" }) })
  .strict();

/**
 * Add someone to a festival's team. An existing account joins at once; an
 * unknown email gets an invitation that adds them when accepted.
 */
export async function addFestivalMember(
  actor: CurrentUser,
  festival: { id: string; name: string },
  input: z.output<typeof memberInput>,
  context: { locale: Locale; request?: Request },
): Promise<{ status: "added" | "invited"; userId?: string }> {
  const user = await prisma.user.findUnique({
    where: { email: input.email },
    select: { id: true, locale: true },
  });
  const result = await prisma.$transaction(async (tx) => {
    if (user) {
      await tx.festivalMember.upsert({
        where: { festivalId_userId: { festivalId: festival.id, userId: user.id } },
        create: { festivalId: festival.id, userId: user.id, role: input.role },
        update: { role: input.role },
      });
      await audit(
        {
          actorUserId: actor.id,
          action: "festival.member.add",
          targetType: "user",
          targetId: user.id,
          festivalId: festival.id,
          details: { role: input.role },
        },
        tx,
      );
      return { status: "added" as const, userId: user.id };
    }
    await createInvitation(tx, {
      email: input.email,
      role: "member",
      invitedBy: actor,
      locale: context.locale,
      request: context.request,
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
    return { status: "invited" as const };
  });
  kickEmailWorker();
  return result;
}

export async function removeFestivalMember(actor: CurrentUser, festivalId: string, userId: string) {
  return prisma.$transaction(async (tx) => {
    const { count } = await tx.festivalMember.deleteMany({ where: { festivalId, userId } });
    if (count) {
      await audit(
        {
          actorUserId: actor.id,
          action: "festival.member.remove",
          targetType: "user",
          targetId: userId,
          festivalId,
        },
        tx,
      );
    }
    return count > 0;
  });
}

// ---------------------------------------------------------------- password reset

/**
 * Email a 6-digit code (valid 10 minutes, single use). Answers the same whether
 * or not the account exists. Rate limits are the caller's (they need the address).
 */
export async function requestPasswordReset(
  emailAddress: string,
  locale: Locale,
  request?: Request,
) {
  const user = await prisma.user.findUnique({
    where: { email: emailAddress },
    select: { id: true, locale: true, disabledAt: true },
  });
  if (!user || user.disabledAt) return;
  const code = numericCode(6);
  await prisma.$transaction(async (tx) => {
    // A new code replaces any earlier one.
    await tx.passwordReset.updateMany({
      where: { userId: user.id, usedAt: null },
      data: { usedAt: new Date() },
    });
    await tx.passwordReset.create({
      data: {
        userId: user.id,
        codeHash: sha256(`${user.id}:${code}`),
        expiresAt: new Date(Date.now() + RESET_CODE_TTL_MS),
      },
    });
    await enqueueEmail(
      {
        to: emailAddress,
        template: "password-reset",
        locale: localeOf(user.locale, locale),
        data: {
          code,
          resetUrl: `${publicUrl(request)}/reset-password?${new URLSearchParams({ email: emailAddress })}`,
        },
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

export const resetInput = z.object({
  email,
  code: z
    .string({ error: "v.resetCode" })
    .trim()
    .regex(/^\d{6}$/, { error: "v.resetCode" }),
  password,
});

/** Check the code and set the new password. All sessions and API tokens of the user end. */
export async function resetPassword(input: z.output<typeof resetInput>): Promise<boolean> {
  const user = await prisma.user.findUnique({
    where: { email: input.email },
    select: { id: true },
  });
  if (!user) return false;
  const reset = await prisma.passwordReset.findFirst({
    where: { userId: user.id, usedAt: null, expiresAt: { gt: new Date() } },
    orderBy: { createdAt: "desc" },
  });
  if (!reset || reset.attempts >= RESET_MAX_ATTEMPTS) return false;
  if (!timingSafeEqualHex(reset.codeHash, sha256(`${user.id}:${input.code}`))) {
    await prisma.passwordReset.update({
      where: { id: reset.id },
      data: { attempts: { increment: 1 } },
    });
    return false;
  }
  const passwordHash = await hashPassword(input.password);
  return prisma.$transaction(async (tx) => {
    const used = await tx.passwordReset.updateMany({
      where: { id: reset.id, usedAt: null },
      data: { usedAt: new Date() },
    });
    if (used.count === 0) return false;
    await tx.user.update({ where: { id: user.id }, data: { passwordHash } });
    await tx.session.deleteMany({ where: { userId: user.id } });
    await tx.apiToken.updateMany({
      where: { userId: user.id, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    await audit(
      { actorUserId: user.id, action: "password.reset", targetType: "user", targetId: user.id },
      tx,
    );
    return true;
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
  const user = await prisma.user.upsert({
    where: { email: parsedEmail.data },
    create: { email: parsedEmail.data, role: "admin", passwordHash, name: "Admin" },
    update: { role: "admin", passwordHash, disabledAt: null },
    select: { id: true },
  });
  await audit({ actorUserId: null, action: "admin.ensure", targetType: "user", targetId: user.id });
  return user;
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
    await tx.session.deleteMany({
      where: { userId: actor.id, ...(keepSessionId ? { id: { not: keepSessionId } } : {}) },
    });
    await tx.apiToken.updateMany({
      where: { userId: actor.id, revokedAt: null },
      data: { revokedAt: new Date() },
    });
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
