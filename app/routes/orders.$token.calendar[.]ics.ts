import type { LoaderFunctionArgs } from "@remix-run/node";
import { getOrderView } from "~/models/order-view.server";
import { publicUrl } from "~/utils/env.server";
import { notFound } from "~/utils/http.server";
import { getLocale } from "~/utils/i18n.server";

/** RFC 5545 text: escape backslash, semicolon, comma and newlines. */
function escapeText(value: string) {
  return value
    .replace(/\\/g, "\\\\")
    .replace(/;/g, "\\;")
    .replace(/,/g, "\\,")
    .replace(/\r?\n/g, "\\n");
}

/** Fold lines longer than 75 octets (RFC 5545 §3.1). */
function fold(line: string) {
  const bytes = Buffer.from(line, "utf8");
  if (bytes.length <= 75) return line;
  const parts: string[] = [];
  let current = "";
  for (const ch of line) {
    if (Buffer.byteLength(current + ch, "utf8") > (parts.length ? 74 : 75)) {
      parts.push(current);
      current = "";
    }
    current += ch;
  }
  parts.push(current);
  return parts.join("\r\n ");
}

const utc = (iso: string) => iso.replace(/[-:]/g, "").replace(/\.\d{3}/, "");

/** The festival as a calendar event (times in UTC, so every calendar shows them right). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const order = await getOrderView({ accessToken: params.token ?? "" }, await getLocale(request));
  if (!order) throw notFound();
  const f = order.festival;
  const lines = [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Solidarity festivals//EN",
    "CALSCALE:GREGORIAN",
    "METHOD:PUBLISH",
    "BEGIN:VEVENT",
    `UID:${order.id}@solidarity-festivals`,
    `DTSTAMP:${utc(new Date().toISOString())}`,
    `DTSTART:${utc(f.startsAt)}`,
    `DTEND:${utc(f.endsAt)}`,
    `SUMMARY:${escapeText(f.name)}`,
    `LOCATION:${escapeText(`${f.venueName}, ${f.venueAddress}`)}`,
    `URL:${publicUrl()}/festivals/${f.slug}`,
    "END:VEVENT",
    "END:VCALENDAR",
  ];
  return new Response(lines.map(fold).join("\r\n") + "\r\n", {
    headers: {
      "Content-Type": "text/calendar; charset=utf-8",
      "Content-Disposition": `attachment; filename="${f.slug}.ics"`,
    },
  });
}
