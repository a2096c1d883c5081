// Ticket types and quotas: what a festival sells and how many.
import type { Prisma } from "@prisma/client";
import { z } from "zod";
import { DomainError, FieldRulesError } from "~/utils/domain-error";
import { audit } from "~/utils/change.server";
import type { CurrentUser } from "~/utils/auth.server";
import { prisma } from "~/utils/db.server";
import { dateTimeText, fieldsValid, optionalText, parseMoment, text } from "~/utils/validation";
import { pickText } from "~/utils/i18n";
import { FESTIVAL_LANGUAGES } from "./choices";
import { parseJsonObject, refuseIfCancelled } from "./festival.server";

/** Upper bound for any single price or amount, in minor units (1,000,000.00). */
export const MAX_AMOUNT_MINOR = 100_000_000;
export const MAX_CAPACITY = 1_000_000;
export const MAX_TICKETS_PER_ORDER = 50;

/** An amount in minor units as forms and the API send it: an integer from 0 to MAX_AMOUNT_MINOR. */
export const minorAmount = z
  .number({ error: "v.amount" })
  .int({ error: "v.amount" })
  .min(0, { error: "v.amount" })
  .max(MAX_AMOUNT_MINOR, { error: "v.amount" });

const capacityNumber = z
  .number({ error: "v.capacity" })
  .int({ error: "v.capacity" })
  .min(0, { error: "v.capacity" })
  .max(MAX_CAPACITY, { error: "v.capacity" });

const accessCode = z
  .string({ error: "v.accessCode" })
  .trim()
  .regex(/^[A-Za-z0-9_-]{4,40}$/, { error: "v.accessCode" });

const maxPerOrderNumber = z
  .number({ error: "v.maxPerOrder" })
  .int({ error: "v.maxPerOrder" })
  .min(1, { error: "v.maxPerOrder" })
  .max(MAX_TICKETS_PER_ORDER, { error: "v.maxPerOrder" });

const language = z.enum(FESTIVAL_LANGUAGES, { error: "v.language" });

/** A name given as one string (stored for every language) or per language (at least one unless optional). */
function localized(max: number, optional: boolean) {
  const one = optional ? optionalText({ max, multiline: true }) : text({ max });
  const either = z.union([
    one.transform((s) => (s === undefined ? {} : { "*": s })),
    z
      .partialRecord(language, optionalText({ max, multiline: optional }))
      .transform((r) =>
        Object.fromEntries(
          Object.entries(r).filter((e): e is [string, string] => typeof e[1] === "string"),
        ),
      ),
  ]);
  return optional
    ? either
    : either.refine((r) => Object.keys(r).length > 0, { error: "v.required" });
}

/**
 * Rules across a ticket type's fields, each run whenever the fields it reads are
 * valid (so they are reported together with every other error). `capacity`
 * may be left out only for a type on a shared capacity (the quota limits it).
 */
type TypeRulesInput = {
  payWhatYouWant?: boolean;
  priceMinor?: number;
  minPriceMinor?: number | null;
  suggestedPriceMinor?: number | null;
  visibility?: "public" | "hidden";
  accessCode?: string | null;
};

function priceRule(v: TypeRulesInput, ctx: z.RefinementCtx) {
  if (v.payWhatYouWant) {
    const min = v.minPriceMinor ?? v.priceMinor ?? 0;
    if (typeof v.suggestedPriceMinor === "number" && v.suggestedPriceMinor < min)
      ctx.addIssue({
        code: "custom",
        path: ["suggestedPriceMinor"],
        message: "v.suggestedBelowMin",
      });
  } else if (typeof v.minPriceMinor === "number" || typeof v.suggestedPriceMinor === "number") {
    ctx.addIssue({ code: "custom", path: ["minPriceMinor"], message: "v.onlyPayWhatYouWant" });
  }
}

function accessCodeRule(v: TypeRulesInput, ctx: z.RefinementCtx) {
  if (v.visibility === "hidden" && !v.accessCode)
    ctx.addIssue({ code: "custom", path: ["accessCode"], message: "v.accessCode" });
}

