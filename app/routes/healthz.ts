import { rawQuery } from "~/utils/db.server";

/** 200 {"ok":true} once the database answers; 503 otherwise. */
export async function loader() {
  try {
    await rawQuery("SELECT 1");
    return Response.json({ ok: true }, { headers: { "Cache-Control": "no-store" } });
  } catch {
    return Response.json({ ok: false }, { status: 503, headers: { "Cache-Control": "no-store" } });
  }
}
