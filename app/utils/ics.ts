// Calendar files (RFC 5545): the festival's event from the order page, and each
// tattoo booking's, attached to the confirmation email. Times are written in UTC
// ("…Z"), so every calendar shows them right in its own zone; text is escaped
// and long lines are folded. One module for every .ics the app makes.

/** RFC 5545 text: escape backslash, semicolon, comma and newlines (§3.3.11). */
export function escapeText(value: string) {
  return value
    .replace(/\\/g, "\\\\")
    .replace(/;/g, "\\;")
    .replace(/,/g, "\\,")
    .replace(/\r?\n/g, "\\n");
}

/** Fold lines longer than 75 octets (RFC 5545 §3.1), never inside a character. */
export function fold(line: string) {
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

/** An instant as an RFC 5545 UTC date-time: 20300126T130000Z. */
export function utcDateTime(at: Date | string) {
  return new Date(at)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

export type CalendarEvent = {
  /** Globally unique and stable: the same event downloaded twice updates, not duplicates. */
  uid: string;
  startsAt: Date | string;
  endsAt: Date | string;
  summary: string;
  location?: string;
  description?: string;
  url?: string;
};

/** A whole calendar file (CRLF line ends, folded) with these events. */
export function calendarFile(events: CalendarEvent[], now = new Date()) {
  const lines = [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Solidarity festivals//EN",
    "CALSCALE:GREGORIAN",
    "METHOD:PUBLISH",
    ...events.flatMap((e) => [
      "BEGIN:VEVENT",
      `UID:${e.uid}`,
      `DTSTAMP:${utcDateTime(now)}`,
      `DTSTART:${utcDateTime(e.startsAt)}`,
      `DTEND:${utcDateTime(e.endsAt)}`,
      `SUMMARY:${escapeText(e.summary)}`,
      ...(e.location ? [`LOCATION:${escapeText(e.location)}`] : []),
      ...(e.description ? [`DESCRIPTION:${escapeText(e.description)}`] : []),
      ...(e.url ? [`URL:${e.url}`] : []),
      "END:VEVENT",
    ]),
    "END:VCALENDAR",
  ];
  return lines.map(fold).join("\r\n") + "\r\n";
}
