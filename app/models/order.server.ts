// Checkout: one order holds tickets, a donation (and later a tattoo slot), with
// one inventory hold, one payment and one fulfilment. Overselling is impossible:
// places are taken with `reserved = reserved + n` under CHECK (reserved <= capacity)
// constraints inside one write transaction, so the last place goes to exactly one
// buyer and everyone else gets a clean `sold_out`.
//
// The hot path runs as one batched libSQL transaction (raw SQL): a Prisma query
// costs ~10x more and orders must reach 100/s on two cores (docs/benchmarks.md).
import type { InStatement } from "@libsql/client";
import { z } from "zod";
import { humanCode, randomToken, sha256 } from "~/utils/crypto.server";
import { dateFromSql, sqlClient, sqlDate } from "~/utils/db.server";
import { kickEmailWorker } from "~/utils/email.server";
import { errorResponse, notFound, FieldRulesError } from "~/utils/http.server";
import type { Locale } from "~/utils/i18n";
import { email, fieldsValid, moneyMessage, optionalText } from "~/utils/validation";
import { parseJsonArray } from "./festival.server";
import { MAX_AMOUNT_MINOR, MAX_TICKETS_PER_ORDER, pickLanguage } from "./ticket-type.server";
import { entryStatements, moneyInPostings, type IncomePart } from "./ledger.server";
import { issueTicketTokens } from "./ticket.server";

import { ORDER_STATUSES, type OrderStatus } from "./choices";

export { ORDER_STATUSES, type OrderStatus };
export const HOLD_MINUTES = 30;

const amount = z
  .number({ error: "v.amount" })
  .int({ error: "v.amount" })
  .min(0, { error: "v.amount" })
  .max(MAX_AMOUNT_MINOR, { error: "v.amount" });

export const checkoutInput = z
  .object({
    items: z
      .array(
        z
          .object({
            ticketTypeId: z
              .string({ error: "v.unknownTicketType" })
              .min(1, { error: "v.unknownTicketType" })
              .max(64, { error: "v.unknownTicketType" }),
            quantity: z
              .number({ error: "v.quantity" })
              .int({ error: "v.quantity" })
              .min(1, { error: "v.quantity" })
              .max(MAX_TICKETS_PER_ORDER, { error: "v.quantity" }),
            priceMinor: amount.optional(),
          })
          .strict(),
        { error: "v.items" },
      )
      .max(20, { error: "v.items" })
      .optional()
      .default([]),
    email,
    name: optionalText({ max: 120 }),
    paymentMethod: z.enum(["stripe", "door", "free"], { error: "v.paymentMethod" }),
    donation: z
      .object({
        amountMinor: amount.refine((n) => n >= 1, { error: "v.amount" }),
        prisonerId: z
          .string({ error: "v.unknownPrisoner" })
          .max(64, { error: "v.unknownPrisoner" })
          .optional(),
      })
      .strict()
      .optional(),
    accessCode: z.string({ error: "v.accessCode" }).max(40, { error: "v.accessCode" }).optional(),
  })
  .strict()
  .superRefine(
    (v, ctx) => {
      if (v.items.length === 0 && !v.donation)
        ctx.addIssue({ code: "custom", path: ["items"], message: "v.emptyOrder" });
      const seen = new Set<string>();
      v.items.forEach((item, i) => {
        if (seen.has(item.ticketTypeId))
          ctx.addIssue({
            code: "custom",
            path: ["items", i, "ticketTypeId"],
            message: "v.duplicateItem",
          });
        seen.add(item.ticketTypeId);
      });
      if (v.items.reduce((n, i) => n + i.quantity, 0) > MAX_TICKETS_PER_ORDER)
        ctx.addIssue({
          code: "custom",
          path: ["items"],
          message: `v.tooManyTickets|${MAX_TICKETS_PER_ORDER}`,
        });
    },
    // Also when the email or the payment method is wrong: every error at once.
    { when: fieldsValid("items", "donation") },
  );

export type CheckoutInput = z.output<typeof checkoutInput>;

export class SoldOutError extends Error {
  constructor() {
    super("sold out");
  }
}