/** A type without a capacity of its own is limited by its shared capacity alone (stored as the upper bound). */
export const NO_OWN_CAPACITY = MAX_CAPACITY;

export const ticketTypeInput = z
  .object({
    name: localized(120, false),
    description: localized(2000, true).optional(),
    priceMinor: minorAmount,
    payWhatYouWant: z.boolean({ error: "v.boolean" }).optional().default(false),
    minPriceMinor: minorAmount.optional(),
    suggestedPriceMinor: minorAmount.optional(),
    capacity: capacityNumber.optional(),
    quotaId: z.string({ error: "v.invalid" }).max(64, { error: "v.invalid" }).optional(),
    salesStartAt: dateTimeText.optional(),
    salesEndAt: dateTimeText.optional(),
    visibility: z
      .enum(["public", "hidden"], { error: "v.visibility" })
      .optional()
      .default("public"),
    accessCode: accessCode.optional(),
    maxPerOrder: maxPerOrderNumber.optional().default(10),
  })
  .strict()
  .superRefine(priceRule, {
    when: fieldsValid("payWhatYouWant", "priceMinor", "minPriceMinor", "suggestedPriceMinor"),
  })
  .superRefine(accessCodeRule, { when: fieldsValid("visibility", "accessCode") })
  .superRefine(
    (v, ctx) => {
      if (v.capacity === undefined && !v.quotaId)
        ctx.addIssue({ code: "custom", path: ["capacity"], message: "v.capacity" });
    },
    { when: fieldsValid("capacity", "quotaId") },
  );

export type TicketTypeInput = z.output<typeof ticketTypeInput>;

export const quotaInput = z
  .object({
    name: text({ max: 120 }),
    capacity: capacityNumber,
  })
  .strict();

export async function createQuota(
  actor: CurrentUser,
  festivalId: string,
  input: z.output<typeof quotaInput>,
) {
  await refuseIfCancelled(festivalId);
  return prisma.$transaction(async (tx) => {
    const quota = await tx.quota.create({
      data: { festivalId, name: input.name, capacity: input.capacity },
      select: { id: true },
    });
    await audit(
      {
        actorUserId: actor.id,
        action: "quota.create",
        targetType: "quota",
        targetId: quota.id,
        festivalId,
        details: { capacity: input.capacity },
      },
      tx,
    );
    return quota;
  });
}

/** Create a ticket type; sales window dates are read in the festival's zone. */
export async function createTicketType(
  actor: CurrentUser,
  festival: { id: string; timezone: string },
  input: TicketTypeInput,
) {
  await refuseIfCancelled(festival.id);
  const fields: Record<string, string> = {};
  // Both are valid date-times (the schema checked them); read in the festival's zone.
  const salesStartAt = input.salesStartAt
    ? parseMoment(input.salesStartAt, festival.timezone)
    : null;
  const salesEndAt = input.salesEndAt ? parseMoment(input.salesEndAt, festival.timezone) : null;
  if (salesStartAt && salesEndAt && salesEndAt <= salesStartAt)
    fields.salesEndAt = "v.endBeforeStart";
  if (input.quotaId) {
    const quota = await prisma.quota.findFirst({
      where: { id: input.quotaId, festivalId: festival.id },
      select: { id: true },
    });
    if (!quota) fields.quotaId = "v.unknownQuota";
  }
  if (Object.keys(fields).length) throw new FieldRulesError(fields);
  return prisma.$transaction(async (tx) => {
    const position = await tx.ticketType.count({ where: { festivalId: festival.id } });
    const row = await tx.ticketType.create({
      data: {
        festivalId: festival.id,
        name: JSON.stringify(input.name),
        description: JSON.stringify(input.description ?? {}),
        priceMinor: input.priceMinor,
        payWhatYouWant: input.payWhatYouWant,
        minPriceMinor: input.payWhatYouWant ? (input.minPriceMinor ?? input.priceMinor) : null,
        suggestedPriceMinor: input.payWhatYouWant ? (input.suggestedPriceMinor ?? null) : null,
        capacity: input.capacity ?? NO_OWN_CAPACITY,
        quotaId: input.quotaId ?? null,
        salesStartAt,
        salesEndAt,
        visibility: input.visibility,
        accessCode: input.visibility === "hidden" ? (input.accessCode ?? null) : null,
        maxPerOrder: input.maxPerOrder,
        position,
      },
      select: { id: true },
    });
    await audit(
      {
        actorUserId: actor.id,
        action: "ticketType.create",
        targetType: "ticketType",
        targetId: row.id,
        festivalId: festival.id,
        details: { priceMinor: input.priceMinor, capacity: input.capacity ?? null },
      },
      tx,
    );
    return row;
  });
}

