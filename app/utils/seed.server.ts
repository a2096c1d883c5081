// Demo data for a fresh installation: two festivals in two cities (one already
// over) with programmes. Only facts from shared/context/public-facts.md; the
// texts say plainly that this is demo data. No accounts are seeded.
import { DateTime } from "luxon";
import { festivalInput, festivalRow } from "~/models/festival.server";
import { prisonerInput, type PrisonerInputData } from "~/models/prisoner.server";
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
const DEMO_NOTE_PL =
  "Dane demonstracyjne: ten festiwal został utworzony przy instalacji, aby pokazać, jak działa strona.";

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
  /** A festival in Poland speaks Polish too (its first language). */
  descriptionPl?: string;
  programme: DemoItem[];
};

/** Demo festivals go through the same validation as organisers' input. */
async function createDemoFestival(f: DemoFestival) {
  const input = festivalInput.parse({
    ...f,
    startsAt: f.start,
    endsAt: f.end,
    languages: f.descriptionPl ? ["pl", "en", "ru"] : ["en", "ru"],
    description: {
      en: `${f.descriptionEn}\n\n${DEMO_NOTE_EN}`,
      ru: `${f.descriptionRu}\n\n${DEMO_NOTE_RU}`,
      ...(f.descriptionPl ? { pl: `${f.descriptionPl}\n\n${DEMO_NOTE_PL}` } : {}),
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

/**
 * Public profiles, only from shared/context/public-facts.md (published reporting,
 * 2023–2025): name, summary, story in English, Russian and Polish, status, and where held
 * and the sentence where reported. No letters address: none is in the facts.
 */
const DEMO_PRISONERS: (PrisonerInputData & { slug: string })[] = [
  {
    slug: "boris-kagarlitsky",
    name: { en: "Boris Kagarlitsky", ru: "Борис Кагарлицкий", pl: "Borys Kagarlicki" },
    status: "sentenced",
    heldAt: {
      en: "Penal colony No. 4, Torzhok",
      ru: "Исправительная колония № 4, Торжок",
      pl: "Kolonia karna nr 4, Torżok",
    },
    sentence: {
      en: "Five years (on appeal, February 2024)",
      ru: "Пять лет (в апелляции, февраль 2024 года)",
      pl: "Pięć lat (w apelacji, luty 2024)",
    },
    summary: {
      en: "Marxist sociologist, born about 1958. Sentenced on appeal to five years over a video title.",
      ru: "Социолог-марксист, родился около 1958 года. В апелляции приговорён к пяти годам из-за названия видео.",
      pl: "Socjolog marksista, urodzony około 1958 roku. W apelacji skazany na pięć lat za tytuł nagrania wideo.",
    },
    story: {
      en: "Boris Kagarlitsky is a Marxist sociologist, born about 1958.\n\nHe was arrested in July 2023 over the title of a video. He was first fined; then, in February 2024, he was sentenced on appeal to five years.\n\nHe is held in penal colony No. 4 in Torzhok. His appeal was rejected in June 2024.",
      ru: "Борис Кагарлицкий — социолог-марксист, родился около 1958 года.\n\nВ июле 2023 года его арестовали из-за названия видео. Сначала его оштрафовали, затем, в феврале 2024 года, в апелляции приговорили к пяти годам.\n\nОн находится в исправительной колонии № 4 в Торжке. В июне 2024 года его жалобу отклонили.",
      pl: "Borys Kagarlicki to socjolog marksista, urodzony około 1958 roku.\n\nW lipcu 2023 roku aresztowano go z powodu tytułu nagrania wideo. Najpierw ukarano go grzywną, a potem, w lutym 2024 roku, w apelacji skazano na pięć lat.\n\nPrzebywa w kolonii karnej nr 4 w Torżku. W czerwcu 2024 roku jego skargę odrzucono.",
    },
  },
  {
    slug: "azat-miftakhov",
    name: { en: "Azat Miftakhov", ru: "Азат Мифтахов", pl: "Azat Miftachow" },
    status: "sentenced",
    sentence: {
      en: "Four years in a penal colony (March 2024)",
      ru: "Четыре года колонии (март 2024 года)",
      pl: "Cztery lata kolonii karnej (marzec 2024)",
    },
    summary: {
      en: "Mathematician and anarchist. Sentenced again in March 2024 to four years in a penal colony.",
      ru: "Математик и анархист. В марте 2024 года снова приговорён — к четырём годам колонии.",
      pl: "Matematyk i anarchista. W marcu 2024 roku ponownie skazany na cztery lata kolonii karnej.",
    },
    story: {
      en: "Azat Miftakhov is a mathematician and an anarchist.\n\nHe was released in September 2023 and detained again. In March 2024 he was sentenced to four years in a penal colony.",
      ru: "Азат Мифтахов — математик и анархист.\n\nВ сентябре 2023 года он вышел на свободу и был снова задержан. В марте 2024 года его приговорили к четырём годам колонии.",
      pl: "Azat Miftachow to matematyk i anarchista.\n\nWe wrześniu 2023 roku wyszedł na wolność i został ponownie zatrzymany. W marcu 2024 roku skazano go na cztery lata kolonii karnej.",
    },
  },
  {
    slug: "alexander-kupriyanov",
    name: {
      en: "Alexander Kupriyanov (“Doctor Pravda”)",
      ru: "Александр Куприянов («Доктор Правда»)",
      pl: "Aleksandr Kuprijanow („Doktor Prawda”)",
    },
    status: "detained",
    heldAt: {
      en: "At home, under investigation",
      ru: "Дома, под следствием",
      pl: "W domu, w trakcie śledztwa",
    },
    summary: {
      en: "Psychotherapist and trade-union activist from Bryansk. At home under investigation, barred from post and internet.",
      ru: "Психотерапевт и профсоюзный активист из Брянска. Дома под следствием, с запретом на почту и интернет.",
      pl: "Psychoterapeuta i działacz związkowy z Briańska. W domu, w trakcie śledztwa, z zakazem korzystania z poczty i internetu.",
    },
    story: {
      en: "Alexander Kupriyanov, known as “Doctor Pravda”, is a psychotherapist and trade-union activist from Bryansk.\n\nHe spent a year in pre-trial detention. He is now at home under investigation, barred from using the post and the internet.",
      ru: "Александр Куприянов, известный как «Доктор Правда», — психотерапевт и профсоюзный активист из Брянска.\n\nОн провёл год в СИЗО. Сейчас он дома под следствием, ему запрещено пользоваться почтой и интернетом.",
      pl: "Aleksandr Kuprijanow, znany jako „Doktor Prawda”, to psychoterapeuta i działacz związkowy z Briańska.\n\nSpędził rok w areszcie śledczym. Teraz przebywa w domu w trakcie śledztwa i nie wolno mu korzystać z poczty ani internetu.",
    },
  },
  {
    slug: "anton-orlov",
    name: { en: "Anton Orlov", ru: "Антон Орлов", pl: "Anton Orłow" },
    status: "detained",
    summary: {
      en: "Former commercial director. On trial again from June 2024 as the only accused of an alleged “organised group”.",
      ru: "Бывший коммерческий директор. С июня 2024 года снова под судом — единственный обвиняемый по делу о якобы «организованной группе».",
      pl: "Były dyrektor handlowy. Od czerwca 2024 roku ponownie przed sądem jako jedyny oskarżony w sprawie rzekomej „grupy zorganizowanej”.",
    },
    story: {
      en: "Anton Orlov is a former commercial director.\n\nFrom June 2024 he has been on trial again, as the only accused of an alleged “organised group”.",
      ru: "Антон Орлов — бывший коммерческий директор.\n\nС июня 2024 года он снова под судом — как единственный обвиняемый по делу о якобы «организованной группе».",
      pl: "Anton Orłow to były dyrektor handlowy.\n\nOd czerwca 2024 roku znowu stoi przed sądem jako jedyny oskarżony w sprawie rzekomej „grupy zorganizowanej”.",
    },
  },
  {
    slug: "daria-kozyreva",
    name: { en: "Daria Kozyreva", ru: "Дарья Козырева", pl: "Daria Kozyriewa" },
    status: "detained",
    summary: {
      en: "Young activist from St Petersburg. On trial; writes open letters.",
      ru: "Молодая активистка из Петербурга. Находится под судом, пишет открытые письма.",
      pl: "Młoda aktywistka z Petersburga. Stoi przed sądem, pisze listy otwarte.",
    },
    story: {
      en: "Daria Kozyreva is a young activist from St Petersburg.\n\nShe is on trial, and writes open letters.",
      ru: "Дарья Козырева — молодая активистка из Петербурга.\n\nОна находится под судом и пишет открытые письма.",
      pl: "Daria Kozyriewa to młoda aktywistka z Petersburga.\n\nStoi przed sądem i pisze listy otwarte.",
    },
  },
  {
    slug: "yuri-mikheev",
    name: { en: "Yuri Mikheev", ru: "Юрий Михеев", pl: "Jurij Michiejew" },
    status: "detained",
    summary: {
      en: "18-year-old antifascist detained in November 2023 on a military base; faces up to ten years.",
      ru: "18-летний антифашист, задержан в ноябре 2023 года на военной базе; ему грозит до десяти лет.",
      pl: "18-letni antyfaszysta zatrzymany w listopadzie 2023 roku w bazie wojskowej; grozi mu do dziesięciu lat.",
    },
    story: {
      en: "Yuri Mikheev is an 18-year-old antifascist.\n\nHe was detained in November 2023 on a military base. He faces up to ten years.",
      ru: "Юрий Михеев — 18-летний антифашист.\n\nЕго задержали в ноябре 2023 года на военной базе. Ему грозит до десяти лет.",
      pl: "Jurij Michiejew to 18-letni antyfaszysta.\n\nZatrzymano go w listopadzie 2023 roku w bazie wojskowej. Grozi mu do dziesięciu lat.",
    },
  },
  {
    slug: "yuri-chilikin",
    name: { en: "Yuri Chilikin", ru: "Юрий Чиликин", pl: "Jurij Czilikin" },
    status: "released",
    sentence: {
      en: "Fine of 300,000 roubles (2024)",
      ru: "Штраф 300 000 рублей (2024 год)",
      pl: "Grzywna 300 000 rubli (2024)",
    },
    summary: {
      en: "Fined 300,000 roubles in 2024 for a Telegram caption; released from pre-trial detention in July 2024.",
      ru: "В 2024 году оштрафован на 300 000 рублей за подпись в Telegram; в июле 2024 года вышел из СИЗО.",
      pl: "W 2024 roku ukarany grzywną 300 000 rubli za podpis w Telegramie; w lipcu 2024 roku wyszedł z aresztu śledczego.",
    },
    story: {
      en: "Yuri Chilikin was fined 300,000 roubles in 2024 for a caption in Telegram.\n\nHe was released from pre-trial detention in July 2024.",
      ru: "В 2024 году Юрия Чиликина оштрафовали на 300 000 рублей за подпись в Telegram.\n\nВ июле 2024 года он вышел из СИЗО.",
      pl: "W 2024 roku Jurij Czilikin został ukarany grzywną 300 000 rubli za podpis w Telegramie.\n\nW lipcu 2024 roku wyszedł z aresztu śledczego.",
    },
  },
];

async function seedPrisonersAndTickets(festivalSlug: string) {
  const festival = await prisma.festival.findUniqueOrThrow({
    where: { slug: festivalSlug },
    select: { id: true },
  });
  for (const demo of DEMO_PRISONERS) {
    // Through the registry's own validation, as an admin's input would be.
    const p = prisonerInput.parse(demo);
    const prisoner = await prisma.prisoner.upsert({
      where: { slug: demo.slug },
      create: {
        slug: demo.slug,
        name: JSON.stringify(p.name),
        summary: JSON.stringify(p.summary ?? {}),
        story: JSON.stringify(p.story ?? {}),
        heldAt: p.heldAt ? JSON.stringify(p.heldAt) : null,
        sentence: p.sentence ? JSON.stringify(p.sentence) : null,
        status: p.status ?? "detained",
      },
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
        name: JSON.stringify({
          en: "Standard (demo)",
          ru: "Стандартный (демо)",
          pl: "Standardowy (demo)",
        }),
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
          pl: "Solidarnościowy — zapłać, ile chcesz (demo)",
        }),
        description: JSON.stringify({
          en: "Pay more if you can, less if you cannot.",
          ru: "Заплатите больше, если можете, или меньше, если нет.",
          pl: "Zapłać więcej, jeśli możesz, albo mniej, jeśli nie.",
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
    descriptionPl:
      "Popołudnie i wieczór rozmów, muzyki i tatuaży za datek na rzecz więźniów politycznych.",
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
