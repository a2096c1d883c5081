// Ticket types and quotas: what a festival sells and how many.
import { z } from "zod";
import { FieldRulesError } from "~/utils/http.server";
import { audit } from "~/utils/audit.server";
import type { CurrentUser } from "~/utils/auth.server";
import { prisma } from "~/utils/db.server";
import { optionalText, parseMoment, text } from "~/utils/validation";
import { FESTIVAL_LANGUAGES } from "./choices";
import { parseJsonObject } from "./festival.server";

/** Upper bound for any single price or amount, in minor units (1,000,000.00). */
export const MAX_AMOUNT_MINOR = 100_000_000;
export const MAX_CAPACITY = 1_000_000;
export const MAX_TICKETS_PER_ORDER = 50;

const minorAmount = z
  .number({ error: "v.amount" })
  .int({ error: "v.amount" })
  .min(0, { error: "v.amount" })
  .max(MAX_AMOUNT_MINOR, { error: "v.amount" });

const language = z.enum(FESTIVAL_LANGUAGES, { error: "v.language" });

/** A name given as one string (stored for every language) or per language. */
function localized(max: number, optional: boolean) {
  const one = optional ? optionalText({ max, multiline: true }) : text({ max });
  return z.union([
    one.transform((s) => (s === undefined ? {} : { "*": s })),
    z
      .partialRecord(language, optionalText({ max, multiline: optional }))
      .transform((r) =>
        Object.fromEntries(
          Object.entries(r).filter((e): e is [string, string] => typeof e[1] === "string"),
        ),
      ),
  ]);
}

export const ticketTypeInput = z
  .object({
    name: localized(120, false),
    description: localized(2000, true).optional(),
    priceMinor: minorAmount,
    payWhatYouWant: z.boolean({ error: "v.boolean" }).optional().default(false),
    minPriceMinor: minorAmount.optional(),
    suggestedPriceMinor: minorAmount.optional(),
    capacity: z
      .number({ error: "v.capacity" })
      .int({ error: "v.capacity" })
      .min(0, { error: "v.capacity" })
      .max(MAX_CAPACITY, { error: "v.capacity" }),
    quotaId: z.string({ error: "v.invalid" }).max(64, { error: "v.invalid" }).optional(),
    salesStartAt: z.string({ error: "v.dateTime" }).max(40, { error: "v.dateTime" }).optional(),
    salesEndAt: z.string({ error: "v.dateTime" }).max(40, { error: "v.dateTime" }).optional(),
    visibility: z
      .enum(["public", "hidden"], { error: "v.visibility" })
      .optional()
      .default("public"),
    accessCode: z
      .string({ error: "v.accessCode" })
      .trim()
      .regex(/^[A-Za-z0-9_-]{4,40}$/, { error: "v.accessCode" })
      .optional(),
    maxPerOrder: z
      .number({ error: "v.maxPerOrder" })
      .int({ error: "v.maxPerOrder" })
      .min(1, { error: "v.maxPerOrder" })
      .max(MAX_TICKETS_PER_ORDER, { error: "v.maxPerOrder" })
      .optional()
      .default(10),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (Object.keys(v.name).length === 0)
      ctx.addIssue({ code: "custom", path: ["name"], message: "v.required" });
    if (v.payWhatYouWant) {
      const min = v.minPriceMinor ?? v.priceMinor;
      if (v.suggestedPriceMinor !== undefined && v.suggestedPriceMinor < min)
        ctx.addIssue({
          code: "custom",
          path: ["suggestedPriceMinor"],
          message: "v.suggestedBelowMin",
        });
    } else if (v.minPriceMinor !== undefined || v.suggestedPriceMinor !== undefined) {
      ctx.addIssue({ code: "custom", path: ["minPriceMinor"], message: "v.onlyPayWhatYouWant" });
    }
    if (v.visibility === "hidden" && !v.accessCode)
      ctx.addIssue({ code: "custom", path: ["accessCode"], message: "v.accessCode" });
  });

export type TicketTypeInput = z.output<typeof ticketTypeInput>;

export const quotaInput = z
  .object({
    name: text({ max: 120 }),
    capacity: z
      .number({ error: "v.capacity" })
      .int({ error: "v.capacity" })
      .min(0, { error: "v.capacity" })
      .max(MAX_CAPACITY, { error: "v.capacity" }),
  })
  .strict();

export async function createQuota(
  actor: CurrentUser,
  festivalId: string,
  input: z.output<typeof quotaInput>,
) {
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
  const fields: Record<string, string> = {};
  const salesStartAt = input.salesStartAt
    ? parseMoment(input.salesStartAt, festival.timezone)
    : null;
  const salesEndAt = input.salesEndAt ? parseMoment(input.salesEndAt, festival.timezone) : null;
  if (input.salesStartAt && !salesStartAt) fields.salesStartAt = "v.dateTime";
  if (input.salesEndAt && !salesEndAt) fields.salesEndAt = "v.dateTime";
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
        capacity: input.capacity,
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
        details: { priceMinor: input.priceMinor, capacity: input.capacity },
      },
      tx,
    );
    return row;
  });
}

/** The text of a per-language field in `locale`, falling back to any language given. */
export function pickLanguage(json: string, locale: string): string {
  const values = parseJsonObject(json);
  return values[locale] ?? values["*"] ?? values.en ?? Object.values(values)[0] ?? "";
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
