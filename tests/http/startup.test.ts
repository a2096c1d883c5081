// `npm start` as a newcomer runs it: a real process on a fresh database.
import { simpleParser } from "mailparser";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { root } from "../../scripts/lib.js";
import { sendRaw } from "../helpers/app";
import { TMP } from "../setup/paths";

const children: ChildProcess[] = [];
afterAll(() => children.forEach((c) => c.kill("SIGKILL")));

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, [path.join(root, "scripts", "start.js")], {
    cwd: root,
    // Only what a newcomer's shell would have, plus the test's settings.
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      PORT: "0",
      ...env,
    } as Record<string, string> as unknown as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL logged:\n${output}`)), 60_000);
    child.stdout!.on("data", () => {
      const m = /running at (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on("exit", (code) => reject(new Error(`exited ${code}:\n${output}`)));
  });
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, url, exit, output: () => output };
}

function freshDir() {
  const dir = path.join(TMP, `run-start-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

describe("npm start", () => {
  it(
    "migrates a new database, seeds the demo, creates the admin, logs one URL line, and stops cleanly on SIGTERM",
    { timeout: 120_000 },
    async () => {
      const dir = freshDir();
      const env = {
        DATABASE_URL: `file:${path.join(dir, "sub", "festival.db")}`,
        DATA_DIR: dir,
        ADMIN_EMAIL: "boss@example.test",
        ADMIN_PASSWORD: "a strong admin password",
      };
      const first = start(env);
      const url = await first.url;
      expect(fs.existsSync(path.join(dir, "sub", "festival.db"))).toBe(true);
      expect(fs.existsSync(path.join(dir, "session-secret"))).toBe(true);
      expect((await fetch(`${url}/healthz`).then((r) => r.json())) as unknown).toEqual({
        ok: true,
      });
      const list = (await fetch(`${url}/api/v1/festivals`).then((r) => r.json())) as {
        upcoming: string[];
        past: string[];
      };
      expect(list.upcoming).toHaveLength(1);
      expect(list.past).toHaveLength(1);
      const token = await fetch(`${url}/api/v1/tokens`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email: "boss@example.test", password: "a strong admin password" }),
      });
      expect(token.status).toBe(201);
      expect(
        first
          .output()
          .split("\n")
          .filter((l) => l.includes("http://")),
      ).toHaveLength(1);
      first.child.kill("SIGTERM");
      expect(await first.exit).toBe(0);

      // A second start on the same database neither re-seeds nor fails; the admin's password is updated.
      const second = start({ ...env, ADMIN_PASSWORD: "another admin password" });
      const url2 = await second.url;
      const again = (await fetch(`${url2}/api/v1/festivals`).then((r) => r.json())) as {
        festivals: unknown[];
      };
      expect(again.festivals).toHaveLength(2);
      const relogin = await fetch(`${url2}/api/v1/tokens`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email: "boss@example.test", password: "another admin password" }),
      });
      expect(relogin.status).toBe(201);
      second.child.kill("SIGTERM");
      expect(await second.exit).toBe(0);
    },
  );

  it("does not seed when SEED_DEMO=0", async () => {
    const dir = freshDir();
    const run = start({
      DATABASE_URL: `file:${path.join(dir, "f.db")}`,
      DATA_DIR: dir,
      SEED_DEMO: "0",
    });
    const url = await run.url;
    const list = (await fetch(`${url}/api/v1/festivals`).then((r) => r.json())) as {
      festivals: unknown[];
    };
    expect(list.festivals).toHaveLength(0);
    run.child.kill("SIGTERM");
    expect(await run.exit).toBe(0);
  });

  it("refuses to start in production without SESSION_SECRET, with a clear message", async () => {
    const dir = freshDir();
    const run = start({
      NODE_ENV: "production",
      DATABASE_URL: `file:${path.join(dir, "f.db")}`,
      DATA_DIR: dir,
    });
    run.url.catch(() => undefined);
    expect(await run.exit).toBe(1);
    expect(run.output()).toContain("SESSION_SECRET is not set");
    expect(run.output()).not.toMatch(/\n\s+at /); // no stack trace
  });

  const productionSecrets = {
    NODE_ENV: "production",
    SESSION_SECRET: "production-session-secret-0123456789",
    DATA_ENCRYPTION_KEY: `k1:${Buffer.alloc(32, 7).toString("base64")}`,
  };

  it("refuses to start in production without PUBLIC_URL, with a clear message", async () => {
    const dir = freshDir();
    const run = start({
      ...productionSecrets,
      DATABASE_URL: `file:${path.join(dir, "f.db")}`,
      DATA_DIR: dir,
    });
    run.url.catch(() => undefined);
    expect(await run.exit).toBe(1);
    expect(run.output()).toContain("PUBLIC_URL is not set");
    expect(run.output()).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("in production, links in emails come from PUBLIC_URL whatever Host a request names", async () => {
    const dir = freshDir();
    const run = start({
      ...productionSecrets,
      PUBLIC_URL: "https://festivals.example.org",
      DATABASE_URL: `file:${path.join(dir, "f.db")}`,
      DATA_DIR: dir,
      SEED_DEMO: "0",
      ADMIN_EMAIL: "boss@example.test",
      ADMIN_PASSWORD: "a strong admin password",
    });
    const url = await run.url;
    const res = await sendRaw(
      url,
      "POST",
      "/forgot-password",
      Buffer.from("email=boss%40example.test"),
      {
        "Content-Type": "application/x-www-form-urlencoded",
        Host: "evil.example",
        "X-Forwarded-Host": "evil.example",
        Origin: undefined,
      },
    );
    expect(res.status).toBe(302);
    const mailDir = path.join(dir, "mail");
    const deadline = Date.now() + 15_000;
    let files: string[] = [];
    while (files.length === 0 && Date.now() < deadline) {
      files = fs.existsSync(mailDir) ? fs.readdirSync(mailDir) : [];
      if (files.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(files).toHaveLength(1);
    const parsed = await simpleParser(fs.readFileSync(path.join(mailDir, files[0]!)));
    const mail = `${parsed.text ?? ""}\n${typeof parsed.html === "string" ? parsed.html : ""}`;
    expect(mail).toMatch(/https:\/\/festivals\.example\.org\/reset-password\/[A-Za-z0-9_-]{43}/);
    expect(mail).not.toContain("evil.example");
    run.child.kill("SIGTERM");
    expect(await run.exit).toBe(0);
  });
});
