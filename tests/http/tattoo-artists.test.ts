// Tattoo artists, their pictures and flash over real HTTP against the build:
// the API's 201s and the public view, uploads checked by content and stored
// without metadata, every hostile upload a clear 4xx that stores nothing (no
// row, no file in DATA_DIR/media), the media route, a linked artist acting for
// their own artist only, and the organiser pages' forms (multipart too).
import fs from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma, sqlClient } from "~/utils/db.server";
import { Client, sendRaw, startTestApp, type TestApp } from "../helpers/app";
import { errorNextTo, expectApiError, unchanged } from "../helpers/bad-input";
import {
  addMember,
  apiToken,
  createFestivalRow,
  createPrisonerRow,
  createUserRow,
  signedInClient,
  uniqueEmail,
} from "../helpers/fixtures";

let app: TestApp;
let organiser: { email: string; id: string };
let token: string;
let festivalId: string;
let prisonerId: string;
let page: Client;

const media = () => path.join(app.dir, "media");
const mediaFiles = () => (fs.existsSync(media()) ? fs.readdirSync(media()).sort() : []);

async function gpsJpeg(width = 1200, height = 800) {
  return sharp({ create: { width, height, channels: 3, background: "#aa3311" } })
    .jpeg()
    .withExif({
      IFD0: { Make: "SpyCam", Model: "Tracker 9" },
      IFD3: {
        GPSLatitudeRef: "N",
        GPSLatitude: "56/1 57/1 0/1",
        GPSLongitudeRef: "E",
        GPSLongitude: "24/1 6/1 0/1",
      },
    })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

function upload(
  bytes: Buffer,
  filename: string,
  type: string,
  fields: Record<string, string> = {},
) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append("image", new Blob([new Uint8Array(bytes)], { type }), filename);
  return form;
}

const client = () => new Client(app.url);
const send = (method: string, pathname: string, body: FormData, bearer = token) =>
  client().request(method, pathname, { body, headers: { Authorization: `Bearer ${bearer}` } });

async function newArtist(name = "Ink Fox") {
  const res = await client().api(
    "POST",
    `/api/v1/festivals/${festivalId}/artists`,
    {
      name,
      bio: { en: "Linework.", ru: "Лайнворк." },
      contact: "signal: +371 2000 0000",
      prisonerId,
    },
    token,
  );
  expect(res.status, res.text).toBe(201);
  return res.json<{ id: string }>().id;
}

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  const festival = await createFestivalRow({ status: "published", publishedAt: new Date() });
  festivalId = festival.id;
  const user = await createUserRow({ email: uniqueEmail("tattoo-organiser") });
  organiser = { email: user.email, id: user.id };
  await addMember(festivalId, user.id, "organiser");
  token = await apiToken(app.url, user.email);
  page = await signedInClient(app.url, user.email);
  prisonerId = (await createPrisonerRow(`tattoo-${Date.now()}`, { en: "Supported" }, [festivalId]))
    .id;
});
afterAll(() => app?.close());

