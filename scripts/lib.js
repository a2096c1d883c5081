// Shared by scripts/start.js, the test harness and the benchmarks.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const DEFAULT_DATABASE_URL = "file:./data/festival.db";
const SOURCES = ["app", "server", "emails", "remix.config.js", "package.json", "tsconfig.json"];
const buildFile = path.join(root, "build", "index.js");
/** The email render thread's entry (decision 0042), bundled beside the server build. */
const workerEntry = path.join(root, "app", "utils", "email-render.worker.ts");
export const renderWorkerFile = path.join(root, "build", "email-render-worker.js");

function newestMtime(p) {
  const stat = fs.statSync(p, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of fs.readdirSync(p))
    newest = Math.max(newest, newestMtime(path.join(p, entry)));
  return newest;
}

/** True when build/index.js is missing or older than any source file. */
export function buildIsStale() {
  const built = fs.statSync(buildFile, { throwIfNoEntry: false });
  if (!built || !fs.existsSync(renderWorkerFile)) return true;
  return SOURCES.some((s) => newestMtime(path.join(root, s)) > built.mtimeMs);
}

/**
 * Compile the app. The bundle is always an optimised one (Remix calls that
 * NODE_ENV=production); how the server then runs is the environment's NODE_ENV
 * (development by default), so Remix's own banner is not shown to avoid saying
 * otherwise. Its output is printed when the build fails.
 */
export function build() {
  const started = Date.now();
  console.log("Building the app…");
  const result = spawnSync(
    process.execPath,
    [path.join(root, "node_modules", "@remix-run", "dev", "dist", "cli.js"), "build"],
    {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      encoding: "utf8",
      env: { ...process.env, NODE_ENV: "production" },
    },
  );
  if (result.status !== 0) {
    process.stderr.write(result.stdout + result.stderr);
    throw new Error("remix build failed");
  }
  buildRenderWorker();
  console.log(`Built in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}

/**
 * The email render thread's own bundle: the templates and their rendering, with the
 * packages left to node_modules (as in the server build). Built with esbuild, which
 * the Remix compiler brings.
 */
function buildRenderWorker() {
  const { dependencies } = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
  const external = Object.keys(dependencies).flatMap((name) => [name, `${name}/*`]);
  const result = spawnSync(
    path.join(root, "node_modules", ".bin", "esbuild"),
    [
      workerEntry,
      "--bundle",
      "--platform=node",
      "--format=esm",
      "--target=node20",
      "--jsx=automatic",
      "--minify-syntax",
      `--tsconfig=${path.join(root, "tsconfig.json")}`,
      `--outfile=${renderWorkerFile}`,
      "--log-level=warning",
      ...external.map((name) => `--external:${name}`),
    ],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" },
  );
  if (result.status !== 0) {
    process.stderr.write(result.stdout + result.stderr);
    throw new Error("email render worker build failed");
  }
}

/**
 * The V8 flags `npm start` runs the app with (package.json "start"; decision 0042:
 * a small young generation and a capped old one keep the process within its memory
 * budget). The benchmarks start the app with the same flags.
 */
export function startNodeFlags() {
  return startWords().filter((word) => word.startsWith("--"));
}

/**
 * The environment `npm start` sets before Node starts (package.json "start"):
 * `MALLOC_ARENA_MAX=2` (fewer glibc malloc arenas: less native memory held by
 * the threads, decision 0042), unless already set.
 */
export function startNodeEnv() {
  const env = {};
  for (const word of startWords()) {
    const m = /^([A-Z_]+)=\$\{\1:-([^}]*)\}$/.exec(word);
    if (m) env[m[1]] = process.env[m[1]] ?? m[2];
  }
  return env;
}

function startWords() {
  const { scripts } = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
  return scripts.start.split(/\s+/);
}

export function buildIfNeeded() {
  if (buildIsStale()) build();
}

/** Create the folder of a file: database URL. */
export function ensureDatabaseFolder(url) {
  if (!url.startsWith("file:")) return;
  const file = url.slice("file:".length).split("?")[0];
  if (file && file !== ":memory:")
    fs.mkdirSync(path.dirname(path.resolve(root, file)), { recursive: true });
}

/** Apply committed migrations with the Prisma CLI (the TypeScript engine; no download). */
export function migrate(url) {
  ensureDatabaseFolder(url);
  const result = spawnSync(
    process.execPath,
    [path.join(root, "node_modules", "prisma", "build", "index.js"), "migrate", "deploy"],
    {
      cwd: root,
      env: { ...process.env, DATABASE_URL: url, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
      encoding: "utf8",
    },
  );
  // Quiet on success (start-up logs one line); everything on failure.
  if (result.status !== 0) {
    process.stderr.write(result.stdout + result.stderr);
    throw new Error(`Applying migrations to ${url} failed.`);
  }
}

/**
 * Debian's Chromium (the browser tests and the benchmarks drive it through
 * playwright-core; nothing is downloaded): its path, or null when not installed.
 */
export function findChromium() {
  let onPath = "";
  try {
    onPath = execFileSync("sh", ["-c", "command -v chromium"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    // not on PATH: try the package's usual places
  }
  return (
    [onPath, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find(
      (candidate) => candidate && fs.existsSync(candidate),
    ) ?? null
  );
}

/**
 * Headless flags for that Chromium. Without the background-networking ones it
 * keeps trying Google's hosts, which these machines' closed network refuses.
 */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--no-first-run",
];
