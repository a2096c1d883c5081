// Item kind "ticket": places of a ticket type (and its quota), priced by the
// type's rules, fulfilled as signed tickets. Places are taken with
// `reserved = reserved + n` under CHECK constraints (decision 0009).
import type { InStatement } from "@libsql/client";
import { z } from "zod";
import { dateFromSql, sqlClient, sqlDate } from "~/utils/db.server";
import { FieldRulesError } from "~/utils/domain-error";
import { moneyMessage } from "~/utils/validation";
import { randomToken } from "~/utils/crypto.server";
import { MAX_TICKETS_PER_ORDER, minorAmount, pickLanguage } from "../ticket-type.server";
import { issueTicketTokens } from "../ticket.server";
import {
  entriesOf,
  type ItemEntry,
  type ItemKind,
  type OrderLine,
  type PricedItem,
} from "./kind.server";

/** One ticket entry of the request's `items` (its `kind` is "ticket" or left out). */
const ticketLine = z.object({
  ticketTypeId: z
    .string({ error: "v.unknownTicketType" })
    .min(1, { error: "v.unknownTicketType" })
    .max(64, { error: "v.unknownTicketType" }),
  quantity: z
    .number({ error: "v.quantity" })
    .int({ error: "v.quantity" })
    .min(1, { error: "v.quantity" })
    .max(MAX_TICKETS_PER_ORDER, { error: "v.quantity" }),
  priceMinor: minorAmount.optional(),
});

/** A ticket type at most once per order, and at most MAX_TICKETS_PER_ORDER tickets in all. */
function checkTicketLines(entries: ItemEntry[]) {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const seen = new Set<unknown>();
  let tickets = 0;
  for (const { index, line } of entries) {
    if (seen.has(line.ticketTypeId))
      issues.push({ path: [index, "ticketTypeId"], message: "v.duplicateItem" });
    seen.add(line.ticketTypeId);
    tickets += Number(line.quantity);
  }
  if (tickets > MAX_TICKETS_PER_ORDER)
    issues.push({ path: [], message: `v.tooManyTickets|${MAX_TICKETS_PER_ORDER}` });
  return issues;
}

const accessCode = z
  .string({ error: "v.accessCode" })
  .max(40, { error: "v.accessCode" })
  .optional();

type TicketRequest = { index: number; line: z.output<typeof ticketLine> }[];

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

/** Check every requested line against its type's rules and fix each unit price. */
function priceLines(
  request: TicketRequest,
  code: string | undefined,
  types: Map<string, TypeForSale>,
  now: Date,
  currency: string,
): PricedItem[] {
  const fields: Record<string, string> = {};
  const priced: PricedItem[] = [];
  request.forEach(({ index, line: item }) => {
    const at = `items.${index}`;
    const type = types.get(item.ticketTypeId);
    // A hidden type without its code is indistinguishable from an unknown one.
    if (!type || (type.visibility === "hidden" && (!code || code !== type.accessCode))) {
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
    priced.push({
      itemId: randomToken(12),
      kind: "ticket",
      quantity: item.quantity,
      unitPriceMinor: unit,
      amountMinor: unit * item.quantity,
      ticketTypeId: type.id,
      quotaId: type.quotaId,
      prisonerId: null,
      label: type.name,
    });
  });
  if (Object.keys(fields).length) throw new FieldRulesError(fields);
  return priced;
}

/** Take (+1) or give back (-1) the places of these lines, on ticket types and their quotas. */
function reservePlaces(lines: OrderLine[], sign: 1 | -1): InStatement[] {
  const statements: InStatement[] = [];
  const perQuota = new Map<string, number>();
  for (const line of lines) {
    statements.push({
      sql: "UPDATE TicketType SET reserved = reserved + ? WHERE id = ?",
      args: [sign * line.quantity, line.ticketTypeId],
    });
    if (line.quotaId) perQuota.set(line.quotaId, (perQuota.get(line.quotaId) ?? 0) + line.quantity);
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

export const ticketKind: ItemKind = {
  kind: "ticket",
  category: "ticket",
  input: { accessCode },
  line: ticketLine,
  checkLines: checkTicketLines,
  requested: (input) => entriesOf(input, "ticket").length > 0,
  async price({ festival, now, input }) {
    const request = entriesOf(input, "ticket") as unknown as TicketRequest; // checked by `ticketLine`
    const types = await loadTypes(
      festival.id,
      request.map((i) => i.line.ticketTypeId),
    );
    return priceLines(
      request,
      input.accessCode as string | undefined,
      types,
      now,
      festival.currency,
    );
  },
  reserve: reservePlaces,
  release: (_lines, { orderId, now, reason }) =>
    reason === "expired" || reason === "undone"
      ? []
      : [
          {
            sql: `UPDATE Ticket SET status = 'revoked', revokedAt = ? WHERE orderId = ? AND status = 'valid'`,
            args: [sqlDate(now), orderId],
          },
        ],
  async fulfil(lines, { festival, orderId, now, payAtDoor }) {
    return issueTicketTokens(
      festival,
      orderId,
      lines.map((l) => ({
        itemId: l.itemId,
        type: { id: l.ticketTypeId! },
        quantity: l.quantity,
        unitPriceMinor: l.unitPriceMinor,
      })),
      now,
      payAtDoor,
    );
  },
  stripeLineItems: (lines, { festival, locale }) =>
    lines.map((l) => ({
      quantity: l.quantity,
      price_data: {
        currency: festival.currency.toLowerCase(),
        unit_amount: l.unitPriceMinor,
        product_data: { name: `${festival.name}: ${pickLanguage(l.label, locale)}` },
      },
    })),
  csvColumns: {
    tickets: (lines, { locale }) =>
      lines.map((l) => `${l.quantity} × ${pickLanguage(l.label ?? "{}", locale)}`).join("; "),
  },
};
