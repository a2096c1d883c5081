// A prisoner as the public pages show them (the registry list, a festival's
// page): photo, name linking to the profile, status, where held, and what has
// been raised for them and paid out, per currency. Phone first: one column,
// the thumbnail beside the text from a tablet's width up (app/styles/prisoners.css).
import { Link } from "@remix-run/react";
import type { PrisonerStatus } from "~/models/prisoner-choices";
import { formatMoney } from "~/utils/money";
import { useLocale, useT } from "~/utils/use-t";

export type PrisonerFigureView = { currency: string; raisedMinor: number; paidOutMinor: number };

export type PrisonerCardView = {
  id: string;
  slug: string;
  name: string;
  summary: string;
  status: PrisonerStatus;
  heldAt: string | null;
  photo: { thumbUrl: string; thumbWidth: number; thumbHeight: number } | null;
  figures: PrisonerFigureView[];
};

export function PrisonerStatusBadge({ status }: { status: PrisonerStatus }) {
  const t = useT();
  return (
    <span className={`badge prisoner-status prisoner-status-${status}`}>
      {t(`prisoners.status.${status}`)}
    </span>
  );
}

/** Raised and paid out per currency, as a small table (a caption names whose money it is). */
export function PrisonerFigures({
  name,
  figures,
}: {
  name: string;
  figures: PrisonerFigureView[];
}) {
  const t = useT();
  const locale = useLocale();
  if (figures.length === 0) return <p className="muted">{t("prisoners.nothingYet")}</p>;
  return (
    <table className="prisoner-figures">
      <caption className="sr-only">{t("prisoners.figuresCaption", { name })}</caption>
      <thead>
        <tr>
          <th scope="col">{t("prisoners.currency")}</th>
          <th scope="col">{t("prisoners.raised")}</th>
          <th scope="col">{t("prisoners.paidOut")}</th>
        </tr>
      </thead>
      <tbody>
        {figures.map((f) => (
          <tr key={f.currency}>
            <th scope="row">{f.currency}</th>
            <td>{formatMoney(f.raisedMinor, f.currency, locale)}</td>
            <td>{formatMoney(f.paidOutMinor, f.currency, locale)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function PrisonerCard({
  prisoner,
  headingLevel = 2,
}: {
  prisoner: PrisonerCardView;
  headingLevel?: 2 | 3;
}) {
  const t = useT();
  const Heading = headingLevel === 2 ? "h2" : "h3";
  return (
    <li className="card prisoner-card">
      {prisoner.photo ? (
        <img
          className="prisoner-thumb"
          src={prisoner.photo.thumbUrl}
          alt={t("prisoners.photoAlt", { name: prisoner.name })}
          width={prisoner.photo.thumbWidth}
          height={prisoner.photo.thumbHeight}
          loading="lazy"
        />
      ) : null}
      <div className="prisoner-card-text">
        <Heading className="prisoner-name">
          <Link to={`/prisoners/${prisoner.slug}`}>{prisoner.name}</Link>
        </Heading>
        <p>
          <PrisonerStatusBadge status={prisoner.status} />
          {prisoner.heldAt ? <span className="muted"> · {prisoner.heldAt}</span> : null}
        </p>
        {prisoner.summary ? <p>{prisoner.summary}</p> : null}
        <PrisonerFigures name={prisoner.name} figures={prisoner.figures} />
      </div>
    </li>
  );
}