/**
 * An Idempotency-Key as a client sends it (the API's header, the checkout form's
 * hidden field): 16–128 characters, so a key is not guessed by trying.
 */
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{16,128}$/;

/** The client's Idempotency-Key, if any; 400 `invalid_idempotency_key` when malformed. */
export function readIdempotencyKey(raw: string | null | undefined): string | undefined {
  if (raw === null || raw === undefined || raw === "") return undefined;
  if (!IDEMPOTENCY_KEY.test(raw))
    throw errorResponse(
      400,
      "invalid_idempotency_key",
      "An Idempotency-Key is 16–128 characters: letters, digits, '-', '_', '.' or ':'.",
    );
  return raw;
}

/**
 * A repeated checkout that cannot be answered with its order: the key was used
 * for a different request (422), or its first request is still running (409).
 */
export class IdempotencyError extends Error {
  constructor(
    readonly status: 409 | 422,
    readonly code: "idempotency_key_reused" | "idempotency_in_progress",
    message: string,
  ) {
    super(message);
  }
}

/** How long a repeat waits for its first request to open the card payment. */
const REPLAY_WAIT_MS = 15_000;

/** A checkout rule broken by the request: 422 with the field, or 409 for the festival's state. */
function reject(
  status: 409 | 422,
  error: string,
  message: string,
  fields?: Record<string, string>,
) {
  return errorResponse(status, error, message, fields ? { fields } : undefined);
}

type FestivalForSale = {
  id: string;
  name: string;
  status: string;
  currency: string;
  timezone: string;
  startsAt: Date;
  endsAt: Date;
  paymentMethods: string[];
  venueName: string;
  venueAddress: string;
  slug: string;
};

async function loadFestival(festivalId: string): Promise<FestivalForSale | null> {
  const { rows } = await sqlClient().execute({
    sql: `SELECT id, name, status, currency, timezone, startsAt, endsAt, paymentMethods, venueName, venueAddress, slug, publishedAt
          FROM Festival WHERE id = ?`,
    args: [festivalId],
  });
  const r = rows[0];
  if (!r || r.publishedAt === null) return null;
  return {
    id: String(r.id),
    name: String(r.name),
    status: String(r.status),
    currency: String(r.currency),
    timezone: String(r.timezone),
    startsAt: dateFromSql(r.startsAt),
    endsAt: dateFromSql(r.endsAt),
    paymentMethods: parseJsonArray(String(r.paymentMethods)),
    venueName: String(r.venueName),
    venueAddress: String(r.venueAddress),
    slug: String(r.slug),
  };
}

type TypeForSale = {
  id: string;
  name: string;
  priceMinor: number;
  payWhatYouWant: boolean;
  minPriceMinor: number | null;
  suggestedPriceMinor: number | null;
  quotaId: string | null;
  salesStartAt: Date | null;
  salesEndAt: Date | null;
  visibility: string;
  accessCode: string | null;
  maxPerOrder: number;
};

async function loadTypes(festivalId: string, ids: string[]): Promise<Map<string, TypeForSale>> {
  if (ids.length === 0) return new Map();
  const { rows } = await sqlClient().execute({
    sql: `SELECT id, name, priceMinor, payWhatYouWant, minPriceMinor, suggestedPriceMinor, quotaId, salesStartAt, salesEndAt,
                 visibility, accessCode, maxPerOrder
          FROM TicketType WHERE festivalId = ? AND id IN (${ids.map(() => "?").join(",")})`,
    args: [festivalId, ...ids],
  });
  return new Map(
    rows.map((r) => [
      String(r.id),
      {
        id: String(r.id),
        name: String(r.name),
        priceMinor: Number(r.priceMinor),
        payWhatYouWant: Boolean(Number(r.payWhatYouWant)),
        minPriceMinor: r.minPriceMinor === null ? null : Number(r.minPriceMinor),
        suggestedPriceMinor: r.suggestedPriceMinor === null ? null : Number(r.suggestedPriceMinor),
        quotaId: r.quotaId === null ? null : String(r.quotaId),
        salesStartAt: r.salesStartAt === null ? null : dateFromSql(r.salesStartAt),
        salesEndAt: r.salesEndAt === null ? null : dateFromSql(r.salesEndAt),
        visibility: String(r.visibility),
        accessCode: r.accessCode === null ? null : String(r.accessCode),
        maxPerOrder: Number(r.maxPerOrder),
      },
    ]),
  );
}

