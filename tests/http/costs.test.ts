// Festival costs over real HTTP against the build: submitting with a receipt
// (JSON, API multipart, the page's multipart form without JavaScript), receipts
// checked by content — every hostile file a clear 4xx that writes nothing (no
// row, no file) — photos stored without EXIF/GPS, PDFs kept as uploaded, the
// receipt served as a no-store download only to the festival's organisers and
// treasurers, and the treasurers' approve / reject / paid under the two-person
// rule with a second factor (organisers and door staff get 403).
import fs from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { entryStatements, moneyInPostings } from "~/models/ledger.server";
import { prisma, sqlClient } from "~/utils/db.server";
import { encrypt } from "~/utils/encryption.server";
import { Client, sendRaw, startTestApp, type TestApp } from "../helpers/app";
import { errorNextTo, expectApiError, unchanged } from "../helpers/bad-input";
import {
  addMember,
  apiToken,
  createFestivalRow,
  createUserRow,
  signedInClient,
} from "../helpers/fixtures";
import { createMoneyUser, moneyTokenDirect, type MoneyUser } from "../helpers/treasury";

let app: TestApp;
let festivalId: string;
let otherFestivalId: string;
let organiser: { id: string; email: string; token: string; page: Client };
let otherOrganiser: { token: string; page: Client };
let door: { token: string; page: Client };
let plainTreasurer: { token: string; page: Client };
let t1: MoneyUser & { token: string; page: Client };
let t2: MoneyUser & { token: string; page: Client };
let n = 0;

const receiptsDir = () => path.join(app.dir, "receipts");
const receiptFiles = () =>
  fs.existsSync(receiptsDir()) ? fs.readdirSync(receiptsDir()).sort() : [];
const costRows = () => prisma.festivalCost.count();

