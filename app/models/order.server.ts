// Checkout: one order holds lines of any item kind (tickets, a donation, later a
// tattoo slot: app/models/item-kinds/), with one inventory hold, one payment and
// one fulfilment. Overselling is impossible:
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
import { changeStatements } from "~/utils/change.server";
import { kickEmailWorker } from "~/utils/email.server";
import { faultPoint } from "~/utils/fault-points.server";
import { DomainError, FieldRulesError } from "~/utils/domain-error";
import type { Locale } from "~/utils/i18n";
import { email, fieldsValid, moneyMessage, optionalText } from "~/utils/validation";
import { parseJsonArray } from "./festival.server";
import {
  fulfilLines,
  incomeParts,
  itemKinds,
  kindRefusal,
  memoisedSchema,
  reserveStatements,
  storeStatements,
  type OrderLine,
  type PricedItem,
} from "./item-kinds/index.server";
import { entryStatements, moneyInPostings } from "./ledger.server";
import { MAX_AMOUNT_MINOR } from "./ticket-type.server";

import { ORDER_STATUSES, type OrderStatus } from "./choices";

export { ORDER_STATUSES, type OrderStatus };
export const HOLD_MINUTES = 30;

/** Entries of `items` in one checkout, every kind together. */
export const MAX_ORDER_ITEMS = 20;

/** `items`: entries of every kind that has a `line` shape; an entry without `kind` is a ticket. */
function itemsSchema(kinds: ReturnType<typeof itemKinds>) {
  const shapes = kinds.flatMap((k) =>
    k.line ? [k.line.extend({ kind: z.literal(k.kind) }).strict()] : [],
  );
  const entry = z.preprocess(
    (v) =>
      v !== null && typeof v === "object" && !Array.isArray(v) && !("kind" in v)
        ? { ...v, kind: "ticket" }
        : v,
    // At least the ticket kind has a line shape; the tuple type is what zod asks for.
    z.discriminatedUnion("kind", shapes as unknown as [z.ZodObject, ...z.ZodObject[]], {
      error: "v.itemKind",
    }),
  );
  return z
    .array(entry, { error: "v.items" })
    .max(MAX_ORDER_ITEMS, { error: "v.items" })
    .superRefine((list, ctx) => {
      const typed = list as ({ kind: string } & Record<string, unknown>)[];
      for (const kind of kinds) {
        if (!kind.checkLines) continue;
        const entries = typed.flatMap((line, index) =>
          line.kind === kind.kind ? [{ index, line }] : [],
        );
        for (const issue of kind.checkLines(entries))
          ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
      }
    })
    .optional()
    .default([]);
}

/**
 * The checkout request: who buys and how they pay, the `items` of every kind
 * (tickets, tattoo slots) and the other fields kinds read (`accessCode`,
 * `donation`, …), built from the registry.
 */
export function checkoutSchema(): z.ZodType<CheckoutInput> {
  return memoisedSchema(() => {
    const kinds = itemKinds();
    const fields = ["items", ...kinds.flatMap((k) => Object.keys(k.input))];
    return z
      .object({
        email,
        name: optionalText({ max: 120 }),
        paymentMethod: z.enum(["stripe", "door", "free"], { error: "v.paymentMethod" }),
        items: itemsSchema(kinds),
        ...Object.assign({}, ...kinds.map((k) => k.input)),
      })
      .strict()
      .superRefine(
        (v, ctx) => {
          if (!kinds.some((k) => k.requested(v)))
            ctx.addIssue({ code: "custom", path: ["items"], message: "v.emptyOrder" });
        },
        // Also when the email or the payment method is wrong: every error at once.
        { when: fieldsValid(...fields) },
      ) as unknown as z.ZodType<CheckoutInput>; // the kinds' fields are only known at run time
  });
}

/** A parsed checkout request: the buyer, the payment method, and each item kind's fields. */
export type CheckoutInput = {
  email: string;
  name?: string;
  paymentMethod: "stripe" | "door" | "free";
  [field: string]: unknown;
};

