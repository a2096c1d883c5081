// An order as people see it: the buyer's order page, the confirmation email,
// the organiser's order detail.
import { prisma } from "~/utils/db.server";
import { parseJsonObject, publicFestival } from "./festival.server";
import { orderTattoos } from "./tattoo-booking.server";
import { pickLanguage } from "./ticket-type.server";
import { formatDateTime } from "~/utils/format";
import { isLocale } from "~/utils/i18n";

/** The shape of an order's link token (anything else is not looked up). */
export function isOrderAccessToken(token: string) {
  return /^[A-Za-z0-9_-]{20,64}$/.test(token);
}

export async function getOrderView(
  where: { id: string } | { accessToken: string },
  locale: string,
) {
  if ("accessToken" in where && !isOrderAccessToken(where.accessToken)) return null;
  const order = await prisma.order.findUnique({
    where,
    include: {
      festival: true,
      items: { include: { ticketType: { select: { name: true } } } },
      tickets: {
        orderBy: { createdAt: "asc" },
        include: { ticketType: { select: { name: true } } },
      },
    },
  });
  if (!order) return null;
  const prisonerIds = order.items.map((i) => i.prisonerId).filter((x): x is string => Boolean(x));
  const prisoners = prisonerIds.length
    ? await prisma.prisoner.findMany({
        where: { id: { in: prisonerIds } },
        select: { id: true, name: true },
      })
    : [];
  const prisonerName = new Map(prisoners.map((p) => [p.id, pickLanguage(p.name, locale)]));
  // A tattoo line is named by its artist and its time in the festival's zone.
  const tattoos = order.items.some((i) => i.kind === "tattoo_slot")
    ? new Map((await orderTattoos(order.id)).map((b) => [b.orderItemId, b]))
    : new Map<string, never>();
  const lang = isLocale(locale) ? locale : "en";
  const itemName = (i: (typeof order.items)[number]) => {
    if (i.ticketType) return pickLanguage(i.ticketType.name, locale);
    const booking = tattoos.get(i.id);
    return booking
      ? `${booking.artistName}, ${formatDateTime(booking.startsAt, lang, order.festival.timezone)}`
      : null;
  };
  return {
    id: order.id,
    code: order.code,
    accessToken: order.accessToken,
    status: order.status,
    paymentMethod: order.paymentMethod,
    email: order.email,
    name: order.name,
    locale: order.locale,
    currency: order.currency,
    totalMinor: order.totalMinor,
    createdAt: order.createdAt.toISOString(),
    paidAt: order.paidAt?.toISOString() ?? null,
    holdExpiresAt: order.holdExpiresAt?.toISOString() ?? null,
    erasedAt: order.erasedAt?.toISOString() ?? null,
    festival: publicFestival(order.festival),
    items: order.items.map((i) => ({
      id: i.id,
      kind: i.kind,
      name: itemName(i),
      quantity: i.quantity,
      unitPriceMinor: i.unitPriceMinor,
      amountMinor: i.amountMinor,
      prisonerName: i.prisonerId ? (prisonerName.get(i.prisonerId) ?? null) : null,
    })),
    tickets: order.tickets.map((t) => ({
      id: t.id,
      status: t.status,
      typeName: pickLanguage(t.ticketType.name, locale),
      amountDueMinor: t.amountDueMinor,
      qrToken: t.qrToken,
      /** What door staff can type instead of scanning (decision 0049); null for tickets older than it. */
      shortCode: t.shortCode,
    })),
  };
}

export type OrderView = NonNullable<Awaited<ReturnType<typeof getOrderView>>>;

export { parseJsonObject };