export type PricedLine = { type: TypeForSale; quantity: number; unitPriceMinor: number };

/** Check every line against the ticket types' rules and fix each unit price. */
function priceLines(
  input: CheckoutInput,
  types: Map<string, TypeForSale>,
  now: Date,
  currency: string,
): PricedLine[] {
  const fields: Record<string, string> = {};
  const lines: PricedLine[] = [];
  input.items.forEach((item, i) => {
    const at = `items.${i}`;
    const type = types.get(item.ticketTypeId);
    // A hidden type without its code is indistinguishable from an unknown one.
    if (
      !type ||
      (type.visibility === "hidden" && (!input.accessCode || input.accessCode !== type.accessCode))
    ) {
      fields[`${at}.ticketTypeId`] = "v.unknownTicketType";
      return;
    }
    if (
      (type.salesStartAt && now < type.salesStartAt) ||
      (type.salesEndAt && now >= type.salesEndAt)
    ) {
      fields[`${at}.ticketTypeId`] = "v.salesClosed";
      return;
    }
    if (item.quantity > type.maxPerOrder) {
      fields[`${at}.quantity`] = `v.maxPerOrderExceeded|${type.maxPerOrder}`;
      return;
    }
    let unit = type.priceMinor;
    if (type.payWhatYouWant) {
      const min = type.minPriceMinor ?? type.priceMinor;
      unit = item.priceMinor ?? type.suggestedPriceMinor ?? min;
      if (unit < min) {
        fields[`${at}.priceMinor`] = moneyMessage("v.belowMinimum", min, currency);
        return;
      }
    } else if (item.priceMinor !== undefined && item.priceMinor !== type.priceMinor) {
      fields[`${at}.priceMinor`] = "v.fixedPrice";
      return;
    }
    lines.push({ type, quantity: item.quantity, unitPriceMinor: unit });
  });
  if (Object.keys(fields).length) throw new FieldRulesError(fields);
  return lines;
}

export type PlacedOrder = {
  id: string;
  code: string;
  accessToken: string;
  status: OrderStatus;
  totalMinor: number;
  currency: string;
  holdExpiresAt: Date | null;
  tickets: { id: string; qrToken: string; ticketTypeId: string }[];
  /** The Checkout Session an earlier request opened (only on a replayed order). */
  stripeSessionId?: string | null;
};

export type PaymentHooks = {
  /** Whether card payment (Stripe) is configured. */
  stripeAvailable: boolean;
};

/**
 * Place an order. Door and free orders are fulfilled at once (tickets issued,
 * confirmation email queued in the same transaction); card orders are held
 * for HOLD_MINUTES while the buyer pays (see payments.server.ts).
 */
