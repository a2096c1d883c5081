// The email render thread's entry (bundled to build/email-render-worker.js by
// scripts/lib.js). It receives a template, a locale and the data the main thread
// loaded from the database, builds the email (React HTML, text, QR images, the
// MIME message) and posts the result back. One job at a time, in order; no
// database, no network. The main-thread side is app/utils/email-render.server.ts.
import fs from "node:fs";
import os from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { composeMessage, renderTemplate } from "../../emails/render";
import type { RenderJob, RenderReply } from "./email-render.server";

const port = parentPort;
if (!port) throw new Error("email-render.worker.ts runs only as a worker thread");

/**
 * Lower this thread's CPU priority (nice), so that on a busy machine the request
 * thread comes first and emails wait. On Linux a thread's id is a pid to setpriority().
 */
function lowerPriority(nice: number) {
  if (!nice) return;
  try {
    const tid = Number(/task\/(\d+)$/.exec(fs.readlinkSync("/proc/thread-self"))?.[1]);
    if (tid) os.setPriority(tid, nice);
  } catch {
    // Not Linux: the thread keeps the process's priority.
  }
}
lowerPriority(Number((workerData as { nice?: number } | null)?.nice ?? 0));

async function run(job: RenderJob): Promise<RenderReply> {
  try {
    const content = await renderTemplate(job.template, job.locale, job.data);
    if (job.kind === "render") return { id: job.id, ok: true, content };
    const message = await composeMessage(content, job.envelope);
    return { id: job.id, ok: true, message };
  } catch (error) {
    return { id: job.id, ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

port.on("message", (job: RenderJob) => {
  void run(job).then((reply) => port.postMessage(reply));
});
