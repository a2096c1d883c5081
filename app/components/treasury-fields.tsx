// Form pieces the treasury pages share (the labelled select is SelectField in
// field.tsx): the names of funds, and the labels of payout purposes and
// recipient kinds.
import { useEffect, useRef } from "react";
import type { Translate } from "~/utils/i18n";

export const PAYOUT_CATEGORY_KEYS = {
  lawyer: "treasury.category.lawyer",
  prison_visit: "treasury.category.prison_visit",
  parcels_letters: "treasury.category.parcels_letters",
  commissary: "treasury.category.commissary",
  fine: "treasury.category.fine",
  family_support: "treasury.category.family_support",
  other: "treasury.category.other",
} as const;

export const RECIPIENT_KIND_KEYS = {
  relative: "treasury.kind.relative",
  lawyer: "treasury.kind.lawyer",
  prisoner: "treasury.kind.prisoner",
  fund: "treasury.kind.fund",
} as const;

export function categoryLabel(t: Translate, category: string) {
  return category in PAYOUT_CATEGORY_KEYS
    ? t(PAYOUT_CATEGORY_KEYS[category as keyof typeof PAYOUT_CATEGORY_KEYS])
    : category;
}

export function kindLabel(t: Translate, kind: string) {
  return kind in RECIPIENT_KIND_KEYS
    ? t(RECIPIENT_KIND_KEYS[kind as keyof typeof RECIPIENT_KIND_KEYS])
    : kind;
}

/** A fund's name: the prisoner's, or the general fund's (null). */
export function fundName(
  t: Translate,
  prisonerId: string | null,
  names: Readonly<Record<string, string>>,
) {
  return prisonerId === null ? t("treasury.generalFund") : (names[prisonerId] ?? prisonerId);
}

/** The form value that stands for the general fund. */
export const GENERAL_FUND = "general";

/** Options for choosing a fund: the prisoners', then the general fund (GENERAL_FUND). */
export function fundOptions(t: Translate, prisoners: readonly { id: string; name: string }[]) {
  return [
    ...prisoners.map((p) => ({ value: p.id, label: p.name })),
    { value: GENERAL_FUND, label: t("treasury.generalFund") },
  ];
}

/**
 * A form that empties itself once its submission succeeded (with JavaScript the
 * browser would keep what was typed — a recipient's details among it). `done`:
 * the action's answer when it succeeded, else undefined.
 */
export function useResetOnSuccess(done: unknown) {
  const ref = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (done) ref.current?.reset();
  }, [done]);
  return ref;
}
