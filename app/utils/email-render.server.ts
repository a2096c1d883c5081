// The email render thread (decision 0042): building an email — React HTML, a QR
// image per ticket, the MIME message — is CPU work of tens to hundreds of
// milliseconds, which on the request event loop delays everything else (the
// door's verdicts right after a sales burst). It runs in one worker thread
// (app/utils/email-render.worker.ts, bundled to build/email-render-worker.js),
// one job at a time, fed from a bounded queue. The thread starts on the first
// job, has a small heap of its own, stops after a while idle, and is started
// again if it crashes or a job overruns (that job fails and is retried by the
// outbox like any failed delivery).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { ComposedMessage, Envelope, RenderedEmail } from "../../emails/render";
import type { TemplateName } from "../../emails/index";
import type { Locale } from "./i18n";

/** Jobs waiting for the thread; more are refused (the outbox retries them later). */
export const QUEUE_LIMIT = 64;
const JOB_TIMEOUT_MS = 30_000;
const IDLE_STOP_MS = 60_000;
/** The thread's own V8 heap (it counts in the process's memory budget). */
const THREAD_HEAP_MB = 48;
/**
 * The thread's CPU priority in production (nice 10: on a busy machine the door's
 * verdicts come first, the mail a little later). Tests keep 0, so that their mail
 * does not wait behind other test processes.
 */
const threadNice = () => (process.env.NODE_ENV === "production" ? 10 : 0);

type JobBase = { id: number; template: TemplateName; locale: Locale; data: unknown };
export type RenderJob =
  (JobBase & { kind: "render" }) | (JobBase & { kind: "message"; envelope: Envelope });
export type RenderReply =
  | { id: number; ok: true; content: RenderedEmail }
  | { id: number; ok: true; message: ComposedMessage }
  | { id: number; ok: false; error: string };

export class RenderQueueFullError extends Error {
  constructor() {
    super(`the email render queue is full (${QUEUE_LIMIT} waiting)`);
    this.name = "RenderQueueFullError";
  }
}

type Pending = {
  job: RenderJob;
  resolve: (reply: RenderReply) => void;
  reject: (error: Error) => void;
};

let worker: Worker | undefined;
let current: (Pending & { timer: NodeJS.Timeout }) | undefined;
let idleTimer: NodeJS.Timeout | undefined;
const queue: Pending[] = [];
let nextId = 1;

/** build/email-render-worker.js of this checkout (from the bundle or from the sources). */
function workerFile() {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, "package.json"))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error("email render thread: no package.json above this module");
    dir = up;
  }
  const file = path.join(dir, "build", "email-render-worker.js");
  if (!fs.existsSync(file))
    throw new Error(`email render thread: ${file} is missing (npm run build)`);
  return file;
}

function startThread() {
  const thread = new Worker(workerFile(), {
    workerData: { nice: threadNice() },
    // None of the process's Node flags: the thread runs one self-contained bundle
    // and its heap is set by resourceLimits. Inherited, `npm start`'s V8 heap flags
    // (decision 0042) made Node refuse to start the thread ("invalid execArgv
    // flags"), so no email was ever sent; `--input-type` (node -e) did the same.
    execArgv: [],
    resourceLimits: { maxOldGenerationSizeMb: THREAD_HEAP_MB, maxYoungGenerationSizeMb: 8 },
  });
  thread.on("message", (reply: RenderReply) => settle(thread, reply));
  thread.on("error", (error) => lost(thread, error));
  thread.on("exit", (code) => lost(thread, new Error(`email render thread exited (${code})`)));
  return thread;
}

/** The thread died or was stopped: fail its job; the next job starts a new thread. */
function lost(thread: Worker, error: Error) {
  if (worker !== thread) return;
  worker = undefined;
  const job = current;
  current = undefined;
  if (job) {
    clearTimeout(job.timer);
    job.reject(error);
  }
  pump();
}

function settle(thread: Worker, reply: RenderReply) {
  if (worker !== thread || !current || current.job.id !== reply.id) return;
  const job = current;
  current = undefined;
  clearTimeout(job.timer);
  job.resolve(reply);
  pump();
}

function pump() {
  if (current) return;
  const next = queue.shift();
  if (!next) {
    // Idle: let the process exit without waiting for the thread, and stop it after a while.
    worker?.unref();
    if (worker && !idleTimer) {
      idleTimer = setTimeout(() => void closeEmailRenderer(), IDLE_STOP_MS);
      idleTimer.unref();
    }
    return;
  }
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = undefined;
  try {
    worker ??= startThread();
    worker.ref();
    const thread = worker;
    const timer = setTimeout(() => {
      lost(thread, new Error(`email render job took over ${JOB_TIMEOUT_MS} ms`));
      void thread.terminate();
    }, JOB_TIMEOUT_MS);
    current = { ...next, timer };
    worker.postMessage(next.job);
  } catch (error) {
    // E.g. data that cannot be copied to the thread, or no worker file.
    if (current) clearTimeout(current.timer);
    current = undefined;
    next.reject(error instanceof Error ? error : new Error(String(error)));
    pump();
  }
}

function submit(job: RenderJob): Promise<RenderReply> {
  if (queue.length >= QUEUE_LIMIT) return Promise.reject(new RenderQueueFullError());
  return new Promise((resolve, reject) => {
    queue.push({ job, resolve, reject });
    pump();
  });
}

async function answer(job: RenderJob) {
  const reply = await submit(job);
  if (!reply.ok) throw new Error(reply.error);
  return reply;
}

const buffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** The email's parts (subject, HTML, text, attachments), built in the render thread. */
export async function renderInThread(
  template: TemplateName,
  locale: Locale,
  data: unknown,
): Promise<RenderedEmail> {
  const reply = await answer({ id: nextId++, kind: "render", template, locale, data });
  if (!("content" in reply)) throw new Error("email render thread: no content");
  const { content } = reply;
  return {
    ...content,
    attachments: content.attachments.map((a) => ({ ...a, content: buffer(a.content) })),
  };
}

/** The whole MIME message, built in the render thread, ready to send as is. */
export async function messageInThread(
  template: TemplateName,
  locale: Locale,
  data: unknown,
  envelope: Envelope,
): Promise<ComposedMessage> {
  const reply = await answer({ id: nextId++, kind: "message", template, locale, data, envelope });
  if (!("message" in reply)) throw new Error("email render thread: no message");
  return { ...reply.message, raw: buffer(reply.message.raw) };
}

/** Stop the thread (server shutdown, tests); jobs still waiting are refused. */
export async function closeEmailRenderer() {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = undefined;
  for (const pending of queue.splice(0)) pending.reject(new Error("email render thread closed"));
  const thread = worker;
  if (!thread) return;
  lost(thread, new Error("email render thread closed"));
  await thread.terminate();
}