describe("artists over the API", () => {
  it("creates an artist (201), and the public view has no contact or account", async () => {
    const id = await newArtist();
    const pub = await client().get(`/api/v1/festivals/${festivalId}/artists?lang=ru`);
    expect(pub.status).toBe(200);
    const body = pub.json<{ artists: { id: string; name: string; bio: string }[] }>();
    expect(body.artists.find((a) => a.id === id)).toMatchObject({
      name: "Ink Fox",
      bio: "Лайнворк.",
    });
    expect(pub.text).not.toContain("signal");
    expect(pub.text).not.toContain("userId");
    expect(pub.text).not.toContain(organiser.email);
    // The organiser view has the contact.
    const own = await client().api("GET", `/api/v1/artists/${id}`, undefined, token);
    expect(own.json<{ contact: string }>().contact).toBe("signal: +371 2000 0000");
  });

  it("a draft festival's artists are not public", async () => {
    const draft = await createFestivalRow();
    const res = await client().get(`/api/v1/festivals/${draft.id}/artists`);
    expectApiError(res, 404);
  });

  it("refuses hostile artist input with 4xx and stores nothing", async () => {
    const cases: [unknown, number, string?][] = [
      [{}, 422, "name"],
      [{ name: "" }, 422, "name"],
      [{ name: "x".repeat(81) }, 422, "name"],
      [{ name: "<script>alert(1)</script>\u0000" }, 422, "name"],
      [{ name: "Alias", legalName: "Real Person" }, 422],
      [{ name: "Alias", bio: { de: "Hallo" } }, 422, "bio.de"],
      [{ name: "Alias", prisonerId: "not-supported" }, 422, "prisonerId"],
      [{ name: "Alias", contact: "x".repeat(501) }, 422, "contact"],
      [{ name: 42 }, 422, "name"],
    ];
    for (const [body, status, field] of cases)
      await unchanged(async () => {
        const res = await client().api(
          "POST",
          `/api/v1/festivals/${festivalId}/artists`,
          body,
          token,
        );
        expectApiError(res, status, field);
      });
  });

  it("PATCH changes the artist; DELETE removes it with its files (204)", async () => {
    const id = await newArtist("Temporary");
    const patched = await client().api(
      "PATCH",
      `/api/v1/artists/${id}`,
      { name: "Renamed", contact: null },
      token,
    );
    expect(patched.status, patched.text).toBe(200);
    expect(await prisma.tattooArtist.findUnique({ where: { id } })).toMatchObject({
      name: "Renamed",
      contact: null,
    });
    const up = await send(
      "POST",
      `/api/v1/artists/${id}/images`,
      upload(await gpsJpeg(), "a.jpg", "image/jpeg"),
    );
    expect(up.status, up.text).toBe(201);
    const { url } = up.json<{ url: string }>();
    expect(fs.existsSync(path.join(media(), url.replace("/media/", "")))).toBe(true);
    const del = await client().api("DELETE", `/api/v1/artists/${id}`, undefined, token);
    expect(del.status).toBe(204);
    expect(fs.existsSync(path.join(media(), url.replace("/media/", "")))).toBe(false);
    expect((await client().get(url)).status).toBe(404);
  });
});

