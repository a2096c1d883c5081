// Shared frame of every email (table-free, inline styles are fine in email).
import type { ReactNode } from "react";

export function EmailLayout({
  lang,
  title,
  children,
}: {
  lang: string;
  title: string;
  children: ReactNode;
}) {
  return (
    <html lang={lang}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width" />
        <title>{title}</title>
      </head>
      <body
        style={{
          fontFamily: "system-ui, sans-serif",
          lineHeight: 1.5,
          color: "#1a1a1a",
          maxWidth: 560,
          margin: "0 auto",
          padding: 16,
        }}
      >
        {children}
      </body>
    </html>
  );
}

/** One link under an email's paragraphs. */
export type EmailLink = { href: string; label: string };

/** An email of short paragraphs and one link under them (the tattoo emails). */
export function LinesEmail({
  lang,
  title,
  lines,
  link,
}: {
  lang: string;
  title: string;
  lines: string[];
  link: EmailLink;
}) {
  return (
    <EmailLayout lang={lang} title={title}>
      {lines.map((line) => (
        <p key={line}>{line}</p>
      ))}
      <p>
        <a href={link.href}>{link.label}</a>
      </p>
    </EmailLayout>
  );
}

/** The plain-text version of `LinesEmail`. */
export function linesText(lines: string[], link: EmailLink) {
  return [...lines, "", `${link.label}: ${link.href}`].join("\n");
}
