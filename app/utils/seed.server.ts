// Demo data for a fresh installation: two festivals in two cities (one already
// over) with programmes. Only facts from shared/context/public-facts.md; the
// texts say plainly that this is demo data. No accounts are seeded.
import { DateTime } from "luxon";
import { festivalInput, festivalRow } from "~/models/festival.server";
import { prisma } from "./db.server";

type DemoItem = {
  title: string;
  person?: string;
  kind: "talk" | "music" | "tattoo" | "other";
  at: string;
  until?: string;
};

const DEMO_NOTE_EN =
  "Demo data: this festival was created by the installer to show how the site works.";
const DEMO_NOTE_RU =
  "Демо-данные: этот фестиваль создан при установке, чтобы показать, как работает сайт.";

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
    description: {
      en: `${f.descriptionEn}\n\n${DEMO_NOTE_EN}`,
      ru: `${f.descriptionRu}\n\n${DEMO_NOTE_RU}`,
    },
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

/** Public profiles, only from shared/context/public-facts.md (published reporting, 2023–2025). */
const DEMO_PRISONERS = [
  {
    slug: "boris-kagarlitsky",
    name: { en: "Boris Kagarlitsky", ru: "Борис Кагарлицкий" },
    summary: {
      en: "Marxist sociologist, born about 1958. Arrested in July 2023 over a video title; fined, then in February 2024 sentenced on appeal to five years. Held in penal colony No. 4 in Torzhok; appeal rejected in June 2024.",
      ru: "Социолог-марксист, родился около 1958 года. Арестован в июле 2023 года из-за названия видео; сначала оштрафован, затем в феврале 2024 года в апелляции приговорён к пяти годам. Находится в исправительной колонии № 4 в Торжке; в июне 2024 года жалобу отклонили.",
    },
  },
  {
    slug: "azat-miftakhov",
    name: { en: "Azat Miftakhov", ru: "Азат Мифтахов" },
    summary: {
      en: "Mathematician and anarchist. Released in September 2023, detained again, and sentenced in March 2024 to four years in a penal colony.",
      ru: "Математик и анархист. Вышел на свободу в сентябре 2023 года, был снова задержан и в марте 2024 года приговорён к четырём годам колонии.",
    },
  },
  {
    slug: "alexander-kupriyanov",
    name: {
      en: "Alexander Kupriyanov (“Doctor Pravda”)",
      ru: "Александр Куприянов («Доктор Правда»)",
    },
    summary: {
      en: "Psychotherapist and trade-union activist from Bryansk. Spent a year in pre-trial detention; at home under investigation, barred from post and internet.",
      ru: "Психотерапевт и профсоюзный активист из Брянска. Год провёл в СИЗО; находится дома под следствием, с запретом на почту и интернет.",
    },
  },
  {
    slug: "anton-orlov",
    name: { en: "Anton Orlov", ru: "Антон Орлов" },
    summary: {
      en: "Former commercial director. On trial again from June 2024 as the only accused of an alleged “organised group”.",
      ru: "Бывший коммерческий директор. С июня 2024 года снова под судом — единственный обвиняемый по делу о якобы «организованной группе».",
    },
  },
  {
    slug: "daria-kozyreva",
    name: { en: "Daria Kozyreva", ru: "Дарья Козырева" },
    summary: {
      en: "Young activist from St Petersburg. On trial; writes open letters.",
      ru: "Молодая активистка из Петербурга. Находится под судом, пишет открытые письма.",
    },
  },
  {
    slug: "yuri-mikheev",
    name: { en: "Yuri Mikheev", ru: "Юрий Михеев" },
    summary: {
      en: "18-year-old antifascist detained in November 2023 on a military base; faces up to ten years.",
      ru: "18-летний антифашист, задержан в ноябре 2023 года на военной базе; ему грозит до десяти лет.",
    },
  },
  {
    slug: "yuri-chilikin",
    name: { en: "Yuri Chilikin", ru: "Юрий Чиликин" },
    summary: {
      en: "Fined 300,000 roubles in 2024 for a Telegram caption; released from pre-trial detention in July 2024.",
      ru: "В 2024 году оштрафован на 300 000 рублей за подпись в Telegram; в июле 2024 года вышел из СИЗО.",
    },
  },
];

async function seedPrisonersAndTickets(festivalSlug: string) {
  const festival = await prisma.festival.findUniqueOrThrow({
    where: { slug: festivalSlug },
    select: { id: true },
  });
  for (const p of DEMO_PRISONERS) {
    const prisoner = await prisma.prisoner.upsert({
      where: { slug: p.slug },
      create: { slug: p.slug, name: JSON.stringify(p.name), summary: JSON.stringify(p.summary) },
      update: {},
    });
    await prisma.festivalPrisoner.create({
      data: { festivalId: festival.id, prisonerId: prisoner.id },
    });
  }
  const venue = await prisma.quota.create({
    data: { festivalId: festival.id, name: "Venue (demo)", capacity: 300 },
  });
  await prisma.ticketType.createMany({
    data: [
      {
        festivalId: festival.id,
        name: JSON.stringify({ en: "Standard (demo)", ru: "Стандартный (демо)" }),
        priceMinor: 1500,
        capacity: 250,
        quotaId: venue.id,
        position: 0,
      },
      {
        festivalId: festival.id,
        name: JSON.stringify({
          en: "Solidarity — pay what you want (demo)",
          ru: "Солидарный — плати сколько хочешь (демо)",
        }),
        description: JSON.stringify({
          en: "Pay more if you can, less if you cannot.",
          ru: "Заплатите больше, если можете, или меньше, если нет.",
        }),
        priceMinor: 500,
        payWhatYouWant: true,
        minPriceMinor: 500,
        suggestedPriceMinor: 2500,
        capacity: 300,
        quotaId: venue.id,
        position: 1,
      },
    ],
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
      {
        title: "Talk: what support money pays for",
        person: "Volunteers of the collective",
        kind: "talk",
        at: `${upcoming}T16:00`,
        until: `${upcoming}T17:00`,
      },
      {
        title: "Donation tattoos (flash designs)",
        person: "Guest tattoo artists",
        kind: "tattoo",
        at: `${upcoming}T16:00`,
        until: `${upcoming}T22:00`,
      },
      {
        title: "Live music",
        person: "Local bands",
        kind: "music",
        at: `${upcoming}T19:00`,
        until: `${upcoming}T23:00`,
      },
    ],
  });
  await seedPrisonersAndTickets("demo-solidarity-festival-riga");
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
    descriptionEn:
      "An afternoon and evening of talks, music and donation tattoos in support of political prisoners.",
    descriptionRu:
      "День и вечер разговоров, музыки и татуировок за донат в поддержку политзаключённых.",
    programme: [
      {
        title: "Talk: writing letters to political prisoners",
        person: "Volunteers of the collective",
        kind: "talk",
        at: `${past}T14:30`,
        until: `${past}T15:30`,
      },
      {
        title: "Donation tattoos",
        person: "Guest tattoo artists",
        kind: "tattoo",
        at: `${past}T15:00`,
        until: `${past}T21:00`,
      },
      {
        title: "Concert",
        person: "Local musicians",
        kind: "music",
        at: `${past}T19:00`,
        until: `${past}T22:00`,
      },
    ],
  });
  return true;
}
