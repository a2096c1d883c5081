// A festival's tattoo settings (organisers, permission festival:tattoo): how
// many active bookings one person may hold per artist, until how many hours
// before the slot a booking can be cancelled or moved from its link, whether a
// cancelled booking's donation is refunded or kept as a donation, and how long
// a waitlist offer holds its slot. The limits are the migration's CHECKs
// (20261203000000_tattoo_slots). Bookings keep the cancellation terms they were
// made under (TattooBooking.cancelPolicy / cancelHours); the other two apply
// from now on.
import { z } from "zod";
import type { CurrentUser } from "~/utils/auth.server";
import { auditStatement } from "~/utils/change.server";
import { sqlClient, sqlDate, writeTransaction } from "~/utils/db.server";
import { DomainError } from "~/utils/domain-error";
import { FestivalCancelledError } from "./festival.server";
import { TATTOO_LIMITS } from "./tattoo-limits";

export { TATTOO_LIMITS };

const whole = (name: keyof typeof TATTOO_LIMITS) => {
  const { min, max } = TATTOO_LIMITS[name];
  const error = `v.tattooSetting.${name}` as const;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};

/** PATCH body: any of the four, nothing else. */
export const tattooSettingsInput = z
  .object({
    bookingsPerArtist: whole("bookingsPerArtist").optional(),
    cancelHours: whole("cancelHours").optional(),
    cancelPolicy: z.enum(["refund", "keep"], { error: "v.tattooSetting.cancelPolicy" }).optional(),
    offerMinutes: whole("offerMinutes").optional(),
  })
  .strict();
export type TattooSettingsInput = z.output<typeof tattooSettingsInput>;

export type TattooSettings = {
  bookingsPerArtist: number;
  cancelHours: number;
  cancelPolicy: "refund" | "keep";
  offerMinutes: number;
};

const COLUMNS = {
  bookingsPerArtist: "tattooBookingsPerArtist",
  cancelHours: "tattooCancelHours",
  cancelPolicy: "tattooCancelPolicy",
  offerMinutes: "tattooOfferMinutes",
} as const;

export async function readTattooSettings(festivalId: string): Promise<TattooSettings> {
  const { rows } = await sqlClient().execute({
    sql: `SELECT tattooBookingsPerArtist, tattooCancelHours, tattooCancelPolicy, tattooOfferMinutes FROM Festival WHERE id = ?`,
    args: [festivalId],
  });
  const r = rows[0];
  if (!r) throw DomainError.notFound("No such festival.");
  return {
    bookingsPerArtist: Number(r.tattooBookingsPerArtist),
    cancelHours: Number(r.tattooCancelHours),
    cancelPolicy: r.tattooCancelPolicy === "keep" ? "keep" : "refund",
    offerMinutes: Number(r.tattooOfferMinutes),
  };
}

/**
 * Change some of the settings, with an audit row of what changed (before and
 * after) in the same transaction. A cancelled festival changes no more (409).
 */
export async function updateTattooSettings(
  actor: CurrentUser,
  festivalId: string,
  patch: TattooSettingsInput,
  now = new Date(),
): Promise<TattooSettings> {
  await writeTransaction(async (tx) => {
    const { rows } = await tx.execute({
      sql: `SELECT status, tattooBookingsPerArtist, tattooCancelHours, tattooCancelPolicy, tattooOfferMinutes FROM Festival WHERE id = ?`,
      args: [festivalId],
    });
    const r = rows[0];
    if (!r) throw DomainError.notFound("No such festival.");
    if (r.status === "cancelled") throw new FestivalCancelledError();
    const changes = (Object.keys(COLUMNS) as (keyof typeof COLUMNS)[]).filter(
      (k) => patch[k] !== undefined && patch[k] !== r[COLUMNS[k]],
    );
    if (changes.length === 0) return;
    const details: Record<string, string | number> = {};
    for (const k of changes) {
      details[`${k}Before`] = r[COLUMNS[k]] as string | number;
      details[k] = patch[k]!;
    }
    await tx.execute({
      sql: `UPDATE Festival SET ${changes.map((k) => `${COLUMNS[k]} = ?`).join(", ")}, updatedAt = ? WHERE id = ?`,
      args: [...changes.map((k) => patch[k]!), sqlDate(now), festivalId],
    });
    await tx.execute(
      auditStatement(
        {
          actorUserId: actor.id,
          action: "festival.tattoo_settings",
          targetType: "festival",
          targetId: festivalId,
          festivalId,
          details,
        },
        now,
      ),
    );
  });
  return readTattooSettings(festivalId);
}