/** The text of a per-language field (stored JSON) in `locale`, falling back to any language given. */
export function pickLanguage(json: string, locale: string): string {
  return textIn(parseJsonObject(json), locale);
}

/** The text of a per-language value, as `apiText` gives it, in `locale`. */
export function textIn(value: string | Record<string, string>, locale: string): string {
  if (typeof value === "string") return value;
  return pickText(value, locale)?.text ?? "";
}

/**
 * A stored per-language field in the shape the API takes it (`localized()`):
 * one string for every language, or `{ "en": …, "ru": … }`.
 */
export function apiText(json: string): string | Record<string, string> {
  const values = parseJsonObject(json);
  const keys = Object.keys(values);
  return keys.length === 1 && keys[0] === "*" ? values["*"]! : values;
}

/** A ticket type row as the API answers it: its texts in the shape the API takes them. */
export function ticketTypeForApi<T extends { name: string; description: string }>(type: T) {
  return { ...type, name: apiText(type.name), description: apiText(type.description) };
}

/** Ticket types with what is left, for organisers and the public shop. */
export async function listTicketTypes(festivalId: string) {
  const rows = await prisma.ticketType.findMany({
    where: { festivalId },
    orderBy: { position: "asc" },
    include: { quota: { select: { id: true, name: true, capacity: true, reserved: true } } },
  });
  return rows.map((t) => ({
    ...t,
    available: Math.max(
      0,
      Math.min(t.capacity - t.reserved, t.quota ? t.quota.capacity - t.quota.reserved : Infinity),
    ),
  }));
}

// ------------------------------------------------------------------ changes

const nullableDate = dateTimeText.nullable().optional();

/**
 * A change to a ticket type: every field optional, unknown fields refused.
 * `name`/`description` replace the stored texts (all languages at once); `null`
 * clears an optional value (sales window ends, minimum/suggested price, quota,
 * access code). Rules that involve stored values are checked by `updateTicketType`.
 */
export const ticketTypePatch = z
  .object({
    name: localized(120, false).optional(),
    description: localized(2000, true).nullable().optional(),
    priceMinor: minorAmount.optional(),
    payWhatYouWant: z.boolean({ error: "v.boolean" }).optional(),
    minPriceMinor: minorAmount.nullable().optional(),
    suggestedPriceMinor: minorAmount.nullable().optional(),
    capacity: capacityNumber.nullable().optional(),
    quotaId: z.string({ error: "v.invalid" }).max(64, { error: "v.invalid" }).nullable().optional(),
    salesStartAt: nullableDate,
    salesEndAt: nullableDate,
    visibility: z.enum(["public", "hidden"], { error: "v.visibility" }).optional(),
    accessCode: accessCode.nullable().optional(),
    maxPerOrder: maxPerOrderNumber.optional(),
  })
  .strict();

export type TicketTypePatch = z.output<typeof ticketTypePatch>;

export const quotaPatch = z
  .object({ name: text({ max: 120 }).optional(), capacity: capacityNumber.optional() })
  .strict();

/** The CHECK constraint a failed write ran into, if it is one of the capacity ones. */
function capacityConstraint(error: unknown): "ticketType" | "quota" | null {
  const message =
    error instanceof Error
      ? `${error.message} ${String((error as { cause?: unknown }).cause ?? "")}`
      : String(error);
  if (/TicketType_reserved_within_capacity/i.test(message)) return "ticketType";
  if (/Quota_reserved_within_capacity/i.test(message)) return "quota";
  // SQLite names the constraint; anything else about `reserved` is the type's.
  return /CHECK constraint failed: .*reserved/i.test(message) ? "ticketType" : null;
}

