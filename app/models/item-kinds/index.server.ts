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
import type { DomainError } from "~/utils/domain-error";
import type { Locale } from "~/utils/i18n";
import type { IncomePart } from "../ledger.server";
import { donationKind } from "./donation.server";
import { tattooSlotKind } from "./tattoo-slot.server";
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
  /** The ledger income category the line was priced under (null: its kind's `category`). */
  category?: string | null;
};

/**
 * A line priced at checkout, before it is stored; `label` names it for Stripe
 * ({language: text} JSON or plain); `details` is what the kind's own `store`
 * writes to its own table (never stored on OrderItem).
 */
export type PricedItem = OrderLine & { label: string; details?: Record<string, unknown> };

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
  /** Where the order is placed: online (the public checkout) or by staff at the tattoo corner. */
  channel: "online" | "corner";
};

/** One entry of the request's `items` list, with its index there (for field paths). */
export type ItemEntry = { index: number; line: Record<string, unknown> & { kind: string } };

export type FulfilContext = {
  festival: FestivalForItems;
  orderId: string;
  now: Date;
  /** Paid at the door later: what fulfilment makes carries the amount still due. */
  payAtDoor: boolean;
  /** Who the order is for (null email: erased), for what fulfilment sends later (reminders). */
  buyer: { email: string | null; locale: Locale };
};

/** Why an order's items give back what they hold. */
export type ReleaseReason = "expired" | "cancelled" | "refunded";

export type ItemKind = {
  /** The `OrderItem.kind` value. */
  kind: string;
  /** The ledger income category its money goes to (decision 0024). */
  category: string;
  /** The checkout request's top-level fields this kind reads, as zod shapes (all optional). */
  input: Record<string, z.ZodType>;
  /**
   * The shape of this kind's entries in the request's `items` list (without `kind`,
   * which names the kind; an entry without `kind` is a ticket).
   */
  line?: z.ZodObject;
  /** Rules across this kind's entries of `items` (duplicates, totals): issues by path. */
  checkLines?: (entries: ItemEntry[]) => { path: (string | number)[]; message: string }[];
  /** Whether the request asks for anything of this kind (an order must ask for something). */
  requested: (input: Record<string, unknown>) => boolean;
  /** Check the request's part against the kind's rules and price it (throws FieldRulesError). */
  price: (ctx: PriceContext) => Promise<PricedItem[]>;
  /** Rows of the kind's own tables for new lines, written right after the order's items. */
  store?: (lines: PricedItem[], ctx: { orderId: string; now: Date }) => InStatement[];
  /** Take (+1) or give back (-1) what these lines hold; runs in the order's transaction. */
  reserve: (lines: OrderLine[], sign: 1 | -1) => InStatement[];
  /** The domain error for a refusal the kind's own tables raised (a trigger's message), if it is one. */
  refusal?: (message: string) => DomainError | null;
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
const kinds = new Map<string, ItemKind>(
  [ticketKind, donationKind, tattooSlotKind].map((k) => [k.kind, k]),
);

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

/** The entries of the request's `items` list that are of one kind, with their indexes. */
export function entriesOf(input: Record<string, unknown>, kind: string): ItemEntry[] {
  const items = Array.isArray(input.items) ? (input.items as ItemEntry["line"][]) : [];
  return items.flatMap((line, index) => (line.kind === kind ? [{ index, line }] : []));
}

/** The refusal of a kind's own tables in a failed write, as its domain error. */
export function kindRefusal(error: unknown): DomainError | null {
  const message =
    error instanceof Error
      ? `${error.message} ${String((error as { cause?: unknown }).cause ?? "")}`
      : String(error);
  for (const kind of kinds.values()) {
    const refused = kind.refusal?.(message);
    if (refused) return refused;
  }
  return null;
}

/** The kinds' own rows for an order's new lines, kind by kind. */
export function storeStatements(lines: PricedItem[], ctx: { orderId: string; now: Date }) {
  return byKind(lines).flatMap(([kind, mine]) => kind.store?.(mine, ctx) ?? []);
}

/** An order's lines, every kind, oldest first. */
export async function readOrderLines(db: SqlExecutor, orderId: string): Promise<OrderLine[]> {
  const { rows } = await db.execute({
    sql: `SELECT id, kind, ticketTypeId, quotaId, quantity, unitPriceMinor, amountMinor, prisonerId, category
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
    category: r.category === null ? null : String(r.category),
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
        category: l.category ?? kind.category,
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

/** Stripe line items of lines that are one amount each (a donation, a tattoo), named by `name`. */
export function oneAmountLineItems(
  lines: OrderLine[],
  festival: FestivalForItems,
  name: (line: OrderLine) => string,
): Stripe.Checkout.SessionCreateParams.LineItem[] {
  return lines.map((l) => ({
    quantity: 1,
    price_data: {
      currency: festival.currency.toLowerCase(),
      unit_amount: l.amountMinor,
      product_data: { name: `${festival.name}: ${name(l)}` },
    },
  }));
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
