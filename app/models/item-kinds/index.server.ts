// What an order can hold, as a registry of item kinds. Each kind is one module
// that knows how its part of a checkout is read and priced, what it takes and
// gives back (places, slots), what fulfilment makes of it (tickets), which
// ledger category its money is, how it appears on Stripe and in the CSV.
// Order and payment code only call the registry, so a new kind (the tattoo
// slots) is one module and one line in the list below.
import type { InStatement } from "@libsql/client";
import type Stripe from "stripe";
import type { z } from "zod";
import type { SqlExecutor } from "~/utils/db.server";
import type { IncomePart } from "../ledger.server";
import { donationKind } from "./donation.server";
import { ticketKind } from "./ticket.server";

/** One stored OrderItem row as every kind reads it. */
export type OrderLine = {
  itemId: string;
  kind: string;
  quantity: number;
  unitPriceMinor: number;
  amountMinor: number;
  ticketTypeId: string | null;
  quotaId: string | null;
  prisonerId: string | null;
};

/** A line priced at checkout, before it is stored; `label` names it for Stripe ({language: text} JSON or plain). */
export type PricedItem = OrderLine & { label: string };

export type FestivalForItems = {
  id: string;
  name: string;
  currency: string;
  endsAt: Date;
};

export type PriceContext = {
  festival: FestivalForItems;
  now: Date;
  /** The whole checkout request, as parsed by `checkoutSchema()`. */
  input: Record<string, unknown>;
};

export type FulfilContext = {
  festival: FestivalForItems;
  orderId: string;
  now: Date;
  /** Paid at the door later: what fulfilment makes carries the amount still due. */
  payAtDoor: boolean;
};

/** Why an order's items give back what they hold. */
export type ReleaseReason = "expired" | "cancelled" | "refunded";

export type ItemKind = {
  /** The `OrderItem.kind` value. */
  kind: string;
  /** The ledger income category its money goes to (decision 0024). */
  category: string;
  /** The checkout request fields this kind reads, as zod shapes (all optional). */
  input: Record<string, z.ZodType>;
  /** Whether the request asks for anything of this kind (an order must ask for something). */
  requested: (input: Record<string, unknown>) => boolean;
  /** Check the request's part against the kind's rules and price it (throws FieldRulesError). */
  price: (ctx: PriceContext) => Promise<PricedItem[]>;
  /** Take (+1) or give back (-1) what these lines hold; runs in the order's transaction. */
  reserve: (lines: OrderLine[], sign: 1 | -1) => InStatement[];
  /** What giving the lines up does beyond `reserve(-1)` (e.g. revoking tickets). */
  release?: (
    lines: OrderLine[],
    ctx: { orderId: string; now: Date; reason: ReleaseReason },
  ) => InStatement[];
  /** What a fulfilled order gets for these lines (tickets, bookings). */
  fulfil?: (
    lines: OrderLine[],
    ctx: FulfilContext,
  ) => Promise<{
    statements: InStatement[];
    tickets: { id: string; qrToken: string; ticketTypeId: string }[];
  }>;
  /** The lines' money as ledger parts; default: their amounts under `category` (with the earmark). */
  income?: (lines: OrderLine[]) => IncomePart[];
  /** Stripe Checkout line items (no personal data, no recipients). */
  stripeLineItems: (
    lines: PricedItem[],
    ctx: { festival: FestivalForItems; locale: string },
  ) => Stripe.Checkout.SessionCreateParams.LineItem[];
  /** Columns this kind adds to the orders CSV: header → value from the order's lines of this kind. */
  csvColumns: Record<
    string,
    (lines: (OrderLine & { label: string | null })[], locale: string) => string | number
  >;
};

// The built-in kinds, in the order their lines appear (Stripe, CSV). Listed here,
// not registered from their modules: the build drops imports kept only for side effects.
const kinds = new Map<string, ItemKind>([ticketKind, donationKind].map((k) => [k.kind, k]));

/** Add a kind at run time (tests add test-only kinds). */
export function registerItemKind(kind: ItemKind) {
  const known = kinds.get(kind.kind);
  if (known === kind) return; // the same module loaded again
  if (known) throw new Error(`item kind ${kind.kind} is registered twice`);
  kinds.set(kind.kind, kind);
  schemaCache = undefined;
}

/** Remove a kind (for tests that registered one). */
export function unregisterItemKind(name: string) {
  kinds.delete(name);
  schemaCache = undefined;
}

