// Work done once when the server starts, after migrations.
import { ensureAdmin } from "~/models/user.server";
import { sqlClient } from "./db.server";
import { checkSealedValues } from "./sealed-values.server";
import { seedDemoIfEmpty } from "./seed.server";
import { logger } from "./logger.server";

export async function runStartupTasks() {
  // A wrong or missing DATA_ENCRYPTION_KEY fails here, loudly (ConfigError), not at the first payout.
  await checkSealedValues(sqlClient());
  const email = process.env.ADMIN_EMAIL;
  const password = process.env.ADMIN_PASSWORD;
  if (email && password) {
    const { created } = await ensureAdmin(email, password);
    // Neither the address nor the password: logs hold no personal data.
    logger.info(`Admin account ${created ? "created" : "updated"} from ADMIN_EMAIL.`);
  } else if (email || password)
    logger.warn("Set both ADMIN_EMAIL and ADMIN_PASSWORD to create an admin.");
  if (process.env.SEED_DEMO !== "0" && (await seedDemoIfEmpty()))
    logger.info("Seeded the demo festivals.");
}
