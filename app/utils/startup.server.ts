// Work done once when the server starts, after migrations.
import { ensureAdmin } from "~/models/user.server";
import { seedDemoIfEmpty } from "./seed.server";

export async function runStartupTasks() {
  const email = process.env.ADMIN_EMAIL;
  const password = process.env.ADMIN_PASSWORD;
  if (email && password) await ensureAdmin(email, password);
  else if (email || password)
    console.warn("Set both ADMIN_EMAIL and ADMIN_PASSWORD to create an admin.");
  if (process.env.SEED_DEMO !== "0" && (await seedDemoIfEmpty()))
    console.log("Seeded the demo festivals.");
}