/** Fewer places are left than the order asks for (409 `sold_out`). */
export class SoldOutError extends DomainError {
  constructor() {
    super(409, "sold_out", "Not enough places are left for this order.");
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
    throw new DomainError(
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
export class IdempotencyError extends DomainError {
  declare readonly status: 409 | 422;
  declare readonly code: "idempotency_key_reused" | "idempotency_in_progress";
  constructor(
    status: 409 | 422,
    code: "idempotency_key_reused" | "idempotency_in_progress",
    message: string,
  ) {
    // Still running: the client retries in a moment.
    super(status, code, message, status === 409 ? { headers: { "Retry-After": "1" } } : {});
  }
}

/** How long a repeat waits for its first request to open the card payment. */
const REPLAY_WAIT_MS = 15_000;

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
    /** Staff booking at the tattoo corner (walk-ins) rather than the public checkout. */
    channel?: "online" | "corner";
  },
): Promise<{
  order: PlacedOrder;
  festival: FestivalForSale;
  /** Every line of the order, each kind's, priced (what Stripe is asked for). */
  lines: PricedItem[];
  /** True when this request repeated an earlier one: `order` is that order, as it is now. */
  replayed: boolean;
}> {
  const now = context.now ?? new Date();
  const festival = await loadFestival(festivalId);
  if (!festival || festival.status === "draft") throw DomainError.notFound("No such festival.");
  if (festival.status === "cancelled")
    throw DomainError.conflict("festival_cancelled", "This festival has been cancelled.");
  if (now >= festival.endsAt)
    throw DomainError.conflict("sales_closed", "Sales for this festival have ended.");

  // Each item kind checks and prices its own part of the request, in registry order.
  const lines: PricedItem[] = [];
  const channel = context.channel ?? "online";
  for (const kind of itemKinds())
    lines.push(...(await kind.price({ festival, now, input, channel })));
  const totalMinor = lines.reduce((sum, l) => sum + l.amountMinor, 0);
  if (totalMinor > MAX_AMOUNT_MINOR)
    throw new FieldRulesError({
      _form: moneyMessage("v.totalTooLarge", MAX_AMOUNT_MINOR, festival.currency),
    });
  checkPaymentMethod(input.paymentMethod, totalMinor, festival, context.stripeAvailable, channel);

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
    ...lines.map((line): InStatement => ({
      sql: `INSERT INTO OrderItem (id, orderId, kind, ticketTypeId, quotaId, quantity, unitPriceMinor, amountMinor, prisonerId, category)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      args: [
        line.itemId,
        orderId,
        line.kind,
        line.ticketTypeId,
        line.quotaId,
        line.quantity,
        line.unitPriceMinor,
        line.amountMinor,
        line.prisonerId,
        line.category ?? null,
      ],
    })),
    ...storeStatements(lines, { orderId, now }),
    ...reserveStatements(lines, +1),
  ];

  let tickets: PlacedOrder["tickets"] = [];
  if (status !== "pending") {
    const issued = await fulfilLines(lines, {
      festival,
      orderId,
      now,
      payAtDoor: input.paymentMethod === "door",
      buyer: { email: input.email, locale: context.locale },
    });
    tickets = issued.tickets;
    statements.push(...issued.statements);
    statements.push(
      ...fulfilmentStatements({
        orderId,
        festival,
        email: input.email,
        paymentMethod: input.paymentMethod,
        lines,
        now,
        locale: context.locale,
        status,
      }),
    );
  }

  // One attempt, or a repeat of an earlier request: the unique index decides, in
  // the same batch (no lookup before it). An earlier attempt can vanish (its
  // card payment could not start): then this one is a new attempt.
  for (let attempt = 1; ; attempt++) {
    try {
      faultPoint("order-placement:before-commit");
      await sqlClient().batch(statements, "write");
      faultPoint("order-placement:after-commit");
      break;
    } catch (error) {
      if (isCapacityViolation(error)) throw new SoldOutError();
      const refused = kindRefusal(error);
      if (refused) throw refused;
      if (await currencyChanged(festival))
        throw DomainError.conflict(
          "festival_changed",
          "The festival's currency changed while the order was placed; reload and try again.",
        );
      if (!idempotencyKey || !isIdempotencyClash(error) || attempt >= 3) throw error;
      const earlier = await orderOfKey(idempotencyKey, requestHash!);
      if (earlier) return { order: earlier, festival, lines, replayed: true };
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
  channel: "online" | "corner",
) {
  if (totalMinor === 0) {
    if (method !== "free") throw new FieldRulesError({ paymentMethod: "v.freeOrder" });
    return;
  }
  if (method === "free") throw new FieldRulesError({ paymentMethod: "v.notFree" });
  // Staff at the tattoo corner can always take cash there ("door": paid at the festival).
  if (method === "door" && channel === "corner") return;
  if (!festival.paymentMethods.includes(method) || (method === "stripe" && !stripeAvailable))
    throw new FieldRulesError({ paymentMethod: "v.paymentMethodUnavailable" });
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
  festival: { id: string; currency: string };
  email: string | null;
  paymentMethod: string;
  lines: OrderLine[];
  now: Date;
  locale: Locale;
  status: OrderStatus;
}): InStatement[] {
  const { orderId, festival, lines, now } = args;
  const statements: InStatement[] = [];
  // Money has moved only for paid card orders (free ones take none); door
  // orders post theirs when staff take the cash (door.server.ts).
  if (args.status === "paid" && args.paymentMethod === "stripe")
    statements.push(
      ...entryStatements({
        id: `order:${orderId}:payment`,
        festivalId: festival.id,
        orderId,
        kind: "payment",
        at: now,
        postings: moneyInPostings(
          { festivalId: festival.id, currency: festival.currency, code: "stripe_balance" },
          incomeParts(lines),
        ),
      }),
    );
  // An erased order (late card payment after the retention job) has no address left.
  if (!args.email) return statements;
  statements.push(
    ...changeStatements(
      {
        emails: {
          to: args.email,
          template: "order-confirmation",
          locale: args.locale,
          data: { orderId },
        },
      },
      now,
    ),
  );
  return statements;
}
