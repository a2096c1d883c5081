// A festival's poster (issue 13): uploaded by its organisers, checked and
// re-encoded like every picture (utils/images.server.ts: content sniffed, pixel
// bomb refused, WebP with no metadata) at a few widths, shown on the festival
// page, in the list and in the sharing tags, with a srcset of its widths.
import { sqlDate, writeTransaction } from "~/utils/db.server";
import { writeChange } from "~/utils/change.server";
import { DomainError } from "~/utils/domain-error";
import { posterFile, removeImageFiles, storePoster } from "~/utils/images.server";
import type { CurrentUser } from "~/utils/auth.server";
import { festivalToChange, parseJsonArray, refuseIfCancelled } from "./festival.server";
import { posterView } from "./poster-view.server";

export { posterView } from "./poster-view.server";

const filesOf = (name: unknown, sizes: unknown) =>
  typeof name === "string"
    ? parseJsonArray(typeof sizes === "string" ? sizes : "[]").map((w) =>
        posterFile(name, Number(w)),
      )
    : [];

/**
 * Set or replace the poster (festival:edit): stored first, then the row names
 * it with its audit row in one transaction; the replaced files go after the
 * commit, the new ones again if the row could not be written.
 */
export async function setFestivalPoster(
  actor: CurrentUser,
  festivalId: string | undefined,
  bytes: Buffer,
) {
  const festival = await festivalToChange(actor, festivalId);
  await refuseIfCancelled(festival.id);
  const stored = await storePoster(bytes);
  const now = new Date();
  let old: string[];
  try {
    old = await writeTransaction(async (tx) => {
      const { rows } = await tx.execute({
        sql: "SELECT posterImage, posterSizes FROM Festival WHERE id = ?",
        args: [festival.id],
      });
      if (!rows[0]) throw DomainError.notFound();
      await tx.execute({
        sql: `UPDATE Festival SET posterImage = ?, posterSizes = ?, posterWidth = ?, posterHeight = ?, updatedAt = ? WHERE id = ?`,
        args: [
          stored.name,
          JSON.stringify(stored.widths),
          stored.width,
          stored.height,
          sqlDate(now),
          festival.id,
        ],
      });
      await writeChange(
        tx,
        {
          audit: {
            actorUserId: actor.id,
            action: "festival.poster.set",
            targetType: "festival",
            targetId: festival.id,
            festivalId: festival.id,
            details: { widths: stored.widths.join(","), replaced: rows[0].posterImage !== null },
          },
        },
        now,
      );
      return filesOf(rows[0].posterImage, rows[0].posterSizes);
    });
  } catch (error) {
    await removeImageFiles(stored.widths.map((w) => posterFile(stored.name, w)));
    throw error;
  }
  await removeImageFiles(old);
  return posterView({
    posterImage: stored.name,
    posterSizes: JSON.stringify(stored.widths),
    posterWidth: stored.width,
    posterHeight: stored.height,
  })!;
}

/** Remove the poster (and its files, after the commit); removing none is fine. */
export async function removeFestivalPoster(actor: CurrentUser, festivalId: string | undefined) {
  const festival = await festivalToChange(actor, festivalId);
  const now = new Date();
  const old = await writeTransaction(async (tx) => {
    const { rows } = await tx.execute({
      sql: "SELECT posterImage, posterSizes FROM Festival WHERE id = ?",
      args: [festival.id],
    });
    if (!rows[0] || rows[0].posterImage === null) return [];
    await tx.execute({
      sql: `UPDATE Festival SET posterImage = NULL, posterSizes = NULL, posterWidth = NULL, posterHeight = NULL, updatedAt = ? WHERE id = ?`,
      args: [sqlDate(now), festival.id],
    });
    await writeChange(
      tx,
      {
        audit: {
          actorUserId: actor.id,
          action: "festival.poster.remove",
          targetType: "festival",
          targetId: festival.id,
          festivalId: festival.id,
        },
      },
      now,
    );
    return filesOf(rows[0].posterImage, rows[0].posterSizes);
  });
  await removeImageFiles(old);
}
