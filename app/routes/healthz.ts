import { rawQuery } from "~/utils/db.server";

/** 200 {"ok":true} once the database answers; 503 otherwise. */
export async function loader() {
  try {
    await rawQuery("SELECT 1");
    return Response.json({ ok: true });
  } catch {
    return Response.json({ ok: false }, { status: 503 });
  }
}
