// How stored values are shown: an order's status for people (a paid order of
// nothing is "Free"), and per-language texts in the shape the API takes them.
import { describe, expect, it } from "vitest";
import { orderStatusKey } from "~/models/choices";
import { apiText, pickLanguage, textIn } from "~/models/ticket-type.server";

describe("orderStatusKey", () => {
  it("calls a paid order of nothing free, and every other status by its own name", () => {
    expect(orderStatusKey({ status: "paid", totalMinor: 0 })).toBe("order.status.free");
    expect(orderStatusKey({ status: "paid", totalMinor: 1 })).toBe("order.status.paid");
    expect(orderStatusKey({ status: "cancelled", totalMinor: 0 })).toBe("order.status.cancelled");
    expect(orderStatusKey({ status: "confirmed", totalMinor: 1500 })).toBe(
      "order.status.confirmed",
    );
  });
});

describe("apiText", () => {
  it("gives one string back as a string and per-language texts as an object", () => {
    expect(apiText(JSON.stringify({ "*": "Door test" }))).toBe("Door test");
    expect(apiText(JSON.stringify({ en: "Standard", ru: "Стандарт" }))).toEqual({
      en: "Standard",
      ru: "Стандарт",
    });
    expect(apiText("{}")).toEqual({});
    expect(apiText("not json")).toEqual({});
  });

  it("reads back in a language as the stored text does", () => {
    for (const stored of [{ "*": "One" }, { en: "Standard", ru: "Стандарт" }, { ru: "Только" }])
      for (const locale of ["en", "ru", "uk"])
        expect(textIn(apiText(JSON.stringify(stored)), locale)).toBe(
          pickLanguage(JSON.stringify(stored), locale),
        );
  });
});
