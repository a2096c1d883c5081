// What went wrong, in the reader's language, for the error boundaries: the root
// one (a whole page) and the admin layouts' (which keep their navigation).
import { isRouteErrorResponse, Link, useParams, useRouteError } from "@remix-run/react";
import type { ReactNode } from "react";
import type { MessageKey } from "~/utils/i18n";
import { useT } from "~/utils/use-t";

const BY_STATUS: Record<number, [title: MessageKey, message: MessageKey]> = {
  400: ["error.badRequestTitle", "error.badRequest"],
  403: ["error.forbiddenTitle", "error.forbidden"],
  404: ["error.notFoundTitle", "error.notFound"],
  409: ["error.conflictTitle", "error.conflict"],
  429: ["error.rateLimitedTitle", "error.rateLimited"],
  500: ["error.serverTitle", "error.unexpected"],
  503: ["error.unavailableTitle", "error.unavailable"],
};

export function ErrorMessage({
  heading = "h1",
  children,
}: {
  heading?: "h1" | "h2";
  children?: ReactNode;
}) {
  const error = useRouteError();
  const t = useT();
  const status = isRouteErrorResponse(error) ? error.status : 500;
  const [title, message] = BY_STATUS[status] ?? [
    status >= 500 ? "error.serverTitle" : "error.title",
    status >= 500 ? "error.unexpected" : "error.badRequest",
  ];
  const Heading = heading;
  return (
    <section className="error-page">
      <Heading>{t(title)}</Heading>
      <p>{t(message)}</p>
      {children}
    </section>
  );
}

/**
 * The boundary of an admin section (a festival's tab, the users page…): the
 * layouts above keep their navigation, because their loaders run again when a
 * section's action fails (they would not if the layout's own boundary caught it).
 */
export function SectionErrorBoundary() {
  const t = useT();
  const { id } = useParams();
  return (
    <ErrorMessage heading="h2">
      {id ? (
        <p>
          <Link to={`/admin/festivals/${id}`}>{t("error.back")}</Link>
        </p>
      ) : null}
    </ErrorMessage>
  );
}
