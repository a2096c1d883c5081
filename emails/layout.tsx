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
