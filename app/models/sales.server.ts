// The organiser's view of sales: orders with search and filters, per-type
// figures and the stats the API returns (the CSV export: exports.server.ts).
import type { Prisma } from "@prisma/client";
import { prisma } from "~/utils/db.server";
import { ORDER_STATUSES, type OrderStatus } from "./order.server";
import { doorCounters } from "./door.server";
import { festivalBalances, summarize } from "./ledger.server";
import { apiText, listTicketTypes } from "./ticket-type.server";

export const ORDERS_PAGE_SIZE = 50;

export type OrderFilter = { q?: string; status?: OrderStatus; page?: number };

export function parseOrderFilter(params: URLSearchParams): OrderFilter {
  const status = params.get("status");
  const page = Number(params.get("page") ?? "1");
  return {
    q: (params.get("q") ?? "").trim().slice(0, 100) || undefined,
    status: ORDER_STATUSES.find((s) => s === status),
    page: Number.isInteger(page) && page >= 1 && page <= 10_000 ? page : 1,
  };
}

function where(festivalId: string, filter: OrderFilter): Prisma.OrderWhereInput {
  const q = filter.q;
  return {
    festivalId,
    ...(filter.status ? { status: filter.status } : {}),
    ...(q
      ? {
          OR: [
            { code: { contains: q.toUpperCase() } },
            { email: { contains: q.toLowerCase() } },
            { name: { contains: q } },
            { id: q },
          ],
        }
      : {}),
  };
}

export async function listOrders(festivalId: string, filter: OrderFilter) {
  const page = filter.page ?? 1;
  const [total, rows] = await Promise.all([
    prisma.order.count({ where: where(festivalId, filter) }),
    prisma.order.findMany({
      where: where(festivalId, filter),
      orderBy: { createdAt: "desc" },
      skip: (page - 1) * ORDERS_PAGE_SIZE,
      take: ORDERS_PAGE_SIZE,
      // No emails in the list: anonymous buyers stay anonymous (search still matches them).
      select: {
        id: true,
        code: true,
        name: true,
        status: true,
        paymentMethod: true,
        totalMinor: true,
        currency: true,
        createdAt: true,
        erasedAt: true,
        _count: { select: { tickets: true } },
      },
    }),
  ]);
  return {
    total,
    page,
    pages: Math.max(1, Math.ceil(total / ORDERS_PAGE_SIZE)),
    orders: rows.map((o) => ({
      ...o,
      createdAt: o.createdAt.toISOString(),
      tickets: o._count.tickets,
    })),
  };
}

/**
 * Capacity, sold, held, checked in, inside now and revenue per currency (for
 * the API and the dashboard). Sold, checked in and inside are the door's own
 * counters; ticket type names are in the shape the API takes them.
 */
export async function festivalStats(festivalId: string) {
  const [types, quotas, door, held, revenue, perType] = await Promise.all([
    listTicketTypes(festivalId),
    prisma.quota.findMany({ where: { festivalId }, select: { capacity: true } }),
    doorCounters(festivalId),
    prisma.orderItem.aggregate({
      where: { kind: "ticket", order: { festivalId, status: "pending" } },
      _sum: { quantity: true },
    }),
    festivalBalances(festivalId).then(summarize),
    soldPerType(festivalId),
  ]);
  const capacity =
    quotas.reduce((s, q) => s + q.capacity, 0) +
    types.filter((t) => !t.quotaId).reduce((s, t) => s + t.capacity, 0);
  return {
    capacity,
    sold: door.sold,
    held: held._sum.quantity ?? 0,
    checkedIn: door.checkedIn,
    inside: door.inside,
    // From the ledger, per currency in which money came in (never added across
    // currencies): income net of refunds and chargebacks; fees apart, never subtracted.
    revenue: Object.fromEntries(
      Object.entries(revenue)
        .filter(([, s]) => Object.keys(s.net).length > 0)
        .map(([currency, s]) => [currency, Object.values(s.net).reduce((a, b) => a + b, 0)]),
    ),
    processingFees: Object.fromEntries(
      Object.entries(revenue)
        .filter(([, s]) => s.processingFees !== 0)
        .map(([currency, s]) => [currency, s.processingFees]),
    ),
    ticketTypes: types.map((t) => ({
      id: t.id,
      name: apiText(t.name),
      capacity: t.capacity,
      reserved: t.reserved,
      available: t.available,
      sold: perType.get(t.id) ?? 0,
    })),
  };
}

/** Sold tickets per ticket type. */
export async function soldPerType(festivalId: string) {
  const rows = await prisma.ticket.groupBy({
    by: ["ticketTypeId"],
    where: { festivalId, status: "valid" },
    _count: { _all: true },
  });
  return new Map(rows.map((r) => [r.ticketTypeId, r._count._all]));
}
