// Prisoners a festival supports (the registry itself grows in the proceeds issue).
import { audit } from "~/utils/change.server";
import type { CurrentUser } from "~/utils/auth.server";
import { prisma } from "~/utils/db.server";
import { refuseIfCancelled } from "./festival.server";
import { pickLanguage } from "./ticket-type.server";

export async function listPrisoners(locale: string) {
  const rows = await prisma.prisoner.findMany({
    orderBy: { slug: "asc" },
    select: { id: true, slug: true, name: true },
  });
  return rows.map((p) => ({ id: p.id, slug: p.slug, name: pickLanguage(p.name, locale) }));
}

export async function supportedPrisoners(festivalId: string, locale: string) {
  const rows = await prisma.festivalPrisoner.findMany({
    where: { festivalId },
    select: { prisoner: { select: { id: true, slug: true, name: true } } },
  });
  return rows
    .map((r) => ({
      id: r.prisoner.id,
      slug: r.prisoner.slug,
      name: pickLanguage(r.prisoner.name, locale),
    }))
    .sort((a, b) => a.name.localeCompare(b.name, locale));
}

/** Replace the set of prisoners a festival supports (unknown ids are ignored). */
export async function setSupportedPrisoners(
  actor: CurrentUser,
  festivalId: string,
  prisonerIds: string[],
) {
  await refuseIfCancelled(festivalId);
  const ids = [...new Set(prisonerIds.filter((id) => id.length <= 64))].slice(0, 200);
  const known = await prisma.prisoner.findMany({
    where: { id: { in: ids } },
    select: { id: true },
  });
  await prisma.$transaction(async (tx) => {
    await tx.festivalPrisoner.deleteMany({ where: { festivalId } });
    if (known.length)
      await tx.festivalPrisoner.createMany({
        data: known.map((p) => ({ festivalId, prisonerId: p.id })),
      });
    await audit(
      {
        actorUserId: actor.id,
        action: "festival.prisoners.set",
        targetType: "festival",
        targetId: festivalId,
        festivalId,
        details: { prisoners: known.map((p) => p.id) },
      },
      tx,
    );
  });
}
