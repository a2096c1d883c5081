// An email's HTML shown in a page: a sandboxed iframe (no scripts, no
// same-origin, no forms, no navigation) on the preview's own address, which
// answers under its own strict policy (app/utils/email-preview.server.ts).
export function EmailFrame({ title, src }: { title: string; src: string }) {
  return (
    <iframe
      className="email-frame"
      title={title}
      sandbox=""
      src={src}
      referrerPolicy="no-referrer"
      loading="lazy"
    />
  );
}