/** A ticket type of this festival, or null (another festival's type is as unknown as a missing one). */
export async function findTicketType(festivalId: string, ticketTypeId: string | undefined) {
  if (!ticketTypeId || ticketTypeId.length > 64) return null;
  return prisma.ticketType.findFirst({ where: { id: ticketTypeId, festivalId } });
}

/**
 * Change a ticket type. The capacity may not go below the places already sold
 * or held; moving to another quota moves those places with it (one transaction),
 * and only if the new quota has room. Prices are read at checkout and copied into
 * each order, so changing them never changes an existing order.
 */
export async function updateTicketType(
  actor: CurrentUser,
  festival: { id: string; timezone: string },
  ticketTypeId: string,
  input: TicketTypePatch,
) {
  const row = await findTicketType(festival.id, ticketTypeId);
  if (!row) throw DomainError.notFound();
  await refuseIfCancelled(festival.id);
  const fields: Record<string, string> = {};
  const data: Prisma.TicketTypeUncheckedUpdateInput = {};

  if (input.name !== undefined) data.name = JSON.stringify(input.name);
  if (input.description !== undefined) data.description = JSON.stringify(input.description ?? {});

  // Price: the stored values with the change applied, checked as a whole.
  const priceMinor = input.priceMinor ?? row.priceMinor;
  const payWhatYouWant = input.payWhatYouWant ?? row.payWhatYouWant;
  if (payWhatYouWant) {
    const min =
      input.minPriceMinor !== undefined
        ? (input.minPriceMinor ?? priceMinor)
        : (row.minPriceMinor ?? priceMinor);
    const suggested =
      input.suggestedPriceMinor !== undefined ? input.suggestedPriceMinor : row.suggestedPriceMinor;
    if (suggested !== null && suggested < min) fields.suggestedPriceMinor = "v.suggestedBelowMin";
    Object.assign(data, { minPriceMinor: min, suggestedPriceMinor: suggested });
  } else {
    if (typeof input.minPriceMinor === "number") fields.minPriceMinor = "v.onlyPayWhatYouWant";
    else if (typeof input.suggestedPriceMinor === "number")
      fields.suggestedPriceMinor = "v.onlyPayWhatYouWant";
    Object.assign(data, { minPriceMinor: null, suggestedPriceMinor: null });
  }
  Object.assign(data, { priceMinor, payWhatYouWant });

  // Sales window, read in the festival's zone.
  const moment = (name: "salesStartAt" | "salesEndAt") => {
    const value = input[name];
    if (value === undefined) return row[name];
    if (value === null || value.trim() === "") return null;
    const parsed = parseMoment(value, festival.timezone);
    if (!parsed) fields[name] = "v.dateTime";
    return parsed;
  };
  const salesStartAt = moment("salesStartAt");
  const salesEndAt = moment("salesEndAt");
  if (salesStartAt && salesEndAt && salesEndAt <= salesStartAt && !fields.salesEndAt)
    fields.salesEndAt = "v.endBeforeStart";
  Object.assign(data, { salesStartAt, salesEndAt });

  // Visibility: hidden types need a code; public ones keep none.
  const visibility = input.visibility ?? row.visibility;
  const code = input.accessCode !== undefined ? input.accessCode : row.accessCode;
  if (visibility === "hidden" && !code) fields.accessCode = "v.accessCode";
  Object.assign(data, { visibility, accessCode: visibility === "hidden" ? code : null });

  if (input.maxPerOrder !== undefined) data.maxPerOrder = input.maxPerOrder;

  // Capacity and quota, first against what is known now (for a clear message);
  // the CHECK constraints decide under concurrent sales.
  const quotaId = input.quotaId !== undefined ? (input.quotaId ?? null) : row.quotaId;
  // null: no capacity of its own, which only a type on a shared capacity may have.
  const capacity = input.capacity === null ? NO_OWN_CAPACITY : (input.capacity ?? row.capacity);
  if (input.capacity === null && quotaId === null) fields.capacity = "v.capacity";
  else if (capacity < row.reserved) fields.capacity = `v.capacityBelowReserved|${row.reserved}`;
  data.capacity = capacity;
  if (quotaId !== row.quotaId && quotaId !== null) {
    const quota = await prisma.quota.findFirst({
      where: { id: quotaId, festivalId: festival.id },
      select: { capacity: true, reserved: true },
    });
    if (!quota) fields.quotaId = "v.unknownQuota";
    else if (quota.capacity - quota.reserved < row.reserved)
      fields.quotaId = `v.quotaNoRoom|${Math.max(0, quota.capacity - quota.reserved)}`;
  }
  data.quotaId = quotaId;
  if (Object.keys(fields).length) throw new FieldRulesError(fields);

  try {
    await prisma.$transaction(async (tx) => {
      // The write comes first, so the transaction holds the write lock before it
      // reads `reserved`: no sale can slip in between.
      const updated = await tx.ticketType.update({
        where: { id: row.id },
        data,
        select: { reserved: true },
      });
      if (quotaId !== row.quotaId && updated.reserved > 0) {
        if (row.quotaId)
          await tx.quota.update({
            where: { id: row.quotaId },
            data: { reserved: { decrement: updated.reserved } },
          });
        if (quotaId)
          await tx.quota.update({
            where: { id: quotaId },
            data: { reserved: { increment: updated.reserved } },
          });
      }
      await audit(
        {
          actorUserId: actor.id,
          action: "ticketType.update",
          targetType: "ticketType",
          targetId: row.id,
          festivalId: festival.id,
          details: {
            fields: Object.keys(input).sort(),
            ...(input.priceMinor !== undefined ? { priceMinor: priceMinor } : {}),
            ...(input.capacity !== undefined ? { capacity } : {}),
            ...(quotaId !== row.quotaId ? { fromQuota: row.quotaId, toQuota: quotaId } : {}),
          },
        },
        tx,
      );
    });
  } catch (error) {
    const which = capacityConstraint(error);
    if (!which) throw error;
    // Places were taken while we changed the type: say how many there are now.
    const now = await prisma.ticketType.findUnique({
      where: { id: row.id },
      select: { reserved: true },
    });
    if (which === "ticketType")
      throw new FieldRulesError({
        capacity: `v.capacityBelowReserved|${now?.reserved ?? row.reserved}`,
      });
    const quota = quotaId
      ? await prisma.quota.findUnique({
          where: { id: quotaId },
          select: { capacity: true, reserved: true },
        })
      : null;
    throw new FieldRulesError({
      quotaId: `v.quotaNoRoom|${quota ? Math.max(0, quota.capacity - quota.reserved) : 0}`,
    });
  }
  return { id: row.id };
}

