// The production build in a process of its own (issue 12's fault and
// scale-out tests): something a test can kill -9, restart on the same database
// and port, or run twice side by side. The environment is the test's
// (freshTestEnv sets it) plus the overrides; output is kept for assertions.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { root, startNodeEnv, startNodeFlags } from "../../scripts/lib.js";

export type AppProcess = {
  url: string;
  port: number;
  pid: number;
  child: ChildProcess;
  /** Everything the process wrote so far (stdout and stderr, interleaved). */
  output: () => string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<number | NodeJS.Signals>;
  /** Send a signal (default SIGKILL: no shutdown code runs) and wait for the end. */
  kill: (signal?: NodeJS.Signals) => Promise<number | NodeJS.Signals>;
  /** A graceful stop (SIGTERM: open requests finish, workers stop). */
  stop: () => Promise<number | NodeJS.Signals>;
};

export type SpawnOptions = {
  /** Environment on top of the test's own. */
  env?: Record<string, string>;
  /** A fixed port (a restart keeps its address); default: any free one. */
  port?: number;
  /**
   * "build": import build/index.js and startServer (fast; the test migrated the
   * database). "start": `node scripts/start.js`, exactly `npm start` (migrations too).
   */
  entry?: "build" | "start";
  /** How long to wait for "running at" (ms). */
  timeoutMs?: number;
};

const ENTRY = (port: number) => `
import { startServer } from ${JSON.stringify(pathToFileURL(path.join(root, "build", "index.js")).href)};
const server = await startServer({ port: ${port}, host: "127.0.0.1" });
let stopping = false;
process.on("SIGTERM", async () => {
  if (stopping) return;
  stopping = true;
  await server.close();
  process.exit(0);
});
`;

/** Start the app in its own process and wait until it listens. */
export async function spawnApp(options: SpawnOptions = {}): Promise<AppProcess> {
  const port = options.port ?? 0;
  // Node's flags and environment as `npm start` sets them (the heap limits of
  // decision 0042), so the process is the production one.
  const args = [
    ...startNodeFlags(),
    ...(options.entry === "start"
      ? [path.join(root, "scripts", "start.js")]
      : ["--input-type=module", "-e", ENTRY(port)]),
  ];
  // The process logs to its standard output (read here for "running at"); each
  // complete line is also appended to the test file's log, which the run searches.
  const logFile = process.env.LOG_FILE;
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...startNodeEnv(), PORT: String(port), LOG_FILE: "", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let logged = 0;
  const capture = (d: Buffer) => {
    out += d.toString();
    const end = out.lastIndexOf("\n") + 1;
    if (logFile && end > logged) {
      fs.appendFileSync(logFile, out.slice(logged, end));
      logged = end;
    }
  };
  child.stdout!.on("data", capture);
  child.stderr!.on("data", capture);
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`app did not start in time:\n${out}`)),
      options.timeoutMs ?? 60_000,
    );
    const look = () => {
      const m = /running at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!.replace("localhost", "127.0.0.1").replace(/\.$/, ""));
      }
    };
    child.stdout!.on("data", look);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`app exited (${code}) before listening:\n${out}`));
    });
  });
  const kill = async (signal: NodeJS.Signals = "SIGKILL") => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return {
    url,
    port: Number(new URL(url).port),
    pid: child.pid!,
    child,
    output: () => out,
    exited,
    kill,
    stop: () => kill("SIGTERM"),
  };
}