/** A small but complete PDF (header, one page with text, xref, trailer, %%EOF). */
function makePdf(text = "Invoice: hall rent") {
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    null, // the content stream, below
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  const content = `BT /F1 12 Tf 20 100 Td (${text}) Tj ET`;
  let out = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, "latin1"));
    out +=
      body === null
        ? `${i + 1} 0 obj\n<< /Length ${content.length} >>\nstream\n${content}\nendstream\nendobj\n`
        : `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, "latin1");
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, "0")} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, "latin1");
}

async function gpsJpeg() {
  return sharp({ create: { width: 900, height: 1200, channels: 3, background: "#f4f4f0" } })
    .jpeg()
    .withExif({
      IFD0: { Make: "SpyCam", Model: "Tracker 9" },
      IFD3: {
        GPSLatitudeRef: "N",
        GPSLatitude: "55/1 45/1 0/1",
        GPSLongitudeRef: "E",
        GPSLongitude: "37/1 37/1 0/1",
      },
    })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

const png = () =>
  sharp({ create: { width: 120, height: 200, channels: 3, background: "#fff" } })
    .png()
    .toBuffer();

function costForm(
  file: { bytes: Buffer; name: string; type: string } | null,
  fields: Record<string, string> = {},
) {
  const form = new FormData();
  const all = {
    category: "printing",
    description: `Posters ${++n}`,
    amountMinor: "2500",
    ...fields,
  };
  for (const [k, v] of Object.entries(all)) form.append(k, v);
  if (file)
    form.append("receipt", new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.name);
  return form;
}

const client = () => new Client(app.url);
const postForm = (form: FormData, token = organiser.token, festival = festivalId) =>
  client().request("POST", `/api/v1/festivals/${festival}/costs`, {
    body: form,
    headers: { Authorization: `Bearer ${token}` },
  });
const act = (costId: string, action: string, token: string, body: unknown = {}) =>
  client().api("POST", `/api/v1/costs/${costId}/${action}`, body, token);

type Cost = {
  id: string;
  status: string;
  receipt: { type: string; bytes: number } | null;
  approvals: { userId: string }[];
};

async function submitJson(amountMinor = 1000, token = organiser.token) {
  const res = await client().api(
    "POST",
    `/api/v1/festivals/${festivalId}/costs`,
    { category: "venue", description: `Hall ${++n}`, amountMinor },
    token,
  );
  expect(res.status, res.text).toBe(201);
  return res.json<Cost>();
}

/** A treasurer signed in on a browser and by token, both with the second factor proved. */
async function treasurerWithPages(name: string) {
  const user = await createMoneyUser({ name });
  // Signed in as the app does after the one-time code: the session carries the proof.
  await prisma.user.update({ where: { id: user.id }, data: { totpEnabledAt: null } });
  const page = await signedInClient(app.url, user.email);
  const enabledAt = new Date(Date.now() - 1000);
  await prisma.user.update({
    where: { id: user.id },
    data: { totpSecretSealed: encrypt(user.secret, `totp:${user.id}`), totpEnabledAt: enabledAt },
  });
  await prisma.session.updateMany({
    where: { userId: user.id },
    data: { secondFactorAt: new Date() },
  });
  return { ...user, token: await moneyTokenDirect(user.id), page };
}

async function fund(amountMinor: number, festival = festivalId) {
  await sqlClient().batch(
    entryStatements({
      id: `test:income:${++n}`,
      festivalId: festival,
      kind: "payment",
      at: new Date(),
      postings: moneyInPostings({ festivalId: festival, currency: "EUR", code: "stripe_balance" }, [
        { category: "ticket", amountMinor },
      ]),
    }),
    "write",
  );
}

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: "0" });
  const f = await createFestivalRow({ name: "Costs Test Festival", status: "published" });
  const other = await createFestivalRow({ name: "Other Costs Festival" });
  festivalId = f.id;
  otherFestivalId = other.id;
  const org = await createUserRow({ name: "Olga Organiser" });
  const otherOrg = await createUserRow();
  const doorUser = await createUserRow();
  const treasurer = await createUserRow({ role: "treasurer" });
  await addMember(f.id, org.id, "organiser");
  await addMember(other.id, otherOrg.id, "organiser");
  await addMember(f.id, doorUser.id, "door");
  organiser = {
    id: org.id,
    email: org.email,
    token: await apiToken(app.url, org.email),
    page: await signedInClient(app.url, org.email),
  };
  otherOrganiser = {
    token: await apiToken(app.url, otherOrg.email),
    page: await signedInClient(app.url, otherOrg.email),
  };
  door = {
    token: await apiToken(app.url, doorUser.email),
    page: await signedInClient(app.url, doorUser.email),
  };
  plainTreasurer = {
    token: await apiToken(app.url, treasurer.email),
    page: await signedInClient(app.url, treasurer.email),
  };
  t1 = await treasurerWithPages("Treasurer One");
  t2 = await treasurerWithPages("Treasurer Two");
});
afterAll(() => app?.close());

describe("submitting", () => {
  it("JSON without a receipt → 201; the list shows it; another festival's organiser and door staff cannot", async () => {
    const cost = await submitJson(4200);
    expect(cost).toMatchObject({ status: "submitted", receipt: null });
    const list = await client().api(
      "GET",
      `/api/v1/festivals/${festivalId}/costs`,
      undefined,
      organiser.token,
    );
    expect(list.status).toBe(200);
    expect(list.json<{ costs: Cost[] }>().costs.map((c) => c.id)).toContain(cost.id);
    await unchanged(async () => {
      const before = await costRows();
      expectApiError(
        await client().api(
          "GET",
          `/api/v1/festivals/${festivalId}/costs`,
          undefined,
          otherOrganiser.token,
        ),
        404,
      );
      expectApiError(
        await client().api(
          "POST",
          `/api/v1/festivals/${festivalId}/costs`,
          { category: "venue", description: "x", amountMinor: 100 },
          door.token,
        ),
        403,
      );
      // A treasurer without a second factor is told to prove it.
      const refused = expectApiError(
        await client().api(
          "GET",
          `/api/v1/festivals/${festivalId}/costs`,
          undefined,
          plainTreasurer.token,
        ),
        403,
      );
      expect(refused.error).toBe("second_factor_required");
      expect(await costRows()).toBe(before);
    });
  });

  it("bad fields → 422 by field, nothing written", async () => {
    const before = await costRows();
    await unchanged(async () => {
      const bad = expectApiError(
        await client().api(
          "POST",
          `/api/v1/festivals/${festivalId}/costs`,
          { category: "bribes", description: "", amountMinor: -5, currency: "USD", extra: 1 },
          organiser.token,
        ),
        422,
      );
      expect(Object.keys(bad.fields ?? {})).toEqual(
        expect.arrayContaining(["category", "description", "amountMinor"]),
      );
      expectApiError(
        await client().api(
          "POST",
          `/api/v1/festivals/${festivalId}/costs`,
          { category: "venue", description: "Hall", amountMinor: 100, currency: "USD" },
          organiser.token,
        ),
        422,
        "currency",
      );
      expectApiError(await postForm(costForm(null, { amountMinor: "12.50" })), 422, "amountMinor");
    });
    expect(await costRows()).toBe(before);
  });

  it("multipart with a real PNG → 201, stored re-encoded as WebP under DATA_DIR/receipts", async () => {
    const before = receiptFiles();
    const res = await postForm(
      costForm({ bytes: await png(), name: "scan.png", type: "image/png" }),
    );
    expect(res.status, res.text).toBe(201);
    const cost = res.json<Cost>();
    expect(cost.receipt?.type).toBe("image/webp");
    const added = receiptFiles().filter((f) => !before.includes(f));
    expect(added).toHaveLength(1);
    expect(added[0]).toMatch(/^[A-Za-z0-9_-]{22}\.webp$/);
    const row = await prisma.festivalCost.findUniqueOrThrow({ where: { id: cost.id } });
    expect(row.receiptFile).toBe(added[0]);
    // Never a public address: the media route does not know it.
    expect((await client().get(`/media/${added[0]}`)).status).toBe(404);
  });

  it("multipart with a real PDF → 201, kept byte for byte, downloaded as an attachment with nosniff and no-store", async () => {
    const pdf = makePdf();
    const res = await postForm(
      costForm({ bytes: pdf, name: "invoice.pdf", type: "application/pdf" }),
    );
    expect(res.status, res.text).toBe(201);
    const cost = res.json<Cost>();
    expect(cost.receipt).toEqual({ type: "application/pdf", bytes: pdf.length });
    const row = await prisma.festivalCost.findUniqueOrThrow({ where: { id: cost.id } });
    expect(fs.readFileSync(path.join(receiptsDir(), row.receiptFile!)).equals(pdf)).toBe(true);
    const download = await fetch(
      `${app.url}/admin/festivals/${festivalId}/costs/${cost.id}/receipt`,
      {
        headers: { Cookie: [...organiser.page.cookies].map(([k, v]) => `${k}=${v}`).join("; ") },
      },
    );
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toBe("application/pdf");
    expect(download.headers.get("content-disposition")).toBe(
      `attachment; filename="receipt-${cost.id}.pdf"`,
    );
    expect(download.headers.get("x-content-type-options")).toBe("nosniff");
    expect(download.headers.get("cache-control")).toBe("no-store");
    expect(Buffer.from(await download.arrayBuffer()).equals(pdf)).toBe(true);
    // The download is in the audit log.
    expect(
      await prisma.auditEvent.count({
        where: { action: "cost.receipt.download", targetId: cost.id },
      }),
    ).toBe(1);
  });

  it("a JPEG with GPS EXIF is stored upright without any metadata", async () => {
    const jpeg = await gpsJpeg();
    expect(jpeg.includes(Buffer.from("SpyCam"))).toBe(true);
    const res = await postForm(costForm({ bytes: jpeg, name: "photo.jpg", type: "image/jpeg" }));
    expect(res.status, res.text).toBe(201);
    const row = await prisma.festivalCost.findUniqueOrThrow({ where: { id: res.json<Cost>().id } });
    const stored = fs.readFileSync(path.join(receiptsDir(), row.receiptFile!));
    const meta = await sharp(stored).metadata();
    expect(meta.format).toBe("webp");
    expect(meta.exif).toBeUndefined();
    expect(meta.xmp).toBeUndefined();
    expect(meta.icc).toBeUndefined();
    expect(meta.orientation).toBeUndefined();
    // Turned upright: the 900 × 1200 photo with orientation 6 is 1200 wide now.
    expect([meta.width, meta.height]).toEqual([1200, 900]);
    expect(stored.includes(Buffer.from("SpyCam"))).toBe(false);
    expect(stored.includes(Buffer.from("Tracker"))).toBe(false);
  });

  it("hostile files → 4xx with nothing written: no row, no file", async () => {
    const jpeg = await gpsJpeg();
    const pdf = makePdf();
    const cases: [string, Buffer, string, string, number, string][] = [
      [
        "HTML named .pdf",
        Buffer.from("<!doctype html><html><script>alert(1)</script></html>"),
        "r.pdf",
        "application/pdf",
        415,
        "unsupported_receipt",
      ],
      [
        "an SVG named .png",
        Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>'),
        "r.png",
        "image/png",
        415,
        "unsupported_receipt",
      ],
      [
        "a JPEG/HTML polyglot",
        Buffer.concat([
          Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
          Buffer.from("<html><script>x</script></html>"),
        ]),
        "r.jpg",
        "image/jpeg",
        422,
        "invalid_receipt",
      ],
      [
        "a PDF/HTML polyglot",
        Buffer.concat([
          Buffer.from("%PDF-1.4\n<html><body><script>alert(1)</script></body></html>\n"),
          pdf.subarray(9),
        ]),
        "r.pdf",
        "application/pdf",
        415,
        "unsupported_receipt",
      ],
      [
        "a PDF with JavaScript",
        Buffer.from(
          pdf
            .toString("latin1")
            .replace(
              "/Type /Catalog",
              "/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>",
            ),
          "latin1",
        ),
        "r.pdf",
        "application/pdf",
        422,
        "active_pdf",
      ],
      [
        "a PDF with an escaped /J#61vaScript name",
        Buffer.from(
          pdf
            .toString("latin1")
            .replace("/Type /Catalog", "/Type /Catalog /OpenAction << /S /J#61vaScript >>"),
          "latin1",
        ),
        "r.pdf",
        "application/pdf",
        422,
        "active_pdf",
      ],
      [
        "a truncated PDF",
        pdf.subarray(0, pdf.length - 40),
        "r.pdf",
        "application/pdf",
        422,
        "invalid_receipt",
      ],
      [
        "a truncated JPEG",
        jpeg.subarray(0, jpeg.length >> 1),
        "r.jpg",
        "image/jpeg",
        422,
        "invalid_receipt",
      ],
      ["zero bytes", Buffer.alloc(0), "empty.pdf", "application/pdf", 422, "empty_receipt"],
      [
        "a GIF",
        await sharp({ create: { width: 8, height: 8, channels: 3, background: "#fff" } })
          .gif()
          .toBuffer(),
        "r.gif",
        "image/gif",
        415,
        "unsupported_receipt",
      ],
    ];
    for (const [label, bytes, name, type, status, code] of cases) {
      const files = receiptFiles();
      const rows = await costRows();
      await unchanged(async () => {
        const res = await postForm(costForm({ bytes, name, type }));
        const error = expectApiError(res, status, "receipt");
        expect(error.error, label).toBe(code);
      });
      expect(receiptFiles(), label).toEqual(files);
      expect(await costRows(), label).toBe(rows);
    }
  });

  it("an oversized receipt → 413 with nothing written: 11 MB in the form, 50 MB streamed without a length", async () => {
    const files = receiptFiles();
    const rows = await costRows();
    await unchanged(async () => {
      const big = Buffer.concat([makePdf(), Buffer.alloc(11 * 1024 * 1024, 0x20)]);
      const res = await postForm(
        costForm({ bytes: big, name: "big.pdf", type: "application/pdf" }),
      );
      expect(res.status).toBe(413);
      expect(res.json<{ error: string }>().error).toBe("payload_too_large");
      const head = Buffer.from(
        `--b\r\nContent-Disposition: form-data; name="receipt"; filename="x.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n`,
      );
      const streamed = await sendRaw(
        app.url,
        "POST",
        `/api/v1/festivals/${festivalId}/costs`,
        async function* () {
          yield head;
          for (let i = 0; i < 50; i++) yield Buffer.alloc(1024 * 1024, 0x20);
        },
        {
          "Content-Type": "multipart/form-data; boundary=b",
          Authorization: `Bearer ${organiser.token}`,
          "Transfer-Encoding": "chunked",
        },
      );
      expect(streamed.status).toBe(413);
    });
    expect(receiptFiles()).toEqual(files);
    expect(await costRows()).toBe(rows);
  });

  it("a receipt over 4 MB but under 10 MB is accepted (the cost routes have the upload cap)", async () => {
    const pdf = makePdf();
    const padded = Buffer.concat([
      pdf.subarray(0, pdf.length - 6),
      Buffer.alloc(6 * 1024 * 1024, 0x20),
      Buffer.from("%%EOF\n"),
    ]);
    const res = await postForm(
      costForm({ bytes: padded, name: "scan.pdf", type: "application/pdf" }),
    );
    expect(res.status, res.text.slice(0, 200)).toBe(201);
  });
});

