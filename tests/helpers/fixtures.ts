// Data builders for tests: accounts, tokens and festivals made through the
// app's own domain modules, against the test file's database.
import { acceptInvitationAs, addFestivalMember } from "~/models/user.server";
import type { CurrentUser, GlobalRole } from "~/utils/auth.server";
import { randomToken, sha256 } from "~/utils/crypto.server";
import { hashPassword } from "~/utils/password.server";
import { prisma } from "~/utils/db.server";
import { openPrivateKey, signTicketToken } from "~/utils/ticket-signing.server";
import { ticketTokenPayload } from "~/utils/ticket-token";
import { Client } from "./app";

export const PASSWORD = "correct horse battery staple";

let counter = 0;
export function uniqueEmail(prefix = "user") {
  counter++;
  return `${prefix}-${counter}-${Date.now().toString(36)}@example.test`;
}

let cachedHash: Promise<string> | undefined;

export async function createUserRow(
  options: { email?: string; role?: "admin" | "treasurer" | "member"; name?: string } = {},
) {
  cachedHash ??= hashPassword(PASSWORD);
  return prisma.user.create({
    data: {
      email: options.email ?? uniqueEmail(options.role ?? "member"),
      name: options.name ?? null,
      role: options.role ?? "member",
      passwordHash: await cachedHash,
    },
  });
}

function asCurrentUser(user: {
  id: string;
  email: string;
  name: string | null;
  role: string;
}): CurrentUser {
  return { ...user, role: user.role as GlobalRole, locale: null, memberships: [] };
}

let inviter: Promise<CurrentUser> | undefined;

/**
 * Put an existing account on a festival's team the way people join: invited
 * (by the festival's creator, else an admin) through the domain module, then
 * accepted by the person with the link from the invitation email in the
 * outbox. The one way tests add members; someone already on the team just
 * gets the role.
 */
export async function addMember(festivalId: string, userId: string, role: "organiser" | "door") {
  const festival = await prisma.festival.findUniqueOrThrow({ where: { id: festivalId } });
  const person = await prisma.user.findUniqueOrThrow({ where: { id: userId } });
  const creator = festival.createdById
    ? await prisma.user.findUnique({ where: { id: festival.createdById } })
    : null;
  inviter ??= createUserRow({ role: "admin", name: "Test Inviter" }).then(asCurrentUser);
  const by = creator?.role === "admin" ? asCurrentUser(creator) : await inviter;
  const result = await addFestivalMember(
    by,
    festival,
    { email: person.email, role },
    { locale: "en" },
  );
  if (result.status === "updated") return;
  const mail = await prisma.outboxEmail.findFirstOrThrow({
    where: { to: person.email, template: "invitation" },
    orderBy: { createdAt: "desc" },
  });
  const link = (JSON.parse(mail.payload) as { inviteUrl: string }).inviteUrl;
  const token = /\/invite\/([A-Za-z0-9_-]+)$/.exec(link)?.[1];
  if (!token || !(await acceptInvitationAs(token, asCurrentUser(person))))
    throw new Error(`the invitation of ${person.email} could not be accepted`);
}

export function festivalBody(overrides: Record<string, unknown> = {}) {
  return {
    name: "Solidarity Festival Test",
    city: "Riga",
    country: "LV",
    venueName: "Test hall",
    venueAddress: "Test street 1",
    mapUrl: "https://www.openstreetmap.org/search?query=Riga",
    timezone: "Europe/Riga",
    currency: "EUR",
    startsAt: "2030-01-26T15:00:00+02:00",
    endsAt: "2030-01-26T23:00:00+02:00",
    languages: ["en", "ru"],
    description: { en: "Talks and music.", ru: "Разговоры и музыка." },
    ...overrides,
  };
}

/** A festival row made directly (status and dates as given). */
export async function createFestivalRow(
  overrides: Partial<Parameters<typeof prisma.festival.create>[0]["data"]> = {},
) {
  counter++;
  return prisma.festival.create({
    data: {
      slug: `festival-${counter}-${Date.now().toString(36)}`,
      name: `Festival ${counter}`,
      city: "Riga",
      country: "LV",
      venueName: "Hall",
      venueAddress: "Street 1",
      timezone: "Europe/Riga",
      currency: "EUR",
      startsAt: new Date("2030-01-26T13:00:00Z"),
      endsAt: new Date("2030-01-26T21:00:00Z"),
      languages: JSON.stringify(["en", "ru"]),
      description: JSON.stringify({ en: "About" }),
      status: "draft",
      ...overrides,
    },
  });
}

/** A prisoner in the registry (names per language), supported by `festivalIds`. */
/** A ticket type row named "Standard" (any language) with a price and a capacity. */
export async function createTicketTypeRow(
  festivalId: string,
  priceMinor: number,
  capacity: number,
  name: Record<string, string> = { "*": "Standard" },
) {
  return prisma.ticketType.create({
    data: { festivalId, name: JSON.stringify(name), priceMinor, capacity },
  });
}

export async function createPrisonerRow(
  slug: string,
  name: Record<string, string>,
  festivalIds: string[] = [],
) {
  const prisoner = await prisma.prisoner.create({ data: { slug, name: JSON.stringify(name) } });
  if (festivalIds.length)
    await prisma.festivalPrisoner.createMany({
      data: festivalIds.map((festivalId) => ({ festivalId, prisonerId: prisoner.id })),
    });
  return prisoner;
}

