// What every item kind is (the `ItemKind` contract and the lines it works on) and
// the helpers kinds share. Kinds import from here, never from the registry
// (index.server.ts), which imports the kinds: no import cycle.
import type { InStatement } from "@libsql/client";
import type Stripe from "stripe";
import type { z } from "zod";
import type { CsvCell } from "~/utils/csv.server";
import type { DomainError } from "~/utils/domain-error";
import type { Locale } from "~/utils/i18n";
import type { IncomePart } from "../ledger.server";

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

/**
 * Why an order's items give back what they hold. "undone": the order is being
 * deleted unseen (its card payment could not start): what it took is restored
 * as it was before, and nothing of it is kept.
 */
export type ReleaseReason = "expired" | "cancelled" | "refunded" | "undone";

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
  /**
   * Columns this kind adds to the orders export (app/models/exports.server.ts):
   * header → value from the order's lines of this kind; amounts with `csvAmount`
   * in the order's currency.
   */
  csvColumns: Record<string, (lines: CsvLine[], ctx: CsvContext) => CsvCell>;
};

/** An order line as the orders export reads it: its ticket type's name JSON as `label`. */
export type CsvLine = OrderLine & { label: string | null };

/** What an export column knows besides the lines: the language, the order's currency, prisoners' public names. */
export type CsvContext = {
  locale: string;
  currency: string;
  prisonerName: (prisonerId: string) => string;
};

/** The entries of the request's `items` list that are of one kind, with their indexes. */
export function entriesOf(input: Record<string, unknown>, kind: string): ItemEntry[] {
  const items = Array.isArray(input.items) ? (input.items as ItemEntry["line"][]) : [];
  return items.flatMap((line, index) => (line.kind === kind ? [{ index, line }] : []));
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