describe("who gets a receipt", () => {
  let costId: string;
  let path_: string;
  beforeAll(async () => {
    const res = await postForm(
      costForm({ bytes: makePdf(), name: "invoice.pdf", type: "application/pdf" }),
    );
    costId = res.json<Cost>().id;
    path_ = `/admin/festivals/${festivalId}/costs/${costId}/receipt`;
  });

  it("the festival's organisers and treasurers with a second factor: 200", async () => {
    for (const page of [organiser.page, t1.page]) {
      const res = await page.get(path_);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-disposition")).toMatch(/^attachment;/);
    }
  });

  it("nobody else: door staff 403, another festival's organiser 404, a treasurer without a second factor to enrol, anonymous to sign in", async () => {
    expect((await door.page.get(path_)).status).toBe(403);
    const other = await otherOrganiser.page.get(path_);
    expect(other.status).toBe(404);
    expect(other.text).not.toContain("%PDF");
    const plain = await plainTreasurer.page.get(path_);
    expect(plain.status).toBe(302);
    expect(plain.location).toMatch(/^\/account\/security\?/);
    const anonymous = await client().get(path_);
    expect(anonymous.status).toBe(302);
    expect(anonymous.location).toMatch(/^\/login\?/);
    // A bearer token is not a way in (pages and downloads take the session only).
    const bearer = await client().get(path_, { Authorization: `Bearer ${organiser.token}` });
    expect(bearer.status).toBe(302);
  });

  it("a cost under another festival's address, or one without a receipt: 404", async () => {
    expect(
      (await t1.page.get(`/admin/festivals/${otherFestivalId}/costs/${costId}/receipt`)).status,
    ).toBe(404);
    const noReceipt = await submitJson(100);
    expect(
      (await organiser.page.get(`/admin/festivals/${festivalId}/costs/${noReceipt.id}/receipt`))
        .status,
    ).toBe(404);
  });
});

