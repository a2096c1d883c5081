// A waitlist offer (the link in the offer email): the held slot, and a form
// that books it through the one checkout with the offer's secret. Phone-first,
// works without JavaScript. An offer that ran out or was taken: 410 with a
// clear message; an unknown link: 404.
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { ErrorSummary, Field } from "~/components/field";
import { checkoutSchema, placeOrder, readIdempotencyKey } from "~/models/order.server";
import { cardCheckoutUrl } from "~/models/payment.server";
import { offerByToken, type OfferView } from "~/models/tattoo-waitlist.server";
import { randomToken } from "~/utils/crypto.server";
import { FieldRulesError } from "~/utils/domain-error";
import {
  field,
  formFailure,
  moneyField,
  moneyFieldError,
  readForm,
  typedValues,
} from "~/utils/forms.server";
import { formatDateTime, formatTime } from "~/utils/format";
import { clientAddress, notFound } from "~/utils/http.server";
import { getTranslator } from "~/utils/i18n.server";
import { formatMoney, toMajorInput } from "~/utils/money";
import { rateLimits } from "~/utils/rate-limit.server";
import { stripeAvailable } from "~/utils/stripe.server";
import { fieldErrors, localizeMessage } from "~/utils/validation";
import { useLocale, useT } from "~/utils/use-t";

export const meta: MetaFunction = () => [{ title: "Tattoo slot" }];

const deadLink = () => notFound("This offer does not exist.");

/** The payment methods the booker may choose: the festival's, card only while Stripe is configured. */
function methodsOf(offer: OfferView) {
  return offer.paymentMethods.filter((m) => (m === "stripe" ? stripeAvailable() : m === "door"));
}

export async function loader({ params }: LoaderFunctionArgs) {
  const now = new Date();
  const offer = await offerByToken(params.token ?? "", now);
  if (!offer) throw deadLink();
  const view = {
    state: offer.state,
    festivalSlug: offer.festivalSlug,
    festivalName: offer.festivalName,
    timezone: offer.timezone,
    currency: offer.currency,
    startsAt: offer.startsAt.toISOString(),
    expiresAt: offer.expiresAt.toISOString(),
    minutesLeft: Math.max(0, Math.ceil((offer.expiresAt.getTime() - now.getTime()) / 60_000)),
    artistName: offer.artistName,
    minDonationMinor: offer.minDonationMinor,
    email: offer.email ?? "",
    flashDesignId: offer.flashDesignId,
    designs: offer.designs,
    methods: methodsOf(offer),
    idempotencyKey: randomToken(18),
  };
  return data(view, { status: offer.state === "open" ? 200 : 410 });
}

type Result = { errors: Record<string, string>; values: Record<string, string> };

export async function action({ request, params, context }: ActionFunctionArgs) {
  const token = params.token ?? "";
  const offer = await offerByToken(token);
  if (!offer) throw deadLink();
  const { t, locale } = await getTranslator(request);
  const form = await readForm(request);
  const values = typedValues(form);
  const fail = (errors: Record<string, string>, status = 400) =>
    data<Result>({ errors, values }, { status });
  if (offer.state !== "open") return fail({ _form: t("tattooWaitlist.gone") }, 410);
  try {
    await rateLimits.apiWrite(clientAddress(context));
  } catch (e) {
    const failed = formFailure(e, t, { rate_limited: t("error.rateLimited") });
    return fail(failed.errors, failed.status);
  }
  const donationMinor = moneyField(form, "donation", offer.currency);
  if (donationMinor === null || donationMinor === undefined)
    return fail({ donation: localizeMessage(moneyFieldError(offer.currency), t) });
  const design = field(form, "flashDesignId") || undefined;
  const parsed = checkoutSchema().safeParse({
    email: field(form, "email"),
    paymentMethod: field(form, "paymentMethod") ?? methodsOf(offer)[0] ?? "door",
    items: [
      {
        kind: "tattoo_slot",
        tattooSlotId: offer.slotId,
        donationMinor,
        ...(design ? { flashDesignId: design } : {}),
        offerToken: token,
      },
    ],
  });
  if (!parsed.success) return fail(formNames(fieldErrors(parsed.error, t)));
  const placing = {
    locale,
    stripeAvailable: stripeAvailable(),
    idempotencyKey: readIdempotencyKey(field(form, "idempotencyKey")),
  };
  try {
    let placed;
    try {
      placed = await placeOrder(offer.festivalId, parsed.data, placing);
    } catch (e) {
      // A donation of nothing (a slot with no minimum): nothing to pay.
      if (e instanceof FieldRulesError && e.fields.paymentMethod === "v.freeOrder")
        placed = await placeOrder(
          offer.festivalId,
          { ...parsed.data, paymentMethod: "free" },
          placing,
        );
      else throw e;
    }
    const checkoutUrl = await cardCheckoutUrl(placed);
    return redirect(checkoutUrl ?? `/orders/${placed.order.accessToken}`);
  } catch (e) {
    const failed = formFailure(e, t, {
      sold_out: t("tattoo.slotTaken"),
      tattoo_booking_limit: t("tattoo.bookingLimit"),
      idempotency_key_reused: t("shop.alreadySent"),
      idempotency_in_progress: t("shop.stillPlacing"),
      payment_unavailable: t("shop.paymentUnavailable"),
    });
    return fail(formNames(failed.errors), failed.status);
  }
}