/** Rename a quota or change its capacity (never below the places it holds). */
export async function updateQuota(
  actor: CurrentUser,
  festivalId: string,
  quotaId: string,
  input: z.output<typeof quotaPatch>,
) {
  const quota =
    quotaId.length <= 64
      ? await prisma.quota.findFirst({ where: { id: quotaId, festivalId } })
      : null;
  if (!quota) throw DomainError.notFound();
  await refuseIfCancelled(festivalId);
  if (input.capacity !== undefined && input.capacity < quota.reserved)
    throw new FieldRulesError({ capacity: `v.capacityBelowReserved|${quota.reserved}` });
  try {
    await prisma.$transaction(async (tx) => {
      await tx.quota.update({
        where: { id: quota.id },
        data: {
          ...(input.name !== undefined ? { name: input.name } : {}),
          ...(input.capacity !== undefined ? { capacity: input.capacity } : {}),
        },
      });
      await audit(
        {
          actorUserId: actor.id,
          action: "quota.update",
          targetType: "quota",
          targetId: quota.id,
          festivalId,
          details: {
            fields: Object.keys(input).sort(),
            ...(input.capacity !== undefined ? { capacity: input.capacity } : {}),
          },
        },
        tx,
      );
    });
  } catch (error) {
    if (!capacityConstraint(error)) throw error;
    const now = await prisma.quota.findUnique({
      where: { id: quota.id },
      select: { reserved: true },
    });
    throw new FieldRulesError({
      capacity: `v.capacityBelowReserved|${now?.reserved ?? quota.reserved}`,
    });
  }
  return { id: quota.id };
}