describe("approving, rejecting, paying", () => {
  it("organisers, door staff and treasurers without a second factor get 403 on approve and paid; nothing changes", async () => {
    const cost = await submitJson(500);
    await unchanged(async () => {
      for (const token of [organiser.token, door.token, otherOrganiser.token]) {
        expect(expectApiError(await act(cost.id, "approve", token), 403).error).toBe("forbidden");
        expect(
          expectApiError(await act(cost.id, "paid", token, { reference: "x" }), 403).error,
        ).toBe("forbidden");
        expectApiError(await act(cost.id, "reject", token, { note: "no" }), 403);
      }
      expect(expectApiError(await act(cost.id, "approve", plainTreasurer.token), 403).error).toBe(
        "second_factor_required",
      );
    });
    expect(await prisma.approval.count({ where: { subjectId: cost.id } })).toBe(0);
  });

  it("a treasurer who submitted cannot approve; another can; paid is refused without money, then posts cost:<id>", async () => {
    const cost = await submitJson(3000, t1.token);
    expect(expectApiError(await act(cost.id, "approve", t1.token), 403).error).toBe(
      "self_approval",
    );
    const approved = await act(cost.id, "approve", t2.token);
    expect(approved.status, approved.text).toBe(200);
    expect(approved.json<Cost>().status).toBe("approved");
    // Same person again: counts once, still approved.
    expect((await act(cost.id, "approve", t2.token)).json<Cost>().approvals).toHaveLength(1);
    const list = await client().api(
      "GET",
      `/api/v1/festivals/${festivalId}/costs`,
      undefined,
      t1.token,
    );
    expect(list.json<{ approvedUnpaid: unknown[] }>().approvedUnpaid).toEqual([
      { currency: "EUR", amountMinor: 3000 },
    ]);
    // Nothing in the festival's books yet.
    const poor = expectApiError(await act(cost.id, "paid", t1.token, { reference: "TR-1" }), 409);
    expect(poor.error).toBe("insufficient_assets");
    expectApiError(await act(cost.id, "paid", t1.token, {}), 422, "reference");
    await fund(10_000);
    const paid = await act(cost.id, "paid", t1.token, {
      reference: "TR-1",
      paidAt: new Date(Date.now() - 60_000).toISOString(),
    });
    expect(paid.status, paid.text).toBe(200);
    expect(paid.json<Cost>().status).toBe("paid");
    const entry = await prisma.ledgerEntry.findUniqueOrThrow({ where: { id: `cost:${cost.id}` } });
    expect(entry).toMatchObject({ kind: "cost", purpose: "venue" });
    expect(
      expectApiError(await act(cost.id, "paid", t1.token, { reference: "TR-1" }), 409).error,
    ).toBe("cost_not_pending");
  });

  it("reject needs a note; cancel is the submitter's, before approval", async () => {
    const cost = await submitJson(700);
    expectApiError(await act(cost.id, "reject", t1.token, { note: "" }), 422, "note");
    const rejected = await act(cost.id, "reject", t1.token, { note: "Not a festival cost" });
    expect(rejected.json<Cost>().status).toBe("rejected");
    const mine = await submitJson(800);
    expect(expectApiError(await act(mine.id, "cancel", otherOrganiser.token), 404).error).toBe(
      "not_found",
    );
    expect(expectApiError(await act(mine.id, "cancel", t1.token), 403).error).toBe("not_submitter");
    expect((await act(mine.id, "cancel", organiser.token)).json<Cost>().status).toBe("cancelled");
    expectApiError(await act("no-such-cost", "approve", t1.token), 404);
    expectApiError(await act(mine.id, "bless", t1.token), 404);
  });
});