/** Sign a browser client in through the real form. */
export async function signedInClient(base: string, email: string, password = PASSWORD) {
  const client = new Client(base);
  const res = await client.postForm("/login", { email, password, redirectTo: "/admin" });
  if (res.status !== 302)
    throw new Error(`sign-in failed for ${email}: ${res.status} ${res.text.slice(0, 200)}`);
  return client;
}

/** An admin account with an API token and a signed-in browser client, made through the real endpoints. */
export async function signedInAdmin(base: string, name?: string) {
  const user = await createUserRow({ role: "admin", ...(name ? { name } : {}) });
  const token = await apiToken(base, user.email);
  return { user, token, browser: await signedInClient(base, user.email) };
}

/** A door device for a festival through the API (`token`: an organiser's): its id and one-time token. */
export async function createDoorDeviceViaApi(
  client: Client,
  token: string,
  festivalId: string,
  name = "Door",
) {
  const res = await client.api(
    "POST",
    `/api/v1/festivals/${festivalId}/door-devices`,
    { name },
    token,
  );
  if (res.status !== 201) throw new Error(`device refused: ${res.status} ${res.text}`);
  return res.json<{ id: string; token: string }>();
}

/** Get an API token through the real endpoint. */
export async function apiToken(base: string, email: string, password = PASSWORD) {
  const res = await new Client(base).api("POST", "/api/v1/tokens", { email, password });
  if (res.status !== 201) throw new Error(`token failed for ${email}: ${res.status} ${res.text}`);
  return res.json<{ token: string }>().token;
}

export type DoorTicket = {
  id: string;
  qrToken: string;
  orderId: string;
  /** The order's short code (what people read out at the door). */
  orderCode: string;
};

/**
 * One pay-at-the-door ticket, bought through the public checkout API. `paid`
 * (the default) settles it in the database so it can be admitted at once;
 * `paid: false` leaves its price due at the door. `name` is the buyer's name.
 */
export async function buyDoorTicket(
  client: Client,
  festivalId: string,
  ticketTypeId: string,
  options: { email?: string; name?: string; paid?: boolean } = {},
): Promise<DoorTicket> {
  const res = await client.api("POST", `/api/v1/festivals/${festivalId}/orders`, {
    items: [{ ticketTypeId, quantity: 1 }],
    email: options.email ?? uniqueEmail("door-buyer"),
    ...(options.name === undefined ? {} : { name: options.name }),
    paymentMethod: "door",
  });
  if (res.status !== 201) throw new Error(`order refused: ${res.status} ${res.text}`);
  const order = res.json<{
    id: string;
    code: string;
    tickets: { id: string; qrToken: string }[];
  }>();
  if (options.paid ?? true)
    await prisma.ticket.updateMany({ where: { orderId: order.id }, data: { amountDueMinor: 0 } });
  const ticket = order.tickets[0]!;
  return { id: ticket.id, qrToken: ticket.qrToken, orderId: order.id, orderCode: order.code };
}

/**
 * A published festival that takes payment at the door (or `paymentMethods`), with one ticket type
 * (English and Russian names), made through the API as `organiserToken`'s user.
 */
export async function doorFestival(
  client: Client,
  organiserToken: string,
  options: {
    name?: string;
    typeName?: { en: string; ru: string };
    priceMinor?: number;
    paymentMethods?: string[];
  } = {},
): Promise<{ id: string; slug: string; typeId: string }> {
  const f = await client.api(
    "POST",
    "/api/v1/festivals",
    festivalBody({
      ...(options.name ? { name: options.name } : {}),
      paymentMethods: options.paymentMethods ?? ["door"],
    }),
    organiserToken,
  );
  if (f.status !== 201) throw new Error(`festival refused: ${f.status} ${f.text}`);
  const { id, slug } = f.json<{ id: string; slug: string }>();
  const p = await client.api("POST", `/api/v1/festivals/${id}/publish`, undefined, organiserToken);
  if (p.status >= 300) throw new Error(`publish refused: ${p.status} ${p.text}`);
  const t = await client.api(
    "POST",
    `/api/v1/festivals/${id}/ticket-types`,
    {
      name: options.typeName ?? { en: "Standard", ru: "Стандарт" },
      priceMinor: options.priceMinor ?? 1500,
      capacity: 1000,
    },
    organiserToken,
  );
  if (t.status !== 201) throw new Error(`ticket type refused: ${t.status} ${t.text}`);
  return { id, slug, typeId: t.json<{ id: string }>().id };
}

/** A genuine token for an existing ticket, signed with its festival's key, valid only from tomorrow. */
export async function tokenValidFromTomorrow(ticketId: string) {
  const ticket = await prisma.ticket.findUniqueOrThrow({ where: { id: ticketId } });
  const key = await prisma.festivalKey.findUniqueOrThrow({
    where: { festivalId: ticket.festivalId },
  });
  return signTicketToken(
    openPrivateKey(ticket.festivalId, key.privateKeySealed),
    ticketTokenPayload({
      ticketId: ticket.id,
      ticketTypeId: ticket.ticketTypeId,
      festivalId: ticket.festivalId,
      notBefore: Date.now() + 86_400_000,
      notAfter: Date.now() + 2 * 86_400_000,
    }),
  );
}

/** The path of a live password-reset link for `userId` (as the reset email would carry it). */
export async function liveResetPath(userId: string) {
  const token = randomToken(32);
  await prisma.passwordReset.create({
    data: { userId, tokenHash: sha256(token), expiresAt: new Date(Date.now() + 600_000) },
  });
  return `/reset-password/${token}`;
}