describe("pictures over HTTP", () => {
  let artistId: string;
  beforeAll(async () => {
    artistId = await newArtist("Uploads");
  });

  it("a JPEG with GPS EXIF is stored stripped; the media route serves it as WebP with nosniff and a long cache", async () => {
    const res = await send(
      "POST",
      `/api/v1/artists/${artistId}/images`,
      upload(await gpsJpeg(), "holiday.jpg", "image/jpeg"),
    );
    expect(res.status, res.text).toBe(201);
    const { id, url, thumbUrl } = res.json<{ id: string; url: string; thumbUrl: string }>();
    const row = await prisma.tattooImage.findUniqueOrThrow({ where: { id } });
    expect([row.width, row.height]).toEqual([800, 1200]); // turned upright
    // Straight from the disk: no EXIF, no GPS, no camera.
    const onDisk = fs.readFileSync(path.join(media(), row.file));
    const meta = await sharp(onDisk).metadata();
    expect(meta.format).toBe("webp");
    expect(meta.exif).toBeUndefined();
    expect(meta.icc).toBeUndefined();
    expect(onDisk.includes(Buffer.from("SpyCam"))).toBe(false);
    expect(onDisk.includes(Buffer.from("EXIF"))).toBe(false);
    // Served.
    for (const u of [url, thumbUrl]) {
      const got = await fetch(app.url + u);
      expect(got.status).toBe(200);
      expect(got.headers.get("content-type")).toBe("image/webp");
      expect(got.headers.get("x-content-type-options")).toBe("nosniff");
      expect(got.headers.get("cache-control")).toMatch(/max-age=31536000/);
      const bytes = Buffer.from(await got.arrayBuffer());
      expect((await sharp(bytes).metadata()).exif).toBeUndefined();
    }
    // Public: the portfolio lists it.
    const pub = await client().get(`/api/v1/festivals/${festivalId}/artists`);
    expect(pub.text).toContain(url);
  });

  it("the media route answers 404 for anything but a stored name", async () => {
    for (const p of [
      "/media/aaaaaaaaaaaaaaaaaaaaaa.webp",
      "/media/..%2Ftest.db",
      "/media/test.db",
      "/media/x.svg",
      "/media/%2e%2e%2fsession-secret",
    ]) {
      const res = await client().get(p);
      expect(res.status, p).toBe(404);
      expect(res.text).not.toContain("test-session-secret");
    }
  });

  it("hostile files are refused with a clear 4xx: no row, no file", async () => {
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    );
    const gif = await sharp({ create: { width: 8, height: 8, channels: 3, background: "#fff" } })
      .gif()
      .toBuffer();
    const jpeg = await gpsJpeg();
    const bomb = await sharp({
      create: { width: 9000, height: 9000, channels: 3, background: "#000" },
      limitInputPixels: false,
    })
      .png({ compressionLevel: 9 })
      .toBuffer();
    const cases: [string, FormData, number, string][] = [
      [
        "text named .jpg",
        upload(Buffer.from("hello, I am text"), "photo.jpg", "image/jpeg"),
        415,
        "unsupported_image",
      ],
      ["an SVG", upload(svg, "x.svg", "image/svg+xml"), 415, "unsupported_image"],
      ["an SVG named .png", upload(svg, "x.png", "image/png"), 415, "unsupported_image"],
      ["a GIF", upload(gif, "x.gif", "image/gif"), 415, "unsupported_image"],
      [
        "a PDF",
        upload(Buffer.from("%PDF-1.7\n1 0 obj<<>>endobj"), "x.jpg", "image/jpeg"),
        415,
        "unsupported_image",
      ],
      [
        "a truncated JPEG",
        upload(jpeg.subarray(0, jpeg.length >> 1), "x.jpg", "image/jpeg"),
        422,
        "invalid_image",
      ],
      [
        "a polyglot",
        upload(
          Buffer.concat([
            Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
            Buffer.from("<html><script>x</script>"),
          ]),
          "x.jpg",
          "image/jpeg",
        ),
        422,
        "invalid_image",
      ],
      ["an 81-megapixel bomb", upload(bomb, "x.png", "image/png"), 422, "image_too_large"],
    ];
    for (const [label, body, status, code] of cases) {
      const before = mediaFiles();
      await unchanged(async () => {
        const res = await send("POST", `/api/v1/artists/${artistId}/images`, body);
        const error = expectApiError(res, status, "image");
        expect(error.error, label).toBe(code);
      });
      expect(mediaFiles(), label).toEqual(before);
    }
    // No file at all, and a JSON body.
    await unchanged(async () => {
      const form = new FormData();
      form.append("note", "no picture");
      expectApiError(await send("POST", `/api/v1/artists/${artistId}/images`, form), 422, "image");
      expectApiError(
        await client().api("POST", `/api/v1/artists/${artistId}/images`, { image: "x" }, token),
        415,
      );
    });
  });

  it("a 50 MB upload is refused with 413 (kept at most 10 MB): declared, or streamed without a length; 100 MB declared at once", async () => {
    const before = mediaFiles();
    const boundary = "----tattoo50mb";
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
    );
    const headers = {
      "Content-Type": `multipart/form-data; boundary=${boundary}`,
      Authorization: `Bearer ${token}`,
    };
    await unchanged(async () => {
      // Declared: refused from the headers.
      const declared = await sendRaw(
        app.url,
        "POST",
        `/api/v1/artists/${artistId}/images`,
        async function* () {
          yield head;
          for (let i = 0; i < 50; i++) yield Buffer.alloc(1024 * 1024, 0xff);
        },
        { ...headers, "Content-Length": String(head.length + 50 * 1024 * 1024) },
      );
      expect(declared.status).toBe(413);
      expect(JSON.parse(declared.text)).toMatchObject({ error: "payload_too_large" });
      // Chunked, no length: refused once the cap is passed.
      let sent = 0;
      const chunked = await sendRaw(
        app.url,
        "POST",
        `/api/v1/artists/${artistId}/images`,
        async function* () {
          yield head;
          for (let i = 0; i < 50; i++) {
            sent += 1024 * 1024;
            yield Buffer.alloc(1024 * 1024, 0xff);
          }
        },
        { ...headers, "Transfer-Encoding": "chunked" },
      );
      expect(chunked.status).toBe(413);
      expect(JSON.parse(chunked.text)).toMatchObject({ error: "payload_too_large" });
      expect(sent).toBeGreaterThan(0);
      // Far too large for reading on: refused from its headers, before the route runs.
      const absurd = await sendRaw(
        app.url,
        "POST",
        `/api/v1/artists/${artistId}/images`,
        Buffer.from("--x--"),
        { ...headers, "Content-Length": String(100 * 1024 * 1024) },
      );
      expect(absurd.status).toBe(413);
    });
    expect(mediaFiles()).toEqual(before);
  });

  it("a picture over 4 MB but under 10 MB is accepted (the upload routes have their own cap)", async () => {
    // Noise does not compress: a 1800 × 1200 PNG of random pixels is ~6 MB.
    const noise = Buffer.alloc(1800 * 1200 * 3);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
    const png = await sharp(noise, { raw: { width: 1800, height: 1200, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(png.length).toBeGreaterThan(4 * 1024 * 1024);
    const res = await send(
      "POST",
      `/api/v1/artists/${artistId}/images`,
      upload(png, "big.png", "image/png"),
    );
    expect(res.status, res.text).toBe(201);
  });

  it("DELETE /api/v1/artist-images/:id removes the row and both files", async () => {
    const res = await send(
      "POST",
      `/api/v1/artists/${artistId}/images`,
      upload(await gpsJpeg(400, 300), "x.jpg", "image/jpeg"),
    );
    const { id } = res.json<{ id: string }>();
    const row = await prisma.tattooImage.findUniqueOrThrow({ where: { id } });
    const del = await client().api("DELETE", `/api/v1/artist-images/${id}`, undefined, token);
    expect(del.status).toBe(204);
    expect(fs.existsSync(path.join(media(), row.file))).toBe(false);
    expect(fs.existsSync(path.join(media(), row.thumbFile))).toBe(false);
    expectApiError(
      await client().api("DELETE", `/api/v1/artist-images/${id}`, undefined, token),
      404,
    );
  });
});

describe("flash over HTTP", () => {
  let artistId: string;
  beforeAll(async () => {
    artistId = await newArtist("Flash sheet");
  });

  it("multipart with a picture and JSON without one → 201; the public view shows what is left", async () => {
    const multi = await send(
      "POST",
      `/api/v1/artists/${artistId}/flash`,
      upload(await gpsJpeg(500, 500), "swallow.jpg", "image/jpeg", {
        title: "Swallow",
        minDonationMinor: "3000",
        maxUses: "3",
        size: "5 × 5 cm",
      }),
    );
    expect(multi.status, multi.text).toBe(201);
    const json = await client().api(
      "POST",
      `/api/v1/artists/${artistId}/flash`,
      { title: "Dagger", minDonationMinor: 2000 },
      token,
    );
    expect(json.status, json.text).toBe(201);
    const pub = await client().get(`/api/v1/festivals/${festivalId}/artists`);
    const artist = pub
      .json<{
        artists: {
          id: string;
          flash: { title: string; remaining: number | null; image: unknown }[];
        }[];
      }>()
      .artists.find((a) => a.id === artistId)!;
    expect(artist.flash.map((f) => [f.title, f.remaining, f.image !== null])).toEqual([
      ["Swallow", 3, true],
      ["Dagger", null, false],
    ]);
  });

  it("refuses bad flash input (422) and a bad picture (415) and stores nothing", async () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ title: "X", minDonationMinor: -1 }, "minDonationMinor"],
      [{ title: "X", minDonationMinor: 1.5 }, "minDonationMinor"],
      [{ title: "X", minDonationMinor: 1e15 }, "minDonationMinor"],
      [{ title: "X", minDonationMinor: "100" }, "minDonationMinor"],
      [{ title: "X", minDonationMinor: 100, maxUses: 0 }, "maxUses"],
      [{ title: "", minDonationMinor: 100 }, "title"],
      [{ title: "X", minDonationMinor: 100, reserved: 5 }, ""],
    ];
    for (const [body, field] of bad)
      await unchanged(async () => {
        const res = await client().api("POST", `/api/v1/artists/${artistId}/flash`, body, token);
        expectApiError(res, 422, field || undefined);
      });
    const before = mediaFiles();
    await unchanged(async () => {
      const res = await send(
        "POST",
        `/api/v1/artists/${artistId}/flash`,
        upload(Buffer.from("GIF89a not really"), "x.jpg", "image/jpeg", {
          title: "Sneaky",
          minDonationMinor: "100",
        }),
      );
      expectApiError(res, 415, "image");
      const noAmount = await send(
        "POST",
        `/api/v1/artists/${artistId}/flash`,
        upload(await gpsJpeg(100, 100), "x.jpg", "image/jpeg", {
          title: "No amount",
          minDonationMinor: "-5",
        }),
      );
      expectApiError(noAmount, 422, "minDonationMinor");
    });
    expect(mediaFiles()).toEqual(before);
  });

  it("PATCH /api/v1/flash/:id: below the uses taken is 409; status gone hides it", async () => {
    const res = await client().api(
      "POST",
      `/api/v1/artists/${artistId}/flash`,
      { title: "Rose", minDonationMinor: 1500, maxUses: 4 },
      token,
    );
    const { id } = res.json<{ id: string }>();
    await sqlClient().execute({
      sql: `UPDATE FlashDesign SET reserved = 3 WHERE id = ?`,
      args: [id],
    });
    await unchanged(async () => {
      const below = await client().api("PATCH", `/api/v1/flash/${id}`, { maxUses: 2 }, token);
      expect(expectApiError(below, 409, "maxUses").error).toBe("flash_uses_taken");
      expectApiError(
        await client().api("PATCH", `/api/v1/flash/${id}`, { status: "sold" }, token),
        422,
        "status",
      );
    });
    const ok = await client().api(
      "PATCH",
      `/api/v1/flash/${id}`,
      { maxUses: 3, status: "gone" },
      token,
    );
    expect(ok.status, ok.text).toBe(200);
    const pub = await client().get(`/api/v1/festivals/${festivalId}/artists`);
    expect(pub.text).not.toContain(id);
  });
});

