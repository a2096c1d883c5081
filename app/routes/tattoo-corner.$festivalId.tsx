// The tattoo corner on a phone: the day's board per artist, each slot a card
// with what staff do there — mark done, no-show (then give the slot to the
// waitlist or keep it for walk-ins), collect the donation in cash, book a
// walk-in into a free slot (cash now, or card on the walk-in's own phone via a
// QR code). Plain form posts: it works without JavaScript. A linked artist sees
// and runs only their own board (app/models/tattoo-corner.server.ts decides).
import type {
  ActionFunctionArgs,
  LinksFunction,
  LoaderFunctionArgs,
  MetaFunction,
} from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import QRCode from "qrcode";
import { ConfirmButton } from "~/components/confirm-button";
import { Field } from "~/components/field";
import {
  bookWalkIn,
  collectDonation,
  cornerBoard,
  markDone,
  markNoShow,
  parseDay,
  releaseBooking,
  walkInInput,
  type BoardSlot,
} from "~/models/tattoo-corner.server";
import { getFestivalOrThrow } from "~/models/festival.server";
import cornerStyles from "~/styles/tattoo-corner.css";
import { randomToken } from "~/utils/crypto.server";
import type { DomainError } from "~/utils/domain-error";
import { confirmationError, field, formFailure, moneyField, readForm } from "~/utils/forms.server";
import { errorResponse } from "~/utils/http.server";
import { getTranslator } from "~/utils/i18n.server";
import { DEFAULT_LOCALE, isLocale, translator } from "~/utils/i18n";
import { formatDate, formatTime } from "~/utils/format";
import { formatMoney, toMajorInput } from "~/utils/money";
import { requireUserWith } from "~/utils/permissions.server";
import { stripeAvailable } from "~/utils/stripe.server";
import { fieldErrors } from "~/utils/validation";
import { useLocale, useT } from "~/utils/use-t";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: cornerStyles }];

export const meta: MetaFunction = ({ matches }) => {
  const root = matches.find((m) => m.id === "root")?.data as { locale?: string } | undefined;
  const t = translator(isLocale(root?.locale) ? root.locale : DEFAULT_LOCALE);
  return [{ title: t("corner.title") }, { name: "robots", content: "noindex" }];
};

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUserWith(request, "tattoo:corner", params.festivalId);
  const url = new URL(request.url);
  const day = parseDay(url.searchParams.get("day")?.slice(0, 20));
  const artist = url.searchParams.get("artist")?.slice(0, 64) || undefined;
  const board = await cornerBoard(user, params.festivalId ?? "", day, { artistId: artist });
  return {
    board,
    // The walk-in forms' Idempotency-Key (with the slot's id): a double tap books once.
    walkInKey: randomToken(16),
  };
}

