// An organiser's first festival, in a real browser on a phone-sized screen:
// sign in, create a festival, publish it, switch to Russian and find it on the
// public list. The app is the production build over a fresh database.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app";
import { createFestivalRow, createUserRow, liveResetPath, PASSWORD } from "../helpers/fixtures";
import { browserPerFile, type Problem } from "./browser";

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.close());

const browser = browserPerFile(() => app.url);

/** `YYYY-MM-DDTHH:mm` (a datetime-local value) for a day `days` from now. */
function localInput(days: number, time: string) {
  const d = new Date(Date.now() + days * 86_400_000);
  return `${d.toISOString().slice(0, 10)}T${time}`;
}

describe("organiser creates and publishes a festival, attendee finds it in Russian", () => {
  it("runs from sign-in to the Russian public list without console errors or CSP violations", async () => {
    const admin = await createUserRow({ role: "admin", name: "Anna Organiser" });
    const name = `Фестиваль солидарности Рига ${Date.now().toString(36)}`;
    const { page, problems } = browser();

    // Sign in through the form.
    await browser().open("/login");
    await expect.poll(() => page.locator("html").getAttribute("lang")).toBe("en");
    await page.getByLabel("Email").fill(admin.email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((u) => u.pathname === "/admin");

    // New festival.
    await page.getByRole("link", { name: "New festival" }).click();
    await page.waitForURL((u) => u.pathname === "/admin/festivals/new");
    await page.getByLabel("Festival name").fill(name);
    await page.getByLabel("City", { exact: true }).fill("Riga");
    await page.getByLabel("Country", { exact: true }).selectOption("LV");
    await page.getByLabel("Venue", { exact: true }).fill("Kaņepes Kultūras centrs");
    await page.getByLabel("Venue address").fill("Skolas iela 15, Rīga");
    await page.getByLabel("Time zone").selectOption("Europe/Riga");
    await page.getByLabel("Currency").selectOption("EUR");
    await page.getByLabel("Starts").fill(localInput(60, "15:00"));
    await page.getByLabel("Ends").fill(localInput(60, "23:00"));
    await page.getByRole("checkbox", { name: "English" }).check();
    await page.getByRole("checkbox", { name: "Russian" }).check();
    await page
      .getByLabel("Description (English)")
      .fill("Talks about political prisoners, music and donation tattoos.");
    await page
      .getByLabel("Description (Russian)")
      .fill("Разговоры о политзаключённых, музыка и татуировки за донат.");
    await page.getByRole("button", { name: "Create the festival" }).click();

    // The festival's admin page, as a draft.
    await page.waitForURL(
      (u) => /^\/admin\/festivals\/[^/]+$/.test(u.pathname) && !u.pathname.endsWith("/new"),
    );
    const heading = page.getByRole("heading", { level: 1 });
    await expect.poll(() => heading.textContent()).toContain(name);
    await expect.poll(() => heading.textContent()).toContain("Draft");

    // Publish.
    await page.getByRole("button", { name: "Publish", exact: true }).click();
    await expect.poll(() => heading.textContent()).toContain("Published");
    await expect.poll(() => page.getByRole("status").textContent()).toBe("Saved.");
    await browser().screenshot("e2e-festival-admin-en-phone");

    // Switch the site to Russian with the header's language button.
    await page.getByRole("button", { name: "Русский" }).click();
    await expect.poll(() => page.locator("html").getAttribute("lang")).toBe("ru");
    await expect.poll(() => heading.textContent()).toContain("Опубликован");

    // The public list, in Russian.
    await page
      .getByRole("navigation", { name: "Основное меню" })
      .getByRole("link", { name: "Фестивали", exact: true })
      .click();
    await page.waitForURL((u) => u.pathname === "/");
    await browser().hydrated();
    const upcoming = page.locator('section[aria-labelledby="upcoming"]');
    await expect
      .poll(() => upcoming.getByRole("heading", { level: 2 }).textContent())
      .toBe("Ближайшие фестивали");
    const latvia = upcoming
      .locator("section.country")
      .filter({ has: page.getByRole("heading", { level: 3, name: "Латвия" }) });
    await expect.poll(() => latvia.count()).toBe(1);
    const card = latvia.getByRole("listitem").filter({ hasText: name });
    await expect.poll(() => card.count()).toBe(1);
    expect(await card.textContent()).toContain("Kaņepes Kultūras centrs");
    expect(await latvia.textContent()).toContain("Riga");
    expect(await page.locator("html").getAttribute("lang")).toBe("ru");
    expect(await page.title()).toBe("Фестивали солидарности");

    // Same page after a full reload (server-rendered from the language cookie).
    await browser().open("/");
    expect(await page.locator("html").getAttribute("lang")).toBe("ru");
    expect(await upcoming.getByRole("heading", { level: 2 }).textContent()).toBe(
      "Ближайшие фестивали",
    );
    expect(await card.count()).toBe(1);

    // Nothing wider than the phone's screen.
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);

    await browser().screenshot("e2e-public-list-ru-phone");
    expect(problems).toEqual([]);
  });
});

