import type { LoaderFunctionArgs } from "@remix-run/node";
import { readMediaFile } from "~/utils/images.server";

/**
 * A stored picture (re-encoded WebP, no metadata) by its random name; anything
 * else, or a name not stored, is a plain 404. Names never change content, so
 * a visitor's browser may keep them for a year.
 */
export async function loader({ params }: LoaderFunctionArgs) {
  const bytes = await readMediaFile(params.file ?? "");
  if (!bytes)
    return new Response("Not found", {
      status: 404,
      headers: { "Content-Type": "text/plain; charset=utf-8" },
    });
  return new Response(new Uint8Array(bytes), {
    status: 200,
    headers: {
      "Content-Type": "image/webp",
      "Content-Length": String(bytes.length),
      "Cache-Control": "public, max-age=31536000, immutable",
      // X-Content-Type-Options: nosniff comes with every answer (helmet, server/index.ts).
      "Content-Security-Policy": "default-src 'none'; sandbox",
      "Cross-Origin-Resource-Policy": "same-origin",
    },
  });
}
