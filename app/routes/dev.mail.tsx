import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { EmailFrame } from "~/components/email-frame";
import { listDevMail } from "~/utils/dev-mail.server";
import { getEnv } from "~/utils/env.server";
import { notFound } from "~/utils/http.server";

export const meta: MetaFunction = () => [{ title: "Development mail" }];

/** Mail written to data/mail/ when no SMTP_URL is set. Development only. */
export async function loader({ request }: LoaderFunctionArgs) {
  if (getEnv().NODE_ENV !== "development") throw notFound();
  const messages = await listDevMail(new URL(request.url).searchParams.get("file"));
  return { messages };
}

export default function DevMail() {
  const { messages } = useLoaderData<typeof loader>();
  return (
    <section>
      <h1>Development mail</h1>
      <p className="muted">Mail the app would have sent (no SMTP_URL set). Newest first.</p>
      {messages.length === 0 ? <p>No mail yet.</p> : null}
      <ul className="mail-list">
        {messages.map((m) => (
          <li key={m.file}>
            <a href={`/dev/mail?file=${encodeURIComponent(m.file)}`}>
              {m.date} — {m.to} — <strong>{m.subject}</strong>
            </a>
            {m.hasHtml ? (
              <EmailFrame
                title={m.subject}
                src={`/dev/mail/preview?file=${encodeURIComponent(m.file)}`}
              />
            ) : null}
            {m.text !== null ? <pre className="mail-body">{m.text}</pre> : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
