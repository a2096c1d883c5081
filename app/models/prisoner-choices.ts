// The prisoner registry's fixed choices, kept out of `.server` modules so forms
// in the browser bundle can render them (see app/models/choices.ts).

/** What is publicly known of a prisoner's situation. */
export const PRISONER_STATUSES = ["detained", "sentenced", "released", "died"] as const;
export type PrisonerStatus = (typeof PRISONER_STATUSES)[number];

export function isPrisonerStatus(value: unknown): value is PrisonerStatus {
  return typeof value === "string" && (PRISONER_STATUSES as readonly string[]).includes(value);
}

/** Field limits (characters), shared by the schema and the forms' maxLength. */
export const PRISONER_LIMITS = {
  name: 120,
  slug: 60,
  summary: 500,
  story: 20_000,
  heldAt: 200,
  sentence: 300,
  lettersAddress: 500,
} as const;