describe("a linked artist", () => {
  it("acts for their own artist only: bio, pictures, flash; not others, not creating or removing artists", async () => {
    const mine = await newArtist("Mine");
    const theirs = await newArtist("Theirs");
    const person = await createUserRow({ email: uniqueEmail("artist") });
    const link = await client().api(
      "POST",
      `/api/v1/artists/${mine}/account`,
      { email: person.email },
      token,
    );
    expect(link.status, link.text).toBe(200);
    // The team page names the role for what it is.
    const team = await page.get(`/admin/festivals/${festivalId}/team`);
    expect(team.text).toContain(person.email);
    expect(team.text).toContain("Tattoo artist");
    const artistToken = await apiToken(app.url, person.email);
    const own = await client().api(
      "PATCH",
      `/api/v1/artists/${mine}`,
      { bio: { en: "My own words." } },
      artistToken,
    );
    expect(own.status, own.text).toBe(200);
    const pic = await send(
      "POST",
      `/api/v1/artists/${mine}/images`,
      upload(await gpsJpeg(300, 300), "me.jpg", "image/jpeg"),
      artistToken,
    );
    expect(pic.status, pic.text).toBe(201);
    await unchanged(async () => {
      expectApiError(
        await client().api(
          "PATCH",
          `/api/v1/artists/${theirs}`,
          { name: "Taken over" },
          artistToken,
        ),
        404,
      );
      expectApiError(
        await send(
          "POST",
          `/api/v1/artists/${theirs}/images`,
          upload(await gpsJpeg(300, 300), "x.jpg", "image/jpeg"),
          artistToken,
        ),
        404,
      );
      expectApiError(
        await client().api(
          "POST",
          `/api/v1/artists/${theirs}/flash`,
          { title: "X", minDonationMinor: 1 },
          artistToken,
        ),
        404,
      );
      expectApiError(
        await client().api("DELETE", `/api/v1/artists/${mine}`, undefined, artistToken),
        403,
      );
      expectApiError(
        await client().api(
          "POST",
          `/api/v1/festivals/${festivalId}/artists`,
          { name: "New" },
          artistToken,
        ),
        403,
      );
      expectApiError(
        await client().api(
          "GET",
          `/api/v1/festivals/${festivalId}/ticket-types`,
          undefined,
          artistToken,
        ),
        403,
      );
    });
    // Unlinking takes the artist membership away, and with it the access.
    const unlink = await client().api(
      "DELETE",
      `/api/v1/artists/${mine}/account`,
      undefined,
      token,
    );
    expect(unlink.status).toBe(200);
    expectApiError(
      await client().api("PATCH", `/api/v1/artists/${mine}`, { name: "Again" }, artistToken),
      404,
    );
  });

  it("linking an email with no account is a 422 on the email", async () => {
    const id = await newArtist("Nobody linked");
    await unchanged(async () => {
      const res = await client().api(
        "POST",
        `/api/v1/artists/${id}/account`,
        { email: uniqueEmail("none") },
        token,
      );
      expectApiError(res, 422, "email");
    });
  });
});

