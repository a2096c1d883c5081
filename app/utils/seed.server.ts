// Demo data for a fresh installation: two festivals in two cities (one already
// over) with programmes. Only facts from shared/context/public-facts.md; the
// texts say plainly that this is demo data. No accounts are seeded.
import { DateTime } from "luxon";
import { festivalInput, festivalRow } from "~/models/festival.server";
import { prisma } from "./db.server";

type DemoItem = { title: string; person?: string; kind: "talk" | "music" | "tattoo" | "other"; at: string; until?: string };

const DEMO_NOTE_EN = "Demo data: this festival was created by the installer to show how the site works.";
const DEMO_NOTE_RU = "Демо-данные: этот фестиваль создан при установке, чтобы показать, как работает сайт.";

function at(zone: string, local: string) {
  return DateTime.fromISO(local, { zone }).toUTC().toJSDate();
}

type DemoFestival = {
  slug: string;
  name: string;
  city: string;
  country: string;
  venueName: string;
  venueAddress: string;
  mapUrl: string;
  timezone: string;
  currency: string;
  start: string;
  end: string;
  descriptionEn: string;
  descriptionRu: string;
  programme: DemoItem[];
};

/** Demo festivals go through the same validation as organisers' input. */
async function createDemoFestival(f: DemoFestival) {
  const input = festivalInput.parse({
    ...f,
    startsAt: f.start,
    endsAt: f.end,
    languages: ["en", "ru"],
    description: { en: `${f.descriptionEn}\n\n${DEMO_NOTE_EN}`, ru: `${f.descriptionRu}\n\n${DEMO_NOTE_RU}` },
    paymentMethods: ["door"],
  });
  await prisma.festival.create({
    data: {
      ...festivalRow(input),
      slug: f.slug,
      status: "published",
      publishedAt: new Date(),
      programme: {
        create: f.programme.map((p) => ({
          title: p.title,
          person: p.person ?? null,
          kind: p.kind,
          startsAt: at(f.timezone, p.at),
          endsAt: p.until ? at(f.timezone, p.until) : null,
        })),
      },
    },
  });
}

/** Seed the demo when the database has no festivals at all. Returns whether it did. */
export async function seedDemoIfEmpty(now = new Date()) {
  if ((await prisma.festival.count()) > 0) return false;
  // The upcoming festival is always about two months ahead of today; the past one
  // about four months behind, so the demo looks right whenever it is installed.
  const upcoming = DateTime.fromJSDate(now).plus({ months: 2 }).set({ weekday: 6 }).toISODate()!;
  const past = DateTime.fromJSDate(now).minus({ months: 4 }).set({ weekday: 6 }).toISODate()!;
  await createDemoFestival({
    slug: "demo-solidarity-festival-riga",
    name: "Solidarity Festival Riga (demo)",
    city: "Riga",
    country: "LV",
    venueName: "Community hall (demo venue)",
    venueAddress: "Demo street 1, Riga",
    mapUrl: "https://www.openstreetmap.org/search?query=Riga",
    timezone: "Europe/Riga",
    currency: "EUR",
    start: `${upcoming}T15:00`,
    end: `${upcoming}T23:00`,
    descriptionEn:
      "Talks about political prisoners, music, and tattoos made for a donation. Every euro raised pays for prisoners' lawyers, prison visits and parcels, and for their families' needs.",
    descriptionRu:
      "Разговоры о политзаключённых, музыка и татуировки за донат. Все собранные деньги идут на адвокатов, свидания и передачи заключённым, а также на нужды их семей.",
    programme: [
      { title: "Doors open, letter-writing table", kind: "other", at: `${upcoming}T15:00` },
      { title: "Talk: what support money pays for", person: "Volunteers of the collective", kind: "talk", at: `${upcoming}T16:00`, until: `${upcoming}T17:00` },
      { title: "Donation tattoos (flash designs)", person: "Guest tattoo artists", kind: "tattoo", at: `${upcoming}T16:00`, until: `${upcoming}T22:00` },
      { title: "Live music", person: "Local bands", kind: "music", at: `${upcoming}T19:00`, until: `${upcoming}T23:00` },
    ],
  });
  await createDemoFestival({
    slug: "demo-solidarity-festival-warsaw",
    name: "Solidarity Festival Warsaw (demo)",
    city: "Warsaw",
    country: "PL",
    venueName: "Cultural centre (demo venue)",
    venueAddress: "Demo avenue 2, Warsaw",
    mapUrl: "https://www.openstreetmap.org/search?query=Warsaw",
    timezone: "Europe/Warsaw",
    currency: "PLN",
    start: `${past}T14:00`,
    end: `${past}T22:00`,
    descriptionEn: "An afternoon and evening of talks, music and donation tattoos in support of political prisoners.",
    descriptionRu: "День и вечер разговоров, музыки и татуировок за донат в поддержку политзаключённых.",
    programme: [
      { title: "Talk: writing letters to political prisoners", person: "Volunteers of the collective", kind: "talk", at: `${past}T14:30`, until: `${past}T15:30` },
      { title: "Donation tattoos", person: "Guest tattoo artists", kind: "tattoo", at: `${past}T15:00`, until: `${past}T21:00` },
      { title: "Concert", person: "Local musicians", kind: "music", at: `${past}T19:00`, until: `${past}T22:00` },
    ],
  });
  return true;
}
