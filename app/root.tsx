import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useEffect } from "react";
import {
  Form,
  Link,
  Links,
  Meta,
  NavLink,
  Outlet,
  Scripts,
  ScrollRestoration,
  useLoaderData,
  useLocation,
  useMatches,
  useRouteLoaderData,
} from "@remix-run/react";
import { ErrorMessage } from "~/components/error-message";
import { PendingFeedback } from "~/components/pending";
import { pageShellData } from "~/utils/page-shell.server";
import stylesheet from "~/styles/app.css";
import {
  DEFAULT_LOCALE,
  hasCatalog,
  isLocale,
  LOCALES,
  ownLanguageName,
  translator,
} from "~/utils/i18n";
import { rootShareData, shareMeta } from "~/utils/share-meta";
import { useNonce } from "~/utils/nonce";
import { useT } from "~/utils/use-t";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: stylesheet },
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
];

export const meta: MetaFunction<typeof loader> = ({ data, matches }) =>
  shareMeta(rootShareData(matches), { title: data?.siteName ?? "Solidarity festivals" });

export const loader = ({ request }: LoaderFunctionArgs) => pageShellData(request);

/** A route whose page a phone keeps offline (the door scanner) says so: the header then shows no account links. */
type ShellHandle = { deviceShell?: boolean } | undefined;

function LanguageSwitcher() {
  const t = useT();
  const location = useLocation();
  const data = useRouteLoaderData<typeof loader>("root");
  const current = data?.locale ?? DEFAULT_LOCALE;
  return (
    // A whole new document: the page then fetches the new language's catalog.
    <Form method="post" action="/set-language" className="lang-switch" reloadDocument>
      <input type="hidden" name="redirectTo" value={location.pathname + location.search} />
      {LOCALES.filter((l) => l !== current).map((l) => (
        <button key={l} type="submit" name="lang" value={l} lang={l}>
          {ownLanguageName(l)}
        </button>
      ))}
      <span className="sr-only">{t("nav.language")}</span>
    </Form>
  );
}

export function Layout({ children }: { children: React.ReactNode }) {
  const data = useRouteLoaderData<typeof loader>("root");
  const nonce = useNonce();
  const deviceShell = useMatches().some((m) => (m.handle as ShellHandle)?.deviceShell);
  const locale = isLocale(data?.locale) ? data.locale : DEFAULT_LOCALE;
  const t = translator(locale);
  // The language changed without a new document (signing in with another
  // preferred language): this page has only the old one's catalog, so reload.
  useEffect(() => {
    if (!hasCatalog(locale)) window.location.reload();
  }, [locale]);
  return (
    <html lang={locale}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
        {data?.catalogHref ? (
          <link
            rel="preload"
            as="fetch"
            crossOrigin="anonymous"
            href={data.catalogHref}
            data-catalog={locale}
          />
        ) : null}
      </head>
      <body>
        <PendingFeedback />
        <a className="skip" href="#main">
          {t("nav.skip")}
        </a>
        <header className="site-header">
          <Link to="/" className="brand">
            {t("site.name")}
          </Link>
          <nav aria-label={t("nav.main")}>
            <NavLink to="/">{t("nav.festivals")}</NavLink>
            {deviceShell ? null : data?.user ? (
              <>
                <NavLink to="/admin">{t("nav.dashboard")}</NavLink>
                <NavLink to="/account">{t("nav.account")}</NavLink>
                <Form method="post" action="/logout" className="inline">
                  <button type="submit" className="link">
                    {t("nav.signOut")}
                  </button>
                </Form>
              </>
            ) : (
              <NavLink to="/login">{t("nav.signIn")}</NavLink>
            )}
          </nav>
          <LanguageSwitcher />
        </header>
        <main id="main">{children}</main>
        <footer className="site-footer">
          <p>{t("site.footer")}</p>
          <p>
            <Link to="/transparency">{t("nav.transparency")}</Link>
          </p>
          {data?.isDevelopment ? <Link to="/dev/mail">{t("nav.devMail")}</Link> : null}
        </footer>
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  useLoaderData<typeof loader>();
  return <Outlet />;
}

/** Errors of pages without a boundary of their own (the admin layouts keep their frame: admin.tsx). */
export function ErrorBoundary() {
  const t = useT();
  return (
    <ErrorMessage>
      <p>
        <Link to="/">{t("error.home")}</Link>
      </p>
    </ErrorMessage>
  );
}