export async function placeOrder(
  festivalId: string,
  input: CheckoutInput,
  context: {
    locale: Locale;
    now?: Date;
    stripeAvailable: boolean;
    /** From `readIdempotencyKey`: the same key and request answer with the same order. */
    idempotencyKey?: string;
  },
): Promise<{
  order: PlacedOrder;
  festival: FestivalForSale;
  lines: PricedLine[];
  donation: CheckoutInput["donation"];
  /** True when this request repeated an earlier one: `order` is that order, as it is now. */
  replayed: boolean;
}> {
  const now = context.now ?? new Date();
  const festival = await loadFestival(festivalId);
  if (!festival || festival.status === "draft") throw notFound("No such festival.");
  if (festival.status === "cancelled")
    throw reject(409, "festival_cancelled", "This festival has been cancelled.");
  if (now >= festival.endsAt)
    throw reject(409, "sales_closed", "Sales for this festival have ended.");

  const types = await loadTypes(
    festival.id,
    input.items.map((i) => i.ticketTypeId),
  );
  const lines = priceLines(input, types, now, festival.currency);

  if (input.donation?.prisonerId) {
    const { rows } = await sqlClient().execute({
      sql: "SELECT 1 FROM FestivalPrisoner WHERE festivalId = ? AND prisonerId = ?",
      args: [festival.id, input.donation.prisonerId],
    });
    if (rows.length === 0)
      throw new FieldRulesError({ "donation.prisonerId": "v.unknownPrisoner" });
  }

  const ticketsTotal = lines.reduce((sum, l) => sum + l.unitPriceMinor * l.quantity, 0);
  const totalMinor = ticketsTotal + (input.donation?.amountMinor ?? 0);
  if (totalMinor > MAX_AMOUNT_MINOR)
    throw new FieldRulesError({
      _form: moneyMessage("v.totalTooLarge", MAX_AMOUNT_MINOR, festival.currency),
    });
  checkPaymentMethod(input.paymentMethod, totalMinor, festival, context.stripeAvailable);

  const orderId = randomToken(16);
  const code = humanCode();
  const accessToken = randomToken(24);
  const status: OrderStatus =
    input.paymentMethod === "stripe"
      ? "pending"
      : input.paymentMethod === "door"
        ? "confirmed"
        : "paid";
  const holdExpiresAt =
    status === "pending" ? new Date(now.getTime() + HOLD_MINUTES * 60_000) : null;

  // Scoped to the festival and the buyer, and stored hashed: the same key from
  // someone else is another key, and the table never holds a client's key.
  const idempotencyKey = context.idempotencyKey
    ? sha256(`${festival.id}\n${input.email}\n${context.idempotencyKey}`)
    : null;
  const requestHash = idempotencyKey ? sha256(JSON.stringify(input)) : null;

  // The order row comes first: a repeated key fails on its unique index before
  // any place is taken, so a repeat is never mistaken for "sold out". It is
  // written only while the festival's currency is still the one the prices were
  // read in (a currency change in between leaves no order row, and the items'
  // foreign key then fails the batch: see `currencyChanged` below).
  const statements: InStatement[] = [
    {
      sql: `INSERT INTO "Order" (id, festivalId, code, accessToken, email, name, locale, status, paymentMethod, currency, totalMinor,
                                 holdExpiresAt, createdAt, paidAt, idempotencyKey, requestHash)
            SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
            WHERE EXISTS (SELECT 1 FROM Festival WHERE id = ?2 AND currency = ?10)`,
      args: [
        orderId,
        festival.id,
        code,
        accessToken,
        input.email,
        input.name ?? null,
        context.locale,
        status,
        input.paymentMethod,
        festival.currency,
        totalMinor,
        holdExpiresAt ? sqlDate(holdExpiresAt) : null,
        sqlDate(now),
        status === "paid" ? sqlDate(now) : null,
        idempotencyKey,
        requestHash,
      ],
    },
    ...reserveStatements(lines, +1),
  ];
  const itemIds: string[] = [];
  for (const line of lines) {
    const itemId = randomToken(12);
    itemIds.push(itemId);
    statements.push({
      sql: `INSERT INTO OrderItem (id, orderId, kind, ticketTypeId, quotaId, quantity, unitPriceMinor, amountMinor) VALUES (?, ?, 'ticket', ?, ?, ?, ?, ?)`,
      args: [
        itemId,
        orderId,
        line.type.id,
        line.type.quotaId,
        line.quantity,
        line.unitPriceMinor,
        line.unitPriceMinor * line.quantity,
      ],
    });
  }
  if (input.donation) {
    statements.push({
      sql: `INSERT INTO OrderItem (id, orderId, kind, quantity, unitPriceMinor, amountMinor, prisonerId) VALUES (?, ?, 'donation', 1, ?, ?, ?)`,
      args: [
        randomToken(12),
        orderId,
        input.donation.amountMinor,
        input.donation.amountMinor,
        input.donation.prisonerId ?? null,
      ],
    });
  }

  let tickets: PlacedOrder["tickets"] = [];
  if (status !== "pending") {
    const issued = await issueTicketTokens(
      festival,
      orderId,
      lines.map((l, i) => ({ ...l, itemId: itemIds[i]! })),
      now,
      input.paymentMethod === "door",
    );
    tickets = issued.tickets;
    statements.push(...issued.statements);
    statements.push(
      ...fulfilmentStatements({
        orderId,
        festival,
        input,
        lines,
        now,
        locale: context.locale,
        code,
        accessToken,
        status,
      }),
    );
  }

  // One attempt, or a repeat of an earlier request: the unique index decides, in
  // the same batch (no lookup before it). An earlier attempt can vanish (its
  // card payment could not start): then this one is a new attempt.
  for (let attempt = 1; ; attempt++) {
    try {
      await sqlClient().batch(statements, "write");
      break;
    } catch (error) {
      if (isCapacityViolation(error)) throw new SoldOutError();
      if (await currencyChanged(festival))
        throw reject(
          409,
          "festival_changed",
          "The festival's currency changed while the order was placed; reload and try again.",
        );
      if (!idempotencyKey || !isIdempotencyClash(error) || attempt >= 3) throw error;
      const earlier = await orderOfKey(idempotencyKey, requestHash!);
      if (earlier)
        return { order: earlier, festival, lines, donation: input.donation, replayed: true };
    }
  }
  if (status !== "pending") kickEmailWorker();
  return {
    order: {
      id: orderId,
      code,
      accessToken,
      status,
      totalMinor,
      currency: festival.currency,
      holdExpiresAt,
      tickets,
    },
    festival,
    lines,
    donation: input.donation,
    replayed: false,
  };
}

