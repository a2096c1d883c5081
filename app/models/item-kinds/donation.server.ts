// Item kind "donation": an amount the buyer gives, optionally earmarked for one
// of the festival's supported prisoners. It holds nothing and makes nothing; its
// money goes to donation income under its earmark (decision 0024).
import { z } from "zod";
import { randomToken } from "~/utils/crypto.server";
import { csvAmount } from "~/utils/csv.server";
import { sqlClient } from "~/utils/db.server";
import { FieldRulesError } from "~/utils/domain-error";
import { translate } from "~/utils/i18n";
import { minorAmount } from "../ticket-type.server";
import { oneAmountLineItems, type ItemKind } from "./kind.server";

const donation = z
  .object({
    amountMinor: minorAmount.min(1, { error: "v.amount" }),
    prisonerId: z
      .string({ error: "v.unknownPrisoner" })
      .max(64, { error: "v.unknownPrisoner" })
      .optional(),
  })
  .strict()
  .optional();

type DonationRequest = z.output<typeof donation>;

export const donationKind: ItemKind = {
  kind: "donation",
  category: "donation",
  input: { donation },
  requested: (input) => input.donation !== undefined,
  async price({ festival, input }) {
    const request = input.donation as DonationRequest;
    if (!request) return [];
    if (request.prisonerId) {
      const { rows } = await sqlClient().execute({
        sql: "SELECT 1 FROM FestivalPrisoner WHERE festivalId = ? AND prisonerId = ?",
        args: [festival.id, request.prisonerId],
      });
      if (rows.length === 0)
        throw new FieldRulesError({ "donation.prisonerId": "v.unknownPrisoner" });
    }
    return [
      {
        itemId: randomToken(12),
        kind: "donation",
        quantity: 1,
        unitPriceMinor: request.amountMinor,
        amountMinor: request.amountMinor,
        ticketTypeId: null,
        quotaId: null,
        prisonerId: request.prisonerId ?? null,
        label: "",
      },
    ];
  },
  reserve: () => [],
  // No prisoner or recipient data ever goes to Stripe: a donation is just "Donation".
  stripeLineItems: (lines, { festival }) =>
    oneAmountLineItems(lines, festival, () => translate("en", "order.donation")),
  csvColumns: {
    donation: (lines, { currency }) =>
      csvAmount(
        lines.reduce((s, l) => s + l.amountMinor, 0),
        currency,
      ),
    // The earmark: the prisoners' public names, "" for the general fund.
    donation_earmark: (lines, { prisonerName }) =>
      [...new Set(lines.flatMap((l) => (l.prisonerId ? [prisonerName(l.prisonerId)] : [])))].join(
        "; ",
      ),
  },
};