/** Checkout field paths → this form's fields. */
function formNames(errors: Record<string, string>) {
  const out: Record<string, string> = {};
  for (const [key, message] of Object.entries(errors)) {
    const name =
      key === "items.0.donationMinor"
        ? "donation"
        : key === "items.0.flashDesignId"
          ? "flashDesignId"
          : key === "email" || key === "paymentMethod"
            ? key
            : "_form";
    out[name] ??= message;
  }
  return out;
}

export default function TattooOffer() {
  const offer = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  const busy = useNavigation().state !== "idle";
  const money = (minor: number) => formatMoney(minor, offer.currency, locale);
  if (offer.state !== "open")
    return (
      <section className="narrow">
        <h1>{t("tattooWaitlist.goneTitle")}</h1>
        <p>{t("tattooWaitlist.gone")}</p>
        <p>
          <a href={`/festivals/${offer.festivalSlug}`}>{t("tattooWaitlist.toFestival")}</a>
        </p>
      </section>
    );
  const e = result?.errors ?? {};
  const v = result?.values ?? {};
  const chosen = v.flashDesignId ?? offer.flashDesignId ?? "";
  return (
    <section className="narrow">
      <h1>{t("tattooWaitlist.offerTitle")}</h1>
      <p className="muted">{offer.festivalName}</p>
      <div className="card">
        <p>
          <strong>
            {t("tattooWaitlist.slot", {
              time: formatDateTime(offer.startsAt, locale, offer.timezone),
              zone: offer.timezone,
            })}
          </strong>
        </p>
        <p>{t("tattooWaitlist.artist", { artist: offer.artistName })}</p>
        <p>{t("tattooWaitlist.minimum", { amount: money(offer.minDonationMinor) })}</p>
        <p role="status">
          {t("tattooWaitlist.heldUntil", {
            until: formatTime(offer.expiresAt, locale, offer.timezone),
            zone: offer.timezone,
            minutes: offer.minutesLeft,
          })}
        </p>
      </div>
      <Form method="post" noValidate>
        {e._form ? (
          <p className="form-error" role="alert">
            {e._form}
          </p>
        ) : null}
        <input type="hidden" name="idempotencyKey" value={offer.idempotencyKey} />
        <ErrorSummary
          errors={e}
          fields={[
            { name: "email", label: t("tattooWaitlist.email") },
            { name: "donation", label: t("tattooWaitlist.donation", { currency: offer.currency }) },
            { name: "flashDesignId", label: t("tattooWaitlist.design"), id: "flashDesignId" },
            { name: "paymentMethod", label: t("shop.paymentMethod"), id: "paymentMethod" },
          ]}
        />
        {offer.designs.length > 0 ? (
          <fieldset className={`choices${e.flashDesignId ? " has-error" : ""}`} id="flashDesignId">
            <legend>{t("tattooWaitlist.design")}</legend>
            <label className="choice">
              <input type="radio" name="flashDesignId" value="" defaultChecked={chosen === ""} />{" "}
              {t("tattooWaitlist.custom")}
            </label>
            {offer.designs.map((d) => (
              <label key={d.id} className="choice wrap">
                <input
                  type="radio"
                  name="flashDesignId"
                  value={d.id}
                  defaultChecked={chosen === d.id}
                />
                <span>
                  {t("tattooWaitlist.designMinimum", {
                    title: d.size ? `${d.title} (${d.size})` : d.title,
                    amount: money(Math.max(d.minDonationMinor, offer.minDonationMinor)),
                  })}
                </span>
              </label>
            ))}
            {e.flashDesignId ? <p className="field-error">{e.flashDesignId}</p> : null}
          </fieldset>
        ) : null}
        <Field
          label={t("tattooWaitlist.donation", { currency: offer.currency })}
          name="donation"
          inputMode="decimal"
          autoComplete="off"
          defaultValue={v.donation ?? toMajorInput(offer.minDonationMinor, offer.currency)}
          error={e.donation}
        />
        <Field
          label={t("tattooWaitlist.email")}
          name="email"
          type="email"
          autoComplete="email"
          maxLength={254}
          required
          defaultValue={v.email ?? offer.email}
          error={e.email}
        />
        {offer.methods.length > 0 ? (
          <fieldset className={`choices${e.paymentMethod ? " has-error" : ""}`} id="paymentMethod">
            <legend>{t("shop.paymentMethod")}</legend>
            {offer.methods.map((m, i) => (
              <label key={m} className="choice">
                <input
                  type="radio"
                  name="paymentMethod"
                  value={m}
                  defaultChecked={v.paymentMethod ? v.paymentMethod === m : i === 0}
                />{" "}
                {t(`payment.${m as "door"}`)}
              </label>
            ))}
            {e.paymentMethod ? <p className="field-error">{e.paymentMethod}</p> : null}
          </fieldset>
        ) : null}
        <p className="hint">{t("shop.privacy")}</p>
        <button type="submit" className="primary" disabled={busy} aria-busy={busy}>
          {busy ? t("tattooWaitlist.booking") : t("tattooWaitlist.book")}
        </button>
      </Form>
    </section>
  );
}