/** Whether the festival's currency is no longer the one an order's prices were read in. */
async function currencyChanged(festival: { id: string; currency: string }) {
  const { rows } = await sqlClient().execute({
    sql: "SELECT currency FROM Festival WHERE id = ?",
    args: [festival.id],
  });
  return rows[0]?.currency !== festival.currency;
}

function isIdempotencyClash(error: unknown) {
  return (
    error instanceof Error &&
    /UNIQUE constraint failed: Order\.idempotencyKey/.test(
      `${error.message} ${String((error as { cause?: unknown }).cause ?? "")}`,
    )
  );
}

/**
 * The order an earlier request made with this (scoped) key, as it is now; null
 * if it is gone. A card order whose first request is still opening its payment
 * is waited for, so every repeat answers alike.
 */
async function orderOfKey(
  idempotencyKey: string,
  requestHash: string,
): Promise<PlacedOrder | null> {
  const until = Date.now() + REPLAY_WAIT_MS;
  for (;;) {
    const { rows } = await sqlClient().execute({
      sql: `SELECT id, code, accessToken, status, totalMinor, currency, holdExpiresAt, stripeSessionId, requestHash
            FROM "Order" WHERE idempotencyKey = ?`,
      args: [idempotencyKey],
    });
    const r = rows[0];
    if (!r) return null;
    if (r.requestHash !== requestHash)
      throw new IdempotencyError(
        422,
        "idempotency_key_reused",
        "This Idempotency-Key was already used for a different order.",
      );
    if (r.status !== "pending" || r.stripeSessionId !== null) {
      const tickets = await sqlClient().execute({
        sql: "SELECT id, qrToken, ticketTypeId FROM Ticket WHERE orderId = ? ORDER BY rowid",
        args: [String(r.id)],
      });
      return {
        id: String(r.id),
        code: String(r.code),
        accessToken: String(r.accessToken),
        status: String(r.status) as OrderStatus,
        totalMinor: Number(r.totalMinor),
        currency: String(r.currency),
        holdExpiresAt: r.holdExpiresAt === null ? null : dateFromSql(r.holdExpiresAt),
        stripeSessionId: r.stripeSessionId === null ? null : String(r.stripeSessionId),
        tickets: tickets.rows.map((t) => ({
          id: String(t.id),
          qrToken: String(t.qrToken),
          ticketTypeId: String(t.ticketTypeId),
        })),
      };
    }
    if (Date.now() > until)
      throw new IdempotencyError(
        409,
        "idempotency_in_progress",
        "An order with this Idempotency-Key is still being placed; try again in a moment.",
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function checkPaymentMethod(
  method: string,
  totalMinor: number,
  festival: FestivalForSale,
  stripeAvailable: boolean,
) {
  if (totalMinor === 0) {
    if (method !== "free") throw new FieldRulesError({ paymentMethod: "v.freeOrder" });
    return;
  }
  if (method === "free") throw new FieldRulesError({ paymentMethod: "v.notFree" });
  if (!festival.paymentMethods.includes(method) || (method === "stripe" && !stripeAvailable))
    throw new FieldRulesError({ paymentMethod: "v.paymentMethodUnavailable" });
}

/** Take (+1) or give back (-1) the places of these lines, on ticket types and their quotas. */
export function reserveStatements(
  lines: { type: { id: string; quotaId: string | null }; quantity: number }[],
  sign: 1 | -1,
): InStatement[] {
  const statements: InStatement[] = [];
  const perQuota = new Map<string, number>();
  for (const line of lines) {
    statements.push({
      sql: "UPDATE TicketType SET reserved = reserved + ? WHERE id = ?",
      args: [sign * line.quantity, line.type.id],
    });
    if (line.type.quotaId)
      perQuota.set(line.type.quotaId, (perQuota.get(line.type.quotaId) ?? 0) + line.quantity);
  }
  // Always in the same order, so concurrent transactions take locks alike.
  for (const [quotaId, n] of [...perQuota.entries()].sort()) {
    statements.push({
      sql: "UPDATE Quota SET reserved = reserved + ? WHERE id = ?",
      args: [sign * n, quotaId],
    });
  }
  return statements;
}

export function isCapacityViolation(error: unknown) {
  const message =
    error instanceof Error
      ? `${error.message} ${String((error as { cause?: unknown }).cause ?? "")}`
      : String(error);
  return /CHECK constraint failed: .*reserved_within_capacity/i.test(message);
}

/** The ledger entry and the confirmation email, written with the fulfilment. */
export function fulfilmentStatements(args: {
  orderId: string;
  festival: FestivalForSale;
  input: Pick<CheckoutInput, "email" | "donation" | "paymentMethod">;
  lines: PricedLine[];
  now: Date;
  locale: Locale;
  code: string;
  accessToken: string;
  status: OrderStatus;
}): InStatement[] {
  const { orderId, festival, input, lines, now } = args;
  const statements: InStatement[] = [];
  // Money has moved only for paid card orders (free ones take none); door
  // orders post theirs when staff take the cash (door.server.ts).
  if (args.status === "paid" && input.paymentMethod === "stripe")
    statements.push(
      ...entryStatements({
        id: `order:${orderId}:payment`,
        festivalId: festival.id,
        orderId,
        kind: "payment",
        at: now,
        postings: moneyInPostings(
          { festivalId: festival.id, currency: festival.currency, code: "stripe_balance" },
          incomeParts(lines, input.donation),
        ),
      }),
    );
  // An erased order (late card payment after the retention job) has no address left.
  if (!input.email) return statements;
  statements.push({
    sql: `INSERT INTO OutboxEmail (id, "to", template, locale, payload, status, attempts, nextAttemptAt, createdAt)
          VALUES (?, ?, 'order-confirmation', ?, ?, 'pending', 0, ?, ?)`,
    args: [
      randomToken(12),
      input.email,
      args.locale,
      JSON.stringify({ orderId }),
      sqlDate(now),
      sqlDate(now),
    ],
  });
  return statements;
}

/** What an order's money is for, part by part: its tickets, and its donation with the earmark. */
export function incomeParts(
  lines: { quantity: number; unitPriceMinor: number }[],
  donation: { amountMinor: number; prisonerId?: string | null } | undefined,
): IncomePart[] {
  const ticketsTotal = lines.reduce((s, l) => s + l.unitPriceMinor * l.quantity, 0);
  return [
    { category: "ticket", amountMinor: ticketsTotal },
    ...(donation
      ? [
          {
            category: "donation",
            prisonerId: donation.prisonerId ?? null,
            amountMinor: donation.amountMinor,
          },
        ]
      : []),
  ].filter((p) => p.amountMinor > 0);
}

export { pickLanguage };