export function itemKinds(): ItemKind[] {
  return [...kinds.values()];
}

let schemaCache: unknown;
/** Memoised per registry state: the checkout schema built from the kinds' fields. */
export function memoisedSchema<T>(build: () => T): T {
  schemaCache ??= build();
  return schemaCache as T;
}

/** An order's lines, every kind, oldest first. */
export async function readOrderLines(db: SqlExecutor, orderId: string): Promise<OrderLine[]> {
  const { rows } = await db.execute({
    sql: `SELECT id, kind, ticketTypeId, quotaId, quantity, unitPriceMinor, amountMinor, prisonerId
          FROM OrderItem WHERE orderId = ? ORDER BY rowid`,
    args: [orderId],
  });
  return rows.map((r) => ({
    itemId: String(r.id),
    kind: String(r.kind),
    quantity: Number(r.quantity),
    unitPriceMinor: Number(r.unitPriceMinor),
    amountMinor: Number(r.amountMinor),
    ticketTypeId: r.ticketTypeId === null ? null : String(r.ticketTypeId),
    quotaId: r.quotaId === null ? null : String(r.quotaId),
    prisonerId: r.prisonerId === null ? null : String(r.prisonerId),
  }));
}

/** Lines grouped by kind, in registry order. */
function byKind<L extends OrderLine>(lines: L[]): [ItemKind, L[]][] {
  const groups: [ItemKind, L[]][] = [];
  for (const kind of kinds.values()) {
    const mine = lines.filter((l) => l.kind === kind.kind);
    if (mine.length) groups.push([kind, mine]);
  }
  const unknown = lines.find((l) => !kinds.has(l.kind));
  if (unknown) throw new Error(`unknown item kind ${unknown.kind}`);
  return groups;
}

/** Take (+1) or give back (-1) what an order's lines hold, kind by kind. */
export function reserveStatements(lines: OrderLine[], sign: 1 | -1): InStatement[] {
  return byKind(lines).flatMap(([kind, mine]) => kind.reserve(mine, sign));
}

/** Give up an order's lines: what they hold goes back, and each kind's own release. */
export function releaseStatements(
  lines: OrderLine[],
  ctx: { orderId: string; now: Date; reason: ReleaseReason },
): InStatement[] {
  return byKind(lines).flatMap(([kind, mine]) => [
    ...kind.reserve(mine, -1),
    ...(kind.release?.(mine, ctx) ?? []),
  ]);
}

/** Fulfil an order's lines: the statements and the tickets made. */
export async function fulfilLines(lines: OrderLine[], ctx: FulfilContext) {
  const statements: InStatement[] = [];
  const tickets: { id: string; qrToken: string; ticketTypeId: string }[] = [];
  for (const [kind, mine] of byKind(lines)) {
    if (!kind.fulfil) continue;
    const made = await kind.fulfil(mine, ctx);
    statements.push(...made.statements);
    tickets.push(...made.tickets);
  }
  return { statements, tickets };
}

/** The money of an order's lines, as ledger parts (category and earmark). */
export function incomeParts(lines: OrderLine[]): IncomePart[] {
  const parts: IncomePart[] = [];
  for (const [kind, mine] of byKind(lines)) {
    const own =
      kind.income?.(mine) ??
      mine.map((l) => ({
        category: kind.category,
        prisonerId: l.prisonerId,
        amountMinor: l.amountMinor,
      }));
    for (const p of own) {
      if (p.amountMinor <= 0) continue;
      const same = parts.find(
        (q) => q.category === p.category && (q.prisonerId ?? null) === (p.prisonerId ?? null),
      );
      if (same) same.amountMinor += p.amountMinor;
      else
        parts.push({
          category: p.category,
          prisonerId: p.prisonerId ?? null,
          amountMinor: p.amountMinor,
        });
    }
  }
  return parts;
}

/** Stripe Checkout line items for a priced order. */
export function stripeLineItems(
  lines: PricedItem[],
  ctx: { festival: FestivalForItems; locale: string },
) {
  return byKind(lines).flatMap(([kind, mine]) => kind.stripeLineItems(mine, ctx));
}

/** The orders CSV's item columns, every kind's, in registry order. */
export function csvItemColumns() {
  return itemKinds().flatMap((kind) =>
    Object.entries(kind.csvColumns).map(([header, value]) => ({ kind: kind.kind, header, value })),
  );
}