type Result = {
  errors: Record<string, string>;
  /** Which card the answer is about (its slot). */
  slotId?: string;
  done?: string;
  /** A card walk-in: where to pay, and its QR code. */
  pay?: { url: string; qr: string; amount: string; code: string };
};

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUserWith(request, "tattoo:corner", params.festivalId);
  const festivalId = params.festivalId ?? "";
  const form = await readForm(request);
  const { t, locale } = await getTranslator(request);
  const intent = field(form, "intent");
  const bookingId = (field(form, "bookingId") ?? "").slice(0, 64);
  const slotId = (field(form, "slotId") ?? "").slice(0, 64);
  const { currency } = await getFestivalOrThrow(festivalId);
  const money = (minor: number) => formatMoney(minor, currency, locale);
  const refused = (errors: Record<string, string>, status = 400) =>
    data<Result>({ errors, slotId }, { status });
  const failure = (error: unknown) => {
    const failed = formFailure(error, t, (e: DomainError) => {
      if (e.code === "amount_changed") return t("corner.amountChanged");
      if (e.code === "invalid_state") return t("corner.invalidState");
      if (e.code === "sold_out") return t("corner.slotTaken");
      if (e.code === "tattoo_booking_limit") return t("tattoo.bookingLimit");
      if (e.status === 403) return t("corner.notYours");
      if (e.status === 404 || e.status === 409) return e.message;
      return undefined;
    });
    return data<Result>({ errors: failed.errors, slotId }, { status: failed.status });
  };
  const ok = (answer: Omit<Result, "errors">): Result => ({ errors: {}, ...answer });
  const irreversible = ["no_show", "release_waitlist", "release_walk_ins", "collect"];
  if (intent && irreversible.includes(intent)) {
    const notConfirmed = confirmationError(form, t);
    if (notConfirmed) return refused({ _form: notConfirmed });
  }
  try {
    switch (intent) {
      case "done":
        await markDone(user, bookingId);
        return ok({ slotId, done: t("corner.markedDone") });
      case "no_show":
        await markNoShow(user, bookingId);
        return ok({ slotId, done: t("corner.markedNoShow") });
      case "release_waitlist":
        await releaseBooking(user, bookingId, "waitlist");
        return ok({ slotId, done: t("corner.releasedWaitlist") });
      case "release_walk_ins":
        await releaseBooking(user, bookingId, "walk_ins");
        return ok({ slotId, done: t("corner.releasedWalkIns") });
      case "collect": {
        const amountMinor = Number(field(form, "amountMinor") ?? Number.NaN);
        if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0)
          return refused({ _form: t("v.amount") });
        await collectDonation(user, bookingId, amountMinor);
        return ok({
          slotId,
          done: t("corner.collected", { amount: money(amountMinor) }),
        });
      }
      case "walk_in": {
        const donation = moneyField(form, "donation", currency);
        const parsed = walkInInput.safeParse({
          tattooSlotId: slotId,
          donationMinor: donation ?? Number.NaN,
          flashDesignId: field(form, "flashDesignId") || undefined,
          email: field(form, "email") ?? "",
          name: field(form, "name") ?? "",
          payment: field(form, "payment") ?? "",
        });
        if (!parsed.success) return refused(fieldErrors(parsed.error, t));
        const walkIn = await bookWalkIn(user, festivalId, parsed.data, {
          locale,
          stripeAvailable: stripeAvailable(),
          idempotencyKey: `${(field(form, "key") ?? "").slice(0, 40)}.${slotId}`,
        });
        if (walkIn.checkoutUrl)
          return ok({
            slotId,
            pay: {
              url: walkIn.checkoutUrl,
              qr: await QRCode.toDataURL(walkIn.checkoutUrl, { margin: 2, width: 320 }),
              amount: money(walkIn.booking.donationMinor),
              code: walkIn.orderCode,
            },
          });
        return ok({
          slotId,
          done: t("corner.walkInBooked", { code: walkIn.orderCode }),
        });
      }
      default:
        throw errorResponse(400, "bad_intent", "Unknown action.");
    }
  } catch (error) {
    if (error instanceof Response) throw error;
    return failure(error);
  }
}

export default function TattooCorner() {
  const { board, walkInKey } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  const zone = board.festival.timezone;
  const currency = board.festival.currency;
  const money = (minor: number) => formatMoney(minor, currency, locale);
  const query = (day: string, artist: string | null) =>
    `?day=${day}${artist ? `&artist=${encodeURIComponent(artist)}` : ""}`;
  const linkedOnly = board.artists.length === 1 && board.artistId === board.artists[0]?.id;
  return (
    <main className="corner" data-testid="tattoo-corner">
      <h1>{t("corner.heading", { festival: board.festival.name })}</h1>
      <nav className="corner-switch" aria-label={t("corner.day")}>
        {board.days.map((day) => (
          <Link
            key={day}
            to={query(day, board.artistId)}
            className={`chip${day === board.day ? " current" : ""}`}
            aria-current={day === board.day ? "page" : undefined}
          >
            {formatDate(`${day}T12:00:00Z`, locale, "UTC")}
          </Link>
        ))}
      </nav>
      {!linkedOnly && board.artists.length > 1 ? (
        <nav className="corner-switch" aria-label={t("corner.artist")}>
          <Link
            to={query(board.day, null)}
            className={`chip${board.artistId === null ? " current" : ""}`}
            aria-current={board.artistId === null ? "page" : undefined}
          >
            {t("corner.allArtists")}
          </Link>
          {board.artists.map((a) => (
            <Link
              key={a.id}
              to={query(board.day, a.id)}
              className={`chip${board.artistId === a.id ? " current" : ""}`}
              aria-current={board.artistId === a.id ? "page" : undefined}
            >
              {a.name}
            </Link>
          ))}
        </nav>
      ) : null}
      <p className="muted">{t("corner.cashNote")}</p>
      {result?.errors?._form && !result.slotId ? (
        <p className="form-error" role="alert">
          {result.errors._form}
        </p>
      ) : null}
      {board.artists.length === 0 ? <p>{t("corner.noArtists")}</p> : null}
      {board.boards.map(({ artist, slots, designs }) => (
        <section key={artist.id} className="corner-artist" aria-labelledby={`artist-${artist.id}`}>
          <h2 id={`artist-${artist.id}`}>{artist.name}</h2>
          {slots.length === 0 ? <p className="muted">{t("corner.noSlots")}</p> : null}
          <ol className="corner-slots">
            {slots.map((slot) => (
              <SlotCard
                key={slot.id}
                slot={slot}
                designs={designs}
                result={result?.slotId === slot.id ? result : undefined}
                walkInKey={walkInKey}
                currency={currency}
                time={`${formatTime(slot.startsAt, locale, zone)}–${formatTime(slot.endsAt, locale, zone)}`}
                money={money}
              />
            ))}
          </ol>
        </section>
      ))}
    </main>
  );
}