describe("every page runs in the browser", () => {
  // Server rendering alone passed for some of these while the browser bundle
  // crashed on them (values imported from `.server` modules used in components).
  it("hydrates and navigates client-side without errors", async () => {
    const session = browser();
    const { page, problems } = session;
    const seen = problems.length;
    const admin = await createUserRow({ role: "admin" });
    const draft = await createFestivalRow({ name: "Admin pages festival" });
    const published = await createFestivalRow({
      name: "Public page festival",
      status: "published",
      publishedAt: new Date(),
    });
    await session.context.clearCookies();

    /** Load `pathname` in full (server render + hydration), then reach it again client-side from `from`. */
    const visit = async (pathname: string, from: string) => {
      await session.open(pathname);
      await expect
        .poll(() => page.locator("main h1").count(), { message: pathname })
        .toBeGreaterThan(0);
      expect(await page.locator(".error-page").count(), `${pathname} shows the error page`).toBe(0);
      await session.open(from);
      await page.evaluate(
        (to) =>
          (
            window as unknown as { __remixRouter: { navigate: (to: string) => Promise<void> } }
          ).__remixRouter.navigate(to),
        pathname,
      );
      await page.waitForURL((u) => u.pathname + u.search === pathname);
      await expect
        .poll(() => page.locator("main h1").count(), { message: pathname })
        .toBeGreaterThan(0);
      expect(
        await page.locator(".error-page").count(),
        `${pathname} shows the error page after client navigation`,
      ).toBe(0);
    };

    for (const pathname of [
      "/",
      `/festivals/${published.slug}`,
      "/login",
      "/forgot-password",
      await liveResetPath(admin.id),
    ]) {
      await visit(pathname, "/");
    }
    // The 404 page renders (the document's own 404 is the only console error allowed).
    await session.open("/no/such/page");
    expect(await page.locator(".error-page h1").count()).toBe(1);
    const notFoundNoise = (p: Problem) =>
      p.kind === "console" &&
      /status of 404/.test(p.text) &&
      (p.url ?? "").includes("/no/such/page");

    await session.open("/login");
    await page.getByLabel("Email").fill(admin.email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: /^(Sign in|Войти)$/ }).click();
    await page.waitForURL((u) => u.pathname === "/admin");
    for (const pathname of [
      "/admin",
      "/admin/festivals/new",
      `/admin/festivals/${draft.id}`,
      `/admin/festivals/${draft.id}/programme`,
      `/admin/festivals/${draft.id}/team`,
      "/admin/users",
      "/admin/audit",
    ]) {
      await visit(pathname, "/admin");
    }
    expect(problems.slice(seen).filter((p) => !notFoundNoise(p))).toEqual([]);
  });
});
