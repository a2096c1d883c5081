// An email's HTML shown in a page: a sandboxed iframe (no scripts, no
// same-origin, no forms, no navigation) with the document in `srcdoc`, which
// carries its own strict CSP (app/utils/email-preview.server.ts).
export function EmailFrame({ title, html }: { title: string; html: string }) {
  return (
    <iframe
      className="email-frame"
      title={title}
      sandbox=""
      srcDoc={html}
      referrerPolicy="no-referrer"
      loading="lazy"
    />
  );
}
