// The confirmation email's calendar file for a tattoo booking, rendered with no
// database: UTC times equal to the slot's, RFC 5545 text escaping (commas,
// semicolons, backslashes, newlines in names), lines folded at 75 octets
// without cutting a Cyrillic letter in half, and nothing of the buyer in it.
import { describe, expect, it } from "vitest";
import { tattooCalendar, tattooTime, type OrderEmailData } from "../../emails/order-confirmation";
import type { TattooBookingView } from "~/models/tattoo-booking.server";
import { calendarFile, escapeText, fold, utcDateTime } from "~/utils/ics";
import { translator } from "~/utils/i18n";

const booking: TattooBookingView = {
  orderItemId: "item-1",
  orderId: "order-1",
  status: "booked",
  artistId: "artist-1",
  artistName: "Ink; Riga, \\north",
  slotId: "slot-1",
  // 26 March 2028 is the day Riga moves its clocks forward (03:00 → 04:00).
  startsAt: "2028-03-26T10:00:00.000Z",
  endsAt: "2028-03-26T10:45:00.000Z",
  designTitle: "Ласточка\nна запястье",
  donationMinor: 3500,
  dueMinor: 3500,
  walkIn: false,
};

function data(lang: "en" | "ru"): OrderEmailData {
  return {
    id: "order-1",
    code: "ABCD-1234",
    accessToken: "secret-order-token-0123456789",
    status: "confirmed",
    paymentMethod: "door",
    email: "buyer@example.test",
    name: "Private Person",
    locale: lang,
    currency: "EUR",
    totalMinor: 3500,
    createdAt: "2028-03-01T10:00:00.000Z",
    paidAt: null,
    holdExpiresAt: null,
    erasedAt: null,
    festival: {
      name: "Солидарность — Рига, весна 2028: лекции, музыка и татуировки за пожертвование",
      venueName: "Hall",
      venueAddress: "Street 1, Riga",
      timezone: "Europe/Riga",
      slug: "solidarity-riga-2028",
    } as OrderEmailData["festival"],
    items: [],
    tickets: [],
    orderUrl: "https://festivals.example.test/orders/secret-order-token-0123456789",
    festivalUrl: "https://festivals.example.test/festivals/solidarity-riga-2028",
    lang,
    tattoos: [booking],
  };
}

function unfold(text: string) {
  return text.replace(/\r\n /g, "");
}

describe("a tattoo booking's .ics", () => {
  const now = new Date("2028-03-01T12:00:00.000Z");

  it("holds the slot in UTC, escaped text and folded lines", () => {
    const ics = tattooCalendar(data("ru"), booking, now);
    const lines = ics.split("\r\n");
    expect(lines.at(-1)).toBe("");
    for (const line of lines) expect(Buffer.byteLength(line, "utf8")).toBeLessThanOrEqual(75);
    expect(lines.filter((l) => l.startsWith(" ")).length).toBeGreaterThan(0);
    // Folding never splits a character: each physical line's bytes decode on their own.
    const bytes = Buffer.from(ics, "utf8");
    const physical: Buffer[] = [];
    for (let at = 0; at < bytes.length;) {
      const end = bytes.indexOf("\r\n", at);
      physical.push(bytes.subarray(at, end));
      at = end + 2;
    }
    for (const line of physical) expect(line.toString("utf8")).not.toContain("\ufffd");
    const text = unfold(ics);
    expect(text).toContain(data("ru").festival.name.replace(/,/g, "\\,"));
    expect(text).toContain("\r\nDTSTART:20280326T100000Z\r\n");
    expect(text).toContain("\r\nDTEND:20280326T104500Z\r\n");
    expect(text).toContain("\r\nDTSTAMP:20280301T120000Z\r\n");
    expect(text).toContain("UID:tattoo-item-1@solidarity-festivals");
    expect(text).toContain("SUMMARY:Татуировка у мастера Ink\\; Riga\\, \\\\north — Солидарность");
    expect(text).toContain("Ласточка\\nна запястье");
    expect(text).not.toMatch(/buyer@example|Private Person|secret-order-token/);
  });

  it("the email names the festival's zone and gives its local time across a DST change", () => {
    const en = translator("en");
    // 10:00 UTC on the morning Riga switched to summer time is 13:00 EEST (UTC+3).
    expect(tattooTime(en, data("en"), booking)).toBe(
      "Mar 26, 2028, 1:00 PM–1:45 PM (Europe/Riga time, GMT+3)",
    );
    expect(tattooTime(translator("ru"), data("ru"), booking)).toBe(
      "26 мар. 2028 г., 13:00–13:45 (время Europe/Riga, GMT+3)",
    );
  });
});

describe("the shared writer", () => {
  it("escapes RFC 5545 text", () => {
    expect(escapeText("a\\b;c,d\ne\r\nf")).toBe("a\\\\b\\;c\\,d\\ne\\nf");
  });
  it("folds at 75 octets with a leading space", () => {
    const long = `SUMMARY:${"я".repeat(60)}`;
    const folded = fold(long).split("\r\n");
    expect(folded.length).toBeGreaterThan(1);
    expect(folded.slice(1).every((l) => l.startsWith(" "))).toBe(true);
    expect(folded.join("").replace(/ /g, "")).toBe(long);
  });
  it("writes UTC date-times and one VEVENT per event", () => {
    expect(utcDateTime("2030-01-26T13:00:00.000Z")).toBe("20300126T130000Z");
    const file = calendarFile(
      [
        {
          uid: "a@x",
          startsAt: "2030-01-26T13:00:00Z",
          endsAt: "2030-01-26T14:00:00Z",
          summary: "A",
        },
        {
          uid: "b@x",
          startsAt: "2030-01-26T15:00:00Z",
          endsAt: "2030-01-26T16:00:00Z",
          summary: "B",
        },
      ],
      new Date("2030-01-01T00:00:00Z"),
    );
    expect(file.match(/BEGIN:VEVENT/g)).toHaveLength(2);
    expect(file.startsWith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")).toBe(true);
  });
});