describe("the organiser pages", () => {
  it("lists artists and adds one with the form (302 to its page)", async () => {
    const res = await page.postForm(`/admin/festivals/${festivalId}/tattoo`, {
      intent: "add-artist",
      name: "Form Artist",
      "bio.en": "From the form.",
      "bio.ru": "",
      contact: "",
      prisonerId: "",
    });
    expect(res.status, res.text.slice(0, 300)).toBe(302);
    expect(res.location).toMatch(new RegExp(`^/admin/festivals/${festivalId}/tattoo/[\\w-]{22}$`));
    const list = await page.get(`/admin/festivals/${festivalId}/tattoo`);
    expect(list.status).toBe(200);
    expect(list.text).toContain("Form Artist");
    const artistPage = await page.get(res.location!);
    expect(artistPage.status).toBe(200);
    expect(artistPage.text).toContain(`${res.location}/availability`);
    expect(artistPage.text).toContain("From the form.");
    // The festival's tabs link the tattoo corner.
    expect(list.text).toContain(`href="/admin/festivals/${festivalId}/tattoo"`);
  });

  it("an empty name is shown next to the field (400), nothing stored", async () => {
    await unchanged(async () => {
      const res = await page.postForm(`/admin/festivals/${festivalId}/tattoo`, {
        intent: "add-artist",
        name: "  ",
      });
      expect(res.status).toBe(400);
      expect(errorNextTo(res.text, "name")).toBeTruthy();
    });
  });

  it("uploads a picture with the page's multipart form; a text file is refused next to the field; 50 MB is 413", async () => {
    const id = await newArtist("Page uploads");
    const url = `/admin/festivals/${festivalId}/tattoo/${id}`;
    const good = await page.request("POST", url, {
      body: upload(await gpsJpeg(600, 400), "p.jpg", "image/jpeg", { intent: "upload-image" }),
    });
    expect(good.status, good.text.slice(0, 300)).toBe(200);
    expect(await prisma.tattooImage.count({ where: { artistId: id } })).toBe(1);
    const before = mediaFiles();
    await unchanged(async () => {
      const bad = await page.request("POST", url, {
        body: upload(Buffer.from("plain text"), "p.jpg", "image/jpeg", { intent: "upload-image" }),
      });
      expect(bad.status).toBe(400);
      expect(errorNextTo(bad.text, "image")).toMatch(/JPEG, PNG or WebP/);
      const cookie = [...page.cookies.entries()].map(([k, v]) => `${k}=${v}`).join("; ");
      const big = await sendRaw(
        app.url,
        "POST",
        url,
        async function* () {
          yield Buffer.from(
            `--b\r\nContent-Disposition: form-data; name="image"; filename="x.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
          );
          for (let i = 0; i < 50; i++) yield Buffer.alloc(1024 * 1024, 1);
        },
        {
          "Content-Type": "multipart/form-data; boundary=b",
          Cookie: cookie,
          "Transfer-Encoding": "chunked",
        },
      );
      expect(big.status).toBe(413);
    });
    expect(mediaFiles()).toEqual(before);
    // Flash with the page form: amounts typed in major units.
    const flash = await page.request("POST", url, {
      body: upload(await gpsJpeg(300, 300), "f.jpg", "image/jpeg", {
        intent: "add-flash",
        title: "Page flash",
        minDonation: "25.50",
        maxUses: "",
        size: "",
      }),
    });
    expect(flash.status, flash.text.slice(0, 300)).toBe(200);
    expect(await prisma.flashDesign.findFirst({ where: { artistId: id } })).toMatchObject({
      title: "Page flash",
      minDonationMinor: 2550,
      maxUses: null,
    });
  });

  it("moves a portfolio picture with the page's buttons", async () => {
    const id = await newArtist("Page order");
    for (const size of [200, 300])
      expect(
        (
          await send(
            "POST",
            `/api/v1/artists/${id}/images`,
            upload(await gpsJpeg(size, size), "x.jpg", "image/jpeg"),
          )
        ).status,
      ).toBe(201);
    const order = async () =>
      (
        await prisma.tattooImage.findMany({
          where: { artistId: id },
          orderBy: { position: "asc" },
          select: { width: true },
        })
      ).map((i) => i.width);
    expect(await order()).toEqual([200, 300]);
    const first = await prisma.tattooImage.findFirstOrThrow({
      where: { artistId: id, width: 200 },
    });
    const res = await page.postForm(`/admin/festivals/${festivalId}/tattoo/${id}`, {
      intent: "move-image",
      imageId: first.id,
      direction: "later",
    });
    expect(res.status).toBe(200);
    expect(await order()).toEqual([300, 200]);
  });
});