describe("the costs page", () => {
  const url = () => `/admin/festivals/${festivalId}/costs`;

  it("organisers see the form and the list; the festival's tabs link to it; door staff are refused", async () => {
    const res = await organiser.page.get(url());
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/enctype="multipart\/form-data"/i);
    expect(res.text).toContain('name="receipt"');
    const frame = await organiser.page.get(`/admin/festivals/${festivalId}`);
    expect(frame.text).toContain(`href="/admin/festivals/${festivalId}/costs"`);
    expect((await door.page.get(url())).status).toBe(403);
    expect((await otherOrganiser.page.get(url())).status).toBe(404);
    const plain = await plainTreasurer.page.get(url());
    expect(plain.status).toBe(302);
    expect(plain.location).toMatch(/^\/account\/security/);
  });

  it("submits with the multipart form (no JavaScript); a text file is refused next to the field, nothing written", async () => {
    const form = new FormData();
    form.append("intent", "submit");
    form.append("category", "travel");
    form.append("description", "Train tickets for the speakers");
    form.append("amount", "84.50");
    form.append(
      "receipt",
      new Blob([new Uint8Array(await png())], { type: "image/png" }),
      "ticket.png",
    );
    const good = await organiser.page.request("POST", url(), { body: form });
    expect(good.status, good.text.slice(0, 300)).toBe(200);
    expect(
      await prisma.festivalCost.findFirst({
        where: { description: "Train tickets for the speakers" },
      }),
    ).toMatchObject({
      category: "travel",
      amountMinor: 8450,
      currency: "EUR",
      receiptType: "image/webp",
    });
    const files = receiptFiles();
    await unchanged(async () => {
      const bad = new FormData();
      bad.append("intent", "submit");
      bad.append("category", "travel");
      bad.append("description", "Bad receipt");
      bad.append("amount", "10");
      bad.append("receipt", new Blob(["just text"], { type: "application/pdf" }), "x.pdf");
      const res = await organiser.page.request("POST", url(), { body: bad });
      expect(res.status).toBe(400);
      expect(errorNextTo(res.text, "receipt")).toMatch(/PDF, JPEG, PNG or WebP/);
      const noAmount = new FormData();
      noAmount.append("intent", "submit");
      noAmount.append("category", "travel");
      noAmount.append("description", "No amount");
      const missing = await organiser.page.request("POST", url(), { body: noAmount });
      expect(missing.status).toBe(400);
      expect(errorNextTo(missing.text, "amount")).toBeTruthy();
    });
    expect(receiptFiles()).toEqual(files);
  });

  it("treasurers approve, pay and reject with the page's forms; an organiser posting approve is refused", async () => {
    const cost = await submitJson(1200);
    await unchanged(async () => {
      const res = await organiser.page.postForm(url(), { intent: "approve", costId: cost.id });
      expect(res.status).toBe(403);
    });
    const page = await t1.page.get(url());
    expect(page.status).toBe(200);
    expect(page.text).toContain(`value="${cost.id}"`);
    const approve = await t1.page.postForm(url(), { intent: "approve", costId: cost.id });
    expect(approve.status).toBe(200);
    await fund(5_000);
    const noRef = await t2.page.postForm(url(), { intent: "paid", costId: cost.id, reference: "" });
    expect(noRef.status).toBe(400);
    const paid = await t2.page.postForm(url(), {
      intent: "paid",
      costId: cost.id,
      reference: "Cash slip 7",
      paidAt: "",
    });
    expect(paid.status, paid.text.slice(0, 300)).toBe(200);
    expect(await prisma.festivalCost.findUniqueOrThrow({ where: { id: cost.id } })).toMatchObject({
      status: "paid",
      reference: "Cash slip 7",
    });
    const other = await submitJson(100);
    const rejected = await t2.page.postForm(url(), {
      intent: "reject",
      costId: other.id,
      note: "Duplicate",
    });
    expect(rejected.status).toBe(200);
    expect((await prisma.festivalCost.findUniqueOrThrow({ where: { id: other.id } })).status).toBe(
      "rejected",
    );
    // The self-approval refusal in the reader's words.
    const own = await submitJson(100, t1.token);
    const self = await t1.page.postForm(url(), { intent: "approve", costId: own.id });
    expect(self.status).toBe(403);
    expect(self.text).toContain("another treasurer must approve it");
  });
});
