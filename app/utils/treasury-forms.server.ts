// The treasury pages' one rule for a refused form's status: broken input rules
// (422 from the domain) answer 400 like the other pages' forms; a refusal that
// names a field but is about the state of things (409 insufficient_funds,
// cap_exceeded) keeps its own status.
import { DomainError } from "./domain-error";

export function treasuryFieldStatus(error: unknown): { fieldStatus: number } {
  return {
    fieldStatus: error instanceof DomainError && error.status !== 422 ? error.status : 400,
  };
}
