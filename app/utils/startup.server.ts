// Work done once when the server starts, after migrations.
import { ensureAdmin } from "~/models/user.server";
import { seedDemoIfEmpty } from "./seed.server";

export async function runStartupTasks() {
  const email = process.env.ADMIN_EMAIL;
  const password = process.env.ADMIN_PASSWORD;
  if (email && password) {
    const { created } = await ensureAdmin(email, password);
    // Say which account, never the password.
    console.log(`Admin account ${email.trim().toLowerCase()} ${created ? "created" : "updated"}.`);
  } else if (email || password)
    console.warn("Set both ADMIN_EMAIL and ADMIN_PASSWORD to create an admin.");
  if (process.env.SEED_DEMO !== "0" && (await seedDemoIfEmpty()))
    console.log("Seeded the demo festivals.");
}