function SlotCard({
  slot,
  designs,
  result,
  walkInKey,
  currency,
  time,
  money,
}: {
  slot: BoardSlot;
  designs: { id: string; title: string; minDonationMinor: number }[];
  result: Result | undefined;
  walkInKey: string;
  currency: string;
  time: string;
  money: (minor: number) => string;
}) {
  const t = useT();
  const b = slot.booking;
  const errors = result?.errors ?? {};
  const hidden = (
    <>
      <input type="hidden" name="slotId" value={slot.id} />
      {b ? <input type="hidden" name="bookingId" value={b.id} /> : null}
    </>
  );
  return (
    <li
      className={`corner-slot state-${slot.state}`}
      data-testid={`slot-${slot.id}`}
      data-state={slot.state}
    >
      <div className="corner-slot-head">
        <strong className="corner-time">{time}</strong>
        <span className={`badge state-${slot.state}`}>{t(`corner.state.${slot.state}`)}</span>
        {slot.offered ? <span className="badge">{t("corner.offered")}</span> : null}
        {slot.walkInsOnly && slot.state === "free" ? (
          <span className="badge">{t("corner.walkInsOnly")}</span>
        ) : null}
      </div>
      {b ? (
        <dl className="corner-booking">
          <dt className="visually-hidden">{t("corner.walkInDesign")}</dt>
          <dd>{b.design ?? t("corner.custom")}</dd>
          {b.name ? (
            <>
              <dt className="visually-hidden">{t("corner.walkInName")}</dt>
              <dd className="corner-name">{b.name}</dd>
            </>
          ) : null}
          <dt className="visually-hidden">{t("corner.order", { code: "" })}</dt>
          <dd>
            {t("corner.order", { code: b.orderCode })}
            {b.walkIn ? <span className="badge">{t("corner.walkInBadge")}</span> : null}
          </dd>
          <dt className="visually-hidden">{t("corner.walkInDonation", { amount: "" })}</dt>
          <dd>
            {t("corner.donation", { amount: money(b.donationMinor) })}
            {" · "}
            {b.dueMinor > 0 ? (
              <strong className="corner-due">
                {t("corner.due", { amount: money(b.dueMinor) })}
              </strong>
            ) : b.status !== "held" && b.status !== "no_show" ? (
              t("corner.settled")
            ) : null}
          </dd>
        </dl>
      ) : null}
      {slot.released.map((r) => (
        <p key={r.id} className="muted">
          {t("corner.released", { code: r.orderCode })}
        </p>
      ))}
      {result?.done ? (
        <p className="notice" role="status">
          {result.done}
        </p>
      ) : null}
      {errors._form ? (
        <p className="form-error" role="alert">
          {errors._form}
        </p>
      ) : null}
      {result?.pay ? (
        <div className="corner-pay">
          <p>{t("corner.scanToPay", { amount: result.pay.amount, code: result.pay.code })}</p>
          <img src={result.pay.qr} alt="" width={260} height={260} />
          <p>
            <a href={result.pay.url}>{t("corner.openCheckout")}</a>
          </p>
        </div>
      ) : null}
      <div className="corner-actions">
        {b && b.status === "booked" ? (
          <Form method="post">
            {hidden}
            <button type="submit" name="intent" value="done" className="primary big">
              {t("corner.markDone")}
            </button>
          </Form>
        ) : null}
        {b && b.dueMinor > 0 && b.payAtFestival ? (
          <ConfirmButton
            label={t("corner.collect", { amount: money(b.dueMinor) })}
            warning={t("corner.collectWarning", { amount: money(b.dueMinor) })}
            confirmLabel={t("corner.collectConfirm", { amount: money(b.dueMinor) })}
            intent="collect"
          >
            {hidden}
            <input type="hidden" name="amountMinor" value={b.dueMinor} />
          </ConfirmButton>
        ) : null}
        {b && b.status === "booked" ? (
          <ConfirmButton
            label={t("corner.markNoShow")}
            warning={t("corner.noShowWarning")}
            confirmLabel={t("corner.noShowConfirm")}
            intent="no_show"
          >
            {hidden}
          </ConfirmButton>
        ) : null}
        {b && b.status === "no_show" && b.holdsSlot ? (
          <>
            <ConfirmButton
              label={t("corner.releaseWaitlist")}
              warning={t("corner.releaseWaitlistWarning")}
              confirmLabel={t("corner.releaseWaitlistConfirm")}
              intent="release_waitlist"
            >
              {hidden}
            </ConfirmButton>
            <ConfirmButton
              label={t("corner.releaseWalkIns")}
              warning={t("corner.releaseWalkInsWarning")}
              confirmLabel={t("corner.releaseWalkInsConfirm")}
              intent="release_walk_ins"
            >
              {hidden}
            </ConfirmButton>
          </>
        ) : null}
      </div>
      {slot.state === "free" ? (
        <details className="corner-walk-in" open={Boolean(result && !result.done && !result.pay)}>
          <summary>{t("corner.walkIn")}</summary>
          <Form method="post" noValidate>
            {hidden}
            <input type="hidden" name="key" value={walkInKey} />
            <Field
              label={t("corner.walkInEmail")}
              name="email"
              type="email"
              autoComplete="off"
              required
              error={errors.email}
            />
            <Field label={t("corner.walkInName")} name="name" error={errors.name} />
            <Field
              label={t("corner.walkInDonation", { amount: money(slot.minDonationMinor) })}
              name="donation"
              inputMode="decimal"
              required
              defaultValue={toMajorInput(slot.minDonationMinor, currency)}
              error={errors.donationMinor}
            />
            <div className="field">
              <label htmlFor={`design-${slot.id}`}>{t("corner.walkInDesign")}</label>
              <select id={`design-${slot.id}`} name="flashDesignId">
                <option value="">{t("corner.custom")}</option>
                {designs.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.title} ({money(d.minDonationMinor)})
                  </option>
                ))}
              </select>
              {errors.flashDesignId ? (
                <p className="field-error" role="alert">
                  {errors.flashDesignId}
                </p>
              ) : null}
            </div>
            <fieldset className="corner-payment">
              <legend>{t("corner.walkInPayment")}</legend>
              <label>
                <input type="radio" name="payment" value="cash" defaultChecked />{" "}
                {t("corner.payCash")}
              </label>
              <label>
                <input type="radio" name="payment" value="card" /> {t("corner.payCard")}
              </label>
              {errors.payment ? (
                <p className="field-error" role="alert">
                  {errors.payment}
                </p>
              ) : null}
            </fieldset>
            {errors.tattooSlotId ? (
              <p className="field-error" role="alert">
                {errors.tattooSlotId}
              </p>
            ) : null}
            <button type="submit" name="intent" value="walk_in" className="primary big">
              {t("corner.walkInSubmit")}
            </button>
          </Form>
        </details>
      ) : null}
    </li>
  );
}
