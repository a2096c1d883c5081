// What an order can hold, as a registry of item kinds. Each kind is one module
// that knows how its part of a checkout is read and priced, what it takes and
// gives back (places, slots), what fulfilment makes of it (tickets), which
// ledger category its money is, how it appears on Stripe and in the CSV.
// Order and payment code only call the registry, so a new kind (the tattoo
// slots) is one module and one line in the list below.
import type { InStatement } from "@libsql/client";
import type { SqlExecutor } from "~/utils/db.server";
import type { DomainError } from "~/utils/domain-error";
import type { IncomePart } from "../ledger.server";
import { donationKind } from "./donation.server";
import type {
  FestivalForItems,
  FulfilContext,
  ItemKind,
  OrderLine,
  PricedItem,
  ReleaseReason,
} from "./kind.server";
import { tattooSlotKind } from "./tattoo-slot.server";
import { ticketKind } from "./ticket.server";

export * from "./kind.server";

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
